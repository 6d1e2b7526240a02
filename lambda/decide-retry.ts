import { globMatches } from './glob';
import { salvageStoppedTask } from './truncated-cause';
import { MAX_ATTEMPTS_LIMIT, MAX_DELAY_LIMIT_SECONDS } from '../src/decider/wire';
import type { AttemptRecord, ContainerExit, Decision, DeciderPolicy } from '../src/decider/wire';

/**
 * Stopped reasons are cut to this many characters in the history and the cause, which bounds
 * the state a run of `MAX_ATTEMPTS_LIMIT` attempts carries (README, "Security and operations").
 */
export const MAX_REASON_LENGTH = 384;
/** At most this many containers' exit codes are recorded per attempt (ECS allows 10 per task). */
export const MAX_RECORDED_CONTAINERS = 10;
const MAX_NAME_LENGTH = 255;

/** Everything the decision depends on. `random` is a number in [0, 1) used for jitter. */
export interface DecideRetryInput {
  readonly policy: unknown;
  readonly attempt: unknown;
  readonly error: unknown;
  readonly history?: unknown;
  readonly random: number;
}

/** The parts of a stopped ECS task description that classification reads. */
interface StoppedTask {
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly exits: ContainerExit[];
}

interface Classification {
  readonly retryable: boolean;
  readonly rule: string;
}

/**
 * Decides whether a failed ECS task attempt runs again, and after how long.
 *
 * Pure and total: any input, however malformed, yields a well-formed decision, and the same
 * input (including `random`) yields the same decision.
 */
export function decideRetry(input: DecideRetryInput): Decision {
  const policy = normalizePolicy(input.policy);
  const attempt = normalizeAttempt(input.attempt, policy.maxAttempts);
  const errorName = stringField(input.error, 'Error') ?? 'Unknown';
  const task = errorName === 'States.TaskFailed' ? parseStoppedTask(field(input.error, 'Cause')) : undefined;

  const { retryable, rule } = classify(policy, errorName, task);
  const retry = retryable && attempt < policy.maxAttempts;
  const waitSeconds = retry ? backoffSeconds(policy, attempt, input.random) : 0;

  const stoppedReason = task?.stoppedReason === undefined ? undefined : truncate(task.stoppedReason, MAX_REASON_LENGTH);
  const record: AttemptRecord = {
    attempt,
    error: truncate(errorName, MAX_NAME_LENGTH),
    ...(task?.stopCode === undefined ? {} : { stopCode: truncate(task.stopCode, MAX_NAME_LENGTH) }),
    ...(stoppedReason === undefined ? {} : { stoppedReason }),
    exitCodes: task?.exits ?? [],
    rule,
    retryable,
    waitSeconds,
  };

  // The state machine stops after maxAttempts, so the history never needs more entries than that.
  const history = [...normalizeHistory(input.history, policy.maxAttempts - 1), record];

  return { retryable, retry, waitSeconds, rule, history, cause: describe(record, input.error, task) };
}

/**
 * The capped exponential backoff before the retry that follows `attempt`:
 * `min(maxDelay, interval × backoffRate^(attempt−1))`, then jitter. Whole seconds, as a Wait needs.
 */
export function backoffSeconds(policy: DeciderPolicy, attempt: number, random: number): number {
  const exponential = policy.intervalSeconds * Math.pow(policy.backoffRate, Math.max(0, attempt - 1));
  const capped = Math.min(Math.floor(policy.maxDelaySeconds), Math.round(exponential));
  if (policy.jitter !== 'FULL') {
    return capped;
  }
  const r = Number.isFinite(random) ? Math.min(Math.max(random, 0), 1 - Number.EPSILON) : 0;
  return Math.min(capped, Math.floor(r * (capped + 1)));
}

function classify(policy: DeciderPolicy, errorName: string, task: StoppedTask | undefined): Classification {
  if (task) {
    const reason = task.stoppedReason;
    if (reason !== undefined) {
      const permanent = policy.nonRetryableStoppedReasons.find((p) => globMatches(p, reason));
      if (permanent !== undefined) {
        return { retryable: false, rule: `nonRetryableStoppedReason:${permanent}` };
      }
    }
    if (task.stopCode !== undefined && policy.retryableStopCodes.includes(task.stopCode)) {
      return { retryable: true, rule: `retryableStopCode:${task.stopCode}` };
    }
    if (reason !== undefined) {
      const transient = policy.retryableStoppedReasons.find((p) => globMatches(p, reason));
      if (transient !== undefined) {
        return { retryable: true, rule: `retryableStoppedReason:${transient}` };
      }
    }
    const exit = task.exits.find((e) => policy.retryableExitCodes.includes(e.exitCode));
    if (exit !== undefined) {
      return { retryable: true, rule: `retryableExitCode:${exit.exitCode}` };
    }
  }
  if (policy.retryableErrors.includes(errorName)) {
    return { retryable: true, rule: `retryableError:${truncate(errorName, MAX_NAME_LENGTH)}` };
  }
  if (task) {
    return { retryable: false, rule: 'noRetryableMatch' };
  }
  if (errorName === 'States.TaskFailed') {
    return { retryable: false, rule: 'unparseableCause' };
  }
  return { retryable: false, rule: `errorNotRetryable:${truncate(errorName, MAX_NAME_LENGTH)}` };
}

/**
 * Reads a stopped-task description from a Catch `Cause`: a JSON string, already an object, or a
 * JSON string that Step Functions cut short.
 */
function parseStoppedTask(cause: unknown): StoppedTask | undefined {
  let parsed: unknown = cause;
  if (typeof cause === 'string') {
    try {
      parsed = JSON.parse(cause);
    } catch {
      const salvaged = salvageStoppedTask(cause);
      return salvaged && { stopCode: salvaged.stopCode, stoppedReason: salvaged.stoppedReason, exits: containerExits(salvaged.containers) };
    }
  }
  if (!isRecord(parsed)) {
    return undefined;
  }
  const stopCode = stringField(parsed, 'StopCode');
  const stoppedReason = stringField(parsed, 'StoppedReason');
  const containers = field(parsed, 'Containers');
  // A task description names at least one of these; anything else is some other JSON.
  if (stopCode === undefined && stoppedReason === undefined && !Array.isArray(containers) && stringField(parsed, 'TaskArn') === undefined) {
    return undefined;
  }
  return { stopCode, stoppedReason, exits: containerExits(containers) };
}

function containerExits(containers: unknown): ContainerExit[] {
  if (!Array.isArray(containers)) {
    return [];
  }
  const exits: ContainerExit[] = [];
  for (const container of containers) {
    const exitCode = field(container, 'ExitCode');
    if (typeof exitCode === 'number' && Number.isInteger(exitCode)) {
      exits.push({ name: truncate(stringField(container, 'Name') ?? '', MAX_NAME_LENGTH), exitCode });
      if (exits.length === MAX_RECORDED_CONTAINERS) {
        break;
      }
    }
  }
  return exits;
}

function describe(record: AttemptRecord, error: unknown, task: StoppedTask | undefined): string {
  let detail: string;
  if (task) {
    const exits = record.exitCodes.map((e) => `${e.name}=${e.exitCode}`).join(', ');
    detail = [record.stopCode, record.stoppedReason ?? '(no stopped reason)'].filter((s) => s !== undefined).join(': ')
      + (exits ? ` (exit codes: ${exits})` : '');
  } else {
    const cause = field(error, 'Cause');
    detail = typeof cause === 'string' ? truncate(cause, MAX_REASON_LENGTH) : '(no cause)';
  }
  return `Attempt ${record.attempt} failed with ${record.error}: ${detail} [rule: ${record.rule}]`;
}

function normalizePolicy(raw: unknown): DeciderPolicy {
  const maxAttempts = integerIn(field(raw, 'maxAttempts'), 1, MAX_ATTEMPTS_LIMIT, 1);
  const maxDelaySeconds = Math.min(numberAtLeast(field(raw, 'maxDelaySeconds'), 0, 0), MAX_DELAY_LIMIT_SECONDS);
  return {
    maxAttempts,
    intervalSeconds: Math.min(numberAtLeast(field(raw, 'intervalSeconds'), 0, 0), maxDelaySeconds),
    backoffRate: numberAtLeast(field(raw, 'backoffRate'), 1, 1),
    maxDelaySeconds,
    jitter: field(raw, 'jitter') === 'FULL' ? 'FULL' : 'NONE',
    retryableStopCodes: stringList(field(raw, 'retryableStopCodes')),
    retryableStoppedReasons: stringList(field(raw, 'retryableStoppedReasons')).filter((p) => p !== ''),
    nonRetryableStoppedReasons: stringList(field(raw, 'nonRetryableStoppedReasons')).filter((p) => p !== ''),
    retryableExitCodes: listOf(field(raw, 'retryableExitCodes'), (v): v is number => Number.isInteger(v)),
    retryableErrors: stringList(field(raw, 'retryableErrors')),
  };
}

/** An attempt number the decider cannot read counts as the last, so it never extends a run. */
function normalizeAttempt(raw: unknown, maxAttempts: number): number {
  return typeof raw === 'number' && Number.isInteger(raw) && raw >= 1 ? raw : maxAttempts;
}

/** The last `keep` well-formed entries of a history, re-bounded field by field. */
function normalizeHistory(raw: unknown, keep: number): AttemptRecord[] {
  if (!Array.isArray(raw) || keep <= 0) {
    return [];
  }
  return raw.filter(isRecord).slice(-keep).map((entry) => {
    const stopCode = stringField(entry, 'stopCode');
    const stoppedReason = stringField(entry, 'stoppedReason');
    return {
      attempt: integerIn(entry.attempt, 0, Number.MAX_SAFE_INTEGER, 0),
      error: truncate(stringField(entry, 'error') ?? 'Unknown', MAX_NAME_LENGTH),
      ...(stopCode === undefined ? {} : { stopCode: truncate(stopCode, MAX_NAME_LENGTH) }),
      ...(stoppedReason === undefined ? {} : { stoppedReason: truncate(stoppedReason, MAX_REASON_LENGTH) }),
      exitCodes: listOf(entry.exitCodes, isRecord)
        .filter((e) => Number.isInteger(e.exitCode))
        .slice(0, MAX_RECORDED_CONTAINERS)
        .map((e) => ({ name: truncate(stringField(e, 'name') ?? '', MAX_NAME_LENGTH), exitCode: e.exitCode as number })),
      rule: truncate(stringField(entry, 'rule') ?? 'unknown', MAX_NAME_LENGTH + 64),
      retryable: entry.retryable === true,
      waitSeconds: numberAtLeast(entry.waitSeconds, 0, 0),
    };
  });
}

/**
 * Cuts `text` to at most `max` characters by removing its middle, marked with how much was cut.
 * Both ends survive: a stopped reason names the error type first and the root cause last.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) {
    return text;
  }
  const marker = `…[${text.length - max} chars cut]…`;
  const keep = Math.max(0, max - marker.length);
  const head = Math.ceil(keep / 2);
  return text.slice(0, head) + marker + text.slice(text.length - (keep - head));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}

function stringField(value: unknown, key: string): string | undefined {
  const v = field(value, key);
  return typeof v === 'string' ? v : undefined;
}

function listOf<T>(value: unknown, accept: (v: unknown) => v is T): T[] {
  return Array.isArray(value) ? value.filter(accept) : [];
}

function stringList(value: unknown): string[] {
  return listOf(value, (v): v is string => typeof v === 'string');
}

function integerIn(value: unknown, min: number, max: number, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) ? Math.min(Math.max(value, min), max) : fallback;
}

function numberAtLeast(value: unknown, min: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(value, min) : fallback;
}
