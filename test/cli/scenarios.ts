import { Duration, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { RetryableEcsRunTask, RetryableEcsRunTaskFragment, RetryableEcsRunTaskProps } from '../../src';
import { HistoryOptions, toExecutionHistory } from '../support/execution-history';
import { failure, successTask } from '../support/fixtures';
import { ExecuteOptions, executeLocally, LocalExecution, Outcome, renderedDefinition } from '../support/local-execution';
import { testEnvironment } from '../support/stack';

export const ok: Outcome = { succeed: successTask() };
export const fail = (name: string): Outcome => ({ fail: failure(name) });

/** A local execution and the history AWS would print for it. */
export interface Scenario {
  readonly execution: LocalExecution;
  readonly history: { events: any[] };
}

/** The decider logs one line per decision; keep test output readable while a scenario runs. */
async function quietly<T>(body: () => Promise<T>): Promise<T> {
  const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return await body();
  } finally {
    write.mockRestore();
  }
}

/** A standalone `Job` (`TestStack/Job/Run`) with a deterministic policy, executed locally. */
export function standalone(
  props: Partial<RetryableEcsRunTaskProps>, options: ExecuteOptions, history?: HistoryOptions,
): Promise<Scenario> {
  const { stack, cluster, taskDefinition } = testEnvironment();
  new RetryableEcsRunTask(stack, 'Job', {
    cluster,
    taskDefinition,
    maxAttempts: 3,
    interval: Duration.seconds(10),
    backoffRate: 2,
    maxDelay: Duration.minutes(1),
    jitterStrategy: sfn.JitterType.NONE,
    retryableExitCodes: [75],
    ...props,
  });
  return run(stack, options, history);
}

/** A fragment `Job` (`TestStack/Job`, states `Job: …`) inside a Map over `$.partitions`. */
export function inMap(options: Omit<ExecuteOptions, 'statePrefixes'>, history?: HistoryOptions): Promise<Scenario> {
  const { stack, cluster, taskDefinition } = testEnvironment();
  const job = new RetryableEcsRunTaskFragment(stack, 'Job', {
    cluster, taskDefinition, maxAttempts: 2, interval: Duration.seconds(5), jitterStrategy: sfn.JitterType.NONE, resultPath: '$.run',
  });
  const map = new sfn.Map(stack, 'Each partition', { itemsPath: '$.partitions', maxConcurrency: 1 });
  map.itemProcessor(job);
  new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(map) });
  return run(stack, { ...options, statePrefixes: ['Job: '] }, history);
}

/** Fargate Spot first, on-demand Fargate as the fallback, and two sizes above 256 CPU / 512 MiB. */
export const adaptiveProps = (): Partial<RetryableEcsRunTaskProps> => ({
  maxAttempts: 4,
  launchTarget: new tasks.EcsFargateLaunchTarget({
    platformVersion: ecs.FargatePlatformVersion.LATEST,
    capacityProviderOptions: tasks.CapacityProviderOptions.custom([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]),
  }),
  fallbackLaunchTarget: new tasks.EcsFargateLaunchTarget({
    platformVersion: ecs.FargatePlatformVersion.LATEST,
    capacityProviderOptions: tasks.CapacityProviderOptions.custom([{ capacityProvider: 'FARGATE', weight: 1 }]),
  }),
  outOfMemorySizes: [{ cpu: 512, memoryMiB: 1024 }, { cpu: 1024, memoryMiB: 2048 }],
});

async function run(stack: Stack, options: ExecuteOptions, history?: HistoryOptions): Promise<Scenario> {
  const definition = renderedDefinition(stack);
  const execution = await quietly(() => executeLocally(definition, options));
  return { execution, history: toExecutionHistory(definition, execution, history) };
}
