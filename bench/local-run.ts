/**
 * Executes any synthesized state machine in aws-local-stepfunctions with its ECS task replaying
 * outcomes, its Lambda states running local handlers, and waits and retry intervals taking no time.
 *
 * `test/support/local-execution.ts` does this for our construct; the baselines have other state
 * names and native retries, so they need this more general version. Ours is also run through it
 * once, to check that both count alike.
 */
import * as vm from 'vm';
import type { StateMachineDefinition } from 'aws-local-stepfunctions' with { 'resolution-mode': 'require' };
import { SEED_HANDLER_SOURCE } from './baselines';
import { MAX_CAUSE_LENGTH, Outcome } from '../test/support/local-execution';

// The package's type declarations are ESM-only, so a plain import does not type-check from CommonJS; its CommonJS build is what runs.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StateMachine }: typeof import('aws-local-stepfunctions', { with: { 'resolution-mode': 'require' } }) = require('aws-local-stepfunctions');

export interface LocalRunOptions {
  readonly outcomes: Outcome[];
  /** Name of the state that runs the ECS task. */
  readonly runTaskState: string;
  /** Lambda invoke states by name, with the handler each runs (it gets the invocation payload). */
  readonly lambdaStates?: Record<string, (payload: any) => Promise<unknown>>;
  /** Wait states, which are skipped. */
  readonly waitStates?: string[];
  /**
   * Whether a failure's Cause is cut to MAX_CAUSE_LENGTH characters, as Step Functions does.
   * Off only to show what the cut protects against.
   *
   * @default true
   */
  readonly cutCause?: boolean;
}

export interface LocalRun {
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** What Standard Workflows bill: every state entered, plus every native retry. */
  readonly transitions: number;
  readonly statesEntered: number;
  readonly nativeRetries: number;
  readonly lambdaInvocations: number;
  readonly runTaskCalls: number;
  /** Largest state input or output, in bytes of JSON, as `executeLocally` measures it. */
  readonly peakStateBytes: number;
  /** The execution's output, when it succeeded. */
  readonly output?: unknown;
}

/**
 * Unlike `executeLocally`, this does not fail an execution over Step Functions' data limits
 * (test/support/execution-limits.ts): it runs the baselines and the what-ifs that bench/payload.ts
 * measures against the limit, some beyond it on purpose, and reports `peakStateBytes` instead.
 */
export async function runLocally(definition: StateMachineDefinition, options: LocalRunOptions): Promise<LocalRun> {
  const outcomes = [...options.outcomes];
  let runTaskCalls = 0;
  let lambdaInvocations = 0;

  const runTask = async () => {
    runTaskCalls++;
    const outcome = outcomes.shift();
    if (!outcome) {
      throw new Error(`the ECS task ran more often than the ${runTaskCalls - 1} outcomes given`);
    }
    if ('fail' in outcome) {
      // Step Functions keeps only the first MAX_CAUSE_LENGTH characters of a Cause, as executeLocally does.
      const error = new Error(options.cutCause === false ? outcome.fail.Cause : outcome.fail.Cause.slice(0, MAX_CAUSE_LENGTH));
      error.name = outcome.fail.Error;
      throw error;
    }
    return outcome.succeed as any;
  };
  const lambdaHandlers = Object.fromEntries(Object.entries(options.lambdaStates ?? {}).map(([name, handler]) => [
    name,
    async (input: any) => {
      lambdaInvocations++;
      // `lambda:invoke` (the seed-shaped design) wraps the payload and the answer; our `Decide retry`
      // names the function as its Resource, which passes both as they are.
      if (!String((definition.States[name] as any)?.Resource).includes(':states:::lambda:invoke')) {
        return await handler(input) as any;
      }
      return { StatusCode: 200, Payload: await handler(input.Payload) } as any;
    },
  ]));
  const retryableStates = Object.keys(definition.States);

  const machine = new StateMachine(definition, { validationOptions: { checkArn: false } });
  const execution = machine.run({}, {
    context: { Execution: { Id: 'arn:aws:states:us-east-1:123456789012:execution:bench:local' } },
    overrides: {
      taskResourceLocalHandlers: { [options.runTaskState]: runTask, ...lambdaHandlers },
      waitTimeOverrides: Object.fromEntries((options.waitStates ?? []).map((name) => [name, 0])),
      retryIntervalOverrides: Object.fromEntries(retryableStates.map((name) => [name, 0])),
    },
  });

  let statesEntered = 0;
  let nativeRetries = 0;
  let peakStateBytes = 0;
  const observed = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') {
        statesEntered++;
      } else if (event.type === 'StateRetried') {
        nativeRetries++;
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

  let status: LocalRun['status'] = 'SUCCEEDED';
  let output: unknown;
  try {
    output = await execution.result;
  } catch {
    status = 'FAILED';
  }
  await observed;
  return {
    status,
    transitions: statesEntered + nativeRetries,
    statesEntered,
    nativeRetries,
    lambdaInvocations,
    runTaskCalls,
    peakStateBytes,
    output,
  };
}

/** The seed-shaped handler, evaluated from the same source text its Lambda function inlines. */
export function seedHandlerFromSource(): (event: any) => Promise<any> {
  const sandbox: { exports: any } = { exports: {} };
  vm.runInNewContext(SEED_HANDLER_SOURCE, sandbox);
  return sandbox.exports.handler;
}

/** Runs `fn` with stdout silenced: the real decider writes one log line per decision. */
export async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}
