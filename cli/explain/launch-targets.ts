import type { Capacity } from '../../src/decider/wire';

/**
 * Where a task ran, or was to run, as ECS names it: a capacity provider (`FARGATE_SPOT`,
 * `FARGATE`, or one of the cluster's own) or a launch type (`FARGATE`, `EC2`, `EXTERNAL`). Neither,
 * for a RunTask that names neither: the cluster's default capacity provider strategy.
 */
export interface LaunchTarget {
  /** The capacity provider the task ran on, or those of the strategy RunTask was given, in its order. */
  readonly capacityProviders?: string[];
  readonly launchType?: string;
}

/** A task's size, as RunTask's overrides and the task description give it. */
export interface TaskSize {
  /** CPU units: 1024 is 1 vCPU. */
  readonly cpu: number;
  readonly memoryMiB: number;
}

const LAUNCH_TYPES = new Set(['FARGATE', 'EC2', 'EXTERNAL']);
/** A capacity provider's name: letters, digits, `-` and `_`; a placeholder or an expression is not one. */
const PROVIDER_NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** Where a task ran, from its description (RunTask's result, or the Cause of a task that stopped). */
export function launchTargetOfTask(task: unknown): LaunchTarget | undefined {
  if (!isRecord(task)) {
    return undefined;
  }
  const provider = typeof task.CapacityProviderName === 'string' && PROVIDER_NAME.test(task.CapacityProviderName) ? task.CapacityProviderName : undefined;
  const launchType = typeof task.LaunchType === 'string' && LAUNCH_TYPES.has(task.LaunchType) ? task.LaunchType : undefined;
  if (provider === undefined && launchType === undefined) {
    return undefined;
  }
  return { ...(provider ? { capacityProviders: [provider] } : {}), ...(launchType ? { launchType } : {}) };
}

/**
 * Where RunTask was asked to run a task, from its parameters (a TaskScheduled event's, or a
 * `Run task` state's in a definition): `{}` when they name no launch target (the cluster's
 * default), undefined when only the execution knows it (a JsonPath `.$` field, a JSONata
 * expression, a token).
 */
export function launchTargetOfParameters(parameters: unknown): LaunchTarget | undefined {
  if (!isRecord(parameters) || 'LaunchType.$' in parameters || 'CapacityProviderStrategy.$' in parameters) {
    return undefined;
  }
  const { LaunchType: launchType, CapacityProviderStrategy: strategy } = parameters;
  if (strategy !== undefined) {
    const providers = Array.isArray(strategy) ? strategy.map((s) => (isRecord(s) ? s.CapacityProvider : undefined)) : [];
    return providers.length > 0 && providers.every((p): p is string => typeof p === 'string' && PROVIDER_NAME.test(p))
      ? { capacityProviders: providers }
      : undefined;
  }
  if (launchType !== undefined) {
    return typeof launchType === 'string' && LAUNCH_TYPES.has(launchType) ? { launchType } : undefined;
  }
  return {};
}

/** The size a task ran with, from its description: `Cpu` and `Memory` are strings of numbers. */
export function sizeOfTask(task: unknown): TaskSize | undefined {
  return isRecord(task) ? size(task.Cpu, task.Memory) : undefined;
}

/** The size RunTask was asked for, from the `Cpu` and `Memory` of its `Overrides`. */
export function sizeOfParameters(parameters: unknown): TaskSize | undefined {
  const overrides = isRecord(parameters) ? parameters.Overrides : undefined;
  return isRecord(overrides) ? size(overrides.Cpu, overrides.Memory) : undefined;
}

function size(cpu: unknown, memory: unknown): TaskSize | undefined {
  const [c, m] = [cpu, memory].map((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : typeof v === 'number' ? v : NaN));
  return Number.isInteger(c) && c > 0 && Number.isInteger(m) && m > 0 ? { cpu: c, memoryMiB: m } : undefined;
}

/**
 * E.g. `FARGATE_SPOT · 1 vCPU, 2 GiB`, as ECS names where a task runs and its size. Without a
 * launch target, the state that ran the attempt, and whether it ran on the fallback launch target
 * when that state's name does not say: `"Run task on fallback"`, `"Run task" (fallback)`.
 */
export function describePlacement(
  target: LaunchTarget | undefined, capacity: Capacity | undefined, taskSize: TaskSize | undefined, state: string,
): string {
  const where = target === undefined
    ? `"${state}"${capacity === 'fallback' && !state.endsWith('Run task on fallback') ? ' (fallback)' : ''}`
    : target.capacityProviders?.join(' or ') ?? target.launchType ?? 'cluster default';
  return taskSize === undefined ? where : `${where} · ${formatSize(taskSize)}`;
}

/** `0.25 vCPU, 0.5 GiB`, `1 vCPU, 2 GiB`; `100 CPU units, 300 MiB` for sizes that are not. */
export function formatSize(taskSize: TaskSize): string {
  const cpu = taskSize.cpu % 128 === 0 ? `${taskSize.cpu / 1024} vCPU` : `${taskSize.cpu} CPU units`;
  const memory = taskSize.memoryMiB % 512 === 0 ? `${taskSize.memoryMiB / 1024} GiB` : `${taskSize.memoryMiB} MiB`;
  return `${cpu}, ${memory}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
