import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DecisionEngine, RetryableEcsRunTask, RetryErrors } from '../../src';
import { successTask } from '../support/fixtures';
import { executeLocally, LocalExecution, renderedDefinition } from '../support/local-execution';
import { MiniStack, SfnMockConfig } from '../support/ministack';
import { deployToMiniStack, executeInMiniStack, MiniStackExecution, MiniStackScenario, runTaskMockConfig } from '../support/ministack-execution';
import { testEnvironment } from '../support/stack';

// A run switches engines by changing `decisionEngine` alone: the same `containerOverrides`,
// written with JsonPath, reach the container with the same values on both engines.
//
// MiniStack 1.5.33 records no `parameters` in its `TaskScheduled` events, and a mocked ECS task
// state skips its Arguments altogether. So here the ECS task is not mocked: the RunTask call goes
// to MiniStack's own ECS, which keeps each task with the overrides it was started with, and the
// test reads them back with DescribeTasks. Without Docker, MiniStack's tasks never stop, so each
// run ends when Step Functions gives up waiting for its task (States.Timeout, not retryable).
// The Lambda engine also runs in aws-local-stepfunctions, where the ECS task input is recorded.

const INPUT = { mode: 'full', args: ['--since', '2026-11-01', '--dry-run'] };
const ATTEMPT_VARIABLE = 'RETRYABLE_ECS_RUN_TASK_ATTEMPT';
/** The execution id `executeLocally` gives its executions. */
const LOCAL_EXECUTION_ID = 'arn:aws:states:us-east-1:123456789012:execution:test:local';

/** The run with its overrides written once, with JsonPath, on `decisionEngine`. */
function run(decisionEngine: DecisionEngine) {
  const { stack, cluster, taskDefinition } = testEnvironment();
  new RetryableEcsRunTask(stack, 'Job', {
    cluster,
    taskDefinition,
    decisionEngine,
    containerOverrides: [{
      containerDefinition: taskDefinition.defaultContainer!,
      environment: [
        { name: 'MODE', value: sfn.JsonPath.stringAt('$.mode') },
        { name: 'EXECUTION', value: sfn.JsonPath.executionId },
      ],
      command: sfn.JsonPath.listAt('$.args'),
    }],
  });
  return { definition: renderedDefinition(stack), family: taskDefinition.family };
}

/**
 * The definition with every ECS task state on MiniStack's cluster `cluster`: the rendered
 * definition names the cluster by a placeholder for its deploy-time ARN.
 */
function onCluster(definition: any, cluster: string): any {
  const copy = structuredClone(definition);
  for (const state of Object.values<any>(copy.States)) {
    if (String(state.Resource).includes(':states:::ecs:runTask')) {
      (state.Arguments ?? state.Parameters).Cluster = `arn:aws:ecs:us-east-1:123456789012:cluster/${cluster}`;
    }
  }
  return copy;
}

/** Calls MiniStack's ECS API (JSON protocol). MiniStack reads the account from the credential scope and checks no signature. */
async function ecs(ministack: MiniStack, action: string, request: unknown): Promise<any> {
  const response = await fetch(ministack.endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': `AmazonEC2ContainerServiceV20141113.${action}`,
      'Authorization': 'AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=unsigned',
    },
    body: JSON.stringify(request),
  });
  const body = await response.json();
  if (!response.ok) {
    throw new Error(`ECS ${action} failed: ${JSON.stringify(body)}`);
  }
  return body;
}

/** The container overrides of every task started on `cluster`, as MiniStack's ECS keeps them. */
async function containerOverridesOn(ministack: MiniStack, cluster: string): Promise<any[]> {
  const { taskArns } = await ecs(ministack, 'ListTasks', { cluster });
  if (taskArns.length === 0) {
    return [];
  }
  const { tasks } = await ecs(ministack, 'DescribeTasks', { cluster, tasks: taskArns });
  return tasks.map((task: any) => task.overrides.containerOverrides);
}

/** The machines in MiniStack, by name: one per engine, each on its own cluster. */
const MACHINES = { StateMachineEngine: DecisionEngine.STATE_MACHINE, LambdaEngine: DecisionEngine.LAMBDA_FUNCTION };
/** One execution per machine, whose ECS task is not mocked. */
const SCENARIOS: Record<string, MiniStackScenario> = { 'engine-switch': { outcomes: [], input: INPUT } };

let ministack: MiniStack | undefined;
const executions: Record<string, MiniStackExecution> = {};
const received: Record<string, any[]> = {};
let local: LocalExecution;

beforeAll(async () => {
  // The test case names no ECS task state: MiniStack runs the RunTask call against its own ECS.
  const configs = Object.keys(MACHINES).map((name) => runTaskMockConfig(name, SCENARIOS, []));
  const mockConfig: SfnMockConfig = {
    StateMachines: Object.assign({}, ...configs.map((c) => c.StateMachines)),
    MockedResponses: Object.assign({}, ...configs.map((c) => c.MockedResponses)),
  };
  ministack = await MiniStack.start(mockConfig);
  for (const [name, decisionEngine] of Object.entries(MACHINES)) {
    const { definition, family } = run(decisionEngine);
    await ecs(ministack, 'RegisterTaskDefinition', {
      family,
      containerDefinitions: [{ name: 'app', image: 'public.ecr.aws/docker/library/busybox:stable', essential: true }],
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
    });
    await ecs(ministack, 'CreateCluster', { clusterName: name });
    const arn = await deployToMiniStack(ministack, name, onCluster(definition, name));
    executions[name] = (await executeInMiniStack(ministack, arn, SCENARIOS, []))['engine-switch'];
    received[name] = await containerOverridesOn(ministack, name);
  }
  local = await executeLocally(run(DecisionEngine.LAMBDA_FUNCTION).definition, { outcomes: [{ succeed: successTask() }], input: INPUT });
}, 180_000);

afterAll(async () => {
  await ministack?.stop();
});

// The decider logs one line per decision in-process; keep test output readable.
beforeAll(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));
afterAll(() => jest.restoreAllMocks());

/** What the container of the one task `machine` started receives. */
function containerOf(machine: string) {
  expect(received[machine]).toHaveLength(1);
  expect(received[machine][0]).toHaveLength(1);
  return received[machine][0][0];
}

describe('the same JsonPath containerOverrides on both engines', () => {
  test.each(Object.keys(MACHINES))('%s, in MiniStack: the container receives the mode, the execution id and the args', (machine) => {
    const container = containerOf(machine);

    expect(container).toEqual({
      name: 'app',
      command: ['--since', '2026-11-01', '--dry-run'],
      environment: [
        { name: 'MODE', value: 'full' },
        { name: 'EXECUTION', value: expect.stringMatching(new RegExp(`^arn:aws:states:us-east-1:123456789012:execution:${machine}:[0-9a-f-]{36}$`)) },
        { name: ATTEMPT_VARIABLE, value: '1' },
      ],
    });
  });

  test('in MiniStack, both engines give the container the same values, each its own execution id', () => {
    const withoutExecution = (container: any) => ({ ...container, environment: container.environment.filter((e: any) => e.name !== 'EXECUTION') });
    const execution = (container: any) => container.environment.find((e: any) => e.name === 'EXECUTION').value;

    expect(withoutExecution(containerOf('StateMachineEngine'))).toEqual(withoutExecution(containerOf('LambdaEngine')));
    expect(execution(containerOf('StateMachineEngine'))).not.toEqual(execution(containerOf('LambdaEngine')));
  });

  test.each(Object.keys(MACHINES))('%s, in MiniStack: the run ends when Step Functions stops waiting for the task, which never stops', (machine) => {
    // Only the wait for the task failed: the RunTask call itself, with the values above, succeeded.
    expect(executions[machine]).toMatchObject({ status: 'FAILED', error: RetryErrors.NOT_RETRYABLE });
    expect(executions[machine].cause).toBe(
      'Attempt 1 failed with States.Timeout: ECS tasks did not complete in time [rule: errorNotRetryable:States.Timeout]');
  });

  test('LambdaEngine, in aws-local-stepfunctions: the ECS task is called with the mode, the execution id and the args', () => {
    expect(local.status).toBe('SUCCEEDED');
    expect(local.runTaskInputs).toHaveLength(1);
    expect(local.runTaskInputs[0].Overrides.ContainerOverrides).toEqual([{
      Name: 'app',
      Command: ['--since', '2026-11-01', '--dry-run'],
      Environment: [
        { Name: 'MODE', Value: 'full' },
        { Name: 'EXECUTION', Value: LOCAL_EXECUTION_ID },
        { Name: ATTEMPT_VARIABLE, Value: '1' },
      ],
    }]);
  });
});
