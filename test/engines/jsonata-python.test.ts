import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { decideRetry } from '../../src/decider/decide-retry';
import type { DeciderPolicy, Placement } from '../../src/decider/wire';
import { EngineVariables, policyDocument, renderDecisionExpression } from '../../src/engines/state-machine/decision-expression';
import { renderFallbackRules, renderRetryPolicy } from '../../src/policy/render-retry-policy';
import { allFailures, EcsFailure } from '../support/fixtures';
import { adversarialCause, mostStepsTask, realisticLargeCauses, taskFailed } from './support/expression-cost';

// The same decisions from a second JSONata engine that we did not write: jsonata-python, which
// MiniStack runs its JSONata states with, with the Step Functions functions MiniStack registers.
// The differential tests hold the expression to the decider in the `jsonata` package; this holds
// it there in another implementation of the language, on the corpus and on Causes cut short.

const VENV_PYTHON = path.join(__dirname, '..', '..', '.tools', 'ministack-venv', 'bin', 'python');
const EVALUATE = path.join(__dirname, '..', 'ministack', 'evaluate_jsonata.py');
const VARS: EngineVariables = { attempt: 'job_attempt', history: 'job_history', placement: 'job_placement', policy: 'job_policy', launchTargets: 'job_targets' };

const POLICIES: Record<string, DeciderPolicy> = {
  defaults: renderRetryPolicy({}),
  adaptive: {
    ...renderRetryPolicy({ maxAttempts: 4, retryableExitCodes: [75] }),
    sizes: [{ cpu: 256, memoryMiB: 512, containerMemoryMiB: [] }, { cpu: 512, memoryMiB: 1024, containerMemoryMiB: [900] }],
    fallback: renderFallbackRules({}),
  },
};

/** The corpus, each failure also cut short at two points, and with a long reason cut at 32,768. */
function failures(): Array<[string, EcsFailure]> {
  const corpus = Object.entries(allFailures());
  return [
    // Adversarial and large Causes, as the evaluation budgets meet them.
    ...fc.sample(adversarialCause, { numRuns: 25, seed: 16 }).map((cause, i): [string, EcsFailure] => [`adversarial Cause ${i}`, taskFailed(cause)]),
    ...Object.entries(realisticLargeCauses()),
    ['the costliest Cause of the default policy', mostStepsTask(renderRetryPolicy({}))],
    ...corpus,
    ...corpus.flatMap(([name, f]) => [0.4, 0.9].map((share): [string, EcsFailure] =>
      [`${name} cut at ${share * 100}%`, { Error: f.Error, Cause: f.Cause.slice(0, Math.floor(f.Cause.length * share)) }])),
    ...corpus.filter(([, f]) => f.Cause.startsWith('{')).map(([name, f]): [string, EcsFailure] => [`${name} with a long reason`, {
      Error: f.Error,
      Cause: JSON.stringify({ ...JSON.parse(f.Cause), StoppedReason: `ResourceInitializationError: ${'x\\"ü😀'.repeat(9_000)}` }).slice(0, 32_768),
    }]),
  ];
}

test('jsonata-python gives the decider\'s decision for the corpus and Causes cut short', () => {
  expect(fs.existsSync(VENV_PYTHON)).toBe(true); // run test/ministack/install.sh (scripts/setup.sh does)
  const cases = Object.entries(POLICIES).flatMap(([policyName, policy]) => failures().map(([name, error], i) => {
    const placement: Placement = { sizeIndex: 0, capacity: i % 3 === 0 && policy.fallback ? 'fallback' : 'primary' };
    const attempt = 1 + (i % policy.maxAttempts);
    const random = (i % 7) / 7;
    return {
      label: `${policyName}: ${name}, attempt ${attempt}`,
      expected: decideRetry({ policy, attempt, error, history: [], placement, random }),
      input: {
        expression: renderDecisionExpression(policy, VARS),
        states: { errorOutput: error },
        variables: { [VARS.attempt]: attempt, [VARS.history]: [], [VARS.placement]: placement, [VARS.policy]: policyDocument(policy) },
        random,
      },
    };
  }));

  const run = spawnSync(VENV_PYTHON, [EVALUATE], { input: JSON.stringify(cases.map((c) => c.input)), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  expect(run.stderr).toBe('');
  const results: Array<{ value?: unknown; error?: string }> = JSON.parse(run.stdout);
  expect(results).toHaveLength(cases.length);
  cases.forEach((c, i) => {
    expect({ case: c.label, result: results[i] }).toEqual({ case: c.label, result: { value: c.expected } });
  });
  expect(cases.length).toBeGreaterThan(150);
}, 120_000);
