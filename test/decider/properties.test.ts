import * as fc from 'fast-check';
import { decideRetry } from '../../src/decider/decide-retry';
import { MAX_ATTEMPTS_LIMIT, MAX_DELAY_LIMIT_SECONDS } from '../../src/decider/wire';
import type { Placement } from '../../src/decider/wire';
import { renderFallbackRules, renderRetryPolicy } from '../../src/policy/render-retry-policy';
import { allFailures } from '../support/fixtures';

/** Anything at all: objects, arrays, strings (huge and unicode included), numbers, nested junk. */
const junk = fc.oneof(
  { depthSize: 'small' },
  fc.anything({ withBigInt: false, withMap: false, withSet: false, withTypedArray: false, withDate: false }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.integer({ min: 1_000, max: 250_000 }).map((n) => 'ResourceInitializationError: '.padEnd(n, 'ü✓x')),
);

/** One rung of a size ladder, as the construct renders it. */
const rung = fc.record({
  cpu: fc.integer({ min: 256, max: 16_384 }),
  memoryMiB: fc.integer({ min: 512, max: 122_880 }),
  containerMemoryMiB: fc.array(fc.integer({ min: 6, max: 122_880 }), { maxLength: 3 }),
});

/** Ladders: well-formed, with a malformed rung, or junk. */
const sizes = fc.oneof(
  fc.array(rung, { maxLength: 6 }),
  fc.tuple(fc.array(rung, { maxLength: 4 }), fc.record({
    cpu: fc.oneof(fc.double(), fc.integer({ min: -5, max: 0 }), junk),
    memoryMiB: fc.oneof(fc.double(), junk),
    containerMemoryMiB: fc.oneof(fc.array(fc.oneof(fc.double(), junk), { maxLength: 3 }), junk),
  }, { requiredKeys: [] })).map(([rungs, bad]) => [...rungs, bad]),
  junk,
);

/** Fallback rules that match some of the corpus. */
const fallbackRules = fc.record({
  stopCodes: fc.array(fc.constantFrom('SpotInterruption', 'TerminationNotice', 'TaskFailedToStart', 'EssentialContainerExited')),
  stoppedReasons: fc.array(fc.constantFrom('Your Spot Task was interrupted*', 'OutOfMemoryError*', '*not found*', '*')),
  errorCauses: fc.array(fc.constantFrom('Capacity is unavailable at this time*', 'RESOURCE:*', '*Rate exceeded*', '*')),
});

/** Fallback rules: well-formed, with junk lists, or junk. */
const fallback = fc.oneof(
  fallbackRules,
  fc.record({ stopCodes: junk, stoppedReasons: junk, errorCauses: junk }, { requiredKeys: [] }),
  junk,
);

/** Where the failed attempt ran: well-formed, out of range, or junk. */
const placement = fc.oneof(
  fc.record({ sizeIndex: fc.integer({ min: -3, max: 10 }), capacity: fc.constantFrom('primary', 'fallback') }),
  fc.record({ sizeIndex: fc.oneof(fc.double(), junk), capacity: junk }, { requiredKeys: [] }),
  junk,
);

/** Mostly well-formed policies with arbitrary numbers, and some junk. */
const policy = fc.oneof(
  fc.record({
    maxAttempts: fc.oneof(fc.integer({ min: -5, max: 80 }), fc.double(), junk),
    intervalSeconds: fc.oneof(fc.double({ min: -10, max: 1e9 }), junk),
    backoffRate: fc.oneof(fc.double({ min: -2, max: 50 }), junk),
    maxDelaySeconds: fc.oneof(fc.double({ min: -10, max: 1e10 }), junk),
    jitter: fc.oneof(fc.constantFrom('FULL', 'NONE'), junk),
    retryableStopCodes: fc.oneof(fc.array(fc.constantFrom('TaskFailedToStart', 'SpotInterruption', 'EssentialContainerExited')), junk),
    retryableStoppedReasons: fc.oneof(fc.array(fc.constantFrom('*', 'ResourceInitializationError:*', '*not found*', '')), junk),
    nonRetryableStoppedReasons: fc.oneof(fc.array(fc.constantFrom('*not found*', '*AccessDenied*', '**')), junk),
    retryableExitCodes: fc.oneof(fc.array(fc.integer({ min: -1, max: 255 })), junk),
    retryableErrors: fc.oneof(fc.array(fc.constantFrom('ECS.AmazonECSException', 'AmazonECS.Unknown', 'States.TaskFailed')), junk),
    nonRetryableErrorCauses: fc.oneof(fc.array(fc.constantFrom('ATTRIBUTE', '*inactive*', '*Error Code: *', '*', '')), junk),
    sizes,
    fallback,
  }, { requiredKeys: [] }),
  junk,
);

/** Realistic failures, failures with junk swapped in, and pure junk. */
const corpus = Object.values(allFailures());
const error = fc.oneof(
  fc.constantFrom(...corpus),
  fc.tuple(fc.constantFrom(...corpus), junk).map(([f, cause]) => ({ Error: f.Error, Cause: cause })),
  fc.tuple(fc.constantFrom(...corpus), fc.nat()).map(([f, cut]) => ({ Error: f.Error, Cause: f.Cause.slice(0, cut % (f.Cause.length + 1)) })),
  fc.record({ Error: junk, Cause: junk }, { requiredKeys: [] }),
  junk,
);

const input = fc.record({
  policy,
  attempt: fc.oneof(fc.integer({ min: -3, max: 60 }), junk),
  error,
  history: fc.oneof(fc.array(junk, { maxLength: 5 }), junk),
  placement,
  random: fc.oneof(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.double()),
});

/** The effective limits the decider holds a policy to, whatever the payload says. */
function limitsOf(raw: unknown) {
  const p = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const maxAttempts = typeof p.maxAttempts === 'number' && Number.isInteger(p.maxAttempts) ? Math.min(Math.max(p.maxAttempts, 1), MAX_ATTEMPTS_LIMIT) : 1;
  const maxDelay = typeof p.maxDelaySeconds === 'number' && Number.isFinite(p.maxDelaySeconds)
    ? Math.min(Math.max(p.maxDelaySeconds, 0), MAX_DELAY_LIMIT_SECONDS) : 0;
  return { maxAttempts, maxDelay };
}

const RUNS = { numRuns: 400 };

describe('decideRetry, for any policy and payload', () => {
  test('never throws and always returns a well-formed decision', () => {
    fc.assert(fc.property(input, (i) => {
      const d = decideRetry(i);
      expect(typeof d.retryable).toBe('boolean');
      expect(typeof d.retry).toBe('boolean');
      expect(Number.isInteger(d.waitSeconds)).toBe(true);
      expect(typeof d.rule).toBe('string');
      expect(typeof d.cause).toBe('string');
      expect(Array.isArray(d.history)).toBe(true);
      expect(d.history.length).toBeGreaterThanOrEqual(1);
      expect(() => JSON.stringify(d)).not.toThrow();
      if (d.retry) {
        expect(d.retryable).toBe(true);
      } else {
        expect(d.waitSeconds).toBe(0);
      }
    }), RUNS);
  });

  test('never waits below 0 or above maxDelay', () => {
    fc.assert(fc.property(input, (i) => {
      const d = decideRetry(i);
      expect(d.waitSeconds).toBeGreaterThanOrEqual(0);
      expect(d.waitSeconds).toBeLessThanOrEqual(limitsOf(i.policy).maxDelay);
    }), RUNS);
  });

  test('never allows an attempt beyond maxAttempts', () => {
    fc.assert(fc.property(input, (i) => {
      const d = decideRetry(i);
      const { maxAttempts } = limitsOf(i.policy);
      if (d.retry) {
        // Only a readable attempt number below the limit earns another attempt.
        expect(typeof i.attempt === 'number' && Number.isInteger(i.attempt) && i.attempt >= 1 && i.attempt < maxAttempts).toBe(true);
      }
      expect(d.history.length).toBeLessThanOrEqual(maxAttempts);
    }), RUNS);
  });

  test('returns the same decision for the same input and random number', () => {
    fc.assert(fc.property(input, (i) => {
      expect(decideRetry(i)).toEqual(decideRetry(structuredClone(i)));
    }), RUNS);
  });

  test('keeps every recorded string bounded, however large the input', () => {
    fc.assert(fc.property(input, (i) => {
      for (const entry of decideRetry(i).history) {
        expect((entry.stoppedReason ?? '').length).toBeLessThanOrEqual(384);
        expect((entry.containerReason ?? '').length).toBeLessThanOrEqual(384);
        expect(entry.error.length).toBeLessThanOrEqual(255);
        expect(entry.exitCodes.length).toBeLessThanOrEqual(10);
        expect(entry.size === undefined || Object.keys(entry.size).sort().join() === 'cpu,memoryMiB').toBe(true);
        expect([undefined, 'primary', 'fallback']).toContain(entry.capacity);
      }
    }), RUNS);
  });

  test('answers a placement only for a ladder or fallback rules, and always one inside the ladder', () => {
    fc.assert(fc.property(input, (i) => {
      const d = decideRetry(i);
      const p = (typeof i.policy === 'object' && i.policy !== null ? i.policy : {}) as Record<string, unknown>;
      const ladder = Array.isArray(p.sizes) && p.sizes.length >= 2 && p.sizes.every(isRung) ? p.sizes : undefined;
      const rules = typeof p.fallback === 'object' && p.fallback !== null && !Array.isArray(p.fallback);
      if (ladder === undefined && !rules) {
        expect(d.next).toBeUndefined();
        return;
      }
      expect(d.next).toBeDefined();
      const next = d.next!;
      expect(['primary', 'fallback']).toContain(next.capacity);
      expect(Number.isInteger(next.sizeIndex)).toBe(true);
      expect(next.sizeIndex).toBeGreaterThanOrEqual(0);
      expect(next.sizeIndex).toBeLessThanOrEqual(ladder === undefined ? 0 : ladder.length - 1);
      expect(next.size).toEqual(ladder?.[next.sizeIndex]);
    }), RUNS);
  });

  test('never retries an error without a stopped task whose cause matches nonRetryableErrorCauses', () => {
    const permanentCause = fc.record({
      name: fc.oneof(fc.constantFrom('ECS.AmazonECSException', 'AmazonECS.Unknown', 'ECS.ServerException', 'States.TaskFailed'), fc.string()),
      // ASCII, without `*`, so that the token is a literal part of its own pattern.
      token: fc.string({ minLength: 1, maxLength: 20 }).filter((t) => !t.includes('*')),
      before: fc.string({ maxLength: 200 }),
      after: fc.string({ maxLength: 200 }),
      inFailures: fc.boolean(),
      others: fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }),
    });
    fc.assert(fc.property(policy, permanentCause, fc.integer({ min: 1, max: 60 }), (raw, c, attempt) => {
      const base = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {};
      const text = `${c.before}${c.token}${c.after}`;
      const cause = c.inFailures
        ? JSON.stringify({ Failures: [...c.others.map((r) => ({ Reason: r })), { Arn: 'arn:aws:ecs:x', Reason: text }], Tasks: [] })
        // A leading letter keeps plain text from parsing as JSON.
        : `x${text}`;
      const patterns = [...(Array.isArray((base as any).nonRetryableErrorCauses) ? (base as any).nonRetryableErrorCauses : []), `*${c.token}*`];
      const p = { ...base, maxAttempts: 50, retryableErrors: [c.name], nonRetryableErrorCauses: patterns };
      const d = decideRetry({ policy: p, attempt, error: { Error: c.name, Cause: cause }, random: 0.5 });
      expect(d.retryable).toBe(false);
      expect(d.retry).toBe(false);
      expect(d.rule.startsWith('nonRetryableErrorCause:')).toBe(true);
    }), RUNS);
  });
});

/** Whether a rung of a ladder is well-formed, computed independently of the decider. */
function isRung(r: unknown): boolean {
  const positive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
  const o = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>;
  return positive(o.cpu) && positive(o.memoryMiB) && Array.isArray(o.containerMemoryMiB) && o.containerMemoryMiB.every(positive);
}

describe('decideRetry over a run of failures, each placed where the previous decision said', () => {
  const run = fc.record({
    ladder: fc.option(fc.array(rung, { minLength: 2, maxLength: 5 }), { nil: undefined }),
    rules: fc.option(fc.oneof(fc.constant(renderFallbackRules({})), fallbackRules), { nil: undefined }),
    // Retrying everything makes long runs, so escalation and fallback get room to happen.
    retryAll: fc.boolean(),
    first: fc.record({ sizeIndex: fc.integer({ min: 0, max: 6 }), capacity: fc.constantFrom<Placement['capacity']>('primary', 'fallback') }),
    failures: fc.array(fc.constantFrom(...corpus), { minLength: 1, maxLength: 25 }),
    random: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  });

  test('sizes never shrink or pass the ladder, and a run on the fallback never returns to the primary', () => {
    fc.assert(fc.property(run, ({ ladder, rules, retryAll, first, failures, random }) => {
      const base = renderRetryPolicy({ maxAttempts: MAX_ATTEMPTS_LIMIT });
      const runPolicy = {
        ...base,
        ...(retryAll ? { retryableStoppedReasons: ['*'], retryableErrors: corpus.map((f) => f.Error) } : {}),
        ...(ladder ? { sizes: ladder } : {}),
        ...(rules ? { fallback: rules } : {}),
      };
      const top = ladder === undefined ? 0 : ladder.length - 1;
      let where: Placement = first;
      let previous: Placement = { sizeIndex: Math.min(first.sizeIndex, top), capacity: first.capacity };
      let history: unknown;
      failures.forEach((failed, i) => {
        const d = decideRetry({ policy: runPolicy, attempt: i + 1, error: failed, history, placement: where, random });
        if (ladder === undefined && rules === undefined) {
          expect(d.next).toBeUndefined();
          return;
        }
        const next = d.next!;
        expect(next.sizeIndex).toBeGreaterThanOrEqual(previous.sizeIndex);
        expect(next.sizeIndex).toBeLessThanOrEqual(top);
        expect(next.sizeIndex - previous.sizeIndex).toBeLessThanOrEqual(1);
        if (previous.capacity === 'fallback') {
          expect(next.capacity).toBe('fallback');
        }
        if (!d.retry) {
          expect({ sizeIndex: next.sizeIndex, capacity: next.capacity }).toEqual(previous);
        }
        expect(d.history[d.history.length - 1].capacity).toBe(previous.capacity);
        where = next;
        previous = { sizeIndex: next.sizeIndex, capacity: next.capacity };
        history = d.history;
      });
    }), RUNS);
  });

  test('with a ladder, a run of out-of-memory failures climbs one size per attempt to the top, then stops', () => {
    const oom = ['oom-fargate', 'oom-ec2', 'oom-sidecar', 'out-of-memory'].map((name) => allFailures()[name]);
    const ladders = fc.array(rung, { minLength: 2, maxLength: 5 });
    fc.assert(fc.property(ladders, fc.array(fc.constantFrom(...oom), { minLength: 6, maxLength: 6 }), (ladder, failures) => {
      const ladderPolicy = { ...renderRetryPolicy({ maxAttempts: 10 }), sizes: ladder };
      let where: unknown = undefined;
      const rules: string[] = [];
      for (const [i, failed] of failures.entries()) {
        const d = decideRetry({ policy: ladderPolicy, attempt: i + 1, error: failed, placement: where, random: 0 });
        rules.push(d.rule);
        if (!d.retry) {
          break;
        }
        where = d.next;
      }
      const climbs = ladder.slice(1).map((_, i) => `outOfMemory:escalate to size ${i + 1}`);
      expect(rules).toEqual([...climbs, 'outOfMemoryAtLargestSize'].slice(0, failures.length));
    }), RUNS);
  });
});
