/**
 * Writes a JSONata expression of ours compactly, for the state machine definition: whitespace
 * that separates nothing goes, and the expression's own variable and function names become short
 * ones. The source keeps its readable names; the definition, which every run of a stack repeats
 * and which Step Functions limits to 1 MB, gets the short text.
 *
 * It knows JSONata's lexical rules as far as our expressions use them: string literals in single
 * or double quotes with backslash escapes, regex literals that follow an operator, an opening
 * bracket or a comma (ours hold no unescaped `/`), and backquoted field names. Everything inside
 * them is copied as it is. Renaming is a bijection over the names declared with `:=` or as
 * function parameters, so JSONata's lexical scoping sees the same structure; built-in functions,
 * `$states` and the names in `keep` are never renamed.
 */
export function compactJsonata(expression: string, keep: readonly string[] = []): string {
  const tokens = tokenize(expression);
  const declared = declaredNames(tokens);
  const shadowing = declared.filter((name) => BUILT_IN_FUNCTIONS.has(name));
  if (shadowing.length > 0) {
    throw new Error(`the expression declares names of JSONata's own functions, which renaming would break: ${shadowing.join(', ')}`);
  }
  const uses = new Map<string, number>();
  for (const token of tokens) {
    if (token.kind === 'name' && token.text.startsWith('$')) {
      uses.set(token.text.slice(1), (uses.get(token.text.slice(1)) ?? 0) + 1);
    }
  }
  const reserved = new Set([...keep, 'states', ...[...uses.keys()].filter((name) => !declared.includes(name))]);
  // The names used most get the shortest names; a built-in function used often enough gets an
  // alias of its own, assigned at the start of the outermost block.
  const fresh = shortNames(reserved);
  const renames = new Map<string, string>();
  const aliases: string[] = [];
  const byUse = [...uses.entries()].sort((a, b) => b[1] - a[1]);
  for (const [name, count] of byUse) {
    if (declared.includes(name) && !reserved.has(name)) {
      renames.set(name, fresh.next().value as string);
    } else if (BUILT_IN_FUNCTIONS.has(name) && count * name.length > count * 2 + name.length + 6) {
      const alias = fresh.next().value as string;
      renames.set(name, alias);
      aliases.push(`$${alias}:=$${name};`);
    }
  }
  let out = '';
  let pendingSpace = false;
  for (const token of tokens) {
    if (token.kind === 'space') {
      pendingSpace = true;
      continue;
    }
    let text = token.text;
    if (token.kind === 'name' && text.startsWith('$')) {
      text = `$${renames.get(text.slice(1)) ?? text.slice(1)}`;
    }
    if (pendingSpace && separates(out[out.length - 1]) && separates(text[0])) {
      out += ' ';
    }
    pendingSpace = false;
    out += text;
  }
  if (aliases.length > 0) {
    if (!out.startsWith('(')) {
      throw new Error('the expression must be one block, "( … )", to take aliases of built-in functions');
    }
    out = `(${aliases.join('')}${out.slice(1)}`;
  }
  return out;
}

/** JSONata's functions and the ones Step Functions adds: never renamed, never declared by us. */
const BUILT_IN_FUNCTIONS = new Set([
  'sum', 'count', 'max', 'min', 'average', 'string', 'substring', 'substringBefore', 'substringAfter', 'lowercase', 'uppercase', 'length',
  'trim', 'pad', 'match', 'contains', 'replace', 'split', 'join', 'formatNumber', 'formatBase', 'formatInteger', 'parseInteger', 'number',
  'floor', 'ceil', 'round', 'abs', 'sqrt', 'power', 'random', 'boolean', 'not', 'map', 'zip', 'filter', 'single', 'reduce', 'sift', 'keys',
  'lookup', 'append', 'exists', 'spread', 'merge', 'reverse', 'each', 'error', 'assert', 'type', 'sort', 'shuffle', 'distinct', 'base64encode',
  'base64decode', 'encodeUrlComponent', 'encodeUrl', 'decodeUrlComponent', 'decodeUrl', 'eval', 'toMillis', 'fromMillis', 'clone', 'now',
  'millis', 'parse', 'partition', 'range', 'hash', 'uuid',
]);

interface Token {
  readonly kind: 'space' | 'string' | 'regex' | 'backquoted' | 'name' | 'other';
  readonly text: string;
}

const WORD = /[A-Za-z0-9_$]/;

/** JSONata's operator characters: a name or a keyword ends at one of these, or at whitespace. */
const OPERATOR_CHARS = new Set('.[]{}(),@#;:?+-*/%|=<>^&!~');

/** Whether a space between two characters keeps tokens apart: unless one of them is an operator, it does. */
function separates(c: string | undefined): boolean {
  return c !== undefined && !OPERATOR_CHARS.has(c);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const lastSignificant = () => [...tokens].reverse().find((t) => t.kind !== 'space');
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      let j = i;
      while (j < text.length && /\s/.test(text[j])) {
        j++;
      }
      tokens.push({ kind: 'space', text: text.slice(i, j) });
      i = j;
    } else if (c === '\'' || c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) {
        j += text[j] === '\\' ? 2 : 1;
      }
      tokens.push({ kind: 'string', text: text.slice(i, j + 1) });
      i = j + 1;
    } else if (c === '`') {
      const j = text.indexOf('`', i + 1);
      tokens.push({ kind: 'backquoted', text: text.slice(i, j + 1) });
      i = j + 1;
    } else if (c === '/' && startsRegex(lastSignificant())) {
      let j = i + 1;
      while (j < text.length && text[j] !== '/') {
        j += text[j] === '\\' ? 2 : 1;
      }
      j++;
      while (j < text.length && /[im]/.test(text[j])) {
        j++;
      }
      tokens.push({ kind: 'regex', text: text.slice(i, j) });
      i = j;
    } else if (WORD.test(c)) {
      let j = i;
      while (j < text.length && WORD.test(text[j])) {
        j++;
      }
      tokens.push({ kind: 'name', text: text.slice(i, j) });
      i = j;
    } else {
      tokens.push({ kind: 'other', text: c });
      i++;
    }
  }
  return tokens;
}

/** A `/` starts a regex literal where an operand is expected: after an operator, a bracket or a comma. */
function startsRegex(previous: Token | undefined): boolean {
  return previous === undefined || (previous.kind === 'other' && /[(,:=?[{&|+\-*<>!;]/.test(previous.text));
}

/** The names, without `$`, assigned with `:=` or declared as function parameters, in order of appearance. */
function declaredNames(tokens: Token[]): string[] {
  const significant = tokens.filter((t) => t.kind !== 'space');
  const names: string[] = [];
  const add = (token: Token) => {
    const name = token.text.slice(1);
    if (!names.includes(name)) {
      names.push(name);
    }
  };
  significant.forEach((token, i) => {
    if (token.kind === 'name' && token.text.startsWith('$') && significant[i + 1]?.text === ':' && significant[i + 2]?.text === '=') {
      add(token);
    }
    if (token.kind === 'name' && token.text === 'function' && significant[i + 1]?.text === '(') {
      for (let j = i + 2; j < significant.length && significant[j].text !== ')'; j++) {
        if (significant[j].kind === 'name' && significant[j].text.startsWith('$')) {
          add(significant[j]);
        }
      }
    }
  });
  return names;
}

/** Short names, `a` to `z`, `A` to `Z`, then `a0`, `a1`…, skipping the reserved ones. */
function* shortNames(reserved: Set<string>): Generator<string> {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  for (let round = -1; ; round++) {
    for (const letter of letters) {
      const name = round < 0 ? letter : `${letter}${round}`;
      if (!reserved.has(name)) {
        yield name;
      }
    }
  }
}
