import { Annotations, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { RetryableEcsRunTaskOptions } from '../retryable-ecs-run-task-options';

/** The launch target props of a run, by name. */
type LaunchTargetProp = 'launchTarget' | 'fallbackLaunchTarget';

/** The capacity providers every account has, which only need to be associated with a cluster. */
const FARGATE_CAPACITY_PROVIDERS = ['FARGATE', 'FARGATE_SPOT'];

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
 * Warns, naming the prop and the provider, when a launch target's capacity provider strategy
 * names FARGATE or FARGATE_SPOT and the cluster has no such capacity provider: RunTask refuses a
 * capacity provider the cluster is not associated with, so every attempt on that target would
 * fail. Capacity providers can be enabled after the run is created, so the check waits for
 * synthesis. A warning rather than an error: a cluster imported with `fromClusterAttributes`
 * cannot tell (no warning), and the association may be made outside the `Cluster` construct.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html#ECS-CreateCluster-request-capacityProviders
 */
export function warnAboutMissingCapacityProviders(scope: Construct, props: RetryableEcsRunTaskOptions, primaryTarget: tasks.IEcsLaunchTarget): void {
  const cluster = props.cluster;
  if (!(cluster instanceof ecs.Cluster)) {
    return;
  }
  const targets: [LaunchTargetProp, tasks.IEcsLaunchTarget][] = [['launchTarget', primaryTarget]];
  if (props.fallbackLaunchTarget !== undefined) {
    targets.push(['fallbackLaunchTarget', props.fallbackLaunchTarget]);
  }
  // A validation that only warns: it runs once the app's code, and the aspects, have run, so it
  // sees capacity providers enabled after the run was created. Annotations skip repeated messages.
  scope.node.addValidation({
    validate: () => {
      for (const [prop, target] of targets) {
        for (const provider of capacityProviders(scope, target, props)) {
          if (FARGATE_CAPACITY_PROVIDERS.includes(provider) && !cluster.capacityProviderNames.includes(provider)) {
            Annotations.of(scope).addWarningV2('cdk-retryable-ecs-run-task:capacityProviderNotInCluster',
              `\`${prop}\` runs the task on capacity provider ${provider}, but cluster ${cluster.node.path} has no ${provider} capacity provider, `
              + 'so RunTask would refuse every attempt on it. Set `enableFargateCapacityProviders: true` on the cluster, or call '
              + '`cluster.enableFargateCapacityProviders()`. If the capacity provider is associated with the cluster elsewhere, acknowledge this warning.');
          }
        }
      }
      return [];
    },
  });
}

/** The capacity providers a launch target's strategy names: none for a launch type, or a target that cannot tell. */
function capacityProviders(scope: Construct, target: tasks.IEcsLaunchTarget, props: RetryableEcsRunTaskOptions): string[] {
  const strategy = launchTargetParameters(scope, target, props)?.CapacityProviderStrategy;
  return Array.isArray(strategy) ? strategy.map((s) => s?.CapacityProvider).filter((p): p is string => typeof p === 'string') : [];
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
