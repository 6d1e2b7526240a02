import { createHash } from 'crypto';

/**
 * Step Functions' longest state name: CreateStateMachine rejects a definition with a longer one
 * (`INVALID_STATE_NAME`), so without a check here a long construct id would fail only at deploy.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_StateEnteredEventDetails.html
 */
export const MAX_STATE_NAME_LENGTH = 80;

/** Marks where a shortened prefix cut the construct id. */
const ELLIPSIS = '…';

/** Hex digits of the construct path's hash in a shortened prefix: 16.7 million values. */
const HASH_LENGTH = 6;

/** What every default prefix ends with, shortened or not: `Extract: Run task`. */
const ID_SEPARATOR = ': ';

/**
 * How Step Functions counts a state name, at most: JavaScript's length, in UTF-16 code units. A
 * character outside the Basic Multilingual Plane counts two, never fewer than the Unicode
 * characters the service documents, so a name that fits here fits there.
 */
export function stateNameLength(name: string): number {
  return name.length;
}

/** What a fragment's state-name prefix is chosen from. */
export interface StatePrefixOptions {
  /** The fragment's construct id, which the default prefix starts with. */
  readonly id: string;
  /** The fragment's construct path, which a shortened prefix carries a hash of. */
  readonly path: string;
  /** The `stateNamePrefix` prop, if given: used as it is, or an error. */
  readonly stateNamePrefix?: string;
  /** The fragment's longest state name before prefixing, e.g. `Count lost attempts exhausted notification`. */
  readonly longestName: string;
}

/** The prefix of a fragment's state names, and whether it was shortened from the construct id. */
export interface StatePrefix {
  readonly prefix: string;
  readonly shortened: boolean;
}

/**
 * The prefix of a fragment's state names, chosen so that the longest of them is at most
 * `MAX_STATE_NAME_LENGTH`.
 *
 * The default, `<id>: `, is kept whenever it fits, so that existing templates do not change.
 * Otherwise it becomes the start of the id, `…`, and a hash of the fragment's construct path
 * (`Nightly report for all regions and ac…1a2b3c: `), exactly as long as the longest name
 * allows: the start keeps it readable, the hash keeps two fragments whose ids start alike apart
 * in one state machine (a Map's item processor included, whose names must be unique across the
 * whole definition), and both make it the same on every synth of the same construct tree. The
 * limit is computed from the run's own longest name, so a run without topics keeps a longer id.
 *
 * A `stateNamePrefix` given by the user is theirs to choose: it is never rewritten, and one that
 * makes a name too long is an error that says how long it may be.
 */
export function chooseStatePrefix(options: StatePrefixOptions): StatePrefix {
  const { id, path, stateNamePrefix, longestName } = options;
  const room = MAX_STATE_NAME_LENGTH - stateNameLength(longestName);
  if (stateNamePrefix !== undefined) {
    if (stateNameLength(stateNamePrefix) > room) {
      const longest = stateNamePrefix + longestName;
      throw new Error(
        `\`stateNamePrefix\` must keep every state name within Step Functions' limit of ${MAX_STATE_NAME_LENGTH} characters, `
        + `got: ${JSON.stringify(stateNamePrefix)} (${stateNameLength(stateNamePrefix)} characters), which makes the longest state name `
        + `${JSON.stringify(longest)} ${stateNameLength(longest)} characters. Use a prefix of at most ${room} characters, `
        + 'or leave `stateNamePrefix` unset: the prefix made from the construct id is shortened to fit.',
      );
    }
    return { prefix: stateNamePrefix, shortened: false };
  }
  const prefix = `${id}${ID_SEPARATOR}`;
  if (stateNameLength(prefix) <= room) {
    return { prefix, shortened: false };
  }
  const hash = createHash('sha256').update(path).digest('hex').slice(0, HASH_LENGTH);
  const tail = `${ELLIPSIS}${hash}${ID_SEPARATOR}`;
  const start = leadingCharacters(id, room - stateNameLength(tail)).trimEnd();
  return { prefix: `${start}${tail}`, shortened: true };
}

/** The longest start of `text` of at most `length` UTF-16 code units that does not split a character. */
function leadingCharacters(text: string, length: number): string {
  let start = '';
  for (const character of text) {
    if (stateNameLength(start + character) > length) {
      break;
    }
    start += character;
  }
  return start;
}

/** The Comment of `Start attempts` in a run whose state names were shortened starts with this. */
const SHORTENED_COMMENT_START = `State names shortened to at most ${MAX_STATE_NAME_LENGTH} characters. `;
/** Then, or alone, this and the run's construct path. */
const RUN_COMMENT_START = 'Run: ';

/**
 * The Comment of the `Start attempts` state that names the run's construct path, and says so when
 * its state names were shortened. A `DecisionEngine.STATE_MACHINE` run's definition names its run
 * nowhere else (its metric filters exist only when its metrics are asked for), and a shortened
 * prefix no longer holds the whole id: `explain --template` reads the path from here
 * (`runOfStartComment`), and a reader of the definition learns why the names are cut.
 */
export function startComment(runPath: string, shortened: boolean): string {
  return `${shortened ? SHORTENED_COMMENT_START : ''}${RUN_COMMENT_START}${runPath}`;
}

/** The construct path in a Comment written by `startComment`; undefined for any other value. */
export function runOfStartComment(comment: unknown): string | undefined {
  if (typeof comment !== 'string') {
    return undefined;
  }
  const rest = comment.startsWith(SHORTENED_COMMENT_START) ? comment.slice(SHORTENED_COMMENT_START.length) : comment;
  return rest.startsWith(RUN_COMMENT_START) && rest.length > RUN_COMMENT_START.length ? rest.slice(RUN_COMMENT_START.length) : undefined;
}

/**
 * Why a run's state names are too long, when a prefix added after the run chose its own (with
 * `prefixStates()` of the fragment, or of a fragment around it) made them so; undefined when they
 * fit. One message for the run, naming its longest state name.
 */
export function overlongStateNamesError(names: string[], ownPrefix: string): string | undefined {
  const overlong = names.filter((name) => stateNameLength(name) > MAX_STATE_NAME_LENGTH);
  if (overlong.length === 0) {
    return undefined;
  }
  const longest = overlong.reduce((a, b) => (stateNameLength(b) > stateNameLength(a) ? b : a));
  const others = overlong.length > 1 ? ` and ${overlong.length - 1} more` : '';
  return `State names must be at most ${MAX_STATE_NAME_LENGTH} characters (Step Functions' limit), `
    + `got: ${JSON.stringify(longest)} (${stateNameLength(longest)} characters)${others}. `
    + `The fragment's own prefix, ${JSON.stringify(ownPrefix)}, keeps its names within the limit; a prefix added later, with \`prefixStates()\` `
    + 'of the fragment or of a fragment around it, made them longer. Shorten that prefix, or the construct id.';
}
