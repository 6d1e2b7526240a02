/**
 * Benchmark 3: cost per retry. The same scenarios through ours, seed-shaped and bare, executed in
 * aws-local-stepfunctions: state transitions (what Step Functions Standard bills) and Lambda
 * invocations per execution and per retry, converted to USD per million executions.
 */
import type { StateMachineDefinition } from 'aws-local-stepfunctions' with { 'resolution-mode': 'require' };
import { addInstance, SEED_STATES, Variant, VARIANTS } from './baselines';
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

  return {
    usdPer1000Transitions: USD_PER_TRANSITION * 1000,
    usdPerMillionLambdaRequests: USD_PER_LAMBDA_REQUEST * 1e6,
    rows,
    perRetry,
    oursSuccessPathLambdaFree,
    countersAgree,
  };
}

if (require.main === module) {
  reportResult(() => runCostPerRetry((line) => console.log(line)));
}
