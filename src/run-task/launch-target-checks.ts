import { Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { RetryableEcsRunTaskOptions } from '../retryable-ecs-run-task-options';

/** The launch target props of a run, by name. */
type LaunchTargetProp = 'launchTarget' | 'fallbackLaunchTarget';

/**
 * Fails, naming the prop, when a launch target cannot run the task definition: an
 * `EcsEc2LaunchTarget` for a task definition not compatible with EC2, or an
 * `EcsFargateLaunchTarget` (the default `launchTarget` included) for one not compatible with
 * Fargate. CDK itself fails later, when the state machine renders, with "Supplied
 * TaskDefinition is not compatible with EC2", which names neither prop. A launch target of
 * another class is left to its own `bind`.
 */
export function checkLaunchTargets(props: RetryableEcsRunTaskOptions): void {
  checkCompatibility('launchTarget', props.launchTarget, props.taskDefinition);
  if (props.fallbackLaunchTarget !== undefined) {
    checkCompatibility('fallbackLaunchTarget', props.fallbackLaunchTarget, props.taskDefinition);
  }
}

function checkCompatibility(prop: LaunchTargetProp, target: tasks.IEcsLaunchTarget | undefined, taskDefinition: ecs.TaskDefinition): void {
  const compatibility = ecs.Compatibility[taskDefinition.compatibility] ?? String(taskDefinition.compatibility);
  const incompatible = `\`taskDefinition\` ${taskDefinition.node.path} is not compatible with`;
  if (target instanceof tasks.EcsEc2LaunchTarget && !taskDefinition.isEc2Compatible) {
    throw new Error(
      `\`${prop}\` runs the task on EC2, but ${incompatible} EC2 (its compatibility is ${compatibility}), got: EcsEc2LaunchTarget. `
      + `Make \`${prop}\` an EcsFargateLaunchTarget, or use a task definition compatible with EC2: an Ec2TaskDefinition, `
      + 'or a TaskDefinition with compatibility EC2_AND_FARGATE.',
    );
  }
  if ((target === undefined || target instanceof tasks.EcsFargateLaunchTarget) && !taskDefinition.isFargateCompatible) {
    const [runsOnFargate, received, change] = target === undefined
      ? [`\`${prop}\` is not set, so the task runs on Fargate`, 'undefined', `Set \`${prop}\` to`]
      : [`\`${prop}\` runs the task on Fargate`, 'EcsFargateLaunchTarget', `Make \`${prop}\``];
    throw new Error(
      `${runsOnFargate}, but ${incompatible} Fargate (its compatibility is ${compatibility}), got: ${received}. `
      + `${change} an EcsEc2LaunchTarget, or use a task definition compatible with Fargate: a FargateTaskDefinition, `
      + 'or a TaskDefinition with compatibility EC2_AND_FARGATE.',
    );
  }
}

/**
 * The RunTask parameters a launch target puts, resolved, or undefined when it cannot be bound
 * here. Read through `bind`, the one API every aws-cdk-lib release of the peer range has: a
 * target's capacity provider options exist only from 2.234.
 */
export function launchTargetParameters(
  scope: Construct, target: tasks.IEcsLaunchTarget, props: RetryableEcsRunTaskOptions,
): { [key: string]: any } | undefined {
  try {
    const options = { taskDefinition: props.taskDefinition, cluster: props.cluster };
    return Stack.of(scope).resolve(target.bind(undefined as unknown as tasks.EcsRunTask, options).parameters ?? {});
  } catch {
    return undefined;
  }
}
