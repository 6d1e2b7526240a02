import { Duration, Token } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RetryDefaults } from './retry-defaults';
import { RetryPolicyProps } from './retry-policy-props';
import { TaskStopCode } from './task-stop-code';
import { MAX_ATTEMPTS_LIMIT, MAX_DELAY_LIMIT_SECONDS } from '../decider/wire';
import type { DeciderPolicy, DeciderPolicyDiff, FallbackRules } from '../decider/wire';

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

  const retryableStopCodes = stopCodes('retryableStopCodes', props.retryableStopCodes ?? RetryDefaults.RETRYABLE_STOP_CODES);

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
    retryableStopCodes,
    retryableStoppedReasons: nonEmptyStrings('retryableStoppedReasons', props.retryableStoppedReasons ?? RetryDefaults.RETRYABLE_STOPPED_REASONS),
    nonRetryableStoppedReasons: nonEmptyStrings('nonRetryableStoppedReasons', props.nonRetryableStoppedReasons ?? RetryDefaults.NON_RETRYABLE_STOPPED_REASONS),
    retryableExitCodes,
    retryableErrors: nonEmptyStrings('retryableErrors', props.retryableErrors ?? RetryDefaults.RETRYABLE_ERRORS),
    nonRetryableErrorCauses: nonEmptyStrings('nonRetryableErrorCauses', props.nonRetryableErrorCauses ?? RetryDefaults.NON_RETRYABLE_ERROR_CAUSES),
  };
}

/**
 * Validates the fallback rules at synth time and renders them for the decider. Not part of
 * `renderRetryPolicy`: a policy carries them only when the run has a fallback launch target.
 */
export function renderFallbackRules(props: RetryPolicyProps): FallbackRules {
  return {
    stopCodes: stopCodes('fallbackStopCodes', props.fallbackStopCodes ?? RetryDefaults.FALLBACK_STOP_CODES),
    stoppedReasons: nonEmptyStrings('fallbackStoppedReasons', props.fallbackStoppedReasons ?? RetryDefaults.FALLBACK_STOPPED_REASONS),
    errorCauses: nonEmptyStrings('fallbackErrorCauses', props.fallbackErrorCauses ?? RetryDefaults.FALLBACK_ERROR_CAUSES),
  };
}

/**
 * The most bytes a rendered policy may take. The Lambda engine sends it with every decision,
 * beside the caught error (up to 32,768 characters) and the history (README, "Payload bound"),
 * in a payload that Step Functions limits to 256 KiB; the state machine engine writes it into its
 * decision expression and the `Retry or fail` comment.
 */
export const MAX_POLICY_BYTES = 32 * 1024;

/**
 * Rejects a policy too large to travel with a decision, naming the lists that make it so: the
 * whole policy, and on the Lambda engine also the diff it sends, which may be the whole policy
 * and its defaults' id.
 */
export function checkPolicySize(policy: DeciderPolicy | DeciderPolicyDiff): void {
  const bytes = Buffer.byteLength(JSON.stringify(policy), 'utf8');
  if (bytes <= MAX_POLICY_BYTES) {
    return;
  }
  const lists: Array<[string, unknown]> = [
    ['retryableStoppedReasons', policy.retryableStoppedReasons],
    ['nonRetryableStoppedReasons', policy.nonRetryableStoppedReasons],
    ['retryableErrors', policy.retryableErrors],
    ['nonRetryableErrorCauses', policy.nonRetryableErrorCauses],
    ['retryableExitCodes', policy.retryableExitCodes],
    ['fallbackStoppedReasons', policy.fallback?.stoppedReasons],
    ['fallbackErrorCauses', policy.fallback?.errorCauses],
  ];
  const largest = lists
    .map(([prop, value]): [string, number] => [prop, Buffer.byteLength(JSON.stringify(value ?? []), 'utf8')])
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([prop, size]) => `\`${prop}\` (${size} bytes)`);
  throw new Error(
    `The retry policy must render to at most ${MAX_POLICY_BYTES} bytes of JSON, so that it fits beside the largest failure and history in a decision's 256 KiB, got: ${bytes} bytes. `
    + `Shorten the longest lists: ${largest.join(', ')}.`,
  );
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

function stopCodes(prop: string, values: TaskStopCode[]): string[] {
  values.forEach((code, i) => {
    if (!(code instanceof TaskStopCode)) {
      throw new Error(`\`${prop}[${i}]\` must be a TaskStopCode, got: ${JSON.stringify(code)}.`);
    }
  });
  return values.map((c) => c.code);
}

function nonEmptyStrings(prop: string, values: string[]): string[] {
  values.forEach((value, i) => {
    if (typeof value !== 'string' || (!Token.isUnresolved(value) && value.trim() === '')) {
      throw new Error(`\`${prop}[${i}]\` must be a non-empty string, got: ${JSON.stringify(value)}.`);
    }
  });
  return values;
}
