import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RetryableEcsRunTaskFragment } from '../../src';
import { failure, successTask } from '../support/fixtures';
import { executeLocally, renderedDefinition } from '../support/local-execution';
import { testEnvironment } from '../support/stack';

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
      { day: 1, run: { attempts: 2, history: [expect.objectContaining({ attempt: 1, rule: 'retryableStopCode:SpotInterruption', waitSeconds: 5 })], task: successTask() } },
      { day: 2, run: { attempts: 1, history: [], task: successTask() } },
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
      extract: { attempts: 2, history: [expect.objectContaining({ rule: 'retryableStopCode:TaskFailedToStart' })], task: successTask() },
      load: { attempts: 1, history: [], task: successTask() },
    });
  });
});
