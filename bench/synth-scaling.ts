/**
 * Benchmark 1: synth scaling. Wall time of construct + `app.synth()` and the CloudFormation
 * resource count and template size of a stack with N instances, for ours and both baselines.
 *
 * Each (variant, N) is measured in fresh child processes, so one variant's lazily loaded modules,
 * JIT state and heap do not flatter or burden the next. In each child the first synth is reported
 * as "cold" (what one `cdk synth` costs, module loading included) and the following runs, each in
 * a fresh App after a forced GC, as "warm". The order of children is interleaved across variants,
 * so that load from other processes on the machine falls on all variants alike.
 *
 * Ours is measured with each decision engine: `ours` (the default, `DecisionEngine.LAMBDA_FUNCTION`) and
 * `ours-state-machine` (`DecisionEngine.STATE_MACHINE`), both with their defaults.
 *
 * Then ours, on each engine, with its adaptive retries (`outOfMemorySizes`, `fallbackLaunchTarget`,
 * each alone and both) against the same engine without them, at the smallest and largest N:
 * resources and template bytes only (deterministic, one synth each, in fresh processes too).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { benchStack, Design, DESIGNS, OUR_ENGINES, OUR_FEATURES, OurEngine, OurFeatures } from './baselines';
import { BeforeAfterResult, runBeforeAfter } from './before-after';
import { reportResult, runChild } from './child';
import { median, quantile, round } from './stats';

/** CloudFormation quotas, https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html */
export const CFN_MAX_RESOURCES = 500;
/** "Template body size in an Amazon S3 object: 1 MB"; CDK checks against 1,000,000 bytes. CDK uploads every template to S3. */
export const CFN_MAX_TEMPLATE_BYTES = 1_000_000;
/** "Template body size in a request": only relevant when a template is passed inline, which CDK does not do. */
export const CFN_MAX_INLINE_TEMPLATE_BYTES = 51_200;

/**
 * The first line of the state machine engine's decision expression, which occurs once per copy of
 * it in a template: it holds no character that JSON escapes, so it reads the same in the template.
 */
/** Text that only the decision expression writes (its cut marker), once per copy. */
const DECISION_EXPRESSION_MARKER = ' chars cut]';

export interface SynthOptions {
  readonly ns: number[];
  /** Fresh child processes per (variant, N). */
  readonly children: number;
  /** Warm synths per child, after the cold one. */
  readonly warmRuns: number;
}

/** What one child measured. */
interface ChildResult {
  readonly coldMs: number;
  readonly warmMs: number[];
  /** CPU time (user + system, all threads) of the same runs: less sensitive to other load on the machine. */
  readonly coldCpuMs: number;
  readonly warmCpuMs: number[];
  readonly resources: number;
  /** Resources by who owns them: the shared VPC, cluster and decider; the task definitions; the per-instance orchestration. */
  readonly byOwner: Record<ResourceOwner, number>;
  readonly templateBytes: number;
  readonly templateMinifiedBytes: number;
}

type ResourceOwner = 'shared' | 'taskDefinitions' | 'orchestration';

export interface SynthRow {
  readonly variant: Design;
  readonly n: number;
  readonly resources: number;
  readonly byOwner: Record<ResourceOwner, number>;
  readonly templateBytes: number;
  readonly templateMinifiedBytes: number;
  readonly warmMedianMs: number;
  readonly warmP10Ms: number;
  readonly warmP90Ms: number;
  readonly coldMedianMs: number;
  readonly warmCpuMedianMs: number;
  readonly coldCpuMedianMs: number;
  readonly warmSamples: number;
  readonly coldSamples: number;
}

export interface VariantScaling {
  readonly variant: Design;
  /** (count(N max) − count(N min)) / (N max − N min) */
  readonly marginalResourcesPerInstance: number;
  /** The same, counting only the orchestration (not the task definition the user brings). */
  readonly marginalOrchestrationPerInstance: number;
  readonly marginalTemplateBytesPerInstance: number;
  /** Largest N whose stack stays within 500 resources, by the measured linear growth. */
  readonly maxInstancesUnderResourceLimit: number;
  /** Largest N whose (indented, as CDK writes it) template stays within 1 MB. */
  readonly maxInstancesUnderTemplateLimit: number;
  /** The same with the template minified (`suppressTemplateIndentation`). */
  readonly maxInstancesUnderTemplateLimitMinified: number;
}

/** Ours at one N with `features` switched on in every instance: one synth. */
export interface FeatureSynthRow {
  /** Which of ours (which decision engine); absent from results written before the state machine engine: `ours`. */
  readonly variant?: OurEngine;
  readonly features: OurFeatures;
  readonly n: number;
  readonly resources: number;
  readonly byOwner: Record<ResourceOwner, number>;
  /** Resources by CloudFormation type, to see which type an instance adds. */
  readonly byType: Record<string, number>;
  /** The same, of the orchestration only (absent before the state machine engine). */
  readonly orchestrationByType?: Record<string, number>;
  readonly templateBytes: number;
  readonly templateMinifiedBytes: number;
  /** Copies of the state machine engine's decision expression in the template (found by its first line); absent before that engine. */
  readonly decisionExpressions?: number;
}

export interface FeatureScaling {
  /** As in `FeatureSynthRow`. */
  readonly variant?: OurEngine;
  readonly features: OurFeatures;
  readonly marginalResourcesPerInstance: number;
  readonly marginalOrchestrationPerInstance: number;
  /** Security groups per extra instance: the fallback RunTask reuses the primary's group, so 1 with or without it. */
  readonly marginalSecurityGroupsPerInstance: number;
  readonly marginalTemplateBytesPerInstance: number;
  readonly marginalTemplateMinifiedBytesPerInstance: number;
  /** Template bytes per instance over the same engine without features. */
  readonly extraTemplateBytesPerInstance: number;
  readonly maxInstancesUnderResourceLimit: number;
  readonly maxInstancesUnderTemplateLimit: number;
  readonly maxInstancesUnderTemplateLimitMinified: number;
  /** Copies of the decision expression per extra instance: 0 on the Lambda engine. */
  readonly decisionExpressionsPerInstance?: number;
}

export interface FeatureSynthResult {
  /** The smallest and largest N of the main measurement. */
  readonly ns: number[];
  readonly rows: FeatureSynthRow[];
  readonly scaling: FeatureScaling[];
  /** Ours (the Lambda engine) without features adds exactly as many resources per instance as bare. */
  readonly noFeaturesResourcesEqualBare: boolean;
  /** Each engine without features here synthesizes the same resources and bytes as in the main measurement. */
  readonly noFeaturesMatchesMainRun: boolean;
  /** On each engine, each feature, and both, add no resource over the same engine without features. */
  readonly featuresAddNoResources: boolean;
}

export interface SynthScalingResult {
  readonly options: SynthOptions;
  readonly rows: SynthRow[];
  readonly scaling: VariantScaling[];
  /** Ours with its adaptive retries against ours without them; absent from results written before they existed. */
  readonly features?: FeatureSynthResult;
  /** Per instance, this checkout beside the commit before the lean runs. */
  readonly beforeAfter?: BeforeAfterResult;
  /** ours / bare at each N, warm and cold medians. */
  readonly timeRatioVsBare: TimeRatio[];
  readonly timeRatioVsSeed: TimeRatio[];
  /** ours-state-machine / bare; absent from results written before the state machine engine. */
  readonly stateMachineTimeRatioVsBare?: TimeRatio[];
  /** ours-state-machine / ours: the engine against the default engine. */
  readonly stateMachineTimeRatioVsLambda?: TimeRatio[];
}

/** ours / baseline, of medians: wall and CPU time, warm and cold. */
export interface TimeRatio {
  readonly n: number;
  readonly warm: number;
  readonly cold: number;
  readonly warmCpu: number;
  readonly coldCpu: number;
}

export async function runSynthScaling(options: SynthOptions, log: (line: string) => void): Promise<SynthScalingResult> {
  const samples = new Map<string, ChildResult[]>();
  for (let pass = 1; pass <= options.children; pass++) {
    for (const n of options.ns) {
      // Rotate the variant order each round, so no variant always runs right after another.
      const order = DESIGNS.map((_, i) => DESIGNS[(i + pass - 1) % DESIGNS.length]);
      for (const variant of order) {
        const result = await measureInChild(variant, n, options.warmRuns);
        const key = `${variant}:${n}`;
        samples.set(key, [...(samples.get(key) ?? []), result]);
        log(`  synth ${variant.padEnd(18)} N=${String(n).padStart(3)} child ${pass}/${options.children}: `
          + `cold ${result.coldMs.toFixed(0)} ms, warm median ${median(result.warmMs).toFixed(0)} ms, ${result.resources} resources`);
      }
    }
  }

  const rows = DESIGNS.flatMap((variant) => options.ns.map((n) => toRow(variant, n, samples.get(`${variant}:${n}`)!)));
  const scaling = DESIGNS.map((variant) => scalingOf(variant, rows.filter((r) => r.variant === variant)));
  const ratio = (other: Design, of: Design = 'ours') => options.ns.map((n) => {
    const ours = rows.find((r) => r.variant === of && r.n === n)!;
    const base = rows.find((r) => r.variant === other && r.n === n)!;
    return {
      n,
      warm: round(ours.warmMedianMs / base.warmMedianMs),
      cold: round(ours.coldMedianMs / base.coldMedianMs),
      warmCpu: round(ours.warmCpuMedianMs / base.warmCpuMedianMs),
      coldCpu: round(ours.coldCpuMedianMs / base.coldCpuMedianMs),
    };
  });
  const features = await runFeatureSynth(options.ns, rows, scaling, log);
  const beforeAfter = await runBeforeAfter(options.ns, log);
  return {
    options,
    rows,
    scaling,
    features,
    beforeAfter,
    timeRatioVsBare: ratio('bare'),
    timeRatioVsSeed: ratio('seed-shaped'),
    stateMachineTimeRatioVsBare: ratio('bare', 'ours-state-machine'),
    stateMachineTimeRatioVsLambda: ratio('ours', 'ours-state-machine'),
  };
}

/** Ours on each engine with each set of features at the smallest and largest N, one fresh process per synth. */
async function runFeatureSynth(
  ns: number[],
  mainRows: SynthRow[],
  mainScaling: VariantScaling[],
  log: (line: string) => void,
): Promise<FeatureSynthResult> {
  const extremes = [Math.min(...ns), Math.max(...ns)];
  const rows: FeatureSynthRow[] = [];
  for (const variant of OUR_ENGINES) {
    for (const features of OUR_FEATURES) {
      for (const n of extremes) {
        const row = await runChild<FeatureSynthRow>(__filename, ['--features-child', variant, features, String(n)]);
        rows.push(row);
        log(`  synth ${variant} + ${features.padEnd(20)} N=${String(n).padStart(3)}: ${row.resources} resources, ${row.templateBytes} bytes`);
      }
    }
  }
  const [first, last] = extremes;
  const span = last - first;
  const at = (variant: OurEngine, features: OurFeatures, n: number) =>
    rows.find((r) => r.variant === variant && r.features === features && r.n === n)!;
  const scaling = OUR_ENGINES.flatMap((variant) => OUR_FEATURES.map((features): FeatureScaling => {
    const noneBytesPerInstance = (at(variant, 'none', last).templateBytes - at(variant, 'none', first).templateBytes) / span;
    const lo = at(variant, features, first);
    const hi = at(variant, features, last);
    const perInstance = (hi.resources - lo.resources) / span;
    const bytesPerInstance = (hi.templateBytes - lo.templateBytes) / span;
    const minifiedPerInstance = (hi.templateMinifiedBytes - lo.templateMinifiedBytes) / span;
    const largestN = (limit: number, atFirst: number, slope: number) => first + Math.floor((limit - atFirst) / slope);
    const securityGroups = (r: FeatureSynthRow) => r.byType['AWS::EC2::SecurityGroup'] ?? 0;
    return {
      variant,
      features,
      marginalResourcesPerInstance: round(perInstance, 2),
      marginalOrchestrationPerInstance: round((hi.byOwner.orchestration - lo.byOwner.orchestration) / span, 2),
      marginalSecurityGroupsPerInstance: round((securityGroups(hi) - securityGroups(lo)) / span, 2),
      marginalTemplateBytesPerInstance: Math.round(bytesPerInstance),
      marginalTemplateMinifiedBytesPerInstance: Math.round(minifiedPerInstance),
      extraTemplateBytesPerInstance: Math.round(bytesPerInstance - noneBytesPerInstance),
      maxInstancesUnderResourceLimit: largestN(CFN_MAX_RESOURCES, lo.resources, perInstance),
      maxInstancesUnderTemplateLimit: largestN(CFN_MAX_TEMPLATE_BYTES, lo.templateBytes, bytesPerInstance),
      maxInstancesUnderTemplateLimitMinified: largestN(CFN_MAX_TEMPLATE_BYTES, lo.templateMinifiedBytes, minifiedPerInstance),
      decisionExpressionsPerInstance: round(((hi.decisionExpressions ?? 0) - (lo.decisionExpressions ?? 0)) / span, 2),
    };
  }));
  const lambdaNone = scaling.find((x) => x.variant === 'ours' && x.features === 'none')!;
  const bare = mainScaling.find((x) => x.variant === 'bare')!;
  const main = (variant: OurEngine, n: number) => mainRows.find((r) => r.variant === variant && r.n === n)!;
  return {
    ns: extremes,
    rows,
    scaling,
    noFeaturesResourcesEqualBare: lambdaNone.marginalResourcesPerInstance === bare.marginalResourcesPerInstance
      && lambdaNone.marginalOrchestrationPerInstance === bare.marginalOrchestrationPerInstance,
    noFeaturesMatchesMainRun: OUR_ENGINES.every((variant) => extremes.every((n) => at(variant, 'none', n).resources === main(variant, n).resources
      && at(variant, 'none', n).templateBytes === main(variant, n).templateBytes)),
    featuresAddNoResources: OUR_ENGINES.every((variant) => OUR_FEATURES.every((features) =>
      extremes.every((n) => at(variant, features, n).resources === at(variant, 'none', n).resources))),
  };
}

function toRow(variant: Design, n: number, results: ChildResult[]): SynthRow {
  // Counts and sizes are deterministic; check rather than assume it.
  const sizes = new Set(results.map((r) => `${r.resources}/${r.templateBytes}`));
  if (sizes.size !== 1) {
    throw new Error(`synth of ${variant} N=${n} is not deterministic: ${[...sizes].join(', ')}`);
  }
  const warm = results.flatMap((r) => r.warmMs);
  const cold = results.map((r) => r.coldMs);
  const first = results[0];
  return {
    variant,
    n,
    resources: first.resources,
    byOwner: first.byOwner,
    templateBytes: first.templateBytes,
    templateMinifiedBytes: first.templateMinifiedBytes,
    warmMedianMs: round(median(warm), 1),
    warmP10Ms: round(quantile(warm, 0.1), 1),
    warmP90Ms: round(quantile(warm, 0.9), 1),
    coldMedianMs: round(median(cold), 1),
    warmCpuMedianMs: round(median(results.flatMap((r) => r.warmCpuMs)), 1),
    coldCpuMedianMs: round(median(results.map((r) => r.coldCpuMs)), 1),
    warmSamples: warm.length,
    coldSamples: cold.length,
  };
}

function scalingOf(variant: Design, rows: SynthRow[]): VariantScaling {
  const first = rows.reduce((a, b) => (a.n <= b.n ? a : b));
  const last = rows.reduce((a, b) => (a.n >= b.n ? a : b));
  const span = last.n - first.n;
  const perInstance = (last.resources - first.resources) / span;
  const bytesPerInstance = (last.templateBytes - first.templateBytes) / span;
  // Resources and bytes grow linearly in N (each instance adds the same constructs).
  const largestN = (limit: number, atFirst: number, slope: number) => first.n + Math.floor((limit - atFirst) / slope);
  return {
    variant,
    marginalResourcesPerInstance: round(perInstance, 2),
    marginalOrchestrationPerInstance: round((last.byOwner.orchestration - first.byOwner.orchestration) / span, 2),
    marginalTemplateBytesPerInstance: Math.round(bytesPerInstance),
    maxInstancesUnderResourceLimit: largestN(CFN_MAX_RESOURCES, first.resources, perInstance),
    maxInstancesUnderTemplateLimit: largestN(CFN_MAX_TEMPLATE_BYTES, first.templateBytes, bytesPerInstance),
    maxInstancesUnderTemplateLimitMinified: largestN(
      CFN_MAX_TEMPLATE_BYTES,
      first.templateMinifiedBytes,
      (last.templateMinifiedBytes - first.templateMinifiedBytes) / span,
    ),
  };
}

/** Measures one (variant, N) in a fresh Node process: this file, run as a child. */
function measureInChild(variant: Design, n: number, warmRuns: number): Promise<ChildResult> {
  return runChild<ChildResult>(__filename, ['--child', variant, String(n), String(warmRuns)], { nodeFlags: ['--expose-gc'] });
}

/** One synth in a fresh App, into a fresh output directory that is removed afterwards (untimed). */
function synthOnce(variant: Design, n: number, features: OurFeatures = 'none'): { ms: number; cpuMs: number; template: any; templateBytes: number } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  try {
    (global as any).gc?.();
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const { app, stack } = benchStack(variant, n, outdir, features);
    app.synth();
    const ms = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    const file = path.join(outdir, stack.templateFile);
    return { ms, cpuMs: (cpu.user + cpu.system) / 1000, template: JSON.parse(fs.readFileSync(file, 'utf8')), templateBytes: fs.statSync(file).size };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Who owns a resource, from its logical id: CDK derives it from the construct path. */
function ownerOf(logicalId: string): ResourceOwner {
  if (/^TaskDef\d/.test(logicalId)) {
    return 'taskDefinitions';
  }
  if (/^Job\d/.test(logicalId)) {
    return 'orchestration';
  }
  return 'shared';
}

function measure(variant: Design, n: number, warmRuns: number): ChildResult {
  const cold = synthOnce(variant, n);
  const warm = Array.from({ length: warmRuns }, () => synthOnce(variant, n));
  const logicalIds = Object.keys(cold.template.Resources);
  const byOwner: Record<ResourceOwner, number> = { shared: 0, taskDefinitions: 0, orchestration: 0 };
  logicalIds.forEach((id) => byOwner[ownerOf(id)]++);
  return {
    coldMs: cold.ms,
    warmMs: warm.map((w) => w.ms),
    coldCpuMs: cold.cpuMs,
    warmCpuMs: warm.map((w) => w.cpuMs),
    resources: logicalIds.length,
    byOwner,
    templateBytes: cold.templateBytes,
    templateMinifiedBytes: Buffer.byteLength(JSON.stringify(cold.template)),
  };
}

/** Ours on `variant`'s engine with `features` at N: resources and bytes of one synth. */
function measureFeatures(variant: OurEngine, features: OurFeatures, n: number): FeatureSynthRow {
  const { template, templateBytes } = synthOnce(variant, n, features);
  const minified = JSON.stringify(template);
  const byOwner: Record<ResourceOwner, number> = { shared: 0, taskDefinitions: 0, orchestration: 0 };
  const byType: Record<string, number> = {};
  const orchestrationByType: Record<string, number> = {};
  for (const [id, resource] of Object.entries<any>(template.Resources)) {
    const owner = ownerOf(id);
    byOwner[owner]++;
    byType[resource.Type] = (byType[resource.Type] ?? 0) + 1;
    if (owner === 'orchestration') {
      orchestrationByType[resource.Type] = (orchestrationByType[resource.Type] ?? 0) + 1;
    }
  }
  return {
    variant,
    features,
    n,
    resources: Object.keys(template.Resources).length,
    byOwner,
    byType,
    orchestrationByType,
    templateBytes,
    templateMinifiedBytes: Buffer.byteLength(minified),
    decisionExpressions: minified.split(DECISION_EXPRESSION_MARKER).length - 1,
  };
}

if (require.main === module && process.argv[2] === '--child') {
  reportResult(() => measure(process.argv[3] as Design, Number(process.argv[4]), Number(process.argv[5])));
}
if (require.main === module && process.argv[2] === '--features-child') {
  reportResult(() => measureFeatures(process.argv[3] as OurEngine, process.argv[4] as OurFeatures, Number(process.argv[5])));
}
