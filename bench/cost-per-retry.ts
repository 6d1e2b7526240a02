/**
 * Benchmark 3: cost per retry. The same scenarios through ours, seed-shaped and bare, executed in
 * aws-local-stepfunctions: state transitions (what Step Functions Standard bills) and Lambda
 * invocations per execution and per retry, converted to USD per million executions.
 *
 * Then ours alone with its adaptive retries (the baselines cannot adapt a retry): one retry at a
 * bigger size after out of memory, one on the fallback launch target after a Spot interruption,
 * and the same single retry without either feature, each against its own configuration's success path.
 *
 * Ours runs with each decision engine: the Lambda engine (the default) in aws-local-stepfunctions
 * as above, the state machine engine, whose JSONata aws-local-stepfunctions cannot run, in
 * MiniStack (state-machine-cost.ts), with the same scenarios.
 */
import type { StateMachineDefinition } from 'aws-local-stepfunctions' with { 'resolution-mode': 'require' };
import { addInstance, addOursWith, SEED_STATES, Variant, VARIANTS } from './baselines';
import { reportResult } from './child';
import type { AdaptiveCostRow, CostResult, CostRow } from './cost-rows';
import {
  ADAPTIVE_SCENARIO_NAMES, ADAPTIVE_SCENARIOS, AdaptiveScenario, ok, SCENARIOS, USD_PER_LAMBDA_REQUEST, USD_PER_TRANSITION,
} from './cost-scenarios';
import { quietly, runLocally, seedHandlerFromSource } from './local-run';
import { runStateMachineCost } from './state-machine-cost';
import { round } from './stats';
import { handler as decider } from '../lambda/decider-handler';
import { executeLocally, Outcome, renderedDefinition } from '../test/support/local-execution';
import { testEnvironment } from '../test/support/stack';

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
  const plainRetryMatchesPerRetry = plain.transitionsPerRetry === oursPerRetry.transitionsPerRetry
    && plain.lambdaInvocationsPerRetry === oursPerRetry.lambdaInvocationsPerRetry;

  const stateMachine = await runStateMachineCost(rows.filter((r) => r.variant === 'ours'), log);

  return {
    usdPer1000Transitions: USD_PER_TRANSITION * 1000,
    usdPerMillionLambdaRequests: USD_PER_LAMBDA_REQUEST * 1e6,
    rows: [...rows, ...stateMachine.rows],
    perRetry: [...perRetry, stateMachine.perRetry],
    oursSuccessPathLambdaFree,
    countersAgree,
    adaptive: [...adaptive, ...stateMachine.adaptive],
    plainRetryMatchesPerRetry,
    stateMachine: stateMachine.check,
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
    variant: 'ours',
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
