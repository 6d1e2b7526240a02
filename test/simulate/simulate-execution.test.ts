import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { explainExecution } from '../../cli/explain/explain-execution';
import { readHistory } from '../../cli/explain/history-events';
import { DecisionEngine, RetryableEcsRunTask, SimulatedRun } from '../../src';
import { fromMiniStackHistory } from '../support/execution-history';
import { failure, successTask } from '../support/fixtures';
import { fargateCapacity } from '../support/launch-targets';
import { executeLocally, LocalExecution, Outcome, renderedDefinition } from '../support/local-execution';
import { MiniStack, SfnMockConfig } from '../support/ministack';
import { deployToMiniStack, executeInMiniStack, MiniStackExecution, MiniStackScenario, runTaskMockConfig } from '../support/ministack-execution';
import { testEnvironment } from '../support/stack';

// simulate() against executions of the synthesized state machine: the Lambda engine in
// aws-local-stepfunctions with the real decider, and both engines in MiniStack (the state machine
// engine's JSONata in jsonata-python), with the ECS task replaying the same failures. Each
// execution must do what simulate() predicted: the same attempts, decisions, rules, launch
// targets and sizes, waits within the predicted range, and the same error and cause.

const ENGINES = [DecisionEngine.LAMBDA_FUNCTION, DecisionEngine.STATE_MACHINE];

const spot = () => fargateCapacity('FARGATE_SPOT');
const onDemand = () => new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.VERSION1_4 });

/** An adaptive run (Spot, then on-demand; a bigger task after out of memory), with or without jitter. */
function build(engine: DecisionEngine, jitterStrategy: sfn.JitterType) {
  const { stack, cluster, taskDefinition } = testEnvironment();
  cluster.enableFargateCapacityProviders();
  const job = new RetryableEcsRunTask(stack, 'Job', {
    cluster,
    taskDefinition,
    decisionEngine: engine,
    maxAttempts: 4,
    interval: Duration.seconds(10),
    backoffRate: 2,
    jitterStrategy,
    launchTarget: spot(),
    fallbackLaunchTarget: onDemand(),
    outOfMemorySizes: [{ memoryMiB: 1024 }, { cpu: 512, memoryMiB: 2048 }],
  });
  return { job, definition: renderedDefinition(stack) };
}

const SCENARIOS: Record<string, { readonly failures: string[]; readonly jitter: sfn.JitterType }> = {
  'out of memory, Spot, a start failure, then success': {
    failures: ['oom-fargate', 'spot-interruption', 'resource-initialization-error'], jitter: sfn.JitterType.NONE,
  },
  'a start failure, then a denied image pull': { failures: ['resource-initialization-error', 'pull-access-denied'], jitter: sfn.JitterType.NONE },
  'attempts exhausted on the fallback, at the next size': {
    failures: ['spot-interruption', 'oom-fargate', 'capacity-unavailable', 'resource-initialization-error'], jitter: sfn.JitterType.NONE,
  },
  'out of memory at the largest size': { failures: ['oom-fargate', 'oom-ec2', 'oom-sidecar'], jitter: sfn.JitterType.NONE },
  'with full jitter, two start failures, then success': {
    failures: ['resource-initialization-error', 'cannot-pull-throttled'], jitter: sfn.JitterType.FULL,
  },
};

const outcomes = (failures: string[]): Outcome[] => [...failures.map((name) => ({ fail: failure(name) })), { succeed: successTask() }];
const simulated = (engine: DecisionEngine, name: string): SimulatedRun => {
  const { failures, jitter } = SCENARIOS[name];
  return build(engine, jitter).job.simulate(failures.map((f) => JSON.stringify(failure(f))));
};

/** An attempt as an execution shows it; a wait in place of the predicted range. */
interface ObservedAttempt {
  readonly outcome: string;
  readonly decision?: string;
  readonly rule?: string;
  readonly waitSeconds?: number;
  readonly capacity: string;
  readonly cpu?: number;
  readonly memoryMiB?: number;
}

/** What simulate() predicts, in the terms of an execution: each wait checked against its range. */
function expectAgreement(prediction: SimulatedRun, observed: { status: string; error?: string; cause?: string; attempts: ObservedAttempt[] }) {
  expect({ status: observed.status, error: observed.error, cause: observed.cause })
    .toEqual({ status: prediction.status, error: prediction.errorName, cause: prediction.cause });
  expect(observed.attempts).toHaveLength(prediction.attempts.length);
  prediction.attempts.forEach((predicted, i) => {
    const { waitSeconds, ...seen } = observed.attempts[i];
    const { attempt, minWaitSeconds, maxWaitSeconds, ...rest } = predicted;
    expect({ attempt, ...seen }).toEqual({ attempt, ...rest });
    if (minWaitSeconds === undefined) {
      expect(waitSeconds ?? 0).toBe(0);
    } else {
      expect(waitSeconds).toBeGreaterThanOrEqual(minWaitSeconds);
      expect(waitSeconds).toBeLessThanOrEqual(maxWaitSeconds!);
    }
  });
}

/** The size a RunTask request asks for. */
const requestedSize = (request: any) => ({ cpu: Number(request.Overrides.Cpu), memoryMiB: Number(request.Overrides.Memory) });
/** The launch target a RunTask request names: Fargate Spot is the primary one here. */
const requestedCapacity = (request: any) => (request.CapacityProviderStrategy?.[0]?.CapacityProvider === 'FARGATE_SPOT' ? 'primary' : 'fallback');
const labelOf = (d: { retry: boolean; retryable: boolean }) => (d.retry ? 'RETRY' : d.retryable ? 'EXHAUSTED' : 'NOT_RETRYABLE');

/** The Lambda engine in aws-local-stepfunctions: every request and decision is seen. */
function observedLocally(execution: LocalExecution) {
  const runs = execution.taskCalls.filter((call) => /^Run task( on fallback)?$/.test(call.state));
  return {
    status: execution.status,
    error: execution.error,
    cause: execution.cause,
    attempts: runs.map((call, i): ObservedAttempt => {
      const decision = execution.decisions[i];
      const capacity = call.state === 'Run task on fallback' ? 'fallback' : 'primary';
      expect(requestedCapacity(call.input)).toBe(capacity);
      return {
        outcome: call.error ? 'FAILED' : 'SUCCEEDED',
        ...(decision ? { decision: labelOf(decision), rule: decision.rule, waitSeconds: decision.waitSeconds } : {}),
        capacity,
        ...requestedSize(call.input),
      };
    }),
  };
}

/**
 * Either engine in MiniStack, as `explain` reads the execution's history: every decision must be
 * one the history records (the decider's answer, or the JSONata decision's assigned variables),
 * not one explain decides again.
 */
async function observedInMiniStack(definition: any, execution: MiniStackExecution) {
  const history = await fromMiniStackHistory(definition, execution.events, { succeededTask: successTask() });
  const [run] = explainExecution(readHistory([history])).runs;
  return {
    status: execution.status,
    error: execution.error,
    cause: execution.cause,
    attempts: run.attempts.map(({ ended, decision, capacity, size }): ObservedAttempt => {
      if (decision) {
        expect(decision.source).toBe('recorded');
      }
      return {
        outcome: ended.outcome.toUpperCase(),
        ...(decision ? { decision: decision.decision, rule: decision.rule, waitSeconds: decision.waitSeconds } : {}),
        capacity: capacity!,
        ...size,
      };
    }),
  };
}

// The decider logs one line per decision in-process; keep test output readable.
beforeAll(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));
afterAll(() => jest.restoreAllMocks());

describe('simulate() predicts the Lambda engine\'s execution in aws-local-stepfunctions', () => {
  test.each(Object.keys(SCENARIOS))('%s', async (name) => {
    const { failures, jitter } = SCENARIOS[name];
    const prediction = simulated(DecisionEngine.LAMBDA_FUNCTION, name);
    const execution = await executeLocally(build(DecisionEngine.LAMBDA_FUNCTION, jitter).definition, { outcomes: outcomes(failures) });
    expectAgreement(prediction, observedLocally(execution));
  });

  test('the agreement can fail: another run\'s prediction does not match', async () => {
    const name = 'out of memory, Spot, a start failure, then success';
    const { definition } = build(DecisionEngine.LAMBDA_FUNCTION, sfn.JitterType.NONE);
    const execution = await executeLocally(definition, { outcomes: outcomes(SCENARIOS[name].failures) });
    const wrong = simulated(DecisionEngine.LAMBDA_FUNCTION, 'a start failure, then a denied image pull');
    expect(() => expectAgreement(wrong, observedLocally(execution))).toThrow();
  });
});

describe('simulate() predicts both engines\' executions in MiniStack', () => {
  // One MiniStack holds one decider function: the Lambda engine's run with jitter is above, in aws-local-stepfunctions.
  const cases = ENGINES.flatMap((engine) => Object.keys(SCENARIOS)
    .filter((name) => engine === DecisionEngine.STATE_MACHINE || SCENARIOS[name].jitter === sfn.JitterType.NONE)
    .map((name): [string, string, DecisionEngine] => [engine.name, name, engine]));
  /**
   * The outcomes in turn; with the Lambda engine, whose fallback attempts run in a state of their
   * own, which MiniStack counts apart, each state's share: the attempts the prediction places there.
   */
  const scenario = (engine: DecisionEngine, name: string): MiniStackScenario => {
    const all = outcomes(SCENARIOS[name].failures);
    if (engine === DecisionEngine.STATE_MACHINE) {
      return { outcomes: all };
    }
    const capacities = simulated(engine, name).attempts.map((a) => a.capacity);
    const share = (capacity: string) => all.filter((_, i) => (capacities[i] ?? capacities[capacities.length - 1]) === capacity);
    return { outcomes: [], outcomesByState: { 'Run task': share('primary'), 'Run task on fallback': share('fallback') } };
  };
  const machineName = (engine: DecisionEngine, jitter: sfn.JitterType) => `Simulated-${engine.name}-${jitter}`;
  const results: Record<string, MiniStackExecution> = {};
  const definitions: Record<string, unknown> = {};
  let ministack: MiniStack | undefined;

  beforeAll(async () => {
    const machines = ENGINES.flatMap((engine) => [sfn.JitterType.NONE, sfn.JitterType.FULL].map((jitter) => {
      const scenarios: Record<string, MiniStackScenario> = Object.fromEntries(cases
        .filter(([, name, e]) => e === engine && SCENARIOS[name].jitter === jitter)
        .map(([, name]) => [`${engine.name}: ${name}`, scenario(engine, name)]));
      return { name: machineName(engine, jitter), definition: build(engine, jitter).definition, scenarios };
    })).filter((machine) => Object.keys(machine.scenarios).length > 0);
    const configs = machines.map((m) => runTaskMockConfig(m.name, m.scenarios, ['Run task', 'Run task on fallback']));
    const mockConfig: SfnMockConfig = {
      StateMachines: Object.assign({}, ...configs.map((c) => c.StateMachines)),
      MockedResponses: Object.assign({}, ...configs.map((c) => c.MockedResponses)),
    };
    ministack = await MiniStack.start(mockConfig);
    for (const machine of machines) {
      const arn = await deployToMiniStack(ministack, machine.name, machine.definition);
      Object.keys(machine.scenarios).forEach((name) => definitions[name] = machine.definition);
      Object.assign(results, await executeInMiniStack(ministack, arn, machine.scenarios, ['Run task', 'Run task on fallback']));
    }
  }, 180_000);

  afterAll(async () => {
    await ministack?.stop();
  });

  test.each(cases)(
    '%s engine: %s', async (engineName, name, engine) => {
      const key = `${engineName}: ${name}`;
      expectAgreement(simulated(engine, name), await observedInMiniStack(definitions[key], results[key]));
    });
});
