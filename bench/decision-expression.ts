/**
 * Benchmark 6: the decision expression. What one evaluation of the state machine engine's JSONata
 * decision costs, on the failures a run meets: its length, its evaluation time (median and worst,
 * warm, in `jsonata` 2.0.6, the version Step Functions documents), its steps and depth as JSONata's
 * evaluation hooks count them, its native regex executions, and the heap it allocates. AWS bounds
 * every evaluation by time (reported as 1 second), memory and stack depth; the tests budget the
 * steps and depth (test/engines/evaluation-budget.test.ts), and this reports the time behind them.
 *
 * Also the time jsonata-python, MiniStack's engine, takes on the same inputs: a second
 * implementation, to see how much the language's implementation matters.
 *
 * Runs in its own process with `--expose-gc` and a large young generation, so that the heap
 * growth across one evaluation is what it allocated.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import * as fc from 'fast-check';
import { reportResult } from './child';
import { median, quantile, round } from './stats';
import { decideRetry } from '../src/decider/decide-retry';
import type { AttemptRecord, DeciderPolicy } from '../src/decider/wire';
import { MAX_ATTEMPTS_LIMIT } from '../src/decider/wire';
import { policyDocument, renderDecisionExpression } from '../src/engines/state-machine/decision-expression';
import {
  adversarialCause, adversarialFailuresCause, MEASURED_POLICIES, measureDecision, mostStepsTask, realisticLargeCauses, taskFailed, VARS,
  withLongLists,
} from '../test/engines/support/expression-cost';
import { allFailures } from '../test/support/fixtures';
import { worstCaseTaskFailure } from '../test/support/worst-case';

/** Warm evaluations per input; the worst of all of them is reported. */
const REPETITIONS = 5;
const ADVERSARIAL_SAMPLES = 200;

export interface ExpressionRow {
  readonly policy: string;
  /** Corpus, realistic large task descriptions, generated adversarial Causes, or the costliest Cause. */
  readonly inputs: string;
  readonly count: number;
  readonly p50Ms: number;
  readonly worstMs: number;
  readonly p50Steps: number;
  readonly maxSteps: number;
  readonly maxDepth: number;
  readonly maxRegexExecutions: number;
  /** Heap growth across one evaluation, median and largest, in bytes. */
  readonly p50AllocatedBytes: number;
  readonly maxAllocatedBytes: number;
  /** jsonata-python's median and worst time on the same inputs, where measured. */
  readonly python?: { readonly p50Ms: number; readonly worstMs: number };
}

export interface ExpressionResult {
  readonly jsonata: string;
  /** Characters of the expression, per policy. */
  readonly lengths: Record<string, number>;
  readonly rows: ExpressionRow[];
}

interface Input {
  readonly error: unknown;
  readonly attempt: number;
  readonly history: AttemptRecord[];
}

/** The history a run carries at its last attempt, of the largest entries. */
function fullHistory(policy: DeciderPolicy): AttemptRecord[] {
  let history: AttemptRecord[] = [];
  for (let attempt = 1; attempt < MAX_ATTEMPTS_LIMIT; attempt++) {
    const error = worstCaseTaskFailure(attempt);
    history = decideRetry({ policy: { ...policy, maxAttempts: MAX_ATTEMPTS_LIMIT }, attempt, error, history, random: 0 }).history;
  }
  return history;
}

function inputsOf(policy: DeciderPolicy): Record<string, Input[]> {
  const first = (error: unknown): Input => ({ error, attempt: 1, history: [] });
  const history = fullHistory(policy);
  return {
    'the failure corpus': Object.values(allFailures()).map(first),
    'realistic large task descriptions, cut at 32,768': Object.values(realisticLargeCauses()).map(first),
    'generated adversarial Causes': [
      ...fc.sample(adversarialCause, { numRuns: ADVERSARIAL_SAMPLES, seed: 42 }).map((c) => first(taskFailed(c))),
      ...fc.sample(adversarialFailuresCause, { numRuns: ADVERSARIAL_SAMPLES / 4, seed: 43 }).map((Cause) => first({ Error: 'ECS.AmazonECSException', Cause })),
    ],
    'the costliest Cause, after a full history': [{ error: mostStepsTask(policy), attempt: MAX_ATTEMPTS_LIMIT, history }],
  };
}

async function measureInputs(policy: DeciderPolicy, inputs: Input[]) {
  const times: number[] = [];
  const steps: number[] = [];
  const allocated: number[] = [];
  let depth = 0;
  let regex = 0;
  const gc = (global as any).gc as (() => void) | undefined;
  for (const input of inputs) {
    for (let i = 0; i < REPETITIONS; i++) {
      gc?.();
      const before = process.memoryUsage().heapUsed;
      const start = performance.now();
      const { cost } = await measureDecision({ ...policy, maxAttempts: MAX_ATTEMPTS_LIMIT }, input.error, input.attempt, input.history);
      const elapsed = performance.now() - start;
      const growth = process.memoryUsage().heapUsed - before;
      // The first evaluation of each input compiles and warms up: time the others.
      if (i > 0) {
        times.push(elapsed);
        allocated.push(Math.max(0, growth));
      }
      steps.push(cost.steps);
      depth = Math.max(depth, cost.depth);
      regex = Math.max(regex, cost.regexExecutions);
    }
  }
  return { times, steps, allocated, depth, regex };
}

/** jsonata-python's times, one evaluation per input after one warm-up, in one process. */
function pythonTimes(policy: DeciderPolicy, inputs: Input[]): number[] | undefined {
  const python = path.join(__dirname, '..', '.tools', 'ministack-venv', 'bin', 'python');
  const script = path.join(__dirname, '..', 'test', 'ministack', 'evaluate_jsonata.py');
  const expression = renderDecisionExpression({ ...policy, maxAttempts: MAX_ATTEMPTS_LIMIT }, VARS);
  const cases = inputs.flatMap((input) => {
    const c = {
      expression,
      states: { errorOutput: input.error },
      variables: {
        [VARS.attempt]: input.attempt,
        [VARS.history]: input.history,
        [VARS.placement]: { sizeIndex: 0, capacity: 'primary' },
        [VARS.policy]: policyDocument({ ...policy, maxAttempts: MAX_ATTEMPTS_LIMIT }),
      },
      random: 0.5,
    };
    return [c, c];
  });
  const run = spawnSync(python, [script, '--timed'], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (run.status !== 0) {
    return undefined;
  }
  const results: Array<{ seconds: number; error?: string }> = JSON.parse(run.stdout);
  if (results.some((r) => r.error !== undefined)) {
    throw new Error(`jsonata-python failed: ${results.find((r) => r.error)?.error}`);
  }
  return results.filter((_, i) => i % 2 === 1).map((r) => r.seconds * 1000);
}

export async function runDecisionExpression(log: (line: string) => void): Promise<ExpressionResult> {
  const policies: Record<string, DeciderPolicy> = {
    'defaults': MEASURED_POLICIES.defaults,
    'adaptive (sizes and fallback)': MEASURED_POLICIES.adaptive,
    '60 entries in every list': withLongLists(MEASURED_POLICIES.defaults, 60),
  };
  const lengths = Object.fromEntries(Object.entries(policies).map(([name, policy]) => [name, renderDecisionExpression(policy, VARS).length]));
  const rows: ExpressionRow[] = [];
  for (const [name, policy] of Object.entries(policies)) {
    for (const [inputs, list] of Object.entries(inputsOf(policy))) {
      const m = await measureInputs(policy, list);
      const python = name === '60 entries in every list' ? undefined : pythonTimes(policy, list);
      const row: ExpressionRow = {
        policy: name,
        inputs,
        count: list.length,
        p50Ms: round(median(m.times), 2),
        worstMs: round(Math.max(...m.times), 2),
        p50Steps: Math.round(median(m.steps)),
        maxSteps: Math.max(...m.steps),
        maxDepth: m.depth,
        maxRegexExecutions: m.regex,
        p50AllocatedBytes: Math.round(median(m.allocated)),
        maxAllocatedBytes: Math.round(quantile(m.allocated, 1)),
        ...(python ? { python: { p50Ms: round(median(python), 1), worstMs: round(Math.max(...python), 1) } } : {}),
      };
      rows.push(row);
      log(`  ${name}, ${inputs} (${row.count}): ${row.p50Ms} ms median, ${row.worstMs} ms worst; steps ${row.p50Steps} median, ${row.maxSteps} max; `
        + `depth ${row.maxDepth}; regex executions ≤ ${row.maxRegexExecutions}; heap ${row.p50AllocatedBytes} B median, ${row.maxAllocatedBytes} B max`
        + (row.python ? `; jsonata-python ${row.python.p50Ms} ms median, ${row.python.worstMs} ms worst` : ''));
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return { jsonata: require('jsonata/package.json').version, lengths, rows };
}

if (require.main === module) {
  reportResult(() => runDecisionExpression((line) => console.log(line)));
}
