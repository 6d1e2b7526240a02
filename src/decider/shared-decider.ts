import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DeciderFunction } from './decider-function';

/** Construct id of the decider, one per stack. */
const DECIDER_ID = 'RetryableEcsRunTaskDecider';

/** CloudWatch namespace of the metrics the decider's log lines feed. */
export const METRIC_NAMESPACE = 'RetryableEcsRunTask';

/** Metric names, by the `decision` field of the decider's log line. */
export const DECISION_METRICS: Record<string, string> = {
  RETRY: 'Retries',
  EXHAUSTED: 'AttemptsExhausted',
  NOT_RETRYABLE: 'NotRetryable',
};

/** The default retention of the decider's log group. */
export const DEFAULT_DECIDER_LOG_RETENTION = logs.RetentionDays.ONE_MONTH;

/**
 * The stack's one retry decider: the function, its log group, a role that may write to that log
 * group and nothing else, and metric filters that count decisions per retrying run.
 */
export class RetryDecider extends Construct {
  /**
   * The stack's decider, created on first use. Every retrying run in the stack invokes it with
   * its own policy, so N runs add no Lambda functions beyond the first.
   */
  public static of(scope: Construct, logRetention?: logs.RetentionDays): RetryDecider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(DECIDER_ID) as RetryDecider | undefined;
    if (!existing) {
      return new RetryDecider(stack, DECIDER_ID, logRetention ?? DEFAULT_DECIDER_LOG_RETENTION);
    }
    if (logRetention !== undefined && logRetention !== existing.logRetention) {
      throw new Error(
        `\`deciderLogRetention\` must be the same for every retrying run in stack ${stack.stackName}, which shares one decider: got ${logRetention} days, but the decider already keeps logs ${existing.logRetention} days.`,
      );
    }
    return existing;
  }

  public readonly function: lambda.Function;
  public readonly logGroup: logs.LogGroup;

  private constructor(scope: Construct, id: string, private readonly logRetention: logs.RetentionDays) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logRetention });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Lets the retry decider write to its own log group, and nothing else',
    });
    this.logGroup.grantWrite(role);
    this.function = new DeciderFunction(this, 'Function', {
      description: 'Decides whether a failed ECS task attempt is retried (cdk-retryable-ecs-run-task)',
      memorySize: 128,
      timeout: Duration.seconds(10),
      role,
      logGroup: this.logGroup,
    });
    this.function.node.addDependency(role);

    for (const [decision, metricName] of Object.entries(DECISION_METRICS)) {
      new logs.MetricFilter(this, `${metricName}Filter`, {
        logGroup: this.logGroup,
        filterPattern: logs.FilterPattern.stringValue('$.decision', '=', decision),
        metricNamespace: METRIC_NAMESPACE,
        metricName,
        metricValue: '1',
        unit: cloudwatch.Unit.COUNT,
        dimensions: { Run: '$.run' },
      });
    }
  }
}
