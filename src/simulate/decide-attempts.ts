import type { FailurePayload } from './failure-payload';
import { decideRetry } from '../decider/decide-retry';
import { isRecord } from '../decider/json-values';
import { wholePolicy } from '../decider/whole-policy';
import type { Decision, Placement, PolicyDefaults } from '../decider/wire';

// No aws-cdk-lib here: the `explain` command bundles this module. `simulate()` and
// `explain --template --failure` both decide a run's attempts here, with the decider's own code.

/** The largest `random` below 1: `decideRetry` takes jitter from [0, 1). */
export const HIGHEST_RANDOM = 1 - Number.EPSILON;

/** `RETRY`, `NOT_RETRYABLE` or `EXHAUSTED`: what the run does after a failed attempt. */
export type DecisionLabel = 'RETRY' | 'NOT_RETRYABLE' | 'EXHAUSTED';

/** One failed attempt and what the run's policy does with it. */
export interface DecidedAttempt {
  /** 1-based. */
  readonly attempt: number;
  /** Where the attempt ran: its rung on the size ladder and its launch target. */
  readonly placement: Placement;
  /** The size it ran at, from the policy's size ladder; absent without one. */
  readonly size?: { readonly cpu: number; readonly memoryMiB: number };
  readonly failure: FailurePayload;
  /** The decision with the lowest jitter (`random` 0): its `waitSeconds` is the shortest wait. */
  readonly decision: Decision;
  readonly label: DecisionLabel;
  /** The wait with the highest jitter; the same as `decision.waitSeconds` without jitter. */
  readonly highestWaitSeconds: number;
}

/** The attempts decided, and where the attempt after the last one runs. */
export interface DecidedAttempts {
  readonly attempts: DecidedAttempt[];
  /** Where the next attempt runs: moved by the last retry, else where the last attempt ran. */
  readonly next: Placement;
}

/** What the run does after a decision. */
export function decisionLabel(decision: Pick<Decision, 'retry' | 'retryable'>): DecisionLabel {
  return decision.retry ? 'RETRY' : decision.retryable ? 'EXHAUSTED' : 'NOT_RETRYABLE';
}

/**
 * Runs `decideRetry`, the decider's own code, on attempt n failing with `failures[n-1]`, as the
 * run's state machine does: each attempt runs where the decision about the one before placed
 * it, and carries the history so far. Every failure given is decided, also past an attempt that
 * is not retried (which a run would not reach): each later attempt then runs where the last
 * retry placed it. Jitter is drawn at both ends of its range, for the shortest and longest wait;
 * the rest of the decision must not depend on it.
 *
 * @param policy the policy as the run's state machine carries it: whole, or a diff from `defaults`
 * @param defaults the defaults a diff is merged over, as the decider's environment has them
 */
export function decideAttempts(policy: unknown, defaults: PolicyDefaults | undefined, failures: readonly FailurePayload[]): DecidedAttempts {
  const sizes = sizesOf(wholePolicy(policy, defaults).policy);
  let placement: Placement = { sizeIndex: 0, capacity: 'primary' };
  let history: unknown = [];
  const attempts: DecidedAttempt[] = [];
  failures.forEach((failure, i) => {
    const attempt = i + 1;
    const inputs = { policy, defaults, attempt, error: failure, history, placement };
    const low = decideRetry({ ...inputs, random: 0 });
    const high = decideRetry({ ...inputs, random: HIGHEST_RANDOM });
    checkJitterOnlyWaits(low, high, attempt);
    const size = sizes[placement.sizeIndex];
    attempts.push({
      attempt,
      placement,
      ...(size ? { size } : {}),
      failure,
      decision: low,
      label: decisionLabel(low),
      highestWaitSeconds: high.waitSeconds,
    });
    history = low.history;
    if (low.retry && low.next) {
      placement = { sizeIndex: low.next.sizeIndex, capacity: low.next.capacity };
    }
  });
  return { attempts, next: placement };
}

/** The size of each rung of a policy's ladder, as the decider reads it: only a ladder of 2 or more. */
function sizesOf(policy: unknown): Array<{ cpu: number; memoryMiB: number } | undefined> {
  const sizes = isRecord(policy) && Array.isArray(policy.sizes) && policy.sizes.length >= 2 ? policy.sizes : [];
  return sizes.map((size: unknown) =>
    (isRecord(size) && typeof size.cpu === 'number' && typeof size.memoryMiB === 'number' ? { cpu: size.cpu, memoryMiB: size.memoryMiB } : undefined));
}

/** Jitter draws the wait, and nothing else: a decision that differs otherwise is a bug of the decider. */
function checkJitterOnlyWaits(low: Decision, high: Decision, attempt: number): void {
  const decided = (d: Decision) => JSON.stringify([d.retry, d.retryable, d.rule, d.cause, d.next]);
  if (decided(low) !== decided(high)) {
    throw new Error(`The decision about attempt ${attempt} depends on jitter: ${decided(low)} with the lowest, ${decided(high)} with the highest. This is a bug.`);
  }
}
