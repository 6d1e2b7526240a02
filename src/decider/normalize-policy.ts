// The decider's inputs made well-formed: whatever a payload holds, the decision reads a policy, an
// attempt number and a placement within their bounds.
import { defined, field, integerIn, isPositive, isRecord, listOf, numberAtLeast, stringList } from './json-values';
import { MAX_ATTEMPTS_LIMIT, MAX_DELAY_LIMIT_SECONDS } from './wire';
import type { DeciderPolicy, FallbackRules, Placement, RenderedSize } from './wire';

/** A whole policy, each field within its bounds; a field it cannot read falls back to one attempt, no wait or an empty list. */
export function normalizePolicy(raw: unknown): DeciderPolicy {
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

/** An attempt number the decider cannot read counts as the last, so it never extends a run. */
export function normalizeAttempt(raw: unknown, maxAttempts: number): number {
  return typeof raw === 'number' && Number.isInteger(raw) && raw >= 1 ? raw : maxAttempts;
}

/** Where the failed attempt ran; anything unreadable is the first rung on the primary target. */
export function normalizePlacement(raw: unknown, sizes: RenderedSize[] | undefined): Placement {
  return {
    sizeIndex: integerIn(field(raw, 'sizeIndex'), 0, sizes ? sizes.length - 1 : 0, 0),
    capacity: field(raw, 'capacity') === 'fallback' ? 'fallback' : 'primary',
  };
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
