import type { DecisionEngine, EngineReading } from './decision-engine';
import { LAMBDA_ENGINE } from './lambda-engine';
import type { RoleVisit } from '../run-traces';

/**
 * The decision engines `explain` reads, asked in turn.
 *
 * The JSONata `STATE_MACHINE` engine is to be its own module beside `lambda-engine.ts`: its
 * `Run task` Catch assigns the decision (the same `Decision` object) to the variable
 * `<varPrefix>decision`, which the history shows in `stateExitedEventDetails.assignedVariables`
 * of the `Run task` visit (a JSON string per variable); it makes no invocation, so its reading has
 * a decision and no `inputs` unless the policy comes from the template (`Retry or fail`'s Comment,
 * `retry policy: <the policy JSON>`, which the history does not hold).
 */
export const DECISION_ENGINES: readonly DecisionEngine[] = [LAMBDA_ENGINE];

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

export type { DecisionEngine, DecisionInputs, EngineReading } from './decision-engine';
