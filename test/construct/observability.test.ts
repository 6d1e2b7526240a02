import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { handler } from '../../lambda/decider-handler';
import { RetryableEcsRunTask, RetryableEcsRunTaskProps } from '../../src';
import { renderRetryPolicy } from '../../src/policy/render-retry-policy';
import { failure } from '../support/fixtures';
import { testEnvironment, TestEnvironment } from '../support/stack';

describe('observability', () => {
  let env: TestEnvironment;
  beforeEach(() => {
    env = testEnvironment();
  });
  const create = (props: Partial<RetryableEcsRunTaskProps> = {}, id = 'Job') =>
    new RetryableEcsRunTask(env.stack, id, { cluster: env.cluster, taskDefinition: env.taskDefinition, ...props });
  const deciderLogGroups = () => Object.fromEntries(Object.entries(Template.fromStack(env.stack).findResources('AWS::Logs::LogGroup'))
    .filter(([id]) => id.startsWith('RetryableEcsRunTaskDecider')));
  const stateMachineProps = () => Object.values(Template.fromStack(env.stack).findResources('AWS::StepFunctions::StateMachine'))[0].Properties;

  test('execution logging is off unless asked for, and then leaves execution data out', () => {
    create({}, 'Quiet');
    create({ logs: { destination: new logs.LogGroup(env.stack, 'Logs'), level: sfn.LogLevel.ALL } }, 'Logged');
    const machines = Template.fromStack(env.stack).findResources('AWS::StepFunctions::StateMachine');
    const byId = (prefix: string) => Object.entries(machines).find(([id]) => id.startsWith(prefix))![1].Properties;
    expect(byId('Quiet').LoggingConfiguration).toBeUndefined();
    expect(byId('Logged').LoggingConfiguration).toMatchObject({ IncludeExecutionData: false, Level: 'ALL' });
  });

  test('execution data is logged when the user says so', () => {
    create({ logs: { destination: new logs.LogGroup(env.stack, 'Logs'), includeExecutionData: true } });
    expect(stateMachineProps().LoggingConfiguration.IncludeExecutionData).toBe(true);
  });

  test('X-Ray tracing is available', () => {
    create({ tracingEnabled: true });
    expect(stateMachineProps().TracingConfiguration).toEqual({ Enabled: true });
  });

  test("the decider's logs expire after a month by default, or as configured", () => {
    create({ deciderLogRetention: logs.RetentionDays.THREE_MONTHS });
    create({}, 'Second');
    create({ deciderLogRetention: logs.RetentionDays.THREE_MONTHS }, 'Third');
    Template.fromStack(env.stack).hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });

    const other = testEnvironment();
    new RetryableEcsRunTask(other.stack, 'Job', { cluster: other.cluster, taskDefinition: other.taskDefinition });
    Template.fromStack(other.stack).hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('runs that share a decider must agree on its log retention, whichever comes first', () => {
    create({ deciderLogRetention: logs.RetentionDays.ONE_WEEK });
    expect(() => create({ deciderLogRetention: logs.RetentionDays.ONE_YEAR }, 'Second')).toThrow(
      '`deciderLogRetention` must be the same for every retrying run in stack TestStack, which shares one decider: got 365 days, but another run set 7 days.');

    const other = testEnvironment();
    const job = (id: string, deciderLogRetention?: logs.RetentionDays) =>
      new RetryableEcsRunTask(other.stack, id, { cluster: other.cluster, taskDefinition: other.taskDefinition, deciderLogRetention });
    job('Unset');
    job('Week', logs.RetentionDays.ONE_WEEK);
    expect(() => job('Year', logs.RetentionDays.ONE_YEAR)).toThrow(/got 365 days, but another run set 7 days/);
  });

  test.each([
    ['set, then unset', [logs.RetentionDays.TWO_WEEKS, undefined]],
    ['unset, then set', [undefined, logs.RetentionDays.TWO_WEEKS]],
    ['unset, set, unset', [undefined, logs.RetentionDays.TWO_WEEKS, undefined]],
  ])('a run that leaves the log retention unset agrees with any value: %s', (_, retentions) => {
    retentions.forEach((deciderLogRetention, i) => create({ deciderLogRetention }, `Job${i}`));
    expect(Object.values(deciderLogGroups()).map((g: any) => g.Properties.RetentionInDays)).toEqual([14]);
  });

  test('a run may keep the decider logs forever, even when it comes second', () => {
    create({}, 'First');
    create({ deciderLogRetention: logs.RetentionDays.INFINITE }, 'Second');
    expect(Object.values(deciderLogGroups()).map((g: any) => g.Properties?.RetentionInDays)).toEqual([undefined]);
  });

  test('metric filters count decisions per run from the decider log line', () => {
    create();
    const template = Template.fromStack(env.stack);
    for (const [decision, metricName] of [['RETRY', 'Retries'], ['EXHAUSTED', 'AttemptsExhausted'], ['NOT_RETRYABLE', 'NotRetryable'], ['NOTIFICATION_LOST', 'NotificationsLost']]) {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        FilterPattern: `{ $.decision = "${decision}" }`,
        MetricTransformations: [{
          MetricNamespace: 'RetryableEcsRunTask',
          MetricName: metricName,
          MetricValue: '1',
          Unit: 'Count',
          Dimensions: [{ Key: 'Run', Value: '$.run' }],
        }],
      });
    }
    template.resourceCountIs('AWS::Logs::MetricFilter', 4);
  });

  test('the decider log line carries the fields the filters read', async () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await handler({ run: 'TestStack/Job/Run', policy: renderRetryPolicy({ maxAttempts: 1 }), attempt: 1, error: failure('spot-interruption') });
      expect(JSON.parse(write.mock.calls[0][0] as string)).toMatchObject({ run: 'TestStack/Job/Run', decision: 'EXHAUSTED', attempt: 1, rule: 'retryableStopCode:SpotInterruption', waitSeconds: 0 });
    } finally {
      write.mockRestore();
    }
  });

  test('metrics for exhausted and non-retryable runs, ready to alarm on', () => {
    const job = create();
    const exhausted = job.metricRetriesExhausted({ period: Duration.minutes(1) });
    expect(exhausted).toMatchObject({
      namespace: 'RetryableEcsRunTask',
      metricName: 'AttemptsExhausted',
      dimensions: { Run: 'TestStack/Job/Run' },
      statistic: 'Sum',
    });
    expect(exhausted.period.toMinutes()).toBe(1);
    expect(job.metricNotRetryable().metricName).toBe('NotRetryable');
    expect(job.metricRetries().metricName).toBe('Retries');
    expect(job.metricNotificationsLost().metricName).toBe('NotificationsLost');
    exhausted.createAlarm(env.stack, 'Exhausted', { threshold: 1, evaluationPeriods: 1 });
    Template.fromStack(env.stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'RetryableEcsRunTask',
      MetricName: 'AttemptsExhausted',
      Dimensions: [{ Name: 'Run', Value: 'TestStack/Job/Run' }],
    });
  });

  test("the state machine's own metrics stay reachable", () => {
    const job = create();
    expect(job.stateMachine.metricFailed()).toBeInstanceOf(cloudwatch.Metric);
    expect(job.stateMachine.metricFailed().metricName).toBe('ExecutionsFailed');
    expect(job.deciderLogGroup).toBe(job.fragment.deciderLogGroup);
    Template.fromStack(env.stack).hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: Match.objectLike({ LogGroup: Match.anyValue() }) });
  });
});
