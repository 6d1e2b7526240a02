import { recordLimitFailure } from './limit-failures';
import {
  formatNumber, jsonBytes, LimitViolation, MAX_ASSIGN_BYTES, MAX_PAYLOAD_BYTES, MAX_VARIABLE_BYTES, StepFunctionsLimitError, utf8Bytes,
} from './step-functions-limits';

const PAYLOAD_LIMIT = 'maximum input or output size for a task, state, or execution';

/** One call of a Task state's resource, as `executeLocally` records it. */
interface LocalTaskCall {
  readonly state: string;
  readonly input: unknown;
  readonly output?: unknown;
}

/**
 * The data limits an aws-local-stepfunctions execution exceeded, from its event log and the
 * calls of its Task states: the execution's input and output, every state's input and output (in
 * Map iterations and Parallel branches too), and every task's parameters (what `TaskScheduled`
 * would carry: the resource's input after `Parameters`) and result.
 *
 * Variables: aws-local-stepfunctions does not run `Assign` (or JSONata), so an execution there has
 * none to measure; MiniStack's history is checked for them (`historyLimitViolations`).
 */
export function localExecutionViolations(subject: string, eventLog: readonly any[], taskCalls: readonly LocalTaskCall[]): LimitViolation[] {
  const violations: LimitViolation[] = [];
  const payload = (value: unknown, what: string, state?: string) => {
    if (value !== undefined) {
      const size = jsonBytes(value);
      if (size > MAX_PAYLOAD_BYTES) {
        violations.push({ subject, state, what, size, limit: MAX_PAYLOAD_BYTES, unit: 'bytes', limitName: PAYLOAD_LIMIT });
      }
    }
  };
  for (const event of eventLog) {
    const where = event.index === undefined ? '' : ` (Map iteration ${event.index})`;
    switch (event.type) {
      case 'ExecutionStarted':
        payload(event.input, 'the execution input');
        break;
      case 'ExecutionSucceeded':
        payload(event.output, 'the execution output');
        break;
      case 'StateEntered':
        payload(event.state.input, `the input${where}`, event.state.name);
        break;
      case 'StateExited':
        payload(event.state.output, `the output${where}`, event.state.name);
        break;
    }
  }
  for (const call of taskCalls) {
    payload(call.input, 'the task input (parameters)', call.state);
    payload(call.output, 'the task result', call.state);
  }
  return violations;
}

/**
 * The data limits an execution exceeded, from its history as `GetExecutionHistory` returns it
 * (MiniStack's, or AWS's): the execution's input and output, each state's input and output, each
 * task's parameters (`TaskScheduled`) and result (`TaskSucceeded`), and the variables each state
 * assigned (`assignedVariables`, each at most 256 KiB, and together at most 256 KiB: a state's
 * Assign, and a Choice rule's beside it, are summed, which can only overstate).
 *
 * Every JSON text is measured as Step Functions writes it, compact and in UTF-8: MiniStack writes
 * JSON with spaces and `\u` escapes, which would overstate it. A task event is named after the
 * state entered last: in MiniStack, which records no state events inside a Map or Parallel state,
 * that is the Map or Parallel state.
 */
export function historyLimitViolations(subject: string, events: readonly any[]): LimitViolation[] {
  const violations: LimitViolation[] = [];
  let state: string | undefined;
  const over = (size: number, limit: number, what: string, limitName: string, inState = state) => {
    if (size > limit) {
      violations.push({ subject, state: inState, what, size, limit, unit: 'bytes', limitName });
    }
  };
  const payload = (text: unknown, what: string, inState?: string) => {
    if (typeof text === 'string') {
      over(compactJsonBytes(text), MAX_PAYLOAD_BYTES, what, PAYLOAD_LIMIT, inState);
    }
  };
  for (const event of events) {
    const type: string = event.type;
    if (type === 'ExecutionStarted') {
      payload(event.executionStartedEventDetails?.input, 'the execution input', undefined);
    } else if (type === 'ExecutionSucceeded') {
      payload(event.executionSucceededEventDetails?.output, 'the execution output', undefined);
    } else if (type.endsWith('StateEntered')) {
      state = event.stateEnteredEventDetails?.name;
      payload(event.stateEnteredEventDetails?.input, 'the input', state);
    } else if (type.endsWith('StateExited')) {
      const details = event.stateExitedEventDetails ?? {};
      state = details.name ?? state;
      payload(details.output, 'the output', state);
      const assigned = Object.entries<string>(details.assignedVariables ?? {}).map(([name, value]) => [name, compactJsonBytes(value)] as const);
      for (const [name, size] of assigned) {
        over(size, MAX_VARIABLE_BYTES, `variable $${name}`, 'maximum size of a single variable', state);
      }
      over(assigned.reduce((sum, [, size]) => sum + size, 0), MAX_ASSIGN_BYTES,
        `the variables it assigns (${assigned.map(([name]) => `$${name}`).join(', ')})`, 'maximum combined size of the variables in a single Assign', state);
    } else if (type === 'TaskScheduled') {
      payload(event.taskScheduledEventDetails?.parameters, 'the task input (parameters)', state);
    } else if (type === 'TaskSucceeded') {
      payload(event.taskSucceededEventDetails?.output, 'the task result', state);
    }
  }
  return violations;
}

/** How a test says that an execution exceeds a data limit on purpose. */
export interface DataLimitExpectation {
  /**
   * The execution exceeds a Step Functions data limit on purpose, e.g. to show where a limit lies:
   * the check then fails unless it does, and the violations are returned for the test to assert.
   * Without it, any violation fails the test. Never set it to silence a check.
   *
   * @default false
   */
  readonly expectDataLimitExceeded?: boolean;
}

/**
 * Throws a `StepFunctionsLimitError` when the execution exceeded a limit it was not expected to
 * (recorded as well, so that catching it does not pass the test), or an Error when it was
 * expected to and did not. Returns the violations.
 */
export function expectWithinDataLimits(
  violations: LimitViolation[], context: string, expectation: DataLimitExpectation = {},
): LimitViolation[] {
  if (expectation.expectDataLimitExceeded) {
    if (violations.length === 0) {
      throw new Error(`${context}: expected (expectDataLimitExceeded) to exceed a Step Functions data limit, but every input, output, `
        + `task parameter and variable is at most ${formatNumber(MAX_PAYLOAD_BYTES)} bytes`);
    }
    return violations;
  }
  if (violations.length > 0) {
    const error = new StepFunctionsLimitError(violations, context);
    recordLimitFailure(error);
    throw error;
  }
  return violations;
}

/** The UTF-8 bytes of a JSON text as compact JSON; a text that is not JSON is measured as it is. */
function compactJsonBytes(text: string): number {
  try {
    return jsonBytes(JSON.parse(text));
  } catch {
    return utf8Bytes(text);
  }
}

/** The current Jest test's full name, to name an execution in messages; undefined outside Jest (bench/). */
export function currentTestName(): string | undefined {
  return (globalThis as any).expect?.getState?.().currentTestName;
}
