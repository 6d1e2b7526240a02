// A user's CDK app that installs the packed cdk-retryable-ecs-run-task tarball, synthesizes a
// stack with it and checks its own cloud assembly. Any failed check throws, so the process exits
// non-zero. consumers/run.sh runs it in a temporary directory; it never deploys.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { DecisionEngine, RetryableEcsRunTask, RetryableEcsRunTaskFragment, RetryDefaults, RetryErrors, TaskStopCode } from 'cdk-retryable-ecs-run-task';
import { Construct } from 'constructs';

// The same stack and construct as the Python and Java consumers (and README's Python and Java examples).
export class NightlyReportStack extends Stack {
  public readonly job: RetryableEcsRunTask;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    // Public subnets and no NAT gateway: the task gets a public IP to pull its image.
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }],
    });
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc });

    // Add the containers before creating the construct.
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'NightlyReport', { cpu: 512, memoryLimitMiB: 1024 });
    taskDefinition.addContainer('report', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable'),
      command: ['sh', '-c', 'echo attempt $RETRYABLE_ECS_RUN_TASK_ATTEMPT'],
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'report' }),
    });
    const alerts = new sns.Topic(this, 'Alerts');

    this.job = new RetryableEcsRunTask(this, 'NightlyReportJob', {
      cluster,
      taskDefinition,
      subnets: { subnetType: ec2.SubnetType.PUBLIC },
      assignPublicIp: true,
      maxAttempts: 5,
      interval: Duration.seconds(10),
      backoffRate: 1.5,
      maxDelay: Duration.minutes(2),
      jitterStrategy: sfn.JitterType.NONE,
      // A list you set replaces its default, so each one below starts from the default.
      // A stop code that ECS may add before TaskStopCode has a constant for it:
      retryableStopCodes: [...RetryDefaults.RETRYABLE_STOP_CODES, TaskStopCode.of('SomeFutureStopCode')],
      // Creating the container sometimes fails on one host and works on the next:
      retryableStoppedReasons: [...RetryDefaults.RETRYABLE_STOPPED_REASONS, 'CannotCreateContainerError:*'],
      // An image built for another CPU architecture will never pull:
      nonRetryableStoppedReasons: [...RetryDefaults.NON_RETRYABLE_STOPPED_REASONS, 'CannotPullContainerError:*no matching manifest*'],
      // The job exits with 75 (EX_TEMPFAIL) or 69 (EX_UNAVAILABLE) when a dependency is briefly down.
      retryableExitCodes: [75, 69],
      // The job is safe to run again, so an attempt that hit attemptTimeout is retried too:
      retryableErrors: [...RetryDefaults.RETRYABLE_ERRORS, 'States.Timeout'],
      attemptTimeout: Duration.hours(2),
      timeout: Duration.hours(8),
      failureTopic: alerts,
      // The default engine, the stack's shared decider function; DecisionEngine.STATE_MACHINE needs none.
      decisionEngine: DecisionEngine.LAMBDA_FUNCTION,
    });
  }
}

/** Extracts and loads every partition of the input, each step a retrying ECS task run. */
export class PartitionPipeline extends Construct {
  public readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: { cluster: ecs.ICluster; extractTask: ecs.TaskDefinition; loadTask: ecs.TaskDefinition }) {
    super(scope, id);

    const extract = new RetryableEcsRunTaskFragment(this, 'Extract', {
      cluster: props.cluster,
      taskDefinition: props.extractTask,
      resultPath: '$.extract',
    });
    const load = new RetryableEcsRunTaskFragment(this, 'Load', {
      cluster: props.cluster,
      taskDefinition: props.loadTask,
      resultPath: '$.load',
      retryableExitCodes: [75],
    });

    // One retrying extract-and-load per partition.
    const eachPartition = new sfn.Map(this, 'Each partition', { itemsPath: '$.partitions', maxConcurrency: 10 })
      .itemProcessor(extract.next(load));
    eachPartition.addCatch(new sfn.Fail(this, 'A partition failed'), {
      errors: [RetryErrors.NOT_RETRYABLE, RetryErrors.ATTEMPTS_EXHAUSTED],
    });

    this.stateMachine = new sfn.StateMachine(this, 'Pipeline', {
      definitionBody: sfn.DefinitionBody.fromChainable(eachPartition),
    });
  }
}

/**
 * A report job on Fargate Spot that moves to on-demand Fargate once Spot reclaims it or has no
 * capacity (README: "Adaptive retries"; the Python consumer shows `outOfMemorySizes`, the Java one both).
 */
export class SpotReportStack extends Stack {
  public readonly job: RetryableEcsRunTask;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }],
    });
    // RunTask can name a capacity provider only when the cluster has it.
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, enableFargateCapacityProviders: true });
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'SpotReport', { cpu: 1024, memoryLimitMiB: 2048 });
    taskDefinition.addContainer('report', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable'),
      command: ['sh', '-c', 'echo attempt $RETRYABLE_ECS_RUN_TASK_ATTEMPT'],
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'spot-report' }),
    });
    const fargate = (capacityProvider: string) => new tasks.EcsFargateLaunchTarget({
      platformVersion: ecs.FargatePlatformVersion.LATEST,
      capacityProviderOptions: tasks.CapacityProviderOptions.custom([{ capacityProvider, weight: 1 }]),
    });

    this.job = new RetryableEcsRunTask(this, 'SpotReportJob', {
      cluster,
      taskDefinition,
      subnets: { subnetType: ec2.SubnetType.PUBLIC },
      assignPublicIp: true,
      // Spot first; once Spot is reclaimed or has no capacity, on-demand Fargate.
      launchTarget: fargate('FARGATE_SPOT'),
      fallbackLaunchTarget: fargate('FARGATE'),
      maxAttempts: 4,
    });
  }
}

/**
 * An hourly report whose retries the state machine decides by itself (`DecisionEngine.STATE_MACHINE`):
 * JSONata states, and no Lambda function in the stack. The Python, Java and Go consumers have the same stack.
 */
export class HourlyReportStack extends Stack {
  public readonly job: RetryableEcsRunTask;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }],
    });
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc });
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'HourlyReport');
    taskDefinition.addContainer('report', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable'),
      command: ['sh', '-c', 'echo attempt $RETRYABLE_ECS_RUN_TASK_ATTEMPT'],
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'hourly-report' }),
    });

    // The parentheses of the id become '_' in the namespace of the run's metrics.
    this.job = new RetryableEcsRunTask(this, 'Hourly report (no Lambda)', {
      cluster,
      taskDefinition,
      subnets: { subnetType: ec2.SubnetType.PUBLIC },
      assignPublicIp: true,
      decisionEngine: DecisionEngine.STATE_MACHINE,
      maxAttempts: 6,
      interval: Duration.seconds(15),
      maxDelay: Duration.minutes(4),
      retryableExitCodes: [75],
    });
    // A STATE_MACHINE run creates the metric filter of each metric asked for: here, an alarm on each of three.
    const alarms: Array<[string, cloudwatch.Metric]> = [
      ['Retries', this.job.metricRetries()], ['Exhausted', this.job.metricRetriesExhausted()], ['NotRetryable', this.job.metricNotRetryable()],
    ];
    for (const [name, metric] of alarms) {
      metric.createAlarm(this, `${name}Alarm`, { threshold: 1, evaluationPeriods: 1 });
    }
  }
}

/** A stack of its own for a PartitionPipeline, with the cluster and the two task definitions it is given. */
function partitionPipelineStack(app: App): Stack {
  const stack = new Stack(app, 'PartitionPipelineStack');
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 }) });
  const [extractTask, loadTask] = ['extract', 'load'].map((name) => {
    const task = new ecs.FargateTaskDefinition(stack, `${name}Task`);
    task.addContainer(name, {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable'),
      command: ['sh', '-c', `echo ${name} attempt $RETRYABLE_ECS_RUN_TASK_ATTEMPT`],
    });
    return task;
  });
  new PartitionPipeline(stack, 'Partitions', { cluster, extractTask, loadTask });
  return stack;
}

/** The default lists, as README documents them. */
const EXPECTED_DEFAULTS = {
  retryableStopCodes: ['TaskFailedToStart', 'SpotInterruption', 'TerminationNotice', 'InfrastructureHealth'],
  retryableStoppedReasons: [
    'ResourceInitializationError:*',
    'CannotPullContainerError:*',
    'Timeout waiting for network interface provisioning*',
    'Host EC2 (instance *) stopped/terminated*',
  ],
  nonRetryableStoppedReasons: [
    'CannotPullContainerError:*not found*',
    'CannotPullContainerError:*manifest unknown*',
    'CannotPullContainerError:*repository does not exist*',
    'CannotPullContainerError:*access denied*',
    'CannotPullContainerError:*403 Forbidden*',
    'CannotPullContainerError:*401 Unauthorized*',
    'ResourceInitializationError:*AccessDenied*',
    'ResourceInitializationError:*ResourceNotFoundException*',
    'ResourceInitializationError:*ParameterNotFound*',
    'CannotStartContainerError:*executable file not found*',
  ],
  retryableErrors: ['ECS.AmazonECSException', 'ECS.ServerException', 'AmazonECS.Unknown'],
  nonRetryableErrorCauses: [
    'ATTRIBUTE',
    'MemberOf placement constraint unsatisfied*',
    'LOCATION',
    '*TaskDefinition is inactive*',
    '*Unable to describe task definition*',
    '*Error Code: ClusterNotFoundException*',
    '*Error Code: PlatformUnknownException*',
    '*Error Code: PlatformTaskDefinitionIncompatibilityException*',
    '*Error Code: UnsupportedFeatureException*',
    '*Error Code: BlockedException*',
    '*Error Code: AccessDeniedException*',
  ],
};

/**
 * The policy NightlyReportStack must render into the "Decide retry" invocation: each list is the
 * default followed by what the example adds.
 */
const EXPECTED_POLICY = {
  maxAttempts: 5,
  intervalSeconds: 10,
  backoffRate: 1.5,
  maxDelaySeconds: 120,
  jitter: 'NONE',
  retryableStopCodes: [...EXPECTED_DEFAULTS.retryableStopCodes, 'SomeFutureStopCode'],
  retryableStoppedReasons: [...EXPECTED_DEFAULTS.retryableStoppedReasons, 'CannotCreateContainerError:*'],
  nonRetryableStoppedReasons: [...EXPECTED_DEFAULTS.nonRetryableStoppedReasons, 'CannotPullContainerError:*no matching manifest*'],
  retryableExitCodes: [75, 69],
  retryableErrors: [...EXPECTED_DEFAULTS.retryableErrors, 'States.Timeout'],
  nonRetryableErrorCauses: EXPECTED_DEFAULTS.nonRetryableErrorCauses,
};

/** The policy HourlyReportStack renders into the comment of its "Retry or fail" state: the defaults and what it sets. */
const EXPECTED_HOURLY_POLICY = {
  maxAttempts: 6,
  intervalSeconds: 15,
  backoffRate: 2,
  maxDelaySeconds: 240,
  jitter: 'FULL',
  ...EXPECTED_DEFAULTS,
  retryableExitCodes: [75],
};

/** The attempt number reaches every container of the task definition, as README documents it. */
const ATTEMPT_VARIABLE = 'RETRYABLE_ECS_RUN_TASK_ATTEMPT';

/** The default fallback rules, as README documents them ("Fallback rules"). */
const EXPECTED_FALLBACK_DEFAULTS = {
  stopCodes: ['SpotInterruption', 'TerminationNotice'],
  stoppedReasons: [
    'Your Spot Task was interrupted*',
    'TaskFailedToStart: RESOURCE:*',
    'TaskFailedToStart: NO ACTIVE INSTANCES*',
    'TaskFailedToStart: EMPTY CAPACITY PROVIDER*',
  ],
  errorCauses: ['Capacity is unavailable at this time*', 'RESOURCE:*'],
};

type Json = any;

/** Joins an Fn::Join definition, each token replaced by a placeholder string, and parses it. */
function parseDefinition(definitionString: Json): Json {
  if (typeof definitionString === 'string') {
    return JSON.parse(definitionString);
  }
  const [separator, parts] = definitionString['Fn::Join'];
  return JSON.parse(parts.map((p: Json) => (typeof p === 'string' ? p : 'TOKEN')).join(separator));
}

/**
 * The whole policy of a LAMBDA_FUNCTION run, as its decider makes it (src/decider/whole-policy.ts): `Decide retry`
 * sends what differs from the default policy, with the defaults' id, and the template's decider function has the
 * defaults in its environment variable RETRY_POLICY_DEFAULTS. The default fallback rules only for a run with a fallback.
 */
function wholePolicy(templateJson: Json, policyDiff: Json): Json {
  const deciders = Object.values<Json>(templateJson.Resources)
    .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Environment?.Variables?.RETRY_POLICY_DEFAULTS !== undefined);
  assert.equal(deciders.length, 1, 'one decider function with RETRY_POLICY_DEFAULTS in its environment');
  const defaults = JSON.parse(deciders[0].Properties.Environment.Variables.RETRY_POLICY_DEFAULTS);
  const { defaultsId, ...diff } = policyDiff;
  assert.equal(typeof defaults.id, 'string', `RETRY_POLICY_DEFAULTS id: ${defaults.id}`);
  assert.equal(defaultsId, defaults.id, 'Decide retry names the defaults the decider function has');
  const { fallback, ...base } = defaults.policy;
  return { ...base, ...diff, ...(diff.fallback === undefined ? {} : { fallback: { ...fallback, ...diff.fallback } }) };
}

function main(): void {
  const app = new App({ outdir: process.env.CDK_OUTDIR ?? 'cdk.out' });
  const stack = new NightlyReportStack(app, 'NightlyReportStack');
  const pipelineStack = partitionPipelineStack(app);
  const spotStack = new SpotReportStack(app, 'SpotReportStack');
  const hourlyStack = new HourlyReportStack(app, 'HourlyReportStack');
  const assembly = app.synth();

  // The template exactly as written into the cloud assembly.
  const artifact = assembly.getStackArtifact(stack.artifactId);
  const templateJson = JSON.parse(fs.readFileSync(path.join(assembly.directory, artifact.templateFile), 'utf8'));
  const template = Template.fromJSON(templateJson);

  // One state machine, and one Lambda function: the shared decider.
  template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  template.resourceCountIs('AWS::Lambda::Function', 1);
  template.hasResourceProperties('AWS::Lambda::Function', { Runtime: Match.stringLikeRegexp('^nodejs'), Handler: 'index.handler' });
  assert.ok(stack.job.stateMachine.stateMachineArn, 'job.stateMachine is set');
  // `decider` is optional since DecisionEngine.STATE_MACHINE, which creates none; the default engine always has one.
  assert.ok(stack.job.decider?.functionArn, 'job.decider is set');
  // The Lambda engine has one name in every language: LAMBDA_FUNCTION. Its first name, LAMBDA, is
  // deprecated (Python has it as LAMBDA_), and the same engine.
  assert.equal(DecisionEngine.LAMBDA, DecisionEngine.LAMBDA_FUNCTION, 'DecisionEngine.LAMBDA is DecisionEngine.LAMBDA_FUNCTION');
  assert.equal(DecisionEngine.LAMBDA_FUNCTION.name, 'LAMBDA');
  assert.equal(stack.job.fragment.decisionEngine, DecisionEngine.LAMBDA_FUNCTION, 'NightlyReportJob runs on DecisionEngine.LAMBDA_FUNCTION');
  console.log('typescript consumer: NightlyReportJob on DecisionEngine.LAMBDA_FUNCTION, and the deprecated DecisionEngine.LAMBDA is the same engine');

  // The policy passed above is rendered into the decider's payload.
  const [stateMachine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const definition = parseDefinition(stateMachine.Properties.DefinitionString);
  const decide = definition.States['Decide retry'];
  assert.ok(decide, `"Decide retry" state missing; states: ${Object.keys(definition.States).join(', ')}`);
  // It sends what differs from the default policy, with the defaults' id; the decider function has
  // the defaults in its environment, and the two make the whole policy.
  assert.ok(!('nonRetryableErrorCauses' in decide.Parameters.policy), 'a list left as its default is not sent');
  assert.deepEqual(wholePolicy(templateJson, decide.Parameters.policy), EXPECTED_POLICY);
  assert.equal(definition.TimeoutSeconds, 8 * 3600);

  // The decider's code asset was staged into the cloud assembly, and its index.js is not empty.
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
  const s3Key: string = fn.Properties.Code.S3Key;
  assert.equal(typeof s3Key, 'string', `Lambda Code.S3Key: ${JSON.stringify(fn.Properties.Code)}`);
  // The stack's own asset manifest: the app's other stack has its own decider with the same asset.
  const manifests = [artifact.templateFile.replace(/\.template\.json$/, '.assets.json')];
  const sources = manifests.flatMap((m) => {
    const files = JSON.parse(fs.readFileSync(path.join(assembly.directory, m), 'utf8')).files ?? {};
    return Object.values(files)
      .filter((file: Json) => Object.values(file.destinations).some((d: Json) => d.objectKey === s3Key))
      .map((file: Json) => file.source);
  });
  assert.equal(sources.length, 1, `one asset manifest entry for ${s3Key}, found ${sources.length}`);
  assert.equal(sources[0].packaging, 'zip');
  const indexJs = path.join(assembly.directory, sources[0].path, 'index.js');
  assert.ok(fs.existsSync(indexJs), `${indexJs} exists`);
  const size = fs.statSync(indexJs).size;
  assert.ok(size > 0, `${indexJs} is not empty`);

  console.log(`typescript consumer: ${Object.keys(definition.States).length} states, policy as passed, `
    + `1 Lambda function, decider asset ${sources[0].path}/index.js (${size} bytes) in ${assembly.directory}`);

  const pipelineArtifact = assembly.getStackArtifact(pipelineStack.artifactId);
  console.log(checkPartitionPipeline(path.join(assembly.directory, pipelineArtifact.templateFile)));

  const spotArtifact = assembly.getStackArtifact(spotStack.artifactId);
  // Synth warns when the fallback would run the task just as the primary does; these two differ.
  const warnings = spotArtifact.messages.filter((m) => m.level === 'warning').map((m) => m.entry.data);
  assert.deepEqual(warnings, [], 'SpotReportStack: no synth warnings');
  console.log(checkSpotReport(path.join(assembly.directory, spotArtifact.templateFile)));

  const hourlyArtifact = assembly.getStackArtifact(hourlyStack.artifactId);
  console.log(checkHourlyReport(path.join(assembly.directory, hourlyArtifact.templateFile), hourlyStack.job));
  console.log(checkBatchJobs(synthBatchJobs(path.join(path.dirname(assembly.directory), 'cdk.out.batch-jobs'))));
}

/**
 * Three runs in one stack, the Lambda engine with a topic, the state machine engine, and a state machine engine
 * step of a workflow, their widgets on one dashboard, in an app of its own. Returns the template file.
 */
function synthBatchJobs(outdir: string): string {
  const app = new App({ outdir });
  const stack = new Stack(app, 'BatchJobsStack');
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 }) });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
  taskDefinition.addContainer('job', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable') });
  const nightly = new RetryableEcsRunTask(stack, 'NightlyReport', { cluster, taskDefinition, failureTopic: new sns.Topic(stack, 'Alerts') });
  const hourly = new RetryableEcsRunTask(stack, 'HourlyReport', { cluster, taskDefinition, decisionEngine: DecisionEngine.STATE_MACHINE });
  const workflowLogs = new logs.LogGroup(stack, 'PipelineLogs');
  const load = new RetryableEcsRunTaskFragment(stack, 'Load', {
    cluster, taskDefinition, decisionEngine: DecisionEngine.STATE_MACHINE, stateMachineLogGroup: workflowLogs,
  });
  new sfn.StateMachine(stack, 'Pipeline', {
    definitionBody: sfn.DefinitionBody.fromChainable(load),
    logs: { destination: workflowLogs, level: sfn.LogLevel.ALL },
  });
  // As README's example does it.
  new cloudwatch.Dashboard(stack, 'BatchJobs', {
    dashboardName: 'batch-jobs',
    widgets: [
      nightly.dashboardWidgets(),
      hourly.dashboardWidgets({ period: Duration.minutes(1) }),
      load.dashboardWidgets({ titlePrefix: 'Pipeline: load' }),
    ],
  });
  const assembly = app.synth();
  return path.join(assembly.directory, assembly.getStackArtifact(stack.artifactId).templateFile);
}

/** The dashboard exists, and every metric its widgets name is one of the three runs' own. */
function checkBatchJobs(templateFile: string): string {
  const resources: Record<string, Json> = JSON.parse(fs.readFileSync(templateFile, 'utf8')).Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const dashboards = ofType('AWS::CloudWatch::Dashboard');
  assert.equal(dashboards.length, 1, 'one dashboard');
  const [separator, parts] = dashboards[0][1].Properties.DashboardBody['Fn::Join'];
  const body = JSON.parse(parts.map((p: Json) => (typeof p === 'string' ? p : `<<${p.Ref}>>`)).join(separator));
  const published = new Set(ofType('AWS::Logs::MetricFilter').flatMap(([, r]) => r.Properties.MetricTransformations.map((t: Json) =>
    `${t.MetricNamespace} ${t.MetricName} ${(t.Dimensions ?? []).map((d: Json) => d.Key).sort().join(',')}`)));
  const ownMachines = ofType('AWS::StepFunctions::StateMachine').map(([id]) => id)
    .filter((id) => id.startsWith('NightlyReport') || id.startsWith('HourlyReport')).map((id) => `<<${id}>>`);
  const titles: string[] = body.widgets.map((w: Json) => w.properties.title);
  let searches = 0;
  for (const widget of body.widgets) {
    for (const entry of widget.properties.metrics as Json[][]) {
      if (typeof entry[0] === 'object') {
        assert.ok(entry[0].expression.includes('Run="BatchJobsStack/NightlyReport/Run"'), `SEARCH of another run: ${entry[0].expression}`);
        assert.ok(published.has('RetryableEcsRunTask Retries Rule,Run'), 'no per-rule Retries filter');
        searches++;
        continue;
      }
      const [namespace, metricName, ...rest] = entry;
      const pairs = rest.filter((x) => typeof x === 'string');
      const dimensions: Record<string, string> = {};
      for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i]] = pairs[i + 1];
      if (namespace === 'AWS/States') {
        assert.ok(ownMachines.includes(dimensions.StateMachineArn), `${widget.properties.title}: ${JSON.stringify(entry)}`);
        continue;
      }
      assert.ok(published.has(`${namespace} ${metricName} ${Object.keys(dimensions).sort().join(',')}`), `no metric filter for ${JSON.stringify(entry)}`);
      if ('Run' in dimensions) {
        assert.equal(dimensions.Run, 'BatchJobsStack/NightlyReport/Run', `metric of another run: ${JSON.stringify(entry)}`);
      } else {
        assert.ok(['RetryableEcsRunTask/BatchJobsStack/HourlyReport/Run', 'RetryableEcsRunTask/BatchJobsStack/Load'].includes(namespace),
          `namespace of another run: ${JSON.stringify(entry)}`);
      }
    }
  }
  for (const prefix of ['BatchJobsStack/NightlyReport: ', 'BatchJobsStack/HourlyReport: ', 'Pipeline: load: ']) {
    assert.ok(titles.some((t) => t.startsWith(prefix)), `no widget title starts with ${prefix}: ${titles.join(' | ')}`);
  }
  assert.equal(searches, 1, 'one SEARCH expression');
  return `typescript consumer: BatchJobsStack: ${titles.length} widgets of 3 runs on one dashboard, each naming a metric of its run`;
}

function checkHourlyReport(templateFile: string, job: RetryableEcsRunTask): string {
  const template = Template.fromJSON(JSON.parse(fs.readFileSync(templateFile, 'utf8')));

  // The state machine decides by itself: no Lambda function in the stack, and no decider on the run.
  template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  template.resourceCountIs('AWS::Lambda::Function', 0);
  assert.equal(job.decider, undefined, 'job.decider is undefined');
  assert.equal(job.deciderLogGroup, undefined, 'job.deciderLogGroup is undefined');
  assert.ok(job.stateMachineLogGroup, 'job.stateMachineLogGroup is set');

  const [stateMachine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const definition = parseDefinition(stateMachine.Properties.DefinitionString);
  const states = definition.States;
  for (const state of ['Start attempts', 'Run task', 'Retry or fail', 'Back off', 'Attempts exhausted', 'Not retryable']) {
    assert.ok(states[state], `"${state}" missing; states: ${Object.keys(states).join(', ')}`);
  }
  assert.equal(states['Decide retry'], undefined, 'no "Decide retry" state');
  // Every state is a JSONata state, so the run works inside a JSONPath workflow too.
  for (const [name, state] of Object.entries<Json>(states)) {
    assert.equal(state.QueryLanguage, 'JSONata', `"${name}" QueryLanguage`);
  }

  // The policy the decisions apply, as data in the variable "Start attempts" assigns, with the wait after each attempt.
  assert.equal(states['Retry or fail'].Type, 'Choice');
  const { waits, ...policy } = states['Start attempts'].Assign.retry_policy;
  assert.deepEqual(policy, EXPECTED_HOURLY_POLICY);
  assert.equal(waits.length, EXPECTED_HOURLY_POLICY.maxAttempts - 1, `waits: ${JSON.stringify(waits)}`);

  // Every attempt passes its number to the container, as a JSONata expression.
  assert.deepEqual(states['Run task'].Arguments.Overrides.ContainerOverrides, [{
    Name: 'report',
    Environment: [{ Name: ATTEMPT_VARIABLE, Value: '{% $string($retry_attempt) %}' }],
  }]);

  // The state machine logs at level ALL, without execution data, to a log group of its own that keeps a month.
  const logging = stateMachine.Properties.LoggingConfiguration;
  assert.equal(logging.Level, 'ALL');
  assert.equal(logging.IncludeExecutionData, false);
  assert.equal(logging.Destinations.length, 1);
  const [logGroupId, attribute] = logging.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'];
  assert.equal(attribute, 'Arn');
  const logGroup = template.toJSON().Resources[logGroupId];
  assert.equal(logGroup?.Type, 'AWS::Logs::LogGroup', `${logGroupId} is a log group`);
  assert.equal(logGroup.Properties.RetentionInDays, 30);

  // The metrics are counted from that log, in a namespace of the run's own: its construct path, '(' and ')' replaced.
  const namespace = 'RetryableEcsRunTask/HourlyReportStack/Hourly report _no Lambda_/Run';
  assert.equal(job.metricRetries().namespace, namespace);
  assert.equal(job.metricRetries().metricName, 'Retries');
  const filters = Object.values(template.findResources('AWS::Logs::MetricFilter'));
  assert.deepEqual(filters.map((f) => f.Properties.MetricTransformations[0].MetricName).sort(), ['AttemptsExhausted', 'NotRetryable', 'Retries']);
  for (const filter of filters) {
    assert.deepEqual(filter.Properties.LogGroupName, { Ref: logGroupId });
    assert.equal(filter.Properties.MetricTransformations[0].MetricNamespace, namespace);
  }

  return `typescript consumer: HourlyReportStack: STATE_MACHINE engine, ${Object.keys(states).length} JSONata states, `
    + `policy as passed, no Lambda function, ${filters.length} metric filters in ${namespace}, in ${path.dirname(templateFile)}`;
}

function checkSpotReport(templateFile: string): string {
  const templateJson = JSON.parse(fs.readFileSync(templateFile, 'utf8'));
  const template = Template.fromJSON(templateJson);

  // Still one state machine and one Lambda function: the fallback adds states, not functions.
  template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  template.resourceCountIs('AWS::Lambda::Function', 1);
  template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
    CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT']),
  });

  const [stateMachine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const definition = parseDefinition(stateMachine.Properties.DefinitionString);
  const states = definition.States;
  for (const state of ['Start attempts', 'Choose launch target', 'Run task', 'Run task on fallback', 'Decide retry', 'Next attempt']) {
    assert.ok(states[state], `"${state}" missing; states: ${Object.keys(states).join(', ')}`);
  }

  // The first attempt runs on the primary; "Choose launch target" sends a fallback placement to its own RunTask.
  assert.deepEqual(states['Start attempts'].Parameters.placement, { sizeIndex: 0, capacity: 'primary' });
  assert.equal(states['Start attempts'].Next, 'Choose launch target');
  assert.equal(states['Next attempt'].Next, 'Choose launch target');
  const choose = states['Choose launch target'];
  assert.deepEqual(choose.Choices, [{
    Variable: '$.retryableEcsRunTask.placement.capacity',
    StringEquals: 'fallback',
    Next: 'Run task on fallback',
  }]);
  assert.equal(choose.Default, 'Run task');

  // Each RunTask state names its own capacity provider, and both hand their failures to the decider.
  for (const [state, capacityProvider] of [['Run task', 'FARGATE_SPOT'], ['Run task on fallback', 'FARGATE']]) {
    const runTask = states[state];
    assert.match(runTask.Resource, /:states:::ecs:runTask\.sync$/, `${state} Resource`);
    assert.deepEqual(runTask.Parameters.CapacityProviderStrategy, [{ CapacityProvider: capacityProvider, Weight: 1 }], `${state} CapacityProviderStrategy`);
    assert.equal(runTask.Parameters.LaunchType, undefined, `${state} LaunchType`);
    assert.equal(runTask.Parameters.Overrides.Cpu, undefined, `${state}: no size override without outOfMemorySizes`);
    assert.equal(runTask.Catch[0].Next, 'Decide retry', `${state} Catch`);
  }

  // The decider gets the default fallback rules, and no size ladder.
  const payload = states['Decide retry'].Parameters;
  const policy = wholePolicy(templateJson, payload.policy);
  assert.deepEqual(policy.fallback, EXPECTED_FALLBACK_DEFAULTS);
  // Sent as `fallback: {}`: the run has a fallback, with the default rules.
  assert.deepEqual(payload.policy.fallback, {}, 'the default fallback rules are not sent');
  assert.equal(payload.policy.sizes, undefined, 'no policy.sizes sent without outOfMemorySizes');
  assert.equal(policy.sizes, undefined, 'no policy.sizes without outOfMemorySizes');
  assert.equal(policy.maxAttempts, 4);
  assert.equal(payload['placement.$'], '$.retryableEcsRunTask.placement');

  return `typescript consumer: SpotReportStack: FARGATE_SPOT then FARGATE, ${Object.keys(states).length} states, `
    + `default fallback rules, 1 Lambda function, in ${path.dirname(templateFile)}`;
}

function checkPartitionPipeline(templateFile: string): string {
  const templateJson = JSON.parse(fs.readFileSync(templateFile, 'utf8'));
  const template = Template.fromJSON(templateJson);

  // The user's state machine, and one Lambda function: the decider both fragments share.
  template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  template.resourceCountIs('AWS::Lambda::Function', 1);

  const [stateMachine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const definition = parseDefinition(stateMachine.Properties.DefinitionString);
  assert.equal(definition.StartAt, 'Each partition');
  assert.deepEqual(Object.keys(definition.States).sort(), ['A partition failed', 'Each partition']);
  const eachPartition = definition.States['Each partition'];
  assert.equal(eachPartition.Type, 'Map');
  assert.equal(eachPartition.ItemsPath, '$.partitions');
  assert.equal(eachPartition.MaxConcurrency, 10);
  assert.deepEqual(eachPartition.Catch, [{
    ErrorEquals: ['RetryableEcsRunTask.NotRetryable', 'RetryableEcsRunTask.AttemptsExhausted'],
    Next: 'A partition failed',
  }]);

  // Inside the Map: both fragments, each state prefixed with its construct id, Extract first.
  const processor = eachPartition.ItemProcessor;
  const inner = processor.States;
  assert.equal(processor.StartAt, 'Extract: Start attempts');
  const unprefixed = Object.keys(inner).filter((name) => !name.startsWith('Extract: ') && !name.startsWith('Load: '));
  assert.deepEqual(unprefixed, [], 'every state inside the Map has a fragment prefix');
  for (const [fragment, resultPath, exitCodes] of [['Extract', '$.extract', []], ['Load', '$.load', [75]]] as const) {
    for (const state of ['Start attempts', 'Run task', 'Decide retry', 'Retry or fail', 'Record result']) {
      assert.ok(inner[`${fragment}: ${state}`], `"${fragment}: ${state}" missing; states: ${Object.keys(inner).join(', ')}`);
    }
    const caught: string = inner[`${fragment}: Run task`].Catch[0].ResultPath;
    assert.ok(caught.startsWith(`${resultPath}.`), `${fragment}: Run task catches into ${caught}, not under ${resultPath}`);
    const payload = inner[`${fragment}: Decide retry`].Parameters;
    assert.equal(payload.run, `PartitionPipelineStack/Partitions/${fragment}`);
    // A fragment that sets no list gets every default; Load sets retryableExitCodes only.
    const policy = wholePolicy(templateJson, payload.policy);
    const { retryableStopCodes, retryableStoppedReasons, nonRetryableStoppedReasons, retryableErrors, nonRetryableErrorCauses, retryableExitCodes } = policy;
    assert.deepEqual(
      { retryableStopCodes, retryableStoppedReasons, nonRetryableStoppedReasons, retryableErrors, nonRetryableErrorCauses, retryableExitCodes },
      { ...EXPECTED_DEFAULTS, retryableExitCodes: exitCodes },
      `${fragment} policy lists`,
    );
  }
  return `typescript consumer: PartitionPipeline: a Map of ${Object.keys(inner).length} states from 2 fragments, `
    + `1 Lambda function, in ${path.dirname(templateFile)}`;
}

try {
  main();
} catch (error) {
  // A failed check: its message, without a stack trace through minified aws-cdk-lib.
  console.error(`typescript consumer: FAILED: ${error instanceof Error ? `${error.name}: ${error.message}` : error}`);
  process.exitCode = 1;
}
