import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { RetryableEcsRunTask, TaskStopCode } from '../../src';
import { POLICY_DEFAULTS } from '../../src/decider/policy-defaults';
import { renderedDefinition } from '../support/local-execution';
import { testEnvironment, TestEnvironment } from '../support/stack';

describe('RetryableEcsRunTask', () => {
  let env: TestEnvironment;
  beforeEach(() => {
    env = testEnvironment();
  });

  const create = (props: Partial<ConstructorParameters<typeof RetryableEcsRunTask>[2]> = {}, id = 'Job') =>
    new RetryableEcsRunTask(env.stack, id, { cluster: env.cluster, taskDefinition: env.taskDefinition, ...props });

  test('runs the task with .sync, catches every error into the decider, and loops through a wait', () => {
    // WHEN
    create();

    // THEN
    const definition = renderedDefinition(env.stack);
    expect(definition.StartAt).toBe('Start attempts');
    expect(Object.keys(definition.States).sort()).toEqual([
      'Attempts exhausted', 'Back off', 'Decide retry', 'Decider failed', 'Explain decider failure', 'Invalid decision',
      'Next attempt', 'Not retryable', 'Record result', 'Retry or fail', 'Run task', 'Start attempts',
    ]);
    const states = definition.States as Record<string, any>;
    expect(states['Run task']).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::ecs:runTask.sync',
      ResultPath: '$.retryableEcsRunTask.task',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.retryableEcsRunTask.failures.error', Next: 'Decide retry' }],
      Next: 'Record result',
      Parameters: expect.objectContaining({ LaunchType: 'FARGATE', PlatformVersion: 'LATEST' }),
    });
    expect(states['Run task'].Parameters.Overrides.ContainerOverrides).toEqual([{
      Name: 'app',
      Environment: [{ 'Name': 'RETRYABLE_ECS_RUN_TASK_ATTEMPT', 'Value.$': "States.Format('{}', $.retryableEcsRunTask.attempt)" }],
    }]);
    expect(states['Back off']).toEqual({ Type: 'Wait', SecondsPath: '$.retryableEcsRunTask.failures.waitSeconds', Next: 'Next attempt' });
    expect(states['Next attempt'].Parameters['attempt.$']).toBe('States.MathAdd($.retryableEcsRunTask.attempt, 1)');
    expect(states['Not retryable']).toEqual({ Type: 'Fail', Error: 'RetryableEcsRunTask.NotRetryable', CausePath: '$.retryableEcsRunTask.failures.cause' });
    expect(states['Attempts exhausted']).toEqual({ Type: 'Fail', Error: 'RetryableEcsRunTask.AttemptsExhausted', CausePath: '$.retryableEcsRunTask.failures.cause' });
    // A decider that fails after its retries ends in the run's own error name.
    expect(states['Decide retry'].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.retryableEcsRunTask.failures.deciderError', Next: 'Explain decider failure' }]);
    expect(states['Decider failed']).toEqual({ Type: 'Fail', Error: 'RetryableEcsRunTask.InvalidDecision', CausePath: '$.retryableEcsRunTask.failures.cause' });
  });

  test('the Choice itself enforces maxAttempts and the wait bound', () => {
    create({ maxAttempts: 4, maxDelay: Duration.minutes(2) });
    const choice = (renderedDefinition(env.stack).States as any)['Retry or fail'];
    expect(choice.Choices[0].And).toEqual(expect.arrayContaining([
      { Variable: '$.retryableEcsRunTask.attempt', NumericLessThan: 4 },
      { Variable: '$.retryableEcsRunTask.failures.waitSeconds', NumericLessThanEquals: 120 },
    ]));
    expect(choice.Choices[1].And).toContainEqual({ Variable: '$.retryableEcsRunTask.attempt', NumericGreaterThanEquals: 4 });
    expect(choice.Default).toBe('Invalid decision');
  });

  test('passes its own policy to the decider in the invocation payload', () => {
    create({
      maxAttempts: 5,
      interval: Duration.seconds(15),
      backoffRate: 1.5,
      maxDelay: Duration.minutes(10),
      jitterStrategy: sfn.JitterType.NONE,
      retryableStopCodes: [TaskStopCode.SPOT_INTERRUPTION, TaskStopCode.of('SomeFutureCode')],
      retryableStoppedReasons: ['Transient*'],
      nonRetryableStoppedReasons: ['*permanent*'],
      retryableExitCodes: [75, 143],
      retryableErrors: ['ECS.AmazonECSException'],
      nonRetryableErrorCauses: ['*TaskDefinition is inactive*'],
    });
    const decide = (renderedDefinition(env.stack).States as any)['Decide retry'];
    // The state invokes the decider function itself: the payload is the state's Parameters, and
    // the answer goes to the state whole, with no Payload wrapper to select from.
    expect(decide.Resource).toMatch(/^arn:aws:lambda:us-east-1:123456789012:function:RetryableEcsRunTaskDecider/);
    expect(decide.ResultSelector).toBeUndefined();
    expect(decide.ResultPath).toBe('$.retryableEcsRunTask.failures');
    expect(decide.Parameters).toEqual({
      'run': 'TestStack/Job/Run',
      // Every value differs from the defaults, so every key is sent, with the defaults' id.
      'policy': {
        defaultsId: POLICY_DEFAULTS.id,
        maxAttempts: 5,
        intervalSeconds: 15,
        backoffRate: 1.5,
        maxDelaySeconds: 600,
        jitter: 'NONE',
        retryableStopCodes: ['SpotInterruption', 'SomeFutureCode'],
        retryableStoppedReasons: ['Transient*'],
        nonRetryableStoppedReasons: ['*permanent*'],
        retryableExitCodes: [75, 143],
        retryableErrors: ['ECS.AmazonECSException'],
        nonRetryableErrorCauses: ['*TaskDefinition is inactive*'],
      },
      'attempt.$': '$.retryableEcsRunTask.attempt',
      'error.$': '$.retryableEcsRunTask.failures.error',
      'history.$': '$.retryableEcsRunTask.failures.history',
    });
    // Lambda service errors and throttling are retried natively before the decision.
    expect(decide.Retry.map((r: any) => r.ErrorEquals).flat()).toEqual(expect.arrayContaining([
      'Lambda.ServiceException', 'Lambda.TooManyRequestsException',
    ]));
  });

  test('retries the decider on Lambda\'s service errors and throttling with one retrier, jittered', () => {
    create();
    const decide = (renderedDefinition(env.stack).States as any)['Decide retry'];
    expect(decide.Retry).toEqual([{
      ErrorEquals: [
        'Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException',
        'Lambda.TooManyRequestsException',
      ],
      IntervalSeconds: 2,
      MaxAttempts: 6,
      // No BackoffRate: Step Functions' default, 2, doubles the interval.
      JitterStrategy: 'FULL',
    }]);
  });

  test('three instances in a stack share one decider function', () => {
    create({}, 'A');
    create({ maxAttempts: 2 }, 'B');
    create({ retryableExitCodes: [1] }, 'C');

    const template = Template.fromStack(env.stack);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 3);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      MemorySize: 128,
      Timeout: 10,
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('grants RunTask on the task definition family, PassRole for its roles, and invoke on the decider', () => {
    create();
    const template = Template.fromStack(env.stack);
    const decider = Object.keys(template.findResources('AWS::Lambda::Function'))[0];
    const statements = Object.values(template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^JobStateMachineRole') }] },
    })).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const resourcesOf = (action: string) => statements.filter((s) => s.Action === action).flatMap((s) => [s.Resource].flat());

    expect(JSON.stringify(resourcesOf('ecs:RunTask'))).toContain('{"Ref":"TaskDef54694570"}');
    expect(resourcesOf('iam:PassRole')).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^TaskDefTaskRole/), 'Arn'] },
      { 'Fn::GetAtt': [expect.stringMatching(/^TaskDefExecutionRole/), 'Arn'] },
    ]);
    // The unqualified function only: no `:*` for versions and aliases the run never calls.
    expect(resourcesOf('lambda:InvokeFunction')).toEqual([{ 'Fn::GetAtt': [decider, 'Arn'] }]);
  });

  test('grants sns:Publish on each given topic, once when both are the same', () => {
    const topic = new sns.Topic(env.stack, 'Topic');
    create({ successTopic: topic, failureTopic: topic });
    const template = Template.fromStack(env.stack);
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('"Action":"sns:Publish"');
    const states = Object.keys(renderedDefinition(env.stack).States);
    expect(states).toEqual(expect.arrayContaining(['Notify success', 'Notify not retryable', 'Notify attempts exhausted', 'Notify invalid decision']));
  });

  test('passes state machine options through', () => {
    const logGroup = new logs.LogGroup(env.stack, 'Logs');
    const run = create({
      stateMachineName: 'nightly-report',
      timeout: Duration.hours(6),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL },
    });
    expect(run.stateMachine).toBeInstanceOf(sfn.StateMachine);
    expect(run.decider).toBe(run.fragment.decider);
    const template = Template.fromStack(env.stack);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'nightly-report',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
    const logging = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0].Properties.LoggingConfiguration;
    expect(logging.IncludeExecutionData ?? false).toBe(false);
    expect(renderedDefinition(env.stack).TimeoutSeconds).toBe(6 * 3600);
  });

  test('applies attemptTimeout to each run of the task', () => {
    create({ attemptTimeout: Duration.minutes(45) });
    expect((renderedDefinition(env.stack).States as any)['Run task'].TimeoutSeconds).toBe(2700);
  });

  test('passes the launch target, networking and overrides through', () => {
    env.cluster.addCapacity('Capacity', { instanceType: new ec2.InstanceType('t3.small'), maxCapacity: 1 });
    const ec2TaskDef = new ecs.Ec2TaskDefinition(env.stack, 'Ec2TaskDef', { networkMode: ecs.NetworkMode.AWS_VPC });
    const app = ec2TaskDef.addContainer('app', { image: ecs.ContainerImage.fromRegistry('busybox'), memoryLimitMiB: 256 });
    ec2TaskDef.addContainer('sidecar', { image: ecs.ContainerImage.fromRegistry('busybox'), memoryLimitMiB: 64 });
    new RetryableEcsRunTask(env.stack, 'OnEc2', {
      cluster: env.cluster,
      taskDefinition: ec2TaskDef,
      launchTarget: new tasks.EcsEc2LaunchTarget(),
      subnets: { subnetType: ec2.SubnetType.PUBLIC },
      assignPublicIp: false,
      containerOverrides: [{ containerDefinition: app, command: ['run', '--date', '2026-11-24'], environment: [{ name: 'MODE', value: 'full' }] }],
      attemptEnvironmentVariable: 'JOB_ATTEMPT',
    });
    const runTask = (renderedDefinition(env.stack).States as any)['Run task'];
    expect(runTask.Parameters.LaunchType).toBe('EC2');
    expect(runTask.Parameters.Overrides.ContainerOverrides).toEqual([
      {
        Name: 'app',
        Command: ['run', '--date', '2026-11-24'],
        Environment: [{ Name: 'MODE', Value: 'full' }, { 'Name': 'JOB_ATTEMPT', 'Value.$': "States.Format('{}', $.retryableEcsRunTask.attempt)" }],
      },
      { Name: 'sidecar', Environment: [{ 'Name': 'JOB_ATTEMPT', 'Value.$': "States.Format('{}', $.retryableEcsRunTask.attempt)" }] },
    ]);
  });

  test('an empty attemptEnvironmentVariable passes no attempt number', () => {
    create({ attemptEnvironmentVariable: '' });
    expect((renderedDefinition(env.stack).States as any)['Run task'].Parameters.Overrides).toBeUndefined();
  });

  test('a container added after the run is created fails synthesis', () => {
    create();
    env.taskDefinition.addContainer('late', { image: ecs.ContainerImage.fromRegistry('busybox') });
    expect(() => env.app.synth()).toThrow(/got containers after the retrying run was created; they would not receive `RETRYABLE_ECS_RUN_TASK_ATTEMPT`/);
  });

  test('synthesizes without warnings or errors', () => {
    create();
    expect(Annotations.fromStack(env.stack).findWarning('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(env.stack).findError('*', Match.anyValue())).toEqual([]);
  });

  test('works in a stack without an explicit environment', () => {
    const stack = new Stack();
    const cluster = new ecs.Cluster(stack, 'Cluster');
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'TaskDef');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('busybox') });
    new RetryableEcsRunTask(stack, 'Job', { cluster, taskDefinition });
    Template.fromStack(stack).resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  });
});

