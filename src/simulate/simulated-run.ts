/**
 * What `simulate()` predicts a run does with a list of failures: its result, and each attempt.
 */
export interface SimulatedRun {
  /** `SUCCEEDED` or `FAILED`: how the run ends. */
  readonly status: string;

  /**
   * The error the run fails with: `RetryErrors.NOT_RETRYABLE` or `RetryErrors.ATTEMPTS_EXHAUSTED`.
   *
   * @default - none: the run succeeds
   */
  readonly errorName?: string;

  /**
   * The cause the run fails with, as the execution reports it: the last attempt, its failure, the
   * rule that decided and, with adaptive retries, where it ran.
   *
   * @default - none: the run succeeds
   */
  readonly cause?: string;

  /** Every attempt the run makes, in order: the failed ones, then the one that succeeds, if any. */
  readonly attempts: SimulatedAttempt[];
}

/** One attempt of a simulated run. */
export interface SimulatedAttempt {
  /** The attempt's number, from 1. */
  readonly attempt: number;

  /** `SUCCEEDED` or `FAILED`. */
  readonly outcome: string;

  /**
   * What the run does after this failed attempt: `RETRY` (runs it again), `NOT_RETRYABLE` (fails
   * with `RetryErrors.NOT_RETRYABLE`) or `EXHAUSTED` (retryable, but no attempt is left: fails
   * with `RetryErrors.ATTEMPTS_EXHAUSTED`).
   *
   * @default - none: the attempt succeeded
   */
  readonly decision?: string;

  /**
   * The rule that decided, as the decider names it in the history and its log, e.g.
   * `retryableStopCode:SpotInterruption` or `outOfMemory:escalate to size 1`.
   *
   * @default - none: the attempt succeeded
   */
  readonly rule?: string;

  /**
   * The shortest wait before the next attempt, in seconds: 0 with full jitter, which draws the
   * wait from 0 to `maxWaitSeconds`; without jitter, `maxWaitSeconds`.
   *
   * @default - none: the run does not retry after this attempt
   */
  readonly minWaitSeconds?: number;

  /**
   * The longest wait before the next attempt, in seconds: the capped exponential backoff.
   *
   * @default - none: the run does not retry after this attempt
   */
  readonly maxWaitSeconds?: number;

  /** `primary` or `fallback`: the launch target the attempt runs on (`launchTarget` or `fallbackLaunchTarget`). */
  readonly capacity: string;

  /**
   * The task CPU units the attempt runs with: its `outOfMemorySizes` rung, or else `cpu`, or else
   * the task definition's, when it is a literal.
   *
   * @default - unknown at synth time (a token, a JsonPath, or a task definition without task-level CPU)
   */
  readonly cpu?: number;

  /**
   * The task memory in MiB the attempt runs with: its `outOfMemorySizes` rung, or else
   * `memoryMiB`, or else the task definition's, when it is a literal.
   *
   * @default - unknown at synth time (a token, a JsonPath, or a task definition without task-level memory)
   */
  readonly memoryMiB?: number;
}
