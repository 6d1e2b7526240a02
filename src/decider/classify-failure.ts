import { numberText, truncate } from './engine-text';
import { globMatches } from './glob';
import { MAX_NAME_LENGTH, MAX_READ_CONTAINERS } from './history-bounds';
import { readJson } from './json-text';
import { field, stringField } from './json-values';
import type { StoppedTask } from './stopped-task';
import type { DeciderPolicy, FallbackRules, Placement } from './wire';

/** Which rule decided a failure, and whether it is worth retrying. */
export interface Classification {
  readonly retryable: boolean;
  readonly rule: string;
  /** The container reason that decided, when a pattern matched it rather than the stopped reason. */
  readonly containerReason?: string;
  /** Whether the next attempt runs one size up the ladder. */
  readonly escalate?: boolean;
}

/** The case-insensitive start of every out-of-memory reason ECS writes. */
const OUT_OF_MEMORY_PREFIX = 'outofmemoryerror';

/** The first pattern that matches the stopped reason or a container reason, and which one it matched. */
interface ReasonMatch {
  readonly pattern: string;
  readonly containerReason?: string;
}

/**
 * Classifies a failure by the policy's rules, in order: permanent stopped reasons, out of memory
 * (with a size ladder), retryable stop codes, stopped reasons and exit codes, then, without a
 * stopped task, permanent error causes; then retryable error names.
 */
export function classify(
  policy: DeciderPolicy, placement: Placement, errorName: string, task: StoppedTask | undefined, cause: unknown,
): Classification {
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
      return decided(true, `retryableStopCode:${task.stopCode}`);
    }
    const transient = matchReasons(policy.retryableStoppedReasons, task);
    if (transient) {
      return matched(true, 'retryableStoppedReason', transient);
    }
    const exit = task.exits.find((e) => policy.retryableExitCodes.includes(e.exitCode));
    if (exit) {
      return decided(true, `retryableExitCode:${numberText(exit.exitCode)}`);
    }
  }
  if (!task && policy.nonRetryableErrorCauses.length > 0) {
    const permanent = matchErrorCause(policy.nonRetryableErrorCauses, cause);
    if (permanent) {
      return decided(false, `nonRetryableErrorCause:${permanent}`);
    }
  }
  if (policy.retryableErrors.includes(errorName)) {
    return decided(true, `retryableError:${truncate(errorName, MAX_NAME_LENGTH)}`);
  }
  if (task) {
    return decided(false, 'noRetryableMatch');
  }
  if (errorName === 'States.TaskFailed') {
    return decided(false, 'unparseableCause');
  }
  return decided(false, `errorNotRetryable:${truncate(errorName, MAX_NAME_LENGTH)}`);
}

/**
 * Whether a failure moves the next attempts to the fallback launch target: the stopped task's
 * stop code or a reason matches, or, without a stopped task, the error's cause does.
 */
export function matchesFallback(rules: FallbackRules, task: StoppedTask | undefined, cause: unknown): boolean {
  if (task) {
    return (task.stopCode !== undefined && rules.stopCodes.includes(task.stopCode)) || !!matchReasons(rules.stoppedReasons, task);
  }
  return rules.errorCauses.length > 0 && matchErrorCause(rules.errorCauses, cause) !== undefined;
}

/** A classification without a deciding container reason. */
function decided(retryable: boolean, rule: string): Classification {
  return { retryable, rule };
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
