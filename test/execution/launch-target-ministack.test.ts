import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { DecisionEngine, RetryableEcsRunTask, RetryDefaults, RetryErrors } from '../../src';
import { expectValidAsl } from '../support/asl-validation';
import { renderIntrinsic } from '../support/intrinsics';
import { MiniStack } from '../support/ministack';
import { deployToMiniStack, executeInMiniStack } from '../support/ministack-execution';
import { testEnvironment } from '../support/stack';

// The one ECS task state of a STATE_MACHINE run with a fallback launch target, executed in
// MiniStack with nothing mocked: its Step Functions evaluates the state's Arguments (with
// jsonata-python) and calls its ECS, which, as ECS does, refuses a RunTask request that holds
// both a launch type and a capacity provider strategy. Its ECS starts no containers (there is no
// Docker here), so a task never stops and `runTask.sync` ends in States.Timeout, which this run's
// policy retries on the fallback launch target.

const CLUSTER = 'jobs';
const FAMILY = 'nightly-report';
const TIMEOUT_CAUSE = 'ECS tasks did not complete in time';

/** The run's definition, with every reference made what MiniStack's ECS knows by name. */
function definition(): any {
  const { stack, cluster, taskDefinition } = testEnvironment();
  cluster.enableFargateCapacityProviders();
  new RetryableEcsRunTask(stack, 'Job', {
    cluster,
    taskDefinition,
    decisionEngine: DecisionEngine.STATE_MACHINE,
    maxAttempts: 2,
    interval: Duration.seconds(1),
    launchTarget: new tasks.EcsFargateLaunchTarget({
      platformVersion: ecs.FargatePlatformVersion.LATEST,
      capacityProviderOptions: tasks.CapacityProviderOptions.custom([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]),
    }),
    fallbackLaunchTarget: new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.VERSION1_4 }),
    retryableErrors: [...RetryDefaults.RETRYABLE_ERRORS, 'States.Timeout'],
    fallbackErrorCauses: [TIMEOUT_CAUSE],
  });
  const machine = Object.values(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'))[0];
  const rendered = JSON.parse(renderIntrinsic(machine.Properties.DefinitionString, {
    reference: (intrinsic: any) => {
      const [target] = intrinsic['Fn::GetAtt'] ?? [intrinsic.Ref];
      return target === 'AWS::Partition' ? 'aws'
        : target.startsWith('Cluster') ? `arn:aws:ecs:us-east-1:123456789012:cluster/${CLUSTER}`
          : target.includes('Subnet') ? `subnet-${target.slice(-8).toLowerCase()}`
            : `sg-${target.slice(-8).toLowerCase()}`;
    },
  }));
  expectValidAsl(rendered, 'The definition of the run with a fallback launch target');
  expect(rendered.States['Run task'].Arguments).toMatch(/^\{% \$merge\(\[/);
  expect(rendered.States['Run task'].Arguments).toContain('"Subnets":["subnet-');
  return rendered;
}

let ministack: MiniStack | undefined;
afterAll(async () => {
  await ministack?.stop();
});

/** Runs `machine` once in MiniStack, unmocked, and returns its execution and the ECS tasks it started, oldest first. */
async function execute(name: string, machine: any) {
  const arn = await deployToMiniStack(ministack!, name, machine);
  // Through executeInMiniStack, which holds the history to Step Functions' data limits.
  const { [name]: execution } = await executeInMiniStack(ministack!, arn, { [name]: { outcomes: [], unmocked: true } });
  const { results: [listed] } = await ministack!.call<{ results: any[] }>({
    command: 'ecs', calls: [{ operation: 'list_tasks', params: { cluster: CLUSTER, startedBy: '' } }],
  });
  const { results: [described] } = await ministack!.call<{ results: any[] }>({
    command: 'ecs', calls: [{ operation: 'describe_tasks', params: { cluster: CLUSTER, tasks: listed.taskArns.length > 0 ? listed.taskArns : ['none'] } }],
  });
  const started = (described.tasks as any[]).sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
  const requests = execution.events.filter((e: any) => e.type === 'TaskScheduled').map((e: any) => JSON.parse(e.taskScheduledEventDetails.parameters));
  return { execution, started, requests };
}

describe('the one ECS task state, in MiniStack with its ECS unmocked', () => {
  beforeAll(async () => {
    ministack = await MiniStack.start({ StateMachines: {}, MockedResponses: {} });
    await ministack.call({
      command: 'ecs',
      calls: [
        { operation: 'create_cluster', params: { clusterName: CLUSTER, capacityProviders: ['FARGATE', 'FARGATE_SPOT'] } },
        {
          operation: 'register_task_definition',
          params: {
            family: FAMILY,
            networkMode: 'awsvpc',
            requiresCompatibilities: ['FARGATE'],
            cpu: '256',
            memory: '512',
            containerDefinitions: [{ name: 'app', image: 'public.ecr.aws/docker/library/busybox:stable', essential: true }],
          },
        },
      ],
    });
  }, 120_000);

  test('runs the first attempt on Fargate Spot and the retry on Fargate: ECS accepts each request', async () => {
    const { execution, started, requests } = await execute('OneState', definition());

    // Both attempts timed out (the emulated tasks never stop), the second on the fallback.
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe(RetryErrors.ATTEMPTS_EXHAUSTED);
    expect(execution.cause).toMatch(/^Attempt 2 failed with States\.Timeout: ECS tasks did not complete in time \[rule: retryableError:States\.Timeout\] \[ran on fallback\]$/);
    // What Step Functions sent: only the attempt's own launch target.
    expect(requests.map((r: any) => [r.CapacityProviderStrategy, r.LaunchType, r.PlatformVersion])).toEqual([
      [[{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }], undefined, 'LATEST'],
      [undefined, 'FARGATE', '1.4.0'],
    ]);
    // What ECS started, as DescribeTasks tells it.
    expect(started.map((t: any) => [t.capacityProviderName ?? null, t.launchType])).toEqual([['FARGATE_SPOT', 'FARGATE'], [null, 'FARGATE']]);
    expect(started.map((t: any) => t.overrides.containerOverrides[0].environment)).toEqual([
      [{ name: 'RETRYABLE_ECS_RUN_TASK_ATTEMPT', value: '1' }],
      [{ name: 'RETRYABLE_ECS_RUN_TASK_ATTEMPT', value: '2' }],
    ]);
  }, 120_000);

  test('a request with both a launch type and a capacity provider strategy is refused: the check above can fail', async () => {
    const broken = definition();
    broken.States['Start attempts'].Assign.retry_targets.primary.LaunchType = 'FARGATE';

    const { execution, requests } = await execute('BothKeys', broken);

    expect(requests[0]).toMatchObject({ LaunchType: 'FARGATE', CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }] });
    expect(execution.error).toBe(RetryErrors.NOT_RETRYABLE);
    expect(execution.cause).toMatch(/^Attempt 1 failed with ECS\.RunTaskFailed: .*\[rule: errorNotRetryable:ECS\.RunTaskFailed\]/);
  }, 120_000);
});
