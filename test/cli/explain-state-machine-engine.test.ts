import { Duration, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { adaptiveProps, fail, inMap, ok, standalone } from './scenarios';
import { explainExecution, ExecutionExplanation, RunExplanation } from '../../cli/explain/explain-execution';
import { readHistory } from '../../cli/explain/history-events';
import { renderExecution } from '../../cli/explain/render-text';
import { DecisionEngine, RetryableEcsRunTask, RetryableEcsRunTaskFragment, RetryableEcsRunTaskProps, RetryErrors } from '../../src';
import { fromMiniStackHistory, mapFromMiniStackHistories } from '../support/execution-history';
import { successTask } from '../support/fixtures';
import { renderedDefinition } from '../support/local-execution';
import { MiniStack, SfnMockConfig } from '../support/ministack';
import { deployToMiniStack, executeInMiniStack, MiniStackExecution, MiniStackScenario, runTaskMockConfig } from '../support/ministack-execution';
import { testEnvironment } from '../support/stack';

// explain on histories of the STATE_MACHINE engine (JSONata states, no decider function), which
// MiniStack executes with only the ECS task mocked. Each scenario is also run on the Lambda
// engine (locally, with the real decider), and explain must say the same about both, but for
// the engine and the construct path, which a STATE_MACHINE run's history does not name.

const explain = (history: unknown): ExecutionExplanation => explainExecution(readHistory([history]));

/** The standalone `Job` of `scenarios.ts`'s `standalone`, on the STATE_MACHINE engine. */
function standaloneMachine(props: Partial<RetryableEcsRunTaskProps> = {}, topic?: (stack: Stack) => sns.ITopic) {
  const { stack, cluster, taskDefinition } = testEnvironment();
  new RetryableEcsRunTask(stack, 'Job', {
    cluster,
    taskDefinition,
    decisionEngine: DecisionEngine.STATE_MACHINE,
    maxAttempts: 3,
    interval: Duration.seconds(10),
    backoffRate: 2,
    maxDelay: Duration.minutes(1),
    jitterStrategy: sfn.JitterType.NONE,
    retryableExitCodes: [75],
    ...props,
    ...(topic ? { failureTopic: topic(stack) } : {}),
  });
  return renderedDefinition(stack, 'JobStateMachine');
}

/** `scenarios.ts`'s `inMap` on the STATE_MACHINE engine: a fragment `Job` in a Map of a JSONPath workflow. */
function workflowMachine(): any {
  const { stack, cluster, taskDefinition } = testEnvironment();
  const job = new RetryableEcsRunTaskFragment(stack, 'Job', {
    cluster,
    taskDefinition,
    decisionEngine: DecisionEngine.STATE_MACHINE,
    maxAttempts: 2,
    interval: Duration.seconds(5),
    jitterStrategy: sfn.JitterType.NONE,
    resultPath: '$.run',
  });
  const map = new sfn.Map(stack, 'Each partition', { itemsPath: '$.partitions', maxConcurrency: 1 });
  map.itemProcessor(job);
  new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(map) });
  return renderedDefinition(stack, 'Workflow');
}

interface Machine {
  readonly definition: any;
  readonly runTaskStates?: string[];
  readonly scenarios: Record<string, MiniStackScenario>;
}

const workflow = workflowMachine();
const partitions = [{ day: 1 }, { day: 2 }];
const { ProcessorConfig, ...itemProcessor } = workflow.States['Each partition'].ItemProcessor;

const machines: Record<string, Machine> = {
  Plain: {
    definition: standaloneMachine(),
    scenarios: {
      'first-attempt': { outcomes: [ok] },
      'retried': { outcomes: [fail('resource-initialization-error'), fail('sidecar-killed'), ok] },
      'not-retryable': { outcomes: [fail('cannot-pull-not-found')] },
      'exhausted': { outcomes: [fail('sidecar-killed'), fail('sidecar-killed'), fail('sidecar-killed')] },
      'api-error': { outcomes: [fail('ecs-api-throttled'), ok] },
    },
  },
  Adaptive: {
    definition: standaloneMachine(adaptiveProps()),
    scenarios: { 'out-of-memory-then-spot': { outcomes: [fail('oom-fargate'), fail('spot-interruption'), ok] } },
  },
  // A failure topic MiniStack does not have: the failure notification is lost.
  Lost: {
    definition: standaloneMachine({}, (stack) => new sns.Topic(stack, 'Missing')),
    scenarios: { 'lost-failure': { outcomes: [fail('exit-code-1')] } },
  },
  // With MaxConcurrency 1 the items take MiniStack's mocked outcomes in order.
  Workflow: {
    definition: workflow,
    runTaskStates: ['Job: Run task'],
    scenarios: { 'map-of-two': { outcomes: [fail('spot-interruption'), ok, ok], input: { partitions } } },
  },
  // The Map's item processor alone, one execution per item: MiniStack records no event inside a Map.
  Items: {
    definition: itemProcessor,
    runTaskStates: ['Job: Run task'],
    scenarios: {
      'item-0': { outcomes: [fail('spot-interruption'), ok], input: partitions[0] },
      'item-1': { outcomes: [ok], input: partitions[1] },
    },
  },
};

let ministack: MiniStack | undefined;
const executions: Record<string, MiniStackExecution> = {};
/** Each scenario's history, as AWS records it. */
const histories: Record<string, { events: any[] }> = {};

beforeAll(async () => {
  const configs = Object.entries(machines).map(([name, m]) => runTaskMockConfig(name, m.scenarios, m.runTaskStates));
  const mockConfig: SfnMockConfig = {
    StateMachines: Object.assign({}, ...configs.map((c) => c.StateMachines)),
    MockedResponses: Object.assign({}, ...configs.map((c) => c.MockedResponses)),
  };
  ministack = await MiniStack.start(mockConfig);
  for (const [name, machine] of Object.entries(machines)) {
    const arn = await deployToMiniStack(ministack, name, machine.definition);
    Object.assign(executions, await executeInMiniStack(ministack, arn, machine.scenarios, machine.runTaskStates));
  }
  const dress = { succeededTask: successTask() };
  for (const [machine, { definition, scenarios }] of Object.entries(machines)) {
    if (machine !== 'Workflow' && machine !== 'Items') {
      for (const name of Object.keys(scenarios)) {
        histories[name] = await fromMiniStackHistory(definition, executions[name].events, dress);
      }
    }
  }
  histories['map-of-two'] = await mapFromMiniStackHistories(
    workflow, executions['map-of-two'].events, 'Each partition', [executions['item-0'], executions['item-1']], dress);
}, 180_000);

afterAll(async () => {
  await ministack?.stop();
});

/** What explain says about each attempt of a run, and its result: what the two engines must agree on. */
function attemptsAndResult(run: RunExplanation) {
  return {
    attempts: run.attempts.map((a) => ({
      attempt: a.attempt,
      state: a.state,
      durationSeconds: a.durationSeconds,
      capacity: a.capacity,
      size: a.size,
      ended: a.ended,
      decision: a.decision && { decision: a.decision.decision, rule: a.decision.rule, retry: a.decision.retry, waitSeconds: a.decision.waitSeconds },
      wait: a.wait,
    })),
    adaptive: run.adaptive,
    result: run.result,
  };
}

/** Waits as whole seconds: the simulated clocks add a few milliseconds per step, differently. */
const rounded = (explanation: ReturnType<typeof attemptsAndResult>) => JSON.parse(JSON.stringify(explanation, (key, value) =>
  (['durationSeconds', 'waitedSeconds'].includes(key) ? Math.round(value) : value)));

describe('explain, on histories of the STATE_MACHINE engine executed in MiniStack', () => {
  test('the histories are as AWS records them, and MiniStack ran each scenario as expected', () => {
    expect(executions.retried.statesEntered).toEqual([
      'Start attempts', 'Run task', 'Retry or fail', 'Back off', 'Run task', 'Retry or fail', 'Back off', 'Run task',
    ]);
    const events = histories.retried.events;
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === 'TaskSucceeded')).toHaveLength(1);
    // The Map's output is what its items, executed alone, gave.
    const mapOutput = JSON.parse(executions['map-of-two'].events.find((e) => e.type === 'MapStateExited').stateExitedEventDetails.output);
    expect(mapOutput).toEqual([executions['item-0'].output, executions['item-1'].output]);
  });

  test('a retry, then success: each attempt, the recorded rule, decision and wait, and the engine', async () => {
    const explanation = explain(histories.retried);

    expect(explanation.execution).toMatchObject({ status: 'SUCCEEDED', startedAt: '2026-11-24T02:00:00.007Z' });
    expect(explanation.warnings).toEqual([]);
    const [run] = explanation.runs;
    expect(run).toMatchObject({ statePrefix: '', engine: 'STATE_MACHINE', adaptive: false });
    // The history names neither the construct path nor the policy: the definition holds them.
    expect(run.run).toBeUndefined();
    expect(run.policy).toBeUndefined();
    const rows = run.attempts.map((a) => [a.attempt, a.state, a.decision?.decision, a.decision?.rule, a.decision?.source, a.wait?.decidedSeconds]);
    expect(rows).toEqual([
      [1, 'Run task', 'RETRY', 'retryableStopCode:TaskFailedToStart', 'recorded', 10],
      [2, 'Run task', 'RETRY', 'retryableExitCode:75', 'recorded', 20],
      [3, 'Run task', undefined, undefined, undefined, undefined],
    ]);
    expect(run.attempts[0].ended).toMatchObject({ outcome: 'failed', error: 'States.TaskFailed', stopCode: 'TaskFailedToStart' });
    expect(run.attempts[1].ended).toMatchObject({ stopCode: 'EssentialContainerExited', exitCodes: [{ name: 'app', exitCode: 75 }, { name: 'log-router', exitCode: 137 }] });
    expect(run.attempts[2].ended).toEqual({
      outcome: 'succeeded', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', exitCodes: [{ name: 'app', exitCode: 0 }],
    });
    expect(run.attempts[0].wait).toEqual({ decidedSeconds: 10, waitedSeconds: expect.closeTo(10, 0) });
    expect(run.result).toEqual({ status: 'SUCCEEDED', attempts: 3 });
    // What the state machine decided is what explain shows: the decisions it carried.
    const decided = JSON.parse(executions.retried.events.at(-1).executionSucceededEventDetails.output).retryableEcsRunTask.history;
    expect(run.attempts.slice(0, 2).map((a) => a.decision?.rule)).toEqual(decided.map((h: any) => h.rule));

    const lambda = explain((await standalone({}, { outcomes: machines.Plain.scenarios.retried.outcomes })).history);
    expect(rounded(attemptsAndResult(run))).toEqual(rounded(attemptsAndResult(lambda.runs[0])));
  });

  test.each(['first-attempt', 'not-retryable', 'exhausted', 'api-error'])('%s: as explain says of the Lambda engine\'s run', async (name) => {
    const [run] = explain(histories[name]).runs;
    const [lambda] = explain((await standalone({}, { outcomes: machines.Plain.scenarios[name].outcomes })).history).runs;

    expect(run.engine).toBe('STATE_MACHINE');
    expect(lambda.engine).toBe('LAMBDA');
    expect(rounded(attemptsAndResult(run))).toEqual(rounded(attemptsAndResult(lambda)));
  });

  test('not retryable and exhausted: the rule, and the cause the run failed with', () => {
    const [refused] = explain(histories['not-retryable']).runs;
    expect(refused.attempts.map((a) => [a.attempt, a.decision?.decision, a.decision?.rule])).toEqual([
      [1, 'NOT_RETRYABLE', 'nonRetryableStoppedReason:CannotPullContainerError:*not found*'],
    ]);
    expect(refused.result).toEqual({ status: 'FAILED', attempts: 1, error: RetryErrors.NOT_RETRYABLE, cause: executions['not-retryable'].cause });

    const [exhausted] = explain(histories.exhausted).runs;
    expect(exhausted.attempts.map((a) => [a.attempt, a.decision?.decision, a.decision?.rule, a.wait?.decidedSeconds])).toEqual([
      [1, 'RETRY', 'retryableExitCode:75', 10],
      [2, 'RETRY', 'retryableExitCode:75', 20],
      [3, 'EXHAUSTED', 'retryableExitCode:75', undefined],
    ]);
    expect(exhausted.result).toEqual({ status: 'FAILED', attempts: 3, error: RetryErrors.ATTEMPTS_EXHAUSTED, cause: executions.exhausted.cause });
  });

  test('a run that succeeded at once is known by its states: no Record result after the attempt', () => {
    const [run] = explain(histories['first-attempt']).runs;
    expect(run).toMatchObject({ engine: 'STATE_MACHINE', result: { status: 'SUCCEEDED', attempts: 1 } });
    expect(run.attempts.map((a) => [a.attempt, a.ended.outcome, a.decision])).toEqual([[1, 'succeeded', undefined]]);
  });

  test('adaptive: the size after running out of memory, then the fallback launch target after a Spot interruption', async () => {
    const [run] = explain(histories['out-of-memory-then-spot']).runs;

    expect(run.adaptive).toBe(true);
    // One ECS task state runs every attempt; the decisions say where each ran.
    expect(run.attempts.map((a) => [a.attempt, a.state, a.capacity, a.size, a.decision?.rule, a.wait?.decidedSeconds])).toEqual([
      [1, 'Run task', 'primary', { cpu: 256, memoryMiB: 512 }, 'outOfMemory:escalate to size 1', 10],
      [2, 'Run task', 'primary', { cpu: 512, memoryMiB: 1024 }, 'retryableStopCode:SpotInterruption', 20],
      [3, 'Run task', 'fallback', { cpu: 512, memoryMiB: 1024 }, undefined, undefined],
    ]);
    // What MiniStack evaluated of the requests it ran (it skips those of a mocked success): the primary launch target.
    expect(run.attempts.slice(0, 2).map((a) => a.launchTarget)).toEqual([{ capacityProviders: ['FARGATE_SPOT'] }, { capacityProviders: ['FARGATE_SPOT'] }]);
    expect(run.result).toEqual({ status: 'SUCCEEDED', attempts: 3 });
    expect(JSON.parse(executions['out-of-memory-then-spot'].events.at(-1).executionSucceededEventDetails.output).retryableEcsRunTask)
      .toMatchObject({ attempts: 3, capacity: 'fallback', size: { cpu: 512, memoryMiB: 1024 } });

    const { outcomes } = machines.Adaptive.scenarios['out-of-memory-then-spot'];
    const [lambda] = explain((await standalone(adaptiveProps(), { outcomes })).history).runs;
    // The Lambda engine runs the fallback in a state of its own; everything else is the same.
    expect(lambda.attempts.map((a) => a.state)).toEqual(['Run task', 'Run task', 'Run task on fallback']);
    const withoutState = (r: RunExplanation) => ({ ...r, attempts: r.attempts.map((a) => ({ ...a, state: '' })) });
    expect(rounded(attemptsAndResult(withoutState(run)))).toEqual(rounded(attemptsAndResult(withoutState(lambda))));
  });

  test('a failure notification that was lost', () => {
    const [run] = explain(histories['lost-failure']).runs;
    expect(executions['lost-failure'].statesEntered.slice(-2)).toEqual(['Not retryable, notification lost', 'Not retryable (notification lost)']);
    expect(run.result).toMatchObject({ status: 'FAILED', error: RetryErrors.NOT_RETRYABLE, notificationLost: true });
    // The run's cause is the decision's; the execution's adds the loss.
    expect(executions['lost-failure'].cause).toMatch(/^Attempt 1 failed with States\.TaskFailed: .* \[rule: noRetryableMatch\] \[failure notification lost: SNS\.\w+\]$/);
    expect(executions['lost-failure'].cause).toBe(`${run.result.cause} [failure notification lost: ${executions['lost-failure'].cause!.split('[failure notification lost: ')[1]}`);
  });

  test('a Map of two items in a JSONPath workflow: a block per item, each with its attempts', async () => {
    const explanation = explain(histories['map-of-two']);

    expect(explanation.warnings).toEqual([]);
    expect(explanation.execution.status).toBe('SUCCEEDED');
    expect(explanation.runs.map((r) => [r.run, r.statePrefix, r.item, r.mapItem, r.engine])).toEqual([
      [undefined, 'Job: ', 'item 0 of Map "Each partition"', { map: 'Each partition', index: 0 }, 'STATE_MACHINE'],
      [undefined, 'Job: ', 'item 1 of Map "Each partition"', { map: 'Each partition', index: 1 }, 'STATE_MACHINE'],
    ]);
    const [first, second] = explanation.runs;
    expect(first.attempts.map((a) => [a.attempt, a.ended.outcome, a.decision?.decision, a.decision?.rule, a.wait?.decidedSeconds])).toEqual([
      [1, 'failed', 'RETRY', 'retryableStopCode:SpotInterruption', 5],
      [2, 'succeeded', undefined, undefined, undefined],
    ]);
    expect(first.result).toEqual({ status: 'SUCCEEDED', attempts: 2 });
    expect(second.attempts.map((a) => [a.attempt, a.ended.outcome])).toEqual([[1, 'succeeded']]);
    expect(second.result).toEqual({ status: 'SUCCEEDED', attempts: 1 });

    const lambda = explain((await inMap({ input: { partitions }, outcomes: machines.Workflow.scenarios['map-of-two'].outcomes })).history);
    expect(explanation.runs.map((r) => rounded(attemptsAndResult(r)))).toEqual(lambda.runs.map((r) => rounded(attemptsAndResult(r))));
  });

  test('without execution data: the decisions read from the states each run went to, and the warning', () => {
    const withoutData = {
      events: histories.exhausted.events.map((event) => Object.fromEntries(Object.entries(event).map(([key, value]: [string, any]) => {
        if (!key.endsWith('EventDetails')) {
          return [key, value];
        }
        const { input, output, parameters, ...rest } = value;
        return [key, rest];
      }))),
    };

    const explanation = explain(withoutData);

    const [run] = explanation.runs;
    expect(run.engine).toBe('STATE_MACHINE');
    expect(run.attempts.map((a) => [a.attempt, a.ended.outcome, a.decision?.decision, a.decision?.rule, a.decision?.source])).toEqual([
      [1, 'failed', 'RETRY', 'unknown', 'inferred'],
      [2, 'failed', 'RETRY', 'unknown', 'inferred'],
      [3, 'failed', 'EXHAUSTED', 'unknown', 'inferred'],
    ]);
    expect(run.attempts[1].ended).toMatchObject({ stopCode: 'EssentialContainerExited', exitCodes: [{ name: 'app', exitCode: 75 }, { name: 'log-router', exitCode: 137 }] });
    expect(run.attempts.map((a) => a.wait)).toEqual([
      { waitedSeconds: expect.closeTo(10, 0) }, { waitedSeconds: expect.closeTo(20, 0) }, undefined,
    ]);
    expect(run.attempts[2].decision?.note).toMatch(/^The history does not hold the input of "Retry or fail", where the decision is .* The run went on to "Attempts exhausted", so the decision was EXHAUSTED/);
    expect(run.result).toMatchObject({ status: 'FAILED', error: RetryErrors.ATTEMPTS_EXHAUSTED });
    expect(explanation.warnings).toEqual([expect.stringMatching(/^The history holds no execution data \(fetched with --no-include-execution-data\?\)/)]);
  });

  test('a Run task without its TaskSucceeded event, as MiniStack records a mocked one, still succeeded', () => {
    const lastAttempt = histories.retried.events.map((e) => e.type).lastIndexOf('TaskStateEntered');
    const events = histories.retried.events.filter((e, i) => i <= lastAttempt || !['TaskScheduled', 'TaskStarted', 'TaskSubmitted', 'TaskSucceeded'].includes(e.type));
    const [run] = explain({ events: events.map((e, i) => ({ ...e, id: i + 1, previousEventId: i })) }).runs;
    expect(run.attempts[2].ended).toEqual({ outcome: 'succeeded', exitCodes: [] });
    expect(run.result).toEqual({ status: 'SUCCEEDED', attempts: 3 });
  });

  test('the text: the engine beside the run, a row per attempt', () => {
    const text = renderExecution(explain(histories.retried), 120);

    expect(text).toBe([
      'Execution  SUCCEEDED after 19m 03s, started 2026-11-24 02:00:00 UTC',
      '',
      'Run of states "Start attempts", "Run task", … · STATE_MACHINE engine',
      '  #  Started   Ran      How the task ended                           Rule                                 Decision  Wait',
      '  1  02:00:00  43s      TaskFailedToStart ·                          retryableStopCode:TaskFailedToStart  RETRY     10 s',
      '                        ResourceInitializationError: failed to',
      '                        configure ENI: failed to setup regular eni:',
      '                        netplugin failed with no error message',
      '  2  02:00:53  4m 12s   exit app=75, log-router=137 ·                retryableExitCode:75                 RETRY     20 s',
      '                        EssentialContainerExited · Essential',
      '                        container in task exited',
      '  3  02:05:25  13m 37s  succeeded · exit app=0 ·',
      '                        EssentialContainerExited',
      '  Result: SUCCEEDED after 3 attempts.',
      '',
    ].join('\n'));
  });
});
