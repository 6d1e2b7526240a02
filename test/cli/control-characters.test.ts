import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { adaptiveProps } from './scenarios';
import { main } from '../../cli/main';
import { visible, visibleOutput, visibleValues } from '../../cli/visible-text';
import { DecisionEngine, RetryableEcsRunTask } from '../../src';
import { failure } from '../support/fixtures';
import { renderedDefinition } from '../support/local-execution';
import { testEnvironment } from '../support/stack';

// Stopped reasons, container names, causes and state names come from containers and user code:
// whatever they hold, explain must not write a character a terminal acts on (ESC and CSI
// sequences, OSC window titles and hyperlinks, an 8-bit CSI, a NUL) or one that hides or reorders
// text (bidi overrides, zero-width characters), in text or in JSON, in history or template mode.

/** Each kind of character that must never reach the terminal as itself. */
const PAYLOAD = [
  '\u001b[2J\u001b[31m', // clear the screen, red
  '\u001b]0;title\u0007', // OSC: the window title
  '\u001b]8;;http://evil\u001b\\link\u001b]8;;\u001b\\', // OSC 8: a hyperlink
  '\u009b31m', // 8-bit CSI
  '\u0000\u0007\u0008\u007f', // NUL, BEL, backspace, DEL
  '\u0085\u009d', // C1: next line, OSC
  '\u202ereversed\u202c\u2066isolated\u2069', // bidi override and isolate
  '\u200b\u200d\ufeff', // zero-width
  '\u2028\u2029', // line and paragraph separators
  '\n\r\t', // line feed, carriage return, tab
  '\udb40\udc41', // a tag character
  '\ud800', // a lone surrogate
].join('');

/** Every code point of the output that a terminal would act on or not show. */
function unsafeCharacters(output: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < output.length; i++) {
    const c = output.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < output.length && output.charCodeAt(i + 1) >= 0xdc00 && output.charCodeAt(i + 1) <= 0xdfff;
    const code = pair ? output.codePointAt(i)! : c;
    const unsafe = (code < 0x20 && code !== 0x0a) || (code >= 0x7f && code <= 0x9f) || code === 0xad || code === 0x61c
      || (code >= 0x200b && code <= 0x200f) || (code >= 0x2028 && code <= 0x202e) || (code >= 0x2060 && code <= 0x206f)
      || code === 0xfeff || (code >= 0xe0000 && code <= 0xe007f) || (!pair && c >= 0xd800 && c <= 0xdfff);
    if (unsafe) {
      found.push(`U+${code.toString(16).padStart(4, '0')} at ${i}: ${JSON.stringify(output.slice(Math.max(0, i - 30), i + 10))}`);
    }
    if (pair) {
      i++;
    }
  }
  return found;
}

/** Every byte of the output as UTF-8: no C0 but the line feed, no DEL, no C1 (0xC2 0x80–0x9F). */
function unsafeBytes(output: string): number[] {
  const bytes = Buffer.from(output, 'utf8');
  const found: number[] = [];
  bytes.forEach((b, i) => {
    if ((b < 0x20 && b !== 0x0a) || b === 0x7f || (b === 0xc2 && bytes[i + 1] >= 0x80 && bytes[i + 1] <= 0x9f)) {
      found.push(i);
    }
  });
  return found;
}

let scratch: string;
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'explain-controls-'));
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function run(args: string[]): { status: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const status = main(['explain', ...args], (t) => { stdout += t; }, (t) => { stderr += t; });
  return { status, stdout, stderr };
}

function expectSafe(output: { stdout: string; stderr: string }): void {
  for (const text of [output.stdout, output.stderr]) {
    expect(unsafeCharacters(text)).toEqual([]);
    expect(unsafeBytes(text)).toEqual([]);
  }
}

/**
 * A JSON-like value with the payload after every string (and in every string of JSON held in a
 * string), but for `States.TaskFailed`: a failure of that name is read as a stopped task, whose
 * stop code, reasons and container names then carry the payload.
 */
function poisoned(value: unknown): unknown {
  if (typeof value === 'string' && value !== 'States.TaskFailed') {
    try {
      const embedded: unknown = JSON.parse(value);
      if (typeof embedded === 'object' && embedded !== null) {
        return JSON.stringify(poisoned(embedded));
      }
    } catch {
      // Not JSON: a plain string.
    }
    return `${value}${PAYLOAD}`;
  }
  if (Array.isArray(value)) {
    return value.map(poisoned);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, poisoned(v)]));
  }
  return value;
}

/**
 * A history with the payload in every field: before each state name (so the run's states still
 * end in their roles, and its prefix holds the payload) and after every other string, timestamps
 * and event types aside.
 */
function poisonedHistory(history: { events: Array<Record<string, unknown>> }): unknown {
  return {
    events: history.events.map((event) => Object.fromEntries(Object.entries(event).map(([key, value]) => {
      if (!key.endsWith('EventDetails')) {
        return [key, value];
      }
      const details = Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, k === 'name' ? `${PAYLOAD}${v}` : poisoned(v)]);
      return [key, Object.fromEntries(details)];
    }))),
  };
}

const SAMPLES = path.join(__dirname, 'samples');
const sample = (name: string) => JSON.parse(fs.readFileSync(path.join(SAMPLES, name), 'utf8'));

describe('no control character of the input reaches the output', () => {
  test.each([
    ['a standalone LAMBDA run', 'standalone-retried.json'],
    ['a Map of two items', 'map-two-items-interleaved.json'],
    ['an exhausted run', 'readme-not-retryable.json'],
    ['an adaptive STATE_MACHINE run', 'state-machine-adaptive.json'],
  ])('history mode, text and --json: %s', (_, name) => {
    const history = sample(name);
    // The execution's own error and cause, and an ARN, poisoned too.
    const end = history.events[history.events.length - 1];
    history.events[history.events.length - 1] = {
      timestamp: end.timestamp,
      type: 'ExecutionFailed',
      id: end.id,
      previousEventId: end.previousEventId,
      executionFailedEventDetails: { error: 'States.Runtime', cause: 'boom' },
    };
    history.events[0].executionStartedEventDetails = { ...history.events[0].executionStartedEventDetails, stateMachineVersionArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Nightly:1' };
    const file = path.join(scratch, name);
    fs.writeFileSync(file, JSON.stringify(poisonedHistory(history)));

    const text = run([file, '--width', '100']);
    const json = run([file, '--json']);

    expect(text.status).toBe(0);
    expect(json.status).toBe(0);
    expectSafe(text);
    expectSafe(json);
    // Shown, not dropped: the text and the JSON's strings hold the same visible escapes.
    expect(text.stdout).toContain('\\u001b[2J\\u001b[31m\\u001b]0;title\\u0007');
    expect(text.stdout).toContain('\\u009b31m\\u0000\\u0007\\u0008\\u007f\\u0085\\u009d\\u202ereversed\\u202c\\u2066isolated\\u2069');
    expect(text.stdout).toContain('\\u200b\\u200d\\ufeff\\u2028\\u2029\\n\\r\\t\\u{e0041}\\ud800');
    const parsed = JSON.parse(json.stdout);
    // The decider keeps the start and the end of a long field.
    const shown = (field: string) => field.includes('\\u001b[2J\\u001b[31m') && field.endsWith('\\u{e0041}\\ud800');
    const endings = parsed.runs.flatMap((r: any) => r.attempts.map((a: any) => a.ended));
    const fields = [
      endings.map((e: any) => e.stopCode),
      endings.map((e: any) => e.stoppedReason ?? e.containerReason),
      endings.flatMap((e: any) => e.exitCodes ?? []).map((c: any) => c.name),
    ].map((values) => values.filter((v: unknown) => v !== undefined));
    expect(fields.map((values) => values.length > 0 && values.every(shown))).toEqual([true, true, true]);
    expect(shown(parsed.runs[0].attempts[0].decision.rule)).toBe(true);
    expect(parsed.execution.cause).toBe(`boom${visible(PAYLOAD)}`);
    // What `jq -r` prints of any string of the JSON is as safe as the text.
    const strings: string[] = [];
    JSON.stringify(parsed, (key, value) => {
      strings.push(key);
      if (typeof value === 'string') {
        strings.push(value);
      }
      return value;
    });
    expect(unsafeCharacters(strings.join('\n'))).toEqual([]);
  });

  test('warnings on standard error', () => {
    const history = sample('standalone-retried.json');
    // A gap in the event ids makes a warning; the payload is in the events.
    const events = (poisonedHistory(history) as { events: any[] }).events.filter((e) => e.id !== 3);
    const file = path.join(scratch, 'gap.json');
    fs.writeFileSync(file, JSON.stringify({ events }));

    const output = run([file]);

    expect(output.status).toBe(0);
    expect(output.stderr).toMatch(/^Warning: Event 3 is missing/);
    expectSafe(output);
  });

  /** The standalone `Job` of scenarios.ts, as a template whose every field carries the payload, in a file whose name does. */
  function poisonedTemplate(engine: DecisionEngine): string {
    const { stack, cluster, taskDefinition } = testEnvironment();
    new RetryableEcsRunTask(stack, 'Job', {
      cluster,
      taskDefinition,
      decisionEngine: engine,
      maxAttempts: 3,
      jitterStrategy: sfn.JitterType.NONE,
      retryableExitCodes: [75],
      ...adaptiveProps(),
    });
    const definition = renderedDefinition(stack, 'JobStateMachine');
    const file = path.join(scratch, `evil-${engine === DecisionEngine.LAMBDA ? 'lambda' : 'jsonata'}-\u001b[31m\u009b\n.template.json`);
    const template = { Resources: { Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { Definition: renamed(poisonedDefinition(definition)) } } } };
    fs.writeFileSync(file, JSON.stringify(template));
    return file;
  }

  /** The decider's payload and the policy carry the payload (the policy in a key too). */
  function poisonedDefinition(definition: any): any {
    const walk = (value: any): any => {
      if (Array.isArray(value)) {
        return value.map(walk);
      }
      if (typeof value !== 'object' || value === null) {
        return value;
      }
      const copy: any = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
      if (copy.Type === 'Task' && copy.Parameters?.Payload?.policy) {
        // The defaults' id stays as written, so that explain can make the policy whole.
        const { defaultsId } = copy.Parameters.Payload.policy;
        const policy = { ...poisoned(copy.Parameters.Payload.policy) as object, [PAYLOAD]: PAYLOAD, ...(defaultsId ? { defaultsId } : {}) };
        copy.Parameters.Payload = { ...copy.Parameters.Payload, run: `${copy.Parameters.Payload.run}${PAYLOAD}`, policy };
      }
      // The STATE_MACHINE engine's policy, as its Start attempts state assigns it.
      for (const [variable, policy] of Object.entries<any>(copy.Type === 'Pass' && copy.Assign ? copy.Assign : {})) {
        if (variable.endsWith('_policy')) {
          copy.Assign[variable] = { ...poisoned(policy) as object, [PAYLOAD]: PAYLOAD };
        }
      }
      return copy;
    };
    return walk(definition);
  }

  /** Every state name with the payload before it, and every reference to it. */
  function renamed(machine: any): any {
    const name = (n: string) => `${PAYLOAD}${n}`;
    const state = (s: any): any => ({
      ...s,
      ...(s.Next ? { Next: name(s.Next) } : {}),
      ...(s.Default ? { Default: name(s.Default) } : {}),
      ...(s.Choices ? { Choices: s.Choices.map((c: any) => ({ ...c, Next: name(c.Next) })) } : {}),
      ...(s.Catch ? { Catch: s.Catch.map((c: any) => ({ ...c, Next: name(c.Next) })) } : {}),
      ...(s.ItemProcessor ? { ItemProcessor: renamed(s.ItemProcessor) } : {}),
      ...(s.Branches ? { Branches: s.Branches.map(renamed) } : {}),
    });
    const states = Object.entries(machine.States).map(([n, s]) => [name(n), state(s)]);
    return { ...machine, StartAt: name(machine.StartAt), States: Object.fromEntries(states) };
  }

  test.each([
    ['LAMBDA', DecisionEngine.LAMBDA],
    ['STATE_MACHINE', DecisionEngine.STATE_MACHINE],
  ])('template mode (--template --failure), text and --json: %s', (_, engine) => {
    const template = poisonedTemplate(engine);
    const failureFile = path.join(scratch, 'failure.json');
    fs.writeFileSync(failureFile, JSON.stringify(poisoned(failure('oom-fargate'))));

    const text = run(['--template', template, '--failure', failureFile, '--width', '100']);
    const json = run(['--template', template, '--failure', failureFile, '--json']);

    expect(text).toMatchObject({ status: 0, stderr: '' });
    expect(json).toMatchObject({ status: 0, stderr: '' });
    expectSafe(text);
    expectSafe(json);
    expect(text.stdout).toContain('evil-');
    expect(text.stdout).toContain('\\u001b[31m\\u009b\\n.template.json');
    expect(text.stdout).toMatch(/^Failure {4}.*\\u001b\[2J/m);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.reads.stopCode).toMatch(/^EssentialContainerExited\\u001b\[2J/);
    expect(parsed.reads.exitCodes[0].name).toMatch(/^app\\u001b\[2J/);
    expect(parsed.statePrefix).toBe(visible(PAYLOAD));
  });

  test('bad input: the one line on standard error holds no control character either', () => {
    const file = path.join(scratch, 'missing-\u001b[2J\u009b\n.json');
    const notJson = path.join(scratch, 'not-json-\u001b]0;x\u0007.json');
    fs.writeFileSync(notJson, `\u001b[2J${PAYLOAD}`);
    const notHistory = path.join(scratch, 'not-history.json');
    fs.writeFileSync(notHistory, JSON.stringify({ [`key${PAYLOAD}`]: PAYLOAD }));

    for (const args of [[file], [notJson], [notHistory], ['--template', '/nonexistent', '--failure', notJson], ['--width=\u001b[2J\u009b', notHistory]]) {
      const output = run(args);
      expect(output.status).toBe(2);
      expect(output.stderr.split('\n')).toHaveLength(2);
      expectSafe(output);
    }
    let err = '';
    expect(main(['expl\u001b]0;x\u0007\u009bain'], () => undefined, (t) => { err += t; })).toBe(2);
    expect(unsafeCharacters(err)).toEqual([]);
  });
});

describe('the escapes', () => {
  test('each character is shown as an escape; printable text, emoji and accents stay as they are', () => {
    expect(visible('a\u001b[2Jb\u009b\u007f\u0000\u202e\u200b\udb40\udc41')).toBe('a\\u001b[2Jb\\u009b\\u007f\\u0000\\u202e\\u200b\\u{e0041}');
    expect(visible('tab\tline\nreturn\r')).toBe('tab\\tline\\nreturn\\r');
    expect(visible('Déjà vu ✓ 👩‍💻 日本')).toBe('Déjà vu ✓ 👩\\u200d💻 日本');
    expect(visibleOutput('line\nnext\u001b[0m')).toBe('line\nnext\\u001b[0m');
  });

  test('visibleValues copies every string and key, and keeps `__proto__` a key', () => {
    const value = JSON.parse('{"a\\u001b": ["b\\u009b", 1, null, {"__proto__": "c\\u0007"}]}');
    expect(visibleValues(value)).toEqual({ 'a\\u001b': ['b\\u009b', 1, null, JSON.parse('{"__proto__": "c\\\\u0007"}')] });
    expect(Object.getPrototypeOf(visibleValues(value)['a\\u001b'][3])).toBe(Object.prototype);
  });
});
