import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  DecisionEngine, RetryableEcsRunTask, RetryableEcsRunTaskFragment, RetryableEcsRunTaskFragmentProps, RetryableEcsRunTaskProps, RunDashboardOptions,
} from '../../src';
import { runMetricNamespace } from '../../src/engines/state-machine/log-metrics';
import { renderIntrinsic } from '../support/intrinsics';
import { testEnvironment, TestEnvironment } from '../support/stack';

const STATE_MACHINE = DecisionEngine.STATE_MACHINE;

/** A construct id with what a SEARCH term must escape, what a namespace replaces, and more than ASCII. */
const AWKWARD_ID = 'Nightly "report" (EU) l\'été \\ ✓';

/** What a run's widgets may name: its own metrics, and no one else's. */
interface RunUnderTest {
  /** The start of its widgets' titles. */
  readonly titlePrefix: string;
  /** The construct path of the fragment, which the decider's log line names as `run`. */
  readonly runPath: string;
  /** The logical id of the state machine a standalone run has of its own. */
  readonly stateMachine?: string;
  /** The logical id of the log group the STATE_MACHINE engine counts from. */
  readonly logGroup?: string;
}

const logicalId = (construct: { node: { defaultChild?: unknown } } | logs.ILogGroup): string =>
  Stack.of(construct as any).getLogicalId(((construct as any).node.defaultChild ?? construct) as any);

function standaloneUnderTest(job: RetryableEcsRunTask): RunUnderTest {
  return {
    titlePrefix: job.node.path,
    runPath: job.fragment.node.path,
    stateMachine: logicalId(job.stateMachine),
    logGroup: job.fragment.decisionEngine === STATE_MACHINE ? logicalId(job.stateMachineLogGroup!) : undefined,
  };
}

function fragmentUnderTest(run: RetryableEcsRunTaskFragment, logGroup?: logs.ILogGroup): RunUnderTest {
  return { titlePrefix: run.node.path, runPath: run.node.path, logGroup: logGroup && logicalId(logGroup) };
}

/** One metric as a graph widget names it in the dashboard body. */
interface NamedMetric {
  readonly widgetTitle: string;
  /** `[namespace, metricName, dimensionName, dimensionValue, ..., options]`, or `[{ expression, ... }]`. */
  readonly entry: any[];
}

/** The dashboard's body as the JSON CloudWatch gets, references as `<<Ref:LogicalId>>`. */
function dashboardBody(template: Template): { widgets: any[] } {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  return JSON.parse(renderIntrinsic(dashboards[0].Properties.DashboardBody, {
    reference: (v) => (v.Ref ? `<<Ref:${v.Ref}>>` : `<<GetAtt:${JSON.stringify(v['Fn::GetAtt'])}>>`),
  }));
}

function namedMetrics(body: { widgets: any[] }): NamedMetric[] {
  return body.widgets.flatMap((w) => (w.properties.metrics as any[][]).map((entry) => ({ widgetTitle: w.properties.title, entry })));
}

/** Whether a metric filter's properties publish `namespace` `metricName`. */
const publishes = (filter: any, namespace: string, metricName: string) =>
  filter.MetricTransformations[0].MetricNamespace === namespace && filter.MetricTransformations[0].MetricName === metricName;

/** The inverse of the SEARCH term's escape: a backslash takes the next character as it is. */
const unescapeSearchValue = (text: string) => text.replace(/\\(.)/gu, '$1');

const SEARCH = /^SEARCH\('\{([^,}]+),Rule,Run\} MetricName="Retries" Run="((?:\\.|[^"\\])*)"', 'Sum', (\d+)\)$/u;

/**
 * Throws unless `metric` is one of `run`'s own metrics that exists in `template`: a metric
 * filter's transformation with the same namespace, name and dimensions, or the AWS/States metric of
 * the run's own state machine.
 */
function expectMetricOfRun(template: Template, run: RunUnderTest, metric: NamedMetric): void {
  const filters = Object.values(template.findResources('AWS::Logs::MetricFilter')).map((f: any) => f.Properties);
  const where = `widget ${JSON.stringify(metric.widgetTitle)}: ${JSON.stringify(metric.entry)}`;
  const deciderLogGroups = Object.keys(template.findResources('AWS::Logs::LogGroup')).filter((id) => id.startsWith('RetryableEcsRunTaskDeciderLogs'));
  const [first] = metric.entry;

  if (typeof first === 'object') {
    const search = SEARCH.exec(first.expression);
    if (!search) {
      throw new Error(`${where}: not the per-rule SEARCH`);
    }
    const [, namespace, escapedRun] = search;
    if (unescapeSearchValue(escapedRun) !== run.runPath) {
      throw new Error(`${where}: searches the run ${JSON.stringify(unescapeSearchValue(escapedRun))}, not ${JSON.stringify(run.runPath)}`);
    }
    const filter = filters.find((f) => f.MetricTransformations[0].MetricNamespace === namespace && f.MetricTransformations[0].MetricName === 'Retries'
      && JSON.stringify(f.MetricTransformations[0].Dimensions) === JSON.stringify([{ Key: 'Run', Value: '$.run' }, { Key: 'Rule', Value: '$.rule' }]));
    if (!filter || !deciderLogGroups.includes(filter.LogGroupName.Ref)) {
      throw new Error(`${where}: no metric filter on the decider's log has the schema {${namespace},Rule,Run}`);
    }
    return;
  }

  const [namespace, metricName, ...rest] = metric.entry;
  const pairs = rest.filter((x) => typeof x === 'string');
  const dimensions: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) {
    dimensions[pairs[i]] = pairs[i + 1];
  }
  if (namespace === 'AWS/States') {
    if (!run.stateMachine || JSON.stringify(dimensions) !== JSON.stringify({ StateMachineArn: `<<Ref:${run.stateMachine}>>` })) {
      throw new Error(`${where}: not a metric of the run's own state machine ${run.stateMachine}`);
    }
    return;
  }
  const keys = Object.keys(dimensions).sort();
  const dimensionKeys = (f: any) => (f.MetricTransformations[0].Dimensions ?? []).map((d: any) => d.Key).sort();
  const filter = filters.find((f) => publishes(f, namespace, metricName) && JSON.stringify(dimensionKeys(f)) === JSON.stringify(keys));
  if (!filter) {
    throw new Error(`${where}: no metric filter publishes ${namespace} ${metricName} with the dimensions [${keys}]`);
  }
  if (keys.length > 0) {
    // The decider's filters: the run is the `run` field of its log line, the fragment's construct path.
    if (JSON.stringify(dimensions) !== JSON.stringify({ Run: run.runPath }) || !deciderLogGroups.includes(filter.LogGroupName.Ref)) {
      throw new Error(`${where}: not the run ${JSON.stringify(run.runPath)} on the decider's log`);
    }
    return;
  }
  if (namespace !== runMetricNamespace(run.runPath) || filter.LogGroupName.Ref !== run.logGroup) {
    throw new Error(`${where}: not counted from the log group ${run.logGroup} in the run's namespace ${runMetricNamespace(run.runPath)}`);
  }
}

/** Every widget belongs to one of `runs` by its title, and names only that run's metrics. */
function expectEveryWidgetNamesItsRunsMetrics(template: Template, runs: RunUnderTest[]): Map<RunUnderTest, string[]> {
  const titles = new Map<RunUnderTest, string[]>(runs.map((r) => [r, []]));
  for (const widget of dashboardBody(template).widgets) {
    const title: string = widget.properties.title;
    const run = runs.filter((r) => title.startsWith(`${r.titlePrefix}: `)).sort((a, b) => b.titlePrefix.length - a.titlePrefix.length)[0];
    if (!run) {
      throw new Error(`widget ${JSON.stringify(title)} belongs to no run`);
    }
    titles.get(run)!.push(title.slice(run.titlePrefix.length + 2));
    namedMetrics({ widgets: [widget] }).forEach((metric) => expectMetricOfRun(template, run, metric));
  }
  return titles;
}

describe('dashboardWidgets()', () => {
  let env: TestEnvironment;
  beforeEach(() => {
    env = testEnvironment();
  });
  const standalone = (id: string, props: Partial<RetryableEcsRunTaskProps> = {}) =>
    new RetryableEcsRunTask(env.stack, id, { cluster: env.cluster, taskDefinition: env.taskDefinition, ...props });
  const fragment = (id: string, props: Partial<RetryableEcsRunTaskFragmentProps> = {}) => {
    const run = new RetryableEcsRunTaskFragment(env.stack, id, { cluster: env.cluster, taskDefinition: env.taskDefinition, ...props });
    new sfn.StateMachine(env.stack, `${id}Workflow`, {
      definitionBody: sfn.DefinitionBody.fromChainable(run),
      logs: props.stateMachineLogGroup && { destination: props.stateMachineLogGroup, level: sfn.LogLevel.ALL },
    });
    return run;
  };
  const filterNames = () => Object.values(Template.fromStack(env.stack).findResources('AWS::Logs::MetricFilter'))
    .map((f: any) => `${f.Properties.MetricTransformations[0].MetricNamespace} ${f.Properties.MetricTransformations[0].MetricName}`
      + (f.Properties.MetricTransformations[0].Dimensions ?? []).map((d: any) => ` ${d.Key}`).join(''))
    .sort();

  /** Several runs of both engines, standalone and fragments, with and without topics, on one dashboard. */
  function severalRuns() {
    const topic = new sns.Topic(env.stack, 'Topic');
    const workflowLogs = new logs.LogGroup(env.stack, 'WorkflowLogs');
    const lambdaJob = standalone(AWKWARD_ID, { successTopic: topic });
    const jsonataJob = standalone('JsonataJob', { decisionEngine: STATE_MACHINE });
    const jsonataJobWithTopic = standalone('JsonataJobWithTopic', { decisionEngine: STATE_MACHINE, failureTopic: topic });
    const lambdaStep = fragment('Extract (step 1)', { failureTopic: topic });
    const jsonataStep = fragment('Load', { decisionEngine: STATE_MACHINE, successTopic: topic, stateMachineLogGroup: workflowLogs });
    const jsonataStepWithoutTopic = fragment('Transform', { decisionEngine: STATE_MACHINE, stateMachineLogGroup: new logs.LogGroup(env.stack, 'OtherLogs') });
    new cloudwatch.Dashboard(env.stack, 'Dashboard', {
      widgets: [lambdaJob, jsonataJob, jsonataJobWithTopic, lambdaStep, jsonataStep, jsonataStepWithoutTopic].map((run) => run.dashboardWidgets()),
    });
    return {
      lambdaJob: standaloneUnderTest(lambdaJob),
      jsonataJob: standaloneUnderTest(jsonataJob),
      jsonataJobWithTopic: standaloneUnderTest(jsonataJobWithTopic),
      lambdaStep: fragmentUnderTest(lambdaStep),
      jsonataStep: fragmentUnderTest(jsonataStep, workflowLogs),
      jsonataStepWithoutTopic: fragmentUnderTest(jsonataStepWithoutTopic, jsonataStepWithoutTopic.node.scope!.node.findChild('OtherLogs') as logs.ILogGroup),
    };
  }

  test('every widget names an existing metric of its own run, on both engines, standalone and in a workflow', () => {
    // GIVEN / WHEN
    const runs = severalRuns();
    const template = Template.fromStack(env.stack);

    // THEN
    const titles = expectEveryWidgetNamesItsRunsMetrics(template, Object.values(runs));
    expect(Object.fromEntries(Object.entries(runs).map(([name, run]) => [name, titles.get(run)]))).toEqual({
      lambdaJob: ['runs', 'retries by rule', 'retries exhausted and not retryable', 'notifications lost'],
      jsonataJob: ['runs', 'retries, all rules (by rule: Lambda engine, or execution data)', 'retries exhausted and not retryable'],
      jsonataJobWithTopic: ['runs', 'retries, all rules (by rule: Lambda engine, or execution data)', 'retries exhausted and not retryable', 'notifications lost'],
      lambdaStep: ['retries by rule', 'retries exhausted and not retryable', 'notifications lost'],
      jsonataStep: ['runs started, succeeded and failed', 'retries, all rules (by rule: Lambda engine, or execution data)',
        'retries exhausted and not retryable', 'notifications lost'],
      jsonataStepWithoutTopic: ['runs started and failed (succeeded: with a successTopic)', 'retries, all rules (by rule: Lambda engine, or execution data)',
        'retries exhausted and not retryable'],
    });
    // A math expression CDK cannot check would be a warning.
    expect(Annotations.fromStack(env.stack).findWarning('*', /./)).toEqual([]);
  });

  test('a standalone run shows its state machine\'s executions: started, succeeded, failed, timed out, aborted', () => {
    const runs = severalRuns();
    const runsWidget = dashboardBody(Template.fromStack(env.stack)).widgets.find((w) => w.properties.title === `${runs.jsonataJob.titlePrefix}: runs`);
    expect(runsWidget.properties.metrics.map((m: any[]) => m[1]))
      .toEqual(['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']);
  });

  test('the check fails for a widget that names a metric of another run', () => {
    const runs = severalRuns();
    const template = Template.fromStack(env.stack);
    const metricsOf = (run: RunUnderTest) => namedMetrics(dashboardBody(template)).filter((m) => m.widgetTitle.startsWith(`${run.titlePrefix}: `));
    const pairs: Array<[RunUnderTest, RunUnderTest]> = [
      [runs.lambdaJob, runs.lambdaStep],
      [runs.jsonataJob, runs.jsonataJobWithTopic],
      [runs.jsonataStep, runs.jsonataStepWithoutTopic],
      [runs.jsonataStepWithoutTopic, runs.jsonataStep],
    ];
    for (const [owner, other] of pairs) {
      const metrics = metricsOf(owner);
      expect(metrics.length).toBeGreaterThan(0);
      metrics.forEach((metric) => expect(() => expectMetricOfRun(template, owner, metric)).not.toThrow());
      metrics.forEach((metric) => expect(() => expectMetricOfRun(template, other, metric)).toThrow());
    }
  });

  test('the SEARCH matches the per-rule filter\'s schema and the run\'s whole path, escaped', () => {
    const job = standalone(AWKWARD_ID);
    new cloudwatch.Dashboard(env.stack, 'Dashboard', { widgets: [job.dashboardWidgets({ period: Duration.minutes(1) })] });
    const template = Template.fromStack(env.stack);
    const [search] = namedMetrics(dashboardBody(template)).filter((m) => typeof m.entry[0] === 'object');
    expect(search.entry[0]).toEqual({
      expression: 'SEARCH(\'{RetryableEcsRunTask,Rule,Run} MetricName="Retries" '
        + 'Run="TestStack/Nightly \\"report\\" \\(EU\\) l\\\'été \\\\ ✓/Run"\', \'Sum\', 60)',
      label: '${PROP(\'Dim.Rule\')}',
      period: 60,
    });
    expect(unescapeSearchValue(SEARCH.exec(search.entry[0].expression)![2])).toBe(job.fragment.node.path);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.decision = "RETRY" }',
      MetricTransformations: [{
        MetricNamespace: 'RetryableEcsRunTask',
        MetricName: 'Retries',
        MetricValue: '1',
        Unit: 'Count',
        Dimensions: [{ Key: 'Run', Value: '$.run' }, { Key: 'Rule', Value: '$.rule' }],
      }],
    });
  });

  test('a fragment of the STATE_MACHINE engine counts its runs from the states it starts, fails and succeeds in', () => {
    const runs = severalRuns();
    const template = Template.fromStack(env.stack);
    const definition = JSON.parse(renderIntrinsic(
      Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).find(([id]) => id.startsWith('LoadWorkflow'))![1].Properties.DefinitionString,
    ));
    const states = definition.States as Record<string, { Type: string }>;
    const namesIn = (metricName: string) => {
      const filter = Object.values(template.findResources('AWS::Logs::MetricFilter')).map((f: any) => f.Properties)
        .find((f) => publishes(f, runMetricNamespace(runs.jsonataStep.runPath), metricName));
      const [, eventType] = /\$\.type = "(\w+)"/.exec(filter.FilterPattern)!;
      return { eventType, names: [...filter.FilterPattern.matchAll(/\$\.details\.name = "([^"]*)"/g)].map((m) => m[1]).sort() };
    };
    expect(namesIn('RunsStarted')).toEqual({ eventType: 'PassStateEntered', names: [definition.StartAt] });
    expect(states[definition.StartAt].Type).toBe('Pass');
    expect(namesIn('RunsFailed')).toEqual({ eventType: 'FailStateEntered', names: Object.keys(states).filter((name) => states[name].Type === 'Fail').sort() });
    expect(namesIn('RunsSucceeded')).toEqual({ eventType: 'TaskStateEntered', names: ['Load: Notify success'] });
  });

  describe('metric filters', () => {
    test('none for the widgets while nothing asks for them', () => {
      standalone('LambdaJob');
      standalone('JsonataJob', { decisionEngine: STATE_MACHINE, successTopic: new sns.Topic(env.stack, 'Topic') });
      // The decider's four per-run filters, as before: no per-rule filter, none on the state machine's log.
      expect(filterNames()).toEqual([
        'RetryableEcsRunTask AttemptsExhausted Run', 'RetryableEcsRunTask NotRetryable Run',
        'RetryableEcsRunTask NotificationsLost Run', 'RetryableEcsRunTask Retries Run',
      ]);
    });

    test('the Lambda engine\'s widgets add one per-rule filter per stack, however often and by however many runs they are asked for', () => {
      const first = standalone('First');
      const second = fragment('Second');
      first.dashboardWidgets();
      first.dashboardWidgets({ period: Duration.minutes(1) });
      second.dashboardWidgets();
      expect(filterNames()).toEqual([
        'RetryableEcsRunTask AttemptsExhausted Run', 'RetryableEcsRunTask NotRetryable Run',
        'RetryableEcsRunTask NotificationsLost Run', 'RetryableEcsRunTask Retries Run', 'RetryableEcsRunTask Retries Run Rule',
      ]);
    });

    test('the STATE_MACHINE engine\'s widgets add the filters of their metrics, once', () => {
      const job = standalone('Job', { decisionEngine: STATE_MACHINE });
      job.dashboardWidgets();
      job.dashboardWidgets();
      const ns = 'RetryableEcsRunTask/TestStack/Job/Run';
      // No lost notifications without a topic, and the runs are the state machine's own metrics.
      expect(filterNames()).toEqual([`${ns} AttemptsExhausted`, `${ns} NotRetryable`, `${ns} Retries`]);
    });

    test.each([
      ['with a success topic', true, ['AttemptsExhausted', 'NotRetryable', 'NotificationsLost', 'Retries', 'RunsFailed', 'RunsStarted', 'RunsSucceeded']],
      ['without a topic', false, ['AttemptsExhausted', 'NotRetryable', 'Retries', 'RunsFailed', 'RunsStarted']],
    ])('a STATE_MACHINE fragment %s adds the filters of the runs it can count', (_, withTopic, metricNames) => {
      const run = fragment('Step', {
        decisionEngine: STATE_MACHINE,
        stateMachineLogGroup: new logs.LogGroup(env.stack, 'Logs'),
        successTopic: withTopic ? new sns.Topic(env.stack, 'Topic') : undefined,
      });
      // Before the first synth: a synthesized app cannot change.
      expect(env.stack.node.findAll().filter((c) => c instanceof logs.MetricFilter)).toEqual([]);
      run.dashboardWidgets();
      run.dashboardWidgets();
      expect(filterNames()).toEqual(metricNames.map((name) => `RetryableEcsRunTask/TestStack/Step ${name}`));
    });
  });

  test('the options set the period, the size and the titles', () => {
    const job = standalone('Job');
    const widgets = job.dashboardWidgets({ period: Duration.minutes(15), width: 12, height: 4, titlePrefix: 'Nightly' });
    new cloudwatch.Dashboard(env.stack, 'Dashboard', { widgets: [widgets] });
    const body = dashboardBody(Template.fromStack(env.stack));
    expect(body.widgets.map((w) => [w.width, w.height, w.properties.title])).toEqual([
      [12, 4, 'Nightly: runs'], [12, 4, 'Nightly: retries by rule'], [12, 4, 'Nightly: retries exhausted and not retryable'],
    ]);
    for (const metric of namedMetrics(body)) {
      expect(metric.entry.at(-1).period).toBe(900);
    }
  });

  test.each<[string, RunDashboardOptions, string]>([
    ['a width of 0', { width: 0 }, '`width` must be a whole number of columns from 1 to 24, got: 0.'],
    ['a width beyond a row', { width: 25 }, '`width` must be a whole number of columns from 1 to 24, got: 25.'],
    ['a fractional width', { width: 2.5 }, '`width` must be a whole number of columns from 1 to 24, got: 2.5.'],
    ['a height of 0', { height: 0 }, '`height` must be a whole number of grid units from 1 to 1000, got: 0.'],
    ['a height beyond 1000', { height: 1001 }, '`height` must be a whole number of grid units from 1 to 1000, got: 1001.'],
    ['a period of 2 seconds', { period: Duration.seconds(2) }, '`period` must be 1, 5, 10 or 30 seconds, or a whole number of minutes, got: 2 seconds.'],
    ['a period of 90 seconds', { period: Duration.seconds(90) }, '`period` must be 1, 5, 10 or 30 seconds, or a whole number of minutes, got: 90 seconds.'],
    ['a period of 1.5 seconds', { period: Duration.millis(1500) }, '`period` must be 1, 5, 10 or 30 seconds, or a whole number of minutes, got: 1.5 seconds.'],
    ['a period of 0', { period: Duration.seconds(0) }, '`period` must be 1, 5, 10 or 30 seconds, or a whole number of minutes, got: 0 seconds.'],
  ])('%s is an error at synth', (_, options, message) => {
    expect(() => standalone('Job').dashboardWidgets(options)).toThrow(message);
    expect(() => fragment('Step').dashboardWidgets(options)).toThrow(message);
  });

  test.each([1, 5, 10, 30, 60, 3600].map((seconds) => [Duration.seconds(seconds)]))(
    'a period of %s is one CloudWatch takes', (period) => {
      expect(standalone('Job').dashboardWidgets({ period })).toHaveLength(3);
    });

  test('a STATE_MACHINE fragment without stateMachineLogGroup says what to pass', () => {
    const run = fragment('Step', { decisionEngine: STATE_MACHINE });
    expect(() => run.dashboardWidgets()).toThrow('`dashboardWidgets()` of TestStack/Step needs `stateMachineLogGroup`');
  });
});
