import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RetryableEcsRunTaskFragment, TaskResult } from '../../src';
import type { DataLimitExpectation } from '../support/execution-limits';
import { failure, successTask, taskSummary } from '../support/fixtures';
import { executeLocally, renderedDefinition } from '../support/local-execution';
import { testEnvironment } from '../support/stack';
import { MAX_PAYLOAD_BYTES } from '../support/step-functions-limits';

// The decider logs one line per decision; keep test output readable.
beforeAll(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));

describe('RetryableEcsRunTaskFragment embedded in a workflow, executed locally', () => {
  test('runs per item inside a Map state, each item with its own retries and result', async () => {
    // GIVEN
    const { stack, cluster, taskDefinition } = testEnvironment();
    const job = new RetryableEcsRunTaskFragment(stack, 'Job', {
      cluster,
      taskDefinition,
      interval: Duration.seconds(5),
      jitterStrategy: sfn.JitterType.NONE,
      resultPath: '$.run',
    });
    const map = new sfn.Map(stack, 'Each partition', { itemsPath: '$.partitions', maxConcurrency: 1 });
    map.itemProcessor(job);
    new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(map) });

    // WHEN
    const result = await executeLocally(renderedDefinition(stack), {
      input: { partitions: [{ day: 1 }, { day: 2 }] },
      statePrefixes: ['Job: '],
      outcomes: [{ fail: failure('spot-interruption') }, { succeed: successTask() }, { succeed: successTask() }],
    });

    // THEN
    expect(result.status).toBe('SUCCEEDED');
    expect(result.runTaskCalls).toBe(3);
    expect(result.output).toEqual([
      { day: 1, run: { attempts: 2, history: [expect.objectContaining({ attempt: 1, rule: 'retryableStopCode:SpotInterruption', waitSeconds: 5 })], task: taskSummary(successTask()) } },
      { day: 2, run: { attempts: 1, history: [], task: taskSummary(successTask()) } },
    ]);
  });

  test('two instances chained in one workflow keep their own state names and results', async () => {
    // GIVEN
    const { stack, cluster, taskDefinition } = testEnvironment();
    const loadTask = new ecs.FargateTaskDefinition(stack, 'LoadTaskDef');
    loadTask.addContainer('loader', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable') });
    const extract = new RetryableEcsRunTaskFragment(stack, 'Extract', { cluster, taskDefinition, resultPath: '$.extract', maxAttempts: 2 });
    const load = new RetryableEcsRunTaskFragment(stack, 'Load', { cluster, taskDefinition: loadTask, resultPath: '$.load', maxAttempts: 2 });
    new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(extract.next(load)) });

    // WHEN
    const definition = renderedDefinition(stack);

    // THEN: every state name is unique and carries its fragment's prefix
    const names = Object.keys(definition.States);
    expect(names.filter((n) => n.startsWith('Extract: '))).toHaveLength(names.length / 2);
    expect(names.filter((n) => n.startsWith('Load: '))).toHaveLength(names.length / 2);
    expect(definition.StartAt).toBe('Extract: Start attempts');

    const result = await executeLocally(definition, {
      input: { batch: 7 },
      statePrefixes: ['Extract: ', 'Load: '],
      outcomes: [{ fail: failure('resource-initialization-error') }, { succeed: successTask() }, { succeed: successTask() }],
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.runTaskInputs.map((i) => i.TaskDefinition.includes('LoadTaskDef'))).toEqual([false, false, true]);
    expect(result.output).toEqual({
      batch: 7,
      extract: { attempts: 2, history: [expect.objectContaining({ rule: 'retryableStopCode:TaskFailedToStart' })], task: taskSummary(successTask()) },
      load: { attempts: 1, history: [], task: taskSummary(successTask()) },
    });
  });

  test('keeps the whole task description when asked to', async () => {
    const { stack, cluster, taskDefinition } = testEnvironment();
    const job = new RetryableEcsRunTaskFragment(stack, 'Job', { cluster, taskDefinition, taskResult: TaskResult.FULL });
    new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(job) });
    const result = await executeLocally(renderedDefinition(stack), { statePrefixes: ['Job: '], outcomes: [{ succeed: successTask() }] });
    expect(result.output.retryableEcsRunTask.task).toEqual(successTask());
  });

  test('a summary does not fail on a container without an exit code', async () => {
    const { stack, cluster, taskDefinition } = testEnvironment();
    const job = new RetryableEcsRunTaskFragment(stack, 'Job', { cluster, taskDefinition });
    new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(job) });
    const task = successTask() as any;
    task.Containers = [...task.Containers, { Name: 'sidecar', LastStatus: 'STOPPED' }];
    const result = await executeLocally(renderedDefinition(stack), { statePrefixes: ['Job: '], outcomes: [{ succeed: task }] });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output.retryableEcsRunTask.task).toMatchObject({ ContainerNames: ['app', 'sidecar'], ExitCodes: [0] });
  });
});

describe('a Map of 100 retrying runs and the 256 KiB payload limit', () => {

  /** A task description the size real ones have (2 to 10 KB): a sidecar, ENI details, tags, overrides. */
  function realisticTask(): Record<string, any> {
    const task = successTask() as any;
    const container = (name: string) => ({
      ...task.Containers[0],
      Name: name,
      ContainerArn: `${task.ContainerArn ?? 'arn:aws:ecs:us-east-1:123456789012:container/jobs/0f1e2d3c4b5a69788796a5b4c3d2e1f0'}/${name}`,
      ImageDigest: 'sha256:4a1f0b3c2d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8',
      RuntimeId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0-1234567890',
      NetworkInterfaces: [{ AttachmentId: '8c9d0e1f-2a3b-4c5d-6e7f-8091a2b3c4d5', PrivateIpv4Address: '10.0.12.34' }],
      HealthStatus: 'UNKNOWN',
      Cpu: '0',
      Memory: '512',
      ManagedAgents: [],
      NetworkBindings: [],
    });
    task.Containers = [container('app'), container('log-router')];
    task.Attachments[0].Details.push(
      { Name: 'macAddress', Value: '0a:1b:2c:3d:4e:5f' },
      { Name: 'privateDnsName', Value: 'ip-10-0-12-34.ec2.internal' },
      { Name: 'privateIPv4Address', Value: '10.0.12.34' },
    );
    task.Overrides = {
      ContainerOverrides: [{ Name: 'app', Environment: [{ Name: 'RETRYABLE_ECS_RUN_TASK_ATTEMPT', Value: '1' }, { Name: 'PARTITION', Value: '2026-11-29' }] }, { Name: 'log-router' }],
      InferenceAcceleratorOverrides: [],
    };
    task.Tags = Array.from({ length: 8 }, (_, i) => ({ Key: `team-tag-${i}`, Value: `cost-centre-value-${i}` }));
    task.EphemeralStorage = { SizeInGiB: 20 };
    task.FargateEphemeralStorage = { SizeInGiB: 20 };
    task.PullStartedAt = task.CreatedAt;
    task.PullStoppedAt = task.StartedAt;
    task.ExecutionStoppedAt = task.StoppedAt;
    task.CapacityProviderName = 'FARGATE';
    task.HealthStatus = 'UNKNOWN';
    task.EnableExecuteCommand = false;
    return task;
  }

  async function runMap(taskResult: TaskResult, expectation: DataLimitExpectation = {}) {
    const { stack, cluster, taskDefinition } = testEnvironment();
    const job = new RetryableEcsRunTaskFragment(stack, 'Job', { cluster, taskDefinition, taskResult, resultPath: '$.run' });
    const map = new sfn.Map(stack, 'Each partition', { itemsPath: '$.partitions', maxConcurrency: 1 }).itemProcessor(job);
    new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(map) });
    const partitions = Array.from({ length: 100 }, (_, i) => ({ partition: i }));
    // Every item retries once: a history entry each, as on a bad night.
    const outcomes = partitions.flatMap(() => [{ fail: failure('resource-initialization-error') }, { succeed: realisticTask() }]);
    const result = await executeLocally(renderedDefinition(stack), { input: { partitions }, statePrefixes: ['Job: '], outcomes, ...expectation });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toHaveLength(100);
    return { bytes: Buffer.byteLength(JSON.stringify(result.output)), violations: result.dataLimitViolations };
  }

  test('a realistic task description is 2 to 10 KB', () => {
    const bytes = Buffer.byteLength(JSON.stringify(realisticTask()));
    expect(bytes).toBeGreaterThan(2_000);
    expect(bytes).toBeLessThan(10_000);
  });

  test('with the summary (the fragment default) the Map output stays under half the limit', async () => {
    const { bytes } = await runMap(TaskResult.SUMMARY);
    expect(bytes).toBeLessThan(MAX_PAYLOAD_BYTES / 2);
  }, 60_000);

  test('with the whole task description the same Map passes the limit', async () => {
    // On purpose: Step Functions would fail this execution with States.DataLimitExceeded at the
    // Map's output. Locally it runs on; the harness finds where the limit is passed, and nowhere else.
    const { bytes, violations } = await runMap(TaskResult.FULL, { expectDataLimitExceeded: true });
    expect(bytes).toBeGreaterThan(MAX_PAYLOAD_BYTES);
    expect(violations.map((v) => [v.state, v.what, v.size])).toEqual([
      ['Each partition', 'the output', bytes],
      [undefined, 'the execution output', bytes],
    ]);
  }, 60_000);
});
