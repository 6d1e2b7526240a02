/**
 * The benchmark suite: `npx projen bench` (which bundles the decider first).
 *
 *   npx projen bench             every benchmark; writes bench/results.json and bench/RESULTS.md
 *   npx projen bench --quick     fewer repetitions, prints only (a smoke test of the suite)
 *   npx projen bench --only=herd,payload
 *                                the named benchmarks (synth, decider, cost, herd, payload, expression), prints only
 *   npx projen bench --render    rewrites bench/RESULTS.md from bench/results.json, measuring nothing
 *
 * Files are written only by a full run, so every ratio in them comes from one run. Each
 * benchmark runs in fresh Node processes (see child.ts), so none inherits another's heap or JIT.
 */
import { execSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runChild } from './child';
import type { CostResult } from './cost-rows';
import type { DeciderCostResult } from './decider-cost';
import type { ExpressionResult } from './decision-expression';
import type { HerdResult } from './herd';
import type { PayloadResult } from './payload';
import { renderResults } from './report';
import type { Machine, Results, Settings } from './results-shape';
import { round, since } from './stats';
import { runSynthScaling } from './synth-scaling';

const BENCH = __dirname;
/** How to reproduce a run, as RESULTS.md says. Not in results.ts: Node resolves `./results` to results.json. */
const REPRODUCE = 'npx projen bench';
const BENCHMARKS = ['synth', 'decider', 'cost', 'herd', 'payload', 'expression'] as const;
type Benchmark = typeof BENCHMARKS[number];

const FULL: Settings = {
  synth: { ns: [1, 10, 50, 100], children: 3, warmRuns: 5 },
  decider: { coldStarts: 20, throughputSamples: 5, sampleSeconds: 1 },
};
const QUICK: Settings = {
  synth: { ns: [1, 10], children: 1, warmRuns: 2 },
  decider: { coldStarts: 5, throughputSamples: 2, sampleSeconds: 0.3 },
};

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function parseArgs(argv: string[]): { quick: boolean; only: Benchmark[] } {
  const quick = argv.includes('--quick');
  const onlyArg = argv.find((a) => a.startsWith('--only='));
  const only = onlyArg ? onlyArg.slice('--only='.length).split(',') : [...BENCHMARKS];
  for (const name of only) {
    if (!(BENCHMARKS as readonly string[]).includes(name)) {
      throw new Error(`unknown benchmark '${name}'; choose from ${BENCHMARKS.join(', ')}`);
    }
  }
  return { quick, only: only as Benchmark[] };
}

function readFirst(file: string, pattern: RegExp): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').match(pattern)?.[1]?.trim();
  } catch {
    return undefined;
  }
}

function machine(): Machine {
  // Read from node_modules directly: not every package exports its package.json.
  const version = (pkg: string) => JSON.parse(fs.readFileSync(path.join(BENCH, '..', 'node_modules', pkg, 'package.json'), 'utf8')).version;
  let commit = 'unknown';
  try {
    const head = execSync('git rev-parse --short HEAD', { cwd: BENCH, encoding: 'utf8' }).trim();
    const dirty = execSync('git status --porcelain', { cwd: BENCH, encoding: 'utf8' }).trim() !== '';
    commit = dirty ? `${head} + uncommitted changes` : head;
  } catch {
    // Not a git checkout: leave it unknown.
  }
  return {
    cpu: readFirst('/proc/cpuinfo', /^model name\s*:\s*(.*)$/m) ?? os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    os: `${readFirst('/etc/os-release', /^PRETTY_NAME="?([^"\n]*)"?$/m) ?? os.type()} (kernel ${os.release()}, ${os.arch()})`,
    awsCdkLib: version('aws-cdk-lib'),
    awsLocalStepFunctions: version('aws-local-stepfunctions'),
    commit,
    loadAverageStart: round(os.loadavg()[0], 2),
  };
}

/** Runs one benchmark module in a fresh process, forwarding its progress lines. */
function child<T>(file: string, ...args: string[]): Promise<T> {
  return runChild<T>(path.join(BENCH, file), args, { log });
}

/** Re-renders RESULTS.md from the last full run's results.json, e.g. after a wording change. */
function renderOnly(): void {
  const results: Results = JSON.parse(fs.readFileSync(path.join(BENCH, 'results.json'), 'utf8'));
  fs.writeFileSync(path.join(BENCH, 'RESULTS.md'), renderResults(results));
  log(`Rewrote bench/RESULTS.md from bench/results.json (run of ${results.generatedAt}).`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--render')) {
    renderOnly();
    return;
  }
  const { quick, only } = parseArgs(process.argv.slice(2));
  const settings = quick ? QUICK : FULL;
  const writeFiles = !quick && only.length === BENCHMARKS.length;
  const started = performance.now();
  const results: Results = {
    generatedAt: new Date().toISOString(),
    command: REPRODUCE,
    machine: machine(),
    settings,
  };
  log(`Benchmarks on ${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}, `
    + `load average ${results.machine.loadAverageStart}${quick ? ' (quick)' : ''}`);

  const step = async <K extends Benchmark>(name: K, title: string, run: () => Promise<Results[K]>) => {
    if (!only.includes(name)) {
      return;
    }
    log(`\n== ${title}`);
    const start = performance.now();
    (results as any)[name] = await run();
    log(`   (${(since(start) / 1000).toFixed(1)} s)`);
  };
  await step('synth', '1. Synth scaling', () => runSynthScaling(settings.synth, log));
  await step('decider', '2. Decider cost', () => child<DeciderCostResult>('decider-cost.ts', JSON.stringify(settings.decider)));
  await step('cost', '3. Cost per retry', () => child<CostResult>('cost-per-retry.ts'));
  await step('herd', '4. Herd behaviour', () => child<HerdResult>('herd.ts'));
  await step('payload', '5. Payload', () => child<PayloadResult>('payload.ts'));
  // A large young generation, so that the heap growth across one evaluation is what it allocated.
  await step('expression', '6. Decision expression', () => runChild<ExpressionResult>(path.join(BENCH, 'decision-expression.ts'), [], {
    log, nodeFlags: ['--expose-gc', '--max-semi-space-size=64'],
  }));

  results.totalSeconds = round(since(started) / 1000, 1);
  results.machine.loadAverageEnd = round(os.loadavg()[0], 2);
  const markdown = renderResults(results);
  if (writeFiles) {
    fs.writeFileSync(path.join(BENCH, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    fs.writeFileSync(path.join(BENCH, 'RESULTS.md'), markdown);
    log(`\nWrote bench/results.json and bench/RESULTS.md in ${results.totalSeconds} s.`);
  } else {
    log(`\n${markdown}`);
    log(`Done in ${results.totalSeconds} s. Partial or quick run: bench/results.json and bench/RESULTS.md left unchanged.`);
  }
}

main().catch((error) => {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
