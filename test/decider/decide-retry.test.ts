import { backoffSeconds, decideRetry, MAX_REASON_LENGTH, truncate } from '../../src/decider/decide-retry';
import { MAX_ATTEMPTS_LIMIT } from '../../src/decider/wire';
import { renderFallbackRules, renderRetryPolicy } from '../../src/policy/render-retry-policy';
import { RetryDefaults } from '../../src/policy/retry-defaults';
import { TaskStopCode } from '../../src/policy/task-stop-code';
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
    // Out of memory is not retried without a size ladder; exit code 137 alone says nothing.
    'oom-fargate': [false, 'noRetryableMatch'],
    'oom-ec2': [false, 'noRetryableMatch'],
    'oom-sidecar': [false, 'noRetryableMatch'],
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

describe('backoff at the extremes', () => {
  test('a zero interval with a rate that overflows waits 0 seconds, never NaN', () => {
    const policy = { ...defaults, intervalSeconds: 0, backoffRate: 1.04e22, maxDelaySeconds: 60, maxAttempts: 20, jitter: 'FULL' };
    expect(backoffSeconds(policy, 15, 0)).toBe(0);
    expect(decideRetry({ policy, attempt: 15, error: failure('spot-interruption'), random: 0 }).waitSeconds).toBe(0);
  });

  test('a rate that overflows to infinity waits maxDelay', () => {
    const policy = { ...defaults, intervalSeconds: 1, backoffRate: 1.04e22, maxDelaySeconds: 60, jitter: 'NONE' };
    expect(backoffSeconds(policy, 15, 0)).toBe(60);
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

  test('a long history keeps the first and the latest two entries whole, and the others brief', () => {
    const policy = { ...defaults, maxAttempts: 6, jitter: 'NONE' };
    let history: unknown = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      history = decideRetry({ policy, attempt, error: failure('sidecar-killed'), history, random: 0 }).history;
    }
    const entries = history as any[];
    expect(entries.map((h) => h.attempt)).toEqual([1, 2, 3, 4, 5]);
    expect(entries.map((h) => h.shortened === true)).toEqual([false, true, true, false, false]);
    for (const whole of [entries[0], entries[3], entries[4]]) {
      expect(whole).toMatchObject({ stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' });
      expect(whole.exitCodes).toHaveLength(2);
    }
    // What decided stays; the reasons and exit codes go.
    expect(entries[1]).toEqual({
      attempt: 2, error: 'States.TaskFailed', stopCode: 'EssentialContainerExited', exitCodes: [], rule: 'noRetryableMatch', retryable: false, waitSeconds: 0, shortened: true,
    });
  });

  test('a brief entry cuts its names and rule, and stays as it is when read again', () => {
    const long = { attempt: 2, error: `E${'e'.repeat(300)}`, stopCode: `S${'s'.repeat(300)}`, exitCodes: [{ name: 'app', exitCode: 1 }], rule: `r${'x'.repeat(400)}`, retryable: true, waitSeconds: 3 };
    const first = { attempt: 1, error: 'E', exitCodes: [], rule: 'r', retryable: true, waitSeconds: 1 };
    const policy = { ...defaults, maxAttempts: 10 };
    const once = decideRetry({ policy, attempt: 4, error: failure('spot-interruption'), history: [first, long, first], random: 0 }).history;
    expect(once[1].error).toHaveLength(32);
    expect(once[1].stopCode).toHaveLength(32);
    expect(once[1].rule).toHaveLength(64);
    expect(once[1].rule).toMatch(/^rx+…\[\d+ chars cut\]…x+$/);
    const twice = decideRetry({ policy, attempt: 5, error: failure('spot-interruption'), history: once, random: 0 }).history;
    expect(twice[1]).toEqual(once[1]);
  });

  test('exit codes come from the first 10 containers, with names cut to 64 characters', () => {
    const containers = [...Array(12).keys()].map((i) => ({ Name: `${'n'.repeat(100)}${i}`, ExitCode: i, LastStatus: 'STOPPED' }));
    const error = { Error: 'States.TaskFailed', Cause: JSON.stringify({ StopCode: 'EssentialContainerExited', Containers: [{ Name: 'no-exit' }, ...containers] }) };
    const decision = decideRetry({ policy: defaults, attempt: 1, error, random: 0 });
    expect(decision.history[0].exitCodes.map((e) => e.exitCode)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(decision.history[0].exitCodes.every((e) => [...e.name].length === 64)).toBe(true);
  });

  test('the rule is cut to 319 characters, in the history and the decision', () => {
    const pattern = `ResourceInitializationError:${'*x'.repeat(300)}*`;
    const error = withStoppedReason(failure('resource-initialization-error'), `ResourceInitializationError: ${'x'.repeat(400)}`);
    const policy = { ...defaults, retryableStopCodes: [], retryableStoppedReasons: [pattern] };
    const decision = decideRetry({ policy, attempt: 1, error, random: 0 });
    expect([...decision.rule]).toHaveLength(319);
    expect(decision.history[0].rule).toBe(decision.rule);
    expect(decision.cause).toContain(`[rule: ${decision.rule}]`);
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

describe('the size ladder for out-of-memory failures', () => {
  const sizes = [
    { cpu: 256, memoryMiB: 512, containerMemoryMiB: [448] },
    { cpu: 512, memoryMiB: 1024, containerMemoryMiB: [960] },
    { cpu: 1024, memoryMiB: 4096, containerMemoryMiB: [3968] },
  ];
  const policy = { ...defaults, sizes };
  const oomFixtures = ['oom-fargate', 'oom-ec2', 'oom-sidecar', 'out-of-memory'];

  test.each(oomFixtures)('%s escalates to the next size', (name) => {
    const decision = decideRetry({ policy, attempt: 1, error: failure(name), placement: { sizeIndex: 0, capacity: 'primary' }, random: 0 });
    expect(decision).toMatchObject({ retryable: true, retry: true, rule: 'outOfMemory:escalate to size 1' });
    expect(decision.next).toEqual({ sizeIndex: 1, capacity: 'primary', size: sizes[1] });
    expect(decision.history[0]).toMatchObject({ size: { cpu: 256, memoryMiB: 512 }, capacity: 'primary' });
  });

  test.each(oomFixtures)('%s at the largest size is not retried', (name) => {
    const decision = decideRetry({ policy, attempt: 1, error: failure(name), placement: { sizeIndex: 2, capacity: 'primary' }, random: 0 });
    expect(decision).toMatchObject({ retryable: false, retry: false, waitSeconds: 0, rule: 'outOfMemoryAtLargestSize' });
    expect(decision.next).toEqual({ sizeIndex: 2, capacity: 'primary', size: sizes[2] });
    expect(decision.history[0].size).toEqual({ cpu: 1024, memoryMiB: 4096 });
  });

  test('the decision in full, with the container reason that detected it and the size in the cause', () => {
    const decision = decideRetry({
      policy: { ...policy, jitter: 'NONE' }, attempt: 1, error: failure('oom-fargate'), placement: { sizeIndex: 0, capacity: 'primary' }, random: 0,
    });
    expect(decision).toEqual({
      retryable: true,
      retry: true,
      waitSeconds: 30,
      rule: 'outOfMemory:escalate to size 1',
      history: [{
        attempt: 1,
        error: 'States.TaskFailed',
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        containerReason: 'OutOfMemoryError: Container killed due to memory usage',
        exitCodes: [{ name: 'app', exitCode: 137 }],
        rule: 'outOfMemory:escalate to size 1',
        retryable: true,
        waitSeconds: 30,
        size: { cpu: 256, memoryMiB: 512 },
        capacity: 'primary',
      }],
      cause: 'Attempt 1 failed with States.TaskFailed: EssentialContainerExited: Essential container in task exited '
        + '(container reason: OutOfMemoryError: Container killed due to memory usage) (exit codes: app=137) '
        + '[rule: outOfMemory:escalate to size 1] [ran on primary, size 0: 256 CPU, 512 MiB]',
      next: { sizeIndex: 1, capacity: 'primary', size: sizes[1] },
    });
  });

  test('records the reason of the sidecar that ran out of memory', () => {
    const decision = decideRetry({ policy, attempt: 1, error: failure('oom-sidecar'), placement: { sizeIndex: 1, capacity: 'primary' }, random: 0 });
    expect(decision.rule).toBe('outOfMemory:escalate to size 2');
    expect(decision.history[0].containerReason).toBe('OutOfMemoryError: Container killed due to memory usage');
    expect(decision.history[0].exitCodes).toEqual([{ name: 'app', exitCode: 0 }, { name: 'log-router', exitCode: 137 }]);
  });

  test('records no container reason when the stopped reason detected it', () => {
    const decision = decideRetry({ policy, attempt: 1, error: failure('out-of-memory'), placement: { sizeIndex: 0, capacity: 'primary' }, random: 0 });
    expect(decision.history[0].containerReason).toBeUndefined();
  });

  test('exit code 137 alone is not out of memory', () => {
    const decision = decideRetry({ policy, attempt: 1, error: failure('sidecar-killed'), placement: { sizeIndex: 0, capacity: 'primary' }, random: 0 });
    expect(decision).toMatchObject({ retryable: false, rule: 'noRetryableMatch', next: { sizeIndex: 0 } });
  });

  test('matches OutOfMemoryError case-insensitively, at the start of a reason only', () => {
    const withReason = (reason: string) => ({
      Error: 'States.TaskFailed',
      Cause: JSON.stringify({ StopCode: 'EssentialContainerExited', Containers: [{ Name: 'app', ExitCode: 137, Reason: reason }] }),
    });
    expect(decideRetry({ policy, attempt: 1, error: withReason('outofmemoryerror: killed'), random: 0 }).rule).toBe('outOfMemory:escalate to size 1');
    expect(decideRetry({ policy, attempt: 1, error: withReason('App said: OutOfMemoryError'), random: 0 }).rule).toBe('noRetryableMatch');
  });

  test('a non-retryable stopped reason still wins', () => {
    const permanent = { ...policy, nonRetryableStoppedReasons: ['OutOfMemoryError:*'] };
    const decision = decideRetry({ policy: permanent, attempt: 1, error: failure('oom-fargate'), random: 0 });
    expect(decision).toMatchObject({ retryable: false, rule: 'nonRetryableStoppedReason:OutOfMemoryError:*', next: { sizeIndex: 0 } });
  });

  test('out of memory at the largest size wins over a retryable exit code', () => {
    const decision = decideRetry({
      policy: { ...policy, retryableExitCodes: [137] }, attempt: 1, error: failure('oom-ec2'), placement: { sizeIndex: 2, capacity: 'primary' }, random: 0,
    });
    expect(decision.rule).toBe('outOfMemoryAtLargestSize');
  });

  test('the last attempt escalates nothing: the next placement repeats the failed one', () => {
    const decision = decideRetry({ policy, attempt: 3, error: failure('oom-fargate'), placement: { sizeIndex: 0, capacity: 'primary' }, random: 0 });
    expect(decision).toMatchObject({ retryable: true, retry: false, rule: 'outOfMemory:escalate to size 1' });
    expect(decision.next).toEqual({ sizeIndex: 0, capacity: 'primary', size: sizes[0] });
  });

  test('a failure other than out of memory keeps the size', () => {
    const decision = decideRetry({ policy, attempt: 1, error: failure('spot-interruption'), placement: { sizeIndex: 1, capacity: 'primary' }, random: 0 });
    expect(decision).toMatchObject({ retry: true, rule: 'retryableStopCode:SpotInterruption' });
    expect(decision.next).toEqual({ sizeIndex: 1, capacity: 'primary', size: sizes[1] });
  });

  test.each<[string, unknown]>([
    ['a ladder of one size', [sizes[0]]],
    ['a rung with CPU 0', [sizes[0], { ...sizes[1], cpu: 0 }]],
    ['a rung with a memory string', [sizes[0], { ...sizes[1], memoryMiB: '1024' }]],
    ['a rung without container limits', [sizes[0], { cpu: 512, memoryMiB: 1024 }]],
    ['a rung with a negative container limit', [sizes[0], { ...sizes[1], containerMemoryMiB: [-1] }]],
    ['a rung that is not an object', [sizes[0], null]],
    ['a ladder that is not a list', { 0: sizes[0], 1: sizes[1] }],
    ['infinite memory', [sizes[0], { ...sizes[1], memoryMiB: Infinity }]],
  ])('%s is no ladder: out of memory is classified as without one', (_, badSizes) => {
    const decision = decideRetry({ policy: { ...defaults, sizes: badSizes }, attempt: 1, error: failure('oom-fargate'), random: 0 });
    expect(decision).toEqual(decideRetry({ policy: defaults, attempt: 1, error: failure('oom-fargate'), random: 0 }));
  });
});

describe('the fallback launch target', () => {
  const fallback = renderFallbackRules({});
  const policy = { ...defaults, fallback };
  const primary = { sizeIndex: 0, capacity: 'primary' };

  test.each([
    ['spot-interruption', 'retryableStopCode:SpotInterruption'],
    ['termination-notice', 'retryableStopCode:TerminationNotice'],
    ['capacity-unavailable', 'retryableError:AmazonECS.Unknown'],
  ])('%s moves the next attempt to the fallback, under the same rule', (name, rule) => {
    const decision = decideRetry({ policy, attempt: 1, error: failure(name), placement: primary, random: 0 });
    expect(decision).toMatchObject({ retryable: true, retry: true, rule });
    expect(decision.next).toEqual({ sizeIndex: 0, capacity: 'fallback' });
    expect(decision.history[0].capacity).toBe('primary');
    expect(decision.history[0].size).toBeUndefined();
    expect(decision.cause).toMatch(/ \[ran on primary\]$/);
  });

  test('the default rules move exactly the capacity failures of the corpus', () => {
    const corpus = allFailures();
    // Retry everything, so that only the fallback rules decide where.
    const retryAll = {
      ...policy,
      retryableStoppedReasons: ['*'],
      nonRetryableStoppedReasons: [],
      retryableErrors: Object.values(corpus).map((f) => f.Error),
      nonRetryableErrorCauses: [],
    };
    const fallenBack = Object.entries(corpus).filter(([, error]) => {
      const decision = decideRetry({ policy: retryAll, attempt: 1, error, placement: primary, random: 0 });
      expect(decision.retry).toBe(true);
      return decision.next?.capacity === 'fallback';
    }).map(([name]) => name);
    expect(fallenBack.sort()).toEqual(['capacity-unavailable', 'spot-interruption', 'termination-notice']);
  });

  test('a failure the rules do not match stays on the primary', () => {
    const decision = decideRetry({ policy, attempt: 1, error: failure('resource-initialization-error'), placement: primary, random: 0 });
    expect(decision).toMatchObject({ retry: true, next: { sizeIndex: 0, capacity: 'primary' } });
  });

  test('once on the fallback, later attempts stay there', () => {
    const decision = decideRetry({ policy, attempt: 2, error: failure('resource-initialization-error'), placement: { sizeIndex: 0, capacity: 'fallback' }, random: 0 });
    expect(decision.next).toEqual({ sizeIndex: 0, capacity: 'fallback' });
    expect(decision.history[0].capacity).toBe('fallback');
  });

  test('the rules decide where, not whether: a failure that is not retried gets no fallback', () => {
    const noSpotRetry = { ...policy, retryableStopCodes: [] };
    const decision = decideRetry({ policy: noSpotRetry, attempt: 1, error: failure('spot-interruption'), placement: primary, random: 0 });
    expect(decision).toMatchObject({ retryable: false, retry: false, rule: 'noRetryableMatch' });
    expect(decision.next).toEqual({ sizeIndex: 0, capacity: 'primary' });
  });

  test('the Fargate Spot stopped reason moves to the fallback without its stop code', () => {
    const error = withStoppedReason(failure('resource-initialization-error'), 'Your Spot Task was interrupted.');
    const decision = decideRetry({ policy, attempt: 1, error, placement: primary, random: 0 });
    expect(decision).toMatchObject({ rule: 'retryableStopCode:TaskFailedToStart', next: { capacity: 'fallback' } });
  });

  test('stopped-reason patterns match container reasons too', () => {
    const rules = { stopCodes: [], stoppedReasons: ['CannotPullContainerError:*toomanyrequests*'], errorCauses: [] };
    const decision = decideRetry({ policy: { ...defaults, fallback: rules }, attempt: 1, error: failure('ec2-cannot-pull-throttled'), placement: primary, random: 0 });
    expect(decision.next).toEqual({ sizeIndex: 0, capacity: 'fallback' });
  });

  test('cause patterns match the SDK message of an error without Failures, and each failure reason', () => {
    const sdk = {
      Error: 'ECS.AmazonECSException',
      Cause: 'Capacity is unavailable at this time. Please try again later or in a different availability zone '
        + '(Service: AmazonECS; Status Code: 400; Error Code: ClientException; Request ID: 0f1e2d3c)',
    };
    expect(decideRetry({ policy, attempt: 1, error: sdk, placement: primary, random: 0 }).next?.capacity).toBe('fallback');
    const busy = { Error: 'AmazonECS.Unknown', Cause: JSON.stringify({ Failures: [{ Arn: 'arn:aws:ecs:x', Reason: 'RESOURCE:MEMORY' }], Tasks: [] }) };
    expect(decideRetry({ policy, attempt: 1, error: busy, placement: primary, random: 0 }).next?.capacity).toBe('fallback');
  });

  test('cause patterns never apply to a stopped task', () => {
    const rules = { stopCodes: [], stoppedReasons: [], errorCauses: ['*'] };
    const decision = decideRetry({ policy: { ...defaults, fallback: rules }, attempt: 1, error: failure('spot-interruption'), placement: primary, random: 0 });
    expect(decision.next?.capacity).toBe('primary');
  });

  describe('with a size ladder', () => {
    const sizes = [
      { cpu: 256, memoryMiB: 512, containerMemoryMiB: [] },
      { cpu: 512, memoryMiB: 1024, containerMemoryMiB: [] },
      { cpu: 1024, memoryMiB: 2048, containerMemoryMiB: [] },
    ];
    const both = { ...policy, sizes };

    test('an attempt on the fallback that runs out of memory escalates and stays on the fallback', () => {
      const decision = decideRetry({ policy: both, attempt: 2, error: failure('oom-fargate'), placement: { sizeIndex: 0, capacity: 'fallback' }, random: 0 });
      expect(decision).toMatchObject({ retry: true, rule: 'outOfMemory:escalate to size 1' });
      expect(decision.next).toEqual({ sizeIndex: 1, capacity: 'fallback', size: sizes[1] });
      expect(decision.history[0]).toMatchObject({ size: { cpu: 256, memoryMiB: 512 }, capacity: 'fallback' });
      expect(decision.cause).toMatch(/ \[ran on fallback, size 0: 256 CPU, 512 MiB\]$/);
    });

    test('an attempt that both runs out of memory and matches the fallback rules does both', () => {
      const rules = { ...fallback, stoppedReasons: ['OutOfMemoryError:*'] };
      const decision = decideRetry({ policy: { ...both, fallback: rules }, attempt: 1, error: failure('oom-ec2'), placement: primary, random: 0 });
      expect(decision.next).toEqual({ sizeIndex: 1, capacity: 'fallback', size: sizes[1] });
    });

    test('a spot interruption keeps the size and falls back', () => {
      const decision = decideRetry({ policy: both, attempt: 1, error: failure('spot-interruption'), placement: { sizeIndex: 2, capacity: 'primary' }, random: 0 });
      expect(decision.next).toEqual({ sizeIndex: 2, capacity: 'fallback', size: sizes[2] });
    });
  });
});

describe('placement input', () => {
  const sizes = [
    { cpu: 256, memoryMiB: 512, containerMemoryMiB: [] },
    { cpu: 512, memoryMiB: 1024, containerMemoryMiB: [] },
    { cpu: 1024, memoryMiB: 2048, containerMemoryMiB: [] },
  ];
  const policy = { ...defaults, sizes, fallback: renderFallbackRules({}) };

  test('without a ladder or fallback rules there is no next, and the history records no placement', () => {
    const decision = decideRetry({ policy: defaults, attempt: 1, error: failure('spot-interruption'), placement: { sizeIndex: 1, capacity: 'fallback' }, random: 0 });
    expect('next' in decision).toBe(false);
    expect('capacity' in decision.history[0]).toBe(false);
    expect('size' in decision.history[0]).toBe(false);
    expect(decision.cause).not.toContain('ran on');
  });

  test.each<[string, unknown]>([
    ['absent', undefined], ['null', null], ['a string', 'fallback'], ['a list', [1, 'fallback']],
    ['a string index', { sizeIndex: '1', capacity: 'primary' }], ['a fractional index', { sizeIndex: 1.5 }],
    ['an unknown capacity', { sizeIndex: 0, capacity: 'FALLBACK' }], ['NaN', { sizeIndex: NaN, capacity: null }],
  ])('%s reads as the first size on the primary', (_, placement) => {
    const decision = decideRetry({ policy, attempt: 1, error: failure('resource-initialization-error'), placement, random: 0 });
    expect(decision.next).toEqual({ sizeIndex: 0, capacity: 'primary', size: sizes[0] });
    expect(decision.history[0]).toMatchObject({ size: { cpu: 256, memoryMiB: 512 }, capacity: 'primary' });
  });

  test('a size index is clamped into the ladder', () => {
    const above = decideRetry({ policy, attempt: 1, error: failure('oom-fargate'), placement: { sizeIndex: 99, capacity: 'primary' }, random: 0 });
    expect(above).toMatchObject({ rule: 'outOfMemoryAtLargestSize', next: { sizeIndex: 2 } });
    const below = decideRetry({ policy, attempt: 1, error: failure('oom-fargate'), placement: { sizeIndex: -4, capacity: 'primary' }, random: 0 });
    expect(below).toMatchObject({ rule: 'outOfMemory:escalate to size 1', next: { sizeIndex: 1 } });
  });

  test('without a ladder the size index is 0 and the next attempt carries no size', () => {
    const onlyFallback = { ...defaults, fallback: renderFallbackRules({}) };
    const decision = decideRetry({ policy: onlyFallback, attempt: 1, error: failure('oom-fargate'), placement: { sizeIndex: 2, capacity: 'primary' }, random: 0 });
    expect(decision).toMatchObject({ rule: 'noRetryableMatch' });
    expect(decision.next).toEqual({ sizeIndex: 0, capacity: 'primary' });
  });

  test('fallback rules that are not an object are absent; unreadable lists are empty', () => {
    for (const junk of [null, 'FARGATE', ['SpotInterruption'], 42]) {
      expect('next' in decideRetry({ policy: { ...defaults, fallback: junk }, attempt: 1, error: failure('spot-interruption'), random: 0 })).toBe(false);
    }
    const empty = decideRetry({ policy: { ...defaults, fallback: { stopCodes: 'SpotInterruption' } }, attempt: 1, error: failure('spot-interruption'), random: 0 });
    expect(empty.next).toEqual({ sizeIndex: 0, capacity: 'primary' });
  });

  test('history entries keep a well-formed size and capacity, and drop malformed ones', () => {
    const entry = { attempt: 1, error: 'E', exitCodes: [], rule: 'r', retryable: true, waitSeconds: 5 };
    const history = [
      { ...entry, size: { cpu: 256, memoryMiB: 512, containerMemoryMiB: [448], extra: 'x'.repeat(10_000) }, capacity: 'fallback' },
      { ...entry, size: { cpu: '256', memoryMiB: 512 }, capacity: 'spot' },
      { ...entry, size: { cpu: Infinity, memoryMiB: 512 }, capacity: { primary: true } },
    ];
    const decision = decideRetry({ policy: { ...policy, maxAttempts: 5 }, attempt: 4, error: failure('spot-interruption'), history, random: 0 });
    expect(decision.history[0]).toEqual({ ...entry, size: { cpu: 256, memoryMiB: 512 }, capacity: 'fallback' });
    // The second of four entries is neither the first nor one of the latest two: it is brief.
    expect(decision.history[1]).toEqual({ ...entry, shortened: true });
    expect(decision.history[2]).toEqual(entry);
  });
});
