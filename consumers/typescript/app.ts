// A user's CDK app that installs the packed cdk-retryable-ecs-run-task tarball, synthesizes a
// stack with it and checks its own cloud assembly. Any failed check throws, so the process exits
// non-zero. consumers/run.sh runs it in a temporary directory; it never deploys.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RetryableEcsRunTask, RetryDefaults, TaskStopCode } from 'cdk-retryable-ecs-run-task';
import { Construct } from 'constructs';

// The same stack as the Python and Java consumers (and README's Python and Java examples).
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
    });
  }
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

function main(): void {
  const app = new App({ outdir: process.env.CDK_OUTDIR ?? 'cdk.out' });
  const stack = new NightlyReportStack(app, 'NightlyReportStack');
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
  assert.ok(stack.job.decider.functionArn, 'job.decider is set');

  // The policy passed above is rendered into the decider's payload.
  const [stateMachine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const definition = parseDefinition(stateMachine.Properties.DefinitionString);
  const decide = definition.States['Decide retry'];
  assert.ok(decide, `"Decide retry" state missing; states: ${Object.keys(definition.States).join(', ')}`);
  assert.deepEqual(decide.Parameters.Payload.policy, EXPECTED_POLICY);
  assert.equal(definition.TimeoutSeconds, 8 * 3600);

  // The decider's code asset was staged into the cloud assembly, and its index.js is not empty.
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
  const s3Key: string = fn.Properties.Code.S3Key;
  assert.equal(typeof s3Key, 'string', `Lambda Code.S3Key: ${JSON.stringify(fn.Properties.Code)}`);
  const manifests = fs.readdirSync(assembly.directory).filter((f) => f.endsWith('.assets.json'));
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
}

try {
  main();
} catch (error) {
  // A failed check: its message, without a stack trace through minified aws-cdk-lib.
  console.error(`typescript consumer: FAILED: ${error instanceof Error ? `${error.name}: ${error.message}` : error}`);
  process.exitCode = 1;
}
