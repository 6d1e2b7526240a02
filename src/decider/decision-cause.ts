import { numberText, truncate } from './engine-text';
import { MAX_REASON_LENGTH } from './history-bounds';
import { field } from './json-values';
import type { StoppedTask } from './stopped-task';
import type { AttemptRecord, Placement, PolicyDefaults } from './wire';

/** The longest defaults id a rule or cause names; the construct writes 8 characters. */
export const MAX_DEFAULTS_ID_LENGTH = 16;

/**
 * A decision's cause: one line naming the attempt, what stopped it, the rule that decided and,
 * for a placed run, where it ran. E.g. `Attempt 1 failed with States.TaskFailed: SpotInterruption:
 * … [rule: retryableStopCode:SpotInterruption]`.
 */
export function describeFailure(record: AttemptRecord, error: unknown, task: StoppedTask | undefined, placement: Placement | undefined): string {
  let detail: string;
  if (task) {
    const exits = record.exitCodes.map((e) => `${e.name}=${numberText(e.exitCode)}`).join(', ');
    detail = [record.stopCode, record.stoppedReason ?? '(no stopped reason)'].filter((s) => s !== undefined).join(': ')
      + (record.containerReason ? ` (container reason: ${record.containerReason})` : '')
      + (exits ? ` (exit codes: ${exits})` : '');
  } else {
    const cause = field(error, 'Cause');
    detail = typeof cause === 'string' ? truncate(cause, MAX_REASON_LENGTH) : '(no cause)';
  }
  const where = placement ? ` [ran on ${describePlacement(placement, record.size)}]` : '';
  return `Attempt ${record.attempt} failed with ${record.error}: ${detail} [rule: ${record.rule}]${where}`;
}

/** What the cause of a `policyDefaultsMismatch` decision adds: what happened, and what to do. */
export function defaultsMismatch(id: string, defaults: PolicyDefaults | undefined): string {
  const cut = (text: string) => truncate(text, MAX_DEFAULTS_ID_LENGTH);
  return ` The run's policy is a diff from default policy ${cut(id)}, but the decider has ${defaults ? cut(defaults.id) : 'none'}: `
    + 'the execution started before an upgrade changed the defaults. Start a new execution.';
}

/** E.g. `primary, size 1: 512 CPU, 1024 MiB`; the size only with a ladder. */
function describePlacement(placement: Placement, size: AttemptRecord['size']): string {
  return size ? `${placement.capacity}, size ${placement.sizeIndex}: ${size.cpu} CPU, ${size.memoryMiB} MiB` : placement.capacity;
}
