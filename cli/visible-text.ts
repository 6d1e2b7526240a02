/**
 * What `explain` prints comes from an execution history, a template or a failure file: stopped
 * reasons, container names and causes are written by containers and user code, and may hold
 * characters a terminal acts on (ESC and CSI sequences that clear the screen or change colours,
 * OSC sequences that set the window title or make a hyperlink) or that hide or reorder text.
 * Every such character is shown as an escape instead, e.g. `\u001b`:
 *
 * - C0 controls (U+0000–U+001F), DEL (U+007F) and C1 controls (U+0080–U+009F; U+009B is an 8-bit
 *   CSI); tab, line feed and carriage return are shown as `\t`, `\n` and `\r`;
 * - the line and paragraph separators U+2028 and U+2029;
 * - bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), which reorder
 *   what follows them;
 * - invisible characters: soft hyphen U+00AD, U+180E, zero-width U+200B–U+200D, U+2060–U+2064,
 *   U+206A–U+206F, U+FEFF, the Hangul fillers U+115F, U+1160, U+3164, U+FFA0, the interlinear
 *   annotation marks U+FFF9–U+FFFB, and the tag characters U+E0000–U+E007F (`\u{e0041}`);
 * - a lone surrogate, which no encoding can write.
 *
 * A backslash is left as it is, so `\u001b` in the output may also be those six characters in the
 * input; what matters here is that nothing the input holds reaches the terminal as a control.
 */
const SHOWN_AS_ESCAPES = '\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u115f\\u1160\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064'
  + '\\u2066-\\u206f\\u3164\\ufeff\\uffa0\\ufff9-\\ufffb';
const SURROGATES = '|\\udb40[\\udc00-\\udc7f]|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';

const ANY = new RegExp(`[${SHOWN_AS_ESCAPES}]${SURROGATES}`, 'g');
/** The same, but for the line feed: the line breaks of text that is already visible. */
const ANY_BUT_LINE_FEED = new RegExp(`[${SHOWN_AS_ESCAPES.replace('\\u0000-\\u001f', '\\u0000-\\u0009\\u000b-\\u001f')}]${SURROGATES}`, 'g');

const SHORT: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escape(character: string): string {
  if (SHORT[character] !== undefined) {
    return SHORT[character];
  }
  const code = character.codePointAt(0)!;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The text with every control and invisible character shown as an escape, line feeds included. */
export function visible(text: string): string {
  return text.replace(ANY, escape);
}

/**
 * What `explain` writes, as a last check: the line breaks stay, anything else a terminal would
 * act on is shown as an escape. Text made from `visibleValues` has nothing left to escape.
 */
export function visibleOutput(text: string): string {
  return text.replace(ANY_BUT_LINE_FEED, escape);
}

/**
 * A copy of a JSON-like value whose strings and object keys are all `visible`: the explanation
 * goes through it before it is rendered as text or as JSON, so that no field is missed and a
 * `jq -r` of the JSON is as safe as the text.
 */
export function visibleValues<T>(value: T): T {
  return copy(value, 0) as T;
}

/** Input is parsed to at most 128 levels (json-input.ts); an explanation adds a few. */
const MAX_DEPTH = 512;

function copy(value: unknown, depth: number): unknown {
  if (typeof value === 'string') {
    return visible(value);
  }
  if (typeof value !== 'object' || value === null) {
    return value;
  }
  if (depth > MAX_DEPTH) {
    throw new Error(`an explanation nested deeper than ${MAX_DEPTH} levels`);
  }
  if (Array.isArray(value)) {
    return value.map((v) => copy(v, depth + 1));
  }
  // fromEntries defines own properties: a `__proto__` key stays a key.
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [visible(key), copy(v, depth + 1)]));
}
