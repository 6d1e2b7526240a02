import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { RetryableEcsRunTask, RetryableEcsRunTaskProps } from '../../src';
import { renderedDefinition } from '../support/local-execution';
import { testEnvironment } from '../support/stack';

const fargate = (capacityProvider: string) => new tasks.EcsFargateLaunchTarget({
  platformVersion: ecs.FargatePlatformVersion.LATEST,
  capacityProviderOptions: tasks.CapacityProviderOptions.custom([{ capacityProvider, weight: 1 }]),
});

function synth(props: Partial<RetryableEcsRunTaskProps>) {
  const env = testEnvironment();
  const job = new RetryableEcsRunTask(env.stack, 'Job', { cluster: env.cluster, taskDefinition: env.taskDefinition, ...props });
  return { ...env, job };
}

describe('adaptive retries in the synthesized state machine', () => {
  test('without either feature the definition has no placement, as before', () => {
    const { stack } = synth({});
    const states = renderedDefinition(stack).States as any;
    expect(states['Choose launch target']).toBeUndefined();
    expect(states['Start attempts'].Parameters.placement).toBeUndefined();
    expect(states['Decide retry'].Parameters).toMatchObject({ 'attempt.$': '$.retryableEcsRunTask.attempt' });
    expect(states['Decide retry'].Parameters.placement).toBeUndefined();
    expect(states['Decide retry'].Parameters['placement.$']).toBeUndefined();
    expect(states['Run task'].Parameters.Overrides.Cpu).toBeUndefined();
  });

  test('a fallback launch target adds one RunTask state and a Choice; both catch into the decider', () => {
    const { stack, job } = synth({ launchTarget: fargate('FARGATE_SPOT'), fallbackLaunchTarget: fargate('FARGATE') });
    const states = renderedDefinition(stack).States as any;
    expect(states['Start attempts'].Next).toBe('Choose launch target');
    expect(states['Choose launch target'].Default).toBe('Run task');
    expect(states['Run task on fallback'].Parameters.CapacityProviderStrategy).toEqual([{ CapacityProvider: 'FARGATE', Weight: 1 }]);
    expect(states['Run task on fallback'].Catch[0].Next).toBe('Decide retry');
    expect(states['Next attempt'].Next).toBe('Choose launch target');
    expect(job.fragment.fallbackRunTask).toBeDefined();
    // One security group, shared by both targets.
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('Job') }, 1);
  });

  test('before aws-cdk-lib 2.234 (no CapacityProviderOptions): a launch target of your own gives the same states', () => {
    // What README suggests for older aws-cdk-lib: bind() returns the capacity provider strategy itself.
    class CapacityProviderTarget implements tasks.IEcsLaunchTarget {
      constructor(private readonly capacityProvider: string) {}
      public bind(): tasks.EcsLaunchTargetConfig {
        return { parameters: { CapacityProviderStrategy: [{ CapacityProvider: this.capacityProvider, Weight: 1 }], PlatformVersion: 'LATEST' } };
      }
    }
    const own = renderedDefinition(synth({
      launchTarget: new CapacityProviderTarget('FARGATE_SPOT'), fallbackLaunchTarget: new CapacityProviderTarget('FARGATE'),
    }).stack).States as any;
    const cdks = renderedDefinition(synth({ launchTarget: fargate('FARGATE_SPOT'), fallbackLaunchTarget: fargate('FARGATE') }).stack).States as any;
    for (const state of ['Run task', 'Run task on fallback']) {
      expect(own[state].Parameters.CapacityProviderStrategy).toEqual(cdks[state].Parameters.CapacityProviderStrategy);
      expect(own[state].Parameters.PlatformVersion).toEqual(cdks[state].Parameters.PlatformVersion);
      expect(own[state].Parameters.LaunchType).toBeUndefined();
    }
  });

  test('IAM: RunTask and PassRole stay scoped to the one task definition on both targets', () => {
    const { stack } = synth({ launchTarget: fargate('FARGATE_SPOT'), fallbackLaunchTarget: fargate('FARGATE'), outOfMemorySizes: [{ memoryMiB: 1024 }] });
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^JobStateMachineRole') }] } });
    const statements = Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((s: any) => [s.Action].flat());
    expect(actions.filter((a: string) => a === 'ecs:RunTask')).toHaveLength(1);
    expect(actions.filter((a: string) => a === 'iam:PassRole')).toHaveLength(1);
    expect(actions.sort()).toEqual([
      'ecs:DescribeTasks', 'ecs:RunTask', 'ecs:StopTask', 'events:DescribeRule', 'events:PutRule', 'events:PutTargets', 'iam:PassRole', 'lambda:InvokeFunction',
    ]);
  });

  test('a fallback equal to the primary target is warned about', () => {
    const { stack } = synth({ launchTarget: fargate('FARGATE'), fallbackLaunchTarget: fargate('FARGATE') });
    Annotations.fromStack(stack).hasWarning('/TestStack/Job/Run', Match.stringLikeRegexp('`fallbackLaunchTarget` runs tasks the same way as `launchTarget`'));
  });

  test('cpu or memoryMiB together with outOfMemorySizes is rejected, naming both', () => {
    expect(() => synth({ cpu: '512', outOfMemorySizes: [{ memoryMiB: 1024 }] })).toThrow(
      /^`cpu` and `memoryMiB` fix the size of every attempt, so they cannot be combined with `outOfMemorySizes`, got: cpu "512", memoryMiB undefined\./);
  });

  test('a memoryLimit override of a sized container is rejected', () => {
    const env = testEnvironment();
    const taskDefinition = new ecs.FargateTaskDefinition(env.stack, 'Limited', { cpu: 256, memoryLimitMiB: 512 });
    const app = taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('busybox'), memoryLimitMiB: 384 });
    expect(() => new RetryableEcsRunTask(env.stack, 'Job', {
      cluster: env.cluster,
      taskDefinition,
      outOfMemorySizes: [{ memoryMiB: 1024 }],
      containerOverrides: [{ containerDefinition: app, memoryLimit: 400 }],
    })).toThrow("`containerOverrides` for container 'app' sets `memoryLimit` 400, but `outOfMemorySizes` sizes that container's memory limit with the task. Remove the override.");
  });
});
