import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions' with { 'resolution-mode': 'require' };
import { expectValidAsl } from './asl-validation';
import { templateLimitViolations } from './definition-limits';
import { currentTestName, DataLimitExpectation, expectWithinDataLimits, localExecutionViolations } from './execution-limits';
import type { EcsFailure } from './fixtures';
import { renderIntrinsic } from './intrinsics';
import { LimitViolation, StepFunctionsLimitError } from './step-functions-limits';
import { handler as decider } from '../../lambda/decider-handler';
import { deciderEnvironment } from '../../src/decider/policy-defaults';
import type { Decision } from '../../src/decider/wire';

// The decider runs in this process with the environment the construct gives its function.
Object.assign(process.env, deciderEnvironment());

// The package declares ESM-only types, so a plain import does not type-check from CommonJS; its
// CommonJS build is what runs.
type LocalStepFunctions = typeof import('aws-local-stepfunctions', { with: { 'resolution-mode': 'require' } });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ExecutionError, StateMachine }: LocalStepFunctions = require('aws-local-stepfunctions');

/**
 * The state machine definition of a synthesized stack as plain ASL: CloudFormation's
 * `Fn::Join`, `Ref` and `Fn::GetAtt` rendered to fixed strings, as they would be after deploy.
 * Throws unless asl-validator accepts the result.
 */
export function renderedDefinition(stack: Stack, logicalIdPrefix?: string): StateMachineDefinition {
  const machines = Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine');
  const ids = Object.keys(machines).filter((id) => !logicalIdPrefix || id.startsWith(logicalIdPrefix));
  if (ids.length !== 1) {
    throw new Error(`expected one state machine${logicalIdPrefix ? ` starting with ${logicalIdPrefix}` : ''}, found: ${ids.join(', ')}`);
  }
  const definition = JSON.parse(renderIntrinsic(machines[ids[0]].Properties.DefinitionString));
  // Every definition a test looks at or runs must also be one Step Functions would accept.
  expectValidAsl(definition, `The definition of state machine ${ids[0]}`);
  // In Jest, Template.fromStack has checked the limits already (synthesis-limits.ts); bench/ has no such hook.
  const violations = templateLimitViolations({ Resources: { [ids[0]]: machines[ids[0]] } }, stack.stackName);
  if (violations.length > 0) {
    throw new StepFunctionsLimitError(violations, `The definition of state machine ${ids[0]}`);
  }
  return definition;
}

/**
 * Step Functions keeps at most this many characters of a task failure's Cause, so a stopped task
 * with a huge stopped reason reaches the Catch cut short; the local run does the same.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_TaskFailedEventDetails.html
 */
export const MAX_CAUSE_LENGTH = 32_768;

/** What one attempt of the ECS task does: succeed with a task description, or fail. */
export type Outcome = { readonly succeed: Record<string, unknown> } | { readonly fail: EcsFailure };

/** The observable result of a local execution. */
export interface LocalExecution {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: any;
  readonly error?: string;
  readonly cause?: string;
  /** How often the ECS task state ran. */
  readonly runTaskCalls: number;
  /** The input each ECS task attempt received (after Parameters), in order. */
  readonly runTaskInputs: any[];
  /** Each decision the decider returned, in order. */
  readonly decisions: Decision[];
  /** Messages published to SNS, in order, including attempts that `publish` made fail. */
  readonly published: any[];
  /** Lost notifications the state machine reported to the decider, in order. */
  readonly lostNotifications: any[];
  /** State transitions: states entered, which is what Step Functions Standard bills. */
  readonly transitions: number;
  /** Largest state input or output of the execution, in bytes of JSON (UTF-8). */
  readonly peakStateBytes: number;
  /** Every event aws-local-stepfunctions logged, in order (see `toExecutionHistory`). */
  readonly eventLog: any[];
  /** Every Task state's call, in order: what it was given (after Parameters) and what it returned or threw. */
  readonly taskCalls: TaskCall[];
  /** The data limits the execution exceeded; empty unless `expectDataLimitExceeded`, since any other violation throws. */
  readonly dataLimitViolations: LimitViolation[];
}

/** One call of a Task state's resource. */
export interface TaskCall {
  readonly state: string;
  readonly input: unknown;
  readonly output?: unknown;
  readonly error?: { readonly Error: string; readonly Cause: string };
}

/** Options for `executeLocally`. */
export interface ExecuteOptions extends DataLimitExpectation {
  /**
   * Names the execution in messages.
   *
   * @default - the current Jest test's name
   */
  readonly name?: string;
  /** Outcome of each ECS attempt, in order; running out fails the test. */
  readonly outcomes: Outcome[];
  readonly input?: unknown;
  /** State-name prefixes of the embedded runs to override; one entry per run in the workflow. */
  readonly statePrefixes?: string[];
  /** Replaces the decider, to simulate a misbehaving or failing decider. */
  readonly decider?: (payload: any) => Promise<unknown>;
  /** Replaces SNS publishing, e.g. to throw; the default records the message and succeeds. */
  readonly publish?: (input: any) => Promise<unknown>;
  /**
   * The context object (`$$`).
   *
   * @default - an execution id
   */
  readonly context?: Record<string, unknown>;
}

/**
 * Runs a definition in aws-local-stepfunctions. The ECS task state replays `outcomes`, the
 * decider state runs the real decider handler, waits take no time, and SNS publishes are recorded.
 *
 * Throws a `StepFunctionsLimitError` when an input, output or task's parameters or result
 * exceeds Step Functions' data limit (`localExecutionViolations`), which Step Functions would
 * fail with `States.DataLimitExceeded`, unless `expectDataLimitExceeded`.
 */
export async function executeLocally(definition: StateMachineDefinition, options: ExecuteOptions): Promise<LocalExecution> {
  const prefixes = options.statePrefixes ?? [''];
  const outcomes = [...options.outcomes];
  const runTaskInputs: any[] = [];
  const decisions: Decision[] = [];
  const published: any[] = [];
  const lostNotifications: any[] = [];
  const deciderFn = options.decider ?? decider;

  const snsStates = Object.entries(definition.States)
    .filter(([, s]) => (s as any).Resource?.includes(':states:::sns:publish'))
    .map(([name]) => name);
  const countStates = Object.keys(definition.States).filter((name) => /Count lost .* notification$/.test(name));

  const taskCalls: TaskCall[] = [];
  /** The handler of one Task state, recording each call. */
  const recorded = (state: string, handler: (input: any) => Promise<any>) => async (input: any) => {
    try {
      const output = await handler(input);
      taskCalls.push({ state, input, output });
      return output;
    } catch (e) {
      taskCalls.push({ state, input, error: { Error: (e as Error).name, Cause: (e as Error).message } });
      throw e;
    }
  };
  const runTask = async (input: any) => {
    runTaskInputs.push(input);
    const outcome = outcomes.shift();
    if (!outcome) {
      throw new Error(`the ECS task ran more often than the ${runTaskInputs.length - 1} outcomes given`);
    }
    if ('fail' in outcome) {
      const error = new Error(outcome.fail.Cause.slice(0, MAX_CAUSE_LENGTH));
      error.name = outcome.fail.Error;
      throw error;
    }
    return outcome.succeed as any;
  };
  // `Decide retry` names the decider as its Resource: the payload is the state's input, the answer
  // its result. A definition of an earlier release invokes `lambda:invoke`, which wraps both.
  const decide = (state: string) => async (input: any) => {
    const wrapped = String(stateNamed(definition, state)?.Resource).includes(':states:::lambda:invoke');
    const decision = await deciderFn(wrapped ? input.Payload : input);
    decisions.push(decision as Decision);
    return (wrapped ? { StatusCode: 200, Payload: decision } : decision) as any;
  };

  // renderedDefinition() has validated the definition with asl-validator; validating again costs 0.2–0.5 s a run.
  const machine = new StateMachine(definition, { validationOptions: { noValidate: true } });
  const execution = machine.run((options.input ?? {}) as Parameters<typeof machine.run>[0], {
    context: options.context ?? { Execution: { Id: 'arn:aws:states:us-east-1:123456789012:execution:test:local' } },
    overrides: {
      taskResourceLocalHandlers: {
        ...Object.fromEntries(prefixes.flatMap((prefix) => [
          [`${prefix}Run task`, recorded(`${prefix}Run task`, runTask)],
          [`${prefix}Run task on fallback`, recorded(`${prefix}Run task on fallback`, runTask)],
          [`${prefix}Decide retry`, recorded(`${prefix}Decide retry`, decide(`${prefix}Decide retry`))],
        ])),
        ...Object.fromEntries(snsStates.map((name) => [name, recorded(name, async (input: any) => {
          published.push(input);
          return options.publish ? options.publish(input) as any : { MessageId: `m-${published.length}` };
        })])),
        ...Object.fromEntries(countStates.map((name) => [name, recorded(name, async (input: any) => {
          lostNotifications.push(input.Payload.lostNotification);
          return { StatusCode: 200, Payload: await deciderFn(input.Payload) } as any;
        })])),
      },
      waitTimeOverrides: Object.fromEntries(prefixes.map((prefix) => [`${prefix}Back off`, 0])),
      retryIntervalOverrides: {
        ...Object.fromEntries(prefixes.map((prefix) => [`${prefix}Decide retry`, 0])),
        ...Object.fromEntries([...snsStates, ...countStates].map((name) => [name, 0])),
      },
    },
  });
  let transitions = 0;
  let peakStateBytes = 0;
  const eventLog: any[] = [];
  const observed = (async () => {
    for await (const event of execution.eventLogs) {
      eventLog.push(event);
      if (event.type === 'StateEntered') {
        transitions++;
      }
      if ('state' in event) {
        for (const data of [event.state.input, event.state.output]) {
          if (data !== undefined) {
            peakStateBytes = Math.max(peakStateBytes, Buffer.byteLength(JSON.stringify(data)));
          }
        }
      }
    }
  })();

  const common = () => {
    const name = options.name ?? currentTestName() ?? 'local execution';
    const violations = localExecutionViolations(`execution ${JSON.stringify(name)} (aws-local-stepfunctions)`, eventLog, taskCalls);
    const dataLimitViolations = expectWithinDataLimits(violations, 'An execution in aws-local-stepfunctions', options);
    const runTaskCalls = runTaskInputs.length;
    return {
      runTaskCalls, runTaskInputs, decisions, published, lostNotifications, transitions, peakStateBytes, eventLog, taskCalls, dataLimitViolations,
    };
  };
  let output: any;
  try {
    output = await execution.result;
  } catch (e) {
    if (!(e instanceof ExecutionError)) {
      throw e;
    }
    await observed;
    const cause = (e as any).cause as Error;
    return { status: 'FAILED', error: cause.name, cause: cause.message, ...common() };
  }
  await observed;
  return { status: 'SUCCEEDED', output, ...common() };
}

/** The state of that name anywhere in the definition: at the top, in a Map's item processor, in a Parallel branch. */
function stateNamed(machine: any, name: string): any {
  for (const [stateName, state] of Object.entries<any>(machine?.States ?? {})) {
    if (stateName === name) {
      return state;
    }
    for (const inner of [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])]) {
      const found = inner && stateNamed(inner, name);
      if (found) {
        return found;
      }
    }
  }
  return undefined;
}
