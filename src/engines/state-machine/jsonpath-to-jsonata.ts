/**
 * Translates the JSONPath paths that CDK's `JsonPath` tokens carry into the JSONata expressions
 * that read the same value, so that RunTask inputs written for the Lambda engine's JSONPath
 * states work in the state machine engine's JSONata states. Only reference paths translate: the
 * state input (`$`), the context object (`$$`) and variables (`$name`), followed by field names
 * and array indexes. Whatever reads more than one node or computes a value (intrinsic functions,
 * wildcards, filters, slices, unions, recursive descent) does not translate, and the result
 * says why.
 */

/** A translated path: the JSONata expression, without `{% %}`. */
export interface TranslatedPath {
  readonly expression: string;
}

/** A path that does not translate: what in it does not, as a phrase ("the intrinsic function States.Format"). */
export interface UntranslatablePath {
  readonly untranslatable: string;
}

export type PathTranslation = TranslatedPath | UntranslatablePath;

/**
 * A field name in dot notation: JSONPath's member-name-shorthand (RFC 9535), the names Step
 * Functions reads without brackets.
 */
const SHORTHAND_NAME = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*/;

/** Names JSONata reads as a field without backticks; its keywords would read as operators or literals. */
const PLAIN_JSONATA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const JSONATA_KEYWORDS = new Set(['and', 'or', 'in', 'true', 'false', 'null', 'function']);

const INTRINSIC = /^States\.([A-Za-z0-9]+)\(/;
const INDEX = /^\[(0|[1-9][0-9]*)\]/;
/**
 * A field name in quotes. Names with quotes, backslashes, brackets or commas do not translate:
 * JSONPath implementations differ on how they escape and split them.
 */
const QUOTED_NAME = /^\[(?:'([^'"\\[\],]*)'|"([^'"\\[\],]*)")\]/;
const QUOTED_UNION = /^\[(?:'[^']*'|"[^"]*")(?:\s*,\s*(?:'[^']*'|"[^"]*"))+\]/;

/**
 * The JSONata expression that reads what the JSONPath `path` reads: `$` becomes `$states.input`,
 * `$$` becomes `$states.context`, a variable `$name` stays `$name`; field names follow with a
 * dot (in backticks unless plain), indexes as `[n]`.
 */
export function jsonPathToJsonata(path: string): PathTranslation {
  const intrinsic = INTRINSIC.exec(path);
  if (intrinsic) {
    return { untranslatable: `the intrinsic function States.${intrinsic[1]}` };
  }
  let expression: string;
  let rest: string;
  if (path.startsWith('$$')) {
    expression = '$states.context';
    rest = path.slice(2);
  } else if (path.startsWith('$')) {
    const variable = SHORTHAND_NAME.exec(path.slice(1));
    if (variable) {
      if (!PLAIN_JSONATA_NAME.test(variable[0])) {
        return { untranslatable: `the variable name $${variable[0]}, which is not plain ASCII letters, digits and _` };
      }
      expression = `$${variable[0]}`;
      rest = path.slice(1 + variable[0].length);
    } else {
      expression = '$states.input';
      rest = path.slice(1);
    }
  } else {
    return { untranslatable: 'a path that starts neither with $ nor with $$' };
  }

  while (rest !== '') {
    const step = nextStep(rest);
    if ('untranslatable' in step) {
      return step;
    }
    expression += step.expression;
    rest = rest.slice(step.length);
  }
  return { expression };
}

/** One step of a path: a field or an index, as JSONata, and how many characters of the path it took. */
function nextStep(rest: string): { expression: string; length: number } | UntranslatablePath {
  if (rest.startsWith('..')) {
    return { untranslatable: 'recursive descent (..)' };
  }
  if (rest.startsWith('.*') || rest.startsWith('[*]')) {
    return { untranslatable: 'a wildcard (*)' };
  }
  if (rest.startsWith('.[')) {
    // `$.a.['b c']`, as Step Functions' own documentation writes it, is `$.a['b c']`.
    const step = nextStep(rest.slice(1));
    return 'untranslatable' in step ? step : { ...step, length: step.length + 1 };
  }
  if (rest.startsWith('.')) {
    const name = SHORTHAND_NAME.exec(rest.slice(1));
    if (!name) {
      return { untranslatable: `the text "${rest}", whose field name needs bracket notation (['...'])` };
    }
    if (rest.charAt(1 + name[0].length) === '(') {
      return { untranslatable: `a function call (${name[0]}())` };
    }
    return { expression: `.${jsonataName(name[0])}`, length: 1 + name[0].length };
  }
  if (rest.startsWith('[')) {
    return bracketStep(rest);
  }
  return { untranslatable: `the text "${rest}", which is neither a field nor an index` };
}

function bracketStep(rest: string): { expression: string; length: number } | UntranslatablePath {
  const index = INDEX.exec(rest);
  if (index) {
    return { expression: `[${index[1]}]`, length: index[0].length };
  }
  if (rest.startsWith('[\'') || rest.startsWith('["')) {
    const quoted = QUOTED_NAME.exec(rest);
    if (!quoted) {
      return { untranslatable: QUOTED_UNION.test(rest) ? 'a union ([a,b])' : 'a field name in quotes with a quote, backslash, bracket or comma in it' };
    }
    const name = quoted[1] ?? quoted[2];
    if (name.includes('`')) {
      return { untranslatable: `the field name ${JSON.stringify(name)}, whose backtick JSONata cannot quote` };
    }
    return { expression: `.${jsonataName(name)}`, length: quoted[0].length };
  }
  const close = rest.indexOf(']');
  const inside = close === -1 ? rest.slice(1) : rest.slice(1, close);
  if (inside.startsWith('?')) {
    return { untranslatable: 'a filter ([?(...)])' };
  }
  if (inside.startsWith('(')) {
    return { untranslatable: 'a script expression ([(...)])' };
  }
  if (inside.includes(':')) {
    return { untranslatable: 'a slice ([start:end])' };
  }
  if (inside.includes(',')) {
    return { untranslatable: 'a union ([a,b])' };
  }
  if (/^-[0-9]+$/.test(inside)) {
    return { untranslatable: `the negative index [${inside}]` };
  }
  return { untranslatable: `the bracket "${close === -1 ? rest : rest.slice(0, close + 1)}", which is not a field name in quotes or an index` };
}

/** A field name as a JSONata path step: plain when JSONata reads it so, else in backticks. */
function jsonataName(name: string): string {
  return PLAIN_JSONATA_NAME.test(name) && !JSONATA_KEYWORDS.has(name) ? name : `\`${name}\``;
}
