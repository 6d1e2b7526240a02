import * as fc from 'fast-check';
import { decideRetry } from '../../src/decider/decide-retry';
import { MAX_ATTEMPTS_LIMIT } from '../../src/decider/wire';
import type { AttemptRecord, Decision } from '../../src/decider/wire';
import { renderFallbackRules, renderRetryPolicy } from '../../src/policy/render-retry-policy';
import { TaskStopCode } from '../../src/policy/task-stop-code';
import {
  COSTLY, jsonBytes, largestBriefEntry, largestHistoryBytes, largestWholeEntry, LONGEST_EXIT_CODE, MAX_CAUSE_BYTES, MAX_ERROR_NAME_BYTES,
  worstCasePolicyProps, worstCaseTaskFailure,
} from '../support/worst-case';

// The bytes a run's history and decision take, for any failures: the largest entries the bounds
// allow, and the histories that 50 attempts of generated, costly failures leave. Both decision
// engines build the same history (the differential tests hold the JSONata engine to the
// decider), so these bounds hold on both.

/** What Step Functions allows a state's input or output. */
const STATE_LIMIT = 262_144;
/** What the run may add to a state, leaving 64 KiB for the user's input and the task result. */
const RUN_BUDGET = 192 * 1024;

const LARGEST_WHOLE = jsonBytes(largestWholeEntry());
const LARGEST_BRIEF = jsonBytes(largestBriefEntry());
const LARGEST_HISTORY = largestHistoryBytes(MAX_ATTEMPTS_LIMIT);

/** The largest cause text a decision carries, built from the bounds as the decider writes it. */
function largestCauseBytes(): number {
  const e = largestWholeEntry();
  const exits = e.exitCodes.map((x) => `${x.name}=${String(x.exitCode)}`).join(', ');
  const cause = `Attempt ${MAX_ATTEMPTS_LIMIT} failed with ${e.error}: ${e.stopCode}: ${e.stoppedReason} (container reason: ${e.containerReason}) `
    + `(exit codes: ${exits}) [rule: ${e.rule}] [ran on fallback, size 9: 16384 CPU, 122880 MiB]`;
  return jsonBytes(cause);
}

/** What a decision adds beyond its history and cause: flags, wait, rule and the next placement. */
function largestDecisionBytes(): number {
  const rung = { cpu: 16_384, memoryMiB: 122_880, containerMemoryMiB: [...Array(10)].map(() => 122_880) };
  const decision = {
    retryable: false,
    retry: false,
    waitSeconds: 31_536_000,
    rule: largestWholeEntry().rule,
    history: [],
    cause: '',
    next: { sizeIndex: 9, capacity: 'fallback', size: rung },
  };
  return jsonBytes(decision) + LARGEST_HISTORY + largestCauseBytes();
}

describe('the bounds, by arithmetic', () => {
  test('an entry kept whole, a brief entry, and a history of 50 attempts', () => {
    // Documented in README, "Payload bound".
    expect(LARGEST_WHOLE).toBeLessThanOrEqual(12 * 1024);
    expect(LARGEST_BRIEF).toBeLessThanOrEqual(1024);
    expect(LARGEST_HISTORY).toBeLessThanOrEqual(84 * 1024);
    process.stderr.write(`largest entry: whole ${LARGEST_WHOLE} B, brief ${LARGEST_BRIEF} B; history of 50: ${LARGEST_HISTORY} B; `
      + `decision: ${largestDecisionBytes()} B\n`);
  });

  test('the STATE_MACHINE engine: the decision is the largest thing a run adds to a state', () => {
    expect(largestDecisionBytes()).toBeLessThanOrEqual(RUN_BUDGET);
  });

  test('the LAMBDA engine: the caught error beside 49 entries, then the decision', () => {
    // `Decide retry` reads `{ attempt, failures: { history, error: { Error, Cause } }, placement }`;
    // its output replaces the error and the history with the decision.
    const input = largestHistoryBytes(MAX_ATTEMPTS_LIMIT - 1) + MAX_CAUSE_BYTES + MAX_ERROR_NAME_BYTES + 256;
    expect(input).toBeLessThanOrEqual(RUN_BUDGET);
    expect(largestDecisionBytes()).toBeLessThanOrEqual(RUN_BUDGET);
    // The decider's payload holds the policy too; synth bounds it (README, "Limits").
    expect(input + 32 * 1024).toBeLessThanOrEqual(STATE_LIMIT);
  });
});

// ---------------------------------------------------------------------------------------------
// Generated failures, 50 attempts each

/** Costly text: control characters, quotes, backslashes, 3- and 4-byte characters. */
const costlyText = (maxLength: number) => fc.string({ unit: fc.constantFrom(COSTLY, '\u001f', '"', '\\', '漢', '😀', 'x'), maxLength });

const container = fc.record({
  Name: costlyText(300),
  ExitCode: fc.oneof(fc.integer(), fc.constant(LONGEST_EXIT_CODE)),
  Reason: fc.oneof(costlyText(600), fc.constant('ResourceInitializationError: x')),
}, { requiredKeys: [] });

const taskFailure = fc.record({
  StopCode: fc.oneof(fc.constant('TaskFailedToStart'), costlyText(400)),
  StoppedReason: fc.oneof(costlyText(900), fc.constant('ResourceInitializationError: failed')),
  Containers: fc.array(container, { maxLength: 12 }),
}, { requiredKeys: [] }).map((task) => ({ Error: 'States.TaskFailed', Cause: JSON.stringify(task).slice(0, 32_768) }));

const otherFailure = fc.record({ Error: fc.oneof(fc.constant('ECS.AmazonECSException'), costlyText(300)), Cause: costlyText(1200) });

const failures = fc.array(fc.oneof(taskFailure, otherFailure, fc.constant(worstCaseTaskFailure())), { minLength: 1, maxLength: 6 });

/** Policies that retry most of the generated failures, with and without adaptive retries. */
const policies = [
  { ...renderRetryPolicy({ maxAttempts: MAX_ATTEMPTS_LIMIT, retryableStoppedReasons: ['*'], retryableErrors: ['ECS.AmazonECSException'] }) },
  { ...renderRetryPolicy(worstCasePolicyProps()), fallback: renderFallbackRules({ fallbackStopCodes: [TaskStopCode.TASK_FAILED_TO_START] }) },
  { ...renderRetryPolicy({ maxAttempts: MAX_ATTEMPTS_LIMIT, retryableStopCodes: [TaskStopCode.of(COSTLY.repeat(10))], retryableStoppedReasons: ['*'] }) },
];

/** Runs `maxAttempts` attempts, failure i failing attempt i (cycling), and returns every decision. */
function decideAll(policy: object, cycle: Array<{ Error: string; Cause: string }>): Decision[] {
  const decisions: Decision[] = [];
  let history: AttemptRecord[] = [];
  for (let attempt = 1; attempt <= MAX_ATTEMPTS_LIMIT; attempt++) {
    const decision = decideRetry({ policy, attempt, error: cycle[(attempt - 1) % cycle.length], history, placement: { sizeIndex: 0, capacity: 'primary' }, random: 0.5 });
    decisions.push(decision);
    history = decision.history;
  }
  return decisions;
}

describe('generated failures, 50 attempts', () => {
  test('no entry, history or decision is larger than the bounds allow', () => {
    let largest = 0;
    fc.assert(fc.property(fc.constantFrom(...policies), failures, (policy, cycle) => {
      for (const decision of decideAll(policy, cycle)) {
        const n = decision.history.length;
        decision.history.forEach((entry, i) => {
          const whole = i === 0 || i >= n - 2;
          expect(entry.shortened === true).toBe(!whole);
          expect(jsonBytes(entry)).toBeLessThanOrEqual(whole ? LARGEST_WHOLE : LARGEST_BRIEF);
        });
        expect(jsonBytes(decision.history)).toBeLessThanOrEqual(largestHistoryBytes(n));
        largest = Math.max(largest, jsonBytes(decision));
      }
      expect(largest).toBeLessThanOrEqual(largestDecisionBytes());
    }), { numRuns: 40 });
  }, 60_000);

  test('the worst-case failure on every attempt', () => {
    const decisions = decideAll(policies[1], [worstCaseTaskFailure(1), worstCaseTaskFailure(2)]);
    const last = decisions[MAX_ATTEMPTS_LIMIT - 1];
    expect(decisions.slice(0, -1).every((d) => d.retry)).toBe(true);
    expect(last.history).toHaveLength(MAX_ATTEMPTS_LIMIT);
    expect(last.history[0].containerReason).toMatch(/^Worst case/);
    const bytes = jsonBytes(last);
    expect(bytes).toBeLessThanOrEqual(largestDecisionBytes());
    process.stderr.write(`worst-case decision after 50 attempts: ${bytes} B (history ${jsonBytes(last.history)} B)\n`);
  });
});
