import type { ExecutionHistory, HistoryEvent } from './history-events';

/**
 * Where a state runs: the execution itself, one iteration of an inline Map (one item), or one
 * branch of a Parallel state. States in one scope run one after another; scopes run side by side,
 * and their events interleave in the history. `unplaced`: a chain of events whose first event
 * follows one the history does not hold, in a history with Map or Parallel states, so that its
 * item or branch is unknown.
 */
export interface Scope {
  readonly kind: 'execution' | 'iteration' | 'branch' | 'unplaced';
  readonly parent?: Scope;
  /** The Map state's name, for an iteration. */
  readonly map?: string;
  /** The item's index, for an iteration. */
  readonly index?: number;
}

/** One visit of a state: its entered event, the events while it ran, and its exited event. */
export interface StateVisit {
  readonly name: string;
  /** `Task`, `Pass`, `Wait`, `Choice`, `Fail`, `Map`, `Parallel` or `Succeed`. */
  readonly type: string;
  readonly scope: Scope;
  readonly entered: HistoryEvent;
  /** The events after `entered`, up to and including `exited`: TaskScheduled, TaskFailed, … */
  readonly events: HistoryEvent[];
  exited?: HistoryEvent;
}

const ITERATION_ENDS = new Set(['MapIterationSucceeded', 'MapIterationFailed', 'MapIterationAborted']);

/**
 * Splits a history into state visits, each in its scope.
 *
 * Each event names the event it follows (`previousEventId`), and each Map iteration and Parallel
 * branch has its own chain: an iteration's first state follows its `MapIterationStarted`, which
 * carries the item's index. So an event's scope is its predecessor's, except after an iteration
 * starts (the iteration), after it ends (the scope around the Map), and after a Parallel state
 * starts (a new branch); and the end of a Map or Parallel state is in the scope of the state. An
 * event without a known predecessor (missing from the history, or after the event itself, which
 * the history contradicts) is in the execution's scope when the history has neither Map nor
 * Parallel states; else it starts an `unplaced` scope of its own, which it and the events that
 * follow it are in, so that it is never merged into another item's run. Those events are `guessed`.
 */
export function stateVisits(history: ExecutionHistory): { visits: StateVisit[]; warnings: string[]; guessed: ReadonlySet<number> } {
  const root: Scope = { kind: 'execution' };
  const byId = new Map(history.events.map((e) => [e.id, e]));
  const scopes = new Map<number, Scope>();
  const open = new Map<Scope, StateVisit>();
  const visits: StateVisit[] = [];
  const warnings: string[] = [];
  const guessed = new Set<number>();
  let unknownPredecessors = 0;
  // A history written by hand may carry no chain at all: then each event follows the one before.
  const chained = history.events.some((e) => e.previousEventId !== undefined);
  // Without a Map or a Parallel state there is one scope, so a guess cannot be wrong.
  const nested = history.events.some((e) => e.type.startsWith('Map') || e.type.startsWith('Parallel'));

  const scopeAfter = (previous: HistoryEvent, event: HistoryEvent): Scope => {
    const scope = scopes.get(previous.id) ?? root;
    if (previous.type === 'MapIterationStarted') {
      return scope;
    }
    if (ITERATION_ENDS.has(previous.type)) {
      return scope.parent ?? root;
    }
    if (previous.type === 'ParallelStateStarted' && event.type.endsWith('StateEntered')) {
      return { kind: 'branch', parent: scope };
    }
    return scope;
  };

  history.events.forEach((event, i) => {
    let scope: Scope;
    const named = event.previousEventId === undefined ? undefined : byId.get(event.previousEventId);
    // An event follows one before it: one after it is read as missing (readHistory warns of it).
    const previous = !chained ? history.events[i - 1] : named !== undefined && named.id < event.id ? named : undefined;
    if (event.type.startsWith('Execution')) {
      scope = root;
    } else if (previous === undefined && event.previousEventId !== undefined) {
      if (named === undefined) {
        unknownPredecessors++;
      }
      if (nested) {
        guessed.add(event.id);
        scope = { kind: 'unplaced', parent: root };
      } else {
        scope = root;
      }
    } else {
      scope = previous === undefined ? root : scopeAfter(previous, event);
      if (previous !== undefined && guessed.has(previous.id)) {
        guessed.add(event.id);
      }
    }
    // A Map or Parallel state ends in the scope it started in, whichever iteration or branch its
    // end event follows.
    const end = /^(Map|Parallel)State(Succeeded|Failed|Aborted|Exited)$/.exec(event.type);
    if (end) {
      let around: Scope | undefined = scope;
      while (around && open.get(around)?.type !== end[1]) {
        around = around.parent;
      }
      scope = around ?? scope;
    }
    if (event.type === 'MapIterationStarted') {
      const index = event.details.index;
      const map = event.details.name;
      scope = { kind: 'iteration', parent: scope, ...(typeof map === 'string' ? { map } : {}), ...(typeof index === 'number' ? { index } : {}) };
    }
    scopes.set(event.id, scope);

    if (event.type.endsWith('StateEntered')) {
      const name = typeof event.details.name === 'string' ? event.details.name : '';
      const visit: StateVisit = { name, type: event.type.slice(0, -'StateEntered'.length), scope, entered: event, events: [] };
      visits.push(visit);
      open.set(scope, visit);
      return;
    }
    const visit = open.get(scope);
    if (visit) {
      visit.events.push(event);
      if (event.type.endsWith('StateExited') || event.type.endsWith('StateAborted')) {
        visit.exited = event;
        open.delete(scope);
      }
    }
  });
  if (unknownPredecessors > 0 && nested) {
    warnings.push(`${unknownPredecessors} event(s) follow an event that is not in the history, so the Map item or Parallel branch they ran in is unknown: `
      + 'each is shown apart, with the events that follow it.');
  }
  return { visits, warnings, guessed };
}

/** E.g. `item 3 of Map "Each partition"`, outermost first; undefined for the execution itself. */
export function describeScope(scope: Scope): string | undefined {
  const parts: string[] = [];
  for (let s: Scope | undefined = scope; s && s.kind !== 'execution'; s = s.parent) {
    parts.unshift(s.kind === 'iteration'
      ? `item ${s.index ?? '?'} of Map ${JSON.stringify(s.map ?? '?')}`
      : s.kind === 'branch' ? 'a Parallel branch' : 'a Map item or Parallel branch the history does not show');
  }
  return parts.length === 0 ? undefined : parts.join(' › ');
}
