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
  /** For each scope, the iteration and the branch it is in, itself included. */
  const nearest = new Map<Scope, { readonly iteration?: Scope; readonly branch?: Scope }>();
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
    // end event follows: its own scope, or the one around the nearest item (branch) its end is
    // in, where that Map (Parallel) state is open while its items (branches) run. One lookup,
    // however deeply Maps nest.
    const end = /^(Map|Parallel)State(Succeeded|Failed|Aborted|Exited)$/.exec(event.type);
    if (end && open.get(scope)?.type !== end[1]) {
      const around = (end[1] === 'Map' ? nearest.get(scope)?.iteration : nearest.get(scope)?.branch)?.parent;
      if (around !== undefined && open.get(around)?.type === end[1]) {
        scope = around;
      }
    }
    if (event.type === 'MapIterationStarted') {
      const index = event.details.index;
      const map = event.details.name;
      scope = { kind: 'iteration', parent: scope, ...(typeof map === 'string' ? { map } : {}), ...(typeof index === 'number' ? { index } : {}) };
    }
    if (!nearest.has(scope)) {
      const around = scope.parent === undefined ? undefined : nearest.get(scope.parent);
      nearest.set(scope, {
        iteration: scope.kind === 'iteration' ? scope : scope.kind === 'unplaced' ? undefined : around?.iteration,
        branch: scope.kind === 'branch' ? scope : scope.kind === 'unplaced' ? undefined : around?.branch,
      });
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

/** How a scope is described: its depth, and the parts of its description at either end. */
interface ScopeParts {
  readonly depth: number;
  /** The outermost two parts. */
  readonly outer: readonly string[];
  /** The innermost two parts. */
  readonly inner: readonly string[];
}

const described = new WeakMap<Scope, ScopeParts>();

/** Levels of nesting described in full; deeper, the outermost and innermost two, and a count. */
const MAX_LEVELS_SHOWN = 4;

/**
 * E.g. `item 3 of Map "Each partition"`, outermost first; undefined for the execution itself.
 * Deeper than 4 levels, the levels in the middle are counted, not named, so that a run's
 * description stays short however deeply Maps nest; each scope is described once.
 */
export function describeScope(scope: Scope): string | undefined {
  const { depth, outer, inner } = scopeParts(scope);
  if (depth === 0) {
    return undefined;
  }
  const parts = depth <= MAX_LEVELS_SHOWN
    ? [...outer, ...inner.slice(outer.length + inner.length - depth)]
    : [...outer, `… ${(depth - MAX_LEVELS_SHOWN).toLocaleString('en-US')} more levels …`, ...inner];
  return parts.join(' › ');
}

function scopeParts(scope: Scope): ScopeParts {
  // The scopes not described yet, innermost first: a loop, not a recursion, for deep nesting.
  const pending: Scope[] = [];
  let known: ScopeParts | undefined;
  for (let s: Scope | undefined = scope; s !== undefined && s.kind !== 'execution'; s = s.parent) {
    known = described.get(s);
    if (known !== undefined) {
      break;
    }
    pending.push(s);
  }
  let parts = known ?? { depth: 0, outer: [], inner: [] };
  for (let i = pending.length - 1; i >= 0; i--) {
    const s = pending[i];
    const own = s.kind === 'iteration'
      ? `item ${s.index ?? '?'} of Map ${JSON.stringify(s.map ?? '?')}`
      : s.kind === 'branch' ? 'a Parallel branch' : 'a Map item or Parallel branch the history does not show';
    parts = {
      depth: parts.depth + 1,
      outer: parts.outer.length < 2 ? [...parts.outer, own] : parts.outer,
      inner: [...parts.inner, own].slice(-2),
    };
    described.set(s, parts);
  }
  return parts;
}
