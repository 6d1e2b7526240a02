import type { StepFunctionsLimitError } from './step-functions-limits';

/**
 * The limit failures of the current test that it did not expect. The synthesis check and the
 * executors throw each one where it happens; recording it as well means a test that catches the
 * throw and goes on still fails (the Jest setup file `setup-limit-checks.ts` takes them after
 * every test). Outside Jest (bench/) nothing reads them, and the throw alone stops the run.
 */
let unexpected: StepFunctionsLimitError[] = [];

/** Records a failure that will fail the current test unless `expectedLimitFailure` takes it back. */
export function recordLimitFailure(failure: StepFunctionsLimitError): void {
  unexpected.push(failure);
}

/** Takes back a recorded failure that the test expected. */
export function expectedLimitFailure(failure: StepFunctionsLimitError): void {
  unexpected = unexpected.filter((f) => f !== failure);
}

/** The failures recorded since the last call and not expected; clears them. */
export function takeUnexpectedLimitFailures(): StepFunctionsLimitError[] {
  const taken = unexpected;
  unexpected = [];
  return taken;
}
