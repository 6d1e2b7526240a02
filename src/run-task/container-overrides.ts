import { Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

/**
 * The container overrides of every attempt: the user's, the memory limits an attempt's size
 * sets (`memoryLimits`, by container name), and the attempt-number variable for every container
 * of the task definition. `attemptValue` is the variable's value as the engine renders it: a
 * JSONPath intrinsic or a JSONata expression that yields the attempt number as a string.
 */
export function renderContainerOverrides(
  scope: Construct,
  taskDefinition: ecs.TaskDefinition,
  overrides: tasks.ContainerOverride[],
  variable: string,
  attemptValue: string,
  memoryLimits: Map<string, number>,
): tasks.ContainerOverride[] | undefined {
  const sized = withMemoryLimits(taskDefinition, overrides, memoryLimits);
  if (variable === '') {
    return sized.length > 0 ? sized : undefined;
  }
  return withAttemptVariable(scope, taskDefinition, sized, variable, attemptValue);
}

/** Sets the memory limit of each container in `memoryLimits`, merged with the user's override. */
function withMemoryLimits(
  taskDefinition: ecs.TaskDefinition, overrides: tasks.ContainerOverride[], memoryLimits: Map<string, number>,
): tasks.ContainerOverride[] {
  const byContainer = new Map(overrides.map((o) => [o.containerDefinition.containerName, o]));
  const sized = containersOf(taskDefinition)
    .filter((container) => memoryLimits.has(container.containerName))
    .map((container) => ({
      ...byContainer.get(container.containerName),
      containerDefinition: container,
      memoryLimit: memoryLimits.get(container.containerName),
    }));
  const sizedNames = new Set(sized.map((o) => o.containerDefinition.containerName));
  return [...sized, ...overrides.filter((o) => !sizedNames.has(o.containerDefinition.containerName))];
}

/**
 * Adds the attempt-number variable to an override of every container in the task definition,
 * merged with the given overrides.
 */
function withAttemptVariable(
  scope: Construct,
  taskDefinition: ecs.TaskDefinition,
  overrides: tasks.ContainerOverride[],
  variable: string,
  attemptValue: string,
): tasks.ContainerOverride[] {
  const containers = containersOf(taskDefinition);
  if (containers.length === 0) {
    throw new Error(
      `\`taskDefinition\` ${taskDefinition.node.path} has no containers: add them before creating the retrying run, so that each receives \`${variable}\`.`,
    );
  }
  // Containers added later would run without the attempt number: say so at synth time.
  scope.node.addValidation({
    validate: () => containersOf(taskDefinition).length === containers.length ? [] : [
      `\`taskDefinition\` ${taskDefinition.node.path} got containers after the retrying run was created; they would not receive \`${variable}\`. Add every container first.`,
    ],
  });

  const byContainer = new Map(overrides.map((o) => [o.containerDefinition.containerName, o]));
  for (const o of overrides) {
    for (const env of o.environment ?? []) {
      if (!Token.isUnresolved(env.name) && env.name === variable) {
        throw new Error(
          `\`containerOverrides\` for container '${o.containerDefinition.containerName}' already sets \`${variable}\`, which carries the attempt number; choose another \`attemptEnvironmentVariable\`, or '' to pass none.`,
        );
      }
    }
  }
  const merged = containers.map((container) => {
    const own = byContainer.get(container.containerName);
    byContainer.delete(container.containerName);
    return {
      ...own,
      containerDefinition: container,
      environment: [...(own?.environment ?? []), { name: variable, value: attemptValue }],
    };
  });
  // Overrides for containers this task definition does not list pass through unchanged.
  return [...merged, ...byContainer.values()];
}

function containersOf(taskDefinition: ecs.TaskDefinition): ecs.ContainerDefinition[] {
  return taskDefinition.node.children.filter((c): c is ecs.ContainerDefinition => c instanceof ecs.ContainerDefinition);
}
