import type { StateMachineDefinition } from 'aws-local-stepfunctions' with { 'resolution-mode': 'require' };
import { historyLimitViolations, localExecutionViolations } from '../support/execution-limits';
import { takeUnexpectedLimitFailures } from '../support/limit-failures';
import { executeLocally } from '../support/local-execution';
import { MiniStack } from '../support/ministack';
import { deployToMiniStack, executeInMiniStack, MiniStackScenario, runTaskMockConfig } from '../support/ministack-execution';
import { MAX_PAYLOAD_BYTES, MAX_VARIABLE_BYTES, StepFunctionsLimitError } from '../support/step-functions-limits';

// The checks that executeLocally and executeInMiniStack put on every execution: each input,
// output, task parameters and result at most 262,144 bytes of UTF-8 JSON, each variable and each
// Assign at most 262,144 bytes.

const PAYLOAD_LIMIT = "over Step Functions' maximum input or output size for a task, state, or execution of 262,144 bytes";

/** One Pass state whose output is a JSON string of exactly `bytes` bytes, of `char` repeated. */
function passWithOutputOf(bytes: number, char = 'x'): StateMachineDefinition {
  const charBytes = Buffer.byteLength(char);
  expect((bytes - 2) % charBytes).toBe(0);
  return { StartAt: 'Big output', States: { 'Big output': { Type: 'Pass', Result: char.repeat((bytes - 2) / charBytes), End: true } } } as StateMachineDefinition;
}

describe('aws-local-stepfunctions (executeLocally)', () => {
  test(`a state output of ${MAX_PAYLOAD_BYTES.toLocaleString('en-US')} bytes passes`, async () => {
    const result = await executeLocally(passWithOutputOf(MAX_PAYLOAD_BYTES), { outcomes: [] });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.peakStateBytes).toBe(MAX_PAYLOAD_BYTES);
    expect(result.dataLimitViolations).toEqual([]);
  });

  test('one byte more fails the execution, naming it, the state and the size', async () => {
    const run = executeLocally(passWithOutputOf(MAX_PAYLOAD_BYTES + 1), { name: 'big output', outcomes: [] });

    await expect(run).rejects.toThrow(StepFunctionsLimitError);
    await expect(run).rejects.toThrow(
      `execution "big output" (aws-local-stepfunctions), state "Big output": the output is 262,145 bytes, ${PAYLOAD_LIMIT}`);
    await expect(run).rejects.toThrow(`execution "big output" (aws-local-stepfunctions): the execution output is 262,145 bytes, ${PAYLOAD_LIMIT}`);
    // Recorded too, so that a test that catches the failure still fails (the setup file's afterEach); taken here.
    expect(takeUnexpectedLimitFailures()).toHaveLength(1);
  });

  test('sizes are bytes of UTF-8: 131,071 ü pass, 131,072 do not', async () => {
    await executeLocally(passWithOutputOf(MAX_PAYLOAD_BYTES, 'ü'), { outcomes: [] });
    await expect(executeLocally(passWithOutputOf(MAX_PAYLOAD_BYTES + 2, 'ü'), { outcomes: [] })).rejects.toThrow(/the output is 262,146 bytes/);
    takeUnexpectedLimitFailures();
  });

  test('by default the execution is named after the test', async () => {
    await expect(executeLocally(passWithOutputOf(MAX_PAYLOAD_BYTES + 1), { outcomes: [] }))
      .rejects.toThrow('execution "aws-local-stepfunctions (executeLocally) by default the execution is named after the test" (aws-local-stepfunctions)');
    takeUnexpectedLimitFailures();
  });

  test('expectDataLimitExceeded returns the violations instead, and fails when there are none', async () => {
    const result = await executeLocally(passWithOutputOf(MAX_PAYLOAD_BYTES + 1), { outcomes: [], expectDataLimitExceeded: true });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.dataLimitViolations.map((v) => [v.state, v.what, v.size])).toEqual([
      ['Big output', 'the output', MAX_PAYLOAD_BYTES + 1],
      [undefined, 'the execution output', MAX_PAYLOAD_BYTES + 1],
    ]);

    await expect(executeLocally(passWithOutputOf(MAX_PAYLOAD_BYTES), { outcomes: [], expectDataLimitExceeded: true }))
      .rejects.toThrow(/expected \(expectDataLimitExceeded\) to exceed a Step Functions data limit/);
  });

  test('inputs, Map iterations and task parameters and results count too', () => {
    const big = 'x'.repeat(MAX_PAYLOAD_BYTES);
    const events = [
      { type: 'ExecutionStarted', input: { big } },
      { type: 'StateEntered', state: { name: 'Each partition', input: { big } } },
      { type: 'StateExited', index: 3, state: { name: 'Job: Record result', output: [big] } },
    ];
    const calls = [{ state: 'Job: Decide retry', input: { Payload: big }, output: { Payload: 'small' } }, { state: 'Job: Run task', input: {}, output: big }];

    expect(localExecutionViolations('execution "e"', events, calls).map((v) => [v.state, v.what])).toEqual([
      [undefined, 'the execution input'],
      ['Each partition', 'the input'],
      ['Job: Record result', 'the output (Map iteration 3)'],
      ['Job: Decide retry', 'the task input (parameters)'],
      ['Job: Run task', 'the task result'],
    ]);
  });
});

describe('execution histories (MiniStack, executeInMiniStack)', () => {
  /** JSON as MiniStack's Python writes it: `json.dumps` with spaces after separators and `\u` escapes. */
  const pythonJson = (value: unknown) => JSON.stringify(value, null, 1).replace(/\n */g, ' ').replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const history = (...events: any[]) => [
    { type: 'ExecutionStarted', executionStartedEventDetails: { input: '{}' } },
    ...events,
    { type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: '{}' } },
  ];
  const entered = (name: string, input: unknown = {}) => ({ type: 'PassStateEntered', stateEnteredEventDetails: { name, input: pythonJson(input) } });
  const exited = (name: string, output: unknown = {}, assignedVariables?: Record<string, unknown>) => ({
    type: 'PassStateExited',
    stateExitedEventDetails: {
      name,
      output: pythonJson(output),
      ...(assignedVariables ? { assignedVariables: Object.fromEntries(Object.entries(assignedVariables).map(([k, v]) => [k, pythonJson(v)])) } : {}),
    },
  });
  /** A JSON string of exactly `bytes` bytes of compact UTF-8. */
  const jsonString = (bytes: number, char = 'x') => char.repeat((bytes - 2) / Buffer.byteLength(char));

  test('a history within the limits has no violations, measured as AWS measures it (compact UTF-8, not MiniStack\'s escapes)', () => {
    const value = jsonString(MAX_PAYLOAD_BYTES, 'ü');
    // MiniStack's text is three times as long: \u00fc for each ü.
    expect(pythonJson(value).length).toBe(3 * (MAX_PAYLOAD_BYTES - 2) + 2);
    expect(historyLimitViolations('execution "e"', history(entered('A', value), exited('A', value, { history: value })))).toEqual([]);
  });

  test('each input, output, task parameters, task result and variable over the limit is named with its state and size', () => {
    const over = jsonString(MAX_PAYLOAD_BYTES + 2, 'ü');
    const events = history(
      entered('Start attempts', over),
      exited('Start attempts', {}, { retry_history: over }),
      entered('Decide retry'),
      { type: 'TaskScheduled', taskScheduledEventDetails: { resource: 'invoke', parameters: pythonJson({ Payload: over }) } },
      { type: 'TaskSucceeded', taskSucceededEventDetails: { output: pythonJson(over) } },
      exited('Decide retry', over),
    );

    const violations = historyLimitViolations('execution "exhausted" (MiniStack)', events);

    expect(violations.map((v) => [v.state, v.what, v.size, v.limit])).toEqual([
      ['Start attempts', 'the input', MAX_PAYLOAD_BYTES + 2, MAX_PAYLOAD_BYTES],
      ['Start attempts', 'variable $retry_history', MAX_PAYLOAD_BYTES + 2, MAX_VARIABLE_BYTES],
      ['Start attempts', 'the variables it assigns ($retry_history)', MAX_PAYLOAD_BYTES + 2, MAX_VARIABLE_BYTES],
      ['Decide retry', 'the task input (parameters)', MAX_PAYLOAD_BYTES + 2 + '{"Payload":}'.length, MAX_PAYLOAD_BYTES],
      ['Decide retry', 'the task result', MAX_PAYLOAD_BYTES + 2, MAX_PAYLOAD_BYTES],
      ['Decide retry', 'the output', MAX_PAYLOAD_BYTES + 2, MAX_PAYLOAD_BYTES],
    ]);
  });

  test('variables each within the limit can exceed it together in one Assign', () => {
    const half = jsonString(MAX_PAYLOAD_BYTES / 2 + 2);
    const violations = historyLimitViolations('execution "e"', history(entered('A'), exited('A', {}, { first: half, second: half })));
    expect(violations.map((v) => [v.what, v.size])).toEqual([['the variables it assigns ($first, $second)', MAX_PAYLOAD_BYTES + 4]]);
  });

  describe('in MiniStack itself', () => {
    const MACHINE = 'limits';
    /** The bytes of the Run task state's arguments besides its padding. */
    const ARGUMENTS_BYTES = Buffer.byteLength(JSON.stringify({ Cluster: 'jobs', Overrides: '' }));
    // A JSONata workflow: a variable of `bytes` and task parameters of `bytes`, built in the state, not carried in its input.
    const definition = (bytes: number) => ({
      QueryLanguage: 'JSONata',
      StartAt: 'Remember',
      States: {
        'Remember': { Type: 'Pass', Assign: { big: `{% $pad('', ${bytes - 2}, 'x') %}` }, Next: 'Run task' },
        'Run task': {
          Type: 'Task',
          Resource: 'arn:aws:states:::ecs:runTask.sync',
          Arguments: { Cluster: 'jobs', Overrides: `{% $pad('', ${bytes - ARGUMENTS_BYTES}, 'y') %}` },
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Done' }],
          Next: 'Done',
        },
        'Done': { Type: 'Succeed' },
      },
    }) as unknown as StateMachineDefinition;
    const failed: MiniStackScenario = { outcomes: [{ fail: { Error: 'States.TaskFailed', Cause: '{}' } }] };
    let ministack: MiniStack | undefined;
    let within: string;
    let over: string;

    beforeAll(async () => {
      ministack = await MiniStack.start({
        StateMachines: {
          ...runTaskMockConfig(`${MACHINE}-within`, { failed }).StateMachines,
          ...runTaskMockConfig(`${MACHINE}-over`, { failed }).StateMachines,
        },
        MockedResponses: runTaskMockConfig(MACHINE, { failed }).MockedResponses,
      });
      within = await deployToMiniStack(ministack, `${MACHINE}-within`, definition(MAX_PAYLOAD_BYTES));
      over = await deployToMiniStack(ministack, `${MACHINE}-over`, definition(MAX_PAYLOAD_BYTES + 1));
    }, 120_000);

    afterAll(async () => {
      await ministack?.stop();
    });

    test('its histories carry the task parameters and assigned variables, which the check reads', async () => {
      const { failed: execution } = await executeInMiniStack(ministack!, within, { failed });

      expect(execution.status).toBe('SUCCEEDED');
      expect(execution.dataLimitViolations).toEqual([]);
      const remembered = execution.events.find((e) => e.type === 'PassStateExited');
      expect(JSON.parse(remembered.stateExitedEventDetails.assignedVariables.big)).toHaveLength(MAX_PAYLOAD_BYTES - 2);
      const scheduled = execution.events.find((e) => e.type === 'TaskScheduled');
      expect(Buffer.byteLength(scheduled.taskScheduledEventDetails.parameters)).toBe(MAX_PAYLOAD_BYTES);
    }, 60_000);

    test('a variable or task parameters over the limit fail the execution', async () => {
      await expect(executeInMiniStack(ministack!, over, { failed })).rejects.toThrow(
        'execution "failed" (MiniStack), state "Remember": variable $big is 262,145 bytes, over Step Functions\' maximum size of a single variable of 262,144 bytes');
      expect(takeUnexpectedLimitFailures()).toHaveLength(1);

      const { failed: execution } = await executeInMiniStack(ministack!, over, { failed: { ...failed, expectDataLimitExceeded: true } });
      expect(execution.dataLimitViolations.map((v) => [v.state, v.what, v.size])).toEqual([
        ['Remember', 'variable $big', MAX_PAYLOAD_BYTES + 1],
        ['Remember', 'the variables it assigns ($big)', MAX_PAYLOAD_BYTES + 1],
        ['Run task', 'the task input (parameters)', MAX_PAYLOAD_BYTES + 1],
      ]);
    }, 60_000);
  });
});
