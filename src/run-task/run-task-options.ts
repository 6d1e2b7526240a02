import { Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { TaskResult } from './task-result';
import { isJsonataExpression } from '../engines/state-machine/jsonata-expressions';
import { RetryableEcsRunTaskOptions } from '../retryable-ecs-run-task-options';

const POSITIVE_INTEGER = /^[1-9][0-9]*$/;

/**
 * Validates the options of the RunTask state: those that pass through to CDK's `EcsRunTask`
 * unchanged, where CDK itself would accept a value that RunTask rejects at run time, and
 * `taskResult`.
 */
export function checkRunTaskOptions(props: RetryableEcsRunTaskOptions): void {
  const { revisionNumber, cpu, memoryMiB, propagatedTagSource } = props;
  if (revisionNumber !== undefined && !Token.isUnresolved(revisionNumber) && !(Number.isInteger(revisionNumber) && revisionNumber >= 1)) {
    throw new Error(`\`revisionNumber\` must be a positive integer, got: ${revisionNumber}.`);
  }
  for (const [prop, value] of [['cpu', cpu], ['memoryMiB', memoryMiB]] as const) {
    // A JSONata expression is the state machine engine's to read; the Lambda engine rejects it with its own error.
    if (value !== undefined && !Token.isUnresolved(value) && !isJsonataExpression(value) && !POSITIVE_INTEGER.test(value)) {
      throw new Error(`\`${prop}\` must be a positive whole number as a string, as in CDK's EcsRunTask, got: ${JSON.stringify(value)}.`);
    }
  }
  if (props.taskResult !== undefined && !(props.taskResult instanceof TaskResult)) {
    throw new Error(`\`taskResult\` must be TaskResult.FULL or TaskResult.SUMMARY, got: ${JSON.stringify(props.taskResult)}.`);
  }
  if (propagatedTagSource === ecs.PropagatedTagSource.SERVICE) {
    throw new Error('`propagatedTagSource` cannot be SERVICE for a task run by RunTask, got: SERVICE. Use TASK_DEFINITION, or leave it unset.');
  }
}
