import { Lazy, Tokenization } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { EngineVariables, policyDocument, renderDecisionExpression } from './decision-expression';
import { allOf, embed, field, pathFields, setAt, stringLiteral } from './jsonata-expressions';
import { CountedStates } from './log-metrics';
import { LaunchTargetParameters, TargetChoosingEcsRunTask } from './target-choosing-run-task';
import type { DeciderPolicy } from '../../decider/wire';
import { RetryErrors } from '../../policy/retry-defaults';
import { renderContainerOverrides } from '../../run-task/container-overrides';
import { runAttempt } from '../../run-task/run-attempt';
import { userRunTaskInputs } from '../../run-task/user-run-task-inputs';
import { fifoOptions, PUBLISH_RETRY, TopicPublish } from '../../states/notifications';
import { EngineInput, EngineStates, INVALID_DECISION_CAUSE } from '../engine-states';

/** Where a failure notification's cause comes from: the decision, or a fixed text. */
type FailureCause = { readonly fromDecision: true } | { readonly text: string };

/**
 * The states of the state machine decision engine: no Lambda function. Every state is a JSONata
 * state, so the graph runs inside a JSONPath workflow too. The attempt, the history and the
 * placement live in the run's own variables; the decision on a failure travels in the state, at
 * `<resultPath>.failures`, where the Lambda engine keeps it too, so that an execution's history
 * shows it as the input of `Retry or fail`:
 *
 * - `Start attempts` (Pass) sets the attempt to 1, the history to `[]`, the first placement, the
 *   policy's lists and, with a fallback launch target, what each launch target adds to a request;
 * - `Run task` runs an attempt, on either launch target (`TargetChoosingEcsRunTask`); its Output
 *   is the input with the result at `resultPath`, its Catch's Output is the input with the
 *   decision at `<resultPath>.failures`, evaluated by the expression `renderDecisionExpression`
 *   renders;
 * - `Retry or fail` (Choice) checks the decision against the run's own counter and bounds, and
 *   either moves to the next attempt and `Back off` (Wait), which runs the task again, or fails
 *   with a `RetryErrors` name, after a failure notification when there is a topic.
 *
 * A Choice cannot catch `States.QueryEvaluationError`, so every expression is written so that it
 * cannot fail to evaluate whatever the decision holds: each comparison follows the type check
 * that guards it, and anything malformed ends in `RetryableEcsRunTask.InvalidDecision`.
 */
export class JsonataEngineStates implements EngineStates {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  public readonly runTask: tasks.EcsRunTask;
  public readonly fallbackRunTask?: tasks.EcsRunTask;
  /** The states whose log events the run's metrics count. */
  public readonly counted: CountedStates;

  private readonly attempt: string;
  private readonly history: string;
  private readonly placement: string;
  /** Where the decision is, as a JSONata path into the state's input. */
  private readonly decision: string;
  private readonly failuresFields: string[];
  private readonly notificationsLost: sfn.State[] = [];

  /**
   * @param scope the fragment, which the states are defined in
   * @param input the run's validated props
   * @param variables the names of the run's own variables
   */
  constructor(private readonly scope: Construct, private readonly input: EngineInput, private readonly variables: EngineVariables) {
    const { props, placement, resultPath } = input;
    this.attempt = `$${variables.attempt}`;
    this.history = `$${variables.history}`;
    this.placement = `$${variables.placement}`;
    this.failuresFields = [...pathFields(resultPath), 'failures'];
    this.decision = this.failuresFields.reduce((object, name) => field(object, name), '$states.input');

    const fullPolicy: DeciderPolicy = { ...input.policy, ...placement.policy() };
    let launchTargets: LaunchTargetParameters | undefined;
    const init = sfn.Pass.jsonata(scope, 'Start attempts', {
      comment: input.startComment,
      assign: {
        [variables.attempt]: 1,
        [variables.history]: [],
        ...(placement.adaptive ? { [variables.placement]: placement.firstPlacement() } : {}),
        // The policy, as data: the decision reads its lists and waits; its numbers are in the expression too.
        [variables.policy]: policyDocument(fullPolicy),
        // Known once the ECS task state exists, with a fallback launch target only.
        ...(placement.fallbackTarget ? { [variables.launchTargets]: Lazy.any({ produce: () => launchTargets }) } : {}),
      },
    });

    // The user's inputs with their JsonPath tokens read as JSONata, where CDK would pass the paths on as text.
    const userInputs = userRunTaskInputs(props, sfn.QueryLanguage.JSONATA);
    const attempt = runAttempt(scope, props, placement, input.primaryTarget, input.attemptTimeout, {
      queryLanguage: sfn.QueryLanguage.JSONATA,
      cpu: userInputs.cpu,
      memoryMiB: userInputs.memoryMiB,
      ...placement.taskSizeOverridesJsonata(this.placement),
      containerOverrides: renderContainerOverrides(scope, props.taskDefinition, userInputs.containerOverrides, input.attemptVariable,
        embed(`$string(${this.attempt})`), placement.containerMemoryOverridesJsonata(this.placement)),
      outputs: embed(setAt('$states.input', pathFields(resultPath), this.result())),
    }, {
      // One state for both launch targets: its Arguments choose, so the run needs no Choice and no second Catch.
      oneState: (id, runTaskProps, fallbackTarget) => {
        const runTask = new TargetChoosingEcsRunTask(scope, id, {
          ...runTaskProps, fallbackTarget, onFallback: `${this.placement}.capacity = 'fallback'`, launchTargetsVariable: `$${variables.launchTargets}`,
        });
        launchTargets = runTask.launchTargets;
        return runTask;
      },
    });
    this.runTask = attempt.runTask;
    this.fallbackRunTask = attempt.fallbackRunTask;

    const retryOrFail = this.retryOrFail(fullPolicy, attempt.start);
    attempt.runTasks.forEach((run) => run.addCatch(retryOrFail.choice, {
      errors: [sfn.Errors.ALL],
      outputs: embed(setAt('$states.input', this.failuresFields, renderDecisionExpression(fullPolicy, variables))),
    }));
    init.next(attempt.start);

    this.startState = init;
    const success = props.successTopic ? this.notifySuccess(attempt.runTasks, props.successTopic) : undefined;
    this.endStates = success?.endStates ?? attempt.runTasks;
    this.counted = {
      Retries: { eventType: 'WaitStateEntered', states: [retryOrFail.backOff] },
      AttemptsExhausted: { eventType: 'FailStateEntered', states: retryOrFail.attemptsExhausted },
      NotRetryable: { eventType: 'FailStateEntered', states: retryOrFail.notRetryable },
      NotificationsLost: { eventType: 'PassStateEntered', states: this.notificationsLost },
      RunsStarted: { eventType: 'PassStateEntered', states: [init] },
      RunsSucceeded: { eventType: 'TaskStateEntered', states: success ? [success.publish] : [] },
      RunsFailed: { eventType: 'FailStateEntered', states: retryOrFail.fails },
    };
  }

  /** What the run adds at `resultPath` on success, as the Lambda engine's `Record result` does. */
  private result(): string {
    const { placement, taskResult } = this.input;
    const entries = [
      `'attempts': ${this.attempt}`,
      `'history': ${this.history}`,
      `'task': ${taskResult._jsonataExpression()}`,
      ...(placement.adaptive ? [`'capacity': ${this.placement}.capacity`] : []),
      ...(placement.ladder ? [`'size': {'cpu': ${this.placement}.size.cpu, 'memoryMiB': ${this.placement}.size.memoryMiB}`] : []),
    ];
    return `{${entries.join(', ')}}`;
  }

  /** The decision's history when it has one, else the history so far: never undefined. */
  private newHistory(): string {
    const d = this.decision;
    return `($type(${d}.history) = 'array' ? ${d}.history : ${this.history})`;
  }

  /**
   * Acts on the decision: back off and run again, or fail with a `RetryErrors` name. The state
   * machine counts attempts and bounds the wait itself, so termination never depends on the
   * decision being right.
   */
  private retryOrFail(policy: DeciderPolicy, runAttemptStart: sfn.IChainable) {
    const { placement, props } = this.input;
    // Each condition names the decision once, as `$d` in a block of its own.
    const d = '$d';
    const condition = (conjuncts: string[]) => sfn.Condition.jsonata(embed(`(${d} := ${this.decision}; ${allOf(conjuncts)})`));
    const maxAttempts = Tokenization.stringifyNumber(policy.maxAttempts);
    const isNumber = (expression: string) => `$type(${expression}) = 'number'`;
    // JSONata maps a path over an array, so an array would pass for the object it holds.
    const isDecision = `$type(${d}) = 'object'`;
    const hasCause = `$type(${d}.cause) = 'string'`;

    const backOff = sfn.Wait.jsonata(this.scope, 'Back off', { time: sfn.WaitTime.seconds(embed(`${this.decision}.waitSeconds`)) });
    backOff.next(runAttemptStart);
    const attemptsExhausted = this.notifyThenFail('Attempts exhausted', RetryErrors.ATTEMPTS_EXHAUSTED, { fromDecision: true }, props.failureTopic);
    const notRetryable = this.notifyThenFail('Not retryable', RetryErrors.NOT_RETRYABLE, { fromDecision: true }, props.failureTopic);
    const invalid = this.notifyThenFail('Invalid decision', RetryErrors.INVALID_DECISION, { text: INVALID_DECISION_CAUSE }, props.failureTopic);

    const choice = sfn.Choice.jsonata(this.scope, 'Retry or fail')
      .when(
        condition([
          isDecision,
          `${d}.retry = true`,
          `${this.attempt} < ${maxAttempts}`,
          isNumber(`${d}.waitSeconds`),
          `${d}.waitSeconds >= 0`,
          `${d}.waitSeconds <= ${Tokenization.stringifyNumber(policy.maxDelaySeconds)}`,
          // A Wait state takes whole seconds only.
          `${d}.waitSeconds = $floor(${d}.waitSeconds)`,
          `$type(${d}.history) = 'array'`,
          ...placement.nextAttemptJsonata(`${d}.next`, this.placement),
        ]),
        backOff,
        {
          assign: {
            [this.variables.attempt]: embed(`${this.attempt} + 1`),
            [this.variables.history]: embed(`${this.decision}.history`),
            ...(placement.adaptive ? { [this.variables.placement]: embed(`${this.decision}.next`) } : {}),
          },
        },
      )
      .when(condition([isDecision, `${d}.retryable = true`, `${this.attempt} >= ${maxAttempts}`, hasCause]), attemptsExhausted.start)
      .when(condition([isDecision, `${d}.retryable = false`, hasCause]), notRetryable.start)
      .otherwise(invalid.start);
    return {
      choice,
      backOff,
      attemptsExhausted: attemptsExhausted.fails,
      notRetryable: notRetryable.fails,
      fails: [...attemptsExhausted.fails, ...notRetryable.fails, ...invalid.fails],
    };
  }

  /**
   * A Fail state, preceded by a notification when a failure topic is given. A notification that
   * is lost still ends in the same error, with the cause extended by a note that says so.
   */
  private notifyThenFail(name: string, error: string, cause: FailureCause, topic?: sns.ITopic): { start: sfn.IChainable; fails: sfn.State[] } {
    const causeExpression = 'text' in cause ? stringLiteral(cause.text) : `${this.decision}.cause`;
    const failState = sfn.Fail.jsonata(this.scope, name, { error, cause: 'text' in cause ? cause.text : embed(causeExpression) });
    if (!topic) {
      return { start: failState, fails: [failState] };
    }
    const lostFail = sfn.Fail.jsonata(this.scope, `${name} (notification lost)`, {
      error,
      cause: embed(`${causeExpression} & ' [failure notification lost: ' & $string(${this.decision}.notificationLost.Error) & ']'`),
    });
    const noteLoss = sfn.Pass.jsonata(this.scope, `${name}, notification lost`);
    noteLoss.next(lostFail);
    this.notificationsLost.push(noteLoss);

    const publish = this.publish(name.toLowerCase(), topic, 'FAILED', {
      error,
      cause: 'text' in cause ? cause.text : embed(causeExpression),
      attempts: embed(this.attempt),
      history: embed(this.newHistory()),
    }, { error: { value: error } });
    publish.addCatch(noteLoss, {
      errors: [sfn.Errors.ALL],
      outputs: embed(setAt('$states.input', [...this.failuresFields, 'notificationLost'], '$states.errorOutput')),
    });
    return { start: publish.next(failState), fails: [failState, lostFail] };
  }

  /**
   * Publishes the result after a successful attempt. Returns the publish, which a run enters only
   * when it succeeded, and the states the run ends in: the publish, and the state a lost
   * notification ends in, with the publish error at `<resultPath>.notificationLost`.
   */
  private notifySuccess(runTasks: tasks.EcsRunTask[], topic: sns.ITopic): { publish: sfn.State; endStates: sfn.INextable[] } {
    const resultFields = pathFields(this.input.resultPath);
    const result = resultFields.reduce((object, name) => field(object, name), '$states.input');
    const publish = this.publish('success', topic, 'SUCCEEDED', { result: embed(result) });
    const lost = sfn.Pass.jsonata(this.scope, 'Success notification lost');
    this.notificationsLost.push(lost);
    publish.addCatch(lost, {
      errors: [sfn.Errors.ALL],
      outputs: embed(setAt('$states.input', [...resultFields, 'notificationLost'], '$states.errorOutput')),
    });
    runTasks.forEach((run) => run.next(publish));
    return { publish, endStates: [publish, lost] };
  }

  /**
   * The SNS publish of a notification: the message and attributes of the Lambda engine's, the
   * same retries, and the state's input as its output. A lost notification is caught by the
   * caller; the metric counts the Pass state it goes to.
   */
  private publish(
    name: string, topic: sns.ITopic, status: string, fields: { [key: string]: unknown }, extraAttributes?: { [key: string]: tasks.MessageAttribute },
  ): tasks.SnsPublish {
    const publish = new TopicPublish(this.scope, `Notify ${name}`, {
      queryLanguage: sfn.QueryLanguage.JSONATA,
      topic,
      message: sfn.TaskInput.fromObject({ status, execution: embed('$states.context.Execution.Id'), ...fields }),
      messageAttributes: { status: { value: status }, ...extraAttributes },
      outputs: embed('$states.input'),
      ...fifoOptions(topic, this.input.run, embed('$uuid()')),
    });
    publish.addRetry(PUBLISH_RETRY);
    return publish;
  }
}
