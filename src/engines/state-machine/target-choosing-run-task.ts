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
}

/**
 * A JSONata ECS task state that runs each attempt on one of two launch targets, chosen in its
 * own `Arguments`: one JSONata expression builds the whole request, `launchTarget`'s parameters
 * or `fallbackTarget`'s merged into what both share. A launch target renders `LaunchType` or a
 * `CapacityProviderStrategy` (and `PlatformVersion`, placement), and RunTask refuses
 * `LaunchType` and `CapacityProviderStrategy` together, so each request must hold only the keys
 * of its own target. In an `Arguments` object, each field must evaluate to a value; an
 * expression that builds the object can leave a key out. Step Functions documents `Arguments`
 * of a JSONata Task state as a JSON object or a JSONata expression that evaluates to one
 * (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html).
 *
 * Attempts on either target are the same state, so the run needs no Choice before it and no
 * second Catch. The grants are those of an `EcsRunTask`, which depend on the task definition and
 * the cluster, not on the launch target.
 */
export class TargetChoosingEcsRunTask extends ClusterScopedEcsRunTask {
  private readonly fallbackTarget: tasks.IEcsLaunchTarget;
  private readonly onFallback: string;
  private readonly primaryTarget: tasks.IEcsLaunchTarget;
  private readonly bindOptions: tasks.LaunchTargetBindOptions;

  constructor(scope: Construct, id: string, props: TargetChoosingEcsRunTaskProps) {
    const { fallbackTarget, onFallback, ...runTaskProps } = props;
    super(scope, id, runTaskProps);
    this.fallbackTarget = fallbackTarget;
    this.onFallback = onFallback;
    this.primaryTarget = props.launchTarget;
    this.bindOptions = { taskDefinition: props.taskDefinition, cluster: props.cluster };
  }

  /** The state as `EcsRunTask` renders it, with `Arguments` made one expression that chooses the launch target. */
  protected _renderTask(topLevelQueryLanguage?: sfn.QueryLanguage): any {
    const rendered = super._renderTask(topLevelQueryLanguage);
    const primary = this.primaryTarget.bind(this, this.bindOptions).parameters ?? {};
    const fallback = this.fallbackTarget.bind(this, this.bindOptions).parameters ?? {};
    // What both share: the request without the primary target's own keys.
    const shared = Object.fromEntries(Object.entries(rendered.Arguments as Record<string, unknown>).filter(([key]) => !(key in primary)));
    const target = `${this.onFallback} ? ${jsonataObject(this, fallback)} : ${jsonataObject(this, primary)}`;
    return { ...rendered, Arguments: embed(`$merge([${jsonataObject(this, shared)}, ${target}])`) };
  }
}
