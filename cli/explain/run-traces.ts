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
function runPrefixes(visits: StateVisit[]): Set<string> {
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
  return prefixes;
}

/** Each state name a run gives a role, without its prefix: `Run task`, `Not retryable (notification lost)`, … */
const ROLE_SUFFIXES: ReadonlyArray<{ readonly suffix: string; readonly role: Omit<RoleVisit, 'visit'> }> = (Object.keys(ROLE_NAMES) as Role[]).flatMap((role) => [
  { suffix: ROLE_NAMES[role], role: { role } },
  ...(isFailRole(role) ? [{ suffix: `${ROLE_NAMES[role]}${NOTIFICATION_LOST}`, role: { role, notificationLost: true } }] : []),
]);

/**
 * The run and role of a state, by the role names it ends with: a few lookups a state, however
 * many runs the history holds. The longest prefix wins: `Load: Run task` belongs to `Load: `,
 * not to a standalone run's `''`.
 */
function matchRole(name: string, prefixes: ReadonlySet<string>): { prefix: string; role: Omit<RoleVisit, 'visit'> } | undefined {
  let best: { prefix: string; role: Omit<RoleVisit, 'visit'> } | undefined;
  for (const { suffix, role } of ROLE_SUFFIXES) {
    if (name.endsWith(suffix)) {
      const prefix = name.slice(0, name.length - suffix.length);
      if (prefixes.has(prefix) && (best === undefined || prefix.length > best.prefix.length)) {
        best = { prefix, role };
      }
    }
  }
  return best;
}

/** The Fail states a run ends in. */
export function isFailRole(role: Role): boolean {
  return role === 'attemptsExhausted' || role === 'notRetryable' || role === 'invalidDecision' || role === 'deciderFailed';
}
