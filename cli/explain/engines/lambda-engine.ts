import { POLICY_DEFAULTS } from '../../../src/decider/policy-defaults';
import { wholePolicy } from '../../../src/decider/whole-policy';
import type { Decision, PolicyDefaults } from '../../../src/decider/wire';
import { detail, parseEmbeddedJson } from '../history-events';
import type { DecisionEngine, DecisionInputs, EngineReading } from './decision-engine';

/** Where the defaults that a `LAMBDA` run's policy was merged with came from. */
export interface DefaultsSource {
  readonly defaults: PolicyDefaults;
  /** E.g. `the decider function's environment in the template`. */
  readonly from: string;
}

/** The defaults this command was built with, the same as the decider's of the same release. */
export const OWN_DEFAULTS: DefaultsSource = { defaults: POLICY_DEFAULTS, from: 'the defaults of this version of explain' };

/** A `LAMBDA` run's policy, made whole from the diff that `Decide retry` sends. */
export interface ReconstructedPolicy {
  /** The whole policy; the diff as sent when its defaults are unknown. */
  readonly policy: unknown;
  /** The id of the defaults of a diff, and where they were found; absent for a whole policy. */
  readonly defaults?: { readonly id: string; readonly from?: string };
}

/**
 * The policy a `LAMBDA` run decided with, from the `policy` of its decider payload: a whole policy
 * (as releases before the diff sent it) as it is, or a diff merged over the first of `sources`
 * whose defaults it names, exactly as the decider merges it. A diff from none of them stays as
 * sent, with no `from`: nothing here knows its defaults.
 */
export function reconstructPolicy(sent: unknown, sources: readonly DefaultsSource[]): ReconstructedPolicy {
  const id = isRecord(sent) && sent.defaultsId !== undefined ? String(sent.defaultsId) : undefined;
  if (id === undefined) {
    return { policy: sent };
  }
  const source = sources.find((s) => s.defaults.id === id);
  return source
    ? { policy: wholePolicy(sent, source.defaults).policy, defaults: { id, from: source.from } }
    : { policy: sent, defaults: { id } };
}

/** The events of an invocation that failed, in both forms of `Decide retry` (see `LAMBDA_ENGINE`). */
const INVOCATION_FAILURES = new Set([
  'TaskFailed', 'TaskTimedOut',
  'LambdaFunctionFailed', 'LambdaFunctionTimedOut', 'LambdaFunctionScheduleFailed', 'LambdaFunctionStartFailed',
]);

/**
 * The `LAMBDA` engine: after a failed attempt the `Decide retry` state invokes the stack's
 * decider function. This release's state names the function as its `Resource`: its
 * `LambdaFunctionScheduled` event carries the invocation payload (`run`, `policy`, `attempt`,
 * `error`, `history`, `placement`) as its `input`, and its `LambdaFunctionSucceeded` event the
 * decision as its `output`. Earlier releases' state invoked `lambda:invoke`: its `TaskScheduled`
 * event carries `{ FunctionName, Payload }` as its `parameters`, and its `TaskSucceeded` event
 * the function's answer, whose `Payload` is the decision. Both are read. A successful attempt goes
 * on to `Record result`.
 */
export const LAMBDA_ENGINE: DecisionEngine = {
  name: 'LAMBDA',
  read(_attempt, following) {
    const decide = following.find((v) => v.role === 'decide');
    if (!decide) {
      return undefined;
    }
    const events = decide.visit.events;
    // Lambda.TooManyRequestsException is retried within the state: the last invocation counts.
    const scheduled = [...events].reverse().find((e) => e.type === 'TaskScheduled' || e.type === 'LambdaFunctionScheduled');
    const succeeded = [...events].reverse().find((e) => e.type === 'TaskSucceeded' || e.type === 'LambdaFunctionSucceeded');
    const failed = [...events].reverse().find((e) => INVOCATION_FAILURES.has(e.type));

    const payload = scheduled?.type === 'TaskScheduled'
      ? field(parseEmbeddedJson(detail(scheduled, 'parameters')), 'Payload')
      : parseEmbeddedJson(detail(scheduled, 'input'));
    const inputs: DecisionInputs | undefined = isRecord(payload)
      ? {
        run: typeof payload.run === 'string' ? payload.run : undefined,
        // A history holds what the decider was sent, not its environment: this command's own
        // defaults make a diff whole when they are the ones it names.
        policy: reconstructPolicy(payload.policy, [OWN_DEFAULTS]).policy,
        attempt: payload.attempt,
        error: payload.error,
        history: payload.history,
        placement: payload.placement,
      }
      : undefined;

    const output = parseEmbeddedJson(detail(succeeded, 'output'));
    const answer = succeeded?.type === 'TaskSucceeded' ? field(output, 'Payload') : output;
    const reading: EngineReading = { engine: 'LAMBDA', ...(inputs ? { inputs } : {}) };
    if (succeeded && isRecord(answer)) {
      return { ...reading, decision: answer as unknown as Decision };
    }
    if (failed && !succeeded) {
      const error = detail(failed, 'error') ?? 'an unnamed error';
      return { ...reading, problem: `The decider failed with ${error} after its retries${cut(detail(failed, 'cause'))}.` };
    }
    if (succeeded) {
      return { ...reading, problem: 'The decider answered, but the history does not hold its answer (was it read without execution data?).' };
    }
    return { ...reading, problem: 'The decider was invoked, but the history ends before it answered.' };
  },
  recognizes(trace) {
    return trace.visits.some((v) => v.role === 'decide' || v.role === 'recordResult' || v.role === 'deciderFailed');
  },
};

/** A cause of at most 200 characters: its head and its end, where what went wrong usually is. */
function cut(cause: string | undefined): string {
  return cause === undefined || cause === '' ? '' : `: ${cause.length > 200 ? `${cause.slice(0, 100)} … ${cause.slice(-99)}` : cause}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}
