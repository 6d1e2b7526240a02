import * as fc from 'fast-check';
import { decideRetry } from '../../src/decider/decide-retry';
import type { AttemptRecord, DeciderPolicy } from '../../src/decider/wire';
import { MAX_ATTEMPTS_LIMIT } from '../../src/decider/wire';
import { worstCaseTaskFailure } from '../support/worst-case';
import {
  adversarialCause, adversarialFailuresCause, MEASURED_POLICIES, measureDecision, mostStepsFailures, mostStepsTask, realisticLargeCauses, taskFailed,
  withLongLists,
} from './support/expression-cost';

// AWS bounds every JSONata evaluation by time (reported as 1 second), memory and stack depth, and
// fails the execution, uncatchably, when one is exceeded. No local interpreter enforces that, so
// this holds the decision expression to budgets counted deterministically (steps and depth by
// JSONata's evaluation hooks, native regex executions by a counting RegExp), on generated
// adversarial Causes of up to 32,768 characters, realistic large task descriptions and the
// costliest Cause a policy can meet, with a history of up to 49 attempts. Its time, for the same
// inputs, is in the bench (`npx projen bench`, "Decision expression").

/** Evaluation steps, at most, per policy: what the costliest Cause and a full history take, with a margin. */
const STEP_BUDGET: Record<string, number> = { defaults: 12_000, adaptive: 12_000 };
/** Evaluations in progress at once, at most, whatever the policy's lists hold. */
const DEPTH_BUDGET = 40;
/** Native regex executions: at most one per character of the Cause, and a constant for the fixed passes. */
const regexBudget = (cause: unknown) => (typeof cause === 'string' ? cause.length : 0) + 300;

/** The history a run carries at its last attempt, of the largest entries the worst-case failure leaves. */
function fullHistory(policy: DeciderPolicy): AttemptRecord[] {
  let history: AttemptRecord[] = [];
  for (let attempt = 1; attempt < MAX_ATTEMPTS_LIMIT; attempt++) {
    const error = worstCaseTaskFailure(attempt);
    history = decideRetry({ policy: { ...policy, maxAttempts: MAX_ATTEMPTS_LIMIT }, attempt, error, history, random: 0 }).history;
  }
  return history;
}

/** A decision a Choice can act on: every field present and of its type, so the evaluation did not fail. */
function expectWellFormed(d: any) {
  expect(typeof d.retryable).toBe('boolean');
  expect(typeof d.retry).toBe('boolean');
  expect(Number.isInteger(d.waitSeconds)).toBe(true);
  expect(typeof d.rule).toBe('string');
  expect(typeof d.cause).toBe('string');
  expect(Array.isArray(d.history)).toBe(true);
}

const error = fc.oneof(
  adversarialCause.map(taskFailed),
  adversarialFailuresCause.map((Cause) => ({ Error: 'ECS.AmazonECSException', Cause })),
);

describe.each(Object.keys(STEP_BUDGET))('the %s policy', (name) => {
  const policy = { ...MEASURED_POLICIES[name], maxAttempts: MAX_ATTEMPTS_LIMIT };
  const history = fullHistory(policy);

  test('generated adversarial Causes, cut anywhere, at the first and the last attempt: within the budgets', async () => {
    await fc.assert(fc.asyncProperty(error, fc.boolean(), async (e, last) => {
      const { value, cost } = await measureDecision(policy, e, last ? MAX_ATTEMPTS_LIMIT : 1, last ? history : []);
      expectWellFormed(value);
      expect(cost.steps).toBeLessThanOrEqual(STEP_BUDGET[name]);
      expect(cost.depth).toBeLessThanOrEqual(DEPTH_BUDGET);
      expect(cost.regexExecutions).toBeLessThanOrEqual(regexBudget(e.Cause));
    }), { numRuns: 150 });
  }, 120_000);

  test.each(Object.keys(realisticLargeCauses()))('a realistic task description: %s', async (cause) => {
    const e = realisticLargeCauses()[cause];
    const { value, cost } = await measureDecision(policy, e, MAX_ATTEMPTS_LIMIT, history);
    expectWellFormed(value);
    expect(cost.steps).toBeLessThanOrEqual(STEP_BUDGET[name]);
    expect(cost.depth).toBeLessThanOrEqual(DEPTH_BUDGET);
    expect(cost.regexExecutions).toBeLessThanOrEqual(regexBudget(e.Cause));
  });

  test('the costliest Cause for the policy: every pattern tried against every text, after a full history', async () => {
    for (const e of [mostStepsTask(policy), mostStepsFailures(policy)]) {
      const { value, cost } = await measureDecision(policy, e, MAX_ATTEMPTS_LIMIT, history);
      expectWellFormed(value);
      expect(cost.steps).toBeLessThanOrEqual(STEP_BUDGET[name]);
      expect(cost.depth).toBeLessThanOrEqual(DEPTH_BUDGET);
    }
    // It is the costliest: far above what a realistic large task description costs.
    const realistic = await measureDecision(policy, realisticLargeCauses()['10 containers x 60 bindings (33941 chars)'] ?? Object.values(realisticLargeCauses())[0]);
    expect((await measureDecision(policy, mostStepsTask(policy))).cost.steps).toBeGreaterThan(2 * realistic.cost.steps);
  });
});

describe('steps grow with neither the Cause nor, in depth, the policy', () => {
  const policy = MEASURED_POLICIES.defaults;

  test.each([
    ['dense tokens', (n: number) => `{"StopCode":"EssentialContainerExited","Containers":[${'{"a":1},'.repeat(n)}`],
    ['dense brackets', (n: number) => `{"StopCode":"TaskFailedToStart","X":${'['.repeat(8 * n)}`],
    ['escaped quotes', (n: number) => `{"StoppedReason":"${'\\"'.repeat(4 * n)}`],
    ['a valid array of numbers', (n: number) => `{"StopCode":"TaskFailedToStart","X":[${'1,'.repeat(4 * n)}1]}`],
  ])('%s: the same steps for 1 KB and for 32 KB', async (_, cause) => {
    const small = await measureDecision(policy, taskFailed(cause(100)));
    const large = await measureDecision(policy, taskFailed(cause(4_000)));
    expect(large.cost.steps).toBe(small.cost.steps);
    expect(large.value.rule).toBe(small.value.rule);
  });

  test('the depth is the same with 1 and with 60 entries in every list', async () => {
    const samples = [...fc.sample(adversarialCause, { numRuns: 40, seed: 7 }).map(taskFailed), ...Object.values(realisticLargeCauses())];
    for (const e of samples) {
      const short = await measureDecision(withLongLists(policy, 1), e);
      const long = await measureDecision(withLongLists(policy, 60), e);
      expect(long.cost.depth).toBe(short.cost.depth);
      expect(long.cost.steps).toBeGreaterThanOrEqual(short.cost.steps);
    }
  });
});
