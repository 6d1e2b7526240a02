import type { EcsFailure } from './fixtures';
import {
  BRIEF_NAME_LENGTH, BRIEF_RULE_LENGTH, MAX_CONTAINER_NAME_LENGTH, MAX_NAME_LENGTH, MAX_READ_CONTAINERS, MAX_REASON_LENGTH, MAX_RULE_LENGTH,
  WHOLE_LATEST_ENTRIES,
} from '../../src/decider/history-bounds';
import type { AttemptRecord } from '../../src/decider/wire';
import { MAX_ATTEMPTS_LIMIT } from '../../src/decider/wire';

/**
 * The largest states a run can carry: failures built to cost the most bytes, and the largest
 * history entries the bounds allow. Sizes are what Step Functions counts: UTF-8 bytes of the
 * JSON, escapes included.
 */

/** Bytes of `value` as JSON in UTF-8, as Step Functions measures a state. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** A control character: 1 code point, 6 bytes of JSON (`\u0001`). The costliest per character. */
export const COSTLY = '\u0001';

/** Step Functions keeps at most this many characters of an error's Cause. */
export const MAX_CAUSE_LENGTH = 32_768;

/**
 * A character that Step Functions can write into a Cause and that costs the most there: a
 * Cause is JSON or a message, which hold no raw control characters, so its costliest character
 * is one of 3 UTF-8 bytes.
 */
export const COSTLY_IN_CAUSE = '漢';

/** The most bytes a Cause can take in a state's JSON: 3 per character, and its quotes. */
export const MAX_CAUSE_BYTES = MAX_CAUSE_LENGTH * 3 + 2;

/** The most bytes an error name takes: Step Functions allows 256 characters. */
export const MAX_ERROR_NAME_BYTES = 256 * 6 + 2;

/** An integer exit code that JSON writes with the most characters, among those the engines read (exponents of 2 digits). */
export const LONGEST_EXIT_CODE = -9.999999999999999e99;

/**
 * A stopped task that costs the most in a history entry: a stop code, a stopped reason, ten
 * containers with long names and exit codes, a container reason that decides, each of control
 * characters, and the rest of the Cause's 32,768 characters filled with 3-byte characters, which
 * the Lambda engine carries in its state. Retried by `worstCasePolicyProps()`.
 */
export function worstCaseTaskFailure(variant: number = 0): EcsFailure {
  const costly = (n: number) => COSTLY.repeat(n);
  const task = {
    Containers: [...Array(MAX_READ_CONTAINERS).keys()].map((i) => ({
      Name: `${costly(MAX_CONTAINER_NAME_LENGTH + 40)}${i}`,
      ExitCode: LONGEST_EXIT_CODE,
      ...(i === 0 ? { Reason: `${WORST_CASE_REASON_PREFIX}${costly(MAX_REASON_LENGTH)}${variant}` } : {}),
    })),
    StopCode: `${costly(MAX_NAME_LENGTH + 10)}${variant}`,
    StoppedReason: `${costly(MAX_REASON_LENGTH + 10)}${variant}`,
    TaskArn: 'arn:aws:ecs:us-east-1:123456789012:task/jobs/0f1e2d3c',
  };
  const text = JSON.stringify(task);
  const filler = MAX_CAUSE_LENGTH - text.length - ',"Group":""'.length;
  if (filler < 0) {
    throw new Error(`the worst-case task description is ${text.length} characters, over the Cause limit`);
  }
  return { Error: 'States.TaskFailed', Cause: JSON.stringify({ ...task, Group: COSTLY_IN_CAUSE.repeat(filler) }) };
}

/** The start of the container reason that `worstCasePolicyProps()` retries. */
export const WORST_CASE_REASON_PREFIX = 'Worst case';

/** A policy that retries `worstCaseTaskFailure()` by its container reason, 50 times. */
export function worstCasePolicyProps() {
  return { maxAttempts: MAX_ATTEMPTS_LIMIT, retryableStoppedReasons: [`${WORST_CASE_REASON_PREFIX}*`] };
}

/** The largest history entry kept whole that the bounds allow: every text at its limit, of control characters. */
export function largestWholeEntry(): AttemptRecord {
  const costly = (n: number) => COSTLY.repeat(n);
  return {
    attempt: MAX_ATTEMPTS_LIMIT,
    error: costly(MAX_NAME_LENGTH),
    stopCode: costly(MAX_NAME_LENGTH),
    // A deciding container reason shares the stopped reason's length: the two together are as long as one alone.
    stoppedReason: costly(MAX_REASON_LENGTH / 2),
    containerReason: costly(MAX_REASON_LENGTH / 2),
    exitCodes: [...Array(MAX_READ_CONTAINERS)].map(() => ({ name: costly(MAX_CONTAINER_NAME_LENGTH), exitCode: LONGEST_EXIT_CODE })),
    rule: costly(MAX_RULE_LENGTH),
    retryable: false,
    waitSeconds: 31_536_000,
    size: { cpu: 16_384, memoryMiB: 122_880 },
    capacity: 'fallback',
  };
}

/** The largest brief history entry the bounds allow. */
export function largestBriefEntry(): AttemptRecord {
  const costly = (n: number) => COSTLY.repeat(n);
  return {
    attempt: MAX_ATTEMPTS_LIMIT,
    error: costly(BRIEF_NAME_LENGTH),
    stopCode: costly(BRIEF_NAME_LENGTH),
    exitCodes: [],
    rule: costly(BRIEF_RULE_LENGTH),
    retryable: false,
    waitSeconds: 31_536_000,
    size: { cpu: 16_384, memoryMiB: 122_880 },
    capacity: 'fallback',
    shortened: true,
  };
}

/** The most bytes a history of `entries` entries can take. */
export function largestHistoryBytes(entries: number = MAX_ATTEMPTS_LIMIT): number {
  const whole = Math.min(entries, WHOLE_LATEST_ENTRIES + 1);
  return jsonBytes([...Array(whole)].map(largestWholeEntry)) + (entries - whole) * (jsonBytes(largestBriefEntry()) + 1);
}
