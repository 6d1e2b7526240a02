import { isRecord } from '../decider/json-values';

// No aws-cdk-lib here: the `explain` command bundles this module.

/** A failed attempt as the run's Catch receives it. */
export interface FailurePayload {
  readonly Error: string;
  readonly Cause?: unknown;
}

/** What a failure must look like, for the messages that reject one. */
export const EXPECTED_FAILURE = 'a failure payload: `{"Error": …, "Cause": …}` as a Catch receives it, or a `TaskFailed` event of a history';

/**
 * Reads the Catch payload `{ Error, Cause }`, the `taskFailedEventDetails` of a history event
 * (`{ error, cause, resource, resourceType }`), or a whole history event that has one. Undefined
 * for anything else.
 */
export function readFailure(value: unknown): FailurePayload | undefined {
  const record = isRecord(value) ? value : undefined;
  const details = record && Object.entries(record).find(([k, v]) => /EventDetails$/.test(k) && isRecord(v))?.[1];
  const source = isRecord(details) ? details : record;
  const error = source?.Error ?? source?.error;
  if (!source || typeof error !== 'string') {
    return undefined;
  }
  const cause = 'Cause' in source ? source.Cause : source.cause;
  return { Error: error, ...(cause === undefined ? {} : { Cause: cause }) };
}

/** A short description of a JSON value for an error message: its type and, for objects, its keys. */
export function describeJson(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return value.length === 0 ? 'an empty array' : `an array of ${value.length} ${describeKinds(value)}`;
  }
  if (typeof value === 'object') {
    const keys = Object.keys(value as object);
    if (keys.length === 0) {
      return 'an empty object';
    }
    const shown = keys.slice(0, 6).map((k) => JSON.stringify(k)).join(', ');
    return `an object with the keys ${shown}${keys.length > 6 ? `, … (${keys.length} in all)` : ''}`;
  }
  if (typeof value === 'string') {
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  }
  return `the ${typeof value} ${String(value)}`;
}

function describeKinds(values: unknown[]): string {
  const kinds = new Set(values.map((v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)));
  return kinds.size === 1 ? `${[...kinds][0]}s` : 'mixed values';
}
