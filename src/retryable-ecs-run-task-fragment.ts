import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DECISION_METRICS, METRIC_NAMESPACE, RetryDecider } from './decider/shared-decider';
import { LambdaEngineStates } from './engines/lambda/lambda-states';
import { renderRetryPolicy, wholeSeconds } from './policy/render-retry-policy';
import { RetryDefaults } from './policy/retry-defaults';
import { warnAboutRiskyPolicy } from './policy/risky-policy-warnings';
import { RetryableEcsRunTaskOptions } from './retryable-ecs-run-task-options';
import { AdaptivePlacement } from './run-task/adaptive-placement';
import { checkRunTaskOptions } from './run-task/run-task-options';
import { checkDefaultSubnets } from './run-task/subnets';
import { TaskResult } from './run-task/task-result';
import { rejectExpressWorkflows } from './states/composition-checks';

/** Properties of a `RetryableEcsRunTaskFragment`. */
export interface RetryableEcsRunTaskFragmentProps extends RetryableEcsRunTaskOptions {
  /**
   * Prefix of every state name in the fragment, so that several fragments can share one
   * workflow. An empty string uses the plain state names.
   *
   * @default - the construct id followed by ': '
   */
  readonly stateNamePrefix?: string;
}

const RESULT_PATH_PATTERN = /^\$(\.[A-Za-z_][A-Za-z0-9_]*)+$/;
const ENVIRONMENT_VARIABLE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A retrying ECS task run as a piece of a larger workflow, for example inside a Map state.
 *
 * It runs the task; on failure the shared decider classifies the error, and the fragment waits
 * and runs it again or fails with a `RetryErrors` name. On success the state carries, at
 * `resultPath`, `{ attempts, history, task }`: the number of attempts, the failed attempts, and
 * the final task description.
 */
export class RetryableEcsRunTaskFragment extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];

  /** The stack's shared retry decider that this fragment invokes. */
  public readonly decider: lambda.IFunction;

  /** The ECS task state, for metrics or extra error handling. */
  public readonly runTask: tasks.EcsRunTask;

  /** The ECS task state on `fallbackLaunchTarget`, when one is given. */
  public readonly fallbackRunTask?: tasks.EcsRunTask;

  /** The log group of the stack's shared decider: one structured JSON line per decision. */
  public readonly deciderLogGroup: logs.ILogGroup;

  /**
   * @param scope the construct to define the fragment's states in
   * @param id the fragment's id, which also prefixes its state names unless `stateNamePrefix` is set
   * @param props what to run and how to retry it
   */
  constructor(scope: Construct, id: string, props: RetryableEcsRunTaskFragmentProps) {
    super(scope, id);

    const policy = renderRetryPolicy(props);
    const resultPath = props.resultPath ?? RetryDefaults.RESULT_PATH;
    if (!RESULT_PATH_PATTERN.test(resultPath)) {
      throw new Error(`\`resultPath\` must be '$.' followed by dot-separated field names, got: ${JSON.stringify(resultPath)}.`);
    }
    const attemptVariable = props.attemptEnvironmentVariable ?? RetryDefaults.ATTEMPT_ENVIRONMENT_VARIABLE;
    if (attemptVariable !== '' && !ENVIRONMENT_VARIABLE_PATTERN.test(attemptVariable)) {
      throw new Error(
        `\`attemptEnvironmentVariable\` must be an environment variable name (letters, digits, '_', not starting with a digit) or '' to pass none, got: ${JSON.stringify(attemptVariable)}.`,
      );
    }
    const attemptTimeout = props.attemptTimeout && wholeSeconds('attemptTimeout', props.attemptTimeout);

    warnAboutRiskyPolicy(this, props, policy.maxAttempts);
    checkDefaultSubnets(props.cluster, props.taskDefinition, props.subnets, props.assignPublicIp);
    checkRunTaskOptions(props);

    const decider = RetryDecider.of(this, props.deciderLogRetention);
    this.decider = decider.function;
    this.deciderLogGroup = decider.logGroup;

    const primaryTarget = props.launchTarget ?? new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.LATEST });
    const placement = new AdaptivePlacement(this, props, primaryTarget);
    const states = new LambdaEngineStates(this, {
      props,
      policy,
      placement,
      primaryTarget,
      resultPath,
      attemptVariable,
      attemptTimeout,
      taskResult: props.taskResult ?? TaskResult.SUMMARY,
      run: this.node.path,
    }, this.decider);
    this.runTask = states.runTask;
    this.fallbackRunTask = states.fallbackRunTask;
    this.startState = states.startState;
    this.endStates = states.endStates;
    rejectExpressWorkflows(this, () => this.runTask.stateId);

    const prefix = props.stateNamePrefix ?? `${id}: `;
    if (prefix !== '') {
      this.prefixStates(prefix);
    }
  }

  /**
   * Retries this run scheduled: attempts that failed in a retryable way with attempts left.
   * Counted from the decider's log by a metric filter, with dimension `Run`.
   *
   * @default - sum over 5 minutes
   */
  public metricRetries(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.decisionMetric('RETRY', props);
  }

  /**
   * Runs that failed with `RetryableEcsRunTask.AttemptsExhausted`: retryable failures with no
   * attempt left. Alarm on this to learn that transient failures outlast the policy.
   *
   * @default - sum over 5 minutes
   */
  public metricRetriesExhausted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.decisionMetric('EXHAUSTED', props);
  }

  /**
   * Runs that failed with `RetryableEcsRunTask.NotRetryable`: failures the policy does not retry,
   * typically the job's own errors.
   *
   * @default - sum over 5 minutes
   */
  public metricNotRetryable(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.decisionMetric('NOT_RETRYABLE', props);
  }

  /**
   * Notifications of this run that could not be published, after their retries. The run's result
   * is unaffected; alarm on this to learn that subscribers missed a result.
   *
   * @default - sum over 5 minutes
   */
  public metricNotificationsLost(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.decisionMetric('NOTIFICATION_LOST', props);
  }

  private decisionMetric(decision: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName: DECISION_METRICS[decision],
      dimensionsMap: { Run: this.node.path },
      statistic: cloudwatch.Stats.SUM,
      ...props,
    });
  }
}
