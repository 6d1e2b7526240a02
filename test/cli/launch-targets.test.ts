import {
  describePlacement, formatSize, launchTargetOfParameters, launchTargetOfTask, sizeOfParameters, sizeOfTask,
} from '../../cli/explain/launch-targets';

// Where an attempt ran, named as ECS names it: a capacity provider or a launch type, and a size in
// vCPU and GiB; not `primary`, `fallback` or a size index.

describe('launch targets', () => {
  test('from a task description: its capacity provider and launch type', () => {
    expect(launchTargetOfTask({ CapacityProviderName: 'FARGATE_SPOT', LaunchType: 'FARGATE' })).toEqual({ capacityProviders: ['FARGATE_SPOT'], launchType: 'FARGATE' });
    expect(launchTargetOfTask({ LaunchType: 'EC2' })).toEqual({ launchType: 'EC2' });
    expect(launchTargetOfTask({ CapacityProviderName: 'my-asg-provider' })).toEqual({ capacityProviders: ['my-asg-provider'] });
    expect(launchTargetOfTask({ StopCode: 'EssentialContainerExited' })).toBeUndefined();
    expect(launchTargetOfTask('not a task')).toBeUndefined();
  });

  test('from RunTask\'s parameters: the strategy\'s providers, the launch type, or the cluster\'s default', () => {
    expect(launchTargetOfParameters({ CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 3 }, { CapacityProvider: 'FARGATE', Weight: 1 }] }))
      .toEqual({ capacityProviders: ['FARGATE_SPOT', 'FARGATE'] });
    expect(launchTargetOfParameters({ LaunchType: 'EC2', Cluster: 'arn' })).toEqual({ launchType: 'EC2' });
    expect(launchTargetOfParameters({ Cluster: 'arn' })).toEqual({});
  });

  test('what only the execution knows is not a launch target', () => {
    expect(launchTargetOfParameters({ 'LaunchType.$': '$.launchType' })).toBeUndefined();
    expect(launchTargetOfParameters({ LaunchType: '{% $launchType %}' })).toBeUndefined();
    expect(launchTargetOfParameters({ CapacityProviderStrategy: [{ CapacityProvider: '<Ref Provider>' }] })).toBeUndefined();
    expect(launchTargetOfParameters(undefined)).toBeUndefined();
  });

  test('sizes, from RunTask\'s overrides or a task description', () => {
    expect(sizeOfParameters({ Overrides: { Cpu: '512', Memory: '1024' } })).toEqual({ cpu: 512, memoryMiB: 1024 });
    expect(sizeOfParameters({ Overrides: { 'Cpu.$': '$.cpu' } })).toBeUndefined();
    expect(sizeOfTask({ Cpu: '1024', Memory: '2048' })).toEqual({ cpu: 1024, memoryMiB: 2048 });
    expect(sizeOfTask({ Cpu: '-1', Memory: 'x' })).toBeUndefined();
  });

  test.each([
    [{ cpu: 256, memoryMiB: 512 }, '0.25 vCPU, 0.5 GiB'],
    [{ cpu: 1024, memoryMiB: 2048 }, '1 vCPU, 2 GiB'],
    [{ cpu: 16384, memoryMiB: 122880 }, '16 vCPU, 120 GiB'],
    [{ cpu: 100, memoryMiB: 300 }, '100 CPU units, 300 MiB'],
  ])('size %j reads %s', (size, text) => {
    expect(formatSize(size)).toBe(text);
  });

  test('as shown in a row: the launch target and the size; without a launch target, the state that ran the attempt', () => {
    expect(describePlacement({ capacityProviders: ['FARGATE_SPOT'] }, 'primary', { cpu: 1024, memoryMiB: 2048 }, 'Run task')).toBe('FARGATE_SPOT · 1 vCPU, 2 GiB');
    expect(describePlacement({ launchType: 'EC2' }, 'primary', undefined, 'Run task')).toBe('EC2');
    expect(describePlacement({}, 'fallback', undefined, 'Run task')).toBe('cluster default');
    expect(describePlacement({ capacityProviders: ['FARGATE_SPOT', 'FARGATE'] }, 'primary', undefined, 'Run task')).toBe('FARGATE_SPOT or FARGATE');
    // The LAMBDA engine's state of the fallback says where it ran; the STATE_MACHINE engine's one state does not.
    expect(describePlacement(undefined, 'fallback', { cpu: 512, memoryMiB: 1024 }, 'Load: Run task on fallback')).toBe('"Load: Run task on fallback" · 0.5 vCPU, 1 GiB');
    expect(describePlacement(undefined, 'fallback', undefined, 'Load: Run task')).toBe('"Load: Run task" (fallback)');
    expect(describePlacement(undefined, 'primary', undefined, 'Load: Run task')).toBe('"Load: Run task"');
    expect(describePlacement(undefined, undefined, undefined, 'Run task')).toBe('"Run task"');
  });
});
