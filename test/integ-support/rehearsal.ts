import { spawnSync } from 'child_process';
import { CONTAINER_NAME, caseScript, INTEG_POLICY, MODE_VARIABLE, RetryCase } from './retry-cases';
import { failure, successTask } from '../support/fixtures';
import { Outcome } from '../support/local-execution';

// What the offline dress rehearsals of both integ tests share: reading the assertion stack's
// custom resources, and the ECS outcomes of the integ test's container script, attempt by attempt.

/** The attempt-number variable the run passes to the container. */
export const ATTEMPT_VARIABLE = 'RETRYABLE_ECS_RUN_TASK_ATTEMPT';
/** The resource types of integ-tests' StartExecution and DescribeExecution calls. */
export const START_TYPE = 'Custom::DeployAssert@SdkCallStepFunctionsstartExecution';
export const DESCRIBE_TYPE = 'Custom::DeployAssert@SdkCallStepFunctionsdescribeExecution';

/** Custom resource properties encode every SDK parameter as JSON. */
export const decode = (value: unknown) => JSON.parse(value as string);

/** The ECS outcome of a container exit: success, or the `{ Error, Cause }` of a stopped task. */
export function outcomeOf(code: number): Outcome {
  if (code === 0) {
    return { succeed: successTask() };
  }
  const base = failure('exit-code-2');
  const task = JSON.parse(base.Cause);
  task.Containers = task.Containers.map((c: any) => ({ ...c, Name: CONTAINER_NAME, ExitCode: code }));
  return { fail: { Error: base.Error, Cause: JSON.stringify(task) } };
}

/** The exit code of the integ test's container script with `env`. */
export function scriptExit(env: Record<string, string>): number {
  return spawnSync('sh', ['-c', caseScript()], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } }).status as number;
}

/** The outcomes of a case: the script's exit for attempt 1, 2, ... until it succeeds. */
export function caseOutcomes(mode: RetryCase): Outcome[] {
  const outcomes: Outcome[] = [];
  for (let attempt = 1; attempt <= INTEG_POLICY.maxAttempts; attempt++) {
    const code = scriptExit({ [MODE_VARIABLE]: mode, [ATTEMPT_VARIABLE]: String(attempt) });
    outcomes.push(outcomeOf(code));
    if (code === 0) {
      break;
    }
  }
  return outcomes;
}

/** The fields of a DescribeExecution response (SDK v3 shape) that the expectations can see. */
export interface DescribeExecutionResponse {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: string;
  readonly startDate: Date;
  readonly stopDate?: Date;
  readonly input: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** What DescribeExecution returns for a finished execution of a case, from how it ended. */
export function describeResponse(
  mode: RetryCase, result: { status: string; output?: unknown; error?: string; cause?: string },
): DescribeExecutionResponse {
  return {
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:Job:${mode}`,
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Job',
    name: mode,
    status: result.status,
    startDate: new Date(0),
    stopDate: new Date(1000),
    input: JSON.stringify({ mode }),
    ...(result.status === 'SUCCEEDED' ? { output: JSON.stringify(result.output) } : { error: result.error, cause: result.cause }),
  };
}

/** Runs integ-tests-alpha's assertion handler on `actual`, as its waiter Lambda function would. */
export async function matches(expected: string, actual: unknown): Promise<boolean> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { AssertionHandler } = require('@aws-cdk/integ-tests-alpha/lib/assertions/providers/lambda-handler/assertion');
  const handler = new AssertionHandler({
    RequestType: 'Create',
    ResourceType: 'Custom::DeployAssert@AssertEquals',
    LogicalResourceId: 'Assertion',
    ResourceProperties: { ServiceToken: 'local', actual, expected },
  }, { getRemainingTimeInMillis: () => 60_000 });
  const result = await handler.handleIsComplete();
  return result.failed !== true && JSON.parse(result.assertion).status === 'success';
}
