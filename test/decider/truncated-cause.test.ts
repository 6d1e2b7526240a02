import { decideRetry } from '../../src/decider/decide-retry';
import { CUT_MARKER, salvageStoppedTask } from '../../src/decider/truncated-cause';
import { renderRetryPolicy } from '../../src/policy/render-retry-policy';
import { failure } from '../support/fixtures';

const defaults = renderRetryPolicy({ retryableExitCodes: [75] });

describe('a task description cut short by Step Functions', () => {
  const full = failure('sidecar-killed').Cause;

  test('keeps the stop code, the containers and the start of the reason', () => {
    const cut = full.slice(0, full.indexOf('Essential container in task exited') + 'Essential cont'.length);
    expect(() => JSON.parse(cut)).toThrow();
    expect(salvageStoppedTask(cut)).toEqual({
      stopCode: 'EssentialContainerExited',
      stoppedReason: `Essential cont${CUT_MARKER}`,
      containers: JSON.parse(full).Containers,
    });
  });

  test('is still classified by its exit codes and stop code', () => {
    const cut = full.slice(0, full.indexOf('"StoppingAt"'));
    const decision = decideRetry({ policy: defaults, attempt: 1, error: { Error: 'States.TaskFailed', Cause: cut }, random: 0 });
    expect(decision).toMatchObject({ retryable: true, rule: 'retryableExitCode:75' });
    expect(decision.history[0].exitCodes).toEqual([{ name: 'app', exitCode: 75 }, { name: 'log-router', exitCode: 137 }]);
  });

  test('a cut inside an escape sequence does not break decoding', () => {
    const text = '{"StopCode":"TaskFailedToStart","StoppedReason":"quote \\" and unicode \\u00e9 then \\u00';
    expect(salvageStoppedTask(text)).toEqual({
      stopCode: 'TaskFailedToStart',
      stoppedReason: `quote " and unicode é then ${CUT_MARKER}`,
      containers: undefined,
    });
  });

  test('a cut before the containers end leaves no exit codes rather than wrong ones', () => {
    const cut = full.slice(0, full.indexOf('"log-router"'));
    expect(salvageStoppedTask(cut)?.containers).toBeUndefined();
  });

  test.each([
    ['plain text', 'Task failed: 502 Bad Gateway'],
    ['a JSON object without task fields', '{"errorMessage":"boom","err'],
    ['an empty string', ''],
  ])('%s is not a task', (_, text) => {
    expect(salvageStoppedTask(text)).toBeUndefined();
  });
});
