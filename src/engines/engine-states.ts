import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { DeciderPolicy } from '../decider/wire';
import { RetryableEcsRunTaskOptions } from '../retryable-ecs-run-task-options';
import { AdaptivePlacement } from '../run-task/adaptive-placement';
import { TaskResult } from '../run-task/task-result';

/** What a decision engine builds its states from: the run's props, validated and rendered. */
export interface EngineInput {
  readonly props: RetryableEcsRunTaskOptions;
  /** The retry policy, without the size ladder and fallback rules (see `placement.policy()`). */
  readonly policy: DeciderPolicy;
  readonly placement: AdaptivePlacement;
  readonly primaryTarget: tasks.IEcsLaunchTarget;
  readonly resultPath: string;
  /** The attempt-number variable's name, or '' for none. */
  readonly attemptVariable: string;
  /** Seconds, when `attemptTimeout` is set. */
  readonly attemptTimeout?: number;
  readonly taskResult: TaskResult;
  /** The run's construct path, as notifications and metrics name it. */
  readonly run: string;
  /** The Comment of `Start attempts`: a token that resolves to nothing unless the state names were shortened. */
  readonly startComment: string;
}

/** The states a decision engine builds for one run. */
export interface EngineStates {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];
  readonly runTask: tasks.EcsRunTask;
  readonly fallbackRunTask?: tasks.EcsRunTask;
}

/** The cause of `RetryErrors.INVALID_DECISION` when a decision cannot be acted on, in both engines. */
export const INVALID_DECISION_CAUSE = 'The retry decider returned a decision the state machine cannot act on.';
