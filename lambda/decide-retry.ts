import { globMatches } from './glob';
import { readJson } from './json-text';
import { salvageStoppedTask } from './truncated-cause';
import { wholePolicy } from './whole-policy';
import {
  BRIEF_NAME_LENGTH, BRIEF_RULE_LENGTH, MAX_CONTAINER_NAME_LENGTH, MAX_NAME_LENGTH, MAX_READ_CONTAINERS, MAX_REASON_LENGTH, MAX_RULE_LENGTH,
  WHOLE_LATEST_ENTRIES,
} from '../src/decider/history-bounds';
import { MAX_ATTEMPTS_LIMIT, MAX_DELAY_LIMIT_SECONDS } from '../src/decider/wire';
import type {
  AttemptRecord, Capacity, ContainerExit, Decision, DeciderPolicy, FallbackRules, NextAttempt, Placement, PolicyDefaults, RenderedSize,
} from '../src/decider/wire';
import { backoffSeconds } from '../src/policy/backoff';

/** Re-exported for the tests and the bench, which know the formula and the bounds as the decider's. */
export { backoffSeconds, MAX_REASON_LENGTH };

/** Everything the decision depends on. `random` is a number in [0, 1) used for jitter. */
export interface DecideRetryInput {
  /** A whole policy, or a diff from `defaults` (`DeciderPolicyDiff`). */
  readonly policy: unknown;
  /** The defaults a diff is merged over: the decider's, from its environment. */
  readonly defaults?: PolicyDefaults;
  readonly attempt: unknown;
  readonly error: unknown;
  readonly history?: unknown;
  /** Where the failed attempt ran: `{ sizeIndex, capacity }`; index 0 on `primary` when unreadable. */
  readonly placement?: unknown;
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
  /** Whether the next attempt runs one size up the ladder. */
  readonly escalate?: boolean;
}

/** The longest defaults id a rule names; the construct writes 8 characters. */
const MAX_DEFAULTS_ID_LENGTH = 16;

/** The case-insensitive start of every out-of-memory reason ECS writes. */
const OUT_OF_MEMORY_PREFIX = 'outofmemoryerror';

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
  const { policy: whole, unknownDefaults } = wholePolicy(input.policy, input.defaults);
  const policy = normalizePolicy(whole);
  const attempt = normalizeAttempt(input.attempt, policy.maxAttempts);
  const errorName = stringField(input.error, 'Error') ?? 'Unknown';
  const errorCause = field(input.error, 'Cause');
  const task = errorName === 'States.TaskFailed' ? parseStoppedTask(errorCause) : undefined;
  // Only a policy with a size ladder or fallback rules places attempts; any other decision and
  // history stay exactly as they were before placement existed.
  const placed = policy.sizes !== undefined || policy.fallback !== undefined;
  const placement = normalizePlacement(input.placement, policy.sizes);

  // A diff from defaults the decider does not have cannot be decided: its lists are unknown.
  const classification: Classification = unknownDefaults === undefined
    ? classify(policy, placement, errorName, task, errorCause)
    : { retryable: false, rule: `policyDefaultsMismatch:${truncate(unknownDefaults, MAX_DEFAULTS_ID_LENGTH)}` };
  const { retryable, rule, containerReason, escalate } = classification;
  const retry = retryable && attempt < policy.maxAttempts;
  const waitSeconds = retry ? backoffSeconds(policy, attempt, input.random) : 0;

  // A deciding container reason shares the stopped reason's budget, so the history stays as bounded.
  const reasonLength = containerReason === undefined ? MAX_REASON_LENGTH : MAX_REASON_LENGTH / 2;
  const stoppedReason = task?.stoppedReason === undefined ? undefined : truncate(task.stoppedReason, reasonLength);
  const size = policy.sizes?.[placement.sizeIndex];
  const record: AttemptRecord = {
    attempt,
    error: truncate(errorName, MAX_NAME_LENGTH),
    ...(task?.stopCode === undefined ? {} : { stopCode: truncate(task.stopCode, MAX_NAME_LENGTH) }),
    ...(stoppedReason === undefined ? {} : { stoppedReason }),
    ...(containerReason === undefined ? {} : { containerReason: truncate(containerReason, reasonLength) }),
    exitCodes: task?.exits ?? [],
    rule: truncate(rule, MAX_RULE_LENGTH),
    retryable,
    waitSeconds,
    ...(size === undefined ? {} : { size: { cpu: size.cpu, memoryMiB: size.memoryMiB } }),
    ...(placed ? { capacity: placement.capacity } : {}),
  };

  // The state machine stops after maxAttempts, so the history never needs more entries than that.
  const history = shapeHistory([...normalizeHistory(input.history, policy.maxAttempts - 1), record]);
  const cause = describe(record, input.error, task, placed ? placement : undefined)
    + (unknownDefaults === undefined ? '' : defaultsMismatch(unknownDefaults, input.defaults));
  const decision = { retryable, retry, waitSeconds, rule: record.rule, history, cause };
  if (!placed) {
    return decision;
  }

  // Without a next attempt, `next` repeats where the failed one ran. Sizes only grow, and a run
  // that has fallen back stays on the fallback launch target.
  let next: Placement = placement;
  if (retry) {
    const fallback = placement.capacity === 'fallback'
      || (policy.fallback !== undefined && matchesFallback(policy.fallback, task, errorCause));
    next = {
      sizeIndex: escalate ? placement.sizeIndex + 1 : placement.sizeIndex,
      capacity: fallback ? 'fallback' : 'primary',
    };
  }
  return { ...decision, next: nextAttempt(next, policy.sizes) };
}

function classify(policy: DeciderPolicy, placement: Placement, errorName: string, task: StoppedTask | undefined, cause: unknown): Classification {
  if (task) {
    const permanent = matchReasons(policy.nonRetryableStoppedReasons, task);
    if (permanent !== undefined) {
      return { retryable: false, rule: `nonRetryableStoppedReason:${permanent.pattern}`, containerReason: permanent.containerReason };
    }
    // Only a size ladder makes out of memory a rule of its own; without one it is classified as before.
    const outOfMemory = policy.sizes === undefined ? undefined : outOfMemoryReason(task);
    if (policy.sizes !== undefined && outOfMemory !== undefined) {
      const { containerReason } = outOfMemory;
      return placement.sizeIndex < policy.sizes.length - 1
        ? { retryable: true, rule: `outOfMemory:escalate to size ${placement.sizeIndex + 1}`, containerReason, escalate: true }
        : { retryable: false, rule: 'outOfMemoryAtLargestSize', containerReason };
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
      return { retryable: true, rule: `retryableExitCode:${numberText(exit.exitCode)}` };
    }
  }
  if (!task && policy.nonRetryableErrorCauses.length > 0) {
    const permanent = matchErrorCause(policy.nonRetryableErrorCauses, cause);
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
 * Whether ECS stopped the task, or one of its containers, for running out of memory: the stopped
 * reason or a container's reason starts with `OutOfMemoryError` ("OutOfMemoryError: Container
 * killed due to memory usage"). The stopped reason is tried first, so a match there records no
 * container reason.
 *
 * Exit code 137 alone is not enough: it means SIGKILL, which StopTask also sends after its stop
 * timeout, and so does anything else that kills the container's process.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/out-of-memory.html
 * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html
 */
function outOfMemoryReason(task: StoppedTask): { readonly containerReason?: string } | undefined {
  const isOutOfMemory = (reason: string) => reason.slice(0, OUT_OF_MEMORY_PREFIX.length).toLowerCase() === OUT_OF_MEMORY_PREFIX;
  if (task.stoppedReason !== undefined && isOutOfMemory(task.stoppedReason)) {
    return {};
  }
  const containerReason = task.containerReasons.find(isOutOfMemory);
  return containerReason === undefined ? undefined : { containerReason };
}

/**
 * Whether a failure moves the next attempts to the fallback launch target: the stopped task's
 * stop code or a reason matches, or, without a stopped task, the error's cause does.
 */
function matchesFallback(rules: FallbackRules, task: StoppedTask | undefined, cause: unknown): boolean {
  if (task) {
    return (task.stopCode !== undefined && rules.stopCodes.includes(task.stopCode)) || matchReasons(rules.stoppedReasons, task) !== undefined;
  }
  return rules.errorCauses.length > 0 && matchErrorCause(rules.errorCauses, cause) !== undefined;
}

/** The first pattern that matches any of the cause texts (`errorCauseTexts`). */
function matchErrorCause(patterns: string[], cause: unknown): string | undefined {
  const texts = errorCauseTexts(cause);
  return patterns.find((p) => texts.some((text) => globMatches(p, text)));
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
 * The texts `nonRetryableErrorCauses` and the fallback `errorCauses` are matched against: each
 * `Failures[].Reason` and `.Detail` when the Cause is RunTask's answer with a `Failures` array,
 * else the whole Cause text.
 */
function errorCauseTexts(cause: unknown): string[] {
  let parsed: unknown = cause;
  if (typeof cause === 'string') {
    const json = readJson(cause);
    if (json === undefined) {
      return [cause];
    }
    parsed = json.value;
  }
  // Step Functions writes RunTask's answer in PascalCase; the ECS API itself uses camelCase.
  const failures = field(parsed, 'Failures') ?? field(parsed, 'failures');
  if (Array.isArray(failures)) {
    return failures.slice(0, MAX_READ_CONTAINERS).flatMap((failure) =>
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
    const json = readJson(cause);
    if (json === undefined) {
      const salvaged = salvageStoppedTask(cause);
      return salvaged && {
        stopCode: salvaged.stopCode,
        stoppedReason: salvaged.stoppedReason,
        containerReasons: containerReasons(salvaged.containers),
        exits: containerExits(salvaged.containers),
      };
    }
    parsed = json.value;
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

/** The non-empty reasons of the first `MAX_READ_CONTAINERS` containers. */
function containerReasons(containers: unknown): string[] {
  if (!Array.isArray(containers)) {
    return [];
  }
  return containers.slice(0, MAX_READ_CONTAINERS)
    .map((container) => stringField(container, 'Reason'))
    .filter((reason): reason is string => reason !== undefined && reason !== '');
}

/** The integer exit codes of the first `MAX_READ_CONTAINERS` containers, by container name. */
function containerExits(containers: unknown): ContainerExit[] {
  if (!Array.isArray(containers)) {
    return [];
  }
  return containers.slice(0, MAX_READ_CONTAINERS).flatMap((container) => {
    const exitCode = field(container, 'ExitCode');
    return typeof exitCode === 'number' && Number.isInteger(exitCode)
      ? [{ name: truncate(stringField(container, 'Name') ?? '', MAX_CONTAINER_NAME_LENGTH), exitCode }]
      : [];
  });
}

function describe(record: AttemptRecord, error: unknown, task: StoppedTask | undefined, placement: Placement | undefined): string {
  let detail: string;
  if (task) {
    const exits = record.exitCodes.map((e) => `${e.name}=${numberText(e.exitCode)}`).join(', ');
    detail = [record.stopCode, record.stoppedReason ?? '(no stopped reason)'].filter((s) => s !== undefined).join(': ')
      + (record.containerReason === undefined ? '' : ` (container reason: ${record.containerReason})`)
      + (exits ? ` (exit codes: ${exits})` : '');
  } else {
    const cause = field(error, 'Cause');
    detail = typeof cause === 'string' ? truncate(cause, MAX_REASON_LENGTH) : '(no cause)';
  }
  const where = placement === undefined ? '' : ` [ran on ${describePlacement(placement, record.size)}]`;
  return `Attempt ${record.attempt} failed with ${record.error}: ${detail} [rule: ${record.rule}]${where}`;
}

/** What the cause of a `policyDefaultsMismatch` decision adds: what happened, and what to do. */
function defaultsMismatch(id: string, defaults: PolicyDefaults | undefined): string {
  const own = defaults === undefined ? 'none' : truncate(defaults.id, MAX_DEFAULTS_ID_LENGTH);
  return ` The run sent its policy as a diff from default policy ${truncate(id, MAX_DEFAULTS_ID_LENGTH)}, but the decider has default policy ${own}: `
    + 'the execution started before an upgrade changed the defaults. Not retried: start a new execution to run with the deployed policy.';
}

/** E.g. `primary, size 1: 512 CPU, 1024 MiB`; the size only with a ladder. */
function describePlacement(placement: Placement, size: AttemptRecord['size']): string {
  return size === undefined ? placement.capacity : `${placement.capacity}, size ${placement.sizeIndex}: ${size.cpu} CPU, ${size.memoryMiB} MiB`;
}

function normalizePolicy(raw: unknown): DeciderPolicy {
  const maxAttempts = integerIn(field(raw, 'maxAttempts'), 1, MAX_ATTEMPTS_LIMIT, 1);
  const maxDelaySeconds = Math.min(numberAtLeast(field(raw, 'maxDelaySeconds'), 0, 0), MAX_DELAY_LIMIT_SECONDS);
  // Absent from policies without adaptive retries; absent keys stay absent.
  const sizes = normalizeSizes(field(raw, 'sizes'));
  const fallback = normalizeFallback(field(raw, 'fallback'));
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
    ...(sizes === undefined ? {} : { sizes }),
    ...(fallback === undefined ? {} : { fallback }),
  };
}

/**
 * A size ladder of at least two rungs, each with finite positive numbers; one malformed rung
 * drops the whole ladder, since escalating along a ladder with a gap would run the wrong size.
 */
function normalizeSizes(raw: unknown): RenderedSize[] | undefined {
  if (!Array.isArray(raw) || raw.length < 2) {
    return undefined;
  }
  const sizes: RenderedSize[] = [];
  for (const entry of raw) {
    const cpu = field(entry, 'cpu');
    const memoryMiB = field(entry, 'memoryMiB');
    const containerMemoryMiB = field(entry, 'containerMemoryMiB');
    if (!isPositive(cpu) || !isPositive(memoryMiB) || !Array.isArray(containerMemoryMiB) || !containerMemoryMiB.every(isPositive)) {
      return undefined;
    }
    sizes.push({ cpu, memoryMiB, containerMemoryMiB: [...containerMemoryMiB] });
  }
  return sizes;
}

/** Fallback rules from an object; a list it cannot read is empty. Absent unless an object. */
function normalizeFallback(raw: unknown): FallbackRules | undefined {
  if (!isRecord(raw)) {
    return undefined;
  }
  return {
    stopCodes: stringList(raw.stopCodes),
    stoppedReasons: stringList(raw.stoppedReasons).filter((p) => p !== ''),
    errorCauses: stringList(raw.errorCauses).filter((p) => p !== ''),
  };
}

/** Where the failed attempt ran; anything unreadable is the first rung on the primary target. */
function normalizePlacement(raw: unknown, sizes: RenderedSize[] | undefined): Placement {
  return {
    sizeIndex: integerIn(field(raw, 'sizeIndex'), 0, sizes === undefined ? 0 : sizes.length - 1, 0),
    capacity: field(raw, 'capacity') === 'fallback' ? 'fallback' : 'primary',
  };
}

function nextAttempt(placement: Placement, sizes: RenderedSize[] | undefined): NextAttempt {
  const size = sizes?.[placement.sizeIndex];
  return { ...placement, ...(size === undefined ? {} : { size }) };
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
    const size = recordedSize(entry.size);
    const capacity = recordedCapacity(entry.capacity);
    return {
      attempt: integerIn(entry.attempt, 0, Number.MAX_SAFE_INTEGER, 0),
      error: truncate(stringField(entry, 'error') ?? 'Unknown', MAX_NAME_LENGTH),
      ...(stopCode === undefined ? {} : { stopCode: truncate(stopCode, MAX_NAME_LENGTH) }),
      ...(stoppedReason === undefined ? {} : { stoppedReason: truncate(stoppedReason, reasonLength) }),
      ...(containerReason === undefined ? {} : { containerReason: truncate(containerReason, reasonLength) }),
      exitCodes: listOf(entry.exitCodes, isRecord)
        .filter((e) => Number.isInteger(e.exitCode))
        .slice(0, MAX_READ_CONTAINERS)
        .map((e) => ({ name: truncate(stringField(e, 'name') ?? '', MAX_CONTAINER_NAME_LENGTH), exitCode: e.exitCode as number })),
      rule: truncate(stringField(entry, 'rule') ?? 'unknown', MAX_RULE_LENGTH),
      retryable: entry.retryable === true,
      waitSeconds: numberAtLeast(entry.waitSeconds, 0, 0),
      ...(size === undefined ? {} : { size }),
      ...(capacity === undefined ? {} : { capacity }),
      ...(entry.shortened === true ? { shortened: true } : {}),
    };
  });
}

/**
 * Bounds a history's total size, not only its entries': the first entry and the latest
 * `WHOLE_LATEST_ENTRIES` stay whole, and every entry between them is made brief.
 */
function shapeHistory(history: AttemptRecord[]): AttemptRecord[] {
  return history.map((entry, i) => (i === 0 || i >= history.length - WHOLE_LATEST_ENTRIES ? entry : brief(entry)));
}

/**
 * What a history keeps of an attempt that is neither the first nor one of the latest: what
 * decided and what followed, without the reasons and exit codes, marked `shortened`.
 */
function brief(entry: AttemptRecord): AttemptRecord {
  return {
    attempt: entry.attempt,
    error: truncate(entry.error, BRIEF_NAME_LENGTH),
    ...(entry.stopCode === undefined ? {} : { stopCode: truncate(entry.stopCode, BRIEF_NAME_LENGTH) }),
    exitCodes: [],
    rule: truncate(entry.rule, BRIEF_RULE_LENGTH),
    retryable: entry.retryable,
    waitSeconds: entry.waitSeconds,
    ...(entry.size === undefined ? {} : { size: entry.size }),
    ...(entry.capacity === undefined ? {} : { capacity: entry.capacity }),
    shortened: true,
  };
}

function recordedSize(raw: unknown): AttemptRecord['size'] {
  const cpu = field(raw, 'cpu');
  const memoryMiB = field(raw, 'memoryMiB');
  return isFiniteNumber(cpu) && isFiniteNumber(memoryMiB) ? { cpu, memoryMiB } : undefined;
}

function recordedCapacity(raw: unknown): Capacity | undefined {
  return raw === 'primary' || raw === 'fallback' ? raw : undefined;
}

/**
 * Cuts `text` to at most `max` characters by removing its middle, marked with how much was cut.
 * Both ends survive: a stopped reason names the error type first and the root cause last.
 * Characters are Unicode code points, as JSONata counts them, so a cut never splits a surrogate
 * pair and both decision engines cut alike.
 */
export function truncate(text: string, max: number): string {
  // A string of at most `max` UTF-16 code units has at most `max` code points.
  if (text.length <= max) {
    return text;
  }
  const chars = Array.from(text);
  if (chars.length <= max) {
    return text;
  }
  const marker = `…[${chars.length - max} chars cut]…`;
  const keep = Math.max(0, max - marker.length);
  const head = Math.ceil(keep / 2);
  return chars.slice(0, head).join('') + marker + chars.slice(chars.length - (keep - head)).join('');
}

/**
 * A number as text, written as JSONata writes numbers into strings (15 significant digits), so
 * that both decision engines write the same rule and cause. Exit codes, the only numbers this
 * matters for, are 32-bit in practice.
 */
function numberText(n: number): string {
  return String(Number(n.toPrecision(15)));
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

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isPositive(value: unknown): value is number {
  return isFiniteNumber(value) && value > 0;
}

function numberAtLeast(value: unknown, min: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(value, min) : fallback;
}
