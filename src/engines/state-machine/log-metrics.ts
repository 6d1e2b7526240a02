import { createHash } from 'crypto';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** The metrics of a run, named as in the Lambda engine. */
export type RunMetricName = 'Retries' | 'AttemptsExhausted' | 'NotRetryable' | 'NotificationsLost';

/**
 * The runs of a fragment, which only this engine can count (the Lambda engine's decider hears of
 * failures only), for its dashboard widgets.
 */
export type RunOutcomeName = 'RunsStarted' | 'RunsSucceeded' | 'RunsFailed';

/** The log events that count toward one metric: entering any of `states`. */
export interface CountedEvents {
  /** A Step Functions history event type, e.g. `WaitStateEntered`. */
  readonly eventType: string;
  readonly states: sfn.State[];
}

/**
 * What each metric of a run counts. Only outcomes the log tells exactly are counted: a run starts
 * by entering `Start attempts` once (a retry goes back to `Run task`), fails by entering one of
 * its Fail states, and succeeds, when it has a success topic, by entering `Notify success`.
 * Without a topic nothing in a log without execution data tells a success from a caught failure:
 * `Run task` logs `TaskStateExited` for both.
 */
export type CountedStates = Record<RunMetricName, CountedEvents> & Partial<Record<RunOutcomeName, CountedEvents>>;

/** CloudWatch's longest namespace. */
const MAX_NAMESPACE_LENGTH = 255;

/**
 * The namespace of one run's metrics: `RetryableEcsRunTask/` and the run's construct path, with
 * every character a metric filter's namespace may not hold replaced by `_`, and cut short with a
 * hash of the path when longer than CloudWatch allows. A namespace per run, because a metric
 * filter's dimensions must come from log fields, and the state machine's log events do not name
 * the run.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_MetricTransformation.html
 */
export function runMetricNamespace(runPath: string): string {
  // Letters, digits and `. - _ / #` and space: valid in a CloudWatch namespace, and not `:`, `*`
  // or `$`, which a metric filter's namespace may not hold.
  const namespace = `RetryableEcsRunTask/${runPath.replace(/[^A-Za-z0-9._\-/# ]/g, '_')}`;
  if (namespace.length <= MAX_NAMESPACE_LENGTH) {
    return namespace;
  }
  const hash = createHash('sha256').update(runPath).digest('hex').slice(0, 8);
  return `${namespace.slice(0, MAX_NAMESPACE_LENGTH - hash.length - 1)}-${hash}`;
}

/**
 * The filter pattern that matches the log events of entering one of `stateNames` with
 * `eventType`. Step Functions logs every history event at level ALL as one JSON object, with the
 * event type in `type` and the state's name in `details.name`; `includeExecutionData: false`
 * leaves out the state's input and output, not its name.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_StateEnteredEventDetails.html
 */
export function stateEnteredPattern(eventType: string, stateNames: string[]): string {
  const names = stateNames.map((name) => `($.details.name = ${filterString(name)})`).join(' || ');
  return `{ ($.type = "${eventType}") && (${names}) }`;
}

/** A quoted string value of a filter pattern, which has no escape for these characters. */
function filterString(text: string): string {
  if (/["\\*]/.test(text)) {
    throw new Error(
      `\`stateNamePrefix\` must not put '"', '\\' or '*' into a state name that a metric filter matches, got the state name: ${JSON.stringify(text)}. `
      + 'Choose another `stateNamePrefix`, or construct id.',
    );
  }
  return `"${text}"`;
}

/** Properties of `RunLogMetrics`. */
export interface RunLogMetricsProps {
  /** The log group the state machine logs to, at level ALL. */
  readonly logGroup: logs.ILogGroup;
  readonly namespace: string;
  readonly counted: CountedStates;
}

/**
 * Metric filters on the state machine's log that count one run's retries and failures, for the
 * JSONata engine, which has no decider log line to count. Create it after the states got their
 * final (prefixed) names.
 *
 * A filter is created when its metric is first asked for (`metric()`), so that a run whose
 * metrics nobody reads adds no resources for them. The patterns are checked at once, so that a
 * state name no pattern can quote fails where the run is defined.
 */
export class RunLogMetrics extends Construct {
  private readonly patterns = new Map<RunMetricName | RunOutcomeName, string>();

  constructor(scope: Construct, id: string, private readonly props: RunLogMetricsProps) {
    super(scope, id);
    for (const [metricName, counted] of Object.entries(props.counted) as Array<[RunMetricName | RunOutcomeName, CountedEvents | undefined]>) {
      const { eventType, states } = counted ?? { eventType: '', states: [] };
      if (states.length > 0) {
        this.patterns.set(metricName, stateEnteredPattern(eventType, states.map((s) => s.stateId)));
      }
    }
  }

  /**
   * The run's metric `metricName`, its metric filter created if this is the first time it is
   * asked for. A metric whose states the run does not have (lost notifications without a topic)
   * has no filter, and no data.
   */
  public metric(metricName: RunMetricName | RunOutcomeName, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    const pattern = this.patterns.get(metricName);
    const id = `${metricName}Filter`;
    if (pattern !== undefined && this.node.tryFindChild(id) === undefined) {
      new logs.MetricFilter(this, id, {
        logGroup: this.props.logGroup,
        filterPattern: logs.FilterPattern.literal(pattern),
        metricNamespace: this.props.namespace,
        metricName,
        metricValue: '1',
        unit: cloudwatch.Unit.COUNT,
      });
    }
    return new cloudwatch.Metric({ namespace: this.props.namespace, metricName, statistic: cloudwatch.Stats.SUM, ...props });
  }

  /** Whether the run has the states that `metricName` counts: without them its metric has no data. */
  public counts(metricName: RunMetricName | RunOutcomeName): boolean {
    return this.patterns.has(metricName);
  }
}
