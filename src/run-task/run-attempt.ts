import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { AdaptivePlacement } from './adaptive-placement';
import { ClusterScopedEcsRunTask } from './cluster-scoped-ecs-run-task';
import { RetryableEcsRunTaskOptions } from '../retryable-ecs-run-task-options';

/** The RunTask props that depend on the engine: how the state reads its state and writes its result. */
export type EngineRunTaskProps = Pick<tasks.EcsRunTaskProps,
  'cpu' | 'memoryMiB' | 'containerOverrides' | 'resultSelector' | 'resultPath' | 'outputs' | 'queryLanguage'>;

/** The ECS task states of one attempt, and the state an attempt starts at. */
export interface RunAttempt {
  readonly runTask: tasks.EcsRunTask;
  /** The ECS task state on `fallbackLaunchTarget`, when the engine runs it in a state of its own. */
  readonly fallbackRunTask?: tasks.EcsRunTask;
  /** Every ECS task state: the primary one, then the fallback one. */
  readonly runTasks: tasks.EcsRunTask[];
  /** Where an attempt starts: the ECS task state, or the Choice of launch target before it. */
  readonly start: sfn.IChainable;
}

/**
 * How an engine runs an attempt on the fallback launch target: `choice` puts a state of its own
 * behind a Choice of the attempt's capacity; `oneState` runs every attempt in the one ECS task
 * state, which chooses the launch target itself.
 */
export interface TargetChoice {
  readonly choice?: (fallback: tasks.EcsRunTask, primary: tasks.EcsRunTask) => sfn.Choice;
  readonly oneState?: (id: string, runTaskProps: tasks.EcsRunTaskProps, fallbackTarget: tasks.IEcsLaunchTarget) => tasks.EcsRunTask;
}

/**
 * The ECS task state of an attempt, on the primary launch target and, with a fallback launch
 * target, on that one too, as the engine's `targetChoice` says. The engine supplies the props
 * that read the working state and write the result.
 */
export function runAttempt(
  scope: Construct,
  props: RetryableEcsRunTaskOptions,
  placement: AdaptivePlacement,
  primaryTarget: tasks.IEcsLaunchTarget,
  attemptTimeout: number | undefined,
  engineProps: EngineRunTaskProps,
  targetChoice: TargetChoice,
): RunAttempt {
  const runTaskProps: tasks.EcsRunTaskProps = {
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    cluster: props.cluster,
    taskDefinition: props.taskDefinition,
    launchTarget: primaryTarget,
    revisionNumber: props.revisionNumber,
    propagatedTagSource: props.propagatedTagSource,
    enableExecuteCommand: props.enableExecuteCommand,
    subnets: props.subnets,
    securityGroups: props.securityGroups,
    assignPublicIp: props.assignPublicIp,
    taskTimeout: attemptTimeout === undefined ? undefined : sfn.Timeout.duration(Duration.seconds(attemptTimeout)),
    ...engineProps,
  };
  if (placement.fallbackTarget && targetChoice.oneState) {
    const runTask = targetChoice.oneState('Run task', runTaskProps, placement.fallbackTarget);
    return { runTask, runTasks: [runTask], start: runTask };
  }
  const runTask = new ClusterScopedEcsRunTask(scope, 'Run task', runTaskProps);
  // Both targets share the network settings, the security groups included.
  const fallbackRunTask = placement.fallbackTarget && new ClusterScopedEcsRunTask(scope, 'Run task on fallback', {
    ...runTaskProps,
    launchTarget: placement.fallbackTarget,
    securityGroups: props.securityGroups
      ?? (props.taskDefinition.networkMode === ecs.NetworkMode.AWS_VPC ? runTask.connections.securityGroups : undefined),
  });
  if (!fallbackRunTask) {
    return { runTask, runTasks: [runTask], start: runTask };
  }
  if (!targetChoice.choice) {
    throw new Error('runAttempt: a fallback launch target needs a Choice or one state that chooses');
  }
  return { runTask, fallbackRunTask, runTasks: [runTask, fallbackRunTask], start: targetChoice.choice(fallbackRunTask, runTask) };
}
