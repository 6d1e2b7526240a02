import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { explainExecution } from '../../cli/explain/explain-execution';
import { HISTORY_INPUT, parseEmbeddedJson, readHistory } from '../../cli/explain/history-events';
import { renderExecution } from '../../cli/explain/render-text';
import { InputError } from '../../cli/input-error';
import { INPUT_LIMITS, JsonLimits, parseEmbeddedJsonText, parseJsonValues, readJsonValues } from '../../cli/json-input';

const SAMPLES = path.join(__dirname, 'samples');
const sampleText = (name: string) => fs.readFileSync(path.join(SAMPLES, name), 'utf8');
const parse = (text: string) => parseJsonValues({ name: 'history.json', text }, 'a history');
const explainText = (text: string) => explainExecution(readHistory(parse(text)));

/** The InputError a function throws, to check its message. */
function inputError(run: () => unknown): InputError {
  try {
    run();
  } catch (e) {
    if (e instanceof InputError) {
      return e;
    }
    throw e;
  }
  throw new Error('no InputError');
}

describe('reading JSON input', () => {
  test('one document, or several written one after another', () => {
    expect(parse('{"events": []}')).toEqual([{ events: [] }]);
    expect(parse('{"events": [1]}\n{"events": [2]}{"events":[3]}  ')).toEqual([{ events: [1] }, { events: [2] }, { events: [3] }]);
    expect(parse('[1, "a]"] {"b": "}\\""}')).toEqual([[1, 'a]'], { b: '}"' }]);
  });

  test('a file cut short says so, with where the cut value starts', () => {
    const text = sampleText('standalone-retried.json');
    const error = inputError(() => parse(text.slice(0, text.length / 2)));
    expect(error.message).toBe('expected a history, found JSON that ends early in history.json: the value that starts at line 1, column 1 is cut off at the end of the input (a truncated file?)');
  });

  test('text that is not JSON says where', () => {
    expect(inputError(() => parse('{"events": [\n  {"id": 1,, }\n]}')).message).toMatch(/^expected a history, found text that is not JSON in history\.json at line 2, column \d+$/);
    expect(inputError(() => parse('Error: the security token included in the request is expired')).message)
      .toBe('expected a history, found text that is not JSON in history.json at line 1, column 1');
    expect(inputError(() => parse('  \n')).message).toBe('expected a history, found an empty file history.json');
  });
});

describe('reading JSON input a chunk at a time, within limits', () => {
  test('reads as JSON.parse does, however the input is cut into chunks', () => {
    const texts = [
      sampleText('standalone-retried.json'),
      sampleText('map-two-items-interleaved.json'),
      JSON.stringify({ 'a': 'é😀\\"\\\\\u001b', 'b': [1, -2.5e-3, 0, true, false, null, {}, []], '': '', 'x\\"y': '\\\\' }),
      '{"__proto__": {"polluted": true}, "k": 1, "k": 2}',
    ];
    for (const text of texts) {
      for (const chunkBytes of [1, 2, 3, 7, 64, 4096]) {
        const [value] = parseJsonValues({ name: 'history.json', text }, 'a history', INPUT_LIMITS, chunkBytes);
        expect({ chunkBytes, value }).toEqual({ chunkBytes, value: JSON.parse(text) });
      }
    }
    const [parsed] = parseJsonValues({ name: 'x', text: '{"__proto__": {"polluted": true}}' }, 'a history') as any[];
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(({} as any).polluted).toBeUndefined();
  });

  test('a byte order mark is skipped; what is not JSON says where, across chunks', () => {
    expect(parseJsonValues({ name: 'x', text: '\ufeff{"events": []}' }, 'a history')).toEqual([{ events: [] }]);
    for (const chunkBytes of [1, 5, Infinity]) {
      expect(inputError(() => parseJsonValues({ name: 'h.json', text: '{"events": [\n  {"id": 1,, }\n]}' }, 'a history', INPUT_LIMITS, chunkBytes)).message)
        .toBe('expected a history, found text that is not JSON in h.json at line 2, column 12');
      expect(inputError(() => parseJsonValues({ name: 'h.json', text: '[1]\n\n  [2, "a\\q"]' }, 'a history', INPUT_LIMITS, chunkBytes)).message)
        .toBe('expected a history, found text that is not JSON in h.json: the string that starts at line 3, column 7 has a bad escape or a raw control character');
      expect(inputError(() => parseJsonValues({ name: 'h.json', text: '[1]\n  {"a": "b' }, 'a history', INPUT_LIMITS, chunkBytes)).message)
        .toBe('expected a history, found JSON that ends early in h.json: the value that starts at line 2, column 3 is cut off at the end of the input (a truncated file?)');
      expect(inputError(() => parseJsonValues({ name: 'h.json', text: '[tru]' }, 'a history', INPUT_LIMITS, chunkBytes)).message)
        .toBe('expected a history, found text that is not JSON in h.json at line 1, column 2');
    }
  });

  const limits: JsonLimits = { maxBytes: 1000, maxValues: 20, maxDepth: 4, maxStringBytes: 100 };
  const parseWithin = (text: string) => parseJsonValues({ name: 'standard input', text }, HISTORY_INPUT.expected, limits, 7);

  test('each limit is bad input that says what was expected and what was found', () => {
    expect(parseWithin('[[[["deep enough"]]]]')).toEqual([[[[['deep enough']]]]]);
    expect(inputError(() => parseWithin('[[[[[1]]]]]')).message).toMatch(/, nested at most 4 levels deep, found deeper nesting in standard input at line 1, column 5$/);
    expect(inputError(() => parseWithin('[]'.repeat(21))).message).toMatch(/, with at most 20 JSON values, found more on standard input, by line 1, column 41$/);
    expect(inputError(() => parseWithin(`["${'x'.repeat(101)}"]`)).message).toMatch(/, with no string over 1 MiB, found a longer one in standard input at line 1, column 2$/);
    expect(inputError(() => parseWithin(' '.repeat(1001))).message).toMatch(/, at most 1 MiB, found more on standard input$/);
  });

  test('a file over the byte limit is refused before it is read, with the way out', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'explain-limits-'));
    try {
      const file = path.join(dir, 'history.json');
      fs.writeFileSync(file, `{"events": [${' '.repeat(2000)}]}`);
      const error = inputError(() => readJsonValues(file, 'an execution history file', HISTORY_INPUT, limits));
      expect(error.message).toBe(`expected ${HISTORY_INPUT.expected}, at most 1 MiB, found ${file}, a file of 1 MiB: ${HISTORY_INPUT.tooLarge}`);
      expect(error.message).toContain('aws stepfunctions get-execution-history --no-include-execution-data');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the limits fit the largest history AWS records', () => {
    // 25,000 events, each with 40 KB of execution data: 579 MB.
    expect(INPUT_LIMITS.maxBytes).toBeGreaterThanOrEqual(579_000_000);
    const events = sampleText('readme-not-retryable.json');
    const values = countValues(JSON.parse(events));
    expect(values / JSON.parse(events).events.length * 25_000).toBeLessThan(INPUT_LIMITS.maxValues / 10);
  });

  test('JSON in a string of the input (a state\'s input, a definition) is read within the same limits', () => {
    expect(parseEmbeddedJsonText('{"a": [1, 2]}')).toEqual({ value: { a: [1, 2] } });
    expect(parseEmbeddedJsonText('{"a": ')).toBe('notJson');
    expect(parseEmbeddedJsonText('['.repeat(129) + ']'.repeat(129))).toBe('tooDeep');
    expect(parseEmbeddedJsonText('['.repeat(128) + '"[[[["' + ']'.repeat(128))).toEqual({ value: expect.anything() });
    expect(parseEmbeddedJsonText(`[${'[],'.repeat(INPUT_LIMITS.maxValues)}[]]`)).toBe('tooMany');
    expect(parseEmbeddedJson('['.repeat(1000) + ']'.repeat(1000))).toBeUndefined();
  });
});

function countValues(value: unknown): number {
  if (Array.isArray(value)) {
    return 1 + value.reduce((n: number, v) => n + countValues(v), 0);
  }
  if (typeof value === 'object' && value !== null) {
    return 1 + Object.values(value).reduce((n: number, v) => n + countValues(v), 0);
  }
  return 1;
}

describe('reading a history', () => {
  const event = (id: number, type = 'PassStateEntered') => ({ timestamp: 1764208800 + id, type, id, previousEventId: id - 1 });

  test('pages, arrays of pages and arrays of events; overlapping and reversed pages', () => {
    const forward = readHistory([{ events: [event(1), event(2)] }, { events: [event(2), event(3)], nextToken: 'x' }]);
    const reversed = readHistory([{ events: [event(3), event(2)] }, { events: [event(1)] }]);
    const arrays = readHistory([[{ events: [event(1)] }, { events: [event(2), event(3)] }]]);
    const bare = readHistory([[event(1), event(2), event(3)]]);
    for (const history of [forward, reversed, arrays, bare]) {
      expect(history.events.map((e) => e.id)).toEqual([1, 2, 3]);
      expect(history.warnings).toEqual([]);
    }
  });

  test('timestamps in seconds (the API) and in ISO 8601 (the AWS CLI v2) read alike', () => {
    const api = readHistory([{ events: [{ ...event(1), timestamp: 1764208800.58 }] }]);
    const cli = readHistory([{ events: [{ ...event(1), timestamp: '2025-11-27T02:00:00.580000+00:00' }] }]);
    expect(api.events[0].time).toBe(Date.parse('2025-11-27T02:00:00.580Z'));
    expect(cli.events[0].time).toBe(api.events[0].time);
  });

  test('PascalCase keys, as some tools write them, read like camelCase', () => {
    const history = readHistory([{ events: [{ Id: 1, Type: 'PassStateEntered', Timestamp: 1, PreviousEventId: 0, StateEnteredEventDetails: { Name: 'Start attempts' } }] }]);
    expect(history.events[0]).toMatchObject({ id: 1, type: 'PassStateEntered', details: { name: 'Start attempts' } });
  });

  test('a gap in the event ids is named', () => {
    expect(readHistory([{ events: [event(1), event(2), event(6)] }]).warnings).toEqual(['Events 3 to 5 are missing from the history (a page left out?).']);
  });

  test.each([
    [{ executionArn: 'arn', status: 'FAILED' }, 'expected the JSON that `aws stepfunctions get-execution-history --output json` prints (an object with an `events` array), found an object with the keys "executionArn", "status"'],
    [{ events: [] }, 'expected the JSON that `aws stepfunctions get-execution-history --output json` prints (an object with an `events` array), found no events'],
    [{ events: [{ id: '1', type: 'PassStateEntered' }] }, 'expected history events with a numeric `id` and a string `type`, found an object with the keys "id", "type" (event 1)'],
    [{ events: ['ExecutionStarted'] }, 'expected history events (objects with `id`, `type` and `timestamp`), found the string "ExecutionStarted" (event 1)'],
    ['events', 'expected the JSON that `aws stepfunctions get-execution-history --output json` prints (an object with an `events` array), found the string "events"'],
  ])('bad input: %j', (value, message) => {
    expect(inputError(() => readHistory([value])).message).toBe(message);
  });
});

describe('hand-checked samples in the shape AWS documents', () => {
  // A standalone run: the first pull is throttled (429), the decider chooses 17 s of a 20 s full
  // jitter, the second attempt succeeds. Timestamps in seconds, as the API returns them; the first
  // state follows event 0, as in AWS's own example.
  test('standalone: a throttled pull retried, then success', () => {
    const explanation = explainText(sampleText('standalone-retried.json'));

    expect(explanation.execution).toEqual({
      status: 'SUCCEEDED', startedAt: '2025-11-27T02:00:00.000Z', stoppedAt: '2025-11-27T02:13:30.851Z', durationSeconds: 810.851,
    });
    expect(explanation.runs).toHaveLength(1);
    const [run] = explanation.runs;
    expect(run).toMatchObject({ run: 'ReportStack/NightlyReportJob/Run', statePrefix: '', engine: 'LAMBDA', adaptive: false });
    expect(run.attempts).toEqual([
      {
        attempt: 1,
        state: 'Run task',
        startedAt: '2025-11-27T02:00:00.063Z',
        durationSeconds: expect.closeTo(38.816, 3),
        ended: {
          outcome: 'failed',
          error: 'States.TaskFailed',
          stopCode: 'TaskFailedToStart',
          stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref public.ecr.aws/docker/library/python:3.13: unexpected status from HEAD request: 429 Too Many Requests',
          exitCodes: [],
        },
        decision: {
          decision: 'RETRY', rule: 'retryableStopCode:TaskFailedToStart', retryable: true, retry: true, waitSeconds: 17, source: 'recorded', engine: 'LAMBDA',
        },
        wait: { decidedSeconds: 17, waitedSeconds: expect.closeTo(17.004, 3) },
      },
      {
        attempt: 2,
        state: 'Run task',
        startedAt: '2025-11-27T02:00:56.193Z',
        durationSeconds: expect.closeTo(754.623, 3),
        ended: { outcome: 'succeeded', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', exitCodes: [{ name: 'report', exitCode: 0 }] },
      },
    ]);
    expect(run.result).toEqual({ status: 'SUCCEEDED', attempts: 2 });
  });

  test('the same history from two pages fetched newest first (--reverse-order) and concatenated', () => {
    const { events } = JSON.parse(sampleText('standalone-retried.json'));
    const newestFirst = [...events].reverse();
    const pages = [{ events: newestFirst.slice(0, 20), nextToken: 'AAAA' }, { events: newestFirst.slice(20) }];
    const text = pages.map((p) => JSON.stringify(p, null, 2)).join('\n');

    expect(explainText(text)).toEqual(explainText(sampleText('standalone-retried.json')));
  });

  // A fragment "Load: " in a Map whose two items run side by side: their events interleave, and
  // only the previousEventId chains tell them apart. Item 0 exits 75 (retryable), waits 30 s and
  // succeeds; item 1 succeeds at once, while item 0 is backing off.
  test('a Map of two items run side by side', () => {
    const explanation = explainText(sampleText('map-two-items-interleaved.json'));

    expect(explanation.runs.map((r) => [r.item, r.run, r.attempts.length, r.result.status])).toEqual([
      ['item 0 of Map "Each partition"', 'PipelineStack/Partitions/Load', 2, 'SUCCEEDED'],
      ['item 1 of Map "Each partition"', 'PipelineStack/Partitions/Load', 1, 'SUCCEEDED'],
    ]);
    const [first, second] = explanation.runs;
    expect(first.attempts[0]).toMatchObject({
      startedAt: '2025-11-27T03:00:00.070Z',
      durationSeconds: expect.closeTo(95.28, 2),
      ended: { outcome: 'failed', stopCode: 'EssentialContainerExited', exitCodes: [{ name: 'loader', exitCode: 75 }] },
      decision: { decision: 'RETRY', rule: 'retryableExitCode:75', waitSeconds: 30 },
      wait: { decidedSeconds: 30, waitedSeconds: expect.closeTo(30.05, 2) },
    });
    expect(first.attempts[1]).toMatchObject({ attempt: 2, startedAt: '2025-11-27T03:02:05.660Z', durationSeconds: expect.closeTo(121.28, 2) });
    expect(second.attempts).toEqual([expect.objectContaining({
      attempt: 1, startedAt: '2025-11-27T03:00:00.070Z', durationSeconds: expect.closeTo(110.23, 2), ended: expect.objectContaining({ outcome: 'succeeded' }),
    })]);

    expect(renderExecution(explanation, 120)).toBe([
      'Execution  SUCCEEDED after 4m 07s, started 2025-11-27 03:00:00 UTC',
      '',
      'Run PipelineStack/Partitions/Load · item 0 of Map "Each partition" · LAMBDA engine',
      '  #  Started   Ran     How the task ended                                           Rule                  Decision  Wait',
      '  1  03:00:00  1m 35s  exit loader=75 · EssentialContainerExited · Essential        retryableExitCode:75  RETRY     30 s',
      '                       container in task exited',
      '  2  03:02:05  2m 01s  succeeded · exit loader=0 · EssentialContainerExited',
      '  Result: SUCCEEDED after 2 attempts.',
      '',
      'Run PipelineStack/Partitions/Load · item 1 of Map "Each partition" · LAMBDA engine',
      '  #  Started   Ran     How the task ended                                    Rule  Decision  Wait',
      '  1  03:00:00  1m 50s  succeeded · exit loader=0 · EssentialContainerExited',
      '  Result: SUCCEEDED after 1 attempt.',
      '',
    ].join('\n'));
  });

  test('AWS\'s own HelloWorld example holds no run', () => {
    const helloWorld = {
      events: [
        { timestamp: 1525283875.58, executionStartedEventDetails: { input: '{}', inputDetails: { truncated: false }, roleArn: 'arn:aws:iam::123456789123:role/service-role/StatesExecutionRole-us-east-1' }, type: 'ExecutionStarted', id: 1, previousEventId: 0 },
        { timestamp: 1525283875.612, type: 'PassStateEntered', id: 2, stateEnteredEventDetails: { input: '{}', inputDetails: { truncated: false }, name: 'HelloWorld' }, previousEventId: 0 },
        { timestamp: 1525283875.612, stateExitedEventDetails: { output: '"Hello World!"', outputDetails: { truncated: false }, name: 'HelloWorld' }, type: 'PassStateExited', id: 3, previousEventId: 2 },
        { executionSucceededEventDetails: { output: '"Hello World!"', outputDetails: { truncated: false } }, timestamp: 1525283875.612, type: 'ExecutionSucceeded', id: 4, previousEventId: 3 },
      ],
    };
    const explanation = explainExecution(readHistory([helloWorld]));
    expect(explanation.execution).toMatchObject({ status: 'SUCCEEDED', durationSeconds: expect.closeTo(0.032, 3) });
    expect(explanation.runs).toEqual([]);
  });
});
