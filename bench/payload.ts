/**
 * Benchmark 5: payload. The largest state an execution carries, with maxAttempts 50 and a 200 KiB
 * stopped reason on every failed attempt, against Step Functions' 256 KiB limit on any state's
 * input or output. Ours carries a history of every failed attempt, so its state grows with the
 * attempts; the decider bounds each entry and the history's total, and this checks that the
 * bounds hold at the extreme: also for 50 attempts that each fail in the costliest way, on both
 * decision engines.
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions' with { 'resolution-mode': 'require' };
import { addBare, addSeedShaped, SEED_STATES, Variant } from './baselines';
import { reportResult } from './child';
import { LocalRunOptions, quietly, runLocally, seedHandlerFromSource } from './local-run';
import { round } from './stats';
import { handler as decider } from '../lambda/decider-handler';
import { DecisionEngine, RetryableEcsRunTask } from '../src';
import { MAX_ATTEMPTS_LIMIT } from '../src/decider/wire';
import { failure, successTask, withStoppedReason } from '../test/support/fixtures';
import { executeLocally, MAX_CAUSE_LENGTH, Outcome, renderedDefinition } from '../test/support/local-execution';
import { MiniStack } from '../test/support/ministack';
import { deployToMiniStack, executeInMiniStack, MiniStackExecution, runTaskMockConfig } from '../test/support/ministack-execution';
import { testEnvironment } from '../test/support/stack';
import { MAX_PAYLOAD_BYTES } from '../test/support/step-functions-limits';
import { worstCasePolicyProps, worstCaseTaskFailure } from '../test/support/worst-case';

/** Step Functions' limit on a state's input or output, as the test harness checks it on every execution. */
export const STATE_LIMIT_BYTES = MAX_PAYLOAD_BYTES;
/** The stopped reason of every failed attempt: 200 KiB. */
export const REASON_BYTES = 200 * 1024;

export interface PayloadRow {
  readonly variant: Variant;
  /** Attempts that ran; all but the last failed, unless `exhausted`. */
  readonly attempts: number;
  readonly exhausted: boolean;
  /** Whether the Cause was cut to 32,768 characters, as Step Functions does (false: what-if only). */
  readonly causeCut: boolean;
  readonly status: string;
  /** How many attempts actually ran: fewer than `attempts` when a design stopped retrying. */
  readonly runTaskCalls: number;
  readonly peakStateBytes: number;
  readonly percentOfLimit: number;
  /** The execution's output on success: what the next state of a workflow receives. */
  readonly outputBytes?: number;
}

/** 50 attempts that each fail in the costliest way (test/support/worst-case.ts), on one engine. */
export interface WorstCaseRow {
  readonly engine: 'LAMBDA' | 'STATE_MACHINE';
  readonly executor: string;
  readonly status: string;
  readonly runTaskCalls: number;
  /** The user's own input, which every state carries. */
  readonly inputBytes: number;
  readonly peakStateBytes: number;
  /** Peak minus the user's input: what the run itself adds. */
  readonly addedBytes: number;
  /** The decider's payload (the Lambda engine), or the history variable (the state machine engine). */
  readonly otherLabel: string;
  readonly otherBytes: number;
}

export interface PayloadResult {
  /** Absent from results written before the worst case was measured. */
  readonly worstCase?: WorstCaseRow[];
  /** What the run may add to a state: 192 KiB, leaving 64 KiB for the user's input and the task result. */
  readonly runBudgetBytes?: number;
  readonly limitBytes: number;
  readonly reasonBytes: number;
  /** Step Functions keeps this many characters of a Cause; the local runs do the same. */
  readonly causeCutAt: number;
  readonly maxAttempts: number;
  readonly rows: PayloadRow[];
}

const ATTEMPT_COUNTS = [1, 2, 10, 25, MAX_ATTEMPTS_LIMIT];

function bigFailure(): Outcome {
  const prefix = 'ResourceInitializationError: failed to configure ENI: ';
  return { fail: withStoppedReason(failure('resource-initialization-error'), prefix + 'x'.repeat(REASON_BYTES - prefix.length)) };
}

/** `attempts` attempts: all failed with the big reason, or all but the last. */
function outcomes(attempts: number, exhausted: boolean): Outcome[] {
  const failures = Array.from({ length: exhausted ? attempts : attempts - 1 }, bigFailure);
  return exhausted ? failures : [...failures, { succeed: successTask() }];
}

function definitionOf(variant: Variant): StateMachineDefinition {
  const { stack, cluster, taskDefinition } = testEnvironment();
  const retries = MAX_ATTEMPTS_LIMIT - 1;
  if (variant === 'ours') {
    new RetryableEcsRunTask(stack, 'Job', { cluster, taskDefinition, maxAttempts: MAX_ATTEMPTS_LIMIT });
  } else if (variant === 'seed-shaped') {
    addSeedShaped(stack, 'Job', { cluster, taskDefinition }, retries);
  } else {
    addBare(stack, 'Job', { cluster, taskDefinition }, retries);
  }
  return renderedDefinition(stack);
}

/**
 * One execution. Ours runs through the test suite's `executeLocally`, except for the what-if
 * without the Cause cut, which that executor always applies.
 */
async function measure(
  variant: Variant,
  definition: StateMachineDefinition,
  attempts: number,
  exhausted: boolean,
  causeCut = true,
): Promise<PayloadRow> {
  const given = outcomes(attempts, exhausted);
  let run: { status: string; peakStateBytes: number; runTaskCalls: number; output?: unknown };
  if (variant === 'ours' && causeCut) {
    run = await quietly(() => executeLocally(definition, { outcomes: given }));
  } else {
    const lambdaStates: LocalRunOptions['lambdaStates'] = {
      'ours': { 'Decide retry': decider },
      'seed-shaped': { [SEED_STATES.handleError]: seedHandlerFromSource() },
      'bare': undefined,
    }[variant];
    const waitStates = { 'ours': ['Back off'], 'seed-shaped': [SEED_STATES.wait], 'bare': undefined }[variant];
    // All three name their ECS task state 'Run task'.
    run = await quietly(() => runLocally(definition, { outcomes: given, runTaskState: 'Run task', lambdaStates, waitStates, cutCause: causeCut }));
  }
  return {
    variant,
    attempts,
    exhausted,
    causeCut,
    status: run.status,
    runTaskCalls: run.runTaskCalls,
    peakStateBytes: run.peakStateBytes,
    percentOfLimit: round((100 * run.peakStateBytes) / STATE_LIMIT_BYTES, 1),
    outputBytes: run.output === undefined ? undefined : Buffer.byteLength(JSON.stringify(run.output)),
  };
}

export async function runPayload(log: (line: string) => void): Promise<PayloadResult> {
  const rows: PayloadRow[] = [];
  const record = (row: PayloadRow) => {
    rows.push(row);
    log(`  ${row.variant.padEnd(11)} ${String(row.attempts).padStart(2)} attempts${row.exhausted ? ', all failed' : ''}`
      + `${row.causeCut ? '' : ' (what-if: Cause not cut)'}: ${row.status} after ${row.runTaskCalls} RunTask, peak state ${row.peakStateBytes.toLocaleString('en-US')} B (${row.percentOfLimit}% of 256 KiB)`);
  };

  const ours = definitionOf('ours');
  for (const attempts of ATTEMPT_COUNTS) {
    record(await measure('ours', ours, attempts, false));
  }
  record(await measure('ours', ours, MAX_ATTEMPTS_LIMIT, true));
  // The baselines keep no history, so their peak does not depend on the attempt count; show the extremes.
  for (const variant of ['seed-shaped', 'bare'] as const) {
    const definition = definitionOf(variant);
    record(await measure(variant, definition, MAX_ATTEMPTS_LIMIT, false));
    record(await measure(variant, definition, MAX_ATTEMPTS_LIMIT, true));
  }
  // What the Cause cut protects against: the whole 200 KiB reason reaching the state.
  record(await measure('ours', ours, MAX_ATTEMPTS_LIMIT, false, false));
  record(await measure('seed-shaped', definitionOf('seed-shaped'), MAX_ATTEMPTS_LIMIT, false, false));
  const worstCase = await measureWorstCase();
  for (const w of worstCase) {
    log(`  worst case, ${w.engine} (${w.executor}): ${w.status} after ${w.runTaskCalls} RunTask, peak state ${w.peakStateBytes.toLocaleString('en-US')} B, `
      + `${w.addedBytes.toLocaleString('en-US')} B added to a ${w.inputBytes.toLocaleString('en-US')} B input; ${w.otherLabel} ${w.otherBytes.toLocaleString('en-US')} B`);
  }
  return {
    worstCase,
    runBudgetBytes: RUN_BUDGET_BYTES,
    limitBytes: STATE_LIMIT_BYTES,
    reasonBytes: REASON_BYTES,
    causeCutAt: MAX_CAUSE_LENGTH,
    maxAttempts: MAX_ATTEMPTS_LIMIT,
    rows,
  };
}

/** What the run may add to a state, leaving 64 KiB of the 256 KiB for the user's input and the task result. */
export const RUN_BUDGET_BYTES = 192 * 1024;

/**
 * 50 worst-case attempts with 64 KiB of the user's input, on both engines: the Lambda engine in
 * aws-local-stepfunctions, the state machine engine in MiniStack. The same scenario as
 * test/execution/state-size.test.ts, which holds it to the budget.
 */
async function measureWorstCase(): Promise<WorstCaseRow[]> {
  const input = { job: 'nightly-report', notes: 'n'.repeat(64 * 1024 - 40) };
  const inputBytes = Buffer.byteLength(JSON.stringify(input));
  const failures: Outcome[] = [...Array(MAX_ATTEMPTS_LIMIT).keys()].map((i) => ({ fail: worstCaseTaskFailure(i) }));
  const definition = (decisionEngine: DecisionEngine) => {
    const { stack, cluster, taskDefinition } = testEnvironment();
    new RetryableEcsRunTask(stack, 'Job', {
      cluster,
      taskDefinition,
      decisionEngine,
      ...worstCasePolicyProps(),
      interval: Duration.seconds(1),
      maxDelay: Duration.seconds(1),
      jitterStrategy: sfn.JitterType.NONE,
    });
    return renderedDefinition(stack);
  };

  const lambda = await quietly(() => executeLocally(definition(DecisionEngine.LAMBDA_FUNCTION), { outcomes: failures, input }));
  const payload = Math.max(...lambda.taskCalls.filter((c) => c.state === 'Decide retry').map((c) => Buffer.byteLength(JSON.stringify(c.input))));

  const scenarios = { 'worst-case': { outcomes: failures, input } };
  const ministack = await MiniStack.start(runTaskMockConfig('WorstCase', scenarios));
  let execution: MiniStackExecution;
  try {
    const arn = await deployToMiniStack(ministack, 'WorstCase', definition(DecisionEngine.STATE_MACHINE));
    execution = (await executeInMiniStack(ministack, arn, scenarios))['worst-case'];
  } finally {
    await ministack.stop();
  }
  let peak = 0;
  let variable = 0;
  for (const event of execution.events) {
    const details = event.stateEnteredEventDetails ?? event.stateExitedEventDetails;
    for (const data of [details?.input, details?.output]) {
      peak = typeof data === 'string' ? Math.max(peak, Buffer.byteLength(data)) : peak;
    }
    if (event.stateEnteredEventDetails?.name === 'Retry or fail') {
      const history = JSON.parse(event.stateEnteredEventDetails.input).retryableEcsRunTask.failures.history;
      variable = Math.max(variable, Buffer.byteLength(JSON.stringify(history)));
    }
  }
  return [
    {
      engine: 'LAMBDA',
      executor: 'aws-local-stepfunctions',
      status: `${lambda.status} (${lambda.error})`,
      runTaskCalls: lambda.runTaskCalls,
      inputBytes,
      peakStateBytes: lambda.peakStateBytes,
      addedBytes: lambda.peakStateBytes - inputBytes,
      otherLabel: 'largest decider payload',
      otherBytes: payload,
    },
    {
      engine: 'STATE_MACHINE',
      executor: 'MiniStack',
      status: `${execution.status} (${execution.error})`,
      runTaskCalls: execution.runTaskCalls,
      inputBytes,
      peakStateBytes: peak,
      addedBytes: peak - inputBytes,
      otherLabel: 'largest history variable',
      otherBytes: variable,
    },
  ];
}

if (require.main === module) {
  reportResult(() => runPayload((line) => console.log(line)));
}
