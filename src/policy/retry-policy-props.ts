import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { TaskStopCode } from './task-stop-code';

/**
 * Which failures of an ECS task are retried, how often, and how long to wait in between.
 *
 * Named like CDK's own `RetryProps`. A failed attempt is classified in this order:
 * 1. a stopped task whose stopped reason matches `nonRetryableStoppedReasons` is not retried;
 * 2. a stopped task is retried if its stop code is in `retryableStopCodes`, its stopped reason
 *    matches `retryableStoppedReasons`, or any container's exit code is in `retryableExitCodes`;
 * 3. an error whose name is in `retryableErrors` is retried;
 * 4. anything else is not retried.
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
   * whole `StoppedReason` of a stopped task. A match makes the failure retryable.
   *
   * @default - `RetryDefaults.RETRYABLE_STOPPED_REASONS`
   */
  readonly retryableStoppedReasons?: string[];

  /**
   * Glob patterns for stopped reasons known to be permanent. A match is never retried, whatever
   * else matches.
   *
   * @default - `RetryDefaults.NON_RETRYABLE_STOPPED_REASONS`: missing image or tag, denied pull,
   * denied or missing secret
   */
  readonly nonRetryableStoppedReasons?: string[];

  /**
   * Retry when any container of the stopped task exited with one of these codes.
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
}
