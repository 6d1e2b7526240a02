import * as fs from 'fs';
import * as path from 'path';
import type { StateMachineDefinition } from 'aws-local-stepfunctions' with { 'resolution-mode': 'require' };
import { DataLimitExpectation, expectWithinDataLimits, historyLimitViolations } from './execution-limits';
import { MAX_CAUSE_LENGTH, Outcome } from './local-execution';
import { MockedResponse, MiniStack, SfnMockConfig } from './ministack';
import type { LimitViolation } from './step-functions-limits';
import { deciderEnvironment } from '../../src/decider/policy-defaults';
import type { Decision } from '../../src/decider/wire';

const ROOT = path.join(__dirname, '..', '..');
/** The decider exactly as it ships: the bundle that esbuild writes before compile. */
const DECIDER_BUNDLE_DIR = path.join(ROOT, 'assets', 'lambda', 'decider.lambda');
/** What the bundle is built from. */
const DECIDER_SOURCES = [path.join(ROOT, 'lambda'), path.join(ROOT, 'src', 'decider', 'wire.ts')];

const RUN_TASK_STATE = 'Run task';
const DECIDE_STATE = 'Decide retry';
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

/**
 * One execution to run in MiniStack: what each ECS attempt does, and the execution input. Set
 * `expectDataLimitExceeded` only for an execution that exceeds a Step Functions data limit on purpose.
 */
export interface MiniStackScenario extends DataLimitExpectation {
  readonly outcomes: Outcome[];
  readonly input?: unknown;
  /**
   * The outcomes of particular ECS task states, by state name, in place of `outcomes`: e.g. of
   * `Run task on fallback`, whose attempts MiniStack counts apart from those of `Run task`.
   */
  readonly outcomesByState?: Record<string, Outcome[]>;
  /**
   * Runs the execution with nothing mocked: its Task states call MiniStack's own services (its
   * ECS, which starts no containers here, so a `runTask.sync` ends in `States.Timeout`).
   * `outcomes` must then be empty.
   */
  readonly unmocked?: boolean;
}

/**
 * A message MiniStack's SNS delivered. Only its body: MiniStack 1.5.33 drops the message
 * attributes of a publish from Step Functions (it reads them only in the query-API form).
 */
export interface PublishedMessage {
  readonly body: string;
}

/** The observable result of an execution in MiniStack, in the terms of `LocalExecution`. */
export interface MiniStackExecution {
  readonly status: string;
  readonly output?: any;
  readonly error?: string;
  readonly cause?: string;
  /** How often an ECS task state was entered (at the top level: MiniStack logs no events inside a Map). */
  readonly runTaskCalls: number;
  /** Each decision the decider Lambda function returned, in order; none without a decider. */
  readonly decisions: Decision[];
  /** States entered, at the top level. */
  readonly transitions: number;
  /** The names of the states entered, in order, at the top level. */
  readonly statesEntered: string[];
  /** MiniStack's execution history, as `GetExecutionHistory` returns it. */
  readonly events: any[];
  /** The data limits the execution exceeded; empty unless `expectDataLimitExceeded`, since any other violation throws. */
  readonly dataLimitViolations: LimitViolation[];
}

/**
 * The mock configuration in which the ECS task state of `machineName` replays each scenario's
 * outcomes, one per attempt: a failure is thrown with its Error and Cause (cut as Step Functions
 * cuts it), a success returns its task description. One more attempt than the outcomes throws
 * `Test.OutcomesExhausted`, so an unexpected attempt never reaches MiniStack's own ECS emulation.
 *
 * `runTaskStates` names the ECS task states, e.g. `Job: Run task` for a fragment with its default
 * prefix. MiniStack counts the attempts of each state name across the whole execution, the items
 * of a Map included, so each named state replays the same outcomes from the first.
 */
export function runTaskMockConfig(
  machineName: string, scenarios: Record<string, MiniStackScenario>, runTaskStates: string[] = [RUN_TASK_STATE],
): SfnMockConfig {
  const responseName = (testCase: string, state: string) => `${testCase}: ${state}`;
  const mocked = (outcome: Outcome): MockedResponse => 'fail' in outcome
    ? { Throw: { Error: outcome.fail.Error, Cause: outcome.fail.Cause.slice(0, MAX_CAUSE_LENGTH) } }
    : { Return: outcome.succeed };
  const responses = (outcomes: Outcome[]) => ({
    ...Object.fromEntries(outcomes.map((outcome, i) => [String(i), mocked(outcome)])),
    [String(outcomes.length)]: { Throw: { Error: 'Test.OutcomesExhausted', Cause: `the ECS task ran more often than the ${outcomes.length} outcomes given` } },
  });
  return {
    StateMachines: {
      [machineName]: {
        TestCases: Object.fromEntries(Object.keys(scenarios).map((testCase) =>
          [testCase, Object.fromEntries(runTaskStates.map((state) => [state, responseName(testCase, state)]))])),
      },
    },
    MockedResponses: Object.fromEntries(Object.entries(scenarios).flatMap(([testCase, { outcomes, outcomesByState }]) =>
      runTaskStates.map((state) => [responseName(testCase, state), responses(outcomesByState?.[state] ?? outcomes)]))),
  };
}

/**
 * Creates the state machine in MiniStack, every Lambda function its `lambda:invoke` states name,
 * from the shipped decider bundle (the only function the construct's state machines invoke) with
 * the environment the construct gives it, and
 * each of `topics` (by the name the rendered definition's topic ARNs end in), which keeps what is
 * published to it for `publishedMessages`. Returns the state machine's ARN.
 */
export async function deployToMiniStack(
  ministack: MiniStack, machineName: string, definition: StateMachineDefinition, topics: string[] = [],
): Promise<string> {
  // `Decide retry` names the decider as its Resource; a notification's count of a lost message,
  // and earlier releases' `Decide retry`, invoke `lambda:invoke` with a FunctionName.
  const functionNames = new Set(Object.values(definition.States)
    .map((state: any) => (state.Resource === LAMBDA_INVOKE ? state.Parameters.FunctionName : /:lambda:.*:function:/.test(String(state.Resource)) ? state.Resource : undefined))
    .filter((arn) => arn !== undefined)
    .map((arn) => String(arn).split(':').pop()));
  if (functionNames.size > 0) {
    expectFreshDeciderBundle();
  }
  const answer = await ministack.call<{ stateMachineArn: string }>({
    command: 'deploy',
    functions: [...functionNames].map((name) => ({
      name, bundleDir: DECIDER_BUNDLE_DIR, handler: 'index.handler', runtime: 'nodejs24.x', environment: deciderEnvironment(),
    })),
    topics,
    stateMachine: { name: machineName, definition: withQueryLanguageOnCatchersAndRules(definition) },
  });
  return answer.stateMachineArn;
}

/**
 * Runs the scenarios in MiniStack, all at once, each as the test case of its name in the mock
 * configuration MiniStack was started with, and waits for every execution to end.
 *
 * Throws a `StepFunctionsLimitError` when an execution's history shows an input, output, task's
 * parameters or result, or variable over Step Functions' limits (`historyLimitViolations`),
 * unless its scenario has `expectDataLimitExceeded`. MiniStack records no state events inside a
 * Map or Parallel state, so only their tasks' parameters and results are checked there.
 */
export async function executeInMiniStack(
  ministack: MiniStack, stateMachineArn: string, scenarios: Record<string, MiniStackScenario>, runTaskStates: string[] = [RUN_TASK_STATE],
): Promise<Record<string, MiniStackExecution>> {
  const names = Object.keys(scenarios);
  const answer = await ministack.call<{ executions: any[] }>({
    command: 'execute',
    stateMachineArn,
    executions: names.map((testCase) => ({ ...(scenarios[testCase].unmocked ? {} : { testCase }), input: scenarios[testCase].input ?? {} })),
  });
  return Object.fromEntries(names.map((name, i) => {
    const summary = summarize(answer.executions[i], new Set(runTaskStates));
    const violations = historyLimitViolations(`execution ${JSON.stringify(name)} (MiniStack)`, summary.events);
    const execution = { ...summary, dataLimitViolations: expectWithinDataLimits(violations, 'An execution in MiniStack', scenarios[name]) };
    const { outcomes, outcomesByState } = scenarios[name];
    const given = outcomes.length + Object.values(outcomesByState ?? {}).reduce((sum, o) => sum + o.length, 0);
    if (!scenarios[name].unmocked && execution.runTaskCalls > given) {
      throw new Error(`${name}: the ECS task ran ${execution.runTaskCalls} times, more than the ${given} outcomes given`);
    }
    return [name, execution];
  }));
}

/**
 * The definition with each JSONata state's `QueryLanguage` repeated on its Catch entries and
 * Choice rules, which changes nothing on AWS. MiniStack 1.5.33 evaluates the `Assign` of a Catch
 * entry or a Choice rule only when the entry itself, or else the whole state machine, says
 * JSONata (`_apply_state_assign` reads the query language of the dict it is given): in a JSONPath
 * state machine it would skip the assignments of a JSONata state's Catch and Choice rules.
 */
function withQueryLanguageOnCatchersAndRules(definition: StateMachineDefinition): StateMachineDefinition {
  const copy = structuredClone(definition) as any;
  const visit = (container: any) => {
    for (const state of Object.values<any>(container?.States ?? {})) {
      if (state.QueryLanguage === 'JSONata') {
        for (const entry of [...(state.Catch ?? []), ...(state.Choices ?? [])]) {
          entry.QueryLanguage = 'JSONata';
        }
      }
      (state.Branches ?? []).forEach(visit);
      visit(state.ItemProcessor ?? state.Iterator);
    }
  };
  visit(copy);
  return copy;
}

/** Every message published to each of `topics` since the last call, by topic. */
export async function publishedMessages(ministack: MiniStack, topics: string[]): Promise<Record<string, PublishedMessage[]>> {
  return ministack.call({ command: 'messages', topics });
}

function summarize(execution: any, runTaskStates: Set<string>): Omit<MiniStackExecution, 'dataLimitViolations'> {
  let state = '';
  let runTaskCalls = 0;
  const statesEntered: string[] = [];
  const decisions: Decision[] = [];
  for (const event of execution.events) {
    if (String(event.type).endsWith('StateEntered')) {
      state = event.stateEnteredEventDetails.name;
      statesEntered.push(state);
      if (runTaskStates.has(state)) {
        runTaskCalls++;
      }
    }
    if (event.type === 'TaskSucceeded' && state === DECIDE_STATE) {
      // The decision itself, or (from `lambda:invoke`, as earlier releases invoked it) in `Payload`.
      const output = JSON.parse(event.taskSucceededEventDetails.output);
      decisions.push('Payload' in output && 'StatusCode' in output ? output.Payload : output);
    }
  }
  return {
    status: execution.status,
    // MiniStack also reports `{ Error, Cause }` as the output of a failed execution; Step Functions has none.
    output: execution.status === 'SUCCEEDED' ? execution.output : undefined,
    error: execution.error ?? undefined,
    cause: execution.cause ?? undefined,
    runTaskCalls,
    decisions,
    transitions: statesEntered.length,
    statesEntered,
    events: execution.events,
  };
}

/** MiniStack runs the bundle, so a bundle older than its sources would test yesterday's decider. */
function expectFreshDeciderBundle() {
  const bundle = path.join(DECIDER_BUNDLE_DIR, 'index.js');
  if (!fs.existsSync(bundle)) {
    throw new Error(`${path.relative(ROOT, bundle)} is missing: run \`npx projen bundle\` (\`npx projen test\` does) to bundle the decider.`);
  }
  const built = fs.statSync(bundle).mtimeMs;
  const stale = DECIDER_SOURCES.flatMap(sourceFiles).filter((file) => fs.statSync(file).mtimeMs > built);
  if (stale.length > 0) {
    throw new Error(`${path.relative(ROOT, bundle)} is older than ${stale.map((f) => path.relative(ROOT, f)).join(', ')}: run \`npx projen bundle\` to rebuild it.`);
  }
}

function sourceFiles(file: string): string[] {
  return fs.statSync(file).isDirectory()
    ? fs.readdirSync(file).flatMap((name) => sourceFiles(path.join(file, name)))
    : [file];
}
