import type { Decision } from '../../../src/decider/wire';
import type { RoleVisit, RunTrace } from '../run-traces';
import type { StateVisit } from '../state-visits';

/**
 * What a decision engine recorded in the history about one failed attempt.
 *
 * Everything is optional: a history written without execution data, or cut short, holds less.
 */
export interface EngineReading {
  /** The engine, as the construct names it: `LAMBDA`, or `STATE_MACHINE` for the JSONata engine. */
  readonly engine: string;
  /** The decision the state machine acted on, as recorded; it may be malformed. */
  readonly decision?: Decision;
  /** What the decision was made from, when the history holds it; `explain` decides again from it. */
  readonly inputs?: DecisionInputs;
  /** Why there is no decision, e.g. the decider failed after its retries. */
  readonly problem?: string;
}

/** The inputs of `decideRetry`, as one decision was made with them. */
export interface DecisionInputs {
  /** The run's construct path. */
  readonly run?: string;
  readonly policy?: unknown;
  readonly attempt?: unknown;
  readonly error?: unknown;
  readonly history?: unknown;
  readonly placement?: unknown;
}

/** What an engine may look at, besides a run's own states, to tell whether the run is its. */
export interface RunSurroundings {
  /** Whether the execution has ended, so that a state without a next one was the last. */
  readonly executionEnded: boolean;
  /** The state that ran after `visit` in its scope (the execution, a Map item, a Parallel branch), if any. */
  next(visit: StateVisit): StateVisit | undefined;
}

/**
 * One way a run decides on a failed attempt, as the history shows it. Each engine is a small
 * module that knows where its decisions appear; `explain` asks them in turn.
 */
export interface DecisionEngine {
  readonly name: string;
  /**
   * Reads the decision about the failed attempt `attempt` from the states that ran after it,
   * up to the next attempt or the run's end. Undefined when none of them is this engine's.
   */
  read(attempt: RoleVisit, following: readonly RoleVisit[]): EngineReading | undefined;
  /**
   * Whether the run's states show that it ran with this engine: for a run with no failed attempt
   * to read, e.g. one that succeeded at once.
   */
  recognizes(trace: RunTrace, surroundings: RunSurroundings): boolean;
}
