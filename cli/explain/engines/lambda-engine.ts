import type { Decision } from '../../../src/decider/wire';
import { detail, parseEmbeddedJson } from '../history-events';
import type { DecisionEngine, DecisionInputs, EngineReading } from './decision-engine';

/**
 * The `LAMBDA` engine: after a failed attempt the `Decide retry` state invokes the stack's
 * decider function. Its `TaskScheduled` event carries the invocation payload (`run`, `policy`,
 * `attempt`, `error`, `history`, `placement`), and its `TaskSucceeded` event the function's
 * answer, whose `Payload` is the decision. A successful attempt goes on to `Record result`.
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
    const scheduled = [...events].reverse().find((e) => e.type === 'TaskScheduled');
    const succeeded = [...events].reverse().find((e) => e.type === 'TaskSucceeded');
    const failed = [...events].reverse().find((e) => e.type === 'TaskFailed' || e.type === 'TaskTimedOut');

    const parameters = parseEmbeddedJson(detail(scheduled, 'parameters'));
    const payload = field(parameters, 'Payload');
    const inputs: DecisionInputs | undefined = isRecord(payload)
      ? {
        run: typeof payload.run === 'string' ? payload.run : undefined,
        policy: payload.policy,
        attempt: payload.attempt,
        error: payload.error,
        history: payload.history,
        placement: payload.placement,
      }
      : undefined;

    const answer = field(parseEmbeddedJson(detail(succeeded, 'output')), 'Payload');
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
