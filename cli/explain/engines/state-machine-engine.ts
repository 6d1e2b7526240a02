import type { Decision } from '../../../src/decider/wire';
import { detail, parseEmbeddedJson } from '../history-events';
import { ROLE_NAMES, type RoleVisit } from '../run-traces';
import type { DecisionEngine, EngineReading } from './decision-engine';

/** How deep `explain` looks into a state's input for the decision: a result path has a few fields. */
const MAX_DEPTH = 32;

const TASK_FAILURES = new Set(['TaskFailed', 'TaskTimedOut', 'TaskStartFailed', 'TaskSubmitFailed']);

/**
 * The `STATE_MACHINE` engine: JSONata states, no Lambda function. The Catch of `Run task`
 * evaluates the decision (the Lambda decider's `Decision`, same fields) and puts it into the
 * state at `<resultPath>.failures`, so the history shows it in the input of `Retry or fail`,
 * the Choice that acts on it (and in the output of the failed `Run task`). There is no
 * invocation: the history names neither the run's construct path nor its policy, which is in
 * the definition only (`Retry or fail`'s Comment), so a decision is shown as recorded and not
 * decided again. A successful attempt ends the run: there is no `Record result`.
 */
export const STATE_MACHINE_ENGINE: DecisionEngine = {
  name: 'STATE_MACHINE',
  read(attempt, following) {
    if (following.some((v) => v.role === 'decide')) {
      return undefined;
    }
    const retryOrFail = following.find((v) => v.role === 'retryOrFail');
    const before = parseEmbeddedJson(detail(attempt.visit.entered, 'input'));
    const entered = retryOrFail ? detail(retryOrFail.visit.entered, 'input') : undefined;
    // Without `Retry or fail` (the history ends first), the Catch's output holds the same decision.
    const text = entered ?? detail(attempt.visit.exited, 'output');
    const found = findDecision(parseEmbeddedJson(text), before);
    if (!retryOrFail && !found) {
      return undefined;
    }
    const reading: EngineReading = { engine: 'STATE_MACHINE' };
    if (found) {
      return { ...reading, decision: found as unknown as Decision };
    }
    if (text === undefined) {
      return { ...reading, problem: `The history does not hold the input of "${retryOrFail!.visit.name}", where the decision is (was it read without execution data?).` };
    }
    return { ...reading, problem: `The input of "${retryOrFail!.visit.name}" holds no decision (an object at <resultPath>.failures).` };
  },
  recognizes(trace, surroundings) {
    const roles = new Set(trace.visits.map((v) => v.role));
    if (roles.has('decide') || roles.has('recordResult') || roles.has('deciderFailed')) {
      return false;
    }
    if (roles.has('retryOrFail')) {
      return true;
    }
    // AWS shows the variables a state assigned; `Start attempts` assigns `retry_attempt`, or
    // `retry_<8 hex digits>_attempt` in a fragment.
    const start = trace.visits.find((v) => v.role === 'start');
    const assigned = start?.visit.exited?.details.assignedVariables;
    if (isRecord(assigned) && Object.keys(assigned).some((name) => /^retry(_[0-9a-f]{8})?_attempt$/.test(name))) {
      return true;
    }
    // The Lambda engine goes on to `Record result` after a successful attempt; this one does not.
    const last = [...trace.visits].reverse().find((v) => v.role === 'runTask' || v.role === 'runTaskOnFallback');
    if (!last || !succeeded(last)) {
      return false;
    }
    const next = surroundings.next(last.visit);
    return next ? next.name !== `${trace.prefix}${ROLE_NAMES.recordResult}` : surroundings.executionEnded;
  },
};

function succeeded(attempt: RoleVisit): boolean {
  const events = attempt.visit.events;
  return events.some((e) => e.type === 'TaskSucceeded')
    || (attempt.visit.exited !== undefined && attempt.visit.exited.type.endsWith('StateExited') && !events.some((e) => TASK_FAILURES.has(e.type)));
}

/**
 * The decision in a state's input: an object at a field `failures` with a decision's fields. The
 * result path is the run's and unknown here, so every object field is searched (arrays are not:
 * a result path names fields only). When several are found, e.g. the decision of a run nested in
 * another's Map item, the one that the failed attempt changed is the one made about it.
 */
export function findDecision(input: unknown, before: unknown): Record<string, unknown> | undefined {
  const found: Array<{ path: string[]; value: Record<string, unknown> }> = [];
  const walk = (value: unknown, path: string[]) => {
    if (!isRecord(value) || path.length > MAX_DEPTH) {
      return;
    }
    for (const [key, child] of Object.entries(value)) {
      if (key === 'failures' && isRecord(child) && ('retry' in child || 'retryable' in child || 'rule' in child)) {
        found.push({ path: [...path, key], value: child });
      }
      walk(child, [...path, key]);
    }
  };
  walk(input, []);
  const at = (value: unknown, path: string[]) => path.reduce<unknown>((v, key) => (isRecord(v) ? v[key] : undefined), value);
  const changed = found.find((f) => JSON.stringify(at(before, f.path)) !== JSON.stringify(f.value));
  return (changed ?? found[0])?.value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
