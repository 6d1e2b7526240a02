import * as fc from 'fast-check';
import { MAX_JSON_DEPTH } from '../../src/decider/cause-syntax';
import { decideRetry } from '../../src/decider/decide-retry';
import { readJson } from '../../src/decider/json-text';
import type { DeciderPolicy, Placement } from '../../src/decider/wire';
import { EngineVariables, policyDocument, READING_FUNCTIONS, renderDecisionExpression } from '../../src/engines/state-machine/decision-expression';
import { renderFallbackRules, renderRetryPolicy } from '../../src/policy/render-retry-policy';
import { TaskStopCode } from '../../src/policy/task-stop-code';
import { allFailures, EcsFailure } from '../support/fixtures';
import { evaluateSfnJsonata } from './support/sfn-jsonata';

// Differential tests: the JSONata engine's expression, evaluated by the `jsonata` package at the
// version Step Functions documents, against the Lambda decider's `decideRetry`, on the same
// failure, attempt, history, placement and random number. They must give the same decision: the
// same retryable, retry and rule, the same wait, and the same history entry and cause.

const VARS: EngineVariables = { attempt: 'run_attempt', history: 'run_history', placement: 'run_placement', policy: 'run_policy', launchTargets: 'run_targets' };

const LADDER = [
  { cpu: 256, memoryMiB: 512, containerMemoryMiB: [384] },
  { cpu: 512, memoryMiB: 2048, containerMemoryMiB: [1536] },
  { cpu: 1024, memoryMiB: 4096, containerMemoryMiB: [3072] },
];

/** Policies that exercise every rule: the defaults, a custom one, and the adaptive features. */
const POLICIES: Record<string, DeciderPolicy> = {
  defaults: renderRetryPolicy({}),
  custom: {
    ...renderRetryPolicy({ maxAttempts: 5, retryableExitCodes: [75, 137, -1], retryableErrors: ['ECS.AmazonECSException', 'States.Timeout'] }),
    jitter: 'NONE',
  },
  adaptive: { ...renderRetryPolicy({ maxAttempts: 4 }), sizes: LADDER, fallback: renderFallbackRules({}) },
  sizesOnly: { ...renderRetryPolicy({}), sizes: LADDER },
  fallbackOnly: {
    ...renderRetryPolicy({ retryableStopCodes: [TaskStopCode.TASK_FAILED_TO_START] }),
    fallback: renderFallbackRules({ fallbackStopCodes: [TaskStopCode.SPOT_INTERRUPTION], fallbackErrorCauses: ['*capacity*'] }),
  },
  oneAttempt: renderRetryPolicy({ maxAttempts: 1 }),
  metacharacters: renderRetryPolicy({
    retryableStoppedReasons: ['*(x)[y]{z}.+?^$|\\/*', 'İstanbul*', '*Kelvin K*', '*ẞ*', '*😀*'],
    nonRetryableStoppedReasons: ['*"quoted"*', '*%}*'],
    nonRetryableErrorCauses: ['*a*b*c*'],
  }),
};

interface Case {
  readonly policy: DeciderPolicy;
  readonly error: unknown;
  readonly attempt: number;
  readonly history: readonly unknown[];
  readonly placement: Placement;
  readonly random: number;
}

async function bothEngines(c: Case) {
  const expected = decideRetry({
    policy: c.policy, attempt: c.attempt, error: c.error, history: c.history, placement: c.placement, random: c.random,
  });
  const actual = await evaluateSfnJsonata(renderDecisionExpression(c.policy, VARS), {
    states: { errorOutput: c.error },
    variables: { [VARS.attempt]: c.attempt, [VARS.history]: c.history, [VARS.placement]: c.placement, [VARS.policy]: policyDocument(c.policy) },
    random: c.random,
  });
  return { expected, actual };
}

const placementsOf = (policy: DeciderPolicy): Placement[] => {
  const rungs = policy.sizes?.length ?? 1;
  const capacities: Placement['capacity'][] = policy.fallback ? ['primary', 'fallback'] : ['primary'];
  return capacities.flatMap((capacity) => [...Array(rungs).keys()].map((sizeIndex) => ({ sizeIndex, capacity })));
};

describe('the JSONata engine decides as the Lambda decider does', () => {
  const corpus = allFailures();

  test.each(Object.keys(POLICIES))('on every failure of the corpus, every attempt and placement: %s policy', async (name) => {
    const policy = POLICIES[name];
    let compared = 0;
    for (const [fixture, error] of Object.entries(corpus)) {
      for (const attempt of new Set([1, 2, policy.maxAttempts])) {
        if (attempt > policy.maxAttempts) {
          continue;
        }
        for (const placement of placementsOf(policy)) {
          // Low and high jitter in turn; the wait test below covers both ends for every attempt.
          const random = compared % 2 === 0 ? 0.37 : 0.999999;
          const history = attempt > 1 ? [decideRetry({ policy, attempt: attempt - 1, error, history: [], placement, random }).history[0]] : [];
          const { expected, actual } = await bothEngines({ policy, error, attempt, history, placement, random });
          expect({ fixture, attempt, placement, random, decision: actual }).toEqual({ fixture, attempt, placement, random, decision: expected });
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThanOrEqual(Object.keys(corpus).length);
  });

  test('the wait is exact without jitter and within the decider\'s bounds with it', async () => {
    const policy = { ...POLICIES.defaults, maxAttempts: 8 };
    const error = corpus['resource-initialization-error'];
    for (let attempt = 1; attempt < policy.maxAttempts; attempt++) {
      const placement: Placement = { sizeIndex: 0, capacity: 'primary' };
      const none = await bothEngines({ policy: { ...policy, jitter: 'NONE' }, error, attempt, history: [], placement, random: 0.5 });
      expect((none.actual as any).waitSeconds).toBe(none.expected.waitSeconds);
      const low = await bothEngines({ policy, error, attempt, history: [], placement, random: 0 });
      const high = await bothEngines({ policy, error, attempt, history: [], placement, random: 1 - 1e-12 });
      expect((low.actual as any).waitSeconds).toBe(0);
      expect((high.actual as any).waitSeconds).toBe(none.expected.waitSeconds);
      expect(high.actual).toEqual(high.expected);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Generated failures

const REASON_CHARACTERS = [
  'a', 'Z', ' ', ':', '-', '_', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '^', '$', '\\', '/', '"', '\'', '%', '\n', '\t',
  'İ', 'ı', 'K', 'ẞ', 'ß', 'Σ', 'ς', 'ü', '✓', '😀', '\u2028', '\u0000',
];
const reasonText = fc.oneof(
  fc.string({ unit: fc.constantFrom(...REASON_CHARACTERS), maxLength: 60 }),
  fc.tuple(
    fc.constantFrom('ResourceInitializationError: ', 'CannotPullContainerError: ', 'OutOfMemoryError: ', 'Essential container in task exited', 'Your Spot Task was interrupted.', 'İstanbul', ''),
    fc.string({ unit: fc.constantFrom(...REASON_CHARACTERS), maxLength: 40 }),
    fc.constantFrom('', ' not found', ' manifest unknown', ' AccessDenied', 'Kelvin K', ' (x)[y]{z}.+?^$|\\/ '),
  ).map((parts) => parts.join('')),
  fc.integer({ min: 400, max: 3000 }).map((n) => 'ResourceInitializationError: '.padEnd(n, 'ü✓x😀')),
);
const stopCode = fc.oneof(
  fc.constantFrom('TaskFailedToStart', 'EssentialContainerExited', 'SpotInterruption', 'ServiceSchedulerInitiated', 'UserInitiated', 'TerminationNotice'),
  fc.string({ maxLength: 20 }),
);
const container = fc.record({
  Name: fc.oneof(fc.constantFrom('app', 'sidecar', 'log-router'), fc.string({ maxLength: 300 }), fc.integer()),
  ExitCode: fc.oneof(
    fc.integer({ min: -1, max: 255 }), fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }),
    fc.double({ noNaN: true, min: -1e300, max: 1e300 }), fc.constant(null), fc.string({ maxLength: 3 }),
  ),
  Reason: fc.oneof(reasonText, fc.constant(''), fc.integer()),
  LastStatus: fc.constant('STOPPED'),
}, { requiredKeys: [] });
const task = fc.record({
  TaskArn: fc.constant('arn:aws:ecs:us-east-1:123456789012:task/jobs/0f1e2d3c'),
  Attachments: fc.constant([]),
  Containers: fc.oneof(
    fc.array(fc.oneof(container, fc.constant(null), fc.array(container, { maxLength: 1 })), { maxLength: 12 }),
    fc.string({ maxLength: 5 }),
  ),
  StopCode: stopCode,
  StoppedReason: reasonText,
}, { requiredKeys: [] });

const errorName = fc.oneof(
  fc.constantFrom('States.TaskFailed', 'ECS.AmazonECSException', 'ECS.ThrottlingException', 'States.Timeout', 'ECS.InvalidParameterException', 'States.HeartbeatTimeout'),
  fc.string({ maxLength: 300 }),
);

/** RunTask's own answer, as the Cause of an API error: `Failures` with reasons and details. */
const failuresCause = fc.record({
  Failures: fc.array(fc.record({ Arn: fc.string({ maxLength: 5 }), Reason: fc.oneof(reasonText, fc.constantFrom('RESOURCE:MEMORY', 'ATTRIBUTE', 'Capacity is unavailable at this time.')), Detail: fc.oneof(reasonText, fc.constant(null)) }, { requiredKeys: [] }), { maxLength: 12 }),
  Tasks: fc.constant([]),
}).map((f) => JSON.stringify(f));

const cause = fc.oneof(
  task.map((t) => JSON.stringify(t)),
  // Cut anywhere, as Step Functions cuts a Cause at 32,768 characters, or cut mid-escape.
  fc.tuple(task, fc.nat()).map(([t, cut]) => {
    const text = JSON.stringify(t);
    return text.slice(0, cut % (text.length + 1));
  }),
  fc.tuple(task, fc.integer({ min: 40_000, max: 60_000 })).map(([t, n]) => JSON.stringify({ ...t, StoppedReason: 'x\\"y'.repeat(n / 4) }).slice(0, 32_768)),
  failuresCause,
  fc.constantFrom('', 'Rate exceeded', 'not JSON {', '{"StopCode":', '[1,2', '{}', 'null', '"text"', '{"Failures": null, "failures": [{"reason": "ATTRIBUTE"}]}'),
  fc.string({ maxLength: 200 }),
  fc.json().map((j) => j),
);

const generatedFailure = fc.record({ Error: errorName, Cause: cause }, { requiredKeys: ['Error'] });

const generatedCase = fc.constantFrom(...Object.keys(POLICIES)).chain((name) => {
  const policy = POLICIES[name];
  return fc.record({
    policy: fc.constant(policy),
    error: generatedFailure,
    attempt: fc.integer({ min: 1, max: policy.maxAttempts }),
    history: fc.constant([]),
    placement: fc.constantFrom(...placementsOf(policy)),
    random: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  });
});

describe('on generated failures', () => {
  test('both engines agree on the decision, the wait and the history entry', async () => {
    await fc.assert(fc.asyncProperty(generatedCase, async (c) => {
      const { expected, actual } = await bothEngines(c);
      expect(actual).toEqual(expected);
    }), { numRuns: 300 });
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
// Never an evaluation error

/** A decision with every field present and of its type: a Choice can act on it, whatever it says. */
function expectWellFormed(d: any) {
  expect(typeof d.retryable).toBe('boolean');
  expect(typeof d.retry).toBe('boolean');
  expect(Number.isInteger(d.waitSeconds)).toBe(true);
  expect(typeof d.rule).toBe('string');
  expect(typeof d.cause).toBe('string');
  expect(Array.isArray(d.history)).toBe(true);
}

describe('no Cause makes the expression fail', () => {
  const resource = allFailures()['resource-initialization-error'];
  const parsed = JSON.parse(resource.Cause);
  const hostile: Record<string, EcsFailure | unknown> = {
    'a Cause that is not JSON': { Error: 'States.TaskFailed', Cause: 'Task failed: <html>502 Bad Gateway</html>' },
    'a Cause cut at 32,768 characters': { Error: 'States.TaskFailed', Cause: JSON.stringify({ ...parsed, StoppedReason: `ResourceInitializationError: ${'x'.repeat(50_000)}` }).slice(0, 32_768) },
    'a Cause cut inside an escape': { Error: 'States.TaskFailed', Cause: '{"StopCode":"TaskFailedToStart","StoppedReason":"ResourceInitializationError: a \\u00' },
    'an empty Cause': { Error: 'States.TaskFailed', Cause: '' },
    'no Cause': { Error: 'States.TaskFailed' },
    'containers without exit codes': { Error: 'States.TaskFailed', Cause: JSON.stringify({ ...parsed, Containers: [{ Name: 'app' }, { Name: 'sidecar', Reason: 'x' }] }) },
    'a 200 KB reason': { Error: 'States.TaskFailed', Cause: JSON.stringify({ ...parsed, StoppedReason: `ResourceInitializationError: ${'ü✓x😀'.repeat(50_000)}` }) },
    'a 200 KB reason of quotes and backslashes, cut': { Error: 'States.TaskFailed', Cause: JSON.stringify({ ...parsed, StoppedReason: '\\"'.repeat(100_000) }).slice(0, 32_768) },
    'JSON nested deeper than the engine reads': { Error: 'States.TaskFailed', Cause: `{"StopCode":"TaskFailedToStart","X":${'['.repeat(100)}${']'.repeat(100)}}` },
    'an exit code beyond any integer': { Error: 'States.TaskFailed', Cause: '{"StopCode":"EssentialContainerExited","Containers":[{"Name":"app","ExitCode":1e999}]}' },
    'a Cause that is the reader\'s own placeholder': { Error: 'States.TaskFailed', Cause: '#' },
    'a Cause of placeholders in JSON\'s places': { Error: 'States.TaskFailed', Cause: '{"StopCode":~,"Containers":[#]}' },
    'an error object with no fields': {},
    'an Error that is not a string': { Error: 42, Cause: ['x'] },
  };

  test.each(Object.keys(hostile))('%s', async (name) => {
    for (const policy of [POLICIES.defaults, POLICIES.adaptive, POLICIES.metacharacters]) {
      const c: Case = { policy, error: hostile[name], attempt: 1, history: [], placement: { sizeIndex: 0, capacity: 'primary' }, random: 0.5 };
      const { expected, actual } = await bothEngines(c);
      expectWellFormed(actual);
      expect(actual).toEqual(expected);
    }
  });

  test('the documented limits of the JSON reader, on both engines: deeper than it reads is salvaged like a cut Cause', async () => {
    const c: Case = {
      policy: POLICIES.defaults, error: hostile['JSON nested deeper than the engine reads'], attempt: 1, history: [], placement: { sizeIndex: 0, capacity: 'primary' }, random: 0,
    };
    const { actual } = await bothEngines(c);
    // The stop code is still found, by the salvage of a Cause cut short.
    expect((actual as any).rule).toBe('retryableStopCode:TaskFailedToStart');
  });
});

describe('the JSON reader of both engines agrees with JSON.parse, within its documented limits', () => {
  const validator = `(\n${READING_FUNCTIONS.join('\n')}\n$isJson($s)\n)`;
  const accepts = async (s: string) => {
    const jsonata = await evaluateSfnJsonata(validator, { states: {}, variables: { s } });
    // The decider reads with the same expressions: both engines give the same answer.
    expect(readJson(s) !== undefined).toBe(jsonata);
    return jsonata;
  };
  // JSON.parse's answer, less what the reader leaves alone: nesting deeper than MAX_JSON_DEPTH,
  // and numbers that could overflow to infinity, which JSONata refuses: more than 200 integer
  // digits, or a positive exponent of 100 or more.
  const parses = (s: string) => {
    try {
      JSON.parse(s);
    } catch {
      return false;
    }
    const outsideStrings = s.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    let depth = 0;
    let deepest = 0;
    for (const c of outsideStrings) {
      depth += c === '[' || c === '{' ? 1 : c === ']' || c === '}' ? -1 : 0;
      deepest = Math.max(deepest, depth);
    }
    return deepest <= MAX_JSON_DEPTH && [...outsideStrings.matchAll(/-?(0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE]([+-]?)([0-9]+))?/g)].every(([, integer, sign, exponent]) =>
      integer.length <= 200 && (exponent === undefined || sign === '-' || Number(exponent) <= 99));
  };

  test.each([
    '{}', '[]', '1', '-0', '0.5e-3', '"x"', 'true', ' {"a" : [1, {"b": null}] } ', '{"a":"\\u00e9\\n\\"\\\\"}', '"\\ud800"',
    '1e99', '1e-999', '1e100', '1e999', '1.5e307', '-9e307', '1e308', '12e300', '1.7976931348623157e+308', `${'9'.repeat(201)}`, '', ' ', '01', '1.', '.5', '+1', '{"a":1,}', '[1,]', '{"a"}', '{a:1}', "'x'", '"\\x"', '"a\nb"', '\ufeff{}', '[1 2]', '{"a":1}}', '[[]', 'nul', 'truex',
    // The placeholders the reader writes, where no JSON holds them.
    '#', '~', '[#]', '{"a":~}', '~#', '[1,#]', '"#"', '["~"]',
    `${'['.repeat(64)}${']'.repeat(64)}`, `${'['.repeat(65)}${']'.repeat(65)}`, `{"a":${'{"b":'.repeat(63)}1${'}'.repeat(63)}}`,
  ])('%j', async (s) => {
    expect(await accepts(s)).toBe(parses(s));
  });

  test('on generated JSON, cut, spliced and mutated', async () => {
    const text = fc.oneof(
      fc.json({ maxDepth: 6 }),
      fc.tuple(fc.json({ maxDepth: 4 }), fc.nat()).map(([j, n]) => j.slice(0, n % (j.length + 1))),
      fc.tuple(fc.json({ maxDepth: 4 }), fc.nat(), fc.constantFrom(',', ']', '}', '"', '\\', ' ', '1', ':', 'e', '\n', '\u2028')).map(([j, n, c]) => {
        const at = n % (j.length + 1);
        return j.slice(0, at) + c + j.slice(at);
      }),
      fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '1', 'e', '-', '.', ' ', 'n', 'u', 'l', '\\', '#', '~'), maxLength: 30 }),
      fc.integer({ min: 60, max: 70 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
    );
    await fc.assert(fc.asyncProperty(text, async (s) => {
      expect(await accepts(s)).toBe(parses(s));
    }), { numRuns: 1500 });
  }, 120_000);
});
