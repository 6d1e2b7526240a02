import { Annotations as CoreAnnotations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { DecisionEngine, RetryableEcsRunTask, RetryableEcsRunTaskFragment, RetryableEcsRunTaskProps } from '../../src';
import { renderedDefinition } from '../support/local-execution';
import { testEnvironment, TestEnvironment } from '../support/stack';

const ACK = 'cdk-retryable-ecs-run-task:capacityProviderNotInCluster';

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

/** The warning the run adds for a capacity provider its cluster lacks, as the assembly records it. */
function missingProviderWarning(prop: string, provider: string): string {
  return `\`${prop}\` runs the task on capacity provider ${provider}, but cluster TestStack/Cluster has no ${provider} capacity provider, `
    + 'so RunTask would refuse every attempt on it. Set `enableFargateCapacityProviders: true` on the cluster, or call '
    + `\`cluster.enableFargateCapacityProviders()\`. If the capacity provider is associated with the cluster elsewhere, acknowledge this warning. [ack: ${ACK}]`;
}

function capacityProviderWarnings(env: TestEnvironment): string[] {
  return Annotations.fromStack(env.stack).findWarning('*', Match.stringLikeRegexp(ACK)).map((w) => w.entry.data as string);
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
    ['LAMBDA', DecisionEngine.LAMBDA_FUNCTION],
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

describe('a FARGATE or FARGATE_SPOT capacity provider the cluster lacks is warned about at synth', () => {
  let env: TestEnvironment;
  beforeEach(() => {
    env = testEnvironment();
  });
  const run = (props: Partial<RetryableEcsRunTaskProps>, cluster: ecs.ICluster = env.cluster) =>
    new RetryableEcsRunTask(env.stack, 'Job', { cluster, taskDefinition: env.taskDefinition, ...props });

  test.each([
    ['LAMBDA', DecisionEngine.LAMBDA_FUNCTION],
    ['STATE_MACHINE', DecisionEngine.STATE_MACHINE],
  ])('a launch target on FARGATE_SPOT, on a cluster without it (%s)', (_, decisionEngine) => {
    // GIVEN / WHEN
    run({ decisionEngine, launchTarget: onCapacityProvider('FARGATE_SPOT') });

    // THEN
    Annotations.fromStack(env.stack).hasWarning('/TestStack/Job/Run', missingProviderWarning('launchTarget', 'FARGATE_SPOT'));
    expect(capacityProviderWarnings(env)).toHaveLength(1);
  });

  test('only the fallback, when the primary target runs on the cluster\'s own capacity provider', () => {
    // GIVEN
    const asg = new ecs.AsgCapacityProvider(env.stack, 'Ec2Capacity', {
      autoScalingGroup: new autoscaling.AutoScalingGroup(env.stack, 'Asg', {
        vpc: env.vpc, instanceType: new ec2.InstanceType('t3.small'), machineImage: ecs.EcsOptimizedImage.amazonLinux2(),
      }),
    });
    env.cluster.addAsgCapacityProvider(asg);
    const taskDefinition = new ecs.TaskDefinition(env.stack, 'Both', {
      compatibility: ecs.Compatibility.EC2_AND_FARGATE, cpu: '256', memoryMiB: '512', networkMode: ecs.NetworkMode.AWS_VPC,
    });
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('busybox') });
    const onAsg = new tasks.EcsEc2LaunchTarget({
      capacityProviderOptions: tasks.CapacityProviderOptions.custom([{ capacityProvider: asg.capacityProviderName, weight: 1 }]),
    });

    // WHEN
    run({ taskDefinition, launchTarget: onAsg, fallbackLaunchTarget: onCapacityProvider('FARGATE_SPOT') });

    // THEN
    expect(capacityProviderWarnings(env)).toEqual([missingProviderWarning('fallbackLaunchTarget', 'FARGATE_SPOT')]);
  });

  test('each target, when the cluster has only capacity providers of its own', () => {
    // GIVEN
    const asg = new ecs.AsgCapacityProvider(env.stack, 'Ec2Capacity', {
      autoScalingGroup: new autoscaling.AutoScalingGroup(env.stack, 'Asg', {
        vpc: env.vpc, instanceType: new ec2.InstanceType('t3.small'), machineImage: ecs.EcsOptimizedImage.amazonLinux2(),
      }),
    });
    env.cluster.addAsgCapacityProvider(asg);

    // WHEN
    run({ launchTarget: onCapacityProvider('FARGATE_SPOT'), fallbackLaunchTarget: onCapacityProvider('FARGATE') });

    // THEN
    expect(capacityProviderWarnings(env)).toEqual([
      missingProviderWarning('launchTarget', 'FARGATE_SPOT'), missingProviderWarning('fallbackLaunchTarget', 'FARGATE'),
    ]);
  });

  test('no warning with the cluster\'s enableFargateCapacityProviders prop', () => {
    // GIVEN
    const cluster = new ecs.Cluster(env.stack, 'WithFargate', { vpc: env.vpc, enableFargateCapacityProviders: true });

    // WHEN
    run({ launchTarget: onCapacityProvider('FARGATE_SPOT'), fallbackLaunchTarget: onCapacityProvider('FARGATE') }, cluster);

    // THEN
    expect(capacityProviderWarnings(env)).toEqual([]);
  });

  test.each([
    ['before', true],
    ['after', false],
  ])('no warning when the providers are enabled %s the run is created', (_, before) => {
    // GIVEN
    if (before) {
      env.cluster.enableFargateCapacityProviders();
    }

    // WHEN
    run({ launchTarget: onCapacityProvider('FARGATE_SPOT'), fallbackLaunchTarget: onCapacityProvider('FARGATE') });
    if (!before) {
      env.cluster.enableFargateCapacityProviders();
    }

    // THEN
    expect(capacityProviderWarnings(env)).toEqual([]);
  });

  test('no warning for an imported cluster, which cannot tell', () => {
    // GIVEN
    const imported = ecs.Cluster.fromClusterAttributes(env.stack, 'Imported', { clusterName: 'shared', vpc: env.vpc });

    // WHEN
    run({ launchTarget: onCapacityProvider('FARGATE_SPOT'), fallbackLaunchTarget: onCapacityProvider('FARGATE') }, imported);

    // THEN
    expect(capacityProviderWarnings(env)).toEqual([]);
  });

  test('no warning for a capacity provider of another name, which this check does not follow', () => {
    // GIVEN / WHEN
    run({ launchTarget: onCapacityProvider('team-shared-provider') });

    // THEN
    expect(capacityProviderWarnings(env)).toEqual([]);
  });

  test('no warning for launch types, the default launch target included', () => {
    // GIVEN / WHEN
    run({ fallbackLaunchTarget: new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.VERSION1_4 }) });

    // THEN
    expect(capacityProviderWarnings(env)).toEqual([]);
  });

  test('an acknowledged warning is not shown, and a second synth does not repeat it', () => {
    // GIVEN
    const acknowledged = testEnvironment();
    new RetryableEcsRunTask(acknowledged.stack, 'Job', {
      cluster: acknowledged.cluster, taskDefinition: acknowledged.taskDefinition, launchTarget: onCapacityProvider('FARGATE_SPOT'),
    });
    CoreAnnotations.of(acknowledged.stack).acknowledgeWarning(ACK, 'associated by another stack');

    // WHEN
    run({ launchTarget: onCapacityProvider('FARGATE_SPOT') });
    capacityProviderWarnings(env);

    // THEN
    expect(capacityProviderWarnings(acknowledged)).toEqual([]);
    expect(capacityProviderWarnings(env)).toHaveLength(1);
  });

  test('a fragment in a workflow of its own warns too', () => {
    // GIVEN
    const fragment = new RetryableEcsRunTaskFragment(env.stack, 'Job', {
      cluster: env.cluster, taskDefinition: env.taskDefinition, fallbackLaunchTarget: onCapacityProvider('FARGATE'),
    });

    // WHEN
    new sfn.StateMachine(env.stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(fragment) });

    // THEN
    Annotations.fromStack(env.stack).hasWarning('/TestStack/Job', missingProviderWarning('fallbackLaunchTarget', 'FARGATE'));
  });
});
