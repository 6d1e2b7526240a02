/**
 * Corrects jsii-rosetta's Python translations in a tablet (`.jsii.tabl.json`), after
 * `jsii-rosetta extract` wrote it and before jsii-pacmak reads it:
 *
 *   ts-node --project tsconfig.dev.json rosetta/python-translations.ts [.jsii.tabl.json]
 *
 * jsii-pacmak writes the PyPI package's README from these translations, and Construct Hub shows
 * them (it reuses the tablet shipped in the npm package). jsii-rosetta (6.0.x, and its main
 * branch) type-checks every snippet against the real assemblies, but then snake-cases names with
 * a function of its own, which differs from the one jsii-pacmak names the Python API with:
 * jsii-pacmak (codemaker's `toSnakeCase`) reads `KiB`, `MiB` and `GiB` as one word, rosetta does
 * not, so `memoryLimitMiB` became `memory_limit_mi_b`, a keyword that does not exist
 * (`memory_limit_mib`). Its Python imports also name a struct twice when it builds the struct
 * from an object literal (`from cdk_retryable_ecs_run_task import TaskSize, TaskSize`).
 *
 * So each Python name is recomputed from the TypeScript identifier it was translated from, with
 * jsii-pacmak's own function, and each imported name is imported once. Every other translation,
 * and every other language, is left as rosetta wrote it. Once rosetta names as jsii-pacmak does,
 * this changes nothing. consumers/python/readme_translations.py runs the result.
 */
import * as fs from 'fs';
import { createRequire } from 'module';
import { CURRENT_SCHEMA_VERSION, TargetLanguage } from 'jsii-rosetta';
import * as ts from 'typescript';

/** The snake-casing that jsii-pacmak names Python members, parameters and keywords with: the codemaker it loads. */
const { toSnakeCase } = createRequire(require.resolve('jsii-pacmak'))('codemaker') as {
  toSnakeCase(name: string): string;
};

/** Python's keywords, which jsii-pacmak suffixes with `_` (`lambda_`); in a translation, never renamed. */
const PYTHON_KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue',
  'def', 'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in',
  'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

/** The Python name jsii-pacmak gives a member, parameter or keyword argument named `identifier`. */
export function jsiiPacmakPythonName(identifier: string): string {
  const name = toSnakeCase(identifier);
  return PYTHON_KEYWORDS.has(name) ? `${name}_` : name;
}

/** A piece of Python source: a name, or any other text (strings, comments, numbers, operators, space). */
interface PythonToken {
  readonly text: string;
  readonly isName: boolean;
}

const PYTHON_TOKEN = new RegExp([
  // Comments.
  '#[^\\n]*',
  // Strings, with any prefix (r, b, f, u): triple-quoted first.
  '[rRbBuUfF]{0,2}(?:"""[\\s\\S]*?"""|\'\'\'[\\s\\S]*?\'\'\'|"(?:\\\\.|[^"\\\\\\n])*"|\'(?:\\\\.|[^\'\\\\\\n])*\')',
  // Numbers, so that 1e5 or 0x1F holds no name.
  '\\d[\\w.]*',
  // Names.
  '(?<name>[A-Za-z_][A-Za-z0-9_]*)',
  // Anything else, one character at a time.
  '[\\s\\S]',
].join('|'), 'gy');

/** Splits Python source into names and the text between them; joined, the tokens are the source. */
export function pythonTokens(source: string): PythonToken[] {
  const tokens: PythonToken[] = [];
  PYTHON_TOKEN.lastIndex = 0;
  for (let match = PYTHON_TOKEN.exec(source); match; match = PYTHON_TOKEN.exec(source)) {
    tokens.push({ text: match[0], isName: match.groups?.name !== undefined });
  }
  return tokens;
}

/** The identifiers of TypeScript source, not counting strings, comments or keywords. */
export function typeScriptIdentifiers(source: string): Set<string> {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, source);
  const identifiers = new Set<string>();
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === ts.SyntaxKind.Identifier) {
      identifiers.add(scanner.getTokenValue());
    }
  }
  return identifiers;
}

/** The letters of a name, whatever its case and underscores: `memoryLimitMiB` and `memory_limit_mi_b` are `memorylimitmib`. */
function letters(name: string): string {
  return name.replace(/_/g, '').toLowerCase();
}

/**
 * Renames each Python name that rosetta snake-cased from a TypeScript identifier to the name
 * jsii-pacmak gives that identifier (`memory_limit_mi_b` to `memory_limit_mib`). A Python name
 * is matched to the identifier with the same letters; only identifiers that start in lower case
 * are snake-cased, so type names (`TaskSize`) and constants (`RETRYABLE_ERRORS`) stay. Two
 * identifiers with the same letters and different Python names (`fooBar`, `foobar`) are an error.
 */
export function pythonNamesAsJsiiPacmak(python: string, typescript: string): string {
  const pacmakNames = new Map<string, string>();
  for (const identifier of typeScriptIdentifiers(typescript)) {
    if (!/^[a-z][A-Za-z0-9_]*$/.test(identifier)) {
      continue; // type names and constants keep their spelling in Python
    }
    const name = jsiiPacmakPythonName(identifier);
    const other = pacmakNames.get(letters(identifier));
    if (other !== undefined && other !== name) {
      throw new Error(`Cannot tell which of ${other} and ${name} a Python name spelled with the letters of ${identifier} stands for`);
    }
    pacmakNames.set(letters(identifier), name);
  }
  return pythonTokens(python).map(({ text, isName }) => {
    if (!isName || PYTHON_KEYWORDS.has(text) || !/^[a-z][a-z0-9_]*$/.test(text)) {
      return text;
    }
    return pacmakNames.get(letters(text)) ?? text;
  }).join('');
}

/**
 * Imports each name once: a name that a `from module import ...` line imports again, on the same
 * line or a later one, is dropped from the earlier import, and an import left with no name goes.
 * Rosetta puts the imports it adds for struct literals first, so the imports the example itself
 * wrote are the ones kept.
 */
export function importEachNameOnce(python: string): string {
  const imported = new Set<string>();
  const lines = python.split('\n');
  const kept: string[] = [];
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    const from = /^from ([\w.]+) import ([\w ,]+)$/.exec(line);
    if (!from) {
      kept.push(line);
      continue;
    }
    const names: string[] = [];
    for (const name of from[2].split(',').map((n) => n.trim()).reverse()) {
      const key = `${from[1]} ${name}`;
      if (!imported.has(key)) {
        imported.add(key);
        names.unshift(name);
      }
    }
    if (names.length > 0) {
      kept.push(`from ${from[1]} import ${names.join(', ')}`);
    }
  }
  return kept.reverse().join('\n');
}

/** A Python translation as jsii-pacmak's Python API needs it: pacmak's names, each import once. */
export function correctPythonTranslation(python: string, typescript: string): string {
  return importEachNameOnce(pythonNamesAsJsiiPacmak(python, typescript));
}

/** The parts of a tablet file (jsii-rosetta's schema 2) that this reads and writes. */
interface TabletFile {
  readonly version: string;
  readonly snippets: {
    readonly [key: string]: {
      readonly translations: { readonly [language: string]: { source: string; readonly version: string } };
      readonly fullSource?: string;
    };
  };
}

/**
 * Corrects every Python translation in the tablet file, in place, and says how many changed. The
 * file stays as rosetta writes it (one line of JSON); snippet keys, fingerprints and translator
 * versions are kept, so that rosetta, jsii-pacmak and Construct Hub use the corrected translations.
 */
export function correctTablet(file: string): { corrected: number; total: number } {
  const tablet = JSON.parse(fs.readFileSync(file, 'utf8')) as TabletFile;
  if (tablet.version !== CURRENT_SCHEMA_VERSION) {
    throw new Error(`${file}: tablet schema ${tablet.version}, but this reads schema ${CURRENT_SCHEMA_VERSION}`);
  }
  let corrected = 0;
  let total = 0;
  for (const snippet of Object.values(tablet.snippets)) {
    const python = snippet.translations[TargetLanguage.PYTHON];
    if (!python) {
      continue;
    }
    total++;
    const source = correctPythonTranslation(python.source, snippet.fullSource ?? snippet.translations.$.source);
    if (source !== python.source) {
      python.source = source;
      corrected++;
    }
  }
  fs.writeFileSync(file, JSON.stringify(tablet));
  return { corrected, total };
}

if (require.main === module) {
  const file = process.argv[2] ?? '.jsii.tabl.json';
  const { corrected, total } = correctTablet(file);
  console.log(`${file}: corrected ${corrected} of ${total} Python translations`);
}
