import { execSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { paddedHistoryText, sampleEvents } from './generated-histories';
import * as command from '../../cli/explain/command';
import { explainExecution } from '../../cli/explain/explain-execution';
import { readHistory } from '../../cli/explain/history-events';
import { renderExecution } from '../../cli/explain/render-text';
import { main } from '../../cli/main';

const ROOT = path.join(__dirname, '..', '..');
/** The file package.json names as the package's bin. */
const BIN = path.join(ROOT, JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).bin['cdk-retryable-ecs-run-task']);
const SAMPLE = path.join(__dirname, 'samples', 'standalone-retried.json');
const INTEG_ASSEMBLY = path.join(ROOT, 'test', 'integ.retryable-ecs-run-task.ts.snapshot');

let scratch: string;

/** Runs the bundled command as npx would, with Node.js. */
function cli(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: scratch, input, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs the bundled command with `input` written to its standard input as it reads it, a piece at
 * a time, until the input ends or the command exits: an input need never be held whole.
 */
function cliStreaming(args: string[], input: Iterable<string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: scratch });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  // Once the command stops reading, writing fails with EPIPE: the test then stops writing.
  child.stdin.on('error', () => undefined);
  const done = new Promise<number | null>((resolve) => child.on('close', resolve));
  const exit = new Promise((resolve) => child.once('exit', () => {
    exited = true;
    resolve(undefined);
  }));
  void (async () => {
    for (const piece of input) {
      if (exited) {
        return;
      }
      if (!child.stdin.write(piece)) {
        await Promise.race([new Promise((resolve) => child.stdin.once('drain', resolve)), exit]);
      }
    }
    child.stdin.end();
  })();
  return done.then((status) => ({ status, stdout, stderr }));
}

/** `piece` again and again, `times` times. */
function* repeated(piece: string, times: number): Generator<string> {
  for (let i = 0; i < times; i++) {
    yield piece;
  }
}

function file(name: string, text: string): string {
  const target = path.join(scratch, name);
  fs.writeFileSync(target, text);
  return target;
}

beforeAll(() => {
  // The bundle under test is the one `bundle` builds before packaging: build it from these sources.
  execSync('npx projen bundle:cli', { cwd: ROOT, stdio: 'pipe' });
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'explain-bin-'));
}, 60_000);
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('the bundled command, npx cdk-retryable-ecs-run-task', () => {
  test('is a Node.js script with no dependencies', () => {
    const text = fs.readFileSync(BIN, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    // Node.js's own modules only: crypto hashes the default policy, as the construct does.
    expect(text).not.toMatch(/require\("(?!fs"|path"|util"|v8"|child_process"|crypto")[^"]+"\)/);
  });

  test('--help documents both modes, with an example each', () => {
    const { status, stdout } = cli(['explain', '--help']);
    expect(status).toBe(0);
    expect(stdout).toContain('cdk-retryable-ecs-run-task explain HISTORY_FILE');
    expect(stdout).toContain('cdk-retryable-ecs-run-task explain --template FILE_OR_CDK_OUT_DIR [--run CONSTRUCT_PATH] --failure FILE');
    expect(stdout).toContain('aws stepfunctions get-execution-history --execution-arn "$EXECUTION_ARN" --output json \\\n      | npx cdk-retryable-ecs-run-task explain -');
    expect(stdout).toContain('npx cdk-retryable-ecs-run-task explain --template cdk.out \\\n      --run MyStack/NightlyReportJob/Run --failure failure.json');
    expect(stdout).toContain('for both decision engines: LAMBDA and STATE_MACHINE');
    expect(cli(['--help']).stdout).toContain('explain   why a run retried or did not');
  });

  test('explains a history file, and the same history on standard input', () => {
    const expected = renderExecution(explainExecution(readHistory([JSON.parse(fs.readFileSync(SAMPLE, 'utf8'))])), 120);

    const fromFile = cli(['explain', SAMPLE, '--width', '120']);
    const fromStdin = cli(['explain', '-', '--width', '120'], fs.readFileSync(SAMPLE, 'utf8'));

    expect(fromFile).toEqual({ status: 0, stdout: expected, stderr: '' });
    expect(fromStdin).toEqual(fromFile);
    expect(fromFile.stdout).toContain('Run ReportStack/NightlyReportJob/Run · LAMBDA engine');
  });

  test('--json prints the explanation as JSON', () => {
    const { status, stdout } = cli(['explain', SAMPLE, '--json']);
    expect(status).toBe(0);
    const json = JSON.parse(stdout);
    expect(json).toMatchObject({ mode: 'execution', execution: { status: 'SUCCEEDED' }, runs: [{ run: 'ReportStack/NightlyReportJob/Run' }] });
    expect(json.runs[0].attempts.map((a: any) => [a.attempt, a.ended.outcome, a.decision?.rule])).toEqual([
      [1, 'failed', 'retryableStopCode:TaskFailedToStart'], [2, 'succeeded', undefined],
    ]);
  });

  test('explains a policy from a cloud assembly and a failure file', () => {
    const failure = file('failure.json', fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'ecs-failures', 'exit-code-2.json'), 'utf8'));

    const text = cli(['explain', '--template', INTEG_ASSEMBLY, '--failure', failure, '--width', '100']);
    const json = cli(['explain', '--template', INTEG_ASSEMBLY, '--run', 'Job/Run', '--failure', failure, '--json']);

    expect(text.status).toBe(0);
    expect(text.stdout).toContain('Run        RetryableEcsRunTaskInteg/Job/Run');
    // The integ test's first attempt runs on Fargate Spot.
    expect(text.stdout).toMatch(/ {2}1 +FARGATE_SPOT +NOT_RETRYABLE {2}noRetryableMatch\n/);
    expect(json.status).toBe(0);
    const policy = JSON.parse(json.stdout);
    expect(policy).toMatchObject({ mode: 'policy', run: 'RetryableEcsRunTaskInteg/Job/Run', policy: { maxAttempts: 3 } });
    expect(policy.attempts.map((a: any) => [a.attempt, a.reached, a.decision, a.rule])).toEqual([
      [1, true, 'NOT_RETRYABLE', 'noRetryableMatch'], [2, false, 'NOT_RETRYABLE', 'noRetryableMatch'], [3, false, 'NOT_RETRYABLE', 'noRetryableMatch'],
    ]);
  });

  describe('bad input exits 2 with one line that says what was expected and what was found', () => {
    const history = fs.readFileSync(SAMPLE, 'utf8');
    test.each<[string, () => [string[], string?], RegExp]>([
      ['no such file', () => [['explain', 'missing.json']], /^explain: expected an execution history file at "missing.json", found no such file$/],
      ['a truncated file', () => [['explain', file('cut.json', history.slice(0, 5000))]], /^explain: expected the JSON .*, found JSON that ends early in .*cut\.json: .*\(a truncated file\?\)$/],
      ['text that is not JSON', () => [['explain', '-'], 'An error occurred (ExpiredTokenException) when calling the GetExecutionHistory operation'],
        /^explain: expected the JSON .*, found text that is not JSON in standard input at line 1, column 1$/],
      ['JSON that is not a history', () => [['explain', '-'], '{"executionArn": "arn:aws:states:us-east-1:123456789012:execution:x:y", "status": "FAILED"}'],
        /^explain: expected the JSON that `aws stepfunctions get-execution-history --output json` prints \(an object with an `events` array\), found an object with the keys "executionArn", "status"$/],
      ['a history without a run', () => [['explain', '-'], JSON.stringify({ events: [{ timestamp: 1, type: 'ExecutionStarted', id: 1, previousEventId: 0 }] })],
        /^explain: expected the history of an execution that ran a RetryableEcsRunTask .*, found 1 events without one$/],
      ['a Distributed Map, whose items ran as child executions', () => [['explain', '-'], JSON.stringify({
        events: ['ExecutionStarted', 'MapStateEntered', 'MapStateStarted', 'MapRunStarted', 'MapRunSucceeded', 'MapStateSucceeded', 'MapStateExited', 'ExecutionSucceeded']
          .map((type, i) => ({ timestamp: 1764208800 + i, type, id: i + 1, previousEventId: i })),
      })], /found 8 events without one; this execution ran a Distributed Map, whose items are child executions: explain the history of a child execution$/],
      ['an unknown option', () => [['explain', SAMPLE, '--verbose']], /^explain: expected the arguments of .*, found Unknown option '--verbose'/],
      ['no file', () => [['explain']], /^explain: expected one HISTORY_FILE \(or - for standard input\), or --template \(see --help\), found neither$/],
      ['both modes', () => [['explain', SAMPLE, '--template', 'cdk.out']], /^explain: expected either HISTORY_FILE or --template, not both, found ".*" and --template$/],
      ['--template without --failure', () => [['explain', '--template', INTEG_ASSEMBLY]], /^explain: expected --failure FILE with --template, found no --failure$/],
      ['--failure without --template', () => [['explain', SAMPLE, '--failure', 'f.json']], /^explain: expected --failure only with --template, found --failure without --template$/],
      ['a failure without an error name', () => [['explain', '--template', INTEG_ASSEMBLY, '--failure', '-'], '{"Cause": "x"}'],
        /^explain: expected a failure payload: .*, found an object with the keys "Cause"$/],
      ['a run that is not in the template', () => [['explain', '--template', INTEG_ASSEMBLY, '--run', 'Nightly', '--failure', SAMPLE]],
        /^explain: expected --run to name one of the runs in .* \(RetryableEcsRunTaskInteg\/Job\/Run\), found "Nightly"$/],
      ['a narrow --width', () => [['explain', SAMPLE, '--width', '10']], /^explain: expected --width to be a whole number of columns, at least 40, found "10"$/],
    ])('%s', (_, args, message) => {
      const [argv, input] = args();
      const { status, stdout, stderr } = cli(argv, input);
      expect(status).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.endsWith('\n')).toBe(true);
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr.trimEnd()).toMatch(message);
    });

    test('no command, or an unknown one', () => {
      expect(cli([])).toMatchObject({ status: 2, stdout: '', stderr: expect.stringContaining('Usage: cdk-retryable-ecs-run-task COMMAND') });
      expect(cli(['explian'])).toEqual({ status: 2, stdout: '', stderr: 'cdk-retryable-ecs-run-task: expected a command (explain), found "explian"\n' });
    });
  });
});

describe('any input, however large, endless or deep: read within bounds, never a crash', () => {
  /** Bad input, as the command reports it: exit code 2 and one line. */
  const expectOneLine = (result: { status: number | null; stdout: string; stderr: string }, message: RegExp) => {
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr.trimEnd()).toMatch(message);
    expect(result.status).toBe(2);
  };

  test('/dev/zero: a NUL is not JSON, said at once', () => {
    expectOneLine(cli(['explain', '/dev/zero']), /^explain: expected the JSON .*, found text that is not JSON in \/dev\/zero at line 1, column 1$/);
  });

  test('a file larger than the limit (sparse: nothing written) is refused before it is read, naming the way out', () => {
    const sparse = path.join(scratch, 'sparse.json');
    const fd = fs.openSync(sparse, 'w');
    fs.ftruncateSync(fd, 1024 * 1024 * 1024 + 1);
    fs.closeSync(fd);
    try {
      expectOneLine(cli(['explain', sparse]), new RegExp('^explain: expected the JSON .*, at most 1 GiB, found .*sparse\\.json, a file of 1\\.0 GiB: '
        + 'fetch the history without execution data \\(`aws stepfunctions get-execution-history --no-include-execution-data --execution-arn … --output json`\\)'));
    } finally {
      fs.rmSync(sparse);
    }
  });

  test('with a small heap, at most a third of it, naming how to make it larger', () => {
    const sparse = path.join(scratch, 'sparse-300.json');
    const fd = fs.openSync(sparse, 'w');
    fs.ftruncateSync(fd, 300 * 1024 * 1024);
    fs.closeSync(fd);
    try {
      const result = spawnSync(process.execPath, ['--max-old-space-size=600', BIN, 'explain', sparse], { cwd: scratch, encoding: 'utf8' });
      expectOneLine({ status: result.status, stdout: result.stdout, stderr: result.stderr },
        /, at most \d+ MiB \(a third of this Node\.js's heap: NODE_OPTIONS=--max-old-space-size=3072 raises it to 1 GiB\), found .*sparse-300\.json, a file of 300 MiB: fetch the history without execution data/);
    } finally {
      fs.rmSync(sparse);
    }
  });

  test('100 million `[]` on standard input: stops at the limit on JSON values', async () => {
    const input = repeated('[]'.repeat(50_000), 2_000);

    expectOneLine(await cliStreaming(['explain', '-'], input),
      /^explain: expected the JSON .*, with at most 5,000,000 JSON values \(a history of 25,000 events, the most Step Functions records, holds about 250,000\), found more on standard input, by line 1, column 10000001$/);
  }, 60_000);

  test('arrays nested 100 million deep on standard input: stops at the limit on nesting', async () => {
    expectOneLine(await cliStreaming(['explain', '-'], repeated('['.repeat(100_000), 1_000)),
      /^explain: expected the JSON .*, nested at most 128 levels deep, found deeper nesting in standard input at line 1, column 129$/);
  }, 60_000);

  test('a string that never ends: stops at the limit on one string', async () => {
    const input = function* () {
      yield '{"events": [{"id": 1, "type": "';
      yield* repeated('x'.repeat(1024 * 1024), 100_000);
    };

    expectOneLine(await cliStreaming(['explain', '-'], input()),
      /^explain: expected the JSON .*, with no string over 64 MiB, found a longer one in standard input at line 1, column 31$/);
  }, 60_000);

  test('a history that never ends, as from a stream: stops at 1 GiB, naming the way out', async () => {
    const data = JSON.stringify(JSON.stringify({ data: 'x'.repeat(256 * 1024 - 20) }));
    const events = function* () {
      yield '{"events": [';
      for (let id = 1; ; id++) {
        yield `${id > 1 ? ',' : ''}{"id": ${id}, "previousEventId": ${id - 1}, "type": "PassStateEntered", "timestamp": 1764208800, "stateEnteredEventDetails": {"name": "Prepare", "input": ${data}}}`;
      }
    };

    expectOneLine(await cliStreaming(['explain', '-'], events()),
      /^explain: expected the JSON .*, at most 1 GiB, found more on standard input: fetch the history without execution data \(`aws stepfunctions get-execution-history --no-include-execution-data/);
  }, 120_000);

  test('a history larger than V8\'s longest string (512 MiB): 25,000 events with 23 KB of data each, explained', async () => {
    const run = sampleEvents('readme-not-retryable.json');
    const padding = (25_000 - run.length) / 2;

    let bytes = 0;
    const text = function* () {
      for (const piece of paddedHistoryText(run, Math.floor(padding), 23_000)) {
        bytes += Buffer.byteLength(piece);
        yield piece;
      }
    };

    const result = await cliStreaming(['explain', '-', '--width', '120'], text());

    // V8 holds no string of more than 2^29 - 24 characters: the history could not be one string.
    expect(bytes).toBeGreaterThan(2 ** 29);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Run ReportStack/NightlyReportJob/Run · LAMBDA engine');
    expect(result.stdout).toContain('Result: FAILED after 3 attempts with RetryableEcsRunTask.NotRetryable');
  }, 120_000);
});

describe('main', () => {
  test('anything but bad input is an error of its own: exit code 1, one line, no stack trace', () => {
    const bug = jest.spyOn(command, 'explain').mockImplementation(() => {
      throw new TypeError("Cannot read properties of undefined (reading 'history')");
    });
    let out = '';
    let err = '';

    const status = main(['explain', 'history.json'], (t) => { out += t; }, (t) => { err += t; });

    expect(status).toBe(1);
    expect(out).toBe('');
    expect(err).toBe("explain: unexpected error, please report it with the input that caused it: Cannot read properties of undefined (reading 'history')\n");
    bug.mockRestore();
  });
});
