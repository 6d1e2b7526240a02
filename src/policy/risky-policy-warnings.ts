import { Annotations, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { RetryPolicyProps } from './retry-policy-props';

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
