/**
 * Reads what survives of a stopped-task description whose JSON was cut short.
 *
 * Step Functions keeps at most 32,768 characters of an error's Cause, so a task description with
 * a long stopped reason arrives cut mid-JSON. ECS writes the fields in alphabetical order, so the
 * stop code and the containers come before the cut in practice, and the stopped reason survives
 * in part. Linear-time patterns only: the input may be any string.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_TaskFailedEventDetails.html
 */
export interface SalvagedTask {
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly containers?: unknown[];
}

/** Marks a stopped reason that the cut ended. */
export const CUT_MARKER = '…[cause cut short]';

export function salvageStoppedTask(text: string): SalvagedTask | undefined {
  if (!text.trimStart().startsWith('{')) {
    return undefined;
  }
  const stopCode = stringValue(text, 'StopCode');
  const stoppedReason = stringValue(text, 'StoppedReason');
  const containers = arrayValue(text, 'Containers');
  if (stopCode === undefined && stoppedReason === undefined && containers === undefined) {
    return undefined;
  }
  return { stopCode, stoppedReason, containers };
}

/** The first `"key": "value"` string of the text, unescaped; an unterminated value is kept with a marker. */
function stringValue(text: string, key: string): string | undefined {
  const match = new RegExp(`"${key}"\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)(")?`).exec(text);
  if (!match) {
    return undefined;
  }
  // A cut can fall inside an escape sequence; drop the partial escape before decoding.
  const raw = match[2] ? match[1] : match[1].replace(/\\(u[0-9a-fA-F]{0,3})?$/, '');
  let value: string;
  try {
    value = JSON.parse(`"${raw}"`);
  } catch {
    value = raw;
  }
  return match[2] ? value : value + CUT_MARKER;
}

/** The first complete `"key": [ ... ]` array of the text, or undefined when it was cut. */
function arrayValue(text: string, key: string): unknown[] | undefined {
  const start = new RegExp(`"${key}"\\s*:\\s*\\[`).exec(text);
  if (!start) {
    return undefined;
  }
  const open = start.index + start[0].length - 1;
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') {
        i++;
      } else if (c === '"') {
        inString = false;
      }
    } else if (c === '"') {
      inString = true;
    } else if (c === '[' || c === '{') {
      depth++;
    } else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        try {
          const parsed = JSON.parse(text.slice(open, i + 1));
          return Array.isArray(parsed) ? parsed : undefined;
        } catch {
          return undefined;
        }
      }
    }
  }
  return undefined;
}
