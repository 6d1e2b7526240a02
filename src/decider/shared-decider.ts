import { Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DeciderFunction } from './decider-function';

/** Construct id of the decider, one per stack. */
const DECIDER_ID = 'RetryableEcsRunTaskDecider';

/**
 * The stack's one retry decider, created on first use. Every retrying run in the stack invokes
 * it with its own policy in the payload, so N runs add no Lambda functions beyond the first.
 */
export function sharedDecider(scope: Construct): lambda.IFunction {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(DECIDER_ID);
  if (existing) {
    return existing as lambda.IFunction;
  }
  return new DeciderFunction(stack, DECIDER_ID, {
    description: 'Decides whether a failed ECS task attempt is retried (cdk-retryable-ecs-run-task)',
    memorySize: 128,
    timeout: Duration.seconds(10),
    logGroup: new logs.LogGroup(stack, `${DECIDER_ID}Logs`, {
      retention: logs.RetentionDays.ONE_MONTH,
    }),
  });
}
