import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { DecisionEngine, RetryableEcsRunTask, RetryableEcsRunTaskProps } from '../../src';
import { evaluateSfnField } from '../engines/support/sfn-jsonata';
import { renderIntrinsic } from '../support/intrinsics';
import { renderedDefinition } from '../support/local-execution';
import { testEnvironment, TestEnvironment } from '../support/stack';

const STATE_MACHINE = DecisionEngine.STATE_MACHINE;
const onCapacityProvider = (capacityProvider: string) => new tasks.EcsFargateLaunchTarget({
  platformVersion: ecs.FargatePlatformVersion.LATEST,
  capacityProviderOptions: tasks.CapacityProviderOptions.custom([{ capacityProvider, weight: 1 }]),
});
const FARGATE_1_4 = () => new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.VERSION1_4 });

/**
 * With `DecisionEngine.STATE_MACHINE` and a fallback launch target, one ECS task state runs every
 * attempt: its `Arguments`, one JSONata expression, builds the RunTask request of the attempt's
 * launch target.
 */
describe('one ECS task state chooses the launch target in its Arguments', () => {
  let env: TestEnvironment;
  let securityGroup: ec2.SecurityGroup;
  beforeEach(() => {
    env = testEnvironment();
    securityGroup = new ec2.SecurityGroup(env.stack, 'TaskSecurityGroup', { vpc: env.vpc });
  });
  const job = (id: string, props: Partial<RetryableEcsRunTaskProps>) => new RetryableEcsRunTask(env.stack, id, {
    cluster: env.cluster, taskDefinition: env.taskDefinition, securityGroups: [securityGroup], decisionEngine: STATE_MACHINE, ...props,
  });
  /** The RunTask request of run `id`'s ECS task state for an attempt `attempt` on `capacity`. */
  const request = async (id: string, capacity: string, attempt = 2) => {
    const states = renderedDefinition(env.stack, id).States as Record<string, any>;
    return evaluateSfnField(states['Run task'].Arguments, {
      states: { input: {} },
      variables: { retry_attempt: attempt, retry_placement: { sizeIndex: 0, capacity }, retry_targets: states['Start attempts'].Assign.retry_targets },
    }) as Promise<Record<string, any>>;
  };

  test('Fargate Spot, then Fargate: each request holds only its own target\'s keys, never LaunchType with a CapacityProviderStrategy', async () => {
    // GIVEN
    env.cluster.enableFargateCapacityProviders();
    job('Job', { launchTarget: onCapacityProvider('FARGATE_SPOT'), fallbackLaunchTarget: FARGATE_1_4() });

    // WHEN
    const [primary, fallback] = [await request('Job', 'primary'), await request('Job', 'fallback')];

    // THEN
    expect(primary.CapacityProviderStrategy).toEqual([{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }]);
    expect(primary).not.toHaveProperty('LaunchType');
    expect(fallback).toMatchObject({ LaunchType: 'FARGATE', PlatformVersion: '1.4.0' });
    expect(fallback).not.toHaveProperty('CapacityProviderStrategy');
    // Everything else is the same request.
    const { CapacityProviderStrategy: _, PlatformVersion: __, ...sharedByPrimary } = primary;
    const { LaunchType: ___, PlatformVersion: ____, ...sharedByFallback } = fallback;
    expect(sharedByFallback).toEqual(sharedByPrimary);
  });

  test.each([
    ['Fargate Spot, then Fargate', () => onCapacityProvider('FARGATE_SPOT'), FARGATE_1_4],
    ['Fargate, then Fargate Spot', FARGATE_1_4, () => onCapacityProvider('FARGATE_SPOT')],
  ])('%s: on either target, the request is exactly what the same run without a fallback sends there', async (_, primaryTarget, fallbackTarget) => {
    // GIVEN
    env.cluster.enableFargateCapacityProviders();
    job('Both', { launchTarget: primaryTarget(), fallbackLaunchTarget: fallbackTarget() });
    job('PrimaryOnly', { launchTarget: primaryTarget() });
    job('FallbackOnly', { launchTarget: fallbackTarget() });

    // WHEN / THEN
    expect(await request('Both', 'primary')).toEqual(await request('PrimaryOnly', 'primary'));
    expect(await request('Both', 'fallback')).toEqual(await request('FallbackOnly', 'primary'));
    // The attempt number still reaches the container.
    expect((await request('Both', 'fallback', 3)).Overrides.ContainerOverrides[0].Environment)
      .toEqual([{ Name: 'RETRYABLE_ECS_RUN_TASK_ATTEMPT', Value: '3' }]);
  });

  test('the grants are those of the same run without a fallback', () => {
    // GIVEN
    env.cluster.enableFargateCapacityProviders();
    job('Both', { launchTarget: onCapacityProvider('FARGATE_SPOT'), fallbackLaunchTarget: FARGATE_1_4() });
    job('PrimaryOnly', { launchTarget: onCapacityProvider('FARGATE_SPOT') });

    // WHEN
    const policies = Template.fromStack(env.stack).findResources('AWS::IAM::Policy');
    const documentOf = (prefix: string) => Object.entries(policies).find(([id]) => id.startsWith(`${prefix}StateMachineRole`))![1].Properties.PolicyDocument;

    // THEN
    expect(documentOf('Both')).toEqual(documentOf('PrimaryOnly'));
    // ECS actions stay on the task definition and the cluster's tasks.
    const ecsStatements = documentOf('Both').Statement.filter((st: any) => [st.Action].flat().some((action: string) => action.startsWith('ecs:')));
    expect(ecsStatements.map((st: any) => st.Action)).toEqual(['ecs:RunTask', ['ecs:StopTask', 'ecs:DescribeTasks']]);
    expect(ecsStatements.map((st: any) => st.Resource)).not.toContainEqual('*');
  });

  test('tokens in the request resolve as anywhere in a definition: a cluster of another stack, subnets, a parameter', async () => {
    // GIVEN: the cluster in a stack of its own, a container override from a CfnParameter
    const app = new App();
    const network = new Stack(app, 'Network', { env: { account: '123456789012', region: 'us-east-1' } });
    const vpc = new ec2.Vpc(network, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cluster = new ecs.Cluster(network, 'Cluster', { vpc, enableFargateCapacityProviders: true });
    const stack = new Stack(app, 'Jobs', { env: { account: '123456789012', region: 'us-east-1' } });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'TaskDef');
    const container = taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('busybox') });
    const mode = new CfnParameter(stack, 'Mode', { default: 'full' });

    // WHEN
    new RetryableEcsRunTask(stack, 'Job', {
      cluster,
      taskDefinition,
      decisionEngine: STATE_MACHINE,
      launchTarget: onCapacityProvider('FARGATE_SPOT'),
      fallbackLaunchTarget: FARGATE_1_4(),
      containerOverrides: [{ containerDefinition: container, environment: [{ name: 'MODE', value: mode.valueAsString }] }],
    });

    // THEN: the Arguments expression is a string in the definition, with the references spliced in
    const machine = Object.values(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'))[0];
    const parts: unknown[] = machine.Properties.DefinitionString['Fn::Join'][1];
    const text = JSON.stringify(parts);
    expect(text).toContain('{"Fn::ImportValue":"Network:ExportsOutputFnGetAttCluster');
    expect(text).toContain('{"Ref":"Mode"}');
    expect(parts.filter((p) => typeof p !== 'string').some((p) => JSON.stringify(p).includes('Subnet'))).toBe(true);
    // Deployed, the definition is JSON, and the request names the cluster and the parameter's value.
    const definition = JSON.parse(renderIntrinsic(machine.Properties.DefinitionString, {
      reference: (intrinsic) => (intrinsic.Ref === 'Mode' ? 'nightly full' : JSON.stringify(intrinsic).replace(/[^A-Za-z0-9:]/g, '')),
    }));
    const cdkRequest = await evaluateSfnField(definition.States['Run task'].Arguments, {
      states: { input: {} },
      variables: { retry_attempt: 1, retry_placement: { sizeIndex: 0, capacity: 'fallback' }, retry_targets: definition.States['Start attempts'].Assign.retry_targets },
    }) as any;
    expect(cdkRequest.Cluster).toMatch(/^Fn::ImportValue:Network:ExportsOutputFnGetAttCluster/);
    expect(cdkRequest.Overrides.ContainerOverrides[0].Environment[0]).toEqual({ Name: 'MODE', Value: 'nightly full' });
  });
});
