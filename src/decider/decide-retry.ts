import { globMatches } from './glob';
import {
  BRIEF_NAME_LENGTH, BRIEF_RULE_LENGTH, MAX_CONTAINER_NAME_LENGTH, MAX_NAME_LENGTH, MAX_READ_CONTAINERS, MAX_REASON_LENGTH, MAX_RULE_LENGTH,
  WHOLE_LATEST_ENTRIES,
} from './history-bounds';
import { readJson } from './json-text';
import { field, integerIn, isFiniteNumber, isPositive, isRecord, listOf, numberAtLeast, stringField, stringList } from './json-values';
import { salvageStoppedTask } from './truncated-cause';
import { wholePolicy } from './whole-policy';
import { MAX_ATTEMPTS_LIMIT, MAX_DELAY_LIMIT_SECONDS } from './wire';
import type {
  AttemptRecord, Capacity, ContainerExit, Decision, DeciderPolicy, FallbackRules, NextAttempt, Placement, PolicyDefaults, RenderedSize,
} from './wire';
import { backoffSeconds } from '../policy/backoff';

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
  const placed = !!(policy.sizes || policy.fallback);
  const placement = normalizePlacement(input.placement, policy.sizes);

  // A diff from defaults the decider does not have cannot be decided: its lists are unknown.
  const classification: Classification = unknownDefaults === undefined
    ? classify(policy, placement, errorName, task, errorCause)
    : { retryable: false, rule: `policyDefaultsMismatch:${truncate(unknownDefaults, MAX_DEFAULTS_ID_LENGTH)}` };
  const { retryable, rule, containerReason, escalate } = classification;
  const retry = retryable && attempt < policy.maxAttempts;
  const waitSeconds = retry ? backoffSeconds(policy, attempt, input.random) : 0;

  const size = policy.sizes?.[placement.sizeIndex];
  const record = bounded({
    attempt,
    error: errorName,
    stopCode: task?.stopCode,
    stoppedReason: task?.stoppedReason,
    containerReason,
    exitCodes: task?.exits ?? [],
    rule,
    retryable,
    waitSeconds,
    size: size && { cpu: size.cpu, memoryMiB: size.memoryMiB },
    capacity: placed ? placement.capacity : undefined,
  });

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
    if (permanent) {
      return matched(false, 'nonRetryableStoppedReason', permanent);
    }
    // Only a size ladder makes out of memory a rule of its own; without one it is classified as before.
    const outOfMemory = policy.sizes && outOfMemoryReason(task);
    if (policy.sizes && outOfMemory) {
      const { containerReason } = outOfMemory;
      return placement.sizeIndex < policy.sizes.length - 1
        ? { retryable: true, rule: `outOfMemory:escalate to size ${placement.sizeIndex + 1}`, containerReason, escalate: true }
        : { retryable: false, rule: 'outOfMemoryAtLargestSize', containerReason };
    }
    if (task.stopCode !== undefined && policy.retryableStopCodes.includes(task.stopCode)) {
      return { retryable: true, rule: `retryableStopCode:${task.stopCode}` };
    }
    const transient = matchReasons(policy.retryableStoppedReasons, task);
    if (transient) {
      return matched(true, 'retryableStoppedReason', transient);
    }
    const exit = task.exits.find((e) => policy.retryableExitCodes.includes(e.exitCode));
    if (exit) {
      return { retryable: true, rule: `retryableExitCode:${numberText(exit.exitCode)}` };
    }
  }
  if (!task && policy.nonRetryableErrorCauses.length > 0) {
    const permanent = matchErrorCause(policy.nonRetryableErrorCauses, cause);
    if (permanent) {
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

/** The classification by the stopped-reason pattern that `match` found, e.g. `retryableStoppedReason:CannotPullContainerError:*`. */
function matched(retryable: boolean, rule: string, match: ReasonMatch): Classification {
  return { retryable, rule: `${rule}:${match.pattern}`, containerReason: match.containerReason };
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
  if (isOutOfMemory(task.stoppedReason ?? '')) {
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
    return (task.stopCode !== undefined && rules.stopCodes.includes(task.stopCode)) || !!matchReasons(rules.stoppedReasons, task);
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
    if (containerReason) {
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
  const json = typeof cause === 'string' ? readJson(cause) : { value: cause };
  // Step Functions writes RunTask's answer in PascalCase; the ECS API itself uses camelCase.
  const failures = json && (field(json.value, 'Failures') ?? field(json.value, 'failures'));
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
  let task = cause;
  if (typeof cause === 'string') {
    const json = readJson(cause);
    const salvaged = json ? undefined : salvageStoppedTask(cause);
    // What survives of a description cut short is read under the names of a whole one.
    task = json ? json.value : salvaged && { StopCode: salvaged.stopCode, StoppedReason: salvaged.stoppedReason, Containers: salvaged.containers };
  }
  const stopCode = stringField(task, 'StopCode');
  const stoppedReason = stringField(task, 'StoppedReason');
  const containers = field(task, 'Containers');
  // A task description names at least one of these; anything else is some other JSON.
  if (stopCode === undefined && stoppedReason === undefined && !Array.isArray(containers) && stringField(task, 'TaskArn') === undefined) {
    return undefined;
  }
  return { stopCode, stoppedReason, ...readContainers(containers) };
}

/** The non-empty reasons, and the integer exit codes by container name, of the first `MAX_READ_CONTAINERS` containers. */
function readContainers(value: unknown): Pick<StoppedTask, 'containerReasons' | 'exits'> {
  const containers = Array.isArray(value) ? value.slice(0, MAX_READ_CONTAINERS) : [];
  return {
    containerReasons: containers.map((container) => stringField(container, 'Reason')).filter((reason): reason is string => !!reason),
    exits: containers.filter((container) => Number.isInteger(field(container, 'ExitCode'))).map((container) => ({
      name: truncate(stringField(container, 'Name') ?? '', MAX_CONTAINER_NAME_LENGTH),
      exitCode: field(container, 'ExitCode') as number,
    })),
  };
}

function describe(record: AttemptRecord, error: unknown, task: StoppedTask | undefined, placement: Placement | undefined): string {
  let detail: string;
  if (task) {
    const exits = record.exitCodes.map((e) => `${e.name}=${numberText(e.exitCode)}`).join(', ');
    detail = [record.stopCode, record.stoppedReason ?? '(no stopped reason)'].filter((s) => s !== undefined).join(': ')
      + (record.containerReason ? ` (container reason: ${record.containerReason})` : '')
      + (exits ? ` (exit codes: ${exits})` : '');
  } else {
    const cause = field(error, 'Cause');
    detail = typeof cause === 'string' ? truncate(cause, MAX_REASON_LENGTH) : '(no cause)';
  }
  const where = placement ? ` [ran on ${describePlacement(placement, record.size)}]` : '';
  return `Attempt ${record.attempt} failed with ${record.error}: ${detail} [rule: ${record.rule}]${where}`;
}

/** What the cause of a `policyDefaultsMismatch` decision adds: what happened, and what to do. */
function defaultsMismatch(id: string, defaults: PolicyDefaults | undefined): string {
  const cut = (text: string) => truncate(text, MAX_DEFAULTS_ID_LENGTH);
  return ` The run's policy is a diff from default policy ${cut(id)}, but the decider has ${defaults ? cut(defaults.id) : 'none'}: `
    + 'the execution started before an upgrade changed the defaults. Start a new execution.';
}

/** E.g. `primary, size 1: 512 CPU, 1024 MiB`; the size only with a ladder. */
function describePlacement(placement: Placement, size: AttemptRecord['size']): string {
  return size ? `${placement.capacity}, size ${placement.sizeIndex}: ${size.cpu} CPU, ${size.memoryMiB} MiB` : placement.capacity;
}

function normalizePolicy(raw: unknown): DeciderPolicy {
  const policy = isRecord(raw) ? raw : {};
  const maxDelaySeconds = Math.min(numberAtLeast(policy.maxDelaySeconds, 0, 0), MAX_DELAY_LIMIT_SECONDS);
  return defined({
    maxAttempts: integerIn(policy.maxAttempts, 1, MAX_ATTEMPTS_LIMIT, 1),
    intervalSeconds: Math.min(numberAtLeast(policy.intervalSeconds, 0, 0), maxDelaySeconds),
    backoffRate: numberAtLeast(policy.backoffRate, 1, 1),
    maxDelaySeconds,
    jitter: policy.jitter === 'FULL' ? 'FULL' : 'NONE',
    retryableStopCodes: stringList(policy.retryableStopCodes),
    retryableStoppedReasons: patternList(policy.retryableStoppedReasons),
    nonRetryableStoppedReasons: patternList(policy.nonRetryableStoppedReasons),
    retryableExitCodes: listOf(policy.retryableExitCodes, (v): v is number => Number.isInteger(v)),
    retryableErrors: stringList(policy.retryableErrors),
    // Absent from payloads rendered before it existed: an empty list keeps their behaviour.
    nonRetryableErrorCauses: patternList(policy.nonRetryableErrorCauses),
    // Absent from policies without adaptive retries; absent keys stay absent.
    sizes: normalizeSizes(policy.sizes),
    fallback: normalizeFallback(policy.fallback),
  });
}

/** The non-empty strings of a list of patterns. */
function patternList(value: unknown): string[] {
  return stringList(value).filter((p) => p !== '');
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
  return { stopCodes: stringList(raw.stopCodes), stoppedReasons: patternList(raw.stoppedReasons), errorCauses: patternList(raw.errorCauses) };
}

/** Where the failed attempt ran; anything unreadable is the first rung on the primary target. */
function normalizePlacement(raw: unknown, sizes: RenderedSize[] | undefined): Placement {
  return {
    sizeIndex: integerIn(field(raw, 'sizeIndex'), 0, sizes ? sizes.length - 1 : 0, 0),
    capacity: field(raw, 'capacity') === 'fallback' ? 'fallback' : 'primary',
  };
}

function nextAttempt(placement: Placement, sizes: RenderedSize[] | undefined): NextAttempt {
  return defined({ ...placement, size: sizes?.[placement.sizeIndex] });
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
  return raw.filter(isRecord).slice(-keep).map((entry) => bounded({
    attempt: integerIn(entry.attempt, 0, Number.MAX_SAFE_INTEGER, 0),
    error: stringField(entry, 'error') ?? 'Unknown',
    stopCode: stringField(entry, 'stopCode'),
    stoppedReason: stringField(entry, 'stoppedReason'),
    containerReason: stringField(entry, 'containerReason'),
    exitCodes: listOf(entry.exitCodes, isRecord)
      .filter((e) => Number.isInteger(e.exitCode))
      .map((e) => ({ name: stringField(e, 'name') ?? '', exitCode: e.exitCode as number })),
    rule: stringField(entry, 'rule') ?? 'unknown',
    retryable: entry.retryable === true,
    waitSeconds: numberAtLeast(entry.waitSeconds, 0, 0),
    size: recordedSize(entry.size),
    capacity: recordedCapacity(entry.capacity),
    shortened: entry.shortened === true || undefined,
  }));
}

/**
 * Bounds a history's total size, not only its entries': the first entry and the latest
 * `WHOLE_LATEST_ENTRIES` stay whole, and every entry between them is made brief.
 */
function shapeHistory(history: AttemptRecord[]): AttemptRecord[] {
  return history.map((entry, i) => (i === 0 || i >= history.length - WHOLE_LATEST_ENTRIES ? entry : bounded(entry, true)));
}

/**
 * A history entry bounded field by field: its names, reasons and rule cut, at most
 * `MAX_READ_CONTAINERS` exit codes. A brief entry, for an attempt that is neither the first nor
 * one of the latest, keeps what decided and what followed, without the reasons and exit codes,
 * marked `shortened`. Fields that are undefined are left out.
 */
function bounded(entry: AttemptRecord, brief?: boolean): AttemptRecord {
  const name = brief ? BRIEF_NAME_LENGTH : MAX_NAME_LENGTH;
  // A deciding container reason shares the stopped reason's budget, so the history stays as bounded.
  const reason = entry.containerReason === undefined ? MAX_REASON_LENGTH : MAX_REASON_LENGTH / 2;
  const cut = (text: string | undefined, max: number) => (text === undefined ? undefined : truncate(text, max));
  return defined({
    attempt: entry.attempt,
    error: truncate(entry.error, name),
    stopCode: cut(entry.stopCode, name),
    stoppedReason: brief ? undefined : cut(entry.stoppedReason, reason),
    containerReason: brief ? undefined : cut(entry.containerReason, reason),
    exitCodes: brief ? [] : entry.exitCodes.slice(0, MAX_READ_CONTAINERS)
      .map((e) => ({ name: truncate(e.name, MAX_CONTAINER_NAME_LENGTH), exitCode: e.exitCode })),
    rule: truncate(entry.rule, brief ? BRIEF_RULE_LENGTH : MAX_RULE_LENGTH),
    retryable: entry.retryable,
    waitSeconds: entry.waitSeconds,
    size: entry.size,
    capacity: entry.capacity,
    shortened: brief || entry.shortened,
  });
}

/** `value` without its undefined fields, which JSON leaves out anyway: in-process readers see them absent too. */
function defined<T extends object>(value: T): T {
  const fields: Partial<T> = {};
  for (const key in value) {
    if (value[key] !== undefined) {
      fields[key] = value[key];
    }
  }
  return fields as T;
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
