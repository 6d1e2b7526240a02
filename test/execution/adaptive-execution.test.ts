import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { handler as decider } from '../../lambda/decider-handler';
import { RetryableEcsRunTask, RetryableEcsRunTaskProps, RetryErrors } from '../../src';
import { failure, successTask } from '../support/fixtures';
import { fargateCapacity } from '../support/launch-targets';
import { executeLocally, ExecuteOptions, Outcome, renderedDefinition } from '../support/local-execution';
import { testEnvironment } from '../support/stack';

const ok: Outcome = { succeed: successTask() };
const fail = (name: string): Outcome => ({ fail: failure(name) });

const spot = () => fargateCapacity('FARGATE_SPOT');
const onDemand = () => fargateCapacity('FARGATE');
/** The test task definition is 256 CPU units and 512 MiB; two sizes up from there. */
const SIZES = [{ cpu: 512, memoryMiB: 1024 }, { cpu: 1024, memoryMiB: 2048 }];

function run(props: Partial<RetryableEcsRunTaskProps>, options: ExecuteOptions) {
  const { stack, cluster, taskDefinition } = testEnvironment();
  new RetryableEcsRunTask(stack, 'Job', {
    cluster,
    taskDefinition,
    maxAttempts: 4,
    interval: Duration.seconds(10),
    jitterStrategy: sfn.JitterType.NONE,
    ...props,
  });
  return executeLocally(renderedDefinition(stack), options);
}

const sizeOf = (input: any) => ({ cpu: input.Overrides.Cpu, memory: input.Overrides.Memory });
const capacityOf = (input: any) => input.CapacityProviderStrategy?.[0]?.CapacityProvider;

// The decider logs one line per decision; keep test output readable.
beforeAll(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));

describe('a bigger task after out of memory', () => {
  test('OOM, OOM, success: the task definition size, then sizes 1 and 2', async () => {
    const result = await run({ outOfMemorySizes: SIZES }, { outcomes: [fail('oom-fargate'), fail('oom-fargate'), ok] });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.runTaskInputs.map(sizeOf)).toEqual([
      { cpu: '256', memory: '512' }, { cpu: '512', memory: '1024' }, { cpu: '1024', memory: '2048' },
    ]);
    const output = result.output.retryableEcsRunTask;
    expect(output.size).toEqual({ cpu: 1024, memoryMiB: 2048 });
    expect(output.capacity).toBe('primary');
    expect(output.history.map((h: any) => [h.size, h.capacity, h.rule])).toEqual([
      [{ cpu: 256, memoryMiB: 512 }, 'primary', 'outOfMemory:escalate to size 1'],
      [{ cpu: 512, memoryMiB: 1024 }, 'primary', 'outOfMemory:escalate to size 2'],
    ]);
  });

  test('OOM at the largest size fails NotRetryable with a rule that says so', async () => {
    const result = await run({ outOfMemorySizes: SIZES }, { outcomes: [fail('oom-fargate'), fail('oom-ec2'), fail('oom-sidecar')] });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(RetryErrors.NOT_RETRYABLE);
    expect(result.cause).toContain('outOfMemoryAtLargestSize');
    expect(result.runTaskCalls).toBe(3);
  });

  test('without sizes, out of memory is not retried, as before', async () => {
    const result = await run({}, { outcomes: [fail('oom-fargate')] });
    expect(result.error).toBe(RetryErrors.NOT_RETRYABLE);
    expect(result.runTaskInputs[0].Overrides.Cpu).toBeUndefined();
  });

  test('maxAttempts still bounds the run, whatever the ladder', async () => {
    const result = await run({ outOfMemorySizes: SIZES, maxAttempts: 2 }, { outcomes: [fail('oom-fargate'), fail('oom-fargate')] });
    expect(result.error).toBe(RetryErrors.ATTEMPTS_EXHAUSTED);
    expect(result.runTaskCalls).toBe(2);
  });

  test('a container with a hard memory limit gets its own memory override', async () => {
    const { stack, cluster } = testEnvironment();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Limited', { cpu: 256, memoryLimitMiB: 512 });
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('busybox'), memoryLimitMiB: 384 });
    new RetryableEcsRunTask(stack, 'Job', { cluster, taskDefinition, outOfMemorySizes: SIZES, jitterStrategy: sfn.JitterType.NONE });
    const result = await executeLocally(renderedDefinition(stack), { outcomes: [fail('oom-fargate'), ok] });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.runTaskInputs.map((i) => i.Overrides.ContainerOverrides[0].Memory)).toEqual([384, 768]);
  });
});

describe('on-demand capacity after Spot', () => {
  test('a Spot interruption moves the retry to the fallback launch target', async () => {
    const result = await run({ launchTarget: spot(), fallbackLaunchTarget: onDemand() }, { outcomes: [fail('spot-interruption'), ok] });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.runTaskInputs.map(capacityOf)).toEqual(['FARGATE_SPOT', 'FARGATE']);
    expect(result.output.retryableEcsRunTask.capacity).toBe('fallback');
    expect(result.output.retryableEcsRunTask.history[0].capacity).toBe('primary');
  });

  test('RunTask finding no Spot capacity, then success on the fallback', async () => {
    const result = await run({ launchTarget: spot(), fallbackLaunchTarget: onDemand() }, { outcomes: [fail('capacity-unavailable'), ok] });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.runTaskInputs.map(capacityOf)).toEqual(['FARGATE_SPOT', 'FARGATE']);
  });

  test('a failure the fallback rules do not match stays on the primary target', async () => {
    const result = await run({ launchTarget: spot(), fallbackLaunchTarget: onDemand() }, { outcomes: [fail('resource-initialization-error'), ok] });
    expect(result.runTaskInputs.map(capacityOf)).toEqual(['FARGATE_SPOT', 'FARGATE_SPOT']);
  });

  test('once on the fallback, later attempts stay there', async () => {
    const result = await run({ launchTarget: spot(), fallbackLaunchTarget: onDemand() },
      { outcomes: [fail('spot-interruption'), fail('resource-initialization-error'), ok] });
    expect(result.runTaskInputs.map(capacityOf)).toEqual(['FARGATE_SPOT', 'FARGATE', 'FARGATE']);
  });
});

describe('both adaptations', () => {
  test('a Spot interruption, then out of memory, keeps both', async () => {
    const result = await run({ launchTarget: spot(), fallbackLaunchTarget: onDemand(), outOfMemorySizes: SIZES },
      { outcomes: [fail('spot-interruption'), fail('oom-fargate'), ok] });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.runTaskInputs.map((i) => [capacityOf(i), sizeOf(i)])).toEqual([
      ['FARGATE_SPOT', { cpu: '256', memory: '512' }],
      ['FARGATE', { cpu: '256', memory: '512' }],
      ['FARGATE', { cpu: '512', memory: '1024' }],
    ]);
    expect(result.output.retryableEcsRunTask).toMatchObject({ capacity: 'fallback', size: { cpu: 512, memoryMiB: 1024 } });
  });

  test('a decider that answers without a placement ends as an invalid decision, not a broken RunTask', async () => {
    const liar = async () => ({ retryable: true, retry: true, waitSeconds: 1, rule: 'x', history: [], cause: 'x', next: { sizeIndex: 1 } });
    const result = await run({ outOfMemorySizes: SIZES }, { outcomes: [fail('oom-fargate')], decider: liar });
    expect(result.error).toBe(RetryErrors.INVALID_DECISION);
    expect(result.runTaskCalls).toBe(1);
  });

  test.each([
    ['back from fallback to primary', { sizeIndex: 1, capacity: 'primary', size: { cpu: 512, memoryMiB: 1024, containerMemoryMiB: [] } }],
    ['a smaller size', { sizeIndex: 0, capacity: 'fallback', size: { cpu: 256, memoryMiB: 512, containerMemoryMiB: [] } }],
    ['a size past the ladder', { sizeIndex: 3, capacity: 'fallback', size: { cpu: 4096, memoryMiB: 8192, containerMemoryMiB: [] } }],
  ])('a decider that moves the next attempt %s is stopped by the state machine', async (_, next) => {
    let calls = 0;
    // The first two decisions are real (a Spot interruption, then an OOM: fallback at size 1); the third lies.
    const lying = async (payload: any) => {
      calls++;
      const real: any = await decider(payload);
      return calls < 3 ? real : { ...real, retryable: true, retry: true, next };
    };
    const result = await run({ launchTarget: spot(), fallbackLaunchTarget: onDemand(), outOfMemorySizes: SIZES },
      { outcomes: [fail('spot-interruption'), fail('oom-fargate'), fail('oom-fargate')], decider: lying });
    expect(result.runTaskInputs.map(capacityOf)).toEqual(['FARGATE_SPOT', 'FARGATE', 'FARGATE']);
    expect(result.error).toBe(RetryErrors.INVALID_DECISION);
    expect(result.runTaskCalls).toBe(3);
  });
});
