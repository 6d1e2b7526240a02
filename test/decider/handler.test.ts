import { handler } from '../../lambda/decider-handler';
import type { Decision } from '../../src/decider/wire';
import { renderFallbackRules, renderRetryPolicy } from '../../src/policy/render-retry-policy';
import { failure } from '../support/fixtures';

describe('decider handler', () => {
  let log: jest.SpyInstance;
  beforeEach(() => {
    log = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => log.mockRestore());

  test('adapts the invocation payload and logs one structured line per decision', async () => {
    const decision = await handler({ run: 'Stack/Job/Run', policy: renderRetryPolicy({ maxAttempts: 2 }), attempt: 1, error: failure('spot-interruption'), history: [] });
    expect(decision).toMatchObject({ retryable: true, retry: true, rule: 'retryableStopCode:SpotInterruption' });
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0][0]).toMatch(/^\{.*\}\n$/);
    expect(JSON.parse(log.mock.calls[0][0])).toEqual({
      message: 'retry decision',
      run: 'Stack/Job/Run',
      attempt: 1,
      error: 'States.TaskFailed',
      stopCode: 'SpotInterruption',
      rule: 'retryableStopCode:SpotInterruption',
      decision: 'RETRY',
      waitSeconds: (decision as Decision).waitSeconds,
    });
  });

  test('names an exhausted run in its log line', async () => {
    await handler({ policy: renderRetryPolicy({ maxAttempts: 2 }), attempt: 2, error: failure('spot-interruption') });
    expect(JSON.parse(log.mock.calls[0][0]).decision).toBe('EXHAUSTED');
  });

  test('passes the placement of the failed attempt through', async () => {
    const sizes = [{ cpu: 256, memoryMiB: 512, containerMemoryMiB: [] }, { cpu: 512, memoryMiB: 1024, containerMemoryMiB: [] }];
    const policy = { ...renderRetryPolicy({}), sizes, fallback: renderFallbackRules({}) };
    const decision = await handler({ policy, attempt: 1, error: failure('oom-fargate'), placement: { sizeIndex: 1, capacity: 'fallback' } });
    expect(decision).toMatchObject({ rule: 'outOfMemoryAtLargestSize', next: { sizeIndex: 1, capacity: 'fallback', size: sizes[1] } });
  });

  // `Decide retry` puts the answer into the execution's state as it is (no selection), so it must
  // hold exactly the fields the state machine reads: `next` only for a run that places attempts.
  test.each([
    ['a plain run', renderRetryPolicy({}), undefined, ['cause', 'history', 'retry', 'retryable', 'rule', 'waitSeconds']],
    ['an adaptive run', { ...renderRetryPolicy({}), fallback: renderFallbackRules({}) }, { sizeIndex: 0, capacity: 'primary' },
      ['cause', 'history', 'next', 'retry', 'retryable', 'rule', 'waitSeconds']],
    ['a malformed payload', 'not a policy', 'not a placement', ['cause', 'history', 'retry', 'retryable', 'rule', 'waitSeconds']],
  ])('answers %s with exactly the fields the state machine reads', async (_name, policy, placement, fields) => {
    for (const error of [failure('spot-interruption'), failure('exit-code-1'), { Error: 'States.Timeout' }]) {
      const decision = await handler({ run: 'Stack/Job/Run', policy, attempt: 1, error, history: [], placement });
      expect(Object.keys(decision).sort()).toEqual(fields);
    }
  });

  test.each([undefined, null, 'event', 7, []])('answers %p with a not-retryable decision', async (event) => {
    const decision = await handler(event);
    expect(decision).toMatchObject({ retryable: false, retry: false });
    expect(JSON.parse(log.mock.calls[0][0])).toMatchObject({ decision: 'NOT_RETRYABLE', run: 'unknown' });
  });

  test('counts a lost notification with one log line that the NotificationsLost filter matches', async () => {
    const answer = await handler({ run: 'Stack/Job/Run', lostNotification: { status: 'FAILED', error: 'SNS.KMSAccessDeniedException' } });
    expect(answer).toEqual({ counted: true });
    expect(log).toHaveBeenCalledTimes(1);
    expect(JSON.parse(log.mock.calls[0][0])).toEqual({
      message: 'notification lost', run: 'Stack/Job/Run', status: 'FAILED', error: 'SNS.KMSAccessDeniedException', decision: 'NOTIFICATION_LOST',
    });
  });

  test('the decision line of an adaptive run says where the attempt ran and where the next one runs', async () => {
    const sizes = [{ cpu: 256, memoryMiB: 512, containerMemoryMiB: [] }, { cpu: 512, memoryMiB: 1024, containerMemoryMiB: [] }];
    const policy = { ...renderRetryPolicy({ maxAttempts: 3 }), sizes, fallback: { stopCodes: ['SpotInterruption'], stoppedReasons: [], errorCauses: [] } };
    await handler({ run: 'Stack/Job/Run', policy, attempt: 1, error: failure('oom-fargate'), placement: { sizeIndex: 0, capacity: 'primary' } });
    expect(JSON.parse(log.mock.calls[0][0])).toMatchObject({
      decision: 'RETRY',
      size: { cpu: 256, memoryMiB: 512 },
      capacity: 'primary',
      nextSize: { cpu: 512, memoryMiB: 1024 },
      nextCapacity: 'primary',
    });
  });

  test('the decision line of a plain run has no placement fields', async () => {
    await handler({ run: 'Stack/Job/Run', policy: renderRetryPolicy({ maxAttempts: 2 }), attempt: 1, error: failure('spot-interruption') });
    const line = JSON.parse(log.mock.calls[0][0]);
    expect(Object.keys(line)).not.toEqual(expect.arrayContaining(['size']));
    expect(line.capacity).toBeUndefined();
  });
});
