import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { TaskStopCode } from './task-stop-code';

/**
 * Which failures of an ECS task are retried, how often, and how long to wait in between.
 *
 * Named like CDK's own `RetryProps`. A failed attempt is classified in this order; the first rule
 * that applies decides:
 * 1. a stopped task is not retried if its `StoppedReason` or any container's `Reason` matches
 *    `nonRetryableStoppedReasons`;
 * 2. a stopped task is retried if its stop code is in `retryableStopCodes`, its `StoppedReason` or
 *    any container's `Reason` matches `retryableStoppedReasons`, or any container's exit code is in
 *    `retryableExitCodes`;
 * 3. an error that carries no stopped task is not retried if its cause matches
 *    `nonRetryableErrorCauses`;
 * 4. an error whose name is in `retryableErrors` is retried;
 * 5. anything else is not retried.
 */
export interface RetryPolicyProps {
  /**
   * Total attempts, including the first. At most 50.
   *
   * @default 3
   */
  readonly maxAttempts?: number;

  /**
   * How long to wait before the first retry. Whole seconds.
   *
   * @default Duration.seconds(30)
   */
  readonly interval?: Duration;

  /**
   * Multiplier by which the wait grows with every retry: retry n waits
   * `min(maxDelay, interval × backoffRate^(n−1))` before jitter. At least 1.
   *
   * @default 2
   */
  readonly backoffRate?: number;

  /**
   * Cap on any single wait. Whole seconds, at least `interval`, at most 365 days.
   *
   * @default Duration.minutes(5)
   */
  readonly maxDelay?: Duration;

  /**
   * Randomises each wait so that many executions failing together do not retry together.
   * `FULL` waits a uniformly random whole number of seconds in [0, capped delay]; `NONE` waits
   * the capped delay exactly.
   *
   * @default JitterType.FULL
   */
  readonly jitterStrategy?: sfn.JitterType;

  /**
   * Stop codes of a stopped task that are retried.
   *
   * @default - `RetryDefaults.RETRYABLE_STOP_CODES`: TaskFailedToStart, SpotInterruption,
   * TerminationNotice, InfrastructureHealth
   */
  readonly retryableStopCodes?: TaskStopCode[];

  /**
   * Glob patterns (`*` matches any run of characters, case-insensitive) matched against the
   * whole `StoppedReason` of a stopped task and against the whole `Reason` of each of its
   * containers. A match makes the failure retryable, unless its stop code already did.
   *
   * On the EC2 launch type the stopped reason is often generic ("Task failed to start") and the
   * container's reason names the error, e.g. `CannotPullContainerError: ...`.
   *
   * @default - `RetryDefaults.RETRYABLE_STOPPED_REASONS`
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html
   */
  readonly retryableStoppedReasons?: string[];

  /**
   * Glob patterns for stopped reasons known to be permanent, matched like
   * `retryableStoppedReasons`: against the `StoppedReason` of a stopped task and the `Reason` of
   * each of its containers. A match is never retried, whatever else matches.
   *
   * @default - `RetryDefaults.NON_RETRYABLE_STOPPED_REASONS`: missing image or tag, denied pull,
   * denied or missing secret, missing executable
   */
  readonly nonRetryableStoppedReasons?: string[];

  /**
   * Retry when any container of the stopped task exited with one of these codes
   * (`Containers[].ExitCode`).
   *
   * @default - none: the job alone knows which of its exit codes are transient
   */
  readonly retryableExitCodes?: number[];

  /**
   * Step Functions error names of failures that carry no task, retried by name, for example
   * `ECS.AmazonECSException` (RunTask throttled) or `AmazonECS.Unknown` (RunTask returned
   * `Failures`, such as no capacity).
   *
   * @default - `RetryDefaults.RETRYABLE_ERRORS`
   */
  readonly retryableErrors?: string[];

  /**
   * Glob patterns (`*` matches any run of characters, case-insensitive) for causes of errors that
   * carry no stopped task, known to be permanent. A match is not retried, even when the error's
   * name is in `retryableErrors`.
   *
   * When the Cause is RunTask's answer with a `Failures` array (error `AmazonECS.Unknown`), each
   * pattern is matched against every failure's whole `Reason` and `Detail`, e.g. `ATTRIBUTE`.
   * Otherwise it is matched against the whole Cause text, e.g. the SDK message of an
   * `ECS.AmazonECSException`: `TaskDefinition is inactive (Service: AmazonECS; ...)`.
   *
   * @default - `RetryDefaults.NON_RETRYABLE_ERROR_CAUSES`: placement that no container instance
   * can satisfy, an inactive or missing task definition, a missing cluster, and refusals
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html
   */
  readonly nonRetryableErrorCauses?: string[];

  /**
   * Stop codes of a stopped task that move the next attempts to `fallbackLaunchTarget`.
   * Ignored without a fallback launch target.
   *
   * @default - `RetryDefaults.FALLBACK_STOP_CODES`
   */
  readonly fallbackStopCodes?: TaskStopCode[];

  /**
   * Glob patterns, matched against the stopped reason and every container's reason, that move
   * the next attempts to `fallbackLaunchTarget`. Ignored without a fallback launch target.
   *
   * @default - `RetryDefaults.FALLBACK_STOPPED_REASONS`
   */
  readonly fallbackStoppedReasons?: string[];

  /**
   * Glob patterns, matched like `nonRetryableErrorCauses` against the cause of a failure that
   * carries no task (RunTask's `Failures`), that move the next attempts to `fallbackLaunchTarget`.
   * Ignored without a fallback launch target.
   *
   * @default - `RetryDefaults.FALLBACK_ERROR_CAUSES`
   */
  readonly fallbackErrorCauses?: string[];
}
