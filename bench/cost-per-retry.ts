/**
 * Benchmark 3: cost per retry. The same scenarios through ours, seed-shaped and bare, executed in
 * aws-local-stepfunctions: state transitions (what Step Functions Standard bills) and Lambda
 * invocations per execution and per retry, converted to USD per million executions.
 *
 * Then ours alone with its adaptive retries (the baselines cannot adapt a retry): one retry at a
 * bigger size after out of memory, one on the fallback launch target after a Spot interruption,
 * and the same single retry without either feature, each against its own configuration's success path.
 */
import type { StateMachineDefinition } from 'aws-local-stepfunctions' with { 'resolution-mode': 'require' };
import { addInstance, addOursWith, BENCH_OOM_SIZES, OurFeatures, SEED_STATES, Variant, VARIANTS } from './baselines';
import { reportResult } from './child';
import { quietly, runLocally, seedHandlerFromSource } from './local-run';
import { round } from './stats';
import { handler as decider } from '../lambda/decider.lambda';
import { failure, successTask } from '../test/support/fixtures';
import { executeLocally, Outcome, renderedDefinition } from '../test/support/local-execution';
import { testEnvironment } from '../test/support/stack';

/**
 * Standard Workflows, US East (N. Virginia): $0.025 per 1,000 state transitions, retries included.
 * https://aws.amazon.com/step-functions/pricing/
 */
export const USD_PER_TRANSITION = 0.025 / 1000;
/** Lambda requests: $0.20 per million. Duration is extra (128 MB, a few ms per decision). https://aws.amazon.com/lambda/pricing/ */
export const USD_PER_LAMBDA_REQUEST = 0.20 / 1_000_000;

const ok: Outcome = { succeed: successTask() };
const fail = (name: string): Outcome => ({ fail: failure(name) });

/** The scenarios, each an ECS outcome per attempt. */
const SCENARIOS: Record<string, { outcomes: Outcome[]; retries: number; description: string }> = {
  'success': { outcomes: [ok], retries: 0, description: 'first attempt succeeds' },
  'transient-x2': {
    outcomes: [fail('resource-initialization-error'), fail('resource-initialization-error'), ok],
    retries: 2,
    description: 'ResourceInitializationError twice, then success',
  },
  'permanent': {
    outcomes: [fail('cannot-pull-not-found'), fail('cannot-pull-not-found'), fail('cannot-pull-not-found')],
    retries: 0,
    description: 'image not found on every attempt (should not be retried)',
  },
};

export const ADAPTIVE_SCENARIO_NAMES = ['plain-retry', 'oom-retry', 'fallback-retry'] as const;
export type AdaptiveScenario = typeof ADAPTIVE_SCENARIO_NAMES[number];

const capacityOf = (input: any): string | undefined => input?.CapacityProviderStrategy?.[0]?.CapacityProvider;
/** Where and at what size a RunTask input runs the task (every attempt differs in its attempt-number environment variable). */
const placementOf = (input: any) => ({
  taskDefinition: input?.TaskDefinition,
  launchType: input?.LaunchType,
  capacity: input?.CapacityProviderStrategy,
  platformVersion: input?.PlatformVersion,
  cpu: input?.Overrides?.Cpu,
  memory: input?.Overrides?.Memory,
  containerMemory: input?.Overrides?.ContainerOverrides?.map((c: any) => c.Memory),
});

/**
 * Ours only, one retry each: the test task definition is 256 CPU units and 512 MiB. `adapted`
 * checks that the retry's RunTask input really changed as the feature promises.
 */
const ADAPTIVE_SCENARIOS: Record<AdaptiveScenario, {
  features: OurFeatures;
  outcomes: Outcome[];
  description: string;
  configuration: string;
  adapted: (runTaskInputs: any[]) => boolean;
}> = {
  'plain-retry': {
    features: 'none',
    outcomes: [fail('resource-initialization-error'), ok],
    description: 'ResourceInitializationError, then success on the same task',
    configuration: 'defaults, neither feature',
    adapted: ([first, second]) => JSON.stringify(placementOf(first)) === JSON.stringify(placementOf(second)),
  },
  'oom-retry': {
    features: 'outOfMemorySizes',
    outcomes: [fail('oom-fargate'), ok],
    description: 'out of memory at 256 CPU / 512 MiB, then success at 512 / 1024',
    configuration: `\`outOfMemorySizes: [${BENCH_OOM_SIZES.map((z) => `{ cpu: ${z.cpu}, memoryMiB: ${z.memoryMiB} }`).join(', ')}]\``,
    adapted: ([first, second]) => first?.Overrides?.Cpu === '256' && first?.Overrides?.Memory === '512'
      && second?.Overrides?.Cpu === '512' && second?.Overrides?.Memory === '1024',
  },
  'fallback-retry': {
    features: 'fallbackLaunchTarget',
    outcomes: [fail('spot-interruption'), ok],
    description: 'Spot interruption on FARGATE_SPOT, then success on FARGATE',
    configuration: '`launchTarget` FARGATE_SPOT, `fallbackLaunchTarget` FARGATE',
    adapted: ([first, second]) => capacityOf(first) === 'FARGATE_SPOT' && capacityOf(second) === 'FARGATE',
  },
};

/** One adaptive scenario of ours, and the success path of the same configuration. */
export interface AdaptiveCostRow {
  readonly scenario: AdaptiveScenario;
  readonly features: OurFeatures;
  readonly configuration: string;
  readonly description: string;
  readonly status: string;
  readonly runTaskCalls: number;
  readonly retries: number;
  /** The decider's rule for the failed attempt. */
  readonly rule: string;
  /**
   * The retry's RunTask input changed as the feature says (bigger size; the fallback's capacity
   * provider), or, without features, runs the task where and as the first attempt did.
   */
  readonly adapted: boolean;
  readonly successTransitions: number;
  readonly successLambdaInvocations: number;
  readonly transitions: number;
  readonly lambdaInvocations: number;
  readonly transitionsPerRetry: number;
  readonly lambdaInvocationsPerRetry: number;
  readonly usdPerMillionRetries: number;
  readonly lambdaRequestUsdPerMillionRetries: number;
}

export interface CostRow {
  readonly variant: Variant;
  readonly scenario: string;
  readonly description: string;
  readonly status: string;
  readonly runTaskCalls: number;
  readonly transitions: number;
  readonly lambdaInvocations: number;
  readonly usdPerMillionExecutions: number;
  readonly lambdaRequestUsdPerMillionExecutions: number;
}

export interface PerRetry {
  readonly variant: Variant;
  readonly transitionsPerRetry: number;
  readonly lambdaInvocationsPerRetry: number;
  readonly usdPerMillionRetries: number;
}

export interface CostResult {
  readonly usdPer1000Transitions: number;
  readonly usdPerMillionLambdaRequests: number;
  readonly rows: CostRow[];
  readonly perRetry: PerRetry[];
  /** Ours invokes no Lambda function when the first attempt succeeds. */
  readonly oursSuccessPathLambdaFree: boolean;
  /** executeLocally and the generic local runner count ours alike, in every scenario. */
  readonly countersAgree: boolean;
  /** Ours only: one adaptive retry per feature, and the same retry without features; absent from results written before they existed. */
  readonly adaptive?: AdaptiveCostRow[];
  /** The plain single retry costs what the default design's per-retry figure says. */
  readonly plainRetryMatchesPerRetry?: boolean;
}

/** One instance of `variant` with its defaults, synthesized and rendered to plain ASL. */
function definitionOf(variant: Variant): StateMachineDefinition {
  const { stack, cluster, taskDefinition } = testEnvironment();
  addInstance(variant, stack, 'Job', { cluster, taskDefinition });
  return renderedDefinition(stack);
}

async function runVariant(variant: Variant, definition: StateMachineDefinition, outcomes: Outcome[]) {
  switch (variant) {
    case 'ours':
      return runLocally(definition, { outcomes, runTaskState: 'Run task', lambdaStates: { 'Decide retry': decider }, waitStates: ['Back off'] });
    case 'seed-shaped':
      return runLocally(definition, {
        outcomes,
        runTaskState: SEED_STATES.runTask,
        lambdaStates: { [SEED_STATES.handleError]: seedHandlerFromSource() },
        waitStates: [SEED_STATES.wait],
      });
    case 'bare':
      return runLocally(definition, { outcomes, runTaskState: 'Run task' });
  }
}

export async function runCostPerRetry(log: (line: string) => void): Promise<CostResult> {
  const rows: CostRow[] = [];
  let countersAgree = true;
  let oursSuccessPathLambdaFree = false;

  for (const variant of VARIANTS) {
    const definition = definitionOf(variant);
    for (const [scenario, { outcomes, description }] of Object.entries(SCENARIOS)) {
      const run = await quietly(() => runVariant(variant, definition, outcomes));
      if (variant === 'ours') {
        // The test suite's executor is the reference for ours; the generic runner must agree with it.
        const reference = await quietly(() => executeLocally(definition, { outcomes }));
        countersAgree &&= reference.transitions === run.transitions
          && reference.decisions.length === run.lambdaInvocations
          && reference.runTaskCalls === run.runTaskCalls
          && reference.status === run.status;
        if (scenario === 'success') {
          oursSuccessPathLambdaFree = reference.status === 'SUCCEEDED' && reference.decisions.length === 0;
        }
      }
      const row: CostRow = {
        variant,
        scenario,
        description,
        status: run.status,
        runTaskCalls: run.runTaskCalls,
        transitions: run.transitions,
        lambdaInvocations: run.lambdaInvocations,
        usdPerMillionExecutions: round(run.transitions * USD_PER_TRANSITION * 1e6, 2),
        lambdaRequestUsdPerMillionExecutions: round(run.lambdaInvocations * USD_PER_LAMBDA_REQUEST * 1e6, 2),
      };
      rows.push(row);
      log(`  ${variant.padEnd(11)} ${scenario.padEnd(12)} ${run.status.padEnd(9)} RunTask ${run.runTaskCalls}, `
        + `transitions ${run.transitions}, Lambda ${run.lambdaInvocations}, $${row.usdPerMillionExecutions} per million executions`);
    }
  }

  const perRetry = VARIANTS.map((variant) => {
    const success = rows.find((r) => r.variant === variant && r.scenario === 'success')!;
    const retried = rows.find((r) => r.variant === variant && r.scenario === 'transient-x2')!;
    const retries = SCENARIOS['transient-x2'].retries;
    const transitionsPerRetry = (retried.transitions - success.transitions) / retries;
    return {
      variant,
      transitionsPerRetry,
      lambdaInvocationsPerRetry: (retried.lambdaInvocations - success.lambdaInvocations) / retries,
      usdPerMillionRetries: round(transitionsPerRetry * USD_PER_TRANSITION * 1e6, 2),
    };
  });

  const adaptive: AdaptiveCostRow[] = [];
  for (const scenario of ADAPTIVE_SCENARIO_NAMES) {
    const row = await adaptiveRow(scenario);
    adaptive.push(row);
    log(`  ours        ${scenario.padEnd(14)} ${row.status.padEnd(9)} RunTask ${row.runTaskCalls}, transitions ${row.transitions} `
      + `(success path ${row.successTransitions}), Lambda ${row.lambdaInvocations}: ${row.transitionsPerRetry} transitions + `
      + `${row.lambdaInvocationsPerRetry} Lambda per retry, adapted ${row.adapted ? 'yes' : 'NO'}`);
  }
  const oursPerRetry = perRetry.find((p) => p.variant === 'ours')!;
  const plain = adaptive.find((r) => r.scenario === 'plain-retry')!;

  return {
    usdPer1000Transitions: USD_PER_TRANSITION * 1000,
    usdPerMillionLambdaRequests: USD_PER_LAMBDA_REQUEST * 1e6,
    rows,
    perRetry,
    oursSuccessPathLambdaFree,
    countersAgree,
    adaptive,
    plainRetryMatchesPerRetry: plain.transitionsPerRetry === oursPerRetry.transitionsPerRetry
      && plain.lambdaInvocationsPerRetry === oursPerRetry.lambdaInvocationsPerRetry,
  };
}

/** Ours with the scenario's feature, synthesized once, run on its success path and on the scenario with executeLocally. */
async function adaptiveRow(scenario: AdaptiveScenario): Promise<AdaptiveCostRow> {
  const { features, outcomes, description, configuration, adapted } = ADAPTIVE_SCENARIOS[scenario];
  const { stack, cluster, taskDefinition } = testEnvironment();
  addOursWith(features, stack, 'Job', { cluster, taskDefinition });
  const definition = renderedDefinition(stack);
  const success = await quietly(() => executeLocally(definition, { outcomes: [ok] }));
  const run = await quietly(() => executeLocally(definition, { outcomes }));
  if (success.status !== 'SUCCEEDED' || run.status !== 'SUCCEEDED') {
    throw new Error(`${scenario}: expected both runs to succeed, got ${success.status} and ${run.status}`);
  }
  const retries = run.runTaskCalls - 1;
  const transitionsPerRetry = (run.transitions - success.transitions) / retries;
  const lambdaInvocationsPerRetry = (run.decisions.length - success.decisions.length) / retries;
  return {
    scenario,
    features,
    configuration,
    description,
    status: run.status,
    runTaskCalls: run.runTaskCalls,
    retries,
    rule: run.decisions.map((d) => d.rule).join(', '),
    adapted: adapted(run.runTaskInputs),
    successTransitions: success.transitions,
    successLambdaInvocations: success.decisions.length,
    transitions: run.transitions,
    lambdaInvocations: run.decisions.length,
    transitionsPerRetry,
    lambdaInvocationsPerRetry,
    usdPerMillionRetries: round(transitionsPerRetry * USD_PER_TRANSITION * 1e6, 2),
    lambdaRequestUsdPerMillionRetries: round(lambdaInvocationsPerRetry * USD_PER_LAMBDA_REQUEST * 1e6, 2),
  };
}

if (require.main === module) {
  reportResult(() => runCostPerRetry((line) => console.log(line)));
}
