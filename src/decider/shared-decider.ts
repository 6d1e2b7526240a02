import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DeciderFunction } from './decider-function';
import { deciderEnvironment } from './policy-defaults';

/** Construct id of the decider, one per stack. */
const DECIDER_ID = 'RetryableEcsRunTaskDecider';

/** CloudWatch namespace of the metrics the decider's log lines feed. */
export const METRIC_NAMESPACE = 'RetryableEcsRunTask';

/** Metric names, by the `decision` field of the decider's log line. */
export const DECISION_METRICS: Record<string, string> = {
  RETRY: 'Retries',
  EXHAUSTED: 'AttemptsExhausted',
  NOT_RETRYABLE: 'NotRetryable',
  NOTIFICATION_LOST: 'NotificationsLost',
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
      return new RetryDecider(stack, DECIDER_ID, logRetention);
    }
    existing.agreeOnRetention(logRetention);
    return existing;
  }

  public readonly function: lambda.Function;
  public readonly logGroup: logs.LogGroup;

  /** The retention a run asked for; runs that leave it unset agree with any. */
  private requestedRetention?: logs.RetentionDays;

  private constructor(scope: Construct, id: string, logRetention: logs.RetentionDays | undefined) {
    super(scope, id);
    this.requestedRetention = logRetention;
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logRetention ?? DEFAULT_DECIDER_LOG_RETENTION });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Lets the retry decider write to its own log group, and nothing else',
    });
    this.logGroup.grantWrite(role);
    this.function = new DeciderFunction(this, 'Function', {
      description: 'Decides whether a failed ECS task attempt is retried (cdk-retryable-ecs-run-task)',
      memorySize: 128,
      timeout: Duration.seconds(10),
      // The default policy, which each run's policy is sent as a diff from (`policyDiff`).
      environment: deciderEnvironment(),
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

  /**
   * Settles the log retention whatever order the runs are created in: the first run that sets
   * it decides, and a later run that sets another value is an error.
   */
  private agreeOnRetention(logRetention: logs.RetentionDays | undefined): void {
    if (logRetention === undefined) {
      return;
    }
    if (this.requestedRetention === undefined) {
      this.requestedRetention = logRetention;
      (this.logGroup.node.defaultChild as logs.CfnLogGroup).retentionInDays =
        logRetention === logs.RetentionDays.INFINITE ? undefined : logRetention;
      return;
    }
    if (logRetention !== this.requestedRetention) {
      throw new Error(
        `\`deciderLogRetention\` must be the same for every retrying run in stack ${Stack.of(this).stackName}, which shares one decider: got ${logRetention} days, but another run set ${this.requestedRetention} days.`,
      );
    }
  }
}
