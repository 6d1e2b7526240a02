import { ExpectedResult, IApiCall, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicies, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { DecisionEngine, RetryableEcsRunTask, RetryDefaults, RetryErrors, TaskStopCode } from '../../src';

/*
 * The integration tests of test/integ.retryable-ecs-run-task.ts (the Lambda engine) and
 * test/integ.state-machine-engine.ts (DecisionEngine.STATE_MACHINE), built here so that Jest can
 * synthesize them in-process (test/construct/integ-assertions.test.ts,
 * test/execution/integ-state-machine-engine.test.ts) and integ-runner does not take this file for
 * a test case of its own (it only runs files named `integ.*.ts`).
 *
 * One cheap stack per engine: a VPC with public subnets only (no NAT gateway), a Fargate task that
 * pulls a public busybox image and exits with a code chosen by the execution input, and one
 * RetryableEcsRunTask. Its first attempt runs on Fargate Spot (a capacity provider strategy) and
 * every retry on Fargate (a launch type), the fallback launch target: the fallback rules move a run
 * there after any exited container too, so that each deploy sends RunTask both request shapes, and
 * shows the STATE_MACHINE engine's one ECS task state choosing between them in its Arguments. The
 * assertion stack starts three executions of it and waits for each to
 * end the way the retry policy says it must: the same result, history, error and cause on both
 * engines. With the state machine engine, it then counts the log events that the run's metric
 * filters match in the state machine's log.
 */

/** The execution input field, passed to the container as `MODE`, that selects a case. */
export type RetryCase = 'recover' | 'not-retryable' | 'exhaust';

/** Every case, in the order the assertions are declared. */
export const RETRY_CASES: readonly RetryCase[] = ['recover', 'not-retryable', 'exhaust'];

/** Exit code the job treats as transient (EX_TEMPFAIL); the policy retries it. */
export const TRANSIENT_EXIT_CODE = 75;
/** Exit code of a permanent failure; the policy does not retry it. */
export const PERMANENT_EXIT_CODE = 2;
/** Exit code when the container did not get its inputs (EX_USAGE): never retried, never expected. */
export const USAGE_EXIT_CODE = 64;

/**
 * Where the attempts run: the first on Fargate Spot, and after any failure the fallback rules
 * match (the defaults, and an exited container, which every case's failures are) on Fargate.
 */
export const INTEG_LAUNCH_TARGETS = {
  launchTarget: new tasks.EcsFargateLaunchTarget({
    platformVersion: ecs.FargatePlatformVersion.LATEST,
    capacityProviderOptions: tasks.CapacityProviderOptions.custom([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]),
  }),
  fallbackLaunchTarget: new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.LATEST }),
  fallbackStopCodes: [...RetryDefaults.FALLBACK_STOP_CODES, TaskStopCode.ESSENTIAL_CONTAINER_EXITED],
} as const;

/** The retry policy under test: short waits so that a deployed run takes minutes, not hours. */
export const INTEG_POLICY = {
  maxAttempts: 3,
  interval: Duration.seconds(5),
  backoffRate: 2,
  maxDelay: Duration.seconds(10),
  jitterStrategy: sfn.JitterType.NONE,
  retryableExitCodes: [TRANSIENT_EXIT_CODE],
  attemptTimeout: Duration.minutes(5),
  timeout: Duration.minutes(20),
} as const;

/** A small public image, pulled through the task's public IP: no ECR repository, no NAT. */
export const INTEG_IMAGE = 'public.ecr.aws/docker/library/busybox:stable';
/** The one container of the task definition. */
export const CONTAINER_NAME = 'app';
/** Environment variable that carries the case from the execution input into the container. */
export const MODE_VARIABLE = 'MODE';

/** Names the integ-runner snapshot and the assertions are keyed by: the Lambda engine's test. */
export const INTEG_NAMES = {
  testStack: 'RetryableEcsRunTaskInteg',
  assertionStack: 'RetryableEcsRunTaskIntegAssertions',
  integTest: 'RetryableEcsRunTaskIntegTest',
} as const;

/** The names of the state machine engine's test (test/integ.state-machine-engine.ts). */
export const STATE_MACHINE_ENGINE_INTEG_NAMES = {
  testStack: 'RetryableEcsRunTaskStateMachineEngineInteg',
  assertionStack: 'RetryableEcsRunTaskStateMachineEngineIntegAssertions',
  integTest: 'RetryableEcsRunTaskStateMachineEngineIntegTest',
} as const;

/** How long each case may take once deployed, and how often its execution is polled. */
export const WAIT_FOR_EXECUTION = {
  totalTimeout: Duration.minutes(15),
  interval: Duration.seconds(30),
} as const;

/**
 * How long, once every execution has ended, the state machine's log may take to hold all their
 * events (CloudWatch Logs delivers them best effort, usually within seconds), and how often it is
 * searched.
 */
export const WAIT_FOR_LOG_EVENTS = {
  totalTimeout: Duration.minutes(10),
  interval: Duration.seconds(30),
} as const;

/**
 * The case from the execution input, as the ECS task state reads it into `MODE`: written once,
 * with JsonPath, for both engines; the state machine engine's JSONata states read it as
 * `{% $states.input.mode %}`. Every attempt gets the execution input: neither engine changes the
 * input between attempts.
 */
export const MODE_FROM_INPUT = sfn.JsonPath.stringAt('$.mode');

/**
 * How many log events of each case the state machine engine's metric filters count, by metric:
 * a `Back off` per retry (`Retries`), and the Fail state the run ends in.
 */
export const EXPECTED_METRIC_EVENTS: Record<RetryCase, Partial<Record<string, number>>> = {
  'recover': { Retries: 1 },
  'not-retryable': { NotRetryable: 1 },
  'exhaust': { Retries: INTEG_POLICY.maxAttempts - 1, AttemptsExhausted: 1 },
};

/** The log events all cases add to `metricName` together. */
export function expectedMetricEvents(metricName: string): number {
  return RETRY_CASES.reduce((sum, retryCase) => sum + (EXPECTED_METRIC_EVENTS[retryCase][metricName] ?? 0), 0);
}

/**
 * The container's POSIX shell script (busybox `sh -c`). It reads the case from `MODE` and the
 * 1-based attempt number from the library's attempt variable:
 * - `recover` exits 75 on attempt 1 and 0 from attempt 2 on;
 * - `not-retryable` exits 2;
 * - `exhaust` always exits 75;
 * - a missing or malformed input exits 64, so that a broken override can never pass for a case.
 */
export function caseScript(attemptVariable: string = RetryDefaults.ATTEMPT_ENVIRONMENT_VARIABLE): string {
  return [
    `mode="\${${MODE_VARIABLE}:-}"`,
    `attempt="\${${attemptVariable}:-}"`,
    'echo "retryable-ecs-run-task integ: mode=$mode attempt=$attempt"',
    `case "$attempt" in ''|*[!0-9]*) echo "missing or malformed attempt number" >&2; exit ${USAGE_EXIT_CODE};; esac`,
    'case "$mode" in',
    `  recover) if [ "$attempt" -ge 2 ]; then exit 0; fi; exit ${TRANSIENT_EXIT_CODE};;`,
    `  not-retryable) exit ${PERMANENT_EXIT_CODE};;`,
    `  exhaust) exit ${TRANSIENT_EXIT_CODE};;`,
    `  *) echo "unknown mode: $mode" >&2; exit ${USAGE_EXIT_CODE};;`,
    'esac',
  ].join('\n');
}

/**
 * What `DescribeExecution` must report for each case once the execution has ended. `output` is a
 * JSON string, matched with `Match.serializedJson`.
 */
export function expectedExecution(retryCase: RetryCase): Record<string, unknown> {
  switch (retryCase) {
    case 'recover':
      return {
        status: 'SUCCEEDED',
        output: Match.serializedJson(Match.objectLike({
          mode: 'recover',
          retryableEcsRunTask: Match.objectLike({
            attempts: 2,
            // The retry ran on the fallback launch target.
            capacity: 'fallback',
            // Exactly one failed attempt: arrays inside objectLike must match in length.
            history: [Match.objectLike({
              attempt: 1,
              error: 'States.TaskFailed',
              exitCodes: [{ name: CONTAINER_NAME, exitCode: TRANSIENT_EXIT_CODE }],
              rule: `retryableExitCode:${TRANSIENT_EXIT_CODE}`,
              retryable: true,
              waitSeconds: INTEG_POLICY.interval.toSeconds(),
              capacity: 'primary',
            })],
            task: Match.objectLike({
              Containers: [Match.objectLike({ Name: CONTAINER_NAME, ExitCode: 0 })],
            }),
          }),
        })),
      };
    case 'not-retryable':
      return {
        status: 'FAILED',
        error: RetryErrors.NOT_RETRYABLE,
        cause: Match.stringLikeRegexp(`^Attempt 1 failed with States\\.TaskFailed: .*\\(exit codes: ${CONTAINER_NAME}=${PERMANENT_EXIT_CODE}\\) .*\\[ran on primary\\]$`),
      };
    case 'exhaust':
      return {
        status: 'FAILED',
        error: RetryErrors.ATTEMPTS_EXHAUSTED,
        cause: Match.stringLikeRegexp(
          `^Attempt ${INTEG_POLICY.maxAttempts} failed with States\\.TaskFailed: .*\\(exit codes: ${CONTAINER_NAME}=${TRANSIENT_EXIT_CODE}\\) \\[rule: retryableExitCode:${TRANSIENT_EXIT_CODE}\\] \\[ran on fallback\\]$`,
        ),
      };
  }
}

/** One case: the call that starts its execution and the call that waits for its result. */
export interface RetryCaseCalls {
  readonly start: IApiCall;
  readonly describe: IApiCall;
}

/**
 * One metric of the state machine engine, checked on AWS: the `FilterLogEvents` call that
 * searches the state machine's log with the metric filter's own pattern, once every execution
 * has ended, and expects exactly the events the cases add to the metric.
 */
export interface MetricEventsCall {
  readonly metricName: string;
  readonly filterPattern: string;
  readonly expectedEvents: number;
  readonly call: IApiCall;
}

/** The synthesizable integration test. */
export interface RetryIntegTest {
  readonly testStack: Stack;
  readonly assertionStack: Stack;
  readonly integ: IntegTest;
  readonly job: RetryableEcsRunTask;
  readonly cases: Record<RetryCase, RetryCaseCalls>;
  /** With the state machine engine, by metric name; empty with the Lambda engine. */
  readonly metricEvents: Record<string, MetricEventsCall>;
}

/** Options of `buildRetryIntegTest`. */
export interface RetryIntegTestOptions {
  /**
   * The engine the run decides with. Each engine has a test of its own, with its own names.
   *
   * @default DecisionEngine.LAMBDA_FUNCTION
   */
  readonly decisionEngine?: DecisionEngine;
}

/** Adds the test stack, the assertion stack and the `IntegTest` to `app`; does not synthesize. */
export function buildRetryIntegTest(app: App, options: RetryIntegTestOptions = {}): RetryIntegTest {
  const decisionEngine = options.decisionEngine ?? DecisionEngine.LAMBDA_FUNCTION;
  const stateMachineEngine = decisionEngine === DecisionEngine.STATE_MACHINE;
  const names = stateMachineEngine ? STATE_MACHINE_ENGINE_INTEG_NAMES : INTEG_NAMES;
  const testStack = new Stack(app, names.testStack, {
    description: stateMachineEngine
      ? 'cdk-retryable-ecs-run-task integration test, state machine engine: a Fargate task that fails on purpose (safe to delete)'
      : 'cdk-retryable-ecs-run-task integration test: a Fargate task that fails on purpose (safe to delete)',
  });

  // Public subnets only: tasks get a public IP and pull the image directly, so no NAT gateway.
  const vpc = new ec2.Vpc(testStack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
    // The recommended flag would add a custom resource Lambda only to empty the default group.
    restrictDefaultSecurityGroup: false,
  });
  const cluster = new ecs.Cluster(testStack, 'Cluster', {
    vpc,
    containerInsightsV2: ecs.ContainerInsights.DISABLED,
    // FARGATE_SPOT for the first attempt, FARGATE for the strategy-less fallback.
    enableFargateCapacityProviders: true,
  });

  const taskDefinition = new ecs.FargateTaskDefinition(testStack, 'TaskDefinition', {
    cpu: 256,
    memoryLimitMiB: 512,
  });
  const container = taskDefinition.addContainer(CONTAINER_NAME, {
    image: ecs.ContainerImage.fromRegistry(INTEG_IMAGE),
    command: ['sh', '-c', caseScript()],
    logging: ecs.LogDrivers.awsLogs({
      streamPrefix: 'integ',
      logGroup: new logs.LogGroup(testStack, 'TaskLogs', { retention: logs.RetentionDays.ONE_DAY }),
    }),
  });

  const job = new RetryableEcsRunTask(testStack, 'Job', {
    cluster,
    taskDefinition,
    subnets: { subnetType: ec2.SubnetType.PUBLIC },
    assignPublicIp: true,
    containerOverrides: [{
      containerDefinition: container,
      environment: [{ name: MODE_VARIABLE, value: MODE_FROM_INPUT }],
    }],
    ...INTEG_POLICY,
    retryableExitCodes: [...INTEG_POLICY.retryableExitCodes],
    ...INTEG_LAUNCH_TARGETS,
    fallbackStopCodes: [...INTEG_LAUNCH_TARGETS.fallbackStopCodes],
    ...(stateMachineEngine ? { decisionEngine } : {}),
  });

  // Log groups default to RETAIN; the task's and the shared decider's, or the state machine's, go with the stack.
  RemovalPolicies.of(testStack).destroy({ applyToResourceTypes: ['AWS::Logs::LogGroup'] });

  const assertionStack = new Stack(app, names.assertionStack, {
    description: stateMachineEngine
      ? 'cdk-retryable-ecs-run-task integration test assertions, state machine engine (safe to delete)'
      : 'cdk-retryable-ecs-run-task integration test assertions (safe to delete)',
  });
  const integ = new IntegTest(app, names.integTest, {
    testCases: [testStack],
    assertionStack,
    regions: ['us-east-1'],
    // Snapshots keep templates, not asset bodies (git-ignored): asset hashes are normalized away,
    // so a rebuilt decider bundle or a new integ-tests handler does not fail verification.
    diffAssets: false,
    // Deploying the committed snapshot first would need its asset bodies, which are not committed;
    // every deploy starts from an empty account and tests the current code only.
    stackUpdateWorkflow: false,
  });

  const stateMachineArn = job.stateMachine.stateMachineArn;
  const runCase = (retryCase: RetryCase): RetryCaseCalls => {
    const start = integ.assertions.awsApiCall('StepFunctions', 'startExecution', {
      stateMachineArn,
      input: JSON.stringify({ mode: retryCase }),
    });
    const describe = integ.assertions.awsApiCall('StepFunctions', 'describeExecution', {
      executionArn: start.getAttString('executionArn'),
    })
      .expect(ExpectedResult.objectLike(expectedExecution(retryCase)))
      .waitForAssertions({ ...WAIT_FOR_EXECUTION });
    return { start, describe };
  };
  const cases = Object.fromEntries(RETRY_CASES.map((c) => [c, runCase(c)])) as Record<RetryCase, RetryCaseCalls>;
  const metricEvents = stateMachineEngine ? checkMetricEvents(integ, job, cases) : {};

  return { testStack, assertionStack, integ, job, cases, metricEvents };
}

/** A log event of Step Functions at level ALL: one JSON object per history event, its type in `type`. */
const LOG_EVENT = Match.objectLike({ message: Match.serializedJson(Match.objectLike({ type: Match.stringLikeRegexp('StateEntered$') })) });

/**
 * The state machine engine counts its metrics from the state machine's own log, with filter
 * patterns on the event type and state name of Step Functions' log events: on AWS, once every
 * execution has ended, each metric filter's pattern must match exactly the events the cases add
 * to its metric. The log group is new with each deploy, so it holds only these executions.
 */
function checkMetricEvents(integ: IntegTest, job: RetryableEcsRunTask, cases: Record<RetryCase, RetryCaseCalls>): Record<string, MetricEventsCall> {
  const logGroup = job.stateMachineLogGroup;
  if (!logGroup) {
    throw new Error('the state machine engine\'s run has no stateMachineLogGroup');
  }
  // A run creates the metric filter of each metric asked for: this test asks for every one it checks.
  [job.metricRetries(), job.metricRetriesExhausted(), job.metricNotRetryable()].forEach((metric) => metric.toMetricConfig());
  const filters = job.node.findAll().filter((c): c is logs.CfnMetricFilter => c instanceof logs.CfnMetricFilter);
  return Object.fromEntries(filters.map((filter) => {
    const [{ metricName }] = filter.metricTransformations as logs.CfnMetricFilter.MetricTransformationProperty[];
    const expectedEvents = expectedMetricEvents(metricName);
    const call = integ.assertions.awsApiCall('CloudWatchLogs', 'filterLogEvents', {
      logGroupName: logGroup.logGroupName,
      filterPattern: filter.filterPattern,
    })
      // Exactly `expectedEvents` events: arrays inside objectLike must match in length.
      .expect(ExpectedResult.objectLike({ events: Array.from({ length: expectedEvents }, () => LOG_EVENT) }))
      .waitForAssertions({ ...WAIT_FOR_LOG_EVENTS });
    // Searched only once every execution has ended.
    Object.values(cases).forEach(({ describe }) => describe.next(call));
    return [metricName, { metricName, filterPattern: filter.filterPattern, expectedEvents, call }];
  }));
}
