/**
 * Benchmark 3, for ours with `decisionEngine: DecisionEngine.STATE_MACHINE`: the scenarios of the
 * cost benchmark, executed in MiniStack, whose Step Functions evaluates JSONata (with
 * jsonata-python); aws-local-stepfunctions, which runs the other designs, cannot. Only the ECS
 * task states are mocked, each replaying the scenario's outcomes.
 *
 * Two checks make the numbers comparable with the Lambda engine's, which cost-per-retry.ts
 * measures in aws-local-stepfunctions:
 * - the Lambda engine runs in MiniStack too (its real decider bundle in a local Lambda worker),
 *   and must bill there the transitions, Lambda invocations and RunTask calls it bills locally;
 * - every scenario must end on the state machine engine as on the Lambda engine: the same status,
 *   RunTask calls, error and cause, and the same output but for the jittered waits.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { StateMachineDefinition } from 'aws-local-stepfunctions' with { 'resolution-mode': 'require' };
import { addInstance, addOursWith, OurEngine, OurFeatures } from './baselines';
import type { AdaptiveCostRow, CostRow, PerRetry, StateMachineCostResult } from './cost-rows';
import {
  ADAPTIVE_SCENARIO_NAMES, ADAPTIVE_SCENARIOS, AdaptiveScenario, ok, SCENARIOS, USD_PER_LAMBDA_REQUEST,
  USD_PER_TRANSITION,
} from './cost-scenarios';
import { quietly } from './local-run';
import { round } from './stats';
import { backoffSchedule } from '../src/policy/backoff';
import { renderRetryPolicy } from '../src/policy/render-retry-policy';
import { executeLocally, LocalExecution, Outcome, renderedDefinition } from '../test/support/local-execution';
import { MiniStack, SfnMockConfig } from '../test/support/ministack';
import {
  deployToMiniStack, executeInMiniStack, MiniStackExecution, MiniStackScenario, runTaskMockConfig,
} from '../test/support/ministack-execution';
import { testEnvironment } from '../test/support/stack';

const ROOT = path.join(__dirname, '..');
const RUN_TASK_STATE = 'Run task';

/** One state machine deployed to MiniStack, and the scenarios run on it (test case names are unique across machines). */
interface Machine {
  readonly definition: StateMachineDefinition;
  readonly runTaskStates: string[];
  readonly scenarios: Record<string, MiniStackScenario>;
}

/** Ours on `engine` with `features`, synthesized and rendered to plain ASL. */
function definitionOf(engine: OurEngine, features: OurFeatures = 'none'): StateMachineDefinition {
  const { stack, cluster, taskDefinition } = testEnvironment();
  if (features === 'none') {
    addInstance(engine, stack, 'Job', { cluster, taskDefinition });
  } else {
    addOursWith(features, stack, 'Job', { cluster, taskDefinition }, engine);
  }
  return renderedDefinition(stack);
}

/** The MiniStack version installed by test/ministack/install.sh, from its dist-info directory. */
function ministackVersion(): string {
  try {
    const lib = path.join(ROOT, '.tools', 'ministack-venv', 'lib');
    for (const python of fs.readdirSync(lib)) {
      const info = fs.readdirSync(path.join(lib, python, 'site-packages')).find((name) => /^ministack-.*\.dist-info$/.test(name));
      if (info) {
        return info.replace(/^ministack-/, '').replace(/\.dist-info$/, '');
      }
    }
  } catch {
    // Not installed: MiniStack.start says so.
  }
  return 'unknown';
}

/** Lambda invocations in an execution's history: tasks scheduled on a Lambda resource. */
function lambdaInvocationsOf(execution: MiniStackExecution): number {
  return execution.events.filter((e) => e.type === 'LambdaFunctionScheduled'
    || (e.type === 'TaskScheduled' && /:lambda:/.test(String(e.taskScheduledEventDetails?.resource)))).length;
}

/** The output with every wait taken out: the one value the engines draw at random. */
function withoutWaits(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(withoutWaits);
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'waitSeconds').map(([key, v]) => [key, withoutWaits(v)]));
  }
  return value;
}

function sameEnd(engine: MiniStackExecution, lambda: LocalExecution): boolean {
  return engine.status === lambda.status
    && engine.runTaskCalls === lambda.runTaskCalls
    && (engine.error ?? null) === (lambda.error ?? null)
    && (engine.cause ?? null) === (lambda.cause ?? null)
    && JSON.stringify(withoutWaits(engine.output)) === JSON.stringify(withoutWaits(lambda.output));
}

export async function runStateMachineCost(lambdaRows: CostRow[], log: (line: string) => void): Promise<StateMachineCostResult> {
  const adaptiveByFeatures = (features: OurFeatures) => ADAPTIVE_SCENARIO_NAMES.filter((s) => ADAPTIVE_SCENARIOS[s].features === features);
  const scenario = (outcomes: Outcome[]): MiniStackScenario => ({ outcomes });
  const adaptiveScenario = (name: AdaptiveScenario) => scenario(ADAPTIVE_SCENARIOS[name].outcomes);

  // The default configuration runs the main scenarios and the plain retry; each feature its own.
  const machines: Record<string, Machine> = {
    Engine: {
      definition: definitionOf('ours-state-machine'),
      runTaskStates: [RUN_TASK_STATE],
      scenarios: {
        ...Object.fromEntries(Object.entries(SCENARIOS).map(([name, s]) => [`Engine-${name}`, scenario(s.outcomes)])),
        ...Object.fromEntries(adaptiveByFeatures('none').map((name) => [`Engine-${name}`, adaptiveScenario(name)])),
      },
    },
    EngineOom: {
      definition: definitionOf('ours-state-machine', 'outOfMemorySizes'),
      runTaskStates: [RUN_TASK_STATE],
      scenarios: {
        'EngineOom-success': scenario([ok]),
        ...Object.fromEntries(adaptiveByFeatures('outOfMemorySizes').map((name) => [`EngineOom-${name}`, adaptiveScenario(name)])),
      },
    },
    EngineFallback: {
      definition: definitionOf('ours-state-machine', 'fallbackLaunchTarget'),
      runTaskStates: [RUN_TASK_STATE],
      scenarios: {
        'EngineFallback-success': scenario([ok]),
        ...Object.fromEntries(adaptiveByFeatures('fallbackLaunchTarget').map((name) => [`EngineFallback-${name}`, adaptiveScenario(name)])),
      },
    },
    // The Lambda engine in MiniStack: does MiniStack bill it as aws-local-stepfunctions does?
    Lambda: {
      definition: definitionOf('ours'),
      runTaskStates: [RUN_TASK_STATE],
      scenarios: Object.fromEntries(Object.entries(SCENARIOS).map(([name, s]) => [`Lambda-${name}`, scenario(s.outcomes)])),
    },
  };

  const engineDefinitions = Object.entries(machines).filter(([name]) => name.startsWith('Engine')).map(([, m]) => m.definition);
  const allStates = engineDefinitions.flatMap((d) => Object.entries<any>(d.States));
  const lambdaStatesInDefinitions = allStates.filter(([, state]) => /:lambda:/.test(String(state.Resource))).length;
  const statesWithRetry = [...new Set(allStates.filter(([, state]) => (state.Retry ?? []).length > 0).map(([name]) => name))];

  const configs = Object.entries(machines).map(([name, m]) => runTaskMockConfig(name, m.scenarios, m.runTaskStates));
  const mockConfig: SfnMockConfig = {
    StateMachines: Object.assign({}, ...configs.map((c) => c.StateMachines)),
    MockedResponses: Object.assign({}, ...configs.map((c) => c.MockedResponses)),
  };
  const runs: Record<string, MiniStackExecution> = {};
  const ministack = await MiniStack.start(mockConfig);
  try {
    for (const [name, machine] of Object.entries(machines)) {
      const arn = await deployToMiniStack(ministack, name, machine.definition);
      Object.assign(runs, await executeInMiniStack(ministack, arn, machine.scenarios, machine.runTaskStates));
    }
  } finally {
    await ministack.stop();
  }

  // The Lambda engine: MiniStack against aws-local-stepfunctions.
  const lambdaEngineInMiniStack = Object.keys(SCENARIOS).map((name) => {
    const run = runs[`Lambda-${name}`];
    return {
      scenario: name, transitions: run.transitions, lambdaInvocations: lambdaInvocationsOf(run), runTaskCalls: run.runTaskCalls, status: run.status,
    };
  });
  const lambdaEngineCountsAgree = lambdaEngineInMiniStack.every((m) => {
    const local = lambdaRows.find((r) => r.scenario === m.scenario)!;
    return m.transitions === local.transitions && m.lambdaInvocations === local.lambdaInvocations
      && m.lambdaInvocations === runs[`Lambda-${m.scenario}`].decisions.length
      && m.runTaskCalls === local.runTaskCalls && m.status === local.status;
  });

  const rows: CostRow[] = Object.entries(SCENARIOS).map(([name, { description }]) => {
    const run = runs[`Engine-${name}`];
    const lambdaInvocations = lambdaInvocationsOf(run);
    const row: CostRow = {
      variant: 'ours-state-machine',
      scenario: name,
      description,
      status: run.status,
      runTaskCalls: run.runTaskCalls,
      transitions: run.transitions,
      lambdaInvocations,
      usdPerMillionExecutions: round(run.transitions * USD_PER_TRANSITION * 1e6, 2),
      lambdaRequestUsdPerMillionExecutions: round(lambdaInvocations * USD_PER_LAMBDA_REQUEST * 1e6, 2),
    };
    log(`  ours-state-machine ${name.padEnd(12)} ${run.status.padEnd(9)} RunTask ${run.runTaskCalls}, `
      + `transitions ${run.transitions} (${run.statesEntered.join(', ')}), Lambda ${lambdaInvocations} [MiniStack]`);
    return row;
  });
  const success = rows.find((r) => r.scenario === 'success')!;
  const retried = rows.find((r) => r.scenario === 'transient-x2')!;
  const retries = SCENARIOS['transient-x2'].retries;
  const transitionsPerRetry = (retried.transitions - success.transitions) / retries;
  const perRetry: PerRetry = {
    variant: 'ours-state-machine',
    transitionsPerRetry,
    lambdaInvocationsPerRetry: (retried.lambdaInvocations - success.lambdaInvocations) / retries,
    usdPerMillionRetries: round(transitionsPerRetry * USD_PER_TRANSITION * 1e6, 2),
  };

  const machineOf: Record<OurFeatures, string> = { none: 'Engine', outOfMemorySizes: 'EngineOom', fallbackLaunchTarget: 'EngineFallback', both: '' };
  const adaptive = ADAPTIVE_SCENARIO_NAMES.map((name): AdaptiveCostRow => {
    const { features, configuration, description, adaptedResult } = ADAPTIVE_SCENARIOS[name];
    const machine = machineOf[features];
    const run = runs[`${machine}-${name}`];
    const successRun = runs[`${machine}-success`];
    if (successRun.status !== 'SUCCEEDED' || run.status !== 'SUCCEEDED') {
      throw new Error(`state machine engine, ${name}: expected both runs to succeed, got ${successRun.status} and ${run.status}`);
    }
    const result = run.output?.retryableEcsRunTask;
    const runRetries = run.runTaskCalls - 1;
    const perRetryTransitions = (run.transitions - successRun.transitions) / runRetries;
    const perRetryLambda = (lambdaInvocationsOf(run) - lambdaInvocationsOf(successRun)) / runRetries;
    const row: AdaptiveCostRow = {
      variant: 'ours-state-machine',
      scenario: name,
      features,
      configuration,
      description,
      status: run.status,
      runTaskCalls: run.runTaskCalls,
      retries: runRetries,
      rule: (result?.history ?? []).map((h: any) => h.rule).join(', '),
      adapted: adaptedResult({ runTaskStates: run.statesEntered.filter((s) => machines[machine].runTaskStates.includes(s)), result }),
      successTransitions: successRun.transitions,
      successLambdaInvocations: lambdaInvocationsOf(successRun),
      transitions: run.transitions,
      lambdaInvocations: lambdaInvocationsOf(run),
      transitionsPerRetry: perRetryTransitions,
      lambdaInvocationsPerRetry: perRetryLambda,
      usdPerMillionRetries: round(perRetryTransitions * USD_PER_TRANSITION * 1e6, 2),
      lambdaRequestUsdPerMillionRetries: round(perRetryLambda * USD_PER_LAMBDA_REQUEST * 1e6, 2),
    };
    log(`  ours-state-machine ${name.padEnd(14)} ${row.status.padEnd(9)} RunTask ${row.runTaskCalls}, transitions ${row.transitions} `
      + `(success path ${row.successTransitions}; ${run.statesEntered.join(', ')}), Lambda ${row.lambdaInvocations}: `
      + `${row.transitionsPerRetry} transitions + ${row.lambdaInvocationsPerRetry} Lambda per retry, adapted ${row.adapted ? 'yes' : 'NO'} [MiniStack]`);
    return row;
  });

  // The same scenarios on the Lambda engine, locally, for the end each must reach.
  const differentFromLambdaEngine: string[] = [];
  const lambdaDefinitions: Partial<Record<OurFeatures, StateMachineDefinition>> = {};
  const lambdaDefinition = (features: OurFeatures) => (lambdaDefinitions[features] ??= definitionOf('ours', features));
  const compare = async (label: string, engineRun: MiniStackExecution, features: OurFeatures, outcomes: Outcome[]) => {
    const reference = await quietly(() => executeLocally(lambdaDefinition(features), { outcomes }));
    if (!sameEnd(engineRun, reference)) {
      differentFromLambdaEngine.push(label);
    }
  };
  for (const [name, { outcomes }] of Object.entries(SCENARIOS)) {
    await compare(name, runs[`Engine-${name}`], 'none', outcomes);
  }
  for (const name of ADAPTIVE_SCENARIO_NAMES) {
    const { features, outcomes } = ADAPTIVE_SCENARIOS[name];
    await compare(name, runs[`${machineOf[features]}-${name}`], features, outcomes);
    await compare(`${name} (success path)`, runs[`${machineOf[features]}-success`], features, [ok]);
  }

  // The waits drawn by `$random()` against the default schedule (every configuration here keeps the default backoff).
  const schedule = backoffSchedule(renderRetryPolicy({}));
  const waits = Object.entries(runs).filter(([name]) => name.startsWith('Engine')).flatMap(([name, run]) =>
    // In a run that succeeded, every failed attempt was retried.
    ((run.output?.retryableEcsRunTask?.history ?? []) as any[]).filter((h) => h.retryable === true)
      .map((h) => ({ scenario: name, attempt: h.attempt, waitSeconds: h.waitSeconds, scheduleSeconds: schedule[h.attempt - 1] })));

  return {
    rows,
    perRetry,
    adaptive,
    check: {
      executor: `MiniStack ${ministackVersion()}`,
      lambdaStatesInDefinitions,
      statesWithRetry,
      lambdaEngineCountsAgree,
      lambdaEngineInMiniStack,
      sameResultsAsLambdaEngine: differentFromLambdaEngine.length === 0,
      differentFromLambdaEngine,
      waitsWithinSchedule: waits.length > 0
        && waits.every((w) => Number.isInteger(w.waitSeconds) && w.waitSeconds >= 0 && w.waitSeconds <= w.scheduleSeconds),
      waits,
      successPathLambdaFree: success.status === 'SUCCEEDED' && success.lambdaInvocations === 0,
      statesEntered: Object.fromEntries(Object.keys(SCENARIOS).map((name) => [name, runs[`Engine-${name}`].statesEntered])),
    },
  };
}
