import { Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { TaskSize } from './task-size';
import type { RenderedSize } from '../decider/wire';

/** The sizes a run escalates through after out-of-memory failures, validated and rendered. */
export interface SizeLadder {
  /** Rung 0 is the task definition's own size, then one rung per outOfMemorySizes entry. */
  readonly rungs: RenderedSize[];
  /**
   * Names of the containers with a hard memory limit (memoryLimitMiB), in task definition order;
   * RenderedSize.containerMemoryMiB is aligned with it.
   */
  readonly hardLimitContainers: string[];
}

/**
 * Where Fargate's valid task sizes are documented; the table below follows it.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html
 */
const FARGATE_SIZES_DOC = 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html';

/** Fargate's task memory in MiB by task CPU units (8192 and 16384 need Linux platform 1.4.0+). */
const FARGATE_MEMORY: ReadonlyArray<{ cpu: number; memoryMiB: number[]; described: string }> = [
  { cpu: 256, memoryMiB: [512, 1024, 2048], described: '512, 1024 or 2048 MiB' },
  fargateRange(512, 1024, 4096, 1024),
  fargateRange(1024, 2048, 8192, 1024),
  fargateRange(2048, 4096, 16384, 1024),
  fargateRange(4096, 8192, 30720, 1024),
  fargateRange(8192, 16384, 61440, 4096),
  fargateRange(16384, 32768, 122880, 8192),
];

function fargateRange(cpu: number, min: number, max: number, step: number) {
  const memoryMiB: number[] = [];
  for (let m = min; m <= max; m += step) {
    memoryMiB.push(m);
  }
  return { cpu, memoryMiB, described: `${min} to ${max} MiB in steps of ${step}` };
}

/**
 * Validates `outOfMemorySizes` against the task definition and the launch targets, and renders
 * the ladder the decider escalates along. Every number must be known at synth time: the decider
 * computes with them, and RunTask's overrides take them as they are.
 *
 * @param launchTargets the primary launch target, then the fallback one when there is one
 */
export function sizeLadder(
  taskDefinition: ecs.TaskDefinition,
  sizes: TaskSize[],
  launchTargets: tasks.IEcsLaunchTarget[],
): SizeLadder {
  if (sizes.length === 0) {
    throw new Error('`outOfMemorySizes` must list at least one size, got: []. Omit the prop to leave out-of-memory failures unescalated.');
  }
  const fargateReason = fargateRequirement(taskDefinition, launchTargets);
  const own = ownSize(taskDefinition);
  const ownLabel = `\`taskDefinition\` ${taskDefinition.node.path}'s own size`;
  if (fargateReason !== undefined) {
    checkFargateSize(ownLabel, own, fargateReason);
  }

  const sized: Array<{ cpu: number; memoryMiB: number }> = [own];
  sizes.forEach((size, i) => {
    const label = `\`outOfMemorySizes[${i}]\``;
    const previous = sized[sized.length - 1];
    const previousLabel = i === 0 ? 'the task definition\'s own size' : `\`outOfMemorySizes[${i - 1}]\``;
    const memoryMiB = positiveInteger(`outOfMemorySizes[${i}].memoryMiB`, size.memoryMiB, 'MiB');
    const cpu = size.cpu === undefined ? previous.cpu : positiveInteger(`outOfMemorySizes[${i}].cpu`, size.cpu, 'CPU units');
    const rung = { cpu, memoryMiB };
    if (memoryMiB <= previous.memoryMiB) {
      throw new Error(
        `${label} must have more memory than ${previousLabel} (${describe(previous)}), got: ${describe(rung)}. `
        + 'Each size runs after the one before it ran out of memory: list the sizes from smallest to largest.',
      );
    }
    if (cpu < previous.cpu) {
      throw new Error(
        `${label} must have at least the CPU of ${previousLabel} (${describe(previous)}), got: ${describe(rung)}. `
        + 'List the sizes from smallest to largest; leave `cpu` out to keep the CPU of the size before.',
      );
    }
    if (fargateReason !== undefined) {
      checkFargateSize(label, rung, fargateReason);
    }
    sized.push(rung);
  });

  const hardLimits = hardMemoryLimits(taskDefinition);
  return {
    rungs: sized.map((rung, i) => ({
      cpu: rung.cpu,
      memoryMiB: rung.memoryMiB,
      // Containers keep their share of the task's memory; rung 0 is the task definition as is.
      containerMemoryMiB: hardLimits.map(({ limit }) =>
        i === 0 ? limit : Math.max(limit, Math.floor(limit * rung.memoryMiB / own.memoryMiB))),
    })),
    hardLimitContainers: hardLimits.map(({ name }) => name),
  };
}

/**
 * Why the sizes must be Fargate sizes, or undefined when no launch target runs on Fargate.
 * A custom launch target is rejected: synth cannot tell whether RunTask may resize its tasks.
 */
function fargateRequirement(taskDefinition: ecs.TaskDefinition, launchTargets: tasks.IEcsLaunchTarget[]): string | undefined {
  let reason: string | undefined;
  launchTargets.forEach((target, i) => {
    const prop = i === 0 ? '`launchTarget`' : '`fallbackLaunchTarget`';
    if (target instanceof tasks.EcsFargateLaunchTarget) {
      reason = reason ?? `${prop} runs on Fargate`;
    } else if (!(target instanceof tasks.EcsEc2LaunchTarget)) {
      throw new Error(
        `${prop} must be an \`EcsFargateLaunchTarget\` or an \`EcsEc2LaunchTarget\` when \`outOfMemorySizes\` is set, got: a custom \`IEcsLaunchTarget\` (${target.constructor.name}). `
        + 'Synth cannot tell whether its tasks accept task-size overrides; use one of the two, or omit `outOfMemorySizes`.',
      );
    }
  });
  if (reason === undefined && taskDefinition.isFargateCompatible && !taskDefinition.isEc2Compatible) {
    reason = `\`taskDefinition\` ${taskDefinition.node.path} runs only on Fargate`;
  }
  return reason;
}

function checkFargateSize(label: string, size: { cpu: number; memoryMiB: number }, reason: string): void {
  const row = FARGATE_MEMORY.find((r) => r.cpu === size.cpu);
  if (row === undefined) {
    const cpus = FARGATE_MEMORY.map((r) => r.cpu);
    throw new Error(
      `${label} must be a valid Fargate size, since ${reason}, got: ${describe(size)}. `
      + `Fargate takes cpu ${cpus.slice(0, -1).join(', ')} or ${cpus[cpus.length - 1]}. See ${FARGATE_SIZES_DOC}`,
    );
  }
  if (!row.memoryMiB.includes(size.memoryMiB)) {
    throw new Error(
      `${label} must be a valid Fargate size, since ${reason}, got: ${describe(size)}. `
      + `With cpu ${size.cpu}, Fargate takes memoryMiB ${row.described}; pick one of those, or more CPU. See ${FARGATE_SIZES_DOC}`,
    );
  }
}

/**
 * The task definition's task-level size, read from its L1 resource. Both are required: every
 * rung overrides task CPU and memory, a size without `cpu` inherits the task definition's, and
 * container limits grow in proportion to the task definition's memory.
 */
function ownSize(taskDefinition: ecs.TaskDefinition): { cpu: number; memoryMiB: number } {
  const cfn = taskDefinition.node.defaultChild as ecs.CfnTaskDefinition;
  const read = (field: 'cpu' | 'memory', raw: string | undefined, unit: RegExp): number => {
    const fix = 'Create it as an `ecs.TaskDefinition` with task-level `cpu` and `memoryMiB` (an `Ec2TaskDefinition` cannot set them), '
      + 'or as a `FargateTaskDefinition` with `cpu` and `memoryLimitMiB`.';
    if (raw === undefined) {
      throw new Error(
        `\`outOfMemorySizes\` needs the task definition's own task-level CPU and memory to grow from, but \`taskDefinition\` ${taskDefinition.node.path} sets no task-level ${field}. ${fix}`,
      );
    }
    if (Token.isUnresolved(raw)) {
      throw new Error(
        `\`outOfMemorySizes\` needs the task definition's own task-level ${field} at synth time, but \`taskDefinition\` ${taskDefinition.node.path} sets it to a token. Give it a literal value.`,
      );
    }
    const value = parseTaskSize(raw, unit);
    if (value === undefined) {
      throw new Error(
        `\`outOfMemorySizes\` cannot read the task-level ${field} of \`taskDefinition\` ${taskDefinition.node.path}, got: ${JSON.stringify(raw)}. Give it a whole number (${field === 'cpu' ? 'CPU units' : 'MiB'}).`,
      );
    }
    return value;
  };
  // RegisterTaskDefinition also takes "1 vCPU" and "2 GB"; both convert at 1024 per unit.
  const memoryMiB = read('memory', cfn.memory, /^(\d+(?:\.\d+)?)\s*gb$/i);
  const cpu = read('cpu', cfn.cpu, /^(\d+(?:\.\d+)?)\s*vcpu$/i);
  return { cpu, memoryMiB };
}

function parseTaskSize(raw: string, unit: RegExp): number | undefined {
  const text = raw.trim();
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    return value > 0 ? value : undefined;
  }
  const match = unit.exec(text);
  const value = match ? Number(match[1]) * 1024 : NaN;
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

function positiveInteger(prop: string, value: number, unit: string): number {
  if (Token.isUnresolved(value)) {
    throw new Error(`\`${prop}\` must be a literal number: the size ladder is computed at synth time, got: a token. Give it a whole number of ${unit}.`);
  }
  if (!(Number.isInteger(value) && value > 0)) {
    throw new Error(`\`${prop}\` must be a positive whole number of ${unit}, got: ${value}.`);
  }
  return value;
}

/** The containers with a hard memory limit, in task definition order, with that limit. */
function hardMemoryLimits(taskDefinition: ecs.TaskDefinition): Array<{ name: string; limit: number }> {
  const containers = taskDefinition.node.children.filter((c): c is ecs.ContainerDefinition => c instanceof ecs.ContainerDefinition);
  const limits: Array<{ name: string; limit: number }> = [];
  for (const container of containers) {
    // memoryLimitSpecified also covers a soft limit alone; the rendered definition tells them apart.
    const limit = container.memoryLimitSpecified ? container.renderContainerDefinition().memory : undefined;
    if (limit === undefined) {
      continue;
    }
    if (Token.isUnresolved(limit)) {
      throw new Error(
        `\`outOfMemorySizes\` scales the hard memory limit of container '${container.containerName}' in \`taskDefinition\` ${taskDefinition.node.path} at synth time, but its \`memoryLimitMiB\` is a token. Give it a literal value.`,
      );
    }
    limits.push({ name: container.containerName, limit });
  }
  return limits;
}

function describe(size: { cpu: number; memoryMiB: number }): string {
  return `cpu ${size.cpu}, memoryMiB ${size.memoryMiB}`;
}

/**
 * The size every attempt of a run without `outOfMemorySizes` runs at, as far as synth knows it:
 * the `cpu` and `memoryMiB` overrides when given (known when literal numbers), else the task definition's
 * own task-level size when it is literal and the run uses this revision of it. Each is undefined
 * when unknown.
 */
export function literalTaskSize(
  taskDefinition: ecs.TaskDefinition, overrides: { cpu?: string; memoryMiB?: string; revisionNumber?: number },
): { cpu?: number; memoryMiB?: number } {
  const cfn = taskDefinition.node.defaultChild as ecs.CfnTaskDefinition | undefined;
  // Another revision may have another size.
  const own = (raw: string | undefined, unit: RegExp) =>
    (overrides.revisionNumber === undefined && raw !== undefined && !Token.isUnresolved(raw) ? parseTaskSize(raw, unit) : undefined);
  const override = (raw: string | undefined) => (raw !== undefined && !Token.isUnresolved(raw) && /^\s*\d+\s*$/.test(raw) ? Number(raw) || undefined : undefined);
  return {
    // An override that is not a literal (a JsonPath, a JSONata expression) is known only when the run starts.
    cpu: overrides.cpu !== undefined ? override(overrides.cpu) : own(cfn?.cpu, /^(\d+(?:\.\d+)?)\s*vcpu$/i),
    memoryMiB: overrides.memoryMiB !== undefined ? override(overrides.memoryMiB) : own(cfn?.memory, /^(\d+(?:\.\d+)?)\s*gb$/i),
  };
}
