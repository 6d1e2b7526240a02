import { backoffSeconds, decideRetry, MAX_REASON_LENGTH, truncate } from '../../lambda/decide-retry';
import { TaskStopCode } from '../../src';
import { MAX_ATTEMPTS_LIMIT } from '../../src/decider/wire';
import { renderRetryPolicy } from '../../src/policy/render-retry-policy';
import { allFailures, failure, withStoppedReason } from '../support/fixtures';

const defaults = renderRetryPolicy({});

describe('default classification of the failure corpus', () => {
  // Every fixture must appear here, so that a new one cannot go unclassified.
  const expected: Record<string, [boolean, string]> = {
    'resource-initialization-error': [true, 'retryableStopCode:TaskFailedToStart'],
    'cannot-pull-throttled': [true, 'retryableStopCode:TaskFailedToStart'],
    'cannot-pull-not-found': [false, 'nonRetryableStoppedReason:CannotPullContainerError:*not found*'],
    'pull-access-denied': [false, 'nonRetryableStoppedReason:CannotPullContainerError:*repository does not exist*'],
    'secret-access-denied': [false, 'nonRetryableStoppedReason:ResourceInitializationError:*AccessDenied*'],
    'secret-not-found': [false, 'nonRetryableStoppedReason:ResourceInitializationError:*ResourceNotFoundException*'],
    'spot-interruption': [true, 'retryableStopCode:SpotInterruption'],
    'termination-notice': [true, 'retryableStopCode:TerminationNotice'],
    'missing-stop-code': [true, 'retryableStoppedReason:ResourceInitializationError:*'],
    'capacity-unavailable': [true, 'retryableError:AmazonECS.Unknown'],
    'ecs-api-throttled': [true, 'retryableError:ECS.AmazonECSException'],
    'ecs-server-exception': [true, 'retryableError:ECS.ServerException'],
    'exit-code-1': [false, 'noRetryableMatch'],
    'exit-code-2': [false, 'noRetryableMatch'],
    'out-of-memory': [false, 'noRetryableMatch'],
    'sidecar-killed': [false, 'noRetryableMatch'],
    'missing-exit-code': [false, 'noRetryableMatch'],
    'no-containers': [false, 'noRetryableMatch'],
    'user-initiated': [false, 'noRetryableMatch'],
    'non-json-cause': [false, 'unparseableCause'],
    'json-non-task-cause': [false, 'unparseableCause'],
    'states-timeout': [false, 'errorNotRetryable:States.Timeout'],
    'ecs-access-denied': [false, 'errorNotRetryable:ECS.AccessDeniedException'],
  };

  test('every fixture has an expectation', () => {
    expect(Object.keys(allFailures()).sort()).toEqual(Object.keys(expected).sort());
  });

  test.each(Object.entries(expected))('%s', (name, [retryable, rule]) => {
    const decision = decideRetry({ policy: defaults, attempt: 1, error: failure(name), random: 0.5 });
    expect(decision.retryable).toBe(retryable);
    expect(decision.retry).toBe(retryable);
    expect(decision.rule).toBe(rule);
  });
});

describe('classification order', () => {
  test('a non-retryable stopped reason wins over a retryable stop code, reason and error name', () => {
    const policy = { ...defaults, retryableErrors: ['States.TaskFailed'], retryableStoppedReasons: ['*'] };
    const decision = decideRetry({ policy, attempt: 1, error: failure('cannot-pull-not-found'), random: 0 });
    expect(decision).toMatchObject({ retryable: false, rule: 'nonRetryableStoppedReason:CannotPullContainerError:*not found*' });
  });

  test('any container exit code in the list makes the failure retryable', () => {
    const policy = { ...defaults, retryableExitCodes: [137] };
    const decision = decideRetry({ policy, attempt: 1, error: failure('sidecar-killed'), random: 0 });
    expect(decision).toMatchObject({ retryable: true, rule: 'retryableExitCode:137' });
    expect(decision.history[0].exitCodes).toEqual([{ name: 'app', exitCode: 75 }, { name: 'log-router', exitCode: 137 }]);
  });

  test('exit codes are not retried unless listed', () => {
    const decision = decideRetry({ policy: defaults, attempt: 1, error: failure('exit-code-2'), random: 0 });
    expect(decision.retryable).toBe(false);
  });

  test('stop codes outside the list are not retried', () => {
    const policy = { ...defaults, retryableStopCodes: [TaskStopCode.SPOT_INTERRUPTION.code], retryableStoppedReasons: [] };
    const decision = decideRetry({ policy, attempt: 1, error: failure('resource-initialization-error'), random: 0 });
    expect(decision).toMatchObject({ retryable: false, rule: 'noRetryableMatch' });
  });

  test('an error name in the list retries even without a task', () => {
    const policy = { ...defaults, retryableErrors: ['States.Timeout'] };
    expect(decideRetry({ policy, attempt: 1, error: failure('states-timeout'), random: 0 }).rule).toBe('retryableError:States.Timeout');
  });
});

describe('attempts and backoff', () => {
  const policy = { ...defaults, maxAttempts: 5, intervalSeconds: 10, backoffRate: 3, maxDelaySeconds: 40, jitter: 'NONE' };

  test('waits grow exponentially and are capped by maxDelay', () => {
    const waits = [1, 2, 3, 4].map((attempt) =>
      decideRetry({ policy, attempt, error: failure('spot-interruption'), random: 0.99 }).waitSeconds);
    expect(waits).toEqual([10, 30, 40, 40]);
  });

  test('the last attempt is never retried', () => {
    const decision = decideRetry({ policy, attempt: 5, error: failure('spot-interruption'), random: 0 });
    expect(decision).toMatchObject({ retryable: true, retry: false, waitSeconds: 0 });
  });

  test('an attempt number it cannot read counts as the last', () => {
    for (const attempt of [undefined, null, 'two', 0, -1, 1.5, NaN]) {
      expect(decideRetry({ policy, attempt, error: failure('spot-interruption'), random: 0 }).retry).toBe(false);
    }
  });

  test('FULL jitter waits a whole number of seconds between 0 and the capped delay', () => {
    const full = { ...policy, jitter: 'FULL' };
    expect(backoffSeconds(full, 3, 0)).toBe(0);
    expect(backoffSeconds(full, 3, 0.999999)).toBe(40);
    expect(backoffSeconds(full, 2, 0.5)).toBe(15);
    for (let i = 0; i < 200; i++) {
      const wait = backoffSeconds(full, 2, i / 200);
      expect(Number.isInteger(wait) && wait >= 0 && wait <= 30).toBe(true);
    }
  });

  test('the same input and random number give the same decision', () => {
    const input = { policy: { ...policy, jitter: 'FULL' }, attempt: 2, error: failure('capacity-unavailable'), random: 0.3141 };
    expect(decideRetry(input)).toEqual(decideRetry(input));
  });
});

describe('history and cause', () => {
  test('records the attempt, stop code, reason, exit codes, rule and wait', () => {
    const policy = { ...defaults, jitter: 'NONE', intervalSeconds: 7, retryableExitCodes: [75] };
    const decision = decideRetry({ policy, attempt: 1, error: failure('sidecar-killed'), random: 0 });
    expect(decision.history).toEqual([{
      attempt: 1,
      error: 'States.TaskFailed',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      exitCodes: [{ name: 'app', exitCode: 75 }, { name: 'log-router', exitCode: 137 }],
      rule: 'retryableExitCode:75',
      retryable: true,
      waitSeconds: 7,
    }]);
    expect(decision.cause).toBe(
      'Attempt 1 failed with States.TaskFailed: EssentialContainerExited: Essential container in task exited '
      + '(exit codes: app=75, log-router=137) [rule: retryableExitCode:75]');
  });

  test('appends to the history it is given, keeping at most maxAttempts entries', () => {
    const policy = { ...defaults, maxAttempts: 3 };
    let history: unknown = [];
    for (let attempt = 1; attempt <= 6; attempt++) {
      history = decideRetry({ policy, attempt, error: failure('spot-interruption'), history, random: 0 }).history;
    }
    expect((history as any[]).map((h) => h.attempt)).toEqual([4, 5, 6]);
  });

  test('a cause without a task names the error and its cause text', () => {
    const decision = decideRetry({ policy: defaults, attempt: 2, error: failure('ecs-api-throttled'), random: 0 });
    expect(decision.cause).toMatch(/^Attempt 2 failed with ECS.AmazonECSException: Rate exceeded .* \[rule: retryableError:ECS.AmazonECSException\]$/);
  });

  test('a 200 KB stopped reason is cut with a marker', () => {
    const reason = `ResourceInitializationError: ${'x'.repeat(200 * 1024)}`;
    const decision = decideRetry({ policy: defaults, attempt: 1, error: withStoppedReason(failure('resource-initialization-error'), reason), random: 0 });
    const recorded = decision.history[0].stoppedReason!;
    expect(recorded.length).toBe(MAX_REASON_LENGTH);
    expect(recorded).toMatch(/^ResourceInitializationError: x+…\[\d+ chars cut\]…x+$/);
    expect(decision.rule).toBe('retryableStopCode:TaskFailedToStart');
    expect(decision.cause.length).toBeLessThan(1024);
  });

  test('truncate keeps both ends and says how much it cut', () => {
    expect(truncate('short', 10)).toBe('short');
    const cut = truncate(`Error: ${'a'.repeat(1000)} root cause`, 60);
    expect(cut).toHaveLength(60);
    expect(cut).toMatch(/^Error: a+…\[958 chars cut\]…a+ root cause$/);
  });
});

describe('malformed input never throws and never retries by accident', () => {
  const junk: unknown[] = [
    undefined, null, 42, 'text', [], {}, { Error: 42 }, { Error: 'States.TaskFailed' },
    { Error: 'States.TaskFailed', Cause: null }, { Error: 'States.TaskFailed', Cause: '' },
    { Error: 'States.TaskFailed', Cause: '[1,2,3]' }, { Error: 'States.TaskFailed', Cause: 'null' },
    { Error: 'States.TaskFailed', Cause: '{"Containers": "not a list", "StopCode": 7}' },
    { Error: 'States.TaskFailed', Cause: { StopCode: 'SpotInterruption', Containers: [null, 1, { ExitCode: '1' }] } },
    { Error: 'States.TaskFailed', Cause: JSON.stringify({ StopCode: 'TaskFailedToStart', StoppedReason: '🚀 ünïcødé \u0000 \ud800' }) },
  ];

  test.each(junk.map((j) => [JSON.stringify(j) ?? String(j), j]))('error %s', (_, error) => {
    const decision = decideRetry({ policy: defaults, attempt: 1, error, history: 'not a list', random: 0.5 });
    expect(typeof decision.retryable).toBe('boolean');
    expect(decision.retry).toBe(decision.retryable);
    expect(decision.history).toHaveLength(1);
    expect(typeof decision.cause).toBe('string');
  });

  test('an object Cause with a retryable stop code is still read', () => {
    const decision = decideRetry({ policy: defaults, attempt: 1, error: junk[13], random: 0 });
    expect(decision).toMatchObject({ retryable: true, rule: 'retryableStopCode:SpotInterruption' });
  });

  test('a junk policy falls back to one attempt and no retry lists', () => {
    for (const policy of [undefined, null, 'policy', { maxAttempts: '3', retryableStopCodes: 'TaskFailedToStart' }]) {
      const decision = decideRetry({ policy, attempt: 1, error: failure('resource-initialization-error'), random: 0 });
      expect(decision).toMatchObject({ retryable: false, retry: false, waitSeconds: 0 });
    }
  });

  test('a policy beyond the limits is clamped', () => {
    const policy = { ...defaults, maxAttempts: 10_000, maxDelaySeconds: 1e12, intervalSeconds: 1e12, jitter: 'NONE' };
    const decision = decideRetry({ policy, attempt: MAX_ATTEMPTS_LIMIT, error: failure('spot-interruption'), random: 0 });
    expect(decision.retry).toBe(false);
    expect(decideRetry({ policy, attempt: 1, error: failure('spot-interruption'), random: 0 }).waitSeconds).toBe(365 * 24 * 3600);
  });

  test('junk history entries are dropped and kept ones re-bounded', () => {
    const history = [null, 'x', 3, { attempt: 1, error: 'E', stoppedReason: 'y'.repeat(10_000), exitCodes: [{ name: 'a', exitCode: 'no' }], rule: 'r', retryable: true, waitSeconds: 5 }];
    const decision = decideRetry({ policy: { ...defaults, maxAttempts: 3 }, attempt: 2, error: failure('spot-interruption'), history, random: 0 });
    expect(decision.history).toHaveLength(2);
    expect(decision.history[0].stoppedReason!.length).toBe(MAX_REASON_LENGTH);
    expect(decision.history[0].exitCodes).toEqual([]);
  });
});
