import { Annotations } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { launchTargetParameters } from './launch-target-checks';
import type { FallbackRules, NextAttempt, RenderedSize } from '../decider/wire';
import { jsonataNumber } from '../engines/state-machine/jsonata-arguments';
import { renderFallbackRules } from '../policy/render-retry-policy';
import { RetryableEcsRunTaskOptions } from '../retryable-ecs-run-task-options';
import { SizeLadder, sizeLadder } from '../sizing/size-ladder';

/**
 * How a run adapts its next attempt to a failure: a size ladder for out-of-memory failures,
 * and a fallback launch target. Both are optional; without them a run is what it was before.
 */
export class AdaptivePlacement {
  /** Rung 0 is the task definition's own size; absent without `outOfMemorySizes`. */
  public readonly ladder?: SizeLadder;
  public readonly fallbackTarget?: tasks.IEcsLaunchTarget;
  public readonly fallbackRules?: FallbackRules;

  constructor(scope: Construct, props: RetryableEcsRunTaskOptions, primaryTarget: tasks.IEcsLaunchTarget) {
    this.fallbackTarget = props.fallbackLaunchTarget;
    if (this.fallbackTarget) {
      this.fallbackRules = renderFallbackRules(props);
      if (sameLaunchTarget(scope, primaryTarget, this.fallbackTarget, props)) {
        Annotations.of(scope).addWarningV2('cdk-retryable-ecs-run-task:fallbackSameAsPrimary',
          '`fallbackLaunchTarget` runs tasks the same way as `launchTarget`, so falling back changes nothing. Give it other capacity, e.g. FARGATE after FARGATE_SPOT.');
      }
    }
    if (props.outOfMemorySizes !== undefined) {
      if (props.cpu !== undefined || props.memoryMiB !== undefined) {
        throw new Error(
          `\`cpu\` and \`memoryMiB\` fix the size of every attempt, so they cannot be combined with \`outOfMemorySizes\`, got: cpu ${JSON.stringify(props.cpu)}, memoryMiB ${JSON.stringify(props.memoryMiB)}. `
          + 'Set the first size on the task definition instead.',
        );
      }
      const targets = this.fallbackTarget ? [primaryTarget, this.fallbackTarget] : [primaryTarget];
      this.ladder = sizeLadder(props.taskDefinition, props.outOfMemorySizes, targets);
      for (const o of props.containerOverrides ?? []) {
        if (o.memoryLimit !== undefined && this.ladder.hardLimitContainers.includes(o.containerDefinition.containerName)) {
          throw new Error(
            `\`containerOverrides\` for container '${o.containerDefinition.containerName}' sets \`memoryLimit\` ${o.memoryLimit}, but \`outOfMemorySizes\` sizes that container's memory limit with the task. Remove the override.`,
          );
        }
      }
    }
  }

  /** Whether the decider must be told where an attempt ran, and answer where the next one runs. */
  public get adaptive(): boolean {
    return this.ladder !== undefined || this.fallbackTarget !== undefined;
  }

  /** What the decider's policy adds: the size ladder and the fallback rules, when given. */
  public policy(): { sizes?: RenderedSize[]; fallback?: FallbackRules } {
    return {
      ...(this.ladder ? { sizes: this.ladder.rungs } : {}),
      ...(this.fallbackRules ? { fallback: this.fallbackRules } : {}),
    };
  }

  /**
   * What the retry branch requires of the decider's `next`, so that a malformed answer ends as
   * an invalid decision instead of a RunTask with missing parameters.
   */
  public nextAttemptConditions(nextPath: string, placementPath: string): sfn.Condition[] {
    if (!this.adaptive) {
      return [];
    }
    // And is evaluated in order: each comparison after the presence check that guards it. The
    // state machine itself keeps the capacity from returning to primary and the size from
    // shrinking or passing the ladder's end, whatever the decider answers.
    const conditions = [
      sfn.Condition.isPresent(`${nextPath}.capacity`),
      sfn.Condition.or(
        sfn.Condition.and(
          sfn.Condition.stringEquals(`${nextPath}.capacity`, 'primary'),
          sfn.Condition.stringEquals(`${placementPath}.capacity`, 'primary'),
        ),
        sfn.Condition.stringEquals(`${nextPath}.capacity`, 'fallback'),
      ),
    ];
    if (this.ladder) {
      const numeric = (path: string) => [sfn.Condition.isPresent(path), sfn.Condition.isNumeric(path)];
      const top = this.ladder.rungs[this.ladder.rungs.length - 1];
      conditions.push(
        ...numeric(`${nextPath}.sizeIndex`),
        sfn.Condition.numberGreaterThanEqualsJsonPath(`${nextPath}.sizeIndex`, `${placementPath}.sizeIndex`),
        sfn.Condition.numberLessThanEquals(`${nextPath}.sizeIndex`, this.ladder.rungs.length - 1),
        ...numeric(`${nextPath}.size.cpu`),
        sfn.Condition.numberLessThanEquals(`${nextPath}.size.cpu`, top.cpu),
        ...numeric(`${nextPath}.size.memoryMiB`),
        sfn.Condition.numberLessThanEquals(`${nextPath}.size.memoryMiB`, top.memoryMiB),
        ...this.ladder.hardLimitContainers.flatMap((_, i) => numeric(`${nextPath}.size.containerMemoryMiB[${i}]`)),
      );
    }
    return conditions;
  }

  /**
   * `nextAttemptConditions` for the JSONata engine: the conjuncts, in order, that a decision's
   * `next` (the JSONata expression `next`) must meet, given the current placement (`placement`).
   * Each comparison follows the type check that guards it, so that none can fail to evaluate.
   */
  public nextAttemptJsonata(next: string, placement: string): string[] {
    if (!this.adaptive) {
      return [];
    }
    const conditions = [
      `$type(${next}) = 'object'`,
      `(${next}.capacity = 'fallback' or (${next}.capacity = 'primary' and ${placement}.capacity = 'primary'))`,
    ];
    if (this.ladder) {
      const isNumber = (expression: string) => `$type(${expression}) = 'number'`;
      const top = this.ladder.rungs[this.ladder.rungs.length - 1];
      conditions.push(
        isNumber(`${next}.sizeIndex`),
        `${next}.sizeIndex >= ${placement}.sizeIndex`,
        `${next}.sizeIndex <= ${this.ladder.rungs.length - 1}`,
        isNumber(`${next}.size.cpu`),
        `${next}.size.cpu <= ${top.cpu}`,
        isNumber(`${next}.size.memoryMiB`),
        `${next}.size.memoryMiB <= ${top.memoryMiB}`,
        ...this.ladder.hardLimitContainers.map((_, i) => isNumber(`${next}.size.containerMemoryMiB[${i}]`)),
      );
    }
    return conditions;
  }

  /** Where the first attempt runs: the task definition's own size, on the primary launch target. */
  public firstPlacement(): NextAttempt {
    return { sizeIndex: 0, capacity: 'primary', ...(this.ladder ? { size: this.ladder.rungs[0] } : {}) };
  }

  /** RunTask's task-level overrides, read from the placement in the state. */
  public taskSizeOverrides(placementPath: string): Pick<tasks.EcsRunTaskProps, 'cpu' | 'memoryMiB'> {
    if (!this.ladder) {
      return {};
    }
    return {
      cpu: sfn.JsonPath.format('{}', sfn.JsonPath.stringAt(`${placementPath}.size.cpu`)),
      memoryMiB: sfn.JsonPath.format('{}', sfn.JsonPath.stringAt(`${placementPath}.size.memoryMiB`)),
    };
  }

  /** `taskSizeOverrides` for the JSONata engine, read from the placement variable `placement`. */
  public taskSizeOverridesJsonata(placement: string): Pick<tasks.EcsRunTaskProps, 'cpu' | 'memoryMiB'> {
    if (!this.ladder) {
      return {};
    }
    return {
      cpu: `{% $string(${placement}.size.cpu) %}`,
      memoryMiB: `{% $string(${placement}.size.memoryMiB) %}`,
    };
  }

  /** The container-level memory override of each container with a hard limit, by container name. */
  public containerMemoryOverrides(placementPath: string): Map<string, number> {
    const hardLimits = this.ladder?.hardLimitContainers ?? [];
    return new Map(hardLimits.map((name, i) => [name, sfn.JsonPath.numberAt(`${placementPath}.size.containerMemoryMiB[${i}]`)]));
  }

  /** `containerMemoryOverrides` for the JSONata engine: numbers that render as JSONata expressions. */
  public containerMemoryOverridesJsonata(placement: string): Map<string, number> {
    const hardLimits = this.ladder?.hardLimitContainers ?? [];
    return new Map(hardLimits.map((name, i) => [name, jsonataNumber(`${placement}.size.containerMemoryMiB[${i}]`)]));
  }
}

/** Two launch targets that put the same RunTask parameters, as far as synth can tell. */
function sameLaunchTarget(scope: Construct, a: tasks.IEcsLaunchTarget, b: tasks.IEcsLaunchTarget, props: RetryableEcsRunTaskOptions): boolean {
  if (a === b) {
    return true;
  }
  const render = (target: tasks.IEcsLaunchTarget) => {
    const parameters = launchTargetParameters(scope, target, props);
    return parameters && JSON.stringify(parameters);
  };
  const rendered = render(a);
  return rendered !== undefined && rendered === render(b);
}

