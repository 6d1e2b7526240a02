import * as fc from 'fast-check';
import { decideRetry } from '../../lambda/decide-retry';
import { MAX_ATTEMPTS_LIMIT, MAX_DELAY_LIMIT_SECONDS } from '../../src/decider/wire';
import { allFailures } from '../support/fixtures';

/** Anything at all: objects, arrays, strings (huge and unicode included), numbers, nested junk. */
const junk = fc.oneof(
  { depthSize: 'small' },
  fc.anything({ withBigInt: false, withMap: false, withSet: false, withTypedArray: false, withDate: false }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.integer({ min: 1_000, max: 250_000 }).map((n) => 'ResourceInitializationError: '.padEnd(n, 'ü✓x')),
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
      }
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
