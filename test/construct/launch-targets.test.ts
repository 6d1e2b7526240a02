import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { DecisionEngine, RetryableEcsRunTask, RetryableEcsRunTaskFragment, RetryableEcsRunTaskProps } from '../../src';
import { renderedDefinition } from '../support/local-execution';
import { testEnvironment, TestEnvironment } from '../support/stack';

const onCapacityProvider = (capacityProvider: string) => new tasks.EcsFargateLaunchTarget({
  platformVersion: ecs.FargatePlatformVersion.LATEST,
  capacityProviderOptions: tasks.CapacityProviderOptions.custom([{ capacityProvider, weight: 1 }]),
});

/** An EC2-only task definition with one container. */
function ec2TaskDefinition(env: TestEnvironment): ecs.Ec2TaskDefinition {
  const taskDefinition = new ecs.Ec2TaskDefinition(env.stack, 'Ec2TaskDef');
  taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('busybox'), memoryLimitMiB: 256 });
  return taskDefinition;
}

describe('a launch target the task definition cannot run on is rejected, naming the prop', () => {
  let env: TestEnvironment;
  beforeEach(() => {
    env = testEnvironment();
  });
  const run = (props: Partial<RetryableEcsRunTaskProps>) => () =>
    new RetryableEcsRunTask(env.stack, 'Job', { cluster: env.cluster, taskDefinition: env.taskDefinition, ...props });

  test('an EC2 fallback for a Fargate-only task definition, before CDK\'s own error', () => {
    // GIVEN
    const fallbackLaunchTarget = new tasks.EcsEc2LaunchTarget();

    // WHEN / THEN
    expect(run({ fallbackLaunchTarget })).toThrow(
      '`fallbackLaunchTarget` runs the task on EC2, but `taskDefinition` TestStack/TaskDef is not compatible with EC2 (its compatibility is FARGATE), '
      + 'got: EcsEc2LaunchTarget. Make `fallbackLaunchTarget` an EcsFargateLaunchTarget, or use a task definition compatible with EC2: '
      + 'an Ec2TaskDefinition, or a TaskDefinition with compatibility EC2_AND_FARGATE.');
  });

  test('an EC2 launch target for a Fargate-only task definition', () => {
    // GIVEN
    const launchTarget = new tasks.EcsEc2LaunchTarget();

    // WHEN / THEN
    expect(run({ launchTarget })).toThrow(
      '`launchTarget` runs the task on EC2, but `taskDefinition` TestStack/TaskDef is not compatible with EC2 (its compatibility is FARGATE), '
      + 'got: EcsEc2LaunchTarget. Make `launchTarget` an EcsFargateLaunchTarget, or use a task definition compatible with EC2: '
      + 'an Ec2TaskDefinition, or a TaskDefinition with compatibility EC2_AND_FARGATE.');
  });

  test('a Fargate launch target for an EC2-only task definition', () => {
    // GIVEN
    const taskDefinition = ec2TaskDefinition(env);

    // WHEN / THEN
    expect(run({ taskDefinition, launchTarget: onCapacityProvider('FARGATE_SPOT') })).toThrow(
      '`launchTarget` runs the task on Fargate, but `taskDefinition` TestStack/Ec2TaskDef is not compatible with Fargate (its compatibility is EC2), '
      + 'got: EcsFargateLaunchTarget. Make `launchTarget` an EcsEc2LaunchTarget, or use a task definition compatible with Fargate: '
      + 'a FargateTaskDefinition, or a TaskDefinition with compatibility EC2_AND_FARGATE.');
  });

  test('no launch target, so the default Fargate one, for an EC2-only task definition', () => {
    // GIVEN
    const taskDefinition = ec2TaskDefinition(env);

    // WHEN / THEN
    expect(run({ taskDefinition })).toThrow(
      '`launchTarget` is not set, so the task runs on Fargate, but `taskDefinition` TestStack/Ec2TaskDef is not compatible with Fargate '
      + '(its compatibility is EC2), got: undefined. Set `launchTarget` to an EcsEc2LaunchTarget, or use a task definition compatible with Fargate: '
      + 'a FargateTaskDefinition, or a TaskDefinition with compatibility EC2_AND_FARGATE.');
  });

  test('a Fargate fallback for an EC2-only task definition', () => {
    // GIVEN
    const taskDefinition = ec2TaskDefinition(env);

    // WHEN / THEN
    expect(run({ taskDefinition, launchTarget: new tasks.EcsEc2LaunchTarget(), fallbackLaunchTarget: onCapacityProvider('FARGATE') })).toThrow(
      '`fallbackLaunchTarget` runs the task on Fargate, but `taskDefinition` TestStack/Ec2TaskDef is not compatible with Fargate (its compatibility is EC2), '
      + 'got: EcsFargateLaunchTarget. Make `fallbackLaunchTarget` an EcsEc2LaunchTarget,');
  });

  test('a Fargate launch target for an external task definition names its compatibility', () => {
    // GIVEN
    const taskDefinition = new ecs.ExternalTaskDefinition(env.stack, 'External');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('busybox'), memoryLimitMiB: 256 });

    // WHEN / THEN
    expect(run({ taskDefinition, launchTarget: new tasks.EcsFargateLaunchTarget() }))
      .toThrow('is not compatible with Fargate (its compatibility is EXTERNAL), got: EcsFargateLaunchTarget.');
  });

  test.each([
    ['LAMBDA', DecisionEngine.LAMBDA],
    ['STATE_MACHINE', DecisionEngine.STATE_MACHINE],
  ])('a fragment fails when it is created, not when a state machine renders it (%s)', (_, decisionEngine) => {
    // GIVEN / WHEN
    const fragment = () => new RetryableEcsRunTaskFragment(env.stack, 'Job', {
      cluster: env.cluster, taskDefinition: env.taskDefinition, decisionEngine, fallbackLaunchTarget: new tasks.EcsEc2LaunchTarget(),
    });

    // THEN: before anything is created, the shared decider included.
    expect(fragment).toThrow('`fallbackLaunchTarget` runs the task on EC2, but `taskDefinition` TestStack/TaskDef is not compatible with EC2');
    expect(env.stack.node.tryFindChild('RetryableEcsRunTaskDecider')).toBeUndefined();
  });

  test('a task definition compatible with both runs on EC2 with a Fargate fallback', () => {
    // GIVEN
    env.cluster.addCapacity('Asg', { instanceType: new ec2.InstanceType('t3.small') });
    const taskDefinition = new ecs.TaskDefinition(env.stack, 'Both', {
      compatibility: ecs.Compatibility.EC2_AND_FARGATE, cpu: '256', memoryMiB: '512', networkMode: ecs.NetworkMode.AWS_VPC,
    });
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('busybox') });

    // WHEN
    run({ taskDefinition, launchTarget: new tasks.EcsEc2LaunchTarget(), fallbackLaunchTarget: new tasks.EcsFargateLaunchTarget() })();

    // THEN
    const states = renderedDefinition(env.stack).States as Record<string, any>;
    expect(states['Run task'].Parameters.LaunchType).toBe('EC2');
    expect(states['Run task on fallback'].Parameters.LaunchType).toBe('FARGATE');
  });
});
