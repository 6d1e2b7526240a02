/**
 * Small builders of JSONata expression text for the JSONata engine's states. Each returns an
 * expression without `{% %}`; `embed` wraps one for a state field.
 */

/** A state field's value that Step Functions evaluates as JSONata. */
export function embed(expression: string): string {
  return `{% ${expression} %}`;
}

/**
 * Whether Step Functions evaluates a field's value as JSONata: the whole string is `{% ... %}`.
 * Text that only contains `{%` is a literal.
 */
export function isJsonataExpression(value: string): boolean {
  return /^\{%[\s\S]*%\}$/.test(value);
}

/** A JSONata string literal of `text`. JSON's string syntax is JSONata's too. */
export function stringLiteral(text: string): string {
  return JSON.stringify(text);
}

/** `object.field`, with the field name quoted so that any name reads as a field, keywords included. */
export function field(object: string, name: string): string {
  return `${object}.\`${name}\``;
}

/** `value` when it is an object, else `{}`: something `$merge` accepts whatever the state holds. */
export function objectOrEmpty(value: string): string {
  return `($type(${value}) = 'object' ? ${value} : {})`;
}

/**
 * `base` with `value` set at the field path `names` (e.g. `['a', 'b']` for `$.a.b`), keeping
 * every other field, like a JSONPath `ResultPath`: objects on the way are merged into, and
 * created when missing. A field on the way that holds no object is replaced by one, where a
 * JSONPath `ResultPath` would fail the state.
 */
export function setAt(base: string, names: string[], value: string): string {
  const [first, ...rest] = names;
  const inner = rest.length === 0 ? value : setAt(field(base, first), rest, value);
  return `$merge([${objectOrEmpty(base)}, {${stringLiteral(first)}: ${inner}}])`;
}

/** The field names of a JSONPath of the form `$.a.b`. */
export function pathFields(jsonPath: string): string[] {
  return jsonPath.replace(/^\$\./, '').split('.');
}

/** Conjuncts joined with `and`, which JSONata evaluates in order and stops at the first false. */
export function allOf(conditions: string[]): string {
  return conditions.map((c) => `(${c})`).join(' and ');
}
