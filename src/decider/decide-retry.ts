import { classify, matchesFallback } from './classify-failure';
import type { Classification } from './classify-failure';
import { defaultsMismatch, describeFailure, MAX_DEFAULTS_ID_LENGTH } from './decision-cause';
import { truncate } from './engine-text';
import { bounded, normalizeHistory, shapeHistory } from './history';
import { MAX_REASON_LENGTH } from './history-bounds';
import { defined, field, stringField } from './json-values';
import { normalizeAttempt, normalizePlacement, normalizePolicy } from './normalize-policy';
import { parseStoppedTask } from './stopped-task';
import { wholePolicy } from './whole-policy';
import type { Decision, NextAttempt, Placement, PolicyDefaults, RenderedSize } from './wire';
import { backoffSeconds } from '../policy/backoff';

/** Re-exported for the tests, the bench and the CLI, which know the formula, the bounds and the cut as the decider's. */
export { backoffSeconds, MAX_REASON_LENGTH, truncate };

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
  const cause = describeFailure(record, input.error, task, placed ? placement : undefined)
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

function nextAttempt(placement: Placement, sizes: RenderedSize[] | undefined): NextAttempt {
  return defined({ ...placement, size: sizes?.[placement.sizeIndex] });
}
