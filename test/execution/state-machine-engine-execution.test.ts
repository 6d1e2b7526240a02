import { Duration, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { DecisionEngine, RetryableEcsRunTask, RetryableEcsRunTaskFragment, RetryableEcsRunTaskProps, RetryErrors } from '../../src';
import { allFailures, failure, successTask, taskSummary } from '../support/fixtures';
import { executeLocally, Outcome, renderedDefinition } from '../support/local-execution';
import { MiniStack, SfnMockConfig } from '../support/ministack';
import {
  deployToMiniStack, executeInMiniStack, MiniStackExecution, MiniStackScenario, PublishedMessage, publishedMessages, runTaskMockConfig,
} from '../support/ministack-execution';
import { testEnvironment } from '../support/stack';

// The state machine engine (DecisionEngine.STATE_MACHINE) decides in JSONata, which
// aws-local-stepfunctions cannot run: MiniStack, whose Step Functions evaluates JSONata with
// jsonata-python, runs it, with only the ECS task mocked. The Lambda engine's run of the same
// scenario, in aws-local-stepfunctions with the real decider, is what it must agree with.

const ok: Outcome = { succeed: successTask() };
const fail = (name: string): Outcome => ({ fail: failure(name) });
const MAX_ATTEMPTS = 3;

/** The standalone run of the other execution tests, on either engine: a deterministic policy. */
function standalone(decisionEngine: DecisionEngine, topics?: (stack: Stack) => { successTopic: sns.ITopic; failureTopic: sns.ITopic }) {
  const { stack, cluster, taskDefinition } = testEnvironment();
  new RetryableEcsRunTask(stack, 'Job', {
    cluster,
    taskDefinition,
    decisionEngine,
    maxAttempts: MAX_ATTEMPTS,
    interval: Duration.seconds(10),
    backoffRate: 2,
    maxDelay: Duration.minutes(1),
    jitterStrategy: sfn.JitterType.NONE,
    retryableExitCodes: [75],
    ...topics?.(stack),
  });
  return { stack, definition: renderedDefinition(stack, 'JobStateMachine') };
}

/** A standalone run on either engine, with no jitter, and `extra` props. */
function runWith(decisionEngine: DecisionEngine, extra: Partial<RetryableEcsRunTaskProps>) {
  const { stack, cluster, taskDefinition } = testEnvironment();
  cluster.enableFargateCapacityProviders();
  new RetryableEcsRunTask(stack, 'Job', { cluster, taskDefinition, decisionEngine, jitterStrategy: sfn.JitterType.NONE, interval: Duration.seconds(10), ...extra });
  return renderedDefinition(stack);
}

const onFallback = () => new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.VERSION1_4 });
const onSpot = () => new tasks.EcsFargateLaunchTarget({
  platformVersion: ecs.FargatePlatformVersion.LATEST,
  capacityProviderOptions: tasks.CapacityProviderOptions.custom([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]),
});

/** The standalone run with a size ladder: 1 GiB after an attempt runs out of memory at the task definition's 512 MiB. */
const sized = (decisionEngine: DecisionEngine) => runWith(decisionEngine, { outOfMemorySizes: [{ memoryMiB: 1024 }] });

/** The standalone run on Fargate Spot with a fallback launch target, Fargate, where attempts go after a Spot interruption. */
const withFallback = (decisionEngine: DecisionEngine) => runWith(decisionEngine, { launchTarget: onSpot(), fallbackLaunchTarget: onFallback() });

/** The standalone run with both adaptive features: a size ladder, and a fallback launch target. */
const adaptive = (decisionEngine: DecisionEngine) => runWith(decisionEngine, {
  maxAttempts: MAX_ATTEMPTS, retryableExitCodes: [75], outOfMemorySizes: [{ memoryMiB: 1024 }], fallbackLaunchTarget: onFallback(),
});

/** Every failure of the corpus, once, then success if the run retries it. */
const corpus = Object.keys(allFailures()).sort();

/** The fragment as the item processor of a Map, in a JSONPath workflow of the user's. */
function pipeline(decisionEngine: DecisionEngine) {
  const { stack, cluster, taskDefinition } = testEnvironment();
  const extract = new RetryableEcsRunTaskFragment(stack, 'Extract', { cluster, taskDefinition, decisionEngine, resultPath: '$.extract' });
  const eachPartition = new sfn.Map(stack, 'Each partition', { itemsPath: '$.partitions', maxConcurrency: 2 }).itemProcessor(extract);
  new sfn.StateMachine(stack, 'Pipeline', { definitionBody: sfn.DefinitionBody.fromChainable(eachPartition.next(new sfn.Succeed(stack, 'Done'))) });
  return renderedDefinition(stack, 'Pipeline');
}

/** The name the rendered definition's ARN of `topic` ends in, which MiniStack creates the topic by. */
const topicName = (topic: sns.ITopic) => Stack.of(topic).getLogicalId(topic.node.defaultChild as sns.CfnTopic);

/** One state machine in MiniStack: its definition, ECS task states, topics and scenarios. */
interface Machine {
  readonly definition: any;
  readonly runTaskStates?: string[];
  /** Topics MiniStack creates; a topic the definition names but MiniStack lacks loses its notifications. */
  readonly topics?: string[];
  readonly scenarios: Record<string, MiniStackScenario>;
}

const built = {
  plain: standalone(DecisionEngine.STATE_MACHINE),
  notified: (() => {
    const names: string[] = [];
    const machine = standalone(DecisionEngine.STATE_MACHINE, (stack) => {
      const successTopic = new sns.Topic(stack, 'Succeeded');
      const failureTopic = new sns.Topic(stack, 'Failed');
      names.push(topicName(successTopic), topicName(failureTopic));
      return { successTopic, failureTopic };
    });
    return { ...machine, topics: names };
  })(),
  lost: standalone(DecisionEngine.STATE_MACHINE, (stack) => {
    const topic = new sns.Topic(stack, 'Missing');
    return { successTopic: topic, failureTopic: topic };
  }),
};

const machines: Record<string, Machine> = {
  Plain: {
    definition: built.plain.definition,
    scenarios: {
      'first-attempt': { outcomes: [ok], input: { jobId: 'report-2026-11-24' } },
      'not-retryable': { outcomes: [fail('exit-code-1')], input: { jobId: 'j' } },
      'transient-start-failure': { outcomes: [fail('resource-initialization-error'), ok], input: { jobId: 'j' } },
      'attempts-exhausted': { outcomes: [...Array(MAX_ATTEMPTS)].map(() => fail('spot-interruption')) },
    },
  },
  Notified: {
    definition: built.notified.definition,
    topics: built.notified.topics,
    scenarios: {
      'notified-success': { outcomes: [ok], input: { jobId: 'ok' } },
      'notified-failure': { outcomes: [fail('exit-code-1')], input: { jobId: 'failed' } },
    },
  },
  Lost: {
    definition: built.lost.definition,
    scenarios: {
      'lost-success': { outcomes: [ok], input: { jobId: 'ok' } },
      'lost-failure': { outcomes: [fail('exit-code-1')], input: { jobId: 'failed' } },
    },
  },
  Sized: {
    definition: sized(DecisionEngine.STATE_MACHINE),
    scenarios: {
      'out-of-memory-then-bigger': { outcomes: [fail('oom-fargate'), ok], input: { jobId: 'big' } },
      'out-of-memory-at-largest-size': { outcomes: [fail('oom-fargate'), fail('oom-fargate')] },
    },
  },
  Fallback: {
    definition: withFallback(DecisionEngine.STATE_MACHINE),
    scenarios: {
      // The second attempt fails too, so that MiniStack evaluates its request (it skips the Arguments of a mocked success).
      'spot-interruption-then-fallback': {
        outcomes: [fail('spot-interruption'), fail('resource-initialization-error'), ok],
        input: { jobId: 'spot' },
      },
    },
  },
  Corpus: {
    definition: built.plain.definition,
    scenarios: Object.fromEntries(corpus.map((name) => [`corpus-${name}`, { outcomes: [fail(name), ok], input: { fixture: name } }])),
  },
  // The retry of a failure runs at the next size, on the fallback, or as it was: success on either target.
  AdaptiveCorpus: {
    definition: adaptive(DecisionEngine.STATE_MACHINE),
    scenarios: Object.fromEntries(corpus.map((name) => [`adaptive-corpus-${name}`, { outcomes: [fail(name), ok], input: { fixture: name } }])),
  },
  Pipeline: {
    definition: pipeline(DecisionEngine.STATE_MACHINE),
    runTaskStates: ['Extract: Run task'],
    scenarios: {
      'map-of-two': { outcomes: [ok, ok], input: { partitions: [{ id: 'a' }, { id: 'b' }] } },
    },
  },
};

/** What the Lambda engine, run locally with the real decider, makes of the same scenario. */
function lambdaEngineRun(scenario: MiniStackScenario, definition = standalone(DecisionEngine.LAMBDA_FUNCTION).definition, statePrefixes?: string[]) {
  return executeLocally(definition, { outcomes: scenario.outcomes, input: scenario.input, statePrefixes });
}

let ministack: MiniStack | undefined;
const results: Record<string, MiniStackExecution> = {};
let messages: Record<string, PublishedMessage[]>;

beforeAll(async () => {
  const configs = Object.entries(machines).map(([name, m]) => runTaskMockConfig(name, m.scenarios, m.runTaskStates));
  const mockConfig: SfnMockConfig = {
    StateMachines: Object.assign({}, ...configs.map((c) => c.StateMachines)),
    MockedResponses: Object.assign({}, ...configs.map((c) => c.MockedResponses)),
  };
  ministack = await MiniStack.start(mockConfig);
  for (const [name, machine] of Object.entries(machines)) {
    const arn = await deployToMiniStack(ministack, name, machine.definition, machine.topics);
    Object.assign(results, await executeInMiniStack(ministack, arn, machine.scenarios, machine.runTaskStates));
  }
  messages = await publishedMessages(ministack, built.notified.topics);
}, 180_000);

afterAll(async () => {
  await ministack?.stop();
});

// The decider logs one line per decision in-process; keep test output readable.
beforeAll(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));
afterAll(() => jest.restoreAllMocks());

describe('the state machine engine, executed in MiniStack', () => {
  test('succeeds on the first try in 2 transitions, with the Lambda engine\'s output', async () => {
    const result = results['first-attempt'];
    const lambdaEngine = await lambdaEngineRun(machines.Plain.scenarios['first-attempt']);

    expect(result.status).toBe('SUCCEEDED');
    expect(result.runTaskCalls).toBe(1);
    expect(result.statesEntered).toEqual(['Start attempts', 'Run task']);
    expect(result.output).toEqual({
      jobId: 'report-2026-11-24',
      retryableEcsRunTask: { attempts: 1, history: [], task: successTask() },
    });
    expect(result.output).toEqual(lambdaEngine.output);
  });

  test('fails at once on an exit code that is not listed, with the Lambda engine\'s error and cause', async () => {
    const result = results['not-retryable'];
    const lambdaEngine = await lambdaEngineRun(machines.Plain.scenarios['not-retryable']);

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(RetryErrors.NOT_RETRYABLE);
    expect(result.cause).toBe(
      'Attempt 1 failed with States.TaskFailed: EssentialContainerExited: Essential container in task exited (exit codes: app=1) [rule: noRetryableMatch]');
    expect([result.error, result.cause]).toEqual([lambdaEngine.error, lambdaEngine.cause]);
    expect(result.statesEntered).toEqual(['Start attempts', 'Run task', 'Retry or fail', 'Not retryable']);
  });

  test('retries a transient start failure in 3 transitions, then succeeds with the Lambda engine\'s output', async () => {
    const result = results['transient-start-failure'];
    const lambdaEngine = await lambdaEngineRun(machines.Plain.scenarios['transient-start-failure']);

    expect(result.status).toBe('SUCCEEDED');
    expect(result.runTaskCalls).toBe(2);
    // A retry: the Catch goes to Retry or fail, then Back off, then Run task.
    expect(result.statesEntered).toEqual(['Start attempts', 'Run task', 'Retry or fail', 'Back off', 'Run task']);
    expect(result.output.retryableEcsRunTask.history).toEqual([expect.objectContaining({
      attempt: 1, rule: 'retryableStopCode:TaskFailedToStart', retryable: true, waitSeconds: 10,
    })]);
    expect(result.output).toEqual(lambdaEngine.output);
  });

  test('gives up after exactly maxAttempts, with the Lambda engine\'s error and cause', async () => {
    const result = results['attempts-exhausted'];
    const lambdaEngine = await lambdaEngineRun(machines.Plain.scenarios['attempts-exhausted']);

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(RetryErrors.ATTEMPTS_EXHAUSTED);
    expect(result.runTaskCalls).toBe(MAX_ATTEMPTS);
    expect(result.transitions).toBe(2 + 3 * (MAX_ATTEMPTS - 1) + 2);
    expect([result.error, result.cause]).toEqual([lambdaEngine.error, lambdaEngine.cause]);
  });

  test('after running out of memory, runs the next size, and reports it as the Lambda engine does', async () => {
    const result = results['out-of-memory-then-bigger'];
    const lambdaEngine = await lambdaEngineRun(machines.Sized.scenarios['out-of-memory-then-bigger'], sized(DecisionEngine.LAMBDA_FUNCTION));

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output.retryableEcsRunTask).toMatchObject({ attempts: 2, capacity: 'primary', size: { cpu: 256, memoryMiB: 1024 } });
    expect(result.output.retryableEcsRunTask.history).toEqual([expect.objectContaining({ size: { cpu: 256, memoryMiB: 512 }, retryable: true })]);
    expect(result.output).toEqual(lambdaEngine.output);
  });

  test('out of memory at the largest size is not retried, as with the Lambda engine', async () => {
    const result = results['out-of-memory-at-largest-size'];
    const lambdaEngine = await lambdaEngineRun(machines.Sized.scenarios['out-of-memory-at-largest-size'], sized(DecisionEngine.LAMBDA_FUNCTION));

    expect(result.error).toBe(RetryErrors.NOT_RETRYABLE);
    expect(result.cause).toContain('[rule: outOfMemoryAtLargestSize]');
    expect(result.runTaskCalls).toBe(2);
    expect([result.error, result.cause]).toEqual([lambdaEngine.error, lambdaEngine.cause]);
  });

  test('after a Spot interruption, runs on the fallback launch target, as the Lambda engine does: one ECS task state, 3 transitions a retry', async () => {
    const result = results['spot-interruption-then-fallback'];
    const lambdaEngine = await lambdaEngineRun(machines.Fallback.scenarios['spot-interruption-then-fallback'], withFallback(DecisionEngine.LAMBDA_FUNCTION));

    expect(result.status).toBe('SUCCEEDED');
    expect(result.statesEntered).toEqual([
      'Start attempts', 'Run task', 'Retry or fail', 'Back off', 'Run task', 'Retry or fail', 'Back off', 'Run task',
    ]);
    expect(result.output.retryableEcsRunTask).toMatchObject({ attempts: 3, capacity: 'fallback' });
    expect(result.output).toEqual(lambdaEngine.output);
    // What MiniStack evaluated of the one state's Arguments: each request names only its own launch target.
    const requests = result.events.filter((e) => e.type === 'TaskScheduled').map((e) => JSON.parse(e.taskScheduledEventDetails.parameters));
    expect(requests.slice(0, 2).map((r) => [r.CapacityProviderStrategy, r.LaunchType, r.PlatformVersion])).toEqual([
      [[{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }], undefined, 'LATEST'],
      [undefined, 'FARGATE', '1.4.0'],
    ]);
    expect(requests[1].Overrides.ContainerOverrides[0].Environment).toEqual([{ Name: 'RETRYABLE_ECS_RUN_TASK_ATTEMPT', Value: '2' }]);
  });

  test('runs inside a Map of a JSONPath workflow: each item gets the Lambda engine\'s result', async () => {
    const result = results['map-of-two'];
    const scenario = machines.Pipeline.scenarios['map-of-two'];
    const lambdaEngine = await lambdaEngineRun(scenario, pipeline(DecisionEngine.LAMBDA_FUNCTION), ['Extract: ']);

    expect(result.status).toBe('SUCCEEDED');
    const summary = taskSummary(successTask());
    expect(result.output).toEqual([
      { id: 'a', extract: { attempts: 1, history: [], task: summary } },
      { id: 'b', extract: { attempts: 1, history: [], task: summary } },
    ]);
    expect(result.output).toEqual(lambdaEngine.output);
    // The workflow stays JSONPath; only the fragment's states are JSONata.
    const map = machines.Pipeline.definition.States['Each partition'];
    expect(machines.Pipeline.definition.QueryLanguage).toBeUndefined();
    expect(map.QueryLanguage).toBeUndefined();
    expect(Object.values(map.ItemProcessor.States).map((s: any) => s.QueryLanguage)).toEqual(
      Object.keys(map.ItemProcessor.States).map(() => 'JSONata'));
  });
});

describe('notifications of the state machine engine, executed in MiniStack', () => {
  const [successTopic, failureTopic] = built.notified.topics;

  test('a success publishes the result, and ends with the output of a run without topics', () => {
    const result = results['notified-success'];

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ jobId: 'ok', retryableEcsRunTask: { attempts: 1, history: [], task: successTask() } });
    expect(messages[successTopic]).toHaveLength(1);
    const [message] = messages[successTopic];
    expect(JSON.parse(message.body)).toEqual({
      status: 'SUCCEEDED',
      execution: expect.stringMatching(/^arn:aws:states:us-east-1:123456789012:execution:Notified:/),
      result: result.output.retryableEcsRunTask,
    });
  });

  test('a failure publishes the error, cause, attempts and history before it fails', () => {
    const result = results['notified-failure'];

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(RetryErrors.NOT_RETRYABLE);
    expect(messages[failureTopic]).toHaveLength(1);
    const [message] = messages[failureTopic];
    expect(JSON.parse(message.body)).toEqual({
      status: 'FAILED',
      execution: expect.stringMatching(/:execution:Notified:/),
      error: RetryErrors.NOT_RETRYABLE,
      cause: result.cause,
      attempts: 1,
      history: [expect.objectContaining({ attempt: 1, rule: 'noRetryableMatch', retryable: false, waitSeconds: 0 })],
    });
  });

  test('a lost success notification leaves the result as it was, with the loss beside it', () => {
    const result = results['lost-success'];

    expect(result.status).toBe('SUCCEEDED');
    const { notificationLost, ...rest } = result.output.retryableEcsRunTask;
    expect(rest).toEqual(results['notified-success'].output.retryableEcsRunTask);
    expect(notificationLost).toEqual({ Error: expect.stringMatching(/^SNS\./), Cause: expect.any(String) });
    // The Pass state the NotificationsLost metric counts.
    expect(result.statesEntered).toContain('Success notification lost');
  });

  test('a lost failure notification keeps the error, and says so at the end of the cause', () => {
    const result = results['lost-failure'];

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(RetryErrors.NOT_RETRYABLE);
    expect(result.cause).toMatch(new RegExp(`^${escapeRegExp(results['notified-failure'].cause!)} \\[failure notification lost: SNS\\.\\w+\\]$`));
    expect(result.statesEntered.slice(-2)).toEqual(['Not retryable, notification lost', 'Not retryable (notification lost)']);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('the failure corpus, executed in MiniStack on the state machine engine', () => {
  /** What both engines must agree on: how the run ended, its result or error and cause, and how often the task ran. */
  const observed = (run: { status: string; output?: any; error?: string; cause?: string; runTaskCalls: number }) =>
    ({ status: run.status, output: run.output, error: run.error, cause: run.cause, runTaskCalls: run.runTaskCalls });

  test.each(corpus)('%s: the Lambda engine\'s result, error and cause', async (name) => {
    const result = results[`corpus-${name}`];
    const lambdaEngine = await lambdaEngineRun(machines.Corpus.scenarios[`corpus-${name}`]);
    expect(observed(result)).toEqual(observed(lambdaEngine));
  });

  test.each(corpus)('%s, with a size ladder and a fallback launch target: the Lambda engine\'s result, error and cause', async (name) => {
    const result = results[`adaptive-corpus-${name}`];
    const lambdaEngine = await lambdaEngineRun(machines.AdaptiveCorpus.scenarios[`adaptive-corpus-${name}`], adaptive(DecisionEngine.LAMBDA_FUNCTION));
    expect(observed(result)).toEqual(observed(lambdaEngine));
  });

  test('the decision travels in the state: Retry or fail is entered with it at <resultPath>.failures', async () => {
    const result = results['corpus-resource-initialization-error'];
    const entered = result.events.find((e: any) => e.type === 'ChoiceStateEntered' && e.stateEnteredEventDetails?.name === 'Retry or fail');
    const decision = JSON.parse(entered.stateEnteredEventDetails.input).retryableEcsRunTask.failures;
    expect(decision).toMatchObject({ retryable: true, retry: true, rule: 'retryableStopCode:TaskFailedToStart', waitSeconds: 10 });
    expect(decision.history).toHaveLength(1);
  });
});
