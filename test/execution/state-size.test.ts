import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DecisionEngine, RetryableEcsRunTask, RetryErrors } from '../../src';
import { MAX_ATTEMPTS_LIMIT } from '../../src/decider/wire';
import { executeLocally, Outcome, renderedDefinition } from '../support/local-execution';
import { MiniStack } from '../support/ministack';
import { deployToMiniStack, executeInMiniStack, MiniStackExecution, runTaskMockConfig } from '../support/ministack-execution';
import { testEnvironment } from '../support/stack';
import { jsonBytes, worstCasePolicyProps, worstCaseTaskFailure } from '../support/worst-case';

// The largest state a run carries, executed: 50 attempts that each fail in the costliest way
// (test/support/worst-case.ts), on both decision engines, with 64 KiB of the user's own input.
// What the run adds must stay within 192 KiB, so that the user's input and the task result keep
// 64 KiB of Step Functions' 256 KiB.

const STATE_LIMIT = 262_144;
const RUN_BUDGET = 192 * 1024;
const USER_INPUT = { job: 'nightly-report', notes: 'n'.repeat(64 * 1024 - 40) };

const outcomes: Outcome[] = [...Array(MAX_ATTEMPTS_LIMIT).keys()].map((i) => ({ fail: worstCaseTaskFailure(i) }));

function definitionOf(decisionEngine: DecisionEngine) {
  const { stack, cluster, taskDefinition } = testEnvironment();
  new RetryableEcsRunTask(stack, 'Job', {
    cluster,
    taskDefinition,
    decisionEngine,
    ...worstCasePolicyProps(),
    interval: Duration.seconds(1),
    maxDelay: Duration.seconds(1),
    jitterStrategy: sfn.JitterType.NONE,
  });
  return renderedDefinition(stack);
}

/**
 * The largest input or output of any state in a MiniStack history, and the largest history the
 * run's variable holds: `Retry or fail` assigns the decision's history to it, so the largest
 * decision history in that state's inputs is the largest value of the variable.
 */
function peaks(execution: MiniStackExecution) {
  let state = 0;
  let variable = 0;
  for (const event of execution.events) {
    const details = event.stateEnteredEventDetails ?? event.stateExitedEventDetails;
    for (const data of [details?.input, details?.output]) {
      if (typeof data === 'string') {
        state = Math.max(state, Buffer.byteLength(data, 'utf8'));
      }
    }
    if (event.stateEnteredEventDetails?.name === 'Retry or fail') {
      variable = Math.max(variable, jsonBytes(JSON.parse(event.stateEnteredEventDetails.input).retryableEcsRunTask.failures.history));
    }
  }
  return { state, variable };
}

// The decider logs one line per decision in-process; keep test output readable.
beforeAll(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));
afterAll(() => jest.restoreAllMocks());

describe('50 worst-case attempts', () => {
  test('DecisionEngine.LAMBDA_FUNCTION: every state within the budget, the decider\'s payload within the limit', async () => {
    const result = await executeLocally(definitionOf(DecisionEngine.LAMBDA_FUNCTION), { outcomes, input: USER_INPUT });

    expect(result).toMatchObject({ status: 'FAILED', error: RetryErrors.ATTEMPTS_EXHAUSTED, runTaskCalls: MAX_ATTEMPTS_LIMIT });
    const history = result.decisions[MAX_ATTEMPTS_LIMIT - 1].history;
    expect(history).toHaveLength(MAX_ATTEMPTS_LIMIT);
    expect(history.filter((entry) => entry.shortened)).toHaveLength(MAX_ATTEMPTS_LIMIT - 3);
    const added = result.peakStateBytes - jsonBytes(USER_INPUT);
    expect(added).toBeLessThanOrEqual(RUN_BUDGET);
    expect(result.peakStateBytes).toBeLessThanOrEqual(STATE_LIMIT);
    const payload = Math.max(...result.taskCalls.filter((c) => c.state === 'Decide retry').map((c) => jsonBytes(c.input)));
    expect(payload).toBeLessThanOrEqual(STATE_LIMIT);
    process.stderr.write(`LAMBDA, 50 worst-case attempts: peak state ${result.peakStateBytes} B (${added} B added to the input), decider payload ${payload} B\n`);
  }, 120_000);

  describe('DecisionEngine.STATE_MACHINE, in MiniStack', () => {
    let ministack: MiniStack | undefined;
    let execution: MiniStackExecution;

    beforeAll(async () => {
      const scenarios = { 'worst-case': { outcomes, input: USER_INPUT } };
      ministack = await MiniStack.start(runTaskMockConfig('StateSize', scenarios));
      const arn = await deployToMiniStack(ministack, 'StateSize', definitionOf(DecisionEngine.STATE_MACHINE));
      execution = (await executeInMiniStack(ministack, arn, scenarios))['worst-case'];
    }, 240_000);

    afterAll(async () => {
      await ministack?.stop();
    });

    test('every state within the budget, and the history variable within its limit', () => {
      expect(execution).toMatchObject({ status: 'FAILED', error: RetryErrors.ATTEMPTS_EXHAUSTED, runTaskCalls: MAX_ATTEMPTS_LIMIT });
      const { state, variable } = peaks(execution);
      const added = state - jsonBytes(USER_INPUT);
      expect(added).toBeLessThanOrEqual(RUN_BUDGET);
      expect(state).toBeLessThanOrEqual(STATE_LIMIT);
      expect(variable).toBeLessThanOrEqual(STATE_LIMIT);
      process.stderr.write(`STATE_MACHINE, 50 worst-case attempts: peak state ${state} B (${added} B added to the input), largest variable ${variable} B\n`);
    });
  });
});
