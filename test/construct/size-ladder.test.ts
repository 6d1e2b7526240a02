import { App, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { sizeLadder } from '../../src/sizing/size-ladder';
import { testEnvironment } from '../support/stack';

/** Jest's toThrow with an Error compares the whole message, not a substring. */
const exactly = (message: string) => new Error(message);
const DOC = 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html';
const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable');
const fargate = () => new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.LATEST });
const ec2Target = () => new tasks.EcsEc2LaunchTarget();

function newStack(): Stack {
  return new Stack(new App(), 'TestStack');
}

/** A generic task definition, where EC2 ones can set a task-level size. */
function taskDefinitionOf(props: Partial<ecs.TaskDefinitionProps>): ecs.TaskDefinition {
  const taskDefinition = new ecs.TaskDefinition(newStack(), 'TaskDef', { compatibility: ecs.Compatibility.EC2, ...props });
  taskDefinition.addContainer('app', { image, memoryReservationMiB: 128 });
  return taskDefinition;
}

describe('a Fargate ladder', () => {
  test('renders the task definition\'s own size, then each size', () => {
    // GIVEN: testEnvironment's Fargate task definition has the default 256 CPU units and 512 MiB
    const { taskDefinition } = testEnvironment();

    // WHEN
    const ladder = sizeLadder(taskDefinition, [
      { memoryMiB: 1024 },
      { memoryMiB: 2048 },
      { cpu: 1024, memoryMiB: 4096 },
      { cpu: 16384, memoryMiB: 122880 },
    ], [fargate()]);

    // THEN
    expect(ladder).toEqual({
      rungs: [
        { cpu: 256, memoryMiB: 512, containerMemoryMiB: [] },
        { cpu: 256, memoryMiB: 1024, containerMemoryMiB: [] },
        { cpu: 256, memoryMiB: 2048, containerMemoryMiB: [] },
        { cpu: 1024, memoryMiB: 4096, containerMemoryMiB: [] },
        { cpu: 16384, memoryMiB: 122880, containerMemoryMiB: [] },
      ],
      hardLimitContainers: [],
    });
  });

  test('a size without cpu inherits the CPU of the size before it', () => {
    const stack = newStack();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'TaskDef', { cpu: 2048, memoryLimitMiB: 4096 });
    taskDefinition.addContainer('app', { image });

    const ladder = sizeLadder(taskDefinition, [{ memoryMiB: 8192 }, { cpu: 4096, memoryMiB: 16384 }, { memoryMiB: 30720 }], [fargate()]);

    expect(ladder.rungs.map(({ cpu, memoryMiB }) => [cpu, memoryMiB])).toEqual([
      [2048, 4096], [2048, 8192], [4096, 16384], [4096, 30720],
    ]);
  });

  test.each<[string, { cpu?: number; memoryMiB: number }, string]>([
    ['memory outside the range of its CPU', { cpu: 512, memoryMiB: 5120 },
      '`outOfMemorySizes[1]` must be a valid Fargate size, since `launchTarget` runs on Fargate, got: cpu 512, memoryMiB 5120. '
      + `With cpu 512, Fargate takes memoryMiB 1024 to 4096 MiB in steps of 1024; pick one of those, or more CPU. See ${DOC}`],
    ['memory off the step', { cpu: 8192, memoryMiB: 18432 },
      '`outOfMemorySizes[1]` must be a valid Fargate size, since `launchTarget` runs on Fargate, got: cpu 8192, memoryMiB 18432. '
      + `With cpu 8192, Fargate takes memoryMiB 16384 to 61440 MiB in steps of 4096; pick one of those, or more CPU. See ${DOC}`],
    ['an inherited CPU too small for the memory', { memoryMiB: 3072 },
      '`outOfMemorySizes[1]` must be a valid Fargate size, since `launchTarget` runs on Fargate, got: cpu 256, memoryMiB 3072. '
      + `With cpu 256, Fargate takes memoryMiB 512, 1024 or 2048 MiB; pick one of those, or more CPU. See ${DOC}`],
    ['a CPU Fargate does not offer', { cpu: 768, memoryMiB: 3072 },
      '`outOfMemorySizes[1]` must be a valid Fargate size, since `launchTarget` runs on Fargate, got: cpu 768, memoryMiB 3072. '
      + `Fargate takes cpu 256, 512, 1024, 2048, 4096, 8192 or 16384. See ${DOC}`],
  ])('rejects %s, naming the size and the valid range', (_, second, message) => {
    const { taskDefinition } = testEnvironment();
    expect(() => sizeLadder(taskDefinition, [{ memoryMiB: 1024 }, second], [fargate()])).toThrow(exactly(message));
  });

  test('a Fargate-only task definition is checked on an EC2 launch target too', () => {
    const { taskDefinition } = testEnvironment();
    expect(() => sizeLadder(taskDefinition, [{ memoryMiB: 4096 }], [ec2Target()])).toThrow(exactly(
      '`outOfMemorySizes[0]` must be a valid Fargate size, since `taskDefinition` TestStack/TaskDef runs only on Fargate, got: cpu 256, memoryMiB 4096. '
      + `With cpu 256, Fargate takes memoryMiB 512, 1024 or 2048 MiB; pick one of those, or more CPU. See ${DOC}`,
    ));
  });

  test('the task definition\'s own size is checked too', () => {
    const taskDefinition = taskDefinitionOf({ compatibility: ecs.Compatibility.EC2, cpu: '768', memoryMiB: '2048' });
    expect(() => sizeLadder(taskDefinition, [{ memoryMiB: 4096 }], [fargate()])).toThrow(exactly(
      '`taskDefinition` TestStack/TaskDef\'s own size must be a valid Fargate size, since `launchTarget` runs on Fargate, got: cpu 768, memoryMiB 2048. '
      + `Fargate takes cpu 256, 512, 1024, 2048, 4096, 8192 or 16384. See ${DOC}`,
    ));
  });
});

describe('sizes must grow', () => {
  test.each<[string, Array<{ cpu?: number; memoryMiB: number }>, string]>([
    ['the first size no larger than the task definition', [{ memoryMiB: 512 }],
      '`outOfMemorySizes[0]` must have more memory than the task definition\'s own size (cpu 256, memoryMiB 512), got: cpu 256, memoryMiB 512. '
      + 'Each size runs after the one before it ran out of memory: list the sizes from smallest to largest.'],
    ['equal memory', [{ memoryMiB: 1024 }, { cpu: 512, memoryMiB: 1024 }],
      '`outOfMemorySizes[1]` must have more memory than `outOfMemorySizes[0]` (cpu 256, memoryMiB 1024), got: cpu 512, memoryMiB 1024. '
      + 'Each size runs after the one before it ran out of memory: list the sizes from smallest to largest.'],
    ['shrinking memory', [{ memoryMiB: 2048 }, { memoryMiB: 1024 }],
      '`outOfMemorySizes[1]` must have more memory than `outOfMemorySizes[0]` (cpu 256, memoryMiB 2048), got: cpu 256, memoryMiB 1024. '
      + 'Each size runs after the one before it ran out of memory: list the sizes from smallest to largest.'],
    ['shrinking CPU', [{ cpu: 1024, memoryMiB: 2048 }, { cpu: 512, memoryMiB: 4096 }],
      '`outOfMemorySizes[1]` must have at least the CPU of `outOfMemorySizes[0]` (cpu 1024, memoryMiB 2048), got: cpu 512, memoryMiB 4096. '
      + 'List the sizes from smallest to largest; leave `cpu` out to keep the CPU of the size before.'],
  ])('rejects %s', (_, sizes, message) => {
    const { taskDefinition } = testEnvironment();
    expect(() => sizeLadder(taskDefinition, sizes, [fargate()])).toThrow(exactly(message));
  });
});

describe('the sizes themselves', () => {
  test('an empty list is rejected', () => {
    const { taskDefinition } = testEnvironment();
    expect(() => sizeLadder(taskDefinition, [], [fargate()])).toThrow(exactly(
      '`outOfMemorySizes` must list at least one size, got: []. Omit the prop to leave out-of-memory failures unescalated.',
    ));
  });

  test.each<[string, { cpu?: number; memoryMiB: number }, string]>([
    ['zero memory', { memoryMiB: 0 }, '`outOfMemorySizes[1].memoryMiB` must be a positive whole number of MiB, got: 0.'],
    ['fractional memory', { memoryMiB: 2048.5 }, '`outOfMemorySizes[1].memoryMiB` must be a positive whole number of MiB, got: 2048.5.'],
    ['negative CPU', { cpu: -1, memoryMiB: 2048 }, '`outOfMemorySizes[1].cpu` must be a positive whole number of CPU units, got: -1.'],
    ['a token', { memoryMiB: Token.asNumber(Lazy.number({ produce: () => 2048 })) },
      '`outOfMemorySizes[1].memoryMiB` must be a literal number: the size ladder is computed at synth time, got: a token. Give it a whole number of MiB.'],
  ])('rejects %s', (_, second, message) => {
    const { taskDefinition } = testEnvironment();
    expect(() => sizeLadder(taskDefinition, [{ memoryMiB: 1024 }, second], [fargate()])).toThrow(exactly(message));
  });
});

describe('the task definition\'s own size', () => {
  test('an EC2 task definition without task-level memory is rejected', () => {
    const stack = newStack();
    const taskDefinition = new ecs.Ec2TaskDefinition(stack, 'TaskDef');
    taskDefinition.addContainer('app', { image, memoryLimitMiB: 512 });

    expect(() => sizeLadder(taskDefinition, [{ memoryMiB: 1024 }], [ec2Target()])).toThrow(exactly(
      '`outOfMemorySizes` needs the task definition\'s own task-level CPU and memory to grow from, but `taskDefinition` TestStack/TaskDef sets no task-level memory. '
      + 'Create it as an `ecs.TaskDefinition` with task-level `cpu` and `memoryMiB` (an `Ec2TaskDefinition` cannot set them), '
      + 'or as a `FargateTaskDefinition` with `cpu` and `memoryLimitMiB`.',
    ));
  });

  test('an EC2 task definition without task-level CPU is rejected', () => {
    const taskDefinition = taskDefinitionOf({ memoryMiB: '1024' });
    expect(() => sizeLadder(taskDefinition, [{ memoryMiB: 2048 }], [ec2Target()])).toThrow(exactly(
      '`outOfMemorySizes` needs the task definition\'s own task-level CPU and memory to grow from, but `taskDefinition` TestStack/TaskDef sets no task-level cpu. '
      + 'Create it as an `ecs.TaskDefinition` with task-level `cpu` and `memoryMiB` (an `Ec2TaskDefinition` cannot set them), '
      + 'or as a `FargateTaskDefinition` with `cpu` and `memoryLimitMiB`.',
    ));
  });

  test('a token task-level size is rejected', () => {
    const taskDefinition = taskDefinitionOf({ cpu: '1024', memoryMiB: Lazy.string({ produce: () => '2048' }) });
    expect(() => sizeLadder(taskDefinition, [{ memoryMiB: 4096 }], [ec2Target()])).toThrow(exactly(
      '`outOfMemorySizes` needs the task definition\'s own task-level memory at synth time, but `taskDefinition` TestStack/TaskDef sets it to a token. Give it a literal value.',
    ));
  });

  test('"1 vCPU" and "2 GB" are read as RegisterTaskDefinition reads them', () => {
    const taskDefinition = taskDefinitionOf({ cpu: '1 vCPU', memoryMiB: '2 GB' });
    expect(sizeLadder(taskDefinition, [{ memoryMiB: 4096 }], [ec2Target()]).rungs).toEqual([
      { cpu: 1024, memoryMiB: 2048, containerMemoryMiB: [] },
      { cpu: 1024, memoryMiB: 4096, containerMemoryMiB: [] },
    ]);
  });

  test('an unreadable task-level size is rejected', () => {
    const taskDefinition = taskDefinitionOf({ cpu: 'lots', memoryMiB: '2048' });
    expect(() => sizeLadder(taskDefinition, [{ memoryMiB: 4096 }], [ec2Target()])).toThrow(exactly(
      '`outOfMemorySizes` cannot read the task-level cpu of `taskDefinition` TestStack/TaskDef, got: "lots". Give it a whole number (CPU units).',
    ));
  });
});

describe('launch targets', () => {
  test('a custom launch target is rejected', () => {
    const { taskDefinition } = testEnvironment();
    class CustomTarget implements tasks.IEcsLaunchTarget {
      public bind(): tasks.EcsLaunchTargetConfig {
        return { parameters: { LaunchType: 'FARGATE' } };
      }
    }

    expect(() => sizeLadder(taskDefinition, [{ memoryMiB: 1024 }], [fargate(), new CustomTarget()])).toThrow(exactly(
      '`fallbackLaunchTarget` must be an `EcsFargateLaunchTarget` or an `EcsEc2LaunchTarget` when `outOfMemorySizes` is set, got: a custom `IEcsLaunchTarget` (CustomTarget). '
      + 'Synth cannot tell whether its tasks accept task-size overrides; use one of the two, or omit `outOfMemorySizes`.',
    ));
  });

  test('an EC2 ladder takes any growing size, a big memory included', () => {
    const taskDefinition = taskDefinitionOf({ cpu: '1024', memoryMiB: '2048' });

    const ladder = sizeLadder(taskDefinition, [{ memoryMiB: 3000 }, { cpu: 3000, memoryMiB: 200000 }], [ec2Target()]);

    expect(ladder.rungs).toEqual([
      { cpu: 1024, memoryMiB: 2048, containerMemoryMiB: [] },
      { cpu: 1024, memoryMiB: 3000, containerMemoryMiB: [] },
      { cpu: 3000, memoryMiB: 200000, containerMemoryMiB: [] },
    ]);
  });

  describe('both the primary and the fallback target are checked', () => {
    const spot = () => new tasks.EcsFargateLaunchTarget({
      platformVersion: ecs.FargatePlatformVersion.LATEST,
      capacityProviderOptions: tasks.CapacityProviderOptions.custom([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]),
    });

    test('Fargate Spot, then Fargate: valid Fargate sizes pass', () => {
      const { taskDefinition } = testEnvironment();
      expect(sizeLadder(taskDefinition, [{ memoryMiB: 2048 }, { cpu: 512, memoryMiB: 4096 }], [spot(), fargate()]).rungs).toEqual([
        { cpu: 256, memoryMiB: 512, containerMemoryMiB: [] },
        { cpu: 256, memoryMiB: 2048, containerMemoryMiB: [] },
        { cpu: 512, memoryMiB: 4096, containerMemoryMiB: [] },
      ]);
    });

    test('Fargate Spot, then Fargate: an invalid size is named with the primary target', () => {
      const { taskDefinition } = testEnvironment();
      expect(() => sizeLadder(taskDefinition, [{ cpu: 512, memoryMiB: 8192 }], [spot(), fargate()])).toThrow(exactly(
        '`outOfMemorySizes[0]` must be a valid Fargate size, since `launchTarget` runs on Fargate, got: cpu 512, memoryMiB 8192. '
        + `With cpu 512, Fargate takes memoryMiB 1024 to 4096 MiB in steps of 1024; pick one of those, or more CPU. See ${DOC}`,
      ));
    });

    test('EC2, then Fargate: the Fargate fallback holds the sizes to Fargate\'s table', () => {
      const taskDefinition = taskDefinitionOf({ compatibility: ecs.Compatibility.EC2_AND_FARGATE, cpu: '1024', memoryMiB: '2048' });
      expect(() => sizeLadder(taskDefinition, [{ memoryMiB: 3000 }], [ec2Target(), fargate()])).toThrow(exactly(
        '`outOfMemorySizes[0]` must be a valid Fargate size, since `fallbackLaunchTarget` runs on Fargate, got: cpu 1024, memoryMiB 3000. '
        + `With cpu 1024, Fargate takes memoryMiB 2048 to 8192 MiB in steps of 1024; pick one of those, or more CPU. See ${DOC}`,
      ));
    });
  });
});

describe('containers with a hard memory limit', () => {
  test('grow in proportion to the task memory; soft limits are left alone', () => {
    // GIVEN
    const stack = newStack();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'TaskDef', { cpu: 1024, memoryLimitMiB: 2048 });
    taskDefinition.addContainer('app', { image, memoryLimitMiB: 1536 });
    taskDefinition.addContainer('sidecar', { image, memoryReservationMiB: 256 });
    taskDefinition.addContainer('agent', { image, containerName: 'log-agent', memoryLimitMiB: 301, memoryReservationMiB: 64 });
    taskDefinition.addContainer('unlimited', { image });

    // WHEN
    const ladder = sizeLadder(taskDefinition, [{ memoryMiB: 3072 }, { cpu: 2048, memoryMiB: 5120 }], [fargate()]);

    // THEN: floor(limit × memory / 2048); rung 0 keeps the limits as they are
    expect(ladder).toEqual({
      rungs: [
        { cpu: 1024, memoryMiB: 2048, containerMemoryMiB: [1536, 301] },
        { cpu: 1024, memoryMiB: 3072, containerMemoryMiB: [2304, 451] },
        { cpu: 2048, memoryMiB: 5120, containerMemoryMiB: [3840, 752] },
      ],
      hardLimitContainers: ['app', 'log-agent'],
    });
  });

  test('a token hard limit is rejected', () => {
    const taskDefinition = taskDefinitionOf({ cpu: '1024', memoryMiB: '2048' });
    taskDefinition.addContainer('worker', { image, memoryLimitMiB: Token.asNumber(Lazy.number({ produce: () => 512 })) });
    expect(() => sizeLadder(taskDefinition, [{ memoryMiB: 4096 }], [ec2Target()])).toThrow(exactly(
      '`outOfMemorySizes` scales the hard memory limit of container \'worker\' in `taskDefinition` TestStack/TaskDef at synth time, but its `memoryLimitMiB` is a token. Give it a literal value.',
    ));
  });
});
