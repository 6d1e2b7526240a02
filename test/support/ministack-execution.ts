import * as fs from 'fs';
import * as path from 'path';
import type { StateMachineDefinition } from 'aws-local-stepfunctions' with { 'resolution-mode': 'require' };
import { MAX_CAUSE_LENGTH, Outcome } from './local-execution';
import { MockedResponse, MiniStack, SfnMockConfig } from './ministack';
import type { Decision } from '../../src/decider/wire';

const ROOT = path.join(__dirname, '..', '..');
/** The decider exactly as it ships: the bundle that esbuild writes before compile. */
const DECIDER_BUNDLE_DIR = path.join(ROOT, 'assets', 'lambda', 'decider.lambda');
/** What the bundle is built from. */
const DECIDER_SOURCES = [path.join(ROOT, 'lambda'), path.join(ROOT, 'src', 'decider', 'wire.ts')];

const RUN_TASK_STATE = 'Run task';
const DECIDE_STATE = 'Decide retry';
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

/** One execution to run in MiniStack: what each ECS attempt does, and the execution input. */
export interface MiniStackScenario {
  readonly outcomes: Outcome[];
  readonly input?: unknown;
}

/** The observable result of an execution in MiniStack, in the terms of `LocalExecution`. */
export interface MiniStackExecution {
  readonly status: string;
  readonly output?: any;
  readonly error?: string;
  readonly cause?: string;
  /** How often the ECS task state was entered. */
  readonly runTaskCalls: number;
  /** Each decision the decider Lambda function returned, in order. */
  readonly decisions: Decision[];
  /** States entered. */
  readonly transitions: number;
  /** MiniStack's execution history, as `GetExecutionHistory` returns it. */
  readonly events: any[];
}

/**
 * The mock configuration in which the ECS task state of `machineName` replays each scenario's
 * outcomes, one per attempt: a failure is thrown with its Error and Cause (cut as Step Functions
 * cuts it), a success returns its task description. One more attempt than the outcomes throws
 * `Test.OutcomesExhausted`, so an unexpected attempt never reaches MiniStack's own ECS emulation.
 */
export function runTaskMockConfig(machineName: string, scenarios: Record<string, MiniStackScenario>): SfnMockConfig {
  const responseName = (testCase: string) => `${testCase}: ${RUN_TASK_STATE}`;
  const mocked = (outcome: Outcome): MockedResponse => 'fail' in outcome
    ? { Throw: { Error: outcome.fail.Error, Cause: outcome.fail.Cause.slice(0, MAX_CAUSE_LENGTH) } }
    : { Return: outcome.succeed };
  return {
    StateMachines: {
      [machineName]: {
        TestCases: Object.fromEntries(Object.keys(scenarios).map((testCase) => [testCase, { [RUN_TASK_STATE]: responseName(testCase) }])),
      },
    },
    MockedResponses: Object.fromEntries(Object.entries(scenarios).map(([testCase, { outcomes }]) => [responseName(testCase), {
      ...Object.fromEntries(outcomes.map((outcome, i) => [String(i), mocked(outcome)])),
      [String(outcomes.length)]: { Throw: { Error: 'Test.OutcomesExhausted', Cause: `the ECS task ran more often than the ${outcomes.length} outcomes given` } },
    }])),
  };
}

/**
 * Creates the state machine in MiniStack, and every Lambda function its `lambda:invoke` states
 * name, from the shipped decider bundle (the only function the construct's state machines invoke).
 * Returns the state machine's ARN.
 */
export async function deployToMiniStack(ministack: MiniStack, machineName: string, definition: StateMachineDefinition): Promise<string> {
  expectFreshDeciderBundle();
  const functionNames = new Set(Object.values(definition.States)
    .filter((state: any) => state.Resource === LAMBDA_INVOKE)
    .map((state: any) => String(state.Parameters.FunctionName).split(':').pop()));
  const answer = await ministack.call<{ stateMachineArn: string }>({
    command: 'deploy',
    functions: [...functionNames].map((name) => ({ name, bundleDir: DECIDER_BUNDLE_DIR, handler: 'index.handler', runtime: 'nodejs24.x' })),
    stateMachine: { name: machineName, definition },
  });
  return answer.stateMachineArn;
}

/**
 * Runs the scenarios in MiniStack, all at once, each as the test case of its name in the mock
 * configuration MiniStack was started with, and waits for every execution to end.
 */
export async function executeInMiniStack(
  ministack: MiniStack, stateMachineArn: string, scenarios: Record<string, MiniStackScenario>,
): Promise<Record<string, MiniStackExecution>> {
  const names = Object.keys(scenarios);
  const answer = await ministack.call<{ executions: any[] }>({
    command: 'execute',
    stateMachineArn,
    executions: names.map((testCase) => ({ testCase, input: scenarios[testCase].input ?? {} })),
  });
  return Object.fromEntries(names.map((name, i) => {
    const execution = summarize(answer.executions[i]);
    if (execution.runTaskCalls > scenarios[name].outcomes.length) {
      throw new Error(`${name}: the ECS task ran ${execution.runTaskCalls} times, more than the ${scenarios[name].outcomes.length} outcomes given`);
    }
    return [name, execution];
  }));
}

function summarize(execution: any): MiniStackExecution {
  let state = '';
  let runTaskCalls = 0;
  let transitions = 0;
  const decisions: Decision[] = [];
  for (const event of execution.events) {
    if (String(event.type).endsWith('StateEntered')) {
      state = event.stateEnteredEventDetails.name;
      transitions++;
      if (state === RUN_TASK_STATE) {
        runTaskCalls++;
      }
    }
    if (event.type === 'TaskSucceeded' && state === DECIDE_STATE) {
      decisions.push(JSON.parse(event.taskSucceededEventDetails.output).Payload);
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
    transitions,
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
