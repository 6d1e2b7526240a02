import { globMatches } from './glob';
import { salvageStoppedTask } from './truncated-cause';
import { MAX_ATTEMPTS_LIMIT, MAX_DELAY_LIMIT_SECONDS } from '../src/decider/wire';
import type { AttemptRecord, ContainerExit, Decision, DeciderPolicy } from '../src/decider/wire';

/**
 * Stopped reasons and container reasons are cut to this many characters in the history and the
 * cause, which bounds the state a run of `MAX_ATTEMPTS_LIMIT` attempts carries (README, "Payload
 * bound").
 */
export const MAX_REASON_LENGTH = 384;
/**
 * At most this many containers' exit codes are recorded, and reasons read, per attempt (ECS allows
 * 10 per task).
 */
export const MAX_RECORDED_CONTAINERS = 10;
/** At most this many `Failures` of a RunTask answer are read (RunTask starts at most 10 tasks). */
export const MAX_READ_FAILURES = 10;
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
  /**
   * Non-empty `Containers[].Reason` strings, in order. On EC2 the task's stopped reason is often
   * generic ("Task failed to start") and the container's reason names the real error.
   */
  readonly containerReasons: string[];
  readonly exits: ContainerExit[];
}

interface Classification {
  readonly retryable: boolean;
  readonly rule: string;
  /** The container reason that decided, when a pattern matched it rather than the stopped reason. */
  readonly containerReason?: string;
}

/** The first pattern that matches the stopped reason or a container reason, and which one it matched. */
interface ReasonMatch {
  readonly pattern: string;
  readonly containerReason?: string;
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

  const { retryable, rule, containerReason } = classify(policy, errorName, task, field(input.error, 'Cause'));
  const retry = retryable && attempt < policy.maxAttempts;
  const waitSeconds = retry ? backoffSeconds(policy, attempt, input.random) : 0;

  // A deciding container reason shares the stopped reason's budget, so the history stays as bounded.
  const reasonLength = containerReason === undefined ? MAX_REASON_LENGTH : MAX_REASON_LENGTH / 2;
  const stoppedReason = task?.stoppedReason === undefined ? undefined : truncate(task.stoppedReason, reasonLength);
  const record: AttemptRecord = {
    attempt,
    error: truncate(errorName, MAX_NAME_LENGTH),
    ...(task?.stopCode === undefined ? {} : { stopCode: truncate(task.stopCode, MAX_NAME_LENGTH) }),
    ...(stoppedReason === undefined ? {} : { stoppedReason }),
    ...(containerReason === undefined ? {} : { containerReason: truncate(containerReason, reasonLength) }),
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

function classify(policy: DeciderPolicy, errorName: string, task: StoppedTask | undefined, cause: unknown): Classification {
  if (task) {
    const permanent = matchReasons(policy.nonRetryableStoppedReasons, task);
    if (permanent !== undefined) {
      return { retryable: false, rule: `nonRetryableStoppedReason:${permanent.pattern}`, containerReason: permanent.containerReason };
    }
    if (task.stopCode !== undefined && policy.retryableStopCodes.includes(task.stopCode)) {
      return { retryable: true, rule: `retryableStopCode:${task.stopCode}` };
    }
    const transient = matchReasons(policy.retryableStoppedReasons, task);
    if (transient !== undefined) {
      return { retryable: true, rule: `retryableStoppedReason:${transient.pattern}`, containerReason: transient.containerReason };
    }
    const exit = task.exits.find((e) => policy.retryableExitCodes.includes(e.exitCode));
    if (exit !== undefined) {
      return { retryable: true, rule: `retryableExitCode:${exit.exitCode}` };
    }
  }
  if (!task && policy.nonRetryableErrorCauses.length > 0) {
    const texts = errorCauseTexts(cause);
    const permanent = policy.nonRetryableErrorCauses.find((p) => texts.some((text) => globMatches(p, text)));
    if (permanent !== undefined) {
      return { retryable: false, rule: `nonRetryableErrorCause:${permanent}` };
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
 * The first pattern, in list order, that matches the task's stopped reason or any container's
 * reason. The stopped reason is tried first, so a match there records no container reason.
 */
function matchReasons(patterns: string[], task: StoppedTask): ReasonMatch | undefined {
  for (const pattern of patterns) {
    if (task.stoppedReason !== undefined && globMatches(pattern, task.stoppedReason)) {
      return { pattern };
    }
    const containerReason = task.containerReasons.find((reason) => globMatches(pattern, reason));
    if (containerReason !== undefined) {
      return { pattern, containerReason };
    }
  }
  return undefined;
}

/**
 * The texts `nonRetryableErrorCauses` is matched against: each `Failures[].Reason` and `.Detail`
 * when the Cause is RunTask's answer with a `Failures` array, else the whole Cause text.
 */
function errorCauseTexts(cause: unknown): string[] {
  let parsed: unknown = cause;
  if (typeof cause === 'string') {
    try {
      parsed = JSON.parse(cause);
    } catch {
      return [cause];
    }
  }
  // Step Functions writes RunTask's answer in PascalCase; the ECS API itself uses camelCase.
  const failures = field(parsed, 'Failures') ?? field(parsed, 'failures');
  if (Array.isArray(failures)) {
    return failures.slice(0, MAX_READ_FAILURES).flatMap((failure) =>
      ['Reason', 'reason', 'Detail', 'detail'].map((key) => stringField(failure, key)).filter((text): text is string => text !== undefined));
  }
  return typeof cause === 'string' ? [cause] : [];
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
      return salvaged && {
        stopCode: salvaged.stopCode,
        stoppedReason: salvaged.stoppedReason,
        containerReasons: containerReasons(salvaged.containers),
        exits: containerExits(salvaged.containers),
      };
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
  return { stopCode, stoppedReason, containerReasons: containerReasons(containers), exits: containerExits(containers) };
}

function containerReasons(containers: unknown): string[] {
  if (!Array.isArray(containers)) {
    return [];
  }
  return containers.slice(0, MAX_RECORDED_CONTAINERS)
    .map((container) => stringField(container, 'Reason'))
    .filter((reason): reason is string => reason !== undefined && reason !== '');
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
      + (record.containerReason === undefined ? '' : ` (container reason: ${record.containerReason})`)
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
    // Absent from payloads rendered before it existed: an empty list keeps their behaviour.
    nonRetryableErrorCauses: stringList(field(raw, 'nonRetryableErrorCauses')).filter((p) => p !== ''),
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
    const containerReason = stringField(entry, 'containerReason');
    const reasonLength = containerReason === undefined ? MAX_REASON_LENGTH : MAX_REASON_LENGTH / 2;
    return {
      attempt: integerIn(entry.attempt, 0, Number.MAX_SAFE_INTEGER, 0),
      error: truncate(stringField(entry, 'error') ?? 'Unknown', MAX_NAME_LENGTH),
      ...(stopCode === undefined ? {} : { stopCode: truncate(stopCode, MAX_NAME_LENGTH) }),
      ...(stoppedReason === undefined ? {} : { stoppedReason: truncate(stoppedReason, reasonLength) }),
      ...(containerReason === undefined ? {} : { containerReason: truncate(containerReason, reasonLength) }),
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
