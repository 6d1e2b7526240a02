import type { DeciderPolicy } from '../decider/wire';

/**
 * The capped exponential backoff before the retry that follows `attempt`:
 * `min(maxDelay, interval × backoffRate^(attempt−1))`, then jitter. Whole seconds, as a Wait needs.
 *
 * The one formula of both decision engines: the Lambda decider calls it for each decision, and
 * the state machine engine carries its jitter-free values per attempt, computed by it at synth
 * time, and applies the same jitter.
 */
export function backoffSeconds(policy: DeciderPolicy, attempt: number, random: number): number {
  // No interval is no wait, however the rate grows: 0 × Infinity would be NaN.
  const exponential = policy.intervalSeconds === 0 ? 0 : policy.intervalSeconds * Math.pow(policy.backoffRate, Math.max(0, attempt - 1));
  const capped = Math.min(Math.floor(policy.maxDelaySeconds), Math.round(exponential));
  if (policy.jitter !== 'FULL') {
    return capped;
  }
  const r = Number.isFinite(random) ? Math.min(Math.max(random, 0), 1 - Number.EPSILON) : 0;
  return Math.min(capped, Math.floor(r * (capped + 1)));
}

/** The wait before each retry without jitter: entry `i` follows attempt `i + 1`. */
export function backoffSchedule(policy: DeciderPolicy): number[] {
  return Array.from({ length: Math.max(0, policy.maxAttempts - 1) }, (_, i) => backoffSeconds({ ...policy, jitter: 'NONE' }, i + 1, 0));
}
