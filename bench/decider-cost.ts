/**
 * Benchmark 2: what the shared decider costs. The bundled asset's size, its cold-start module
 * load in fresh Node processes, and the throughput of the pure `decideRetry` over the failure
 * corpus in test/fixtures.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { reportResult } from './child';
import { median, quantile, round, since } from './stats';
import { decideRetry, DecideRetryInput } from '../src/decider/decide-retry';
import { deciderEnvironment, POLICY_DEFAULTS } from '../src/decider/policy-defaults';
import { renderRetryPolicy } from '../src/policy/render-retry-policy';
import { allFailures, failure, withStoppedReason } from '../test/support/fixtures';
import { MAX_CAUSE_LENGTH } from '../test/support/local-execution';

export const BUNDLE = path.join(__dirname, '..', 'assets', 'lambda', 'decider.lambda', 'index.js');
/** The goal for the minified bundle. */
export const BUNDLE_GOAL_BYTES = 10 * 1024;

export interface DeciderCostOptions {
  /** Fresh Node processes for the cold-start measurement. */
  readonly coldStarts: number;
  /** Timed samples of the throughput loop, after a warm-up of the same length. */
  readonly throughputSamples: number;
  readonly sampleSeconds: number;
}

export interface Distribution {
  readonly p50: number;
  readonly p90: number;
  readonly min: number;
  readonly max: number;
}

export interface DeciderCostResult {
  readonly bundleBytes: number;
  readonly bundleGzipBytes: number;
  readonly bundleGoalBytes: number;
  readonly coldStart: {
    readonly processes: number;
    /** `require()` of the bundle: reading, compiling and running its top level. */
    readonly requireMs: Distribution;
    /** The first `handler()` call after the require: the first decision, unoptimized code. */
    readonly firstInvokeMs: Distribution;
    /** Whole `node -e` process, bundle loaded and invoked once, vs the same process without it. */
    readonly processMs: Distribution;
    readonly emptyProcessMs: Distribution;
  };
  readonly throughput: {
    readonly corpusInputs: number;
    readonly corpusFixtures: number;
    readonly decisionsPerSecond: number;
    readonly microsecondsPerDecision: number;
    /** Worst case: 50th attempt, a 49-entry history of full-length entries, a 32 KiB Cause. */
    readonly worstCaseDecisionsPerSecond: number;
  };
}

export async function runDeciderCost(options: DeciderCostOptions, log: (line: string) => void): Promise<DeciderCostResult> {
  const bundle = fs.readFileSync(BUNDLE);
  const bundleGzipBytes = zlib.gzipSync(bundle).length;
  log(`  bundle ${bundle.length} B minified, ${bundleGzipBytes} B gzip (goal < ${BUNDLE_GOAL_BYTES} B)`);

  const coldStart = await measureColdStarts(options.coldStarts);
  log(`  cold start over ${options.coldStarts} processes: require p50 ${coldStart.requireMs.p50} ms, p90 ${coldStart.requireMs.p90} ms; `
    + `first invoke p50 ${coldStart.firstInvokeMs.p50} ms`);

  const corpus = corpusInputs();
  const decisionsPerSecond = measureThroughput(corpus, options);
  const worstCaseDecisionsPerSecond = measureThroughput([worstCaseInput()], options);
  log(`  decideRetry: ${Math.round(decisionsPerSecond).toLocaleString('en-US')} decisions/s over ${corpus.length} corpus inputs; `
    + `worst case ${Math.round(worstCaseDecisionsPerSecond).toLocaleString('en-US')}/s`);

  return {
    bundleBytes: bundle.length,
    bundleGzipBytes,
    bundleGoalBytes: BUNDLE_GOAL_BYTES,
    coldStart,
    throughput: {
      corpusInputs: corpus.length,
      corpusFixtures: Object.keys(allFailures()).length,
      decisionsPerSecond: Math.round(decisionsPerSecond),
      microsecondsPerDecision: round(1e6 / decisionsPerSecond, 2),
      worstCaseDecisionsPerSecond: Math.round(worstCaseDecisionsPerSecond),
    },
  };
}

// ---- cold start -------------------------------------------------------------------------------

/**
 * Runs in a fresh `node -e`: times the require and the first invocation of the bundled handler
 * with a realistic event, and prints them. The handler's own log line goes to stdout, so the
 * result is marked.
 */
function coldStartScript(bundle: string, event: unknown): string {
  return `
const t0 = process.hrtime.bigint();
const mod = require(${JSON.stringify(bundle)});
const t1 = process.hrtime.bigint();
mod.handler(${JSON.stringify(event)}).then(() => {
  const t2 = process.hrtime.bigint();
  process.stdout.write('\\nCOLD ' + JSON.stringify({ requireMs: Number(t1 - t0) / 1e6, invokeMs: Number(t2 - t1) / 1e6 }) + '\\n');
});`;
}

async function measureColdStarts(processes: number): Promise<DeciderCostResult['coldStart']> {
  // As a run with the default policy sends it, to a decider with the defaults in its environment.
  const event = { policy: { defaultsId: POLICY_DEFAULTS.id }, attempt: 1, error: failure('resource-initialization-error'), history: [] };
  const script = coldStartScript(BUNDLE, event);
  const requireMs: number[] = [];
  const invokeMs: number[] = [];
  const processMs: number[] = [];
  const emptyProcessMs: number[] = [];
  // Alternate the two kinds of process, so machine load affects both alike.
  for (let i = 0; i < processes; i++) {
    const run = await timedNode(script);
    const line = run.stdout.split('\n').find((l) => l.startsWith('COLD '));
    if (!line) {
      throw new Error(`cold-start process printed no result:\n${run.stdout}`);
    }
    const result = JSON.parse(line.slice('COLD '.length));
    requireMs.push(result.requireMs);
    invokeMs.push(result.invokeMs);
    processMs.push(run.ms);
    emptyProcessMs.push((await timedNode('0')).ms);
  }
  return {
    processes,
    requireMs: distribution(requireMs),
    firstInvokeMs: distribution(invokeMs),
    processMs: distribution(processMs),
    emptyProcessMs: distribution(emptyProcessMs),
  };
}

function timedNode(script: string): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...deciderEnvironment() } });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ ms: since(start), stdout }) : reject(new Error(`node -e exited ${code}`))));
  });
}

function distribution(values: number[]): Distribution {
  return {
    p50: round(median(values), 2),
    p90: round(quantile(values, 0.9), 2),
    min: round(Math.min(...values), 2),
    max: round(Math.max(...values), 2),
  };
}

// ---- throughput -------------------------------------------------------------------------------

/** The policy the corpus runs under: the defaults, plus exit code 75 so that rule is exercised too. */
function corpusPolicy() {
  return renderRetryPolicy({ retryableExitCodes: [75] });
}

/**
 * Every failure fixture at attempts 1 to 3, each later attempt carrying the history the earlier
 * decisions built, as an execution that keeps failing the same way would send it.
 */
export function corpusInputs(): DecideRetryInput[] {
  const policy = corpusPolicy();
  const inputs: DecideRetryInput[] = [];
  for (const error of Object.values(allFailures())) {
    let history: unknown[] = [];
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      const input = { policy, attempt, error, history, random: (attempt * 0.37) % 1 };
      inputs.push(input);
      history = decideRetry(input).history;
    }
  }
  return inputs;
}

/** The largest input the decider can get: a full history of maximum-length entries and a cut Cause. */
function worstCaseInput(): DecideRetryInput {
  const policy = { ...corpusPolicy(), maxAttempts: 50 };
  const error = withStoppedReason(failure('resource-initialization-error'), `ResourceInitializationError: ${'x'.repeat(200 * 1024)}`);
  const cutError = { Error: error.Error, Cause: error.Cause.slice(0, MAX_CAUSE_LENGTH) };
  let history: unknown[] = [];
  for (let attempt = 1; attempt < 50; attempt++) {
    history = decideRetry({ policy, attempt, error, history, random: 0.5 }).history;
  }
  return { policy, attempt: 50, error: cutError, history, random: 0.5 };
}

/** Decisions per second: the median of timed samples, after a warm-up sample so the JIT has settled. */
function measureThroughput(inputs: DecideRetryInput[], options: DeciderCostOptions): number {
  let sink = 0;
  const sample = () => {
    const start = performance.now();
    let count = 0;
    while (since(start) < options.sampleSeconds * 1000) {
      for (const input of inputs) {
        // Consume the result, so the call cannot be optimized away.
        sink += decideRetry(input).waitSeconds;
      }
      count += inputs.length;
    }
    return count / (since(start) / 1000);
  };
  sample();
  const rates = Array.from({ length: options.throughputSamples }, sample);
  if (!Number.isFinite(sink)) {
    throw new Error('unreachable');
  }
  return median(rates);
}

if (require.main === module) {
  reportResult(() => runDeciderCost(JSON.parse(process.argv[2]), (line) => console.log(line)));
}
