/**
 * Bad input: the command exits with code 2 and prints one line, `explain: expected …, found …`,
 * and never a stack trace. Anything else that goes wrong is a bug and exits with code 1.
 */
export class InputError extends Error {
  constructor(public readonly expected: string, public readonly found: string) {
    super(`expected ${expected}, found ${found}`);
    this.name = 'InputError';
  }
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
