import * as crypto from 'crypto';
import jsonata from 'jsonata';

/**
 * Evaluates JSONata the way a Step Functions state does, with the `jsonata` package at the
 * version Step Functions documents (2.0.x): `$states` bound, the state machine's variables bound,
 * and the functions Step Functions adds to JSONata supplied as AWS documents them.
 *
 * `random` stands in for `$random()`, so that a test can give both decision engines the same
 * jitter. `$parse` throws on invalid JSON, as Step Functions' does: an expression that calls it on
 * anything else fails here as it would fail in a state machine.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html
 */
export interface SfnJsonataScope {
  /** `$states`: for a Catch, `{ errorOutput, input, context }`. */
  readonly states: Record<string, unknown>;
  /** Workflow variables, by name without `$`. */
  readonly variables?: Record<string, unknown>;
  /** What `$random()` returns, in [0, 1). */
  readonly random?: number;
}

const compiled = new Map<string, ReturnType<typeof jsonata>>();

export async function evaluateSfnJsonata(expression: string, scope: SfnJsonataScope): Promise<unknown> {
  let expr = compiled.get(expression);
  if (!expr) {
    expr = jsonata(expression);
    compiled.set(expression, expr);
  }
  const random = scope.random ?? Math.random();
  return expr.evaluate({}, {
    ...scope.variables,
    states: scope.states,
    // $parse(jsonString): deserializes, and fails on anything that is not JSON.
    parse: (text: unknown) => {
      if (typeof text !== 'string') {
        throw new Error(`$parse: argument must be a string, got ${typeof text}`);
      }
      return JSON.parse(text);
    },
    // $random([seed]): a number in [0, 1).
    random: () => random,
    // $partition(array, size): the array in chunks of `size`.
    partition: (array: unknown[], size: number) => {
      const chunks: unknown[][] = [];
      for (let i = 0; i < array.length; i += size) {
        chunks.push(array.slice(i, i + size));
      }
      return chunks;
    },
    // $range(start, end, step): from start to end inclusive, by step.
    range: (start: number, end: number, step: number) => {
      const values: number[] = [];
      for (let v = start; step > 0 ? v <= end : v >= end; v += step) {
        values.push(v);
      }
      return values;
    },
    // $hash(data, algorithm): hex digest; MD5, SHA-1, SHA-256, SHA-384 or SHA-512.
    hash: (data: string, algorithm: string) => crypto.createHash(algorithm.replace('-', '').toLowerCase()).update(data).digest('hex'),
    // $uuid(): a version 4 UUID.
    uuid: () => crypto.randomUUID(),
  });
}

/**
 * Evaluates a JSONata state field as Step Functions does: a string that is a whole `{% %}`
 * expression is evaluated; in an object or array, each such string is; anything else is itself.
 * The `Arguments` of a Task state may be either an object of such fields or one expression.
 */
export async function evaluateSfnField(field: unknown, scope: SfnJsonataScope): Promise<unknown> {
  if (typeof field === 'string') {
    const match = /^\{%([\s\S]*)%\}$/.exec(field);
    return match ? evaluateSfnJsonata(match[1], scope) : field;
  }
  if (Array.isArray(field)) {
    return Promise.all(field.map((item) => evaluateSfnField(item, scope)));
  }
  if (typeof field === 'object' && field !== null) {
    const entries = await Promise.all(Object.entries(field).map(async ([key, value]) => [key, await evaluateSfnField(value, scope)] as const));
    return Object.fromEntries(entries);
  }
  return field;
}
