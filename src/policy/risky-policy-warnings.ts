import { Annotations, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { RetryPolicyProps } from './retry-policy-props';
import type { DeciderPolicy } from '../decider/wire';

/**
 * How many patterns a `DecisionEngine.STATE_MACHINE` policy may hold before synth warns. Each
 * pattern adds up to about 130 evaluation steps to the costliest failure (every pattern tried
 * against the stopped reason and 10 container reasons); the defaults hold about 30, and their
 * costliest failure takes under 10,000 steps (`test/engines/evaluation-budget.test.ts`).
 */
export const MAX_PATTERNS_WITHOUT_WARNING = 100;

/** Legal policies that probably do not do what their author meant: warn at synth time. */
export function warnAboutRiskyPolicy(scope: Construct, props: RetryPolicyProps, maxAttempts: number) {
  const warn = (id: string, message: string) => Annotations.of(scope).addWarningV2(`cdk-retryable-ecs-run-task:${id}`, message);
  const listsGiven = [props.retryableStopCodes, props.retryableStoppedReasons, props.retryableExitCodes, props.retryableErrors]
    .some((list) => list !== undefined && list.length > 0);
  if (maxAttempts === 1 && listsGiven) {
    warn('maxAttemptsOneWithRetryLists', '`maxAttempts` is 1, so nothing is retried, yet retryable lists are set. Raise `maxAttempts` or drop the lists.');
  }
  if (props.retryableExitCodes?.includes(0)) {
    warn('exitCodeZeroRetryable',
      '`retryableExitCodes` lists 0: a failed task in which any container (a sidecar, say) exited cleanly would be retried. List only failure codes.');
  }
  const starOnly = (pattern: string) => !Token.isUnresolved(pattern) && /^\*+$/.test(pattern);
  if (props.retryableStoppedReasons?.some(starOnly)) {
    warn('retryEveryStoppedReason', '`retryableStoppedReasons` has a pattern of only `*`: every stopped task is retried, including failures of the job itself.');
  }
  if (props.nonRetryableStoppedReasons?.some(starOnly)) {
    warn('retryNoStoppedReason', '`nonRetryableStoppedReasons` has a pattern of only `*`: no stopped task is ever retried.');
  }
}

/**
 * A `DecisionEngine.STATE_MACHINE` policy so long that its costliest failure would take a large
 * share of Step Functions' time bound on one JSONata evaluation: warn at synth time.
 */
export function warnAboutSlowDecision(scope: Construct, policy: DeciderPolicy) {
  const patterns = policy.retryableStoppedReasons.length + policy.nonRetryableStoppedReasons.length + policy.nonRetryableErrorCauses.length
    + (policy.fallback ? policy.fallback.stoppedReasons.length + policy.fallback.errorCauses.length : 0);
  if (patterns > MAX_PATTERNS_WITHOUT_WARNING) {
    Annotations.of(scope).addWarningV2('cdk-retryable-ecs-run-task:manyPatterns',
      `The retry policy holds ${patterns} stopped-reason and cause patterns. With \`decisionEngine: DecisionEngine.STATE_MACHINE\`, each adds up to about 130 steps `
      + `to the JSONata evaluation of the costliest failure, which Step Functions bounds in time; more than ${MAX_PATTERNS_WITHOUT_WARNING} come near that bound. `
      + 'Merge patterns into broader ones, or use `DecisionEngine.LAMBDA_FUNCTION`.');
  }
}
