import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { DecisionEngine } from './engines/decision-engine';
import { RetryPolicyProps } from './policy/retry-policy-props';
import { TaskResult } from './run-task/task-result';
import { TaskSize } from './sizing/task-size';

/**
 * What a retrying run executes and reports, shared by the standalone `RetryableEcsRunTask` and
 * the embeddable `RetryableEcsRunTaskFragment`.
 */
export interface RetryableEcsRunTaskOptions extends RetryPolicyProps {
  /** The cluster to run the task on. */
  readonly cluster: ecs.ICluster;

  /**
   * The task definition to run. Add its containers before passing it here: the attempt number
   * is passed to each container that exists at that point.
   */
  readonly taskDefinition: ecs.TaskDefinition;

  /**
   * Where the task runs: Fargate or EC2, with capacity provider options.
   *
   * @default - Fargate, latest platform version
   */
  readonly launchTarget?: tasks.IEcsLaunchTarget;

  /**
   * The revision of the task definition's family to run. Named and typed as in CDK's
   * `EcsRunTask`, so a run can move from it by renaming the class.
   *
   * @default - the latest active revision
   */
  readonly revisionNumber?: number;

  /**
   * Task-level CPU override for every attempt, in CPU units, as in CDK's `EcsRunTask`.
   *
   * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskOverride.html
   * @default - the task definition's CPU
   */
  readonly cpu?: string;

  /**
   * Task-level memory override for every attempt, in MiB, as in CDK's `EcsRunTask`.
   *
   * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskOverride.html
   * @default - the task definition's memory
   */
  readonly memoryMiB?: string;

  /**
   * Whether the task definition's tags are copied to the task. Only `TASK_DEFINITION` applies:
   * RunTask rejects `SERVICE`.
   *
   * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html#ECS-RunTask-request-propagateTags
   * @default - no tags are propagated
   */
  readonly propagatedTagSource?: ecs.PropagatedTagSource;

  /**
   * Whether ECS Exec is enabled on the task, for debugging a running attempt.
   *
   * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html#ECS-RunTask-request-enableExecuteCommand
   * @default false
   */
  readonly enableExecuteCommand?: boolean;

  /**
   * Sizes to run at after an attempt fails out of memory. The first attempt runs at the task
   * definition's own size; after an attempt fails out of memory (a container's reason or the
   * stopped reason starts with `OutOfMemoryError`), the next attempt runs one size up this list,
   * through RunTask's task-level CPU and memory overrides and the memory override of every
   * container with a hard memory limit. Once the last size has also run out of memory, the run
   * fails `RetryableEcsRunTask.NotRetryable` with rule `outOfMemoryAtLargestSize`.
   *
   * Setting the list is what makes out-of-memory failures retryable. Sizes must grow: each at
   * least the CPU of the one before, and strictly more memory. On Fargate each must be a valid
   * Fargate CPU and memory combination.
   *
   * @default - out-of-memory failures are classified like any other failure
   */
  readonly outOfMemorySizes?: TaskSize[];

  /**
   * Where the retries run once an attempt fails in a way the fallback rules match
   * (`fallbackStopCodes`, `fallbackStoppedReasons`, `fallbackErrorCauses`): that attempt's retry
   * and every later attempt run on this launch target, for example `FARGATE` capacity after
   * `FARGATE_SPOT`. Whether there is a retry at all is still up to the retry rules.
   *
   * @default - every attempt runs on `launchTarget`
   */
  readonly fallbackLaunchTarget?: tasks.IEcsLaunchTarget;

  /**
   * Container overrides for every attempt. The attempt-number variable is added to them.
   *
   * @default - no overrides beyond the attempt-number variable
   */
  readonly containerOverrides?: tasks.ContainerOverride[];

  /**
   * Subnets to place the task's network interfaces in (awsvpc network mode). A VPC without
   * private subnets needs this set, e.g. to public subnets together with `assignPublicIp`.
   *
   * @default - private subnets (with egress) of the cluster's VPC; public ones when `assignPublicIp` is true
   */
  readonly subnets?: ec2.SubnetSelection;

  /**
   * Security groups for the task's network interfaces (awsvpc network mode).
   *
   * @default - a new security group
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Whether the task's network interface gets a public IP, for tasks in public subnets.
   *
   * @default false
   */
  readonly assignPublicIp?: boolean;

  /**
   * Timeout of one attempt, from RunTask until the task stops. A timed-out attempt fails with
   * `States.Timeout`, which is not retried unless listed in `retryableErrors`.
   *
   * @default - no timeout per attempt
   */
  readonly attemptTimeout?: Duration;

  /**
   * Name of the environment variable that passes the 1-based attempt number to every container
   * of the task, so that the job can make itself idempotent. An empty string passes nothing.
   *
   * @default 'RETRYABLE_ECS_RUN_TASK_ATTEMPT'
   */
  readonly attemptEnvironmentVariable?: string;

  /**
   * Topic notified with the run's result when it succeeds.
   *
   * @default - no notification
   */
  readonly successTopic?: sns.ITopic;

  /**
   * Topic notified with the error name and cause when the run fails. May be the same topic as
   * `successTopic`; the message attribute `status` tells them apart.
   *
   * @default - no notification
   */
  readonly failureTopic?: sns.ITopic;

  /**
   * Where the retry decisions are made: `DecisionEngine.LAMBDA_FUNCTION`, the stack's shared decider
   * function, or `DecisionEngine.STATE_MACHINE`, JSONata states with no Lambda function. Both
   * apply the same policy and give the same result, history, error names and causes; see
   * `DecisionEngine` for when to choose which.
   *
   * @default DecisionEngine.LAMBDA_FUNCTION
   */
  readonly decisionEngine?: DecisionEngine;

  /**
   * How long the stack's shared decider keeps its logs. Every retrying run in a stack shares one
   * decider, so runs that set this must agree. Only the Lambda engine has a decider: with
   * `DecisionEngine.STATE_MACHINE` this prop is an error.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly deciderLogRetention?: logs.RetentionDays;

  /**
   * How much of the stopped task's description the result keeps at `<resultPath>.task`. Use
   * `SUMMARY` where many runs collect into one state, as in a Map: Step Functions fails an
   * execution whose state passes 256 KiB, and no Catch can handle that.
   *
   * @default - `TaskResult.FULL` for `RetryableEcsRunTask`; `TaskResult.SUMMARY` for `RetryableEcsRunTaskFragment`
   */
  readonly taskResult?: TaskResult;

  /**
   * JSONPath where the run's working state and result land in the state. The rest of the input
   * is kept. Must be `$.` followed by one or more dot-separated field names.
   *
   * @default '$.retryableEcsRunTask'
   */
  readonly resultPath?: string;
}
