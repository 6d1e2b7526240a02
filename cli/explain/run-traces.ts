import type { Scope, StateVisit } from './state-visits';

/**
 * The states of a run, by what they do. A fragment prefixes each name (`${id}: ` by default); the
 * standalone construct does not. These are the names `RetryableEcsRunTaskFragment` gives its
 * states; both decision engines share `Start attempts`, `Run task` and `Back off`.
 */
export const ROLE_NAMES = {
  start: 'Start attempts',
  chooseTarget: 'Choose launch target',
  runTask: 'Run task',
  runTaskOnFallback: 'Run task on fallback',
  decide: 'Decide retry',
  retryOrFail: 'Retry or fail',
  backOff: 'Back off',
  nextAttempt: 'Next attempt',
  recordResult: 'Record result',
  attemptsExhausted: 'Attempts exhausted',
  notRetryable: 'Not retryable',
  invalidDecision: 'Invalid decision',
  deciderFailed: 'Decider failed',
} as const;

export type Role = keyof typeof ROLE_NAMES;

/** A Fail state's name with a lost failure notification, e.g. `Not retryable (notification lost)`. */
const NOTIFICATION_LOST = ' (notification lost)';

/** A state visit that belongs to a run, and what the state does. */
export interface RoleVisit {
  readonly role: Role;
  readonly visit: StateVisit;
  /** Only on a Fail state: the failure notification could not be published. */
  readonly notificationLost?: boolean;
}

/** The visits of one run of the retrying task, in one scope, in order. */
export interface RunTrace {
  /** The state-name prefix: `''` for the standalone construct, `Job: ` for a fragment `Job`. */
  readonly prefix: string;
  readonly scope: Scope;
  readonly visits: RoleVisit[];
}

/**
 * Finds the runs in a history: their prefixes from the names of their `Start attempts` and
 * `Run task` states, then, in each scope, a run for every `Start attempts`, to which the
 * prefix's other states in that scope belong until the next one.
 */
export function findRunTraces(visits: StateVisit[]): RunTrace[] {
  const prefixes = runPrefixes(visits);
  const traces: RunTrace[] = [];
  const current = new Map<Scope, Map<string, RunTrace>>();
  for (const visit of visits) {
    const match = matchRole(visit.name, prefixes);
    if (!match) {
      continue;
    }
    const inScope = current.get(visit.scope) ?? new Map<string, RunTrace>();
    current.set(visit.scope, inScope);
    let trace = inScope.get(match.prefix);
    if (!trace || match.role.role === 'start') {
      trace = { prefix: match.prefix, scope: visit.scope, visits: [] };
      inScope.set(match.prefix, trace);
      traces.push(trace);
    }
    trace.visits.push({ ...match.role, visit });
  }
  return traces;
}

/**
 * The prefixes of the runs in a history. A name ending in `Run task` makes a prefix only with
 * another state of the run beside it, so that a workflow's own state called `Run task` is not
 * taken for a run.
 */
function runPrefixes(visits: StateVisit[]): string[] {
  const names = new Set(visits.map((v) => v.name));
  const prefixes = new Set<string>();
  for (const name of names) {
    if (name.endsWith(ROLE_NAMES.start)) {
      prefixes.add(name.slice(0, -ROLE_NAMES.start.length));
    }
    for (const run of [ROLE_NAMES.runTask, ROLE_NAMES.runTaskOnFallback]) {
      if (name.endsWith(run)) {
        const prefix = name.slice(0, -run.length);
        if ([ROLE_NAMES.decide, ROLE_NAMES.retryOrFail, ROLE_NAMES.recordResult, ROLE_NAMES.backOff].some((r) => names.has(prefix + r))) {
          prefixes.add(prefix);
        }
      }
    }
  }
  // The longest first: `Load: Run task` belongs to `Load: `, not to a standalone run's `''`.
  return [...prefixes].sort((a, b) => b.length - a.length);
}

function matchRole(name: string, prefixes: string[]): { prefix: string; role: Omit<RoleVisit, 'visit'> } | undefined {
  for (const prefix of prefixes) {
    if (!name.startsWith(prefix)) {
      continue;
    }
    let rest = name.slice(prefix.length);
    const notificationLost = rest.endsWith(NOTIFICATION_LOST);
    if (notificationLost) {
      rest = rest.slice(0, -NOTIFICATION_LOST.length);
    }
    const role = (Object.keys(ROLE_NAMES) as Role[]).find((r) => ROLE_NAMES[r] === rest);
    if (role !== undefined && (!notificationLost || isFailRole(role))) {
      return { prefix, role: notificationLost ? { role, notificationLost } : { role } };
    }
  }
  return undefined;
}

/** The Fail states a run ends in. */
export function isFailRole(role: Role): boolean {
  return role === 'attemptsExhausted' || role === 'notRetryable' || role === 'invalidDecision' || role === 'deciderFailed';
}
