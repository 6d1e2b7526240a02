import { Duration, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RetryableEcsRunTask, RetryableEcsRunTaskProps, RetryErrors } from '../../src';
import { failure, successTask } from '../support/fixtures';
import { executeLocally, ExecuteOptions, Outcome, renderedDefinition } from '../support/local-execution';
import { testEnvironment } from '../support/stack';

const ok: Outcome = { succeed: successTask() };
const fail = (name: string): Outcome => ({ fail: failure(name) });

/** Synthesizes a standalone run with a deterministic policy and executes it locally. */
function run(props: Partial<RetryableEcsRunTaskProps> | ((stack: Stack) => Partial<RetryableEcsRunTaskProps>), options: ExecuteOptions) {
  const { stack, cluster, taskDefinition } = testEnvironment();
  const extra = typeof props === 'function' ? props(stack) : props;
  new RetryableEcsRunTask(stack, 'Job', {
    cluster,
    taskDefinition,
    maxAttempts: 3,
    interval: Duration.seconds(10),
    backoffRate: 2,
    maxDelay: Duration.minutes(1),
    jitterStrategy: sfn.JitterType.NONE,
    retryableExitCodes: [75],
    ...extra,
  });
  return executeLocally(renderedDefinition(stack), options);
}

const attemptVariable = (input: any) =>
  input.Overrides.ContainerOverrides[0].Environment.find((e: any) => e.Name === 'RETRYABLE_ECS_RUN_TASK_ATTEMPT')?.Value;

// The decider logs one line per decision; keep test output readable.
beforeAll(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));

describe('a standalone RetryableEcsRunTask, executed locally', () => {
  test('succeeds on the first try without invoking the decider', async () => {
    const result = await run({}, { outcomes: [ok], input: { jobId: 'report-2026-11-24' } });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.runTaskCalls).toBe(1);
    expect(result.decisions).toHaveLength(0);
    // Start attempts, Run task, Record result.
    expect(result.transitions).toBe(3);
    expect(result.output).toEqual({
      jobId: 'report-2026-11-24',
      retryableEcsRunTask: { attempts: 1, history: [], task: successTask() },
    });
    expect(attemptVariable(result.runTaskInputs[0])).toBe('1');
  });

  test('retries a transient start failure, then succeeds', async () => {
    const result = await run({}, { outcomes: [fail('resource-initialization-error'), ok], input: { jobId: 'j' } });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.runTaskCalls).toBe(2);
    // Each retry adds Decide retry, Retry or fail, Back off, Next attempt and Run task.
    expect(result.transitions).toBe(3 + 5);
    expect(result.runTaskInputs.map(attemptVariable)).toEqual(['1', '2']);
    expect(result.output.jobId).toBe('j');
    expect(result.output.retryableEcsRunTask.attempts).toBe(2);
    expect(result.output.retryableEcsRunTask.task).toEqual(successTask());
    expect(result.output.retryableEcsRunTask.history).toEqual([{
      attempt: 1,
      error: 'States.TaskFailed',
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'ResourceInitializationError: failed to configure ENI: failed to setup regular eni: netplugin failed with no error message',
      exitCodes: [],
      rule: 'retryableStopCode:TaskFailedToStart',
      retryable: true,
      waitSeconds: 10,
    }]);
    // Working fields of the loop do not leak into the result.
    expect(Object.keys(result.output.retryableEcsRunTask).sort()).toEqual(['attempts', 'history', 'task']);
  });

  test('fails at once on an exit code that is not listed', async () => {
    const result = await run({}, { outcomes: [fail('exit-code-1')] });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(RetryErrors.NOT_RETRYABLE);
    expect(result.error).toBe('RetryableEcsRunTask.NotRetryable');
    expect(result.cause).toBe(
      'Attempt 1 failed with States.TaskFailed: EssentialContainerExited: Essential container in task exited (exit codes: app=1) [rule: noRetryableMatch]');
    expect(result.runTaskCalls).toBe(1);
  });

  test('gives up after exactly maxAttempts when a listed exit code repeats', async () => {
    const result = await run({}, { outcomes: [fail('sidecar-killed'), fail('sidecar-killed'), fail('sidecar-killed')] });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RetryableEcsRunTask.AttemptsExhausted');
    expect(result.cause).toMatch(/^Attempt 3 failed with States.TaskFailed: .*app=75, log-router=137.*retryableExitCode:75/);
    expect(result.runTaskCalls).toBe(3);
    expect(result.decisions.map((d) => d.waitSeconds)).toEqual([10, 20, 0]);
    expect(result.decisions.map((d) => d.retry)).toEqual([true, true, false]);
    expect(result.decisions[2].history.map((h) => h.attempt)).toEqual([1, 2, 3]);
  });

  test('retries RunTask throttling, which carries no task', async () => {
    const result = await run({}, { outcomes: [fail('ecs-api-throttled'), ok] });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output.retryableEcsRunTask.history).toEqual([
      expect.objectContaining({ attempt: 1, error: 'ECS.AmazonECSException', exitCodes: [], rule: 'retryableError:ECS.AmazonECSException', waitSeconds: 10 }),
    ]);
    expect(result.output.retryableEcsRunTask.history[0]).not.toHaveProperty('stopCode');
  });

  test('retries a capacity shortage reported as RunTask Failures', async () => {
    const result = await run({}, { outcomes: [fail('capacity-unavailable'), fail('capacity-unavailable'), ok] });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output.retryableEcsRunTask.history.map((h: any) => h.waitSeconds)).toEqual([10, 20]);
  });

  test('does not retry a Cause it cannot parse', async () => {
    const result = await run({}, { outcomes: [fail('non-json-cause')] });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RetryableEcsRunTask.NotRetryable');
    expect(result.cause).toBe('Attempt 1 failed with States.TaskFailed: Task failed: <html>502 Bad Gateway</html> [rule: unparseableCause]');
  });

  test('does not retry a missing image, by default', async () => {
    const result = await run({}, { outcomes: [fail('cannot-pull-not-found')] });
    expect(result).toMatchObject({ status: 'FAILED', error: 'RetryableEcsRunTask.NotRetryable', runTaskCalls: 1 });
    expect(result.cause).toMatch(/not found \[rule: nonRetryableStoppedReason:CannotPullContainerError:\*not found\*\]$/);
  });

  test('does not retry an attempt timeout', async () => {
    const result = await run({ attemptTimeout: Duration.hours(1) }, { outcomes: [fail('states-timeout')] });
    expect(result).toMatchObject({ status: 'FAILED', error: 'RetryableEcsRunTask.NotRetryable', runTaskCalls: 1 });
  });

  test('caps every wait at maxDelay', async () => {
    const result = await run(
      { maxAttempts: 5, interval: Duration.seconds(10), backoffRate: 3, maxDelay: Duration.seconds(40) },
      { outcomes: [fail('spot-interruption'), fail('spot-interruption'), fail('spot-interruption'), fail('spot-interruption'), ok] },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output.retryableEcsRunTask.history.map((h: any) => h.waitSeconds)).toEqual([10, 30, 40, 40]);
  });

  test('with FULL jitter, every wait is a whole number of seconds within the capped delay', async () => {
    const outcomes = [...Array(7)].map(() => fail('spot-interruption'));
    const result = await run(
      { maxAttempts: 8, jitterStrategy: sfn.JitterType.FULL, interval: Duration.seconds(10), backoffRate: 2, maxDelay: Duration.seconds(45) },
      { outcomes: [...outcomes, ok] },
    );
    const waits: number[] = result.output.retryableEcsRunTask.history.map((h: any) => h.waitSeconds);
    const caps = [10, 20, 40, 45, 45, 45, 45];
    waits.forEach((w, i) => {
      expect(Number.isInteger(w)).toBe(true);
      expect(w).toBeGreaterThanOrEqual(0);
      expect(w).toBeLessThanOrEqual(caps[i]);
    });
  });

  test('publishes success and failure to the topics, which may be the same', async () => {
    const props = (stack: Stack) => {
      const topic = new sns.Topic(stack, 'Topic');
      return { successTopic: topic, failureTopic: topic };
    };

    const succeeded = await run(props, { outcomes: [fail('spot-interruption'), ok] });
    expect(succeeded.published).toHaveLength(1);
    expect(succeeded.published[0].Message).toMatchObject({ status: 'SUCCEEDED', result: { attempts: 2 } });
    expect(succeeded.published[0].MessageAttributes.status).toEqual({ DataType: 'String', StringValue: 'SUCCEEDED' });

    const failed = await run(props, { outcomes: [fail('exit-code-1')] });
    expect(failed.status).toBe('FAILED');
    expect(failed.published).toHaveLength(1);
    expect(failed.published[0].Message).toMatchObject({
      status: 'FAILED', error: 'RetryableEcsRunTask.NotRetryable', attempts: 1, cause: failed.cause,
    });
    expect(failed.published[0].MessageAttributes.error.StringValue).toBe('RetryableEcsRunTask.NotRetryable');
  });
});

describe('the state machine does not trust the decider to terminate', () => {
  test('a decider that always says retry is stopped after maxAttempts', async () => {
    const alwaysRetry = async () => ({ retryable: true, retry: true, waitSeconds: 0, rule: 'liar', history: [], cause: 'lied' });
    const outcomes = [...Array(10)].map(() => fail('exit-code-1'));
    const result = await run({}, { outcomes, decider: alwaysRetry });
    expect(result).toMatchObject({ status: 'FAILED', error: 'RetryableEcsRunTask.AttemptsExhausted', runTaskCalls: 3 });
  });

  test.each([
    ['a wait above maxDelay', { retryable: true, retry: true, waitSeconds: 3600 }],
    ['a negative wait', { retryable: true, retry: true, waitSeconds: -5 }],
    ['a wait that is not a number', { retryable: true, retry: true, waitSeconds: 'soon' }],
    ['a flag that is not a boolean', { retryable: 'yes', retry: 'yes', waitSeconds: 1 }],
    ['retryable but no retry with attempts left', { retryable: true, retry: false, waitSeconds: 0 }],
  ])('%s fails the run as an invalid decision', async (_, decision) => {
    const decider = async () => ({ rule: 'odd', history: [], cause: 'odd', ...decision });
    const result = await run({}, { outcomes: [fail('spot-interruption')], decider });
    expect(result).toMatchObject({ status: 'FAILED', error: 'RetryableEcsRunTask.InvalidDecision', runTaskCalls: 1 });
  });

  test('a decision missing its fields fails the run instead of looping', async () => {
    const result = await run({}, { outcomes: [fail('spot-interruption')], decider: async () => ({}) });
    expect(result.status).toBe('FAILED');
    expect(result.runTaskCalls).toBe(1);
  });
});
