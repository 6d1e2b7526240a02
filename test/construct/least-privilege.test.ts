import { App, Aspects, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
import { RetryableEcsRunTask, RetryableEcsRunTaskFragment, RetryableEcsRunTaskProps } from '../../src';

/**
 * The cdk-nag findings on this library's own resources that are suppressed, each for one
 * finding of one rule on one resource, with its reason. README.md ("Security and operations")
 * lists the same.
 */
const REASONS = {
  runTaskOnFamily: 'ecs:RunTask is allowed on every revision of the one task definition family, so executions that started before a deploy can still retry.',
  tasksOfCluster: 'ecs:DescribeTasks and ecs:StopTask are allowed on the tasks of the one cluster, whose ARNs are unknown before RunTask.',
  logDeliveryAndXRay: 'CloudWatch Logs delivery and X-Ray actions support no resource-level permissions; they appear only with `logs` or `tracingEnabled`.',
  logging: 'Execution logging is opt-in (`logs`): container overrides may carry secrets.',
  tracing: 'X-Ray tracing is opt-in (`tracingEnabled`).',
};

interface Finding {
  readonly rule: string;
  /** What the rule found, for rules that report several findings per resource (IAM5: each wildcard). */
  readonly finding?: string;
  readonly path: string;
}

const POLICY = '/NagStack/Job/StateMachine/Role/DefaultPolicy/Resource';
const STATE_MACHINE = '/NagStack/Job/StateMachine/Resource';
const RUN_TASK_ON_FAMILY = { rule: 'AwsSolutions-IAM5', finding: expect.stringMatching(/^Resource::arn:.*"Ref":"TaskDef[0-9A-F]+".*:\*$/), path: POLICY };
const TASKS_OF_CLUSTER = { rule: 'AwsSolutions-IAM5', finding: 'Resource::arn:<AWS::Partition>:ecs:us-east-1:123456789012:task/<ClusterEB0386A7>/*', path: POLICY };

/**
 * Applies AwsSolutionsChecks and returns the unsuppressed errors and warnings on the construct's
 * own resources (the fixture's cluster and VPC have findings of their own, ignored here).
 */
function nagFindings(configure: (stack: Stack, run: (props?: Partial<RetryableEcsRunTaskProps>) => RetryableEcsRunTask) => void): Finding[] {
  const app = new App();
  const stack = new Stack(app, 'NagStack', { env: { account: '123456789012', region: 'us-east-1' } });
  const cluster = new ecs.Cluster(stack, 'Cluster');
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'TaskDef');
  taskDefinition.addContainer('app', {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable'),
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'app' }),
  });
  configure(stack, (props = {}) => new RetryableEcsRunTask(stack, 'Job', { cluster, taskDefinition, ...props }));
  Aspects.of(app).add(new AwsSolutionsChecks());
  const annotations = Annotations.fromStack(stack);
  const own = /^\/NagStack\/(Job|RetryableEcsRunTaskDecider)\//;
  return [...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-')), ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-'))]
    .filter((m) => own.test(m.id))
    .map((m) => {
      const [, rule, finding] = /^(AwsSolutions-[A-Za-z0-9]+)(?:\[(.*?)\])?:/.exec(String(m.entry.data))!;
      return { rule, ...(finding ? { finding } : {}), path: m.id };
    })
    .sort((a, b) => `${a.rule}${a.finding}`.localeCompare(`${b.rule}${b.finding}`));
}

/** Suppresses each finding on its own resource, for its one rule and (for IAM5) its one wildcard, with its reason. */
function suppressAll(job: RetryableEcsRunTask, findings: Finding[]) {
  const policy = job.stateMachine.role.node.findChild('DefaultPolicy');
  for (const f of findings) {
    const reason = f.rule === 'AwsSolutions-SF1' ? REASONS.logging
      : f.rule === 'AwsSolutions-SF2' ? REASONS.tracing
        : f.finding === 'Resource::*' ? REASONS.logDeliveryAndXRay
          : f.finding!.includes(':task/') ? REASONS.tasksOfCluster : REASONS.runTaskOnFamily;
    NagSuppressions.addResourceSuppressions(f.path === POLICY ? policy : job.stateMachine, [
      { id: f.rule, reason, ...(f.finding ? { appliesTo: [f.finding] } : {}) },
    ]);
  }
}

describe('cdk-nag AwsSolutionsChecks on the construct', () => {
  test('with defaults: only the documented findings, and none once each is suppressed', () => {
    const findings = nagFindings((_, run) => run());
    expect(findings).toEqual([
      RUN_TASK_ON_FAMILY,
      TASKS_OF_CLUSTER,
      { rule: 'AwsSolutions-SF1', path: STATE_MACHINE },
      { rule: 'AwsSolutions-SF2', path: STATE_MACHINE },
    ]);
    expect(nagFindings((_, run) => suppressAll(run(), findings))).toEqual([]);
  });

  test('with every option set: only the documented wildcards, and none once each is suppressed', () => {
    const everything = (stack: Stack): Partial<RetryableEcsRunTaskProps> => ({
      successTopic: new sns.Topic(stack, 'Topic', { enforceSSL: true }),
      failureTopic: new sns.Topic(stack, 'Failures', { enforceSSL: true }),
      logs: { destination: new logs.LogGroup(stack, 'Logs'), level: sfn.LogLevel.ALL },
      tracingEnabled: true,
      timeout: Duration.hours(2),
      attemptTimeout: Duration.minutes(30),
      maxAttempts: 5,
      retryableExitCodes: [75],
      deciderLogRetention: logs.RetentionDays.THREE_MONTHS,
      stateMachineName: 'nag-everything',
    });
    const findings = nagFindings((stack, run) => run(everything(stack)));
    expect(findings).toEqual([
      { rule: 'AwsSolutions-IAM5', finding: 'Resource::*', path: POLICY },
      RUN_TASK_ON_FAMILY,
      TASKS_OF_CLUSTER,
    ]);
    expect(nagFindings((stack, run) => suppressAll(run(everything(stack)), findings))).toEqual([]);
  });
});

describe('IAM is least privilege', () => {
  function synth(props: Partial<RetryableEcsRunTaskProps> = {}, extra?: (stack: Stack) => Partial<RetryableEcsRunTaskProps>) {
    const stack = new Stack(new App(), 'IamStack', { env: { account: '123456789012', region: 'us-east-1' } });
    const cluster = new ecs.Cluster(stack, 'Cluster');
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'TaskDef', {
      taskRole: new iam.Role(stack, 'JobRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') }),
    });
    taskDefinition.addContainer('app', {
      image: ecs.ContainerImage.fromRegistry('busybox'),
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'app' }),
    });
    const job = new RetryableEcsRunTask(stack, 'Job', { cluster, taskDefinition, ...props, ...extra?.(stack) });
    const template = Template.fromStack(stack);
    const statementsOf = (roleLogicalIdPrefix: string) => Object.values(template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${roleLogicalIdPrefix}`) }] },
    })).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    return { stack, job, template, stateMachine: statementsOf('JobStateMachineRole'), decider: statementsOf('RetryableEcsRunTaskDeciderRole') };
  }

  const actionsOf = (statement: any) => [statement.Action].flat();
  const resourcesOf = (statements: any[], action: string) =>
    statements.filter((s) => actionsOf(s).includes(action)).flatMap((s) => [s.Resource].flat());

  test('iam:PassRole only for the task role and the execution role', () => {
    const { stateMachine } = synth();
    expect(resourcesOf(stateMachine, 'iam:PassRole')).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^JobRole/), 'Arn'] },
      { 'Fn::GetAtt': [expect.stringMatching(/^TaskDefExecutionRole/), 'Arn'] },
    ]);
  });

  test('ecs:RunTask only for the task definition family; DescribeTasks and StopTask only for tasks of the cluster', () => {
    const { stateMachine, stack } = synth();
    const [runTask] = resourcesOf(stateMachine, 'ecs:RunTask');
    // The family ARN is built from the task definition's ARN, cut before the revision.
    expect(JSON.stringify(runTask)).toMatch(/\{"Ref":"TaskDef[0-9A-F]+"\}.*":\*"\]\]\}$/);
    expect(stack.resolve(resourcesOf(stateMachine, 'ecs:DescribeTasks'))).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:us-east-1:123456789012:task/', { Ref: expect.stringMatching(/^Cluster/) }, '/*']] },
    ]);
    expect(resourcesOf(stateMachine, 'ecs:StopTask')).toEqual(resourcesOf(stateMachine, 'ecs:DescribeTasks'));
  });

  test('lambda:InvokeFunction only for the decider', () => {
    const { stateMachine, template } = synth();
    const decider = Object.keys(template.findResources('AWS::Lambda::Function'))[0];
    expect(resourcesOf(stateMachine, 'lambda:InvokeFunction')).toEqual([{ 'Fn::GetAtt': [decider, 'Arn'] }]);
  });

  test('sns:Publish only for the topics given', () => {
    const { stateMachine } = synth({}, (stack) => ({ successTopic: new sns.Topic(stack, 'Done'), failureTopic: new sns.Topic(stack, 'Alarm') }));
    expect(resourcesOf(stateMachine, 'sns:Publish').map((r: any) => r.Ref).sort()).toEqual([
      expect.stringMatching(/^Alarm/), expect.stringMatching(/^Done/),
    ]);
    const without = synth().stateMachine;
    expect(resourcesOf(without, 'sns:Publish')).toEqual([]);
  });

  test('a topic encrypted with a customer managed key gets kms:GenerateDataKey* and kms:Decrypt on that key only', () => {
    const { stateMachine, template } = synth({}, (stack) => ({
      successTopic: new sns.Topic(stack, 'Done', { masterKey: new kms.Key(stack, 'TopicKey') }),
      failureTopic: new sns.Topic(stack, 'Alarm'),
    }));
    const key = Object.keys(template.findResources('AWS::KMS::Key'))[0];
    expect(resourcesOf(stateMachine, 'kms:GenerateDataKey*')).toEqual([{ 'Fn::GetAtt': [key, 'Arn'] }]);
    expect(resourcesOf(stateMachine, 'kms:Decrypt')).toEqual([{ 'Fn::GetAtt': [key, 'Arn'] }]);
    expect(resourcesOf(stateMachine, 'sns:Publish')).toHaveLength(2);
    // No key, no KMS statement.
    expect(resourcesOf(synth({}, (stack) => ({ successTopic: new sns.Topic(stack, 'Done') })).stateMachine, 'kms:Decrypt')).toEqual([]);
  });

  test("the fragment's KMS grant reaches the role of the user's own state machine", () => {
    const stack = new Stack(new App(), 'FragmentKmsStack', { env: { account: '123456789012', region: 'us-east-1' } });
    const cluster = new ecs.Cluster(stack, 'Cluster');
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'TaskDef');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('busybox') });
    const topic = new sns.Topic(stack, 'Alarm', { masterKey: kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab') });
    const fragment = new RetryableEcsRunTaskFragment(stack, 'Job', { cluster, taskDefinition, failureTopic: topic });
    new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(fragment) });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^WorkflowRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        })]),
      },
    });
  });

  test("the decider's role can write its own logs and do nothing else", () => {
    const { decider, template } = synth();
    const logGroup = Object.keys(template.findResources('AWS::Logs::LogGroup')).find((id) => id.startsWith('RetryableEcsRunTaskDecider'));
    expect(decider).toEqual([{
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] },
    }]);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] },
      ManagedPolicyArns: Match.absent(),
    });
  });

  test('every remaining `*` resource is one that AWS supports no narrower resource for', () => {
    // Justified: Step Functions log delivery (logs:*LogDelivery*, logs:*ResourcePolic*, logs:DescribeLogGroups)
    // and X-Ray (xray:Put*, xray:Get*) accept no resource-level permissions.
    const justified = /^(logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)|xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets))$/;
    for (const props of [{}, { tracingEnabled: true }]) {
      const { stateMachine, decider } = synth(props, (stack) => ({ logs: { destination: new logs.LogGroup(stack, 'Logs'), level: sfn.LogLevel.ALL } }));
      const wildcardActions = [...stateMachine, ...decider].filter((s) => [s.Resource].flat().includes('*')).flatMap(actionsOf);
      expect(wildcardActions.length).toBeGreaterThan(0);
      expect(wildcardActions.filter((a) => !justified.test(a))).toEqual([]);
    }
    const plain = synth();
    expect([...plain.stateMachine, ...plain.decider].filter((s) => [s.Resource].flat().includes('*'))).toEqual([]);
  });
});
