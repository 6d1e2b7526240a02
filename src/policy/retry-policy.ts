import { Duration, Token } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RetryDefaults } from './retry-defaults';
import { TaskStopCode } from './task-stop-code';
import { MAX_ATTEMPTS_LIMIT, MAX_DELAY_LIMIT_SECONDS } from '../decider/wire';
import type { DeciderPolicy } from '../decider/wire';

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

const MAX_DELAY_LIMIT = Duration.seconds(MAX_DELAY_LIMIT_SECONDS);

/**
 * Validates a policy at synth time and renders it for the decider. Unresolved tokens pass
 * through unchecked.
 */
export function renderRetryPolicy(props: RetryPolicyProps): DeciderPolicy {
  const maxAttempts = props.maxAttempts ?? RetryDefaults.MAX_ATTEMPTS;
  if (!Token.isUnresolved(maxAttempts) && !(Number.isInteger(maxAttempts) && maxAttempts >= 1 && maxAttempts <= MAX_ATTEMPTS_LIMIT)) {
    throw new Error(`\`maxAttempts\` must be an integer between 1 and ${MAX_ATTEMPTS_LIMIT}, got: ${maxAttempts}.`);
  }

  const backoffRate = props.backoffRate ?? RetryDefaults.BACKOFF_RATE;
  if (!Token.isUnresolved(backoffRate) && !(Number.isFinite(backoffRate) && backoffRate >= 1)) {
    throw new Error(`\`backoffRate\` must be a number of at least 1, got: ${backoffRate}.`);
  }

  const intervalSeconds = wholeSeconds('interval', props.interval ?? Duration.seconds(RetryDefaults.INTERVAL_SECONDS));
  const maxDelaySeconds = wholeSeconds('maxDelay', props.maxDelay ?? Duration.seconds(RetryDefaults.MAX_DELAY_SECONDS));
  if (!Token.isUnresolved(maxDelaySeconds) && maxDelaySeconds > MAX_DELAY_LIMIT.toSeconds()) {
    throw new Error(`\`maxDelay\` must be at most ${MAX_DELAY_LIMIT.toHumanString()}, got: ${maxDelaySeconds} seconds.`);
  }
  if (!Token.isUnresolved(intervalSeconds) && !Token.isUnresolved(maxDelaySeconds) && maxDelaySeconds < intervalSeconds) {
    throw new Error(
      `\`maxDelay\` must be at least \`interval\`, got: maxDelay ${maxDelaySeconds} seconds < interval ${intervalSeconds} seconds.`,
    );
  }

  const jitter = props.jitterStrategy ?? sfn.JitterType.FULL;
  if (jitter !== sfn.JitterType.FULL && jitter !== sfn.JitterType.NONE) {
    throw new Error(`\`jitterStrategy\` must be JitterType.FULL or JitterType.NONE, got: ${JSON.stringify(jitter)}.`);
  }

  const retryableStopCodes = props.retryableStopCodes ?? RetryDefaults.RETRYABLE_STOP_CODES;
  retryableStopCodes.forEach((code, i) => {
    if (!(code instanceof TaskStopCode)) {
      throw new Error(`\`retryableStopCodes[${i}]\` must be a TaskStopCode, got: ${JSON.stringify(code)}.`);
    }
  });

  const retryableExitCodes = props.retryableExitCodes ?? RetryDefaults.RETRYABLE_EXIT_CODES;
  retryableExitCodes.forEach((code, i) => {
    if (!Token.isUnresolved(code) && !Number.isInteger(code)) {
      throw new Error(`\`retryableExitCodes[${i}]\` must be an integer, got: ${code}.`);
    }
  });

  return {
    maxAttempts,
    intervalSeconds,
    backoffRate,
    maxDelaySeconds,
    jitter,
    retryableStopCodes: retryableStopCodes.map((c) => c.code),
    retryableStoppedReasons: nonEmptyStrings('retryableStoppedReasons', props.retryableStoppedReasons ?? RetryDefaults.RETRYABLE_STOPPED_REASONS),
    nonRetryableStoppedReasons: nonEmptyStrings('nonRetryableStoppedReasons', props.nonRetryableStoppedReasons ?? RetryDefaults.NON_RETRYABLE_STOPPED_REASONS),
    retryableExitCodes,
    retryableErrors: nonEmptyStrings('retryableErrors', props.retryableErrors ?? RetryDefaults.RETRYABLE_ERRORS),
  };
}

/** A positive duration in whole seconds, as a Wait state needs. */
export function wholeSeconds(prop: string, duration: Duration): number {
  if (duration.isUnresolved()) {
    return duration.toSeconds();
  }
  const millis = duration.toMilliseconds();
  if (!(millis > 0) || millis % 1000 !== 0) {
    throw new Error(`\`${prop}\` must be a positive whole number of seconds, got: ${duration.toHumanString()}.`);
  }
  return millis / 1000;
}

function nonEmptyStrings(prop: string, values: string[]): string[] {
  values.forEach((value, i) => {
    if (typeof value !== 'string' || (!Token.isUnresolved(value) && value.trim() === '')) {
      throw new Error(`\`${prop}[${i}]\` must be a non-empty string, got: ${JSON.stringify(value)}.`);
    }
  });
  return values;
}
