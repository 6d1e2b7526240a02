import { CfnParameter, Duration, Stack, Token } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  DecisionEngine, RetryableEcsRunTask, RetryableEcsRunTaskFragment, RetryableEcsRunTaskProps, RetryErrors, SimulatedRun, TaskStopCode,
} from '../../src';
import { decideRetry } from '../../src/decider/decide-retry';
import { allFailures, failure } from '../support/fixtures';
import { fargateCapacity } from '../support/launch-targets';
import { testEnvironment } from '../support/stack';

// simulate(): what a run does with a list of failures, decided by the decider's own code on the
// run's own policy. Its agreement with executions of the synthesized state machine is in
// simulate-execution.test.ts.

const ENGINES = [DecisionEngine.LAMBDA_FUNCTION, DecisionEngine.STATE_MACHINE];
/** The JSON text of a fixture, as a user pastes it from an execution's history. */
const text = (name: string) => JSON.stringify(failure(name));

const spot = () => fargateCapacity('FARGATE_SPOT');
const onDemand = () => fargateCapacity('FARGATE');
/** The test task definition is 256 CPU units and 512 MiB; two sizes up from there. */
const SIZES = [{ memoryMiB: 1024 }, { cpu: 512, memoryMiB: 2048 }];

function job(decisionEngine: DecisionEngine, props: Partial<RetryableEcsRunTaskProps> = {}, stack?: (s: Stack) => Partial<RetryableEcsRunTaskProps>) {
  const env = testEnvironment();
  env.cluster.enableFargateCapacityProviders();
  return new RetryableEcsRunTask(env.stack, 'Job', {
    cluster: env.cluster,
    taskDefinition: env.taskDefinition,
    decisionEngine,
    maxAttempts: 4,
    interval: Duration.seconds(10),
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.NONE,
    ...props,
    ...stack?.(env.stack),
  });
}

/** Spot first, on-demand after a Spot interruption; a bigger task after out of memory. */
const adaptive = (engine: DecisionEngine, props: Partial<RetryableEcsRunTaskProps> = {}) =>
  job(engine, { launchTarget: spot(), fallbackLaunchTarget: onDemand(), outOfMemorySizes: SIZES, ...props });

describe.each(ENGINES.map((e) => [e.name, e]))('simulate() on the %s engine', (_, engine) => {
  test('out of memory runs the next attempt at the next size of the ladder', () => {
    const run = adaptive(engine).simulate([text('oom-fargate'), text('oom-fargate')]);

    expect(run).toEqual({
      status: 'SUCCEEDED',
      attempts: [
        {
          attempt: 1,
          outcome: 'FAILED',
          decision: 'RETRY',
          rule: 'outOfMemory:escalate to size 1',
          minWaitSeconds: 10,
          maxWaitSeconds: 10,
          capacity: 'primary',
          cpu: 256,
          memoryMiB: 512,
        },
        {
          attempt: 2,
          outcome: 'FAILED',
          decision: 'RETRY',
          rule: 'outOfMemory:escalate to size 2',
          minWaitSeconds: 20,
          maxWaitSeconds: 20,
          capacity: 'primary',
          cpu: 256,
          memoryMiB: 1024,
        },
        { attempt: 3, outcome: 'SUCCEEDED', capacity: 'primary', cpu: 512, memoryMiB: 2048 },
      ],
    });
  });

  test('a Spot interruption runs the next attempts on the fallback launch target', () => {
    const run = adaptive(engine).simulate([text('spot-interruption'), text('resource-initialization-error')]);

    expect(run.status).toBe('SUCCEEDED');
    expect(run.attempts.map((a) => [a.outcome, a.decision, a.rule, a.capacity])).toEqual([
      ['FAILED', 'RETRY', 'retryableStopCode:SpotInterruption', 'primary'],
      // Once on the fallback, a run stays there.
      ['FAILED', 'RETRY', 'retryableStopCode:TaskFailedToStart', 'fallback'],
      ['SUCCEEDED', undefined, undefined, 'fallback'],
    ]);
  });

  test('an image pull that is denied, or whose image is not found, is not retried', () => {
    for (const name of ['pull-access-denied', 'cannot-pull-not-found', 'ec2-cannot-pull-not-found']) {
      const run = job(engine).simulate([text(name), text('spot-interruption')]);

      expect(run.status).toBe('FAILED');
      expect(run.errorName).toBe(RetryErrors.NOT_RETRYABLE);
      expect(run.errorName).toBe('RetryableEcsRunTask.NotRetryable');
      expect(run.attempts).toEqual([{
        attempt: 1,
        outcome: 'FAILED',
        decision: 'NOT_RETRYABLE',
        rule: expect.stringMatching(/^nonRetryableStoppedReason:CannotPullContainerError:/),
        capacity: 'primary',
        cpu: 256,
        memoryMiB: 512,
      }]);
      expect(run.cause).toMatch(/^Attempt 1 failed with States\.TaskFailed: .*CannotPullContainerError.* \[rule: nonRetryableStoppedReason:/);
    }
  });

  test('a retryable failure on every attempt exhausts them: maxAttempts attempts, the rest of the list unused', () => {
    const run = job(engine, { maxAttempts: 3 }).simulate(Array.from({ length: 5 }, () => text('spot-interruption')));

    expect(run.status).toBe('FAILED');
    expect(run.errorName).toBe(RetryErrors.ATTEMPTS_EXHAUSTED);
    expect(run.attempts.map((a) => a.decision)).toEqual(['RETRY', 'RETRY', 'EXHAUSTED']);
    expect(run.attempts[2].minWaitSeconds).toBeUndefined();
    expect(run.cause).toBe('Attempt 3 failed with States.TaskFailed: SpotInterruption: Your Spot Task was interrupted. (exit codes: app=143) [rule: retryableStopCode:SpotInterruption]');
  });

  test('the attempt after the last failure succeeds; no failure is one attempt that succeeds', () => {
    expect(job(engine).simulate([])).toEqual({ status: 'SUCCEEDED', attempts: [{ attempt: 1, outcome: 'SUCCEEDED', capacity: 'primary', cpu: 256, memoryMiB: 512 }] });
    const run = job(engine).simulate([text('resource-initialization-error'), text('cannot-pull-throttled'), text('ecs-api-throttled')]);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.attempts.map((a) => a.outcome)).toEqual(['FAILED', 'FAILED', 'FAILED', 'SUCCEEDED']);
  });

  test('the waits: exact without jitter, from 0 to the capped backoff with full jitter', () => {
    const failures = Array.from({ length: 4 }, () => text('resource-initialization-error'));
    const waits = (run: SimulatedRun) => run.attempts.filter((a) => a.decision === 'RETRY').map((a) => [a.minWaitSeconds, a.maxWaitSeconds]);

    expect(waits(job(engine, { maxAttempts: 5, maxDelay: Duration.seconds(30) }).simulate(failures)))
      .toEqual([[10, 10], [20, 20], [30, 30], [30, 30]]);
    expect(waits(job(engine, { maxAttempts: 5, maxDelay: Duration.seconds(30), jitterStrategy: sfn.JitterType.FULL }).simulate(failures)))
      .toEqual([[0, 10], [0, 20], [0, 30], [0, 30]]);
  });

  test('the size is the task definition\'s, or the cpu and memoryMiB overrides, when synth knows them', () => {
    const sizes = (run: RetryableEcsRunTask) => run.simulate([]).attempts.map((a) => [a.cpu, a.memoryMiB]);

    expect(sizes(job(engine))).toEqual([[256, 512]]);
    expect(sizes(job(engine, { cpu: '1024', memoryMiB: '4096' }))).toEqual([[1024, 4096]]);
    // Another revision may have another size; a JsonPath is known only when the run starts.
    expect(sizes(job(engine, { revisionNumber: 3 }))).toEqual([[undefined, undefined]]);
    if (engine === DecisionEngine.LAMBDA_FUNCTION) {
      expect(sizes(job(engine, { cpu: sfn.JsonPath.stringAt('$.cpu') }))).toEqual([[undefined, 512]]);
    }
  });

  test('a whole TaskFailed event of a history, or its details, decides as the Catch payload does', () => {
    const { Error: error, Cause: cause } = failure('oom-fargate');
    const details = { resourceType: 'ecs', resource: 'runTask.sync', error, cause };
    const event = { timestamp: '2026-11-24T02:00:41.101Z', type: 'TaskFailed', id: 5, previousEventId: 4, taskFailedEventDetails: details };
    const expected = adaptive(engine).simulate([text('oom-fargate')]);

    expect(adaptive(engine).simulate([JSON.stringify(event)])).toEqual(expected);
    expect(adaptive(engine).simulate([JSON.stringify(details)])).toEqual(expected);
    expect(expected.attempts[1].memoryMiB).toBe(1024);
  });

  test('a failure that is not JSON, or not a failure, throws at once and names its index', () => {
    const run = job(engine);
    const ok = text('spot-interruption');
    const expected = '`failures\\[1\\]` must be the JSON text of a failure payload: `{"Error": …, "Cause": …}` as a Catch receives it, or a `TaskFailed` event of a history, got: ';

    expect(() => run.simulate([ok, 'States.TaskFailed'])).toThrow(new RegExp(`^${expected}text that is not JSON: "States.TaskFailed"\\.$`));
    expect(() => run.simulate([ok, '[{"Error": "States.TaskFailed"}]'])).toThrow(new RegExp(`^${expected}an array of 1 objects\\.$`));
    expect(() => run.simulate([ok, '"oops"'])).toThrow(new RegExp(`^${expected}the string "oops"\\.$`));
    expect(() => run.simulate([ok, '{"Cause": "x"}'])).toThrow(new RegExp(`^${expected}an object with the keys "Cause"\\.$`));
    expect(() => run.simulate([ok, 'null'])).toThrow(new RegExp(`^${expected}null\\.$`));
    // Checked before any decision: a bad failure after the one that ends the run still throws.
    expect(() => run.simulate([text('pull-access-denied'), '{'])).toThrow(/^`failures\[1\]` must be/);
  });

  test('on a fragment too', () => {
    const { stack, cluster, taskDefinition } = testEnvironment();
    const fragment = new RetryableEcsRunTaskFragment(stack, 'Extract', { cluster, taskDefinition, decisionEngine: engine, maxAttempts: 2 });

    expect(fragment.simulate([text('spot-interruption'), text('spot-interruption')])).toMatchObject({
      status: 'FAILED', errorName: RetryErrors.ATTEMPTS_EXHAUSTED, attempts: [{ decision: 'RETRY' }, { decision: 'EXHAUSTED' }],
    });
  });
});

describe('simulate() and tokens', () => {
  test('a policy prop that is a token, which the Lambda engine accepts, throws when simulated, naming it', () => {
    const withParameter = job(DecisionEngine.LAMBDA_FUNCTION, {}, (stack) => ({ maxAttempts: new CfnParameter(stack, 'MaxAttempts', { type: 'Number' }).valueAsNumber }));
    expect(() => withParameter.simulate([])).toThrow(
      /^`simulate\(\)` of TestStack\/Job\/Run needs the retry policy at synth time, but `maxAttempts` is a token, got: a value known only at deploy\. Pass a number/);

    const withImport = job(DecisionEngine.LAMBDA_FUNCTION, { retryableErrors: ['ECS.AmazonECSException', Token.asString({ 'Fn::ImportValue': 'Errors' })] });
    expect(() => withImport.simulate([text('spot-interruption')])).toThrow(/but `retryableErrors\[1\]` is a token/);

    const withDuration = job(DecisionEngine.LAMBDA_FUNCTION, {}, (stack) => ({ interval: Duration.seconds(new CfnParameter(stack, 'Interval', { type: 'Number' }).valueAsNumber) }));
    expect(() => withDuration.simulate([])).toThrow(/but `interval` is a token/);
  });
});

describe('simulate() decides as the decider does', () => {
  test('each failed attempt is decideRetry\'s decision on the history and placement so far', () => {
    const failures = ['oom-fargate', 'spot-interruption', 'oom-ec2'].map(failure);
    const run = adaptive(DecisionEngine.LAMBDA_FUNCTION, { jitterStrategy: sfn.JitterType.FULL }).simulate(failures.map((f) => JSON.stringify(f)));
    // By hand: the policy the construct renders, decided attempt by attempt.
    const policy = {
      maxAttempts: 4,
      intervalSeconds: 10,
      backoffRate: 2,
      maxDelaySeconds: 300,
      jitter: 'FULL',
      retryableStopCodes: ['TaskFailedToStart', 'SpotInterruption', 'TerminationNotice', 'ServiceSchedulerInitiated'],
    };
    expect(policy.retryableStopCodes).toContain(TaskStopCode.SPOT_INTERRUPTION.code);
    let history: unknown = [];
    let placement = { sizeIndex: 0, capacity: 'primary' };
    const expected = failures.map((error, i) => {
      const decision = decideRetry({
        policy: { ...policy, sizes: [{ cpu: 256, memoryMiB: 512, containerMemoryMiB: [] }, { cpu: 256, memoryMiB: 1024, containerMemoryMiB: [] }, { cpu: 512, memoryMiB: 2048, containerMemoryMiB: [] }], fallback: { stopCodes: ['SpotInterruption'], stoppedReasons: [], errorCauses: [] } },
        attempt: i + 1,
        error,
        history,
        placement,
        random: 0,
      });
      const attempt = { rule: decision.rule, capacity: placement.capacity, memoryMiB: [512, 1024, 2048][placement.sizeIndex] };
      history = decision.history;
      placement = decision.next!;
      return attempt;
    });
    expect(expected.map((e) => e.rule)).toEqual(['outOfMemory:escalate to size 1', 'retryableStopCode:SpotInterruption', 'outOfMemory:escalate to size 2']);
    expect(run.attempts.slice(0, 3).map((a) => ({ rule: a.rule, capacity: a.capacity, memoryMiB: a.memoryMiB }))).toEqual(expected);
    expect(run.attempts[3]).toEqual({ attempt: 4, outcome: 'SUCCEEDED', capacity: 'fallback', cpu: 512, memoryMiB: 2048 });
  });
});

describe('both engines give the same SimulatedRun on the differential corpus', () => {
  const corpus = Object.keys(allFailures()).sort();
  /** Policies like the differential tests' own (test/engines/decision-expression.test.ts), as props. */
  const POLICIES: Record<string, Partial<RetryableEcsRunTaskProps>> = {
    defaults: { maxAttempts: undefined, interval: undefined, backoffRate: undefined, jitterStrategy: undefined },
    custom: { maxAttempts: 5, retryableExitCodes: [75, 137, -1], retryableErrors: ['ECS.AmazonECSException', 'States.Timeout'] },
    adaptive: { launchTarget: spot(), fallbackLaunchTarget: onDemand(), outOfMemorySizes: SIZES },
    sizesOnly: { outOfMemorySizes: SIZES },
    fallbackOnly: {
      retryableStopCodes: [TaskStopCode.TASK_FAILED_TO_START],
      fallbackLaunchTarget: onDemand(),
      fallbackStopCodes: [TaskStopCode.SPOT_INTERRUPTION],
      fallbackErrorCauses: ['*capacity*'],
    },
    oneAttempt: { maxAttempts: 1 },
    metacharacters: {
      retryableStoppedReasons: ['*(x)[y]{z}.+?^$|\\/*', 'İstanbul*', '*Kelvin K*', '*ẞ*', '*😀*'],
      nonRetryableStoppedReasons: ['*"quoted"*', '*%}*'],
      nonRetryableErrorCauses: ['*a*b*c*'],
    },
  };
  /** Every failure alone, each twice in a row, and the whole corpus in turn from each starting point. */
  const sequences = [
    ...corpus.map((name) => [name]),
    ...corpus.map((name) => [name, name]),
    ...corpus.map((_, start) => [...corpus.slice(start), ...corpus.slice(0, start)].slice(0, 6)),
  ];

  test.each(Object.keys(POLICIES))('%s policy', (name) => {
    const [lambda, stateMachine] = ENGINES.map((engine) => job(engine, POLICIES[name]));
    let retried = 0;
    for (const sequence of sequences) {
      const failures = sequence.map(text);
      const expected = lambda.simulate(failures);
      expect({ sequence, run: stateMachine.simulate(failures) }).toEqual({ sequence, run: expected });
      retried += expected.attempts.filter((a) => a.decision === 'RETRY').length;
    }
    // The corpus makes the runs retry, not only fail at once (except with one attempt).
    expect(retried).toBeGreaterThan(name === 'oneAttempt' ? -1 : sequences.length / 4);
  });
});
