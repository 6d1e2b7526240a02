import { truncate } from './engine-text';
import { MAX_CONTAINER_NAME_LENGTH, MAX_READ_CONTAINERS } from './history-bounds';
import { readJson } from './json-text';
import { field, stringField } from './json-values';
import { salvageStoppedTask } from './truncated-cause';
import type { ContainerExit } from './wire';

/** The parts of a stopped ECS task description that classification reads. */
export interface StoppedTask {
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  /**
   * Non-empty `Containers[].Reason` strings, in order. On EC2 the task's stopped reason is often
   * generic ("Task failed to start") and the container's reason names the real error.
   */
  readonly containerReasons: string[];
  readonly exits: ContainerExit[];
}

/**
 * Reads a stopped-task description from a Catch `Cause`: a JSON string, already an object, or a
 * JSON string that Step Functions cut short.
 */
export function parseStoppedTask(cause: unknown): StoppedTask | undefined {
  let task = cause;
  if (typeof cause === 'string') {
    const json = readJson(cause);
    const salvaged = json ? undefined : salvageStoppedTask(cause);
    // What survives of a description cut short is read under the names of a whole one.
    task = json ? json.value : salvaged && { StopCode: salvaged.stopCode, StoppedReason: salvaged.stoppedReason, Containers: salvaged.containers };
  }
  const stopCode = stringField(task, 'StopCode');
  const stoppedReason = stringField(task, 'StoppedReason');
  const containers = field(task, 'Containers');
  // A task description names at least one of these; anything else is some other JSON.
  if (stopCode === undefined && stoppedReason === undefined && !Array.isArray(containers) && stringField(task, 'TaskArn') === undefined) {
    return undefined;
  }
  return { stopCode, stoppedReason, ...readContainers(containers) };
}

/** The non-empty reasons, and the integer exit codes by container name, of the first `MAX_READ_CONTAINERS` containers. */
function readContainers(value: unknown): Pick<StoppedTask, 'containerReasons' | 'exits'> {
  const containers = Array.isArray(value) ? value.slice(0, MAX_READ_CONTAINERS) : [];
  return {
    containerReasons: containers.map((container) => stringField(container, 'Reason')).filter((reason): reason is string => !!reason),
    exits: containers.filter((container) => Number.isInteger(field(container, 'ExitCode'))).map((container) => ({
      name: truncate(stringField(container, 'Name') ?? '', MAX_CONTAINER_NAME_LENGTH),
      exitCode: field(container, 'ExitCode') as number,
    })),
  };
}
