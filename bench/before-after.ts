/**
 * What a run adds to a stack per instance, before and after the lean runs: the same measurement
 * (resources and template bytes per extra instance, as CDK writes the template) of this checkout
 * and of an earlier commit, in the same bench run.
 *
 * The earlier commit's `src/`, `lambda/` and `bench/` are taken from git (`git archive`) into a
 * temporary directory whose `node_modules` is this checkout's, its decider is bundled there with
 * this checkout's esbuild as its own build did, and its own `benchStack` builds the stacks, in a
 * fresh Node process per synth. A clone without that commit (a shallow one) skips the comparison
 * and says so.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { reportResult, runChild } from './child';

/** The commit the lean-runs issue measured its "before" table at. */
export const BEFORE_COMMIT = '17979d4';

/** The configurations the table names. */
export const BEFORE_AFTER_CONFIGS = [
  { design: 'ours', features: 'none' },
  { design: 'ours-state-machine', features: 'none' },
  { design: 'ours-state-machine', features: 'both' },
  { design: 'bare', features: 'none' },
] as const;

/** The goal of each configuration, as a multiple of bare's bytes per instance (issue: lean runs). */
export const BYTES_GOAL_RATIO: Record<string, number> = {
  'ours:none': 1.5,
  'ours-state-machine:none': 2.5,
  'ours-state-machine:both': 3.5,
};

/** One synth of one configuration at one N. */
interface SynthCount {
  readonly resources: number;
  readonly templateBytes: number;
}

export interface PerInstance {
  readonly design: string;
  readonly features: string;
  readonly resourcesPerInstance: number;
  readonly templateBytesPerInstance: number;
  /** Template bytes per instance over bare's, of the same checkout. */
  readonly timesBare: number;
}

export interface BeforeAfterResult {
  readonly beforeCommit: string;
  /** Why there is no "before", when there is none. */
  readonly skipped?: string;
  readonly ns: number[];
  readonly before: PerInstance[];
  readonly after: PerInstance[];
}

const ROOT = path.join(__dirname, '..');

export async function runBeforeAfter(ns: number[], log: (line: string) => void): Promise<BeforeAfterResult> {
  const lo = Math.min(...ns);
  const hi = Math.max(...ns);
  const after = await perInstance(ROOT, lo, hi, log, 'after');
  let tree: string | undefined;
  try {
    tree = checkoutOf(BEFORE_COMMIT);
  } catch (error) {
    const skipped = `commit ${BEFORE_COMMIT} is not in this clone (${String((error as Error).message).split('\n')[0]})`;
    log(`  before/after: ${skipped}`);
    return { beforeCommit: BEFORE_COMMIT, skipped, ns: [lo, hi], before: [], after };
  }
  try {
    const before = await perInstance(tree, lo, hi, log, 'before');
    return { beforeCommit: BEFORE_COMMIT, ns: [lo, hi], before, after };
  } finally {
    fs.rmSync(tree, { recursive: true, force: true });
  }
}

async function perInstance(tree: string, lo: number, hi: number, log: (line: string) => void, label: string): Promise<PerInstance[]> {
  const measured: Array<Omit<PerInstance, 'timesBare'>> = [];
  for (const { design, features } of BEFORE_AFTER_CONFIGS) {
    const [a, b] = [await synthIn(tree, design, features, lo), await synthIn(tree, design, features, hi)];
    const row = {
      design,
      features,
      resourcesPerInstance: (b.resources - a.resources) / (hi - lo),
      templateBytesPerInstance: Math.round((b.templateBytes - a.templateBytes) / (hi - lo)),
    };
    log(`  ${label.padEnd(6)} ${design.padEnd(18)} ${features.padEnd(5)}: ${row.resourcesPerInstance} resources, ${row.templateBytesPerInstance} B per instance`);
    measured.push(row);
  }
  const bare = measured.find((r) => r.design === 'bare')!.templateBytesPerInstance;
  return measured.map((r) => ({ ...r, timesBare: Math.round((r.templateBytesPerInstance / bare) * 100) / 100 }));
}

/** The commit's sources in a temporary directory, with this checkout's dependencies and its decider bundled. */
function checkoutOf(commit: string): string {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), `bench-before-${commit}-`));
  try {
    const archive = execFileSync('git', ['archive', '--format=tar', commit, 'src', 'lambda', 'bench', 'tsconfig.dev.json'], {
      cwd: ROOT, maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'],
    });
    execFileSync('tar', ['-x', '-C', tree], { input: archive });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(tree, 'node_modules'), 'dir');
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'esbuild'), [
      '--bundle', 'lambda/decider.lambda.ts', '--target=node22', '--platform=node', '--minify', '--log-level=error',
      '--outfile=assets/lambda/decider.lambda/index.js', '--tsconfig=tsconfig.dev.json', '--external:@aws-sdk/*',
    ], { cwd: tree, stdio: ['ignore', 'pipe', 'pipe'] });
    return tree;
  } catch (error) {
    fs.rmSync(tree, { recursive: true, force: true });
    throw error;
  }
}

function synthIn(tree: string, design: string, features: string, n: number): Promise<SynthCount> {
  return runChild<SynthCount>(__filename, ['--child', tree, design, features, String(n)]);
}

/** In a child: one synth with the `benchStack` of the tree's own bench/baselines.ts. */
function synthChild(tree: string, design: string, features: string, n: number): SynthCount {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { benchStack } = require(path.join(tree, 'bench', 'baselines.ts'));
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-before-synth-'));
  try {
    const { app, stack } = benchStack(design, n, outdir, features);
    app.synth();
    const file = path.join(outdir, stack.templateFile);
    const template = JSON.parse(fs.readFileSync(file, 'utf8'));
    return { resources: Object.keys(template.Resources).length, templateBytes: fs.statSync(file).size };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

if (require.main === module && process.argv[2] === '--child') {
  reportResult(() => synthChild(process.argv[3], process.argv[4], process.argv[5], Number(process.argv[6])));
}
