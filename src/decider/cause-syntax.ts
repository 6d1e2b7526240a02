/**
 * How both decision engines read the Cause of a failed attempt: the regular expressions that say
 * whether a Cause is JSON they read, and that find what survives of a Cause cut short.
 *
 * One source serves both engines. The Lambda decider compiles these sources with `RegExp`; the
 * JSONata engine writes them into its decision expression as regex literals, which JSONata
 * compiles with the same `RegExp`. So the two read every Cause alike by construction, and the
 * differential tests check it.
 *
 * Every source is linear in the text it reads: no nested quantifier can match one character in
 * two ways, so a failed match backtracks over each character a bounded number of times. Each is
 * also safe in a JSONata regex literal, whose scanner ends the literal at an unescaped `/` and
 * misreads a backslash before a bracket: a literal backslash, slash or bracket is written
 * `\u005c`, `\u002f`, `\u005b` or `\u005d`, which `RegExp` reads as that character, and a brace
 * without its partner in the same literal `\u007b` or `\u007d`.
 *
 * Each source is a constant of its own, not a key of an object: the decider's bundle then names
 * it with one letter, where an object's keys would stay whole.
 *
 * Nothing here is part of the library's public API.
 */

/**
 * How deeply a Cause may nest for the engines to read it as JSON. A task description nests 5
 * levels; a deeper Cause is read the way a Cause cut short is.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * How deeply the `Containers` array of a Cause cut short may nest for the engines to read it:
 * the array, a container, its network bindings and a binding are 4 levels.
 */
export const MAX_CONTAINERS_DEPTH = 5;

const BACKSLASH = '\\u005c';
const OPEN = '\\u005b';
const CLOSE = '\\u005d';

/** The body of a JSON string as `JSON.parse` accepts it. */
const STRING_BODY = `[^"${BACKSLASH}\\u0000-\\u001f]*(?:${BACKSLASH}(?:["${BACKSLASH}\\u002fbfnrt]|u[0-9a-fA-F]{4})[^"${BACKSLASH}\\u0000-\\u001f]*)*`;

/*
 * Whether a Cause is JSON, in four steps, each one pass over the text, after a quick look at its
 * ends: a text that opens with a bracket is JSON only if it closes with one (`JSON_UNCLOSED` finds
 * those that do not), which rules out a Cause cut short at once.
 *
 * 1. `JSON_STRING` → `JSON_STRING_REPLACEMENT`: every valid string becomes `~`. A `"` left over means a
 *    string that `JSON.parse` would refuse: a valid string can only start where the previous one
 *    ended. The first string that is not valid takes the rest of the text with it (group 1, kept
 *    after its `~`), so that the scan never starts again at each quote inside it: a Cause of
 *    escaped quotes cut short would otherwise cost time quadratic in its length. A `~` or `#`
 *    outside any string (group 2) is kept after a `~` too: no JSON holds one there, and the
 *    placeholders must not be mistaken for it.
 * 2. `JSON_SCALAR` → `#`: numbers and literals. A number that `$parse` could overflow to infinity,
 *    which JSONata refuses, is left alone and so makes the text unreadable: more than 200 integer
 *    digits, or a positive exponent of 3 digits or more. ECS writes no exponents at all.
 * 3. `JSON_WHITESPACE` → nothing, then any character `JSON_NOT_SKELETON` finds means not JSON.
 * 4. `JSON_COLLAPSE` → `#`, `MAX_JSON_DEPTH` times: each pass turns the innermost arrays and objects
 *    that hold only placeholders into one. JSON within the depth ends as a single `~` or `#`.
 */
// A lone brace would upset the bracket count of JSONata's regex scanner: it is escaped. `\s`
// takes more than JSON's whitespace, which only sends more texts on to the whole check.
export const JSON_UNCLOSED = `^\\s*[${OPEN}\\u007b](?![\\s\\S]*[${CLOSE}\\u007d]\\s*$)`;
export const JSON_STRING = `"${STRING_BODY}"|("[\\s\\S]*)|([~#])`;
export const JSON_STRING_REPLACEMENT = '~$1$2';
export const JSON_SCALAR = '-?(?:0|[1-9][0-9]{0,199})(?:\\.[0-9]+)?(?:[eE](?:-[0-9]+|\\+?[0-9]{1,2}))?|true|false|null';
export const JSON_WHITESPACE = '[ \\t\\n\\r]+';
export const JSON_NOT_SKELETON = `[^~#{}${OPEN}${CLOSE},:]`;
export const JSON_COLLAPSE = `\\{(?:~:[~#](?:,~:[~#])*)?\\}|${OPEN}(?:[~#](?:,[~#])*)?${CLOSE}`;
/** A whole text that is the body of a valid JSON string, to decode with `$parse('"' & body & '"')`. */
export const JSON_STRING_BODY = `^${STRING_BODY}$`;

/** Any JSON string, valid or not: what a bracket scan skips. Each alternative starts apart, so it cannot backtrack into itself. */
const ANY_STRING = `"(?:[^"${BACKSLASH}]|${BACKSLASH}[\\s\\S])*"`;
/** Anything but a quote or a bracket. */
const PLAIN = `[^"${OPEN}${CLOSE}{}]`;

/**
 * An array or object that closes within `depth` levels, its strings skipped: what a bracket scan
 * from its opening bracket to the one that closes it reads. Brackets of either kind count alike,
 * as they do for a scan; whether the result is JSON is the `JSON_*` sources' question.
 */
function balanced(depth: number): string {
  let inner = '';
  for (let level = 1; level <= depth; level++) {
    // One character or token per repetition; the alternatives start with a quote, a bracket, or neither.
    inner = `[${OPEN}{](?:${ANY_STRING}|${PLAIN}${level === 1 ? '' : `|${inner}`})*[${CLOSE}}]`;
  }
  return inner;
}

/*
 * What survives of a stopped-task description that Step Functions cut at 32,768 characters. ECS
 * writes the fields in alphabetical order, so the stop code and the containers come before the
 * cut in practice, and the stopped reason survives in part.
 */
/** A Cause that is an object: only those are salvaged. */
export const CUT_OBJECT_START = '^\\s*\\{';
/** The first `"StopCode": "…`: group 1 the raw value, group 2 the closing quote unless cut. */
export const CUT_STOP_CODE = stringValue('StopCode');
/** The first `"StoppedReason": "…`, as `CUT_STOP_CODE`. */
export const CUT_STOPPED_REASON = stringValue('StoppedReason');
/** The first `"Containers": [`: group 1 the text from its bracket on. */
export const CUT_CONTAINERS_START = `"Containers"\\s*:\\s*(${OPEN}[\\s\\S]*)`;
/** The containers array at the start of `CUT_CONTAINERS_START`'s group, when it closes. */
export const CUT_CONTAINERS = `^${balanced(MAX_CONTAINERS_DEPTH)}`;
/** A partial escape at the end of a cut string value, dropped before decoding. */
export const CUT_PARTIAL_ESCAPE = `${BACKSLASH}(u[0-9a-fA-F]{0,3})?$`;

function stringValue(key: string): string {
  return `"${key}"\\s*:\\s*"((?:[^"${BACKSLASH}]|${BACKSLASH}[\\s\\S])*)(")?`;
}

/** Marks a string value that the cut ended. */
export const CUT_MARKER = '…[cause cut short]';
