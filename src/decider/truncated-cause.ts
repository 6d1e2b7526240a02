import {
  CUT_CONTAINERS, CUT_CONTAINERS_START, CUT_MARKER, CUT_OBJECT_START, CUT_PARTIAL_ESCAPE, CUT_STOP_CODE, CUT_STOPPED_REASON, JSON_STRING_BODY,
} from './cause-syntax';
import { readJson } from './json-text';

/** Re-exported for the tests, which know the marker as the decider's. */
export { CUT_MARKER };

/**
 * Reads what survives of a stopped-task description whose JSON was cut short.
 *
 * Step Functions keeps at most 32,768 characters of an error's Cause, so a task description with
 * a long stopped reason arrives cut mid-JSON. ECS writes the fields in alphabetical order, so the
 * stop code and the containers come before the cut in practice, and the stopped reason survives
 * in part. The patterns are the `CUT_*` sources, which the JSONata engine reads with too.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_TaskFailedEventDetails.html
 */
export interface SalvagedTask {
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly containers?: unknown[];
}

const OBJECT_START = new RegExp(CUT_OBJECT_START);
const STOP_CODE = new RegExp(CUT_STOP_CODE);
const STOPPED_REASON = new RegExp(CUT_STOPPED_REASON);
const CONTAINERS_START = new RegExp(CUT_CONTAINERS_START);
const CONTAINERS = new RegExp(CUT_CONTAINERS);
const PARTIAL_ESCAPE = new RegExp(CUT_PARTIAL_ESCAPE);
const STRING_BODY = new RegExp(JSON_STRING_BODY);

export function salvageStoppedTask(text: string): SalvagedTask | undefined {
  if (!OBJECT_START.test(text)) {
    return undefined;
  }
  const stopCode = stringValue(text, STOP_CODE);
  const stoppedReason = stringValue(text, STOPPED_REASON);
  const containers = containersValue(text);
  if (stopCode === undefined && stoppedReason === undefined && containers === undefined) {
    return undefined;
  }
  return { stopCode, stoppedReason, containers };
}

/** The first `"key": "value"` string of the text, unescaped; an unterminated value is kept with a marker. */
function stringValue(text: string, pattern: RegExp): string | undefined {
  const match = pattern.exec(text);
  if (!match) {
    return undefined;
  }
  // A cut can fall inside an escape sequence; drop the partial escape before decoding.
  const raw = match[2] ? match[1] : match[1].replace(PARTIAL_ESCAPE, '');
  const value = STRING_BODY.test(raw) ? JSON.parse(`"${raw}"`) as string : raw;
  return match[2] ? value : value + CUT_MARKER;
}

/** The first `"Containers": [ ... ]` array of the text, or undefined when it was cut or is not JSON. */
function containersValue(text: string): unknown[] | undefined {
  const start = CONTAINERS_START.exec(text);
  const array = start && CONTAINERS.exec(start[1]);
  const json = array ? readJson(array[0]) : undefined;
  return json && Array.isArray(json.value) ? json.value : undefined;
}
