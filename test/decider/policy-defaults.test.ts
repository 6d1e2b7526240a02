import { handler } from '../../lambda/decider-handler';
import { decideRetry } from '../../src/decider/decide-retry';
import { contentId, deciderEnvironment, POLICY_DEFAULTS } from '../../src/decider/policy-defaults';
import { wholePolicy } from '../../src/decider/whole-policy';
import { MAX_ATTEMPTS_LIMIT, POLICY_DEFAULTS_VARIABLE } from '../../src/decider/wire';
import type { Decision, PolicyDefaults } from '../../src/decider/wire';
import { renderFallbackRules, renderRetryPolicy } from '../../src/policy/render-retry-policy';
import { allFailures, failure } from '../support/fixtures';
import { jsonBytes, worstCaseTaskFailure } from '../support/worst-case';

// The decider side of the policy diff: a payload's policy is whole, or a diff merged over the
// defaults of the decider's environment when it names them, or else not decided with any lists.

const ID = POLICY_DEFAULTS.id;
const sizes = [{ cpu: 256, memoryMiB: 512, containerMemoryMiB: [] }, { cpu: 512, memoryMiB: 1024, containerMemoryMiB: [] }];

describe('the id of the defaults', () => {
  test('is 8 hex digits of the SHA-256 of their canonical JSON: key order does not matter, any value does', () => {
    const { policy } = POLICY_DEFAULTS;
    expect(contentId(policy)).toBe(ID);
    expect(contentId(Object.fromEntries(Object.entries(policy).reverse()))).toBe(ID);
    expect(contentId({ ...policy, maxAttempts: 4 })).not.toBe(ID);
    expect(contentId({ ...policy, retryableErrors: [...policy.retryableErrors, 'X'] })).not.toBe(ID);
    expect(contentId({ ...policy, fallback: { ...policy.fallback, stopCodes: [] } })).not.toBe(ID);
  });
});

describe('wholePolicy', () => {
  test('a policy without a defaults id is whole, as releases before the diff sent it', () => {
    const whole = renderRetryPolicy({ maxAttempts: 2 });
    expect(wholePolicy(whole, POLICY_DEFAULTS)).toEqual({ policy: whole });
    expect(wholePolicy(whole, undefined)).toEqual({ policy: whole });
  });

  test('a diff from the decider\'s defaults is merged over them; a fallback only when the diff has one', () => {
    expect(wholePolicy({ defaultsId: ID }, POLICY_DEFAULTS)).toEqual({ policy: renderRetryPolicy({}) });
    expect(wholePolicy({ defaultsId: ID, maxAttempts: 5, sizes }, POLICY_DEFAULTS))
      .toEqual({ policy: { ...renderRetryPolicy({ maxAttempts: 5 }), sizes } });
    expect(wholePolicy({ defaultsId: ID, fallback: {} }, POLICY_DEFAULTS))
      .toEqual({ policy: { ...renderRetryPolicy({}), fallback: renderFallbackRules({}) } });
    expect(wholePolicy({ defaultsId: ID, fallback: { stopCodes: [] } }, POLICY_DEFAULTS))
      .toEqual({ policy: { ...renderRetryPolicy({}), fallback: { ...renderFallbackRules({}), stopCodes: [] } } });
  });

  test('a diff from other defaults names their id', () => {
    expect(wholePolicy({ defaultsId: 'ffffffff' }, POLICY_DEFAULTS)).toMatchObject({ unknownDefaults: 'ffffffff' });
    expect(wholePolicy({ defaultsId: ID }, undefined)).toMatchObject({ unknownDefaults: ID });
    expect(wholePolicy({ defaultsId: 7 }, POLICY_DEFAULTS)).toMatchObject({ unknownDefaults: '7' });
  });
});

describe('decideRetry with a diff', () => {
  const defaultsDiff = { defaultsId: ID };

  test('decides every failure of the corpus as with the whole policy, at every attempt', () => {
    const adaptive = { defaultsId: ID, maxAttempts: 4, sizes, fallback: {} };
    const adaptiveWhole = { ...renderRetryPolicy({ maxAttempts: 4 }), sizes, fallback: renderFallbackRules({}) };
    for (const [name, error] of Object.entries(allFailures())) {
      for (const attempt of [1, 2, 3, 4]) {
        for (const [diff, whole] of [[defaultsDiff, renderRetryPolicy({})], [adaptive, adaptiveWhole]] as const) {
          const placement = { sizeIndex: attempt % 2, capacity: attempt > 2 ? 'fallback' : 'primary' };
          const merged = decideRetry({ policy: diff, defaults: POLICY_DEFAULTS, attempt, error, placement, random: 0.7 });
          expect([name, merged]).toEqual([name, decideRetry({ policy: whole, attempt, error, placement, random: 0.7 })]);
        }
      }
    }
  });

  test.each([
    ['other defaults', { defaultsId: 'ffffffff' }, POLICY_DEFAULTS, 'policyDefaultsMismatch:ffffffff', `a diff from default policy ffffffff, but the decider has ${ID}:`],
    ['no defaults at all', defaultsDiff, undefined, `policyDefaultsMismatch:${ID}`, `a diff from default policy ${ID}, but the decider has none:`],
  ])('a diff from %s: not retryable, under a rule that names the id, with a cause that says what to do', (_, policy, defaults, rule, has) => {
    // A failure every policy retries, at the first attempt.
    const decision = decideRetry({ policy, defaults, attempt: 1, error: failure('spot-interruption'), history: [], random: 0.5 });
    expect(decision).toMatchObject({ retryable: false, retry: false, waitSeconds: 0, rule });
    expect(decision.history).toEqual([expect.objectContaining({ attempt: 1, stopCode: 'SpotInterruption', rule, retryable: false })]);
    expect(decision.cause).toContain('Attempt 1 failed with States.TaskFailed: SpotInterruption: ');
    expect(decision.cause).toContain(has);
    expect(decision.cause).toMatch(/the execution started before an upgrade changed the defaults\. Start a new execution\.$/);
  });

  test('a mismatch keeps the history and the shape of the run: the next placement of an adaptive run is where the failed attempt ran', () => {
    const history = decideRetry({ policy: renderRetryPolicy({ maxAttempts: 5 }), attempt: 1, error: failure('spot-interruption'), random: 0 }).history;
    const decision = decideRetry({
      policy: { defaultsId: 'ffffffff', maxAttempts: 5, sizes, fallback: {} },
      defaults: POLICY_DEFAULTS,
      attempt: 2,
      error: failure('oom-fargate'),
      history,
      placement: { sizeIndex: 0, capacity: 'primary' },
      random: 0,
    });
    expect(decision.history.map((h) => h.attempt)).toEqual([1, 2]);
    expect(decision).toMatchObject({ retry: false, retryable: false, next: { sizeIndex: 0, capacity: 'primary', size: sizes[0] } });
  });

  test('a malformed or overlong id is a mismatch too, and the rule names it cut to 16 characters and a marker', () => {
    for (const defaultsId of [null, 0, '', {}, 'x'.repeat(10_000)]) {
      const decision = decideRetry({ policy: { defaultsId }, defaults: POLICY_DEFAULTS, attempt: 1, error: failure('spot-interruption'), random: 0 });
      expect(decision).toMatchObject({ retryable: false, retry: false });
      expect(decision.rule).toMatch(/^policyDefaultsMismatch:/);
      expect(decision.rule.length).toBeLessThanOrEqual('policyDefaultsMismatch:'.length + '…[99999 chars cut]…'.length);
    }
  });

  test('a mismatch decision is no larger than the worst decision the payload bound allows', () => {
    // The largest decision of test/decider/history-size.test.ts is 93,858 bytes: its rule and cause
    // are at their longest. A mismatch names a short rule, and its note is shorter than that saves.
    let history: unknown = [];
    let decision: Decision | undefined;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS_LIMIT; attempt++) {
      decision = decideRetry({
        policy: { defaultsId: 'ffffffff', maxAttempts: MAX_ATTEMPTS_LIMIT, sizes, fallback: {} },
        defaults: POLICY_DEFAULTS,
        attempt,
        error: worstCaseTaskFailure(attempt),
        history,
        random: 0,
      });
      history = decision.history;
    }
    expect(jsonBytes(decision)).toBeLessThanOrEqual(93_858);
  });
});

describe('the handler reads the defaults from its environment', () => {
  const saved = process.env[POLICY_DEFAULTS_VARIABLE];
  let log: jest.SpyInstance;
  beforeEach(() => {
    log = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    if (saved === undefined) {
      delete process.env[POLICY_DEFAULTS_VARIABLE];
    } else {
      process.env[POLICY_DEFAULTS_VARIABLE] = saved;
    }
  });

  const decide = (policy: unknown) => handler({ run: 'Stack/Job/Run', policy, attempt: 1, error: failure('spot-interruption') }) as Promise<Decision>;

  test('as the construct sets it: a diff decides as the whole policy', async () => {
    Object.assign(process.env, deciderEnvironment());
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    expect(await decide({ defaultsId: ID, maxAttempts: 2 })).toEqual(await decide(renderRetryPolicy({ maxAttempts: 2 })));
  });

  test.each([
    ['unset', undefined],
    ['not JSON', '{'],
    ['JSON without an id', JSON.stringify({ policy: POLICY_DEFAULTS.policy })],
  ])('%s: a diff is a mismatch, never a crash; a whole policy still decides', async (_, text) => {
    if (text === undefined) {
      delete process.env[POLICY_DEFAULTS_VARIABLE];
    } else {
      process.env[POLICY_DEFAULTS_VARIABLE] = text;
    }
    expect(await decide({ defaultsId: ID })).toMatchObject({ retryable: false, rule: `policyDefaultsMismatch:${ID}` });
    expect(await decide(renderRetryPolicy({}))).toMatchObject({ retry: true, rule: 'retryableStopCode:SpotInterruption' });
    expect(JSON.parse(log.mock.calls[0][0])).toMatchObject({ decision: 'NOT_RETRYABLE', rule: `policyDefaultsMismatch:${ID}` });
  });

  test('defaults of another release decide its diffs, and name the others', async () => {
    const other: PolicyDefaults = { id: 'abcdef12', policy: { ...POLICY_DEFAULTS.policy, retryableStopCodes: [] } };
    process.env[POLICY_DEFAULTS_VARIABLE] = JSON.stringify(other);
    expect(await decide({ defaultsId: 'abcdef12' })).toMatchObject({ retryable: false, rule: 'noRetryableMatch' });
    expect(await decide({ defaultsId: ID })).toMatchObject({ retryable: false, rule: `policyDefaultsMismatch:${ID}` });
  });
});
