import { Duration, Lazy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ensureRetriesByRuleFilter, retriesByRuleSearch } from './dashboards/retries-by-rule';
import { RunDashboardOptions } from './dashboards/run-dashboard-options';
import { ResolvedDashboardOptions, resolveDashboardOptions, RunGraph, runWidgets } from './dashboards/run-widgets';
import { DECISION_METRICS, METRIC_NAMESPACE, RetryDecider } from './decider/shared-decider';
import { DecisionEngine } from './engines/decision-engine';
import { EngineInput, EngineStates } from './engines/engine-states';
import { LambdaEngineStates } from './engines/lambda/lambda-states';
import { engineVariables } from './engines/state-machine/engine-variables';
import { JsonataEngineStates } from './engines/state-machine/jsonata-states';
import { checkJsonataSupport } from './engines/state-machine/jsonata-support';
import { RunLogMetrics, RunMetricName, runMetricNamespace, RunOutcomeName } from './engines/state-machine/log-metrics';
import { checkPolicySize, renderRetryPolicy, wholeSeconds } from './policy/render-retry-policy';
import { RetryDefaults } from './policy/retry-defaults';
import { warnAboutRiskyPolicy, warnAboutSlowDecision } from './policy/risky-policy-warnings';
import { policyToken, rejectPolicyTokens } from './policy/synth-time-policy';
import { RetryableEcsRunTaskOptions } from './retryable-ecs-run-task-options';
import { AdaptivePlacement } from './run-task/adaptive-placement';
import { checkLaunchTargets, warnAboutMissingCapacityProviders } from './run-task/launch-target-checks';
import { checkRunTaskOptions } from './run-task/run-task-options';
import { checkDefaultSubnets } from './run-task/subnets';
import { TaskResult } from './run-task/task-result';
import { RunSimulation, simulateRun } from './simulate/simulate-run';
import { SimulatedRun } from './simulate/simulated-run';
import { literalTaskSize } from './sizing/size-ladder';
import { rejectExpressWorkflows } from './states/composition-checks';
import { chooseStatePrefix, overlongStateNamesError, startComment as runStartComment, stateNameLength } from './states/state-names';

/** Properties of a `RetryableEcsRunTaskFragment`. */
export interface RetryableEcsRunTaskFragmentProps extends RetryableEcsRunTaskOptions {
  /**
   * Prefix of every state name in the fragment, so that several fragments can share one
   * workflow. An empty string uses the plain state names.
   *
   * Step Functions rejects a state name longer than 80 characters when the state machine is
   * created. The default prefix, the construct id followed by ': ', is kept whenever the run's
   * longest state name still fits; otherwise it is shortened to the start of the id, '…' and a
   * hash of the fragment's construct path (`Nightly report for all regions and ac…1a2b3c: `), so
   * that the names stay within 80 characters, unique, and the same on every synth. A prefix given
   * here is used as it is: one that makes a state name longer than 80 characters is an error at
   * synth, which says how long it may be. The longest state names, with a `failureTopic`, have 42
   * characters with `DecisionEngine.LAMBDA_FUNCTION` and 38 with `DecisionEngine.STATE_MACHINE`.
   *
   * @default - the construct id followed by ': ', shortened when a state name would exceed 80 characters
   */
  readonly stateNamePrefix?: string;

  /**
   * The log group your state machine logs to at level ALL (`logs: { destination, level:
   * LogLevel.ALL }`), for the metrics of the `DecisionEngine.STATE_MACHINE` engine: metric
   * filters on it count this run's retries, failures and lost notifications from the state
   * machine's own log events, in a namespace of the run's own. Execution data may stay out of
   * the log (`includeExecutionData: false`): the filters read only event types and state names.
   * The Lambda engine counts from its decider's log: this prop is an error there.
   *
   * @default - no metric filters; the `metric*()` methods of a `STATE_MACHINE` run throw
   */
  readonly stateMachineLogGroup?: logs.ILogGroup;
}

const RESULT_PATH_PATTERN = /^\$(\.[A-Za-z_][A-Za-z0-9_]*)+$/;
const ENVIRONMENT_VARIABLE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A retrying ECS task run as a piece of a larger workflow, for example inside a Map state.
 *
 * It runs the task; on failure its decision engine (`decisionEngine`) classifies the error, and
 * the fragment waits and runs it again or fails with a `RetryErrors` name. On success the state carries, at
 * `resultPath`, `{ attempts, history, task }`: the number of attempts, the failed attempts, and
 * the final task description.
 */
export class RetryableEcsRunTaskFragment extends sfn.StateMachineFragment {
  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];

  /**
   * The stack's shared retry decider that this fragment invokes. Undefined with
   * `DecisionEngine.STATE_MACHINE`, which creates no decider.
   */
  public readonly decider?: lambda.IFunction;

  /**
   * The ECS task state, for metrics or extra error handling. With `DecisionEngine.STATE_MACHINE`
   * it runs the attempts on `fallbackLaunchTarget` too.
   */
  public readonly runTask: tasks.EcsRunTask;

  /**
   * The ECS task state on `fallbackLaunchTarget`, when one is given, with
   * `DecisionEngine.LAMBDA_FUNCTION`. With `DecisionEngine.STATE_MACHINE`, `runTask` runs every
   * attempt, on either launch target (its `Arguments` choose), and this is undefined.
   */
  public readonly fallbackRunTask?: tasks.EcsRunTask;

  /**
   * The log group of the stack's shared decider: one structured JSON line per decision.
   * Undefined with `DecisionEngine.STATE_MACHINE`, which creates no decider.
   */
  public readonly deciderLogGroup?: logs.ILogGroup;

  /** The engine that decides on the retries: `DecisionEngine.LAMBDA_FUNCTION` or `DecisionEngine.STATE_MACHINE`. */
  public readonly decisionEngine: DecisionEngine;

  /** The `STATE_MACHINE` engine's metrics, counted from the state machine's log, when it has one. */
  private readonly logMetrics?: RunLogMetrics;

  /** Whether the run notifies a topic, so that a notification can be lost. */
  private readonly notifies: boolean;

  /** What `simulate()` decides with: the policy, the engine, the sizes. */
  private readonly simulation: RunSimulation;

  /**
   * @param scope the construct to define the fragment's states in
   * @param id the fragment's id, which also prefixes its state names unless `stateNamePrefix` is set (shortened when it is too long for them)
   * @param props what to run and how to retry it
   */
  constructor(scope: Construct, id: string, props: RetryableEcsRunTaskFragmentProps) {
    super(scope, id);

    if (props.decisionEngine === DecisionEngine.STATE_MACHINE) {
      rejectPolicyTokens(props);
    }
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
    checkLaunchTargets(props);

    this.decisionEngine = checkDecisionEngine(props.decisionEngine);
    const stateMachineEngine = this.decisionEngine === DecisionEngine.STATE_MACHINE;
    // A prop that only the other engine reads is an error, never silently ignored.
    if (stateMachineEngine && props.deciderLogRetention !== undefined) {
      throw new Error(
        `\`deciderLogRetention\` sets how long the Lambda decider keeps its logs, but \`decisionEngine\` is DecisionEngine.STATE_MACHINE, which has no decider, got: ${props.deciderLogRetention} days. `
        + 'Remove it, or set the retention of the state machine\'s log group.',
      );
    }
    if (!stateMachineEngine && props.stateMachineLogGroup !== undefined) {
      throw new Error(
        `\`stateMachineLogGroup\` feeds the metrics of \`decisionEngine: DecisionEngine.STATE_MACHINE\`, but this run uses DecisionEngine.LAMBDA_FUNCTION, whose metrics come from its decider's log, got: ${props.stateMachineLogGroup.node.path}. `
        + 'Remove it, or set `decisionEngine: DecisionEngine.STATE_MACHINE`.',
      );
    }
    if (stateMachineEngine) {
      checkJsonataSupport();
    } else {
      const decider = RetryDecider.of(this, props.deciderLogRetention);
      this.decider = decider.function;
      this.deciderLogGroup = decider.logGroup;
    }

    let startComment: string | undefined;
    const primaryTarget = props.launchTarget ?? new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.LATEST });
    const placement = new AdaptivePlacement(this, props, primaryTarget);
    checkPolicySize({ ...policy, ...placement.policy() });
    if (stateMachineEngine) {
      warnAboutSlowDecision(this, { ...policy, ...placement.policy() });
    }
    warnAboutMissingCapacityProviders(this, props, primaryTarget);
    this.simulation = {
      path: this.node.path,
      engine: this.decisionEngine,
      policy: { ...policy, ...placement.policy() },
      token: policyToken(props),
      fixedSize: placement.ladder ? {} : literalTaskSize(props.taskDefinition, props),
    };
    const input: EngineInput = {
      props,
      policy,
      placement,
      primaryTarget,
      resultPath,
      attemptVariable,
      attemptTimeout,
      taskResult: props.taskResult ?? TaskResult.SUMMARY,
      run: this.node.path,
      // Known once the states exist: the run's path, for a STATE_MACHINE run or one whose prefix is shortened.
      startComment: Lazy.string({ produce: () => startComment }),
    };
    const states: EngineStates = this.decider
      ? new LambdaEngineStates(this, input, this.decider)
      : new JsonataEngineStates(this, input, engineVariables(this));
    this.runTask = states.runTask;
    this.fallbackRunTask = states.fallbackRunTask;
    this.startState = states.startState;
    this.endStates = states.endStates;
    rejectExpressWorkflows(this, () => this.runTask.stateId);

    // Prefixed from the run's actual states, so that its longest name decides how long the prefix may be.
    const ownStates = this.node.findAll().filter((c): c is sfn.State => c instanceof sfn.State);
    const longestName = ownStates.map((s) => s.stateId).reduce((a, b) => (stateNameLength(b) > stateNameLength(a) ? b : a));
    const { prefix, shortened } = chooseStatePrefix({ id, path: this.node.path, stateNamePrefix: props.stateNamePrefix, longestName });
    if (prefix !== '') {
      this.prefixStates(prefix);
    }
    if (shortened || stateMachineEngine) {
      startComment = runStartComment(this.node.path, shortened);
    }
    // A prefix added later (prefixStates() of this fragment or of one around it) could still make a name too long.
    this.node.addValidation({
      validate: () => {
        const error = overlongStateNamesError(ownStates.map((s) => s.stateId), prefix);
        return error ? [error] : [];
      },
    });

    this.notifies = props.successTopic !== undefined || props.failureTopic !== undefined;
    // After prefixing: the metric filters match the states' final names.
    if (states instanceof JsonataEngineStates && props.stateMachineLogGroup) {
      this.logMetrics = new RunLogMetrics(this, 'Metrics', {
        logGroup: props.stateMachineLogGroup, namespace: runMetricNamespace(this.node.path), counted: states.counted,
      });
    }
  }

  /**
   * Predicts, offline, what this run does when its attempts fail with `failures`: attempt n fails
   * with `failures[n-1]`, and the attempt after the last failure succeeds. For unit tests of the
   * retry policy, in any language: nothing is deployed and no AWS call is made.
   *
   * It decides with the code the run decides with: the decider's `decideRetry`, on the policy as
   * the state machine carries it (with `DecisionEngine.LAMBDA_FUNCTION`, the diff that `Decide
   * retry` sends, merged over the defaults the decider function has). So it answers what the
   * deployed run would, on either engine: the `DecisionEngine.STATE_MACHINE` engine's JSONata is
   * generated from the same policy, and the library's differential tests hold it to
   * `decideRetry`'s answers. A wait with full jitter is drawn when the run retries: each retry
   * gives the range. `explain --template --failure` decides the same way.
   *
   * Throws when a failure is not the JSON text of an object with an `Error`, naming its index,
   * and when a prop of the retry policy is a token (possible with
   * `DecisionEngine.LAMBDA_FUNCTION`), naming the prop.
   *
   * @param failures each the JSON text of a failure as the run's Catch receives it, `{"Error": ..., "Cause": ...}`, as copied from an execution's history; a whole `TaskFailed` event, or its `taskFailedEventDetails`, is accepted too
   */
  public simulate(failures: string[]): SimulatedRun {
    return simulateRun(this.simulation, failures);
  }

  /**
   * Retries this run scheduled: attempts that failed in a retryable way with attempts left.
   *
   * With `DecisionEngine.LAMBDA_FUNCTION`, counted from the decider's log in the namespace
   * `RetryableEcsRunTask`, with dimension `Run` (the run's construct path). With
   * `DecisionEngine.STATE_MACHINE`, counted from the state machine's log (`stateMachineLogGroup`)
   * in the namespace `RetryableEcsRunTask/<the run's construct path>`, without a dimension; the
   * other metrics are counted the same way.
   *
   * @default - sum over 5 minutes
   */
  public metricRetries(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.decisionMetric('RETRY', props, 'metricRetries');
  }

  /**
   * Runs that failed with `RetryableEcsRunTask.AttemptsExhausted`: retryable failures with no
   * attempt left. Alarm on this to learn that transient failures outlast the policy.
   *
   * @default - sum over 5 minutes
   */
  public metricRetriesExhausted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.decisionMetric('EXHAUSTED', props, 'metricRetriesExhausted');
  }

  /**
   * Runs that failed with `RetryableEcsRunTask.NotRetryable`: failures the policy does not retry,
   * typically the job's own errors.
   *
   * @default - sum over 5 minutes
   */
  public metricNotRetryable(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.decisionMetric('NOT_RETRYABLE', props, 'metricNotRetryable');
  }

  /**
   * Notifications of this run that could not be published, after their retries. The run's result
   * is unaffected; alarm on this to learn that subscribers missed a result.
   *
   * @default - sum over 5 minutes
   */
  public metricNotificationsLost(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.decisionMetric('NOTIFICATION_LOST', props, 'metricNotificationsLost');
  }

  /**
   * CloudWatch widgets of this run's metrics, for a dashboard: `new cloudwatch.Dashboard(scope,
   * id, { widgets: [run.dashboardWidgets()] })` puts them in one row. Asking for them creates the
   * metric filters their metrics need, and no others. Each widget is a graph, in this order:
   *
   * - With `DecisionEngine.STATE_MACHINE`, the runs started and failed (with a `RetryErrors`
   *   name), counted from `stateMachineLogGroup`, and succeeded only with a `successTopic`: a run
   *   enters `Notify success` only when it succeeded, while nothing else in a log without
   *   execution data tells a success from a caught failure. With `DecisionEngine.LAMBDA_FUNCTION`
   *   there is no run count: the decider hears of failures only. Your workflow's own metrics
   *   (`stateMachine.metricStarted()` ...) count its executions.
   * - The retries: with `DecisionEngine.LAMBDA_FUNCTION`, one line per rule that decided them
   *   (a metric filter on the decider's log, one per stack, with the dimensions `Run` and `Rule`,
   *   read by a SEARCH expression), and their total; with `DecisionEngine.STATE_MACHINE`, their
   *   total only, as the log does not name the rule.
   * - The runs that failed with `RetryErrors.ATTEMPTS_EXHAUSTED` and with `RetryErrors.NOT_RETRYABLE`.
   * - The notifications lost, only when the run has a `successTopic` or a `failureTopic`.
   *
   * With `DecisionEngine.STATE_MACHINE` this needs `stateMachineLogGroup`, as the `metric*()`
   * methods do.
   *
   * @param options the period, the size of the widgets and the start of their titles
   */
  public dashboardWidgets(options?: RunDashboardOptions): cloudwatch.IWidget[] {
    if (this.decisionEngine === DecisionEngine.STATE_MACHINE && this.logMetrics === undefined) {
      throw new Error(
        `\`dashboardWidgets()\` of ${this.node.path} needs \`stateMachineLogGroup\`: with \`decisionEngine: DecisionEngine.STATE_MACHINE\` the widgets' metrics `
        + 'are counted from the state machine\'s own log. Pass the log group your state machine logs to at level ALL as `stateMachineLogGroup`.',
      );
    }
    const resolved = resolveDashboardOptions(options, this.node.path);
    return this._dashboardWidgets(resolved, this.decisionEngine === DecisionEngine.STATE_MACHINE ? this.runCounts(resolved.period) : undefined);
  }

  /**
   * The widgets of `dashboardWidgets()`, with the runs counted by `runs`: a standalone run counts
   * its state machine's executions.
   *
   * @internal
   */
  public _dashboardWidgets(options: ResolvedDashboardOptions, runs: RunGraph | undefined): cloudwatch.IWidget[] {
    const period = options.period;
    return runWidgets(options, [
      runs,
      this.retriesGraph(period),
      {
        title: 'retries exhausted and not retryable',
        metrics: [
          this.metricRetriesExhausted({ period, label: 'Attempts exhausted' }),
          this.metricNotRetryable({ period, label: 'Not retryable' }),
        ],
      },
      this.notifies ? { title: 'notifications lost', metrics: [this.metricNotificationsLost({ period, label: 'Notifications lost' })] } : undefined,
    ]);
  }

  /** The retries: by rule and in total with the Lambda engine, in total with the other. */
  private retriesGraph(period: Duration): RunGraph {
    const total = this.metricRetries({ period, label: 'All rules' });
    if (this.decisionEngine === DecisionEngine.STATE_MACHINE) {
      return { title: 'retries, all rules (by rule: Lambda engine, or execution data)', metrics: [total] };
    }
    const search = retriesByRuleSearch(this.node.path, period.toSeconds());
    if (search === undefined) {
      return { title: 'retries, all rules (the construct path is too long to search by rule)', metrics: [total] };
    }
    ensureRetriesByRuleFilter(RetryDecider.of(this));
    // One series per rule, labelled with its rule.
    const byRule = new cloudwatch.MathExpression({ expression: search, usingMetrics: {}, label: "${PROP('Dim.Rule')}", period });
    return { title: 'retries by rule', metrics: [byRule, total] };
  }

  /** A `STATE_MACHINE` fragment's runs, counted from its state machine's log: only what the log tells exactly. */
  private runCounts(period: Duration): RunGraph {
    const logMetrics = this.logMetrics!;
    const count = (metricName: RunOutcomeName, label: string) => logMetrics.metric(metricName, { period, label });
    if (!logMetrics.counts('RunsSucceeded')) {
      return { title: 'runs started and failed (succeeded: with a successTopic)', metrics: [count('RunsStarted', 'Started'), count('RunsFailed', 'Failed')] };
    }
    return {
      title: 'runs started, succeeded and failed',
      metrics: [count('RunsStarted', 'Started'), count('RunsSucceeded', 'Succeeded'), count('RunsFailed', 'Failed')],
    };
  }

  private decisionMetric(decision: string, props: cloudwatch.MetricOptions | undefined, method: string): cloudwatch.Metric {
    const metricName = DECISION_METRICS[decision] as RunMetricName;
    if (this.decisionEngine === DecisionEngine.STATE_MACHINE) {
      if (this.logMetrics === undefined) {
        throw new Error(
          `\`${method}()\` of ${this.node.path} needs \`stateMachineLogGroup\`: with \`decisionEngine: DecisionEngine.STATE_MACHINE\` there is no decider log, `
          + 'and the metrics are counted from the state machine\'s own log. Pass the log group your state machine logs to at level ALL as `stateMachineLogGroup`.',
        );
      }
      return this.logMetrics.metric(metricName, props);
    }
    return new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { Run: this.node.path },
      statistic: cloudwatch.Stats.SUM,
      ...props,
    });
  }
}

function checkDecisionEngine(engine: DecisionEngine | undefined): DecisionEngine {
  if (engine !== undefined && engine !== DecisionEngine.LAMBDA_FUNCTION && engine !== DecisionEngine.STATE_MACHINE) {
    throw new Error(`\`decisionEngine\` must be DecisionEngine.LAMBDA_FUNCTION or DecisionEngine.STATE_MACHINE, got: ${JSON.stringify(engine)}.`);
  }
  return engine ?? DecisionEngine.LAMBDA_FUNCTION;
}
