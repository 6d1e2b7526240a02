import { backoffSeconds, decideRetry, MAX_REASON_LENGTH, truncate } from '../../lambda/decide-retry';
import { RetryDefaults, TaskStopCode } from '../../src';
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
    'ecs-access-denied': [false, 'nonRetryableErrorCause:*Error Code: AccessDeniedException*'],
    // EC2: the stopped reason is generic, the container's reason names the error.
    'ec2-cannot-pull-not-found': [false, 'nonRetryableStoppedReason:CannotPullContainerError:*not found*'],
    'ec2-cannot-pull-throttled': [true, 'retryableStopCode:TaskFailedToStart'],
    'ec2-executable-not-found': [false, 'nonRetryableStoppedReason:CannotStartContainerError:*executable file not found*'],
    // API failures whose cause no retry changes.
    'placement-attribute-missing': [false, 'nonRetryableErrorCause:ATTRIBUTE'],
    'placement-constraint-unsatisfied': [false, 'nonRetryableErrorCause:MemberOf placement constraint unsatisfied*'],
    'task-definition-inactive': [false, 'nonRetryableErrorCause:*TaskDefinition is inactive*'],
    'task-definition-missing': [false, 'nonRetryableErrorCause:*Unable to describe task definition*'],
    'cluster-not-found': [false, 'nonRetryableErrorCause:*Error Code: ClusterNotFoundException*'],
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

describe('container reasons (EC2)', () => {
  const ec2Pull = (reason: string, stopCode = 'TaskFailedToStart', stoppedReason = 'Task failed to start') => ({
    Error: 'States.TaskFailed',
    Cause: JSON.stringify({
      ...JSON.parse(failure('ec2-cannot-pull-not-found').Cause),
      StopCode: stopCode,
      StoppedReason: stoppedReason,
      Containers: [
        { Name: 'log-router', LastStatus: 'STOPPED', Reason: '' },
        { Name: 'app', LastStatus: 'STOPPED', Reason: reason },
      ],
    }),
  });

  test('a permanent container reason wins over a retryable stop code, and is recorded', () => {
    const decision = decideRetry({ policy: defaults, attempt: 1, error: failure('ec2-cannot-pull-not-found'), random: 0 });
    expect(decision).toMatchObject({ retryable: false, retry: false, rule: 'nonRetryableStoppedReason:CannotPullContainerError:*not found*' });
    expect(decision.history[0]).toEqual({
      attempt: 1,
      error: 'States.TaskFailed',
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'Task failed to start',
      containerReason: 'CannotPullContainerError: Error response from daemon: manifest for 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v9 '
        + 'not found: manifest unknown: Requested image not found',
      exitCodes: [],
      rule: 'nonRetryableStoppedReason:CannotPullContainerError:*not found*',
      retryable: false,
      waitSeconds: 0,
    });
    expect(decision.cause).toBe('Attempt 1 failed with States.TaskFailed: TaskFailedToStart: Task failed to start '
      + '(container reason: CannotPullContainerError: Error response from daemon: manifest for 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v9 '
      + 'not found: manifest unknown: Requested image not found) [rule: nonRetryableStoppedReason:CannotPullContainerError:*not found*]');
  });

  test('the stopped reason is tried before the container reasons, and then records none', () => {
    const policy = { ...defaults, nonRetryableStoppedReasons: ['*failed to start*', '*not found*'] };
    const decision = decideRetry({ policy, attempt: 1, error: failure('ec2-cannot-pull-not-found'), random: 0 });
    expect(decision.rule).toBe('nonRetryableStoppedReason:*failed to start*');
    expect(decision.history[0].containerReason).toBeUndefined();
  });

  test('patterns keep their list order across the stopped reason and the container reasons', () => {
    const policy = { ...defaults, nonRetryableStoppedReasons: ['*manifest unknown*', '*failed to start*'] };
    const decision = decideRetry({ policy, attempt: 1, error: failure('ec2-cannot-pull-not-found'), random: 0 });
    expect(decision.rule).toBe('nonRetryableStoppedReason:*manifest unknown*');
    expect(decision.history[0].containerReason).toMatch(/^CannotPullContainerError: /);
  });

  test('a retryable container reason decides when the stop code does not, and is recorded', () => {
    const error = ec2Pull('CannotPullContainerError: Error response from daemon: net/http: TLS handshake timeout', 'EssentialContainerExited',
      'Essential container in task exited');
    const decision = decideRetry({ policy: defaults, attempt: 1, error, random: 0 });
    expect(decision).toMatchObject({ retryable: true, retry: true, rule: 'retryableStoppedReason:CannotPullContainerError:*' });
    expect(decision.history[0].containerReason).toBe('CannotPullContainerError: Error response from daemon: net/http: TLS handshake timeout');
    expect(decision.cause).toContain('(container reason: CannotPullContainerError: Error response from daemon: net/http: TLS handshake timeout)');
  });

  test('a container reason is not recorded when the stop code decided', () => {
    const decision = decideRetry({ policy: defaults, attempt: 1, error: failure('ec2-cannot-pull-throttled'), random: 0 });
    expect(decision.rule).toBe('retryableStopCode:TaskFailedToStart');
    expect(decision.history[0].containerReason).toBeUndefined();
    expect(decision.cause).not.toContain('container reason');
  });

  test('an empty container reason matches nothing, not even `*`', () => {
    const policy = { ...defaults, retryableStopCodes: [], retryableStoppedReasons: ['*'], nonRetryableStoppedReasons: [] };
    const error = { Error: 'States.TaskFailed', Cause: JSON.stringify({ StopCode: 'EssentialContainerExited', Containers: [{ Name: 'app', Reason: '' }] }) };
    expect(decideRetry({ policy, attempt: 1, error, random: 0 }).rule).toBe('noRetryableMatch');
  });

  test('a container reason of 200 KB is matched whole and recorded bounded', () => {
    const reason = `CannotPullContainerError: ${'x'.repeat(200 * 1024)} manifest unknown`;
    const decision = decideRetry({ policy: defaults, attempt: 1, error: ec2Pull(reason), random: 0 });
    expect(decision.rule).toBe('nonRetryableStoppedReason:CannotPullContainerError:*manifest unknown*');
    expect(decision.history[0].containerReason).toHaveLength(MAX_REASON_LENGTH / 2);
    expect(decision.history[0].containerReason).toMatch(/^CannotPullContainerError: x+…\[\d+ chars cut\]…x+ manifest unknown$/);
    expect(decision.cause.length).toBeLessThan(1024);
  });

  test('a cause cut short still yields the container reasons when the containers survived', () => {
    const full = failure('ec2-cannot-pull-not-found').Cause;
    const cut = full.slice(0, full.indexOf('"StoppedReason"') + '"StoppedReason":"Task fa'.length);
    expect(() => JSON.parse(cut)).toThrow();
    const decision = decideRetry({ policy: defaults, attempt: 1, error: { Error: 'States.TaskFailed', Cause: cut }, random: 0 });
    expect(decision.rule).toBe('nonRetryableStoppedReason:CannotPullContainerError:*not found*');
    expect(decision.history[0].containerReason).toMatch(/Requested image not found$/);
  });

  test('only the first ten containers are read', () => {
    const containers = [...Array(12)].map((_, i) => ({ Name: `c${i}`, Reason: i === 11 ? 'CannotPullContainerError: not found' : 'fine' }));
    const error = { Error: 'States.TaskFailed', Cause: JSON.stringify({ StopCode: 'EssentialContainerExited', Containers: containers }) };
    expect(decideRetry({ policy: defaults, attempt: 1, error, random: 0 }).rule).toBe('noRetryableMatch');
  });
});

describe('causes of errors without a stopped task', () => {
  const unknown = (failures: unknown) => ({ Error: 'AmazonECS.Unknown', Cause: JSON.stringify({ Failures: failures, Tasks: [] }) });

  test('a permanent cause wins over a retryable error name', () => {
    const decision = decideRetry({ policy: defaults, attempt: 1, error: failure('task-definition-inactive'), random: 0 });
    expect(defaults.retryableErrors).toContain('ECS.AmazonECSException');
    expect(decision).toMatchObject({ retryable: false, retry: false, rule: 'nonRetryableErrorCause:*TaskDefinition is inactive*' });
    expect(decision.cause).toMatch(/^Attempt 1 failed with ECS.AmazonECSException: TaskDefinition is inactive \(Service: AmazonECS;.*\[rule: nonRetryableErrorCause:/);
  });

  test('patterns are matched against each whole failure reason, not the JSON text', () => {
    const policy = { ...defaults, nonRetryableErrorCauses: ['RESOURCE'] };
    expect(decideRetry({ policy, attempt: 1, error: unknown([{ Reason: 'RESOURCE:MEMORY' }]), random: 0 }).rule).toBe('retryableError:AmazonECS.Unknown');
    expect(decideRetry({ policy, attempt: 1, error: unknown([{ Reason: 'AGENT' }, { Reason: 'resource' }]), random: 0 }).rule)
      .toBe('nonRetryableErrorCause:RESOURCE');
  });

  test('a failure\'s Detail is matched too, and camelCase from the ECS API is read', () => {
    const policy = { ...defaults, nonRetryableErrorCauses: ['*no such subnet*'] };
    expect(decideRetry({ policy, attempt: 1, error: unknown([{ Reason: 'MISSING', Detail: 'no such subnet: subnet-0abc' }]), random: 0 }).retryable).toBe(false);
    const camel = { Error: 'AmazonECS.Unknown', Cause: JSON.stringify({ failures: [{ reason: 'ATTRIBUTE' }], tasks: [] }) };
    expect(decideRetry({ policy: defaults, attempt: 1, error: camel, random: 0 }).rule).toBe('nonRetryableErrorCause:ATTRIBUTE');
  });

  test('capacity, busy instances and throttling stay retryable under the defaults', () => {
    for (const reason of ['RESOURCE:CPU', 'RESOURCE:MEMORY', 'RESOURCE:ENI', 'AGENT',
      'Capacity is unavailable at this time. Please try again later or in a different availability zone']) {
      expect(decideRetry({ policy: defaults, attempt: 1, error: unknown([{ Reason: reason }]), random: 0 }).rule).toBe('retryableError:AmazonECS.Unknown');
    }
    expect(decideRetry({ policy: defaults, attempt: 1, error: failure('ecs-api-throttled'), random: 0 }).retryable).toBe(true);
  });

  test('a policy rendered before nonRetryableErrorCauses existed keeps its old behaviour', () => {
    const { nonRetryableErrorCauses, ...old } = defaults;
    expect(nonRetryableErrorCauses).toEqual(RetryDefaults.NON_RETRYABLE_ERROR_CAUSES);
    const decision = decideRetry({ policy: old, attempt: 1, error: failure('task-definition-inactive'), random: 0 });
    expect(decision).toMatchObject({ retryable: true, rule: 'retryableError:ECS.AmazonECSException' });
  });

  test('the patterns never apply to a stopped task', () => {
    const policy = { ...defaults, nonRetryableErrorCauses: ['*'] };
    expect(decideRetry({ policy, attempt: 1, error: failure('spot-interruption'), random: 0 }).rule).toBe('retryableStopCode:SpotInterruption');
  });

  test('a Cause that is neither JSON nor text matches nothing', () => {
    const policy = { ...defaults, nonRetryableErrorCauses: ['*'] };
    expect(decideRetry({ policy, attempt: 1, error: { Error: 'ECS.ServerException', Cause: 42 }, random: 0 }).rule).toBe('retryableError:ECS.ServerException');
    expect(decideRetry({ policy, attempt: 1, error: { Error: 'ECS.ServerException', Cause: 'Service Unavailable' }, random: 0 }).rule)
      .toBe('nonRetryableErrorCause:*');
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
    const entry = { attempt: 1, error: 'E', stoppedReason: 'y'.repeat(10_000), exitCodes: [{ name: 'a', exitCode: 'no' }], rule: 'r', retryable: true, waitSeconds: 5 };
    const history = [null, 'x', 3, { ...entry, containerReason: 'z'.repeat(10_000) }];
    const decision = decideRetry({ policy: { ...defaults, maxAttempts: 3 }, attempt: 2, error: failure('spot-interruption'), history, random: 0 });
    expect(decision.history).toHaveLength(2);
    expect(decision.history[0].stoppedReason!.length).toBe(MAX_REASON_LENGTH / 2);
    expect(decision.history[0].containerReason!.length).toBe(MAX_REASON_LENGTH / 2);
    expect(decision.history[0].exitCodes).toEqual([]);
  });
});
