/**
 * The bounds of what both decision engines record: how long each text in a history entry and in
 * a decision's cause may be, and which entries of a long history are kept whole. Together they
 * bound the state a run carries for any failures (README, "Payload bound"); the worst case is
 * computed by `test/execution/state-size.test.ts` on both engines.
 *
 * Lengths count Unicode code points, as JSONata does. In the state's JSON a code point takes at
 * most 6 bytes (a control character, escaped as `\u00XX`).
 *
 * Nothing here is part of the library's public API.
 */

/** Stopped and container reasons; a deciding container reason shares this with the stopped reason. */
export const MAX_REASON_LENGTH = 384;

/** Error names and stop codes. */
export const MAX_NAME_LENGTH = 255;

/** Container names, in exit codes. ECS allows 255; names that long say nothing more in a history. */
export const MAX_CONTAINER_NAME_LENGTH = 64;

/** The rule that decided: a rule name and a pattern, error name or exit code. */
export const MAX_RULE_LENGTH = MAX_NAME_LENGTH + 64;

/**
 * At most this many containers are read per attempt, for their exit codes and reasons (ECS
 * allows 10 per task), and at most this many `Failures` of a RunTask answer.
 */
export const MAX_READ_CONTAINERS = 10;

/**
 * A history keeps whole its first entry and its latest `WHOLE_LATEST_ENTRIES`; every entry
 * between them is made brief. A run of up to 3 failed attempts keeps every entry whole.
 */
export const WHOLE_LATEST_ENTRIES = 2;

/**
 * A brief entry keeps the attempt, its error name and stop code cut to this length, its rule cut
 * to `BRIEF_RULE_LENGTH`, whether it was retryable, the wait, the size and capacity, and
 * `shortened: true`; its reasons and exit codes go.
 */
export const BRIEF_NAME_LENGTH = 32;

/** The rule of a brief entry. */
export const BRIEF_RULE_LENGTH = 64;
