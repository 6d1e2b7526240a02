import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { UnqualifiedLambdaInvoke } from '../../decider/unqualified-lambda-invoke';
import type { DeciderPolicy } from '../../decider/wire';
import { checkPolicySize } from '../../policy/render-retry-policy';
import { RetryErrors } from '../../policy/retry-defaults';
import { AdaptivePlacement } from '../../run-task/adaptive-placement';
import { renderContainerOverrides } from '../../run-task/container-overrides';
import { runAttempt } from '../../run-task/run-attempt';
import { userRunTaskInputs } from '../../run-task/user-run-task-inputs';
import { Notification } from '../../states/notifications';
import { StatePaths } from '../../states/state-paths';
import { EngineInput, EngineStates, INVALID_DECISION_CAUSE } from '../engine-states';
import { policyDiff } from './policy-diff';

/**
 * The states of the Lambda decision engine, in JSONPath: a failed attempt is caught, the stack's
 * shared decider classifies it, and a Choice retries after a Wait or fails with a `RetryErrors`
 * name. The working state lives in the state's input, under `resultPath`.
 */
export class LambdaEngineStates implements EngineStates {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  public readonly runTask: tasks.EcsRunTask;
  public readonly fallbackRunTask?: tasks.EcsRunTask;

  private readonly paths: StatePaths;

  /**
   * @param scope the fragment, which the states are defined in
   * @param input the run's validated props
   * @param decider the stack's shared decider
   */
  constructor(private readonly scope: Construct, private readonly input: EngineInput, private readonly decider: lambda.IFunction) {
    const { props, placement, resultPath } = input;
    const paths = new StatePaths(resultPath);
    this.paths = paths;

    const init = new sfn.Pass(scope, 'Start attempts', {
      comment: input.startComment,
      parameters: { attempt: 1, failures: { history: [] }, ...(placement.adaptive ? { placement: placement.firstPlacement() } : {}) },
      resultPath,
    });

    // The user's inputs as given, once checked for JSONata expressions that JSONPath would pass on as text.
    const userInputs = userRunTaskInputs(props, sfn.QueryLanguage.JSON_PATH);
    const attempt = runAttempt(scope, props, placement, input.primaryTarget, input.attemptTimeout, {
      cpu: userInputs.cpu,
      memoryMiB: userInputs.memoryMiB,
      ...placement.taskSizeOverrides(paths.placement),
      containerOverrides: renderContainerOverrides(scope, props.taskDefinition, userInputs.containerOverrides, input.attemptVariable,
        sfn.JsonPath.format('{}', sfn.JsonPath.stringAt(paths.attempt)), placement.containerMemoryOverrides(paths.placement)),
      resultSelector: input.taskResult._resultSelector(),
      resultPath: paths.task,
    }, {
      choice: (fallback, primary) => new sfn.Choice(scope, 'Choose launch target')
        .when(sfn.Condition.stringEquals(`${paths.placement}.capacity`, 'fallback'), fallback)
        .otherwise(primary),
    });
    this.runTask = attempt.runTask;
    this.fallbackRunTask = attempt.fallbackRunTask;

    const decide = this.decideRetry({ ...input.policy, ...placement.policy() }, placement);
    attempt.runTasks.forEach((run) => run.addCatch(decide, { errors: [sfn.Errors.ALL], resultPath: paths.error }));
    decide.next(this.retryOrFail(input.policy, placement, attempt.start, props.failureTopic));
    decide.addCatch(this.deciderFailed(props.failureTopic), { errors: [sfn.Errors.ALL], resultPath: paths.deciderError });

    const recordResult = new sfn.Pass(scope, 'Record result', {
      parameters: {
        'attempts.$': paths.attempt,
        'history.$': paths.history,
        'task.$': paths.task,
        ...(placement.adaptive ? { 'capacity.$': `${paths.placement}.capacity` } : {}),
        ...(placement.ladder ? { size: { 'cpu.$': `${paths.placement}.size.cpu`, 'memoryMiB.$': `${paths.placement}.size.memoryMiB` } } : {}),
      },
      resultPath,
    });
    init.next(attempt.start);
    attempt.runTasks.forEach((run) => run.next(recordResult));

    this.startState = init;
    this.endStates = props.successTopic ? this.notifySuccess(recordResult, props.successTopic) : [recordResult];
  }

  /**
   * Invokes the shared decider with this run's policy, as a diff from the defaults in the
   * decider's environment; its answer replaces the caught error. The state names the function
   * itself (`Resource` is its ARN, `Parameters` the payload), so the answer arrives as the decider
   * returned it, with no `Payload` wrapper to select from: the decider returns exactly the
   * fields the run reads (`Decision`).
   */
  private decideRetry(policy: DeciderPolicy, placement: AdaptivePlacement): sfn.TaskStateBase {
    const paths = this.paths;
    const sent = policyDiff(policy);
    checkPolicySize(sent);
    const decide = new UnqualifiedLambdaInvoke(this.scope, 'Decide retry', {
      lambdaFunction: this.decider,
      payload: sfn.TaskInput.fromObject({
        run: this.input.run,
        policy: sent,
        attempt: sfn.JsonPath.numberAt(paths.attempt),
        error: sfn.JsonPath.objectAt(paths.error),
        history: sfn.JsonPath.objectAt(paths.history),
        ...(placement.adaptive ? { placement: sfn.JsonPath.objectAt(paths.placement) } : {}),
      }),
      payloadResponseOnly: true,
      // The decider's answer replaces the caught error and the old history: the state carries one history, never two.
      resultPath: paths.failures,
      // In place of CDK's retrier of Lambda's service errors: one retrier, below, takes them and
      // throttling alike, which saves every run's definition a second one.
      retryOnServiceExceptions: false,
    });
    // A burst of failing executions can exceed the account's Lambda concurrency: the retries are
    // jittered, so that the executions do not all try again at once.
    decide.addRetry({
      errors: [...DECIDER_SERVICE_ERRORS, 'Lambda.TooManyRequestsException'],
      interval: Duration.seconds(2),
      maxAttempts: 6,
      // Step Functions' default backoff rate, 2, so the definition does not repeat it.
      jitterStrategy: sfn.JitterType.FULL,
    });
    return decide;
  }

  /**
   * A decider that still fails after its retries ends the run as an invalid decision, so that the
   * run keeps its own error names and still notifies.
   */
  private deciderFailed(failureTopic?: sns.ITopic): sfn.IChainable {
    const paths = this.paths;
    const explain = new sfn.Pass(this.scope, 'Explain decider failure', {
      parameters: {
        'history.$': paths.history,
        'cause.$': `States.Format('The retry decider failed with {}; the run stops rather than guess whether to retry.', ${paths.deciderError}.Error)`,
      },
      resultPath: paths.failures,
    });
    return explain.next(this.notifyThenFail('Decider failed', RetryErrors.INVALID_DECISION, { causePath: paths.cause }, failureTopic));
  }

  /**
   * Acts on the decision: back off and run again, or fail with a `RetryErrors` name. The state
   * machine counts attempts and bounds the wait itself, so termination never depends on the
   * decider being right.
   */
  private retryOrFail(policy: DeciderPolicy, placement: AdaptivePlacement, runAttemptStart: sfn.IChainable, failureTopic?: sns.ITopic): sfn.Choice {
    const paths = this.paths;
    const backOff = new sfn.Wait(this.scope, 'Back off', { time: sfn.WaitTime.secondsPath(paths.waitSeconds) });
    const nextAttempt = new sfn.Pass(this.scope, 'Next attempt', {
      parameters: {
        'attempt.$': `States.MathAdd(${paths.attempt}, 1)`,
        'failures': { 'history.$': paths.history },
        ...(placement.adaptive ? { 'placement.$': paths.next } : {}),
      },
      resultPath: paths.root,
    });
    const fail = (name: string, error: string, cause: { causePath?: string; cause?: string }) =>
      this.notifyThenFail(name, error, cause, failureTopic);

    return new sfn.Choice(this.scope, 'Retry or fail')
      .when(
        sfn.Condition.and(
          sfn.Condition.booleanEquals(paths.retry, true),
          sfn.Condition.numberLessThan(paths.attempt, policy.maxAttempts),
          sfn.Condition.isNumeric(paths.waitSeconds),
          sfn.Condition.numberGreaterThanEquals(paths.waitSeconds, 0),
          sfn.Condition.numberLessThanEquals(paths.waitSeconds, policy.maxDelaySeconds),
          ...placement.nextAttemptConditions(paths.next, paths.placement),
        ),
        backOff.next(nextAttempt).next(runAttemptStart),
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
          cause: INVALID_DECISION_CAUSE,
        }),
      );
  }

  /**
   * A Fail state, preceded by a notification when a failure topic is given. A notification that
   * is lost still ends in the same error, with the cause extended by a note that says so.
   */
  private notifyThenFail(name: string, error: string, cause: { causePath?: string; cause?: string }, topic?: sns.ITopic): sfn.IChainable {
    const paths = this.paths;
    const failState = new sfn.Fail(this.scope, name, { error, ...cause });
    if (!topic) {
      return failState;
    }
    const lostPath = `${paths.failures}.notificationLost`;
    const causeArgument = cause.causePath ?? `'${escapeIntrinsicString(cause.cause ?? '')}'`;
    const noteLoss = new sfn.Pass(this.scope, `${name}, notification lost`, {
      parameters: {
        'cause.$': `States.Format('{} [failure notification lost: {}]', ${causeArgument}, ${lostPath}.Error)`,
      },
      resultPath: paths.lostNotificationCause,
    });
    noteLoss.next(new sfn.Fail(this.scope, `${name} (notification lost)`, { error, causePath: `${paths.lostNotificationCause}.cause` }));

    const notification = new Notification(this.scope, name.toLowerCase(), {
      topic,
      status: 'FAILED',
      fields: {
        error,
        cause: cause.causePath ? sfn.JsonPath.stringAt(cause.causePath) : cause.cause,
        attempts: sfn.JsonPath.numberAt(paths.attempt),
        history: sfn.JsonPath.objectAt(paths.history),
      },
      extraAttributes: { error: { value: error } },
      run: this.input.run,
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
  private notifySuccess(recordResult: sfn.Pass, topic: sns.ITopic): sfn.INextable[] {
    const resultPath = this.input.resultPath;
    const lost = new sfn.Pass(this.scope, 'Success notification lost');
    const notification = new Notification(this.scope, 'success', {
      topic,
      status: 'SUCCEEDED',
      fields: { result: sfn.JsonPath.objectAt(resultPath) },
      run: this.input.run,
      decider: this.decider,
      lostPath: `${resultPath}.notificationLost`,
    }, lost);
    recordResult.next(notification.publish);
    return [notification.publish, lost];
  }
}

/** The errors that `LambdaInvoke` retries by default (`retryOnServiceExceptions`). */
const DECIDER_SERVICE_ERRORS = ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'];

/** Escapes a literal for a string argument of an intrinsic function. */
function escapeIntrinsicString(text: string): string {
  return text.replace(/[\\'{}]/g, (c) => `\\${c}`);
}
