import { OWN_DEFAULTS } from './engines/lambda-engine';
import { describeFailure, type TaskEnding } from './explain-execution';
import type { LaunchTarget } from './launch-targets';
import type { TemplateRun } from './template-runs';
import { backoffSeconds } from '../../src/decider/decide-retry';
import { MAX_ATTEMPTS_LIMIT } from '../../src/decider/wire';
import type { Capacity, DeciderPolicy } from '../../src/decider/wire';
import { decideAttempts, HIGHEST_RANDOM } from '../../src/simulate/decide-attempts';
import { EXPECTED_FAILURE, FailurePayload, readFailure as readPayload } from '../../src/simulate/failure-payload';
import { describeJson, InputError } from '../input-error';

/** What a run's policy does with one failure, at every attempt number. */
export interface PolicyExplanation {
  readonly mode: 'policy';
  readonly run: string;
  /** Where `run` comes from: see `TemplateRun.runFrom`. */
  readonly runFrom: TemplateRun['runFrom'];
  /** The prefix of the run's state names. */
  readonly statePrefix: string;
  /** `LAMBDA` or `STATE_MACHINE`; the decisions are `decideRetry`'s for both. */
  readonly engine: string;
  readonly template: string;
  readonly stateMachine: string;
  readonly state: string;
  /** The policy as the state machine carries it, made whole when it is a diff from the defaults. */
  readonly policy: unknown;
  /** For a policy sent as a diff: the id of its defaults, and where they were found. */
  readonly policyDefaults?: TemplateRun['policyDefaults'];
  /** Placeholders for values only deploy knows; the decisions treat them as the decider would. */
  readonly unresolved: string[];
  readonly failure: FailurePayload;
  /** How the failure reads: stop code, reasons, exit codes, or the API error's cause. */
  readonly reads: TaskEnding;
  readonly attempts: PolicyAttempt[];
  /** The wait before each retry, whatever the failure: without jitter one value, with full jitter a range. */
  readonly waitSchedule: Array<{ readonly beforeAttempt: number; readonly minSeconds: number; readonly maxSeconds: number }>;
}

export interface PolicyAttempt {
  readonly attempt: number;
  /**
   * Whether a run whose every attempt fails this way gets to this attempt. Past the first attempt
   * that is not retried, the decision is still shown: it is what that attempt number would get.
   */
  readonly reached: boolean;
  /** Where the attempt runs, for a run with `outOfMemorySizes` or a `fallbackLaunchTarget`. */
  readonly placement?: {
    readonly sizeIndex: number;
    /** `primary` or `fallback`: the launch target it runs on. */
    readonly capacity: Capacity;
    /** The state that runs it: `Run task`, or `Run task on fallback` (the `LAMBDA` engine's, on the fallback). */
    readonly state: string;
    /** The capacity provider or launch type that state runs the task on (`{}`: the cluster's default), when the definition says. */
    readonly launchTarget?: LaunchTarget;
    readonly size?: { readonly cpu: number; readonly memoryMiB: number };
  };
  readonly decision: string;
  readonly rule: string;
  readonly retryable: boolean;
  readonly retry: boolean;
  /** The wait before the next attempt, lowest and highest with jitter; absent without a retry. */
  readonly wait?: { readonly minSeconds: number; readonly maxSeconds: number };
  /** The cause a run that ends here fails with. */
  readonly cause: string;
}

export { EXPECTED_FAILURE };

/**
 * Accepts the Catch payload `{ Error, Cause }`, the `taskFailedEventDetails` of a history event
 * (`{ error, cause, resource, resourceType }`), or a whole history event that has one.
 */
export function readFailure(value: unknown): FailurePayload {
  const failure = readPayload(value);
  if (!failure) {
    throw new InputError(EXPECTED_FAILURE, describeJson(value));
  }
  return failure;
}

/**
 * Runs `decideRetry`, the decider's own code, on the failure at each attempt number from 1 to
 * `maxAttempts`, as if every attempt failed this way, with `decideAttempts`, which `simulate()`
 * decides with too: each attempt runs where the decision about the one before placed it, and
 * carries the history so far. Jitter is drawn at both ends of its range for the lowest and
 * highest wait.
 *
 * For both engines: the `STATE_MACHINE` engine's JSONata decision is rendered from the same
 * policy to decide as `decideRetry` does, and the library's differential tests hold the two to
 * the same answers.
 */
export function explainPolicy(found: TemplateRun, failure: FailurePayload): PolicyExplanation {
  if (found.policyDefaults && found.policyDefaults.from === undefined) {
    throw new InputError(
      `the defaults that the policy of ${found.run} is a diff from, to know its whole policy: the decider function in the same template, or this version of explain, has them`,
      `default policy ${found.policyDefaults.id}, which neither has (this version of explain has ${OWN_DEFAULTS.defaults.id}); `
      + 'explain the template with the version of cdk-retryable-ecs-run-task that synthesized it, or with the whole cdk.out of its stack',
    );
  }
  const policy = found.policy;
  const maxAttempts = maxAttemptsOf(policy);
  const adaptive = isRecord(policy) && (policy.sizes !== undefined || policy.fallback !== undefined);
  // The same decisions as `simulate()`'s, for a run whose every attempt fails this way.
  const decided = decideAttempts(policy, undefined, Array.from({ length: maxAttempts }, () => failure)).attempts;
  const attempts = decided.map(({ attempt, placement, size, decision, label, highestWaitSeconds }, i): PolicyAttempt => {
    const launchTarget = found.launchTargets[placement.capacity];
    return {
      attempt,
      reached: decided.slice(0, i).every((before) => before.decision.retry),
      ...(adaptive ? {
        placement: {
          ...placement,
          state: placement.capacity === 'fallback' ? found.fallbackState : `${found.statePrefix}Run task`,
          ...(launchTarget ? { launchTarget } : {}),
          ...(size ? { size } : {}),
        },
      } : {}),
      decision: label,
      rule: decision.rule,
      retryable: decision.retryable,
      retry: decision.retry,
      ...(decision.retry ? { wait: { minSeconds: decision.waitSeconds, maxSeconds: highestWaitSeconds } } : {}),
      cause: decision.cause,
    };
  });
  return {
    mode: 'policy',
    run: found.run,
    runFrom: found.runFrom,
    statePrefix: found.statePrefix,
    engine: found.engine,
    template: found.template,
    stateMachine: found.stateMachine,
    state: found.state,
    policy,
    ...(found.policyDefaults ? { policyDefaults: found.policyDefaults } : {}),
    unresolved: found.unresolved,
    failure,
    reads: describeFailure(failure, policy)!,
    attempts,
    waitSchedule: waitSchedule(policy, maxAttempts),
  };
}

/** `maxAttempts` as the decider reads it: an integer from 1 to the limit, else 1. */
function maxAttemptsOf(policy: unknown): number {
  const value = isRecord(policy) ? policy.maxAttempts : undefined;
  return typeof value === 'number' && Number.isInteger(value) ? Math.min(Math.max(value, 1), MAX_ATTEMPTS_LIMIT) : 1;
}

function waitSchedule(policy: unknown, maxAttempts: number): PolicyExplanation['waitSchedule'] {
  if (!isRecord(policy) || ![policy.intervalSeconds, policy.backoffRate, policy.maxDelaySeconds].every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return [];
  }
  const rendered = policy as unknown as DeciderPolicy;
  return Array.from({ length: maxAttempts - 1 }, (_, i) => ({
    beforeAttempt: i + 2,
    minSeconds: backoffSeconds(rendered, i + 1, 0),
    maxSeconds: backoffSeconds(rendered, i + 1, HIGHEST_RANDOM),
  }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
