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
  const add = (raw: unknown, where: string) => {
    const event = toEvent(raw, where);
    byId.set(event.id, event);
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
    warnings.push(`Events ${describeGaps(events)} are missing from the history (a page left out?).`);
  }
  return { events, warnings };
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
