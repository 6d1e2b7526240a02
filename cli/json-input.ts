import * as fs from 'fs';
import { InputError } from './input-error';

/** Where the text came from, for messages: a file name, or "standard input". */
export interface TextSource {
  readonly name: string;
  readonly text: string;
}

/** Reads a file, or standard input for `-`. */
export function readText(path: string, what: string): TextSource {
  if (path === '-') {
    return { name: 'standard input', text: fs.readFileSync(0, 'utf8') };
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch {
    throw new InputError(`${what} at ${JSON.stringify(path)}`, 'no such file');
  }
  if (stat.isDirectory()) {
    throw new InputError(`${what} at ${JSON.stringify(path)}`, 'a directory');
  }
  return { name: path, text: fs.readFileSync(path, 'utf8') };
}

/**
 * Every JSON value in a text, in order: one document, or several written one after another, as
 * when the pages of a paginated AWS CLI call are saved one by one and concatenated.
 *
 * A value that stops before its end (a file cut short) and text that is not JSON are bad input,
 * reported with the line and column.
 */
export function parseJsonValues(source: TextSource, expected: string): unknown[] {
  const { text } = source;
  const values: unknown[] = [];
  let position = skipWhitespace(text, 0);
  if (position === text.length) {
    throw new InputError(expected, `${source.name === 'standard input' ? 'empty standard input' : `an empty file ${source.name}`}`);
  }
  while (position < text.length) {
    const end = endOfValue(text, position);
    if (end === undefined) {
      throw new InputError(expected, `JSON that ends early in ${source.name}: the value that starts at ${lineAndColumn(text, position)} is cut off at the end of the input (a truncated file?)`);
    }
    const slice = text.slice(position, end);
    try {
      values.push(JSON.parse(slice));
    } catch (e) {
      const at = /position (\d+)/.exec((e as Error).message);
      const where = at ? lineAndColumn(text, position + Number(at[1])) : lineAndColumn(text, position);
      throw new InputError(expected, `text that is not JSON in ${source.name} at ${where}`);
    }
    position = skipWhitespace(text, end);
  }
  return values;
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  while (i < text.length && /\s/.test(text[i])) {
    i++;
  }
  return i;
}

/**
 * Where the JSON value that starts at `start` ends: after its closing bracket for an object or an
 * array, at the next whitespace or bracket for a scalar. Undefined when the text ends inside it.
 * Only brackets and strings are tracked; `JSON.parse` judges the rest.
 */
function endOfValue(text: string, start: number): number | undefined {
  const first = text[start];
  if (first !== '{' && first !== '[') {
    if (first === '"') {
      const end = endOfString(text, start);
      return end;
    }
    let i = start;
    while (i < text.length && !/[\s{}[\]"]/.test(text[i])) {
      i++;
    }
    return i === start ? start + 1 : i;
  }
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = endOfString(text, i);
      if (end === undefined) {
        return undefined;
      }
      i = end - 1;
    } else if (c === '{' || c === '[') {
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        return i + 1;
      }
    }
  }
  return undefined;
}

function endOfString(text: string, start: number): number | undefined {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') {
      i++;
    } else if (text[i] === '"') {
      return i + 1;
    }
  }
  return undefined;
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}
