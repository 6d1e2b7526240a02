import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DECISION_METRICS, METRIC_NAMESPACE, RetryDecider } from './decider/shared-decider';
import { UnqualifiedLambdaInvoke } from './decider/unqualified-lambda-invoke';
import type { DeciderPolicy } from './decider/wire';
import { renderRetryPolicy, wholeSeconds } from './policy/render-retry-policy';
import { RetryDefaults, RetryErrors } from './policy/retry-defaults';
import { warnAboutRiskyPolicy } from './policy/risky-policy-warnings';
import { RetryableEcsRunTaskOptions } from './retryable-ecs-run-task-options';
import { AdaptivePlacement } from './run-task/adaptive-placement';
import { ClusterScopedEcsRunTask } from './run-task/cluster-scoped-ecs-run-task';
import { renderContainerOverrides } from './run-task/container-overrides';
import { checkRunTaskOptions } from './run-task/run-task-options';
import { checkDefaultSubnets } from './run-task/subnets';
import { TaskResult } from './run-task/task-result';
import { rejectExpressWorkflows } from './states/composition-checks';
import { Notification } from './states/notifications';
import { StatePaths } from './states/state-paths';

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
    const paths = new StatePaths(resultPath);

    const primaryTarget = props.launchTarget ?? new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.LATEST });
    const placement = new AdaptivePlacement(this, props, primaryTarget);

    const init = new sfn.Pass(this, 'Start attempts', {
      parameters: { attempt: 1, failures: { history: [] }, ...(placement.adaptive ? { placement: placement.firstPlacement() } : {}) },
      resultPath,
    });

    const runTaskProps = {
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      cluster: props.cluster,
      taskDefinition: props.taskDefinition,
      revisionNumber: props.revisionNumber,
      cpu: props.cpu,
      memoryMiB: props.memoryMiB,
      ...placement.taskSizeOverrides(paths.placement),
      propagatedTagSource: props.propagatedTagSource,
      enableExecuteCommand: props.enableExecuteCommand,
      containerOverrides: renderContainerOverrides(this, props.taskDefinition, props.containerOverrides ?? [], attemptVariable, paths.attempt,
        placement.containerMemoryOverrides(paths.placement)),
      subnets: props.subnets,
      securityGroups: props.securityGroups,
      assignPublicIp: props.assignPublicIp,
      taskTimeout: attemptTimeout === undefined ? undefined : sfn.Timeout.duration(Duration.seconds(attemptTimeout)),
      resultSelector: (props.taskResult ?? TaskResult.SUMMARY)._resultSelector(),
      resultPath: paths.task,
    };
    this.runTask = new ClusterScopedEcsRunTask(this, 'Run task', { ...runTaskProps, launchTarget: primaryTarget });
    // Both targets share the network settings, the security groups included.
    this.fallbackRunTask = placement.fallbackTarget && new ClusterScopedEcsRunTask(this, 'Run task on fallback', {
      ...runTaskProps,
      launchTarget: placement.fallbackTarget,
      securityGroups: props.securityGroups
        ?? (props.taskDefinition.networkMode === ecs.NetworkMode.AWS_VPC ? this.runTask.connections.securityGroups : undefined),
    });
    const runTasks = this.fallbackRunTask ? [this.runTask, this.fallbackRunTask] : [this.runTask];
    const runAttempt: sfn.IChainable = this.fallbackRunTask
      ? new sfn.Choice(this, 'Choose launch target')
        .when(sfn.Condition.stringEquals(`${paths.placement}.capacity`, 'fallback'), this.fallbackRunTask)
        .otherwise(this.runTask)
      : this.runTask;

    rejectExpressWorkflows(this, () => this.runTask.stateId);

    const decide = this.decideRetry({ ...policy, ...placement.policy() }, paths, placement);
    runTasks.forEach((run) => run.addCatch(decide, { errors: [sfn.Errors.ALL], resultPath: paths.error }));
    decide.next(this.retryOrFail(policy, paths, placement, runAttempt, props.failureTopic));
    decide.addCatch(this.deciderFailed(paths, props.failureTopic), { errors: [sfn.Errors.ALL], resultPath: paths.deciderError });

    const recordResult = new sfn.Pass(this, 'Record result', {
      parameters: {
        'attempts.$': paths.attempt,
        'history.$': paths.history,
        'task.$': paths.task,
        ...(placement.adaptive ? { 'capacity.$': `${paths.placement}.capacity` } : {}),
        ...(placement.ladder ? { size: { 'cpu.$': `${paths.placement}.size.cpu`, 'memoryMiB.$': `${paths.placement}.size.memoryMiB` } } : {}),
      },
      resultPath,
    });
    init.next(runAttempt);
    runTasks.forEach((run) => run.next(recordResult));

    this.startState = init;
    this.endStates = props.successTopic ? this.notifySuccess(recordResult, props.successTopic, resultPath) : [recordResult];
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

  /** Invokes the shared decider with this run's policy; its answer replaces the caught error. */
  private decideRetry(policy: DeciderPolicy, paths: StatePaths, placement: AdaptivePlacement): sfn.TaskStateBase {
    const decide = new UnqualifiedLambdaInvoke(this, 'Decide retry', {
      lambdaFunction: this.decider,
      payload: sfn.TaskInput.fromObject({
        run: this.node.path,
        policy,
        attempt: sfn.JsonPath.numberAt(paths.attempt),
        error: sfn.JsonPath.objectAt(paths.error),
        history: sfn.JsonPath.objectAt(paths.history),
        ...(placement.adaptive ? { placement: sfn.JsonPath.objectAt(paths.placement) } : {}),
      }),
      resultSelector: {
        'retryable.$': '$.Payload.retryable',
        'retry.$': '$.Payload.retry',
        'waitSeconds.$': '$.Payload.waitSeconds',
        'rule.$': '$.Payload.rule',
        'history.$': '$.Payload.history',
        'cause.$': '$.Payload.cause',
        ...(placement.adaptive ? { 'next.$': '$.Payload.next' } : {}),
      },
      // Replaces the caught error and the old history: the state carries one history, never two.
      resultPath: paths.failures,
    });
    // A burst of failing executions can exceed the account's Lambda concurrency.
    decide.addRetry({
      errors: ['Lambda.TooManyRequestsException'],
      interval: Duration.seconds(1),
      maxAttempts: 6,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });
    return decide;
  }

  /**
   * A decider that still fails after its retries ends the run as an invalid decision, so that the
   * run keeps its own error names and still notifies.
   */
  private deciderFailed(paths: StatePaths, failureTopic?: sns.ITopic): sfn.IChainable {
    const explain = new sfn.Pass(this, 'Explain decider failure', {
      parameters: {
        'history.$': paths.history,
        'cause.$': `States.Format('The retry decider failed with {}; the run stops rather than guess whether to retry.', ${paths.deciderError}.Error)`,
      },
      resultPath: paths.failures,
    });
    return explain.next(this.notifyThenFail('Decider failed', RetryErrors.INVALID_DECISION, { causePath: paths.cause }, paths, failureTopic));
  }

  /**
   * Acts on the decision: back off and run again, or fail with a `RetryErrors` name. The state
   * machine counts attempts and bounds the wait itself, so termination never depends on the
   * decider being right.
   */
  private retryOrFail(
    policy: DeciderPolicy, paths: StatePaths, placement: AdaptivePlacement, runAttempt: sfn.IChainable, failureTopic?: sns.ITopic,
  ): sfn.Choice {
    const backOff = new sfn.Wait(this, 'Back off', { time: sfn.WaitTime.secondsPath(paths.waitSeconds) });
    const nextAttempt = new sfn.Pass(this, 'Next attempt', {
      parameters: {
        'attempt.$': `States.MathAdd(${paths.attempt}, 1)`,
        'failures': { 'history.$': paths.history },
        ...(placement.adaptive ? { 'placement.$': paths.next } : {}),
      },
      resultPath: paths.root,
    });
    const fail = (name: string, error: string, cause: { causePath?: string; cause?: string }) =>
      this.notifyThenFail(name, error, cause, paths, failureTopic);

    return new sfn.Choice(this, 'Retry or fail')
      .when(
        sfn.Condition.and(
          sfn.Condition.booleanEquals(paths.retry, true),
          sfn.Condition.numberLessThan(paths.attempt, policy.maxAttempts),
          sfn.Condition.isNumeric(paths.waitSeconds),
          sfn.Condition.numberGreaterThanEquals(paths.waitSeconds, 0),
          sfn.Condition.numberLessThanEquals(paths.waitSeconds, policy.maxDelaySeconds),
          ...placement.nextAttemptConditions(paths.next, paths.placement),
        ),
        backOff.next(nextAttempt).next(runAttempt),
      )
      .when(
        sfn.Condition.and(
          sfn.Condition.booleanEquals(paths.retryable, true),
          sfn.Condition.numberGreaterThanEquals(paths.attempt, policy.maxAttempts),
        ),
        fail('Attempts exhausted', RetryErrors.ATTEMPTS_EXHAUSTED, { causePath: paths.cause }),
      )
      .when(
        sfn.Condition.booleanEquals(paths.retryable, false),
        fail('Not retryable', RetryErrors.NOT_RETRYABLE, { causePath: paths.cause }),
      )
      .otherwise(
        fail('Invalid decision', RetryErrors.INVALID_DECISION, {
          cause: 'The retry decider returned a decision the state machine cannot act on.',
        }),
      );
  }

  /**
   * A Fail state, preceded by a notification when a failure topic is given. A notification that
   * is lost still ends in the same error, with the cause extended by a note that says so.
   */
  private notifyThenFail(
    name: string, error: string, cause: { causePath?: string; cause?: string }, paths: StatePaths, topic?: sns.ITopic,
  ): sfn.IChainable {
    const failState = new sfn.Fail(this, name, { error, ...cause });
    if (!topic) {
      return failState;
    }
    const lostPath = `${paths.failures}.notificationLost`;
    const causeArgument = cause.causePath ?? `'${escapeIntrinsicString(cause.cause ?? '')}'`;
    const noteLoss = new sfn.Pass(this, `${name}, notification lost`, {
      parameters: {
        'cause.$': `States.Format('{} [failure notification lost: {}]', ${causeArgument}, ${lostPath}.Error)`,
      },
      resultPath: paths.lostNotificationCause,
    });
    noteLoss.next(new sfn.Fail(this, `${name} (notification lost)`, { error, causePath: `${paths.lostNotificationCause}.cause` }));

    const notification = new Notification(this, name.toLowerCase(), {
      topic,
      status: 'FAILED',
      fields: {
        error,
        cause: cause.causePath ? sfn.JsonPath.stringAt(cause.causePath) : cause.cause,
        attempts: sfn.JsonPath.numberAt(paths.attempt),
        history: sfn.JsonPath.objectAt(paths.history),
      },
      extraAttributes: { error: { value: error } },
      run: this.node.path,
      decider: this.decider,
      lostPath,
    }, noteLoss);
    return notification.publish.next(failState);
  }

  /**
   * Publishes the result after `recordResult`. Returns the states the run ends in: the publish,
   * and the state a lost notification ends in, with the publish error at
   * `<resultPath>.notificationLost`.
   */
  private notifySuccess(recordResult: sfn.Pass, topic: sns.ITopic, resultPath: string): sfn.INextable[] {
    const lost = new sfn.Pass(this, 'Success notification lost');
    const notification = new Notification(this, 'success', {
      topic,
      status: 'SUCCEEDED',
      fields: { result: sfn.JsonPath.objectAt(resultPath) },
      run: this.node.path,
      decider: this.decider,
      lostPath: `${resultPath}.notificationLost`,
    }, lost);
    recordResult.next(notification.publish);
    return [notification.publish, lost];
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

/** Escapes a literal for a string argument of an intrinsic function. */
function escapeIntrinsicString(text: string): string {
  return text.replace(/[\\'{}]/g, (c) => `\\${c}`);
}
