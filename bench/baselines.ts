/**
 * The three designs every benchmark compares, built in the same run:
 *
 * - `ours`: `RetryableEcsRunTask` with its defaults (3 attempts, 30 s, rate 2, 5 min cap, full jitter),
 *   on the default decision engine, `DecisionEngine.LAMBDA_FUNCTION`; and `ours-state-machine`, the same with
 *   `decisionEngine: DecisionEngine.STATE_MACHINE` (see `DESIGNS`).
 * - `bare`: a plain `tasks.EcsRunTask` (RUN_JOB) with native `addRetry` on `States.TaskFailed`,
 *   configured like our defaults. It retries every failure, transient or not.
 * - `seed-shaped`: the design of aws-samples/retryable-ecs-run-task-step-functions, rebuilt from its
 *   README's description (not its code): one Lambda function PER INSTANCE classifies the error and
 *   counts retries, a Choice checks the count, a Wait of 2^retryCount seconds, and a loop back.
 *
 * Every instance gets its own task definition, as users' jobs do, in one shared VPC and cluster.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DecisionEngine, RetryableEcsRunTask, RetryableEcsRunTaskProps, RetryDefaults } from '../src';

export const VARIANTS = ['ours', 'bare', 'seed-shaped'] as const;
export type Variant = typeof VARIANTS[number];

/**
 * Ours comes with two decision engines: `ours` is the default, `DecisionEngine.LAMBDA_FUNCTION` (the
 * stack's shared decider function), and `ours-state-machine` is `DecisionEngine.STATE_MACHINE`
 * (JSONata states, no Lambda function). aws-local-stepfunctions cannot run JSONata, so the
 * benchmarks that execute state machines there (cost, payload) loop over `VARIANTS`; synth
 * scaling, which only synthesizes, measures every design.
 */
export const DESIGNS = ['ours', 'ours-state-machine', 'bare', 'seed-shaped'] as const;
export type Design = typeof DESIGNS[number];
/** The designs that are ours, one per decision engine. */
export const OUR_ENGINES = ['ours', 'ours-state-machine'] as const;
export type OurEngine = typeof OUR_ENGINES[number];

/** The `decisionEngine` of each of ours. */
export function decisionEngineOf(engine: OurEngine): DecisionEngine {
  return engine === 'ours-state-machine' ? DecisionEngine.STATE_MACHINE : DecisionEngine.LAMBDA_FUNCTION;
}

/** Retries after the first attempt, matching our default of 3 attempts. */
export const DEFAULT_RETRIES = RetryDefaults.MAX_ATTEMPTS - 1;

/** What one instance needs; each gets its own task definition. */
export interface InstanceProps {
  readonly cluster: ecs.ICluster;
  readonly taskDefinition: ecs.TaskDefinition;
}

/** The state names of the seed-shaped loop, which the cost benchmark overrides locally. */
export const SEED_STATES = {
  runTask: 'Run task',
  handleError: 'Handle error',
  wait: 'Wait 2^retryCount',
} as const;

/** The seed's Wait: 2^retryCount seconds, no jitter, no cap (retryCount is 1 before the first retry). */
export function seedWaitSeconds(retryCount: number): number {
  return Math.pow(2, retryCount);
}

/**
 * The seed-shaped error handler, as the stub Lambda runs it. It must stay self-contained: its
 * source text is inlined into the function (`Code.fromInline`) and evaluated by the local
 * executor, so the synthesized function and the benchmarked one are the same code.
 *
 * Like the sample, it checks stopped reasons and exit code 2 (the sample's test code), and counts
 * retries. It also treats a throttled RunTask as retryable, which the sample's description does
 * not mention: generous to the baseline, so the herd comparison isolates the backoff schedule.
 */
export const seedHandler = async (event: any) => {
  const previous = event && event.errorState && typeof event.errorState.retryCount === 'number' ? event.errorState.retryCount : 0;
  const error = (event && event.error) || {};
  let task: any = {};
  try {
    task = JSON.parse(error.Cause);
  } catch {
    task = {};
  }
  const reason = String((task && task.StoppedReason) || '');
  const exitCodes = ((task && task.Containers) || []).map((c: any) => c.ExitCode);
  const retryable = /^(ResourceInitializationError|CannotPullContainerError)/.test(reason)
    || exitCodes.includes(2)
    || error.Error === 'ECS.AmazonECSException';
  const retryCount = previous + 1;
  return { retryable, retryCount, waitSeconds: Math.pow(2, retryCount) };
};

/** The handler's source as a CommonJS module, for `Code.fromInline` and for local evaluation. */
export const SEED_HANDLER_SOURCE = `exports.handler = ${seedHandler.toString()};\n`;

/** Our construct with its defaults: what a user gets from the README's first example. */
export function addOurs(scope: Construct, id: string, props: InstanceProps): sfn.StateMachine {
  return new RetryableEcsRunTask(scope, id, props).stateMachine;
}

/**
 * Our construct with its defaults and `decisionEngine: DecisionEngine.STATE_MACHINE`. Standalone,
 * it logs at level ALL to a log group of its own and counts its metrics with metric filters on
 * that log (3 without topics), where the Lambda engine shares one decider per stack.
 */
export function addOursStateMachine(scope: Construct, id: string, props: InstanceProps): sfn.StateMachine {
  return new RetryableEcsRunTask(scope, id, { ...props, decisionEngine: DecisionEngine.STATE_MACHINE }).stateMachine;
}

/**
 * Our adaptive retries, which only ours has (the baselines retry the same task the same way):
 * none, each alone, or both. The sizes assume a 256 CPU / 512 MiB task definition, as both the
 * bench stacks and the test stack have.
 */
export const OUR_FEATURES = ['none', 'outOfMemorySizes', 'fallbackLaunchTarget', 'both'] as const;
export type OurFeatures = typeof OUR_FEATURES[number];

/** One size up from 256 CPU units and 512 MiB, for the attempt after an out-of-memory failure. */
export const BENCH_OOM_SIZES = [{ cpu: 512, memoryMiB: 1024 }];

const fargateOn = (capacityProvider: string) => new tasks.EcsFargateLaunchTarget({
  platformVersion: ecs.FargatePlatformVersion.LATEST,
  capacityProviderOptions: tasks.CapacityProviderOptions.custom([{ capacityProvider, weight: 1 }]),
});

/** The props that switch `features` on: the README's example, Fargate Spot first and on-demand Fargate as the fallback. */
export function featureProps(features: OurFeatures): Partial<RetryableEcsRunTaskProps> {
  const oom = features === 'outOfMemorySizes' || features === 'both';
  const fallback = features === 'fallbackLaunchTarget' || features === 'both';
  return {
    ...(oom ? { outOfMemorySizes: BENCH_OOM_SIZES } : {}),
    ...(fallback ? { launchTarget: fargateOn('FARGATE_SPOT'), fallbackLaunchTarget: fargateOn('FARGATE') } : {}),
  };
}

/** Our construct with its defaults plus `features`, on `engine` (the Lambda engine unless told). */
export function addOursWith(
  features: OurFeatures, scope: Construct, id: string, props: InstanceProps, engine: OurEngine = 'ours',
): sfn.StateMachine {
  return new RetryableEcsRunTask(scope, id, { ...props, ...featureProps(features), decisionEngine: decisionEngineOf(engine) }).stateMachine;
}

/** A plain RUN_JOB task with native retries configured like our defaults. */
export function addBare(scope: Construct, id: string, props: InstanceProps, retries = DEFAULT_RETRIES): sfn.StateMachine {
  const job = new Construct(scope, id);
  const runTask = new tasks.EcsRunTask(job, 'Run task', {
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    cluster: props.cluster,
    taskDefinition: props.taskDefinition,
    launchTarget: new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.LATEST }),
  });
  runTask.addRetry({
    errors: ['States.TaskFailed'],
    maxAttempts: retries,
    interval: Duration.seconds(RetryDefaults.INTERVAL_SECONDS),
    backoffRate: RetryDefaults.BACKOFF_RATE,
    maxDelay: Duration.seconds(RetryDefaults.MAX_DELAY_SECONDS),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return new sfn.StateMachine(job, 'StateMachine', { definitionBody: sfn.DefinitionBody.fromChainable(runTask) });
}

/**
 * The seed-shaped loop. Its Lambda is configured like our shared decider (128 MB, 10 s, a log
 * group with one month's retention), so that resource counts differ only by per-instance vs shared.
 */
export function addSeedShaped(scope: Construct, id: string, props: InstanceProps, retries = DEFAULT_RETRIES): sfn.StateMachine {
  const job = new Construct(scope, id);
  const handler = new lambda.Function(job, 'ErrorHandler', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline(SEED_HANDLER_SOURCE),
    memorySize: 128,
    timeout: Duration.seconds(10),
    logGroup: new logs.LogGroup(job, 'ErrorHandlerLogs', { retention: logs.RetentionDays.ONE_MONTH }),
  });

  const runTask = new tasks.EcsRunTask(job, SEED_STATES.runTask, {
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    cluster: props.cluster,
    taskDefinition: props.taskDefinition,
    launchTarget: new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.LATEST }),
    resultPath: '$.task',
  });
  const handleError = new tasks.LambdaInvoke(job, SEED_STATES.handleError, {
    lambdaFunction: handler,
    payload: sfn.TaskInput.fromJsonPathAt('$'),
    resultSelector: {
      'retryable.$': '$.Payload.retryable',
      'retryCount.$': '$.Payload.retryCount',
      'waitSeconds.$': '$.Payload.waitSeconds',
    },
    resultPath: '$.errorState',
  });
  runTask.addCatch(handleError, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
  const wait = new sfn.Wait(job, SEED_STATES.wait, { time: sfn.WaitTime.secondsPath('$.errorState.waitSeconds') });
  handleError.next(new sfn.Choice(job, 'Retry?')
    .when(
      sfn.Condition.and(
        sfn.Condition.booleanEquals('$.errorState.retryable', true),
        sfn.Condition.numberLessThanEquals('$.errorState.retryCount', retries),
      ),
      wait.next(runTask),
    )
    .otherwise(new sfn.Fail(job, 'Failed', { error: 'TaskFailed' })));

  return new sfn.StateMachine(job, 'StateMachine', { definitionBody: sfn.DefinitionBody.fromChainable(runTask) });
}

const ADDERS: Record<Design, (scope: Construct, id: string, props: InstanceProps) => sfn.StateMachine> = {
  'ours': addOurs,
  'ours-state-machine': addOursStateMachine,
  'bare': addBare,
  'seed-shaped': addSeedShaped,
};

/** One instance of `variant` with its defaults. */
export function addInstance(variant: Design, scope: Construct, id: string, props: InstanceProps): sfn.StateMachine {
  return ADDERS[variant](scope, id, props);
}

/** One job's task definition, as in the README: a Fargate task with one logged container. */
export function addTaskDefinition(scope: Construct, id: string): ecs.FargateTaskDefinition {
  const taskDefinition = new ecs.FargateTaskDefinition(scope, id, { cpu: 256, memoryLimitMiB: 512 });
  taskDefinition.addContainer('app', {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable'),
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'app' }),
  });
  return taskDefinition;
}

const isOurs = (design: Design): design is OurEngine => (OUR_ENGINES as readonly string[]).includes(design);

/**
 * A stack with one VPC and cluster and `n` instances of `variant`, each with its own task
 * definition (and, for ours, `features` switched on). CDK's own 500-resource check is switched off so that every N synthesizes and the
 * benchmark can report where CloudFormation's limit is crossed instead of failing.
 */
export function benchStack(variant: Design, n: number, outdir?: string, features: OurFeatures = 'none'): { app: App; stack: Stack } {
  if (features !== 'none' && !isOurs(variant)) {
    throw new Error(`only ours has adaptive retries, not ${variant}`);
  }
  const app = new App({ outdir, context: { '@aws-cdk/core:stackResourceLimit': 0 } });
  const stack = new Stack(app, 'BenchStack', { env: { account: '123456789012', region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  for (let i = 1; i <= n; i++) {
    const props = { cluster, taskDefinition: addTaskDefinition(stack, `TaskDef${i}`) };
    if (features === 'none') {
      addInstance(variant, stack, `Job${i}`, props);
    } else {
      addOursWith(features, stack, `Job${i}`, props, variant as OurEngine);
    }
  }
  return { app, stack };
}
