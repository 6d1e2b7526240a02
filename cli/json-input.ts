import * as fs from 'fs';
import { getHeapStatistics } from 'v8';
import { InputError } from './input-error';

/**
 * How much JSON `explain` reads from one input, so that no input, however large or odd, can
 * exhaust the memory of Node.js (or crash V8) before `explain` says what it found.
 *
 * The input is parsed as it is read, a chunk at a time, so no text larger than one string of it
 * is ever held: V8 cannot hold a string longer than about 512 MiB, and a history of 25,000 events
 * (the most Step Functions records) with 40 KB of execution data in each is 579 MB of JSON.
 */
export interface JsonLimits {
  /** Bytes of input. */
  readonly maxBytes: number;
  /** JSON values of every kind (objects, arrays, strings, numbers, booleans, nulls), in all. */
  readonly maxValues: number;
  /** How deeply objects and arrays nest. */
  readonly maxDepth: number;
  /** Bytes of one string, as the input writes it. */
  readonly maxStringBytes: number;
}

export const MiB = 1024 * 1024;

/**
 * 1 GiB of input: a history of 25,000 events (the most Step Functions records) with 40 KB of
 * execution data in each is 579 MB. Parsed, a string takes as many bytes of Node.js's heap as it
 * has characters, or twice as many when one of them is beyond Latin-1, so the input is also kept
 * to a third of the heap: Node.js's default heap is 4 GiB on a 64-bit machine with 16 GB of
 * memory, less on a smaller one. A history with more data per event (Step Functions allows
 * 256 KiB in each field) is read without it (`--no-include-execution-data`), which makes it about
 * 300 bytes an event. An event is about 10 JSON values, so 5 million values are 20 of the longest
 * histories; a history nests 4 levels deep and a template about 20; Step Functions keeps each
 * field of an event to 256 KiB and a definition to 1 MB.
 */
export const INPUT_LIMITS: JsonLimits = {
  maxBytes: Math.min(1024 * MiB, Math.floor(getHeapStatistics().heap_size_limit / 3)),
  maxValues: 5_000_000,
  maxDepth: 128,
  maxStringBytes: 64 * MiB,
};

/** What an input holds and how to say what went wrong with it. */
export interface JsonInput {
  /** What the input should be, for messages: `the JSON that … prints`. */
  readonly expected: string;
  /** What to do about an input over `maxBytes`, for the message. */
  readonly tooLarge?: string;
  /** How many JSON values such an input usually has, for the message about one that has too many. */
  readonly typicalValues?: string;
}

/**
 * Every JSON value in a file, or in standard input for `-`: one document, or several written one
 * after another, as when the pages of a paginated AWS CLI call are saved one by one and
 * concatenated. Parsed as it is read, within `limits`.
 *
 * A value that stops before its end (a file cut short), text that is not JSON and an input over
 * a limit are bad input, reported with the line and column.
 */
export function readJsonValues(path: string, what: string, input: JsonInput, limits: JsonLimits = INPUT_LIMITS): unknown[] {
  if (path === '-') {
    return parse(new FdChunks(0), 'standard input', input, limits);
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
  if (stat.isFile() && stat.size > limits.maxBytes) {
    throw tooLarge(input, limits, `${path}, a file of ${formatBytes(stat.size)}`);
  }
  const fd = fs.openSync(path, 'r');
  try {
    return parse(new FdChunks(fd), path, input, limits);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The same for a text already in memory; `name` says where it came from. `chunkBytes` reads it a
 * few bytes at a time, as a stream may give them.
 */
export function parseJsonValues(
  source: { readonly name: string; readonly text: string }, expected: string, limits: JsonLimits = INPUT_LIMITS, chunkBytes = Infinity,
): unknown[] {
  return parse(new BufferChunks(Buffer.from(source.text, 'utf8'), chunkBytes), source.name, { expected }, limits);
}

/**
 * One JSON value held in a string of an input, e.g. a state's input in a history event or a
 * definition in a template, within the same limits as the input; undefined when it is not JSON,
 * and `tooDeep` or `tooMany` when it passes a limit. `JSON.parse` does the parsing: it is iterative
 * and so safe at any depth, but what reads its result is not, and a short text can make a great
 * many values.
 */
export function parseEmbeddedJsonText(text: string, limits: JsonLimits = INPUT_LIMITS): { value: unknown } | 'notJson' | 'tooDeep' | 'tooMany' {
  const shape = jsonShape(text, limits);
  if (shape !== 'ok') {
    return shape;
  }
  try {
    return { value: JSON.parse(text) };
  } catch {
    return 'notJson';
  }
}

/**
 * Counts the nesting and the values of a JSON text without building it: strings are skipped,
 * brackets and commas counted. Good enough to bound what `JSON.parse` would build.
 */
function jsonShape(text: string, limits: JsonLimits): 'ok' | 'notJson' | 'tooDeep' | 'tooMany' {
  let depth = 0;
  let values = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = endOfStringIn(text, i);
      if (end === -1) {
        return 'notJson';
      }
      i = end;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > limits.maxDepth) {
        return 'tooDeep';
      }
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    } else if (c === COMMA || c === COLON) {
      if (++values > limits.maxValues) {
        return 'tooMany';
      }
    }
  }
  return 'ok';
}

/** The index of the quote that closes the string opened at `start`, or -1. */
function endOfStringIn(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) {
      return -1;
    }
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) {
      backslashes++;
    }
    if (backslashes % 2 === 0) {
      return quote;
    }
    from = quote + 1;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;
const LINE_FEED = 0x0a;

/** Where the bytes come from, a chunk at a time; an empty chunk is the end. */
interface Chunks {
  next(): Buffer<ArrayBufferLike>;
}

const CHUNK_BYTES = MiB;

class FdChunks implements Chunks {
  constructor(private readonly fd: number) {}

  /** A chunk filled to its end, or to the end of the input: a pipe gives 64 KiB a read. */
  next(): Buffer {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let filled = 0;
    for (;;) {
      let read: number;
      try {
        read = fs.readSync(this.fd, chunk, filled, CHUNK_BYTES - filled, null);
      } catch (e) {
        // Standard input may be a non-blocking pipe: wait for it.
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') {
          throw e;
        }
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      filled += read;
      if (read === 0 || filled === CHUNK_BYTES) {
        return chunk.subarray(0, filled);
      }
    }
  }
}

class BufferChunks implements Chunks {
  private offset = 0;
  constructor(private readonly buffer: Buffer, private readonly chunkBytes: number) {}

  next(): Buffer {
    const chunk = this.buffer.subarray(this.offset, Math.min(this.buffer.length, this.offset + this.chunkBytes));
    this.offset += chunk.length;
    return chunk;
  }
}

function tooLarge(input: JsonInput, limits: JsonLimits, found: string): InputError {
  // A limit below 1 GiB is a third of a small heap, which NODE_OPTIONS can make larger.
  const heap = limits === INPUT_LIMITS && limits.maxBytes < 1024 * MiB
    ? ' (a third of this Node.js\'s heap: NODE_OPTIONS=--max-old-space-size=3072 raises it to 1 GiB)' : '';
  return new InputError(`${input.expected}, at most ${formatBytes(limits.maxBytes)}${heap}`, `${found}${input.tooLarge ? `: ${input.tooLarge}` : ''}`);
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * MiB ? `${(bytes / (1024 * MiB)).toFixed(bytes % (1024 * MiB) === 0 ? 0 : 1)} GiB` : `${Math.ceil(bytes / MiB)} MiB`;
}

/** A byte of a number, `true`, `false` or `null`: `-+.0-9Ea-z`. */
function isScalarByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x45;
}

interface Mark {
  readonly line: number;
  readonly column: number;
}

type Frame = { array: unknown[] } | { object: Record<string, unknown>; key?: string };

const enum Expect { Value, ValueOrEnd, Key, KeyOrEnd, Colon, CommaOrEnd }

/**
 * A JSON parser that reads its input a chunk at a time: a value is built as it is read, a string
 * is found with `indexOf` and decoded by Node.js (or `JSON.parse`, when it has escapes), and the
 * limits are checked as it goes, so that an endless or enormous input stops at the first limit.
 */
function parse(chunks: Chunks, name: string, input: JsonInput, limits: JsonLimits): unknown[] {
  let chunk: Buffer = Buffer.alloc(0);
  let pos = 0;
  /** The offset in the input of `chunk[0]`. */
  let base = 0;
  let ended = false;
  // Lines are counted as the reading passes them, for messages.
  let lines = 0;
  let lineStart = 0;
  let counted = 0;
  let valueCount = 0;

  /** The next line feed at or after `counted` in this chunk, or the chunk's length; -1 when not looked for yet. */
  let nextLineFeed = -1;
  const countLinesTo = (index: number) => {
    while (counted < index) {
      if (nextLineFeed < counted) {
        nextLineFeed = chunk.indexOf(LINE_FEED, counted);
        if (nextLineFeed === -1) {
          nextLineFeed = chunk.length;
        }
      }
      if (nextLineFeed >= index) {
        counted = index;
        return;
      }
      lines++;
      lineStart = base + nextLineFeed + 1;
      counted = nextLineFeed + 1;
    }
  };
  /** Where the byte at `pos` is: its line and column. Positions are asked for in input order. */
  const mark = (): Mark => {
    countLinesTo(pos);
    return { line: lines + 1, column: base + pos - lineStart + 1 };
  };
  const where = (at = mark()) => `line ${at.line}, column ${at.column}`;
  /** Whether there is a byte at `pos`, reading the next chunk when this one is used up. */
  const more = (): boolean => {
    while (pos >= chunk.length) {
      if (ended) {
        return false;
      }
      countLinesTo(chunk.length);
      base += chunk.length;
      const next = chunks.next();
      if (next.length === 0) {
        ended = true;
        chunk = next;
        pos = 0;
        counted = 0;
        nextLineFeed = -1;
        return false;
      }
      if (base + next.length > limits.maxBytes) {
        throw tooLarge(input, limits, `more ${name === 'standard input' ? 'on standard input' : `in ${name}`}`);
      }
      chunk = next;
      pos = 0;
      counted = 0;
      nextLineFeed = -1;
    }
    return true;
  };
  /** Skips whitespace, counting its lines as it goes; false at the end of the input. */
  const skipWhitespace = (): boolean => {
    do {
      countLinesTo(pos);
      // Locals: this loop may run over a gigabyte.
      const bytes = chunk;
      let i = pos;
      let newLines = 0;
      let lastLineFeed = -1;
      let c = bytes[i];
      while (c === 0x20 || c === LINE_FEED || c === 0x0d || c === 0x09) {
        if (c === LINE_FEED) {
          newLines++;
          lastLineFeed = i;
        }
        c = bytes[++i];
      }
      if (newLines > 0) {
        lines += newLines;
        lineStart = base + lastLineFeed + 1;
      }
      pos = i;
      counted = pos;
      if (pos < chunk.length) {
        return true;
      }
    } while (more());
    return false;
  };
  /** Where the value being read starts, for the message when the input ends inside it. */
  let valueStart: Mark = { line: 1, column: 1 };
  const cutOff = () => new InputError(input.expected,
    `JSON that ends early in ${name}: the value that starts at ${where(valueStart)} is cut off at the end of the input (a truncated file?)`);
  const notJson = (at = mark()) => new InputError(input.expected, `text that is not JSON in ${name} at ${where(at)}`);
  const countValue = () => {
    if (++valueCount > limits.maxValues) {
      throw new InputError(`${input.expected}, with at most ${limits.maxValues.toLocaleString('en-US')} JSON values${input.typicalValues ? ` (${input.typicalValues})` : ''}`,
        `more ${name === 'standard input' ? 'on standard input' : `in ${name}`}, by ${where()}`);
    }
  };

  /** A string whose opening quote is at `pos`. */
  const readString = (): string => {
    const start = mark();
    pos++;
    const parts: Buffer[] = [];
    let length = 0;
    /** Backslashes at the end of `parts`, which may escape a quote at the start of this chunk. */
    let trailing = 0;
    for (;;) {
      if (!more()) {
        throw cutOff();
      }
      const from = pos;
      let end = -1;
      for (let q = chunk.indexOf(QUOTE, pos); q !== -1; q = chunk.indexOf(QUOTE, q + 1)) {
        let backslashes = 0;
        while (q - 1 - backslashes >= from && chunk[q - 1 - backslashes] === BACKSLASH) {
          backslashes++;
        }
        if (q - backslashes === from) {
          backslashes += trailing;
        }
        if (backslashes % 2 === 0) {
          end = q;
          break;
        }
      }
      const stop = end === -1 ? chunk.length : end;
      length += stop - from;
      if (length > limits.maxStringBytes) {
        throw new InputError(`${input.expected}, with no string over ${formatBytes(limits.maxStringBytes)}`, `a longer one in ${name} at ${where(start)}`);
      }
      const part = chunk.subarray(from, stop);
      let run = 0;
      while (run < part.length && part[part.length - 1 - run] === BACKSLASH) {
        run++;
      }
      trailing = run === part.length ? trailing + run : run;
      parts.push(part);
      pos = stop;
      if (end !== -1) {
        pos++;
        break;
      }
    }
    const raw = parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
    if (raw.indexOf(BACKSLASH) === -1) {
      return raw.toString('utf8');
    }
    try {
      return JSON.parse(`"${raw.toString('utf8')}"`) as string;
    } catch {
      throw new InputError(input.expected, `text that is not JSON in ${name}: the string that starts at ${where(start)} has a bad escape or a raw control character`);
    }
  };

  /** A number, `true`, `false` or `null`, starting at `pos`. */
  const readScalar = (): unknown => {
    const start = mark();
    let text = '';
    while (more() && isScalarByte(chunk[pos])) {
      text += String.fromCharCode(chunk[pos++]);
      if (text.length > 64) {
        break;
      }
    }
    if (text === 'true') {
      return true;
    }
    if (text === 'false') {
      return false;
    }
    if (text === 'null') {
      return null;
    }
    if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/.test(text)) {
      return Number(text);
    }
    throw notJson(start);
  };

  const readValue = (): unknown => {
    valueStart = mark();
    const stack: Frame[] = [];
    let expect = Expect.Value;
    for (;;) {
      if (!skipWhitespace()) {
        throw cutOff();
      }
      const c = chunk[pos];
      const top = stack[stack.length - 1];
      let value: unknown;
      let complete = false;
      switch (expect) {
        case Expect.ValueOrEnd:
        case Expect.Value:
          if (c === CLOSE_BRACKET && expect === Expect.ValueOrEnd) {
            pos++;
            stack.pop();
            value = (top as { array: unknown[] }).array;
            complete = true;
            break;
          }
          countValue();
          if (c === OPEN_BRACE || c === OPEN_BRACKET) {
            if (stack.length >= limits.maxDepth) {
              throw new InputError(`${input.expected}, nested at most ${limits.maxDepth} levels deep`, `deeper nesting in ${name} at ${where()}`);
            }
            pos++;
            if (c === OPEN_BRACE) {
              stack.push({ object: {} });
              expect = Expect.KeyOrEnd;
            } else {
              stack.push({ array: [] });
              expect = Expect.ValueOrEnd;
            }
            continue;
          }
          value = c === QUOTE ? readString() : readScalar();
          complete = true;
          break;
        case Expect.KeyOrEnd:
        case Expect.Key:
          if (c === CLOSE_BRACE && expect === Expect.KeyOrEnd) {
            pos++;
            stack.pop();
            value = (top as { object: Record<string, unknown> }).object;
            complete = true;
            break;
          }
          if (c !== QUOTE) {
            throw notJson();
          }
          (top as { key?: string }).key = readString();
          expect = Expect.Colon;
          continue;
        case Expect.Colon:
          if (c !== COLON) {
            throw notJson();
          }
          pos++;
          expect = Expect.Value;
          continue;
        case Expect.CommaOrEnd:
          if (c === COMMA) {
            pos++;
            expect = 'array' in top ? Expect.Value : Expect.Key;
            continue;
          }
          if (c !== ('array' in top ? CLOSE_BRACKET : CLOSE_BRACE)) {
            throw notJson();
          }
          pos++;
          stack.pop();
          value = 'array' in top ? top.array : top.object;
          complete = true;
          break;
      }
      if (!complete) {
        continue;
      }
      const parent = stack[stack.length - 1];
      if (parent === undefined) {
        return value;
      }
      if ('array' in parent) {
        parent.array.push(value);
      } else if (parent.key === '__proto__') {
        // As JSON.parse does: `__proto__` is a key like any other.
        Object.defineProperty(parent.object, parent.key, { value, writable: true, enumerable: true, configurable: true });
      } else {
        parent.object[parent.key!] = value;
      }
      expect = Expect.CommaOrEnd;
    }
  };

  const values: unknown[] = [];
  if (more() && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
    pos = 3;
  }
  if (!skipWhitespace()) {
    throw new InputError(input.expected, name === 'standard input' ? 'empty standard input' : `an empty file ${name}`);
  }
  do {
    values.push(readValue());
  } while (skipWhitespace());
  return values;
}
