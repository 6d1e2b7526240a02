import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RetryableEcsRunTask, RetryErrors } from '../../src';
import { allFailures, failure, successTask } from '../support/fixtures';
import { executeLocally, Outcome, renderedDefinition } from '../support/local-execution';
import { MiniStack } from '../support/ministack';
import { deployToMiniStack, executeInMiniStack, MiniStackExecution, MiniStackScenario, runTaskMockConfig } from '../support/ministack-execution';
import { testEnvironment } from '../support/stack';

// A second interpreter for the state machine, which we did not write: MiniStack's Step Functions
// runs the rendered definition, and its Lambda service runs the shipped decider bundle in a Node.js
// worker, so nothing in the run is ours but the definition and the decider. Only the ECS task is
// mocked, per attempt, through MiniStack's Step Functions mock configuration.

const ok: Outcome = { succeed: successTask() };
const fail = (name: string): Outcome => ({ fail: failure(name) });

const MACHINE = 'RetryableEcsRunTask';
const MAX_ATTEMPTS = 3;

/** The standalone run of the other execution tests: a deterministic policy (no jitter). */
function definition() {
  const { stack, cluster, taskDefinition } = testEnvironment();
  new RetryableEcsRunTask(stack, 'Job', {
    cluster,
    taskDefinition,
    maxAttempts: MAX_ATTEMPTS,
    interval: Duration.seconds(10),
    backoffRate: 2,
    maxDelay: Duration.minutes(1),
    jitterStrategy: sfn.JitterType.NONE,
    retryableExitCodes: [75],
  });
  return renderedDefinition(stack);
}

const corpus = Object.keys(allFailures()).sort();
/** MiniStack reads its mock configuration once, at start, so every execution is known up front. */
const scenarios: Record<string, MiniStackScenario> = {
  'first-attempt': { outcomes: [ok], input: { jobId: 'report-2026-11-24' } },
  'transient-start-failure': { outcomes: [fail('resource-initialization-error'), ok], input: { jobId: 'j' } },
  'not-retryable': { outcomes: [fail('exit-code-1')] },
  'attempts-exhausted': { outcomes: [...Array(MAX_ATTEMPTS)].map(() => fail('spot-interruption')) },
  // Every failure in the corpus once, then success if the decider retries it.
  ...Object.fromEntries(corpus.map((name) => [`corpus-${name}`, { outcomes: [fail(name), ok], input: { fixture: name } }])),
};

const attemptVariable = (input: any) =>
  input.Overrides.ContainerOverrides[0].Environment.find((e: any) => e.Name === 'RETRYABLE_ECS_RUN_TASK_ATTEMPT')?.Value;

let rendered: ReturnType<typeof definition>;
let ministack: MiniStack | undefined;
let results: Record<string, MiniStackExecution>;
const seconds: Record<string, string> = {};

// One MiniStack for the file, and every execution in one SDK session: creating a botocore
// client takes most of a second, an execution about a tenth of one.
beforeAll(async () => {
  rendered = definition();
  let started = Date.now();
  const timed = (step: string) => {
    seconds[step] = ((Date.now() - started) / 1000).toFixed(1);
    started = Date.now();
  };
  ministack = await MiniStack.start(runTaskMockConfig(MACHINE, scenarios));
  timed('start');
  const stateMachineArn = await deployToMiniStack(ministack, MACHINE, rendered);
  timed('deploy');
  results = await executeInMiniStack(ministack, stateMachineArn, scenarios);
  timed(`${Object.keys(scenarios).length} executions`);
}, 120_000);

afterAll(async () => {
  await ministack?.stop();
  // What MiniStack adds to a test run, for the CI log.
  process.stderr.write(`MiniStack: ${Object.entries(seconds).map(([step, s]) => `${step} ${s}s`).join(', ')}\n`);
});

describe('a standalone RetryableEcsRunTask, executed in MiniStack', () => {
  test('succeeds on the first try without invoking the decider', () => {
    const result = results['first-attempt'];

    expect(result.status).toBe('SUCCEEDED');
    expect(result.runTaskCalls).toBe(1);
    expect(result.decisions).toHaveLength(0);
    // Start attempts, Run task, Record result.
    expect(result.transitions).toBe(3);
    expect(result.output).toEqual({
      jobId: 'report-2026-11-24',
      retryableEcsRunTask: { attempts: 1, history: [], task: successTask() },
    });
  });

  test('retries a transient start failure, then succeeds', () => {
    const result = results['transient-start-failure'];

    expect(result.status).toBe('SUCCEEDED');
    expect(result.runTaskCalls).toBe(2);
    expect(result.transitions).toBe(3 + 5);
    expect(result.output).toEqual({
      jobId: 'j',
      retryableEcsRunTask: {
        attempts: 2,
        task: successTask(),
        history: [{
          attempt: 1,
          error: 'States.TaskFailed',
          stopCode: 'TaskFailedToStart',
          stoppedReason: 'ResourceInitializationError: failed to configure ENI: failed to setup regular eni: netplugin failed with no error message',
          exitCodes: [],
          rule: 'retryableStopCode:TaskFailedToStart',
          retryable: true,
          waitSeconds: 10,
        }],
      },
    });
    expect(result.decisions.map((d) => [d.retry, d.waitSeconds])).toEqual([[true, 10]]);
  });

  test('fails at once on an exit code that is not listed', () => {
    const result = results['not-retryable'];

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(RetryErrors.NOT_RETRYABLE);
    expect(result.error).toBe('RetryableEcsRunTask.NotRetryable');
    expect(result.cause).toBe(
      'Attempt 1 failed with States.TaskFailed: EssentialContainerExited: Essential container in task exited (exit codes: app=1) [rule: noRetryableMatch]');
    expect(result.runTaskCalls).toBe(1);
    expect(result.decisions.map((d) => [d.retryable, d.retry])).toEqual([[false, false]]);
  });

  test('gives up after exactly maxAttempts when spot capacity keeps being reclaimed', () => {
    const result = results['attempts-exhausted'];

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(RetryErrors.ATTEMPTS_EXHAUSTED);
    expect(result.error).toBe('RetryableEcsRunTask.AttemptsExhausted');
    expect(result.cause).toMatch(/^Attempt 3 failed with States.TaskFailed: SpotInterruption: .*\[rule: retryableStopCode:SpotInterruption\]$/);
    expect(result.runTaskCalls).toBe(MAX_ATTEMPTS);
    expect(result.decisions.map((d) => [d.retry, d.waitSeconds])).toEqual([[true, 10], [true, 20], [false, 0]]);
    expect(result.decisions[2].history.map((h) => [h.attempt, h.rule, h.waitSeconds])).toEqual([
      [1, 'retryableStopCode:SpotInterruption', 10],
      [2, 'retryableStopCode:SpotInterruption', 20],
      [3, 'retryableStopCode:SpotInterruption', 0],
    ]);
  });
});

describe('MiniStack and aws-local-stepfunctions agree', () => {
  // The decider logs one line per decision in-process; keep test output readable.
  beforeAll(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));
  afterAll(() => jest.restoreAllMocks());

  test.each(Object.keys(scenarios))('%s', async (name) => {
    const inMiniStack = results[name];
    const local = await executeLocally(rendered, { outcomes: scenarios[name].outcomes, input: scenarios[name].input });

    expect({
      status: inMiniStack.status,
      output: inMiniStack.output,
      error: inMiniStack.error,
      cause: inMiniStack.cause,
      runTaskCalls: inMiniStack.runTaskCalls,
      transitions: inMiniStack.transitions,
      decisions: inMiniStack.decisions,
    }).toEqual({
      status: local.status,
      output: local.output,
      error: local.error,
      cause: local.cause,
      runTaskCalls: local.runTaskCalls,
      transitions: local.transitions,
      decisions: JSON.parse(JSON.stringify(local.decisions)),
    });
    // Each attempt's number reached the ECS task's parameters in the local run.
    expect(local.runTaskInputs.map(attemptVariable)).toEqual([...Array(local.runTaskCalls)].map((_, i) => String(i + 1)));
  });
});
