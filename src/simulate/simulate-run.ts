import { decideAttempts, DecidedAttempt } from './decide-attempts';
import { describeJson, EXPECTED_FAILURE, FailurePayload, readFailure } from './failure-payload';
import { SimulatedAttempt, SimulatedRun } from './simulated-run';
import { POLICY_DEFAULTS } from '../decider/policy-defaults';
import type { DeciderPolicy, Placement } from '../decider/wire';
import { DecisionEngine } from '../engines/decision-engine';
import { policyDiff } from '../engines/lambda/policy-diff';
import { RetryErrors } from '../policy/retry-defaults';
import type { PolicyToken } from '../policy/synth-time-policy';

/** What a run's `simulate()` needs to know of it, captured when the run is built. */
export interface RunSimulation {
  /** The run's construct path, for messages. */
  readonly path: string;
  readonly engine: DecisionEngine;
  /** The run's whole policy, with its size ladder and fallback rules, as `renderRetryPolicy` and `AdaptivePlacement` render it. */
  readonly policy: DeciderPolicy;
  /** A prop of the policy given as a token: then the policy is known only at deploy. */
  readonly token?: PolicyToken;
  /** The size of every attempt of a run without a size ladder, each part when synth knows it. */
  readonly fixedSize: { readonly cpu?: number; readonly memoryMiB?: number };
}

/**
 * What the run does when attempt n fails with `failures[n-1]` and the attempt after the last
 * failure succeeds: decided by `decideAttempts`, with the decider's own code on the policy the
 * run's state machine carries (on the Lambda engine the diff `Decide retry` sends, merged over the
 * defaults the decider function has).
 */
export function simulateRun(run: RunSimulation, failures: string[]): SimulatedRun {
  if (run.token) {
    throw new Error(
      `\`simulate()\` of ${run.path} needs the retry policy at synth time, but \`${run.token.prop}\` is a token, got: a value known only at deploy. `
      + `Pass ${run.token.instead} in the stack you simulate, or test the policy after deploy.`,
    );
  }
  if (!Array.isArray(failures)) {
    throw new Error(`\`simulate()\` of ${run.path} takes a list of failures, each a JSON string, got: ${describeJson(failures)}.`);
  }
  const payloads = failures.map((text, i) => parseFailure(text, i));
  const lambda = run.engine === DecisionEngine.LAMBDA_FUNCTION;
  const sent = lambda ? policyDiff(run.policy) : run.policy;
  // No attempt follows the last one the policy allows.
  const decided = decideAttempts(sent, lambda ? POLICY_DEFAULTS : undefined, payloads.slice(0, run.policy.maxAttempts));

  const attempts: SimulatedAttempt[] = [];
  for (const attempt of decided.attempts) {
    attempts.push(failedAttempt(run, attempt));
    if (attempt.label !== 'RETRY') {
      return {
        status: 'FAILED',
        errorName: attempt.label === 'EXHAUSTED' ? RetryErrors.ATTEMPTS_EXHAUSTED : RetryErrors.NOT_RETRYABLE,
        cause: attempt.decision.cause,
        attempts,
      };
    }
  }
  attempts.push({ attempt: attempts.length + 1, outcome: 'SUCCEEDED', ...where(run, decided.next) });
  return { status: 'SUCCEEDED', attempts };
}

function failedAttempt(run: RunSimulation, { attempt, placement, decision, label, highestWaitSeconds }: DecidedAttempt): SimulatedAttempt {
  return {
    attempt,
    outcome: 'FAILED',
    decision: label,
    rule: decision.rule,
    ...(decision.retry ? { minWaitSeconds: decision.waitSeconds, maxWaitSeconds: highestWaitSeconds } : {}),
    ...where(run, placement),
  };
}

/** The launch target and size of an attempt at `placement`. */
function where(run: RunSimulation, placement: Placement): Pick<SimulatedAttempt, 'capacity' | 'cpu' | 'memoryMiB'> {
  const size = run.policy.sizes?.[placement.sizeIndex] ?? run.fixedSize;
  return {
    capacity: placement.capacity,
    ...(size.cpu !== undefined ? { cpu: size.cpu } : {}),
    ...(size.memoryMiB !== undefined ? { memoryMiB: size.memoryMiB } : {}),
  };
}

/** One failure, from its JSON text; a message that names its index otherwise. */
function parseFailure(text: unknown, index: number): FailurePayload {
  const expected = `\`failures[${index}]\` must be the JSON text of ${EXPECTED_FAILURE}`;
  if (typeof text !== 'string') {
    throw new Error(`${expected}, got: ${describeJson(text)}.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${expected}, got: text that is not JSON: ${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)}.`);
  }
  const failure = readFailure(value);
  if (!failure) {
    throw new Error(`${expected}, got: ${describeJson(value)}.`);
  }
  return failure;
}
