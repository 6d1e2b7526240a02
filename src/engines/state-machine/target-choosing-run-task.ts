import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { jsonataObject } from './jsonata-arguments';
import { embed } from './jsonata-expressions';
import { ClusterScopedEcsRunTask } from '../../run-task/cluster-scoped-ecs-run-task';

/** Properties of a `TargetChoosingEcsRunTask`. */
export interface TargetChoosingEcsRunTaskProps extends tasks.EcsRunTaskProps {
  /** The launch target of the attempts for which `onFallback` holds. */
  readonly fallbackTarget: tasks.IEcsLaunchTarget;
  /** A JSONata condition, true when the attempt runs on `fallbackTarget`. */
  readonly onFallback: string;
  /** The variable (with its `$`) that holds `launchTargets`, assigned before the state runs. */
  readonly launchTargetsVariable: string;
}

/** What each launch target adds to a RunTask request: `LaunchType` or a `CapacityProviderStrategy`, `PlatformVersion`, placement. */
export interface LaunchTargetParameters {
  readonly primary: { [key: string]: unknown };
  readonly fallback: { [key: string]: unknown };
}

/**
 * A JSONata ECS task state that runs each attempt on one of two launch targets, chosen in its
 * own `Arguments`: one JSONata expression builds the whole request, what both targets share
 * merged with the parameters of the attempt's target. RunTask refuses `LaunchType` and a
 * `CapacityProviderStrategy` together, so each request must hold only the keys of its own target,
 * and in an `Arguments` object every field must evaluate to a value; an expression that builds
 * the object can leave a key out. Step Functions documents a JSONata Task state's `Arguments` as
 * a JSON object or a JSONata expression that evaluates to one
 * (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html).
 *
 * The targets' parameters (`launchTargets`) are data, in a variable the run assigns when it
 * starts, where a reader of the definition (and `explain`) finds them as JSON. Attempts on either
 * target are the same state, so the run needs no Choice before it and no second Catch. The grants
 * are those of an `EcsRunTask`, which depend on the task definition and the cluster, not on the
 * launch target.
 */
export class TargetChoosingEcsRunTask extends ClusterScopedEcsRunTask {
  /** The parameters of each launch target, for the variable `launchTargetsVariable`. */
  public readonly launchTargets: LaunchTargetParameters;
  private readonly onFallback: string;
  private readonly launchTargetsVariable: string;

  constructor(scope: Construct, id: string, props: TargetChoosingEcsRunTaskProps) {
    const { fallbackTarget, onFallback, launchTargetsVariable, ...runTaskProps } = props;
    super(scope, id, runTaskProps);
    this.onFallback = onFallback;
    this.launchTargetsVariable = launchTargetsVariable;
    const options = { taskDefinition: props.taskDefinition, cluster: props.cluster };
    this.launchTargets = {
      primary: props.launchTarget.bind(this, options).parameters ?? {},
      fallback: fallbackTarget.bind(this, options).parameters ?? {},
    };
  }

  /** The state as `EcsRunTask` renders it, with `Arguments` made one expression that chooses the launch target. */
  protected _renderTask(topLevelQueryLanguage?: sfn.QueryLanguage): any {
    const rendered = super._renderTask(topLevelQueryLanguage);
    // What both share: the request without the primary target's own keys.
    const shared = Object.fromEntries(Object.entries(rendered.Arguments as Record<string, unknown>)
      .filter(([key]) => !(key in this.launchTargets.primary)));
    const targets = this.launchTargetsVariable;
    return { ...rendered, Arguments: embed(`$merge([${jsonataObject(this, shared)}, ${this.onFallback} ? ${targets}.fallback : ${targets}.primary])`) };
  }
}
