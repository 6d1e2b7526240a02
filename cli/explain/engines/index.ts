import type { DecisionEngine, EngineReading, RunSurroundings } from './decision-engine';
import { LAMBDA_ENGINE } from './lambda-engine';
import { STATE_MACHINE_ENGINE } from './state-machine-engine';
import type { RoleVisit, RunTrace } from '../run-traces';

/**
 * The decision engines `explain` reads, asked in turn: `LAMBDA` (a `Decide retry` state invokes
 * the decider) and `STATE_MACHINE` (JSONata states; the decision is in the input of `Retry or
 * fail`). A new engine is a module beside these.
 */
export const DECISION_ENGINES: readonly DecisionEngine[] = [LAMBDA_ENGINE, STATE_MACHINE_ENGINE];

/** What the first engine that recognises the states after a failed attempt read there. */
export function readDecision(attempt: RoleVisit, following: readonly RoleVisit[]): EngineReading | undefined {
  for (const engine of DECISION_ENGINES) {
    const reading = engine.read(attempt, following);
    if (reading) {
      return reading;
    }
  }
  return undefined;
}

/** The engine whose states a run shows, for a run with no failed attempt to read; undefined when they do not tell. */
export function recognizeEngine(trace: RunTrace, surroundings: RunSurroundings): string | undefined {
  return DECISION_ENGINES.find((engine) => engine.recognizes(trace, surroundings))?.name;
}

export type { DecisionEngine, DecisionInputs, EngineReading, RunSurroundings } from './decision-engine';
