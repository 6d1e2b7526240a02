/**
 * Step Functions' hard limits that no local interpreter enforces, as the test harness checks them
 * on every synthesized definition (`definition-limits.ts`, through `synthesis-limits.ts`) and every
 * local execution (`execution-limits.ts`, in `executeLocally` and `executeInMiniStack`).
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html
 */

/** "Names of state machines, executions, and activity tasks must not exceed 80 characters"; state names too (`Name` in the API). */
export const MAX_STATE_NAME_LENGTH = 80;

/**
 * "Maximum size of a state machine definition: 1 MB" (a hard quota); the API's `definition` is at
 * most 1,048,576 long. Measured in UTF-8 bytes, which are never fewer than the characters.
 */
export const MAX_DEFINITION_BYTES = 1_048_576;

/**
 * "Maximum input or output size for a task, state, or execution: 256 KiB of data as a UTF-8
 * encoded string": a state's input and output, a task's parameters and result, the execution's
 * input and output. Exceeding it is `States.DataLimitExceeded`, which no Catch catches.
 */
export const MAX_PAYLOAD_BYTES = 262_144;

/** "Size of a single variable: 256 KiB", the JSON of its value in UTF-8. */
export const MAX_VARIABLE_BYTES = 262_144;

/** "Combined size of variables in a single Assign: 256 KiB". */
export const MAX_ASSIGN_BYTES = 262_144;

/** Bytes of UTF-8, as Step Functions counts them. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Bytes of a value's JSON in UTF-8. */
export function jsonBytes(value: unknown): number {
  return utf8Bytes(JSON.stringify(value) ?? 'null');
}

/** `1,048,577`: sizes and limits in messages. */
export function formatNumber(n: number): string {
  return n.toLocaleString('en-US');
}

/** One limit that a definition or an execution exceeded, in words that name where and by how much. */
export interface LimitViolation {
  /** The state machine or execution. */
  readonly subject: string;
  /** The state, when there is one. */
  readonly state?: string;
  /** What was measured, e.g. `output` or `variable "retry_history"`. */
  readonly what: string;
  readonly size: number;
  readonly limit: number;
  /** The unit of `size` and `limit`. */
  readonly unit: 'bytes' | 'characters';
  /** The limit's name in the AWS documentation. */
  readonly limitName: string;
}

/** One line that names the subject, the state, the size and the limit. */
export function describeViolation(v: LimitViolation): string {
  const where = v.state === undefined ? v.subject : `${v.subject}, state ${JSON.stringify(v.state)}`;
  return `${where}: ${v.what} is ${formatNumber(v.size)} ${v.unit}, over Step Functions' ${v.limitName} of ${formatNumber(v.limit)} ${v.unit}`;
}

/** One oversized value can exceed a limit in dozens of events; a message shows the first ones. */
const MAX_VIOLATIONS_SHOWN = 10;

/** Thrown by the harness when a definition or an execution exceeds a Step Functions limit. */
export class StepFunctionsLimitError extends Error {
  constructor(public readonly violations: readonly LimitViolation[], context: string) {
    const shown = violations.slice(0, MAX_VIOLATIONS_SHOWN).map((v) => `  - ${describeViolation(v)}`);
    const more = violations.length > MAX_VIOLATIONS_SHOWN ? [`  - and ${violations.length - MAX_VIOLATIONS_SHOWN} more`] : [];
    super([`${context}: Step Functions would fail here (limits: test/support/step-functions-limits.ts)`, ...shown, ...more].join('\n'));
    this.name = 'StepFunctionsLimitError';
  }
}
