import { describeJson, InputError } from '../input-error';
import { type JsonInput, parseEmbeddedJsonText } from '../json-input';

/**
 * One event of an execution history, as `GetExecutionHistory` returns it (and
 * `aws stepfunctions get-execution-history --output json` prints it), reduced to what `explain`
 * reads.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
 */
export interface HistoryEvent {
  readonly id: number;
  /** The event this one follows in its chain; 0 or absent for the first. */
  readonly previousEventId?: number;
  readonly type: string;
  /** Milliseconds since the epoch; undefined when the event has no readable timestamp. */
  readonly time?: number;
  /** The event's one `…EventDetails` object, `{}` when it has none. */
  readonly details: Record<string, unknown>;
}

/** The events of one execution, in event id order, and what is odd about them. */
export interface ExecutionHistory {
  readonly events: HistoryEvent[];
  readonly warnings: string[];
  /**
   * The events the history contradicts: an id given to two different events, an event that
   * follows one after it, an event before the execution started or after it ended. What is read
   * from them may be wrong.
   */
  readonly contradicted: ReadonlySet<number>;
}

export const EXPECTED_HISTORY = 'the JSON that `aws stepfunctions get-execution-history --output json` prints (an object with an `events` array)';

/** A history as `explain` reads it, and what to do about one too large to read. */
export const HISTORY_INPUT: JsonInput = {
  expected: EXPECTED_HISTORY,
  tooLarge: 'fetch the history without execution data (`aws stepfunctions get-execution-history --no-include-execution-data '
    + '--execution-arn … --output json`), which explain reads with each decision taken from the state its run went to next',
  typicalValues: 'a history of 25,000 events, the most Step Functions records, holds about 250,000',
};

/**
 * Collects the events of every page: a page is `{ events: [...] }` (the API's and the CLI's
 * answer), an array of pages, or an array of events. Pages may overlap or come in reverse order;
 * events are ordered by id and each id is kept once.
 */
export function readHistory(values: unknown[]): ExecutionHistory {
  const byId = new Map<number, HistoryEvent>();
  const warnings: string[] = [];
  // Overlapping pages repeat events; an id whose events differ is a history that contradicts itself.
  const twice = new Set<number>();
  const add = (raw: unknown, where: string) => {
    const event = toEvent(raw, where);
    const known = byId.get(event.id);
    if (known === undefined) {
      byId.set(event.id, event);
    } else if (!sameJson(known, event)) {
      twice.add(event.id);
    }
  };
  const addPage = (page: unknown, where: string) => {
    if (Array.isArray(page)) {
      if (page.every(isPage)) {
        page.forEach((p, i) => addPage(p, `${where}, page ${i + 1}`));
      } else {
        page.forEach((e, i) => add(e, `${where}, event ${i + 1}`));
      }
      return;
    }
    if (!isPage(page)) {
      throw new InputError(EXPECTED_HISTORY, `${describeJson(page)}${where ? ` (${where})` : ''}`);
    }
    (page.events as unknown[]).forEach((e, i) => add(e, `${where ? `${where}, ` : ''}event ${i + 1}`));
  };
  values.forEach((value, i) => addPage(value, values.length > 1 ? `document ${i + 1}` : ''));

  const events = [...byId.values()].sort((a, b) => a.id - b.id);
  if (events.length === 0) {
    throw new InputError(EXPECTED_HISTORY, 'no events');
  }
  if (events[0].id !== 1) {
    warnings.push(`The history starts at event ${events[0].id}: earlier events are missing (a page left out?), so the first attempts shown may not be the first that ran.`);
  }
  if (events[events.length - 1].id - events[0].id + 1 > events.length) {
    const gaps = describeGaps(events);
    warnings.push(`${/^\d+$/.test(gaps) ? `Event ${gaps} is` : `Events ${gaps} are`} missing from the history (a page left out?).`);
  }
  const contradicted = new Set<number>(twice);
  if (twice.size > 0) {
    const ids = [...twice].sort((a, b) => a - b);
    warnings.push(`${capitalized(describeIds(ids))} ${ids.length === 1 ? 'appears' : 'appear'} twice with different content `
      + '(pages of two executions in one file?); the first copy of each is read.');
  }
  const backwards = events.filter((e) => e.previousEventId !== undefined && e.previousEventId >= e.id).map((e) => e.id);
  if (backwards.length > 0) {
    warnings.push(`${capitalized(describeIds(backwards))} ${backwards.length === 1 ? 'follows' : 'follow'} an event that comes after it, `
      + 'which no history does (an edited file?); it is read as if the event it follows were missing.');
  }
  const starts = events.filter((e) => e.type === 'ExecutionStarted');
  const end = events.find((e) => EXECUTION_ENDS.has(e.type));
  const outside = events.filter((e) => (starts.length > 0 && e.id < starts[0].id) || (end !== undefined && e.id > end.id)).map((e) => e.id);
  if (starts.length > 1) {
    warnings.push(`The history holds ${starts.length} starts of an execution (${describeIds(starts.map((e) => e.id))}): pages of two executions in one file?`);
    starts.slice(1).forEach((e) => contradicted.add(e.id));
  }
  if (outside.length > 0) {
    const span = [starts[0] && `started at event ${starts[0].id}`, end && `ended at event ${end.id}`].filter((p) => p).join(' and ');
    warnings.push(`${capitalized(describeIds(outside))} ${outside.length === 1 ? 'lies' : 'lie'} outside the execution, which ${span}: `
      + 'pages of two executions in one file?');
    outside.forEach((id) => contradicted.add(id));
  }
  backwards.forEach((id) => contradicted.add(id));
  return { events, warnings, contradicted };
}

export const EXECUTION_ENDS = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);

/** `event 12`, `events 3, 7 and 12`, `events 3, 7, 12, … (40 in all)`. */
export function describeIds(ids: readonly number[]): string {
  if (ids.length === 1) {
    return `event ${ids[0]}`;
  }
  return ids.length <= 3
    ? `events ${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]}`
    : `events ${ids.slice(0, 3).join(', ')}, … (${ids.length} in all)`;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Whether two JSON-like values are equal, whatever the order of their keys. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    return false;
  }
  const [x, y] = [a as Record<string, unknown>, b as Record<string, unknown>];
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => Object.prototype.hasOwnProperty.call(y, k) && sameJson(x[k], y[k]));
}

function isPage(value: unknown): value is { events: unknown[] } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Array.isArray((value as Record<string, unknown>).events);
}

function toEvent(raw: unknown, where: string): HistoryEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InputError('history events (objects with `id`, `type` and `timestamp`)', `${describeJson(raw)} (${where})`);
  }
  const record = raw as Record<string, unknown>;
  // The AWS CLI and SDKs write camelCase; some tools (and Step Functions Local's Java model) PascalCase.
  const id = record.id ?? record.Id;
  const type = record.type ?? record.Type;
  if (typeof id !== 'number' || !Number.isInteger(id) || typeof type !== 'string') {
    throw new InputError('history events with a numeric `id` and a string `type`', `${describeJson(raw)} (${where})`);
  }
  const previous = record.previousEventId ?? record.PreviousEventId;
  const detailsKey = Object.keys(record).find((k) => /EventDetails$/i.test(k));
  const details = detailsKey === undefined ? {} : lowerFirstKeys(record[detailsKey]);
  return {
    id,
    ...(typeof previous === 'number' && previous > 0 ? { previousEventId: previous } : {}),
    type,
    time: parseTimestamp(record.timestamp ?? record.Timestamp),
    details,
  };
}

/** `{ Name, Input }` and `{ name, input }` read alike. */
function lowerFirstKeys(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {};
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), v]));
}

/**
 * The API returns seconds since the epoch (a number, with a fraction); the AWS CLI v2 prints ISO
 * 8601 with an offset (`2026-11-24T02:00:05.123000+00:00`).
 */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // Seconds, unless it can only be milliseconds (after the year 33658 in seconds).
    return value > 1e12 ? value : Math.round(value * 1000);
  }
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function describeGaps(events: HistoryEvent[]): string {
  const gaps: string[] = [];
  for (let i = 1; i < events.length && gaps.length < 3; i++) {
    const from = events[i - 1].id + 1;
    const to = events[i].id - 1;
    if (to >= from) {
      gaps.push(from === to ? `${from}` : `${from} to ${to}`);
    }
  }
  return gaps.join(', ');
}

/**
 * Parses a JSON string of an event (an input, output or parameters); undefined when it is not
 * JSON, or when it nests deeper or holds more values than `explain` reads (see json-input.ts):
 * Step Functions keeps each to 256 KiB.
 */
export function parseEmbeddedJson(value: unknown): unknown {
  if (typeof value !== 'string') {
    return undefined;
  }
  const parsed = parseEmbeddedJsonText(value);
  return typeof parsed === 'object' ? parsed.value : undefined;
}

/** The string field of an event's details. */
export function detail(event: HistoryEvent | undefined, key: string): string | undefined {
  const value = event?.details[key];
  return typeof value === 'string' ? value : undefined;
}
