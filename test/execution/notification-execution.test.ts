import { Duration, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RetryableEcsRunTask, RetryableEcsRunTaskProps, RetryErrors } from '../../src';
import { failure, successTask } from '../support/fixtures';
import { executeLocally, ExecuteOptions, LocalExecution, Outcome, renderedDefinition } from '../support/local-execution';
import { testEnvironment } from '../support/stack';

const ok: Outcome = { succeed: successTask() };
const fail = (name: string): Outcome => ({ fail: failure(name) });

function snsError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** A publish that always fails with a permanent error, as for a key the role may not use. */
const kmsDenied = async () => {
  throw snsError('SNS.KMSAccessDeniedException', 'User is not authorized to perform kms:GenerateDataKey');
};

function run(withTopics: boolean, options: ExecuteOptions & { props?: Partial<RetryableEcsRunTaskProps> }): Promise<LocalExecution> {
  const { stack, cluster, taskDefinition } = testEnvironment();
  const topics = (s: Stack) => {
    const topic = new sns.Topic(s, 'Topic');
    return { successTopic: topic, failureTopic: topic };
  };
  new RetryableEcsRunTask(stack, 'Job', {
    cluster,
    taskDefinition,
    maxAttempts: 2,
    interval: Duration.seconds(10),
    jitterStrategy: sfn.JitterType.NONE,
    retryableExitCodes: [75],
    ...(withTopics ? topics(stack) : {}),
    ...options.props,
  });
  return executeLocally(renderedDefinition(stack), options);
}

/** A broken decider, for the path on which the decider itself fails. */
const brokenDecider = async () => {
  throw snsError('Lambda.ServiceException', 'decider unavailable');
};

// The decider logs one line per decision; keep test output readable.
beforeAll(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));

describe('a notification that cannot be published never changes the result', () => {
  test('success stays success, with the same result and the loss recorded beside it', async () => {
    const withoutTopic = await run(false, { outcomes: [fail('spot-interruption'), ok], input: { job: 'a' } });
    const lost = await run(true, { outcomes: [fail('spot-interruption'), ok], input: { job: 'a' }, publish: kmsDenied });

    expect(lost.status).toBe('SUCCEEDED');
    const { notificationLost, ...result } = lost.output.retryableEcsRunTask;
    expect(result).toEqual(withoutTopic.output.retryableEcsRunTask);
    expect(lost.output.job).toBe('a');
    expect(notificationLost.Error).toBe('SNS.KMSAccessDeniedException');
    expect(lost.lostNotifications).toEqual([{ status: 'SUCCEEDED', error: 'SNS.KMSAccessDeniedException' }]);
    // A permanent error is not published again.
    expect(lost.published).toHaveLength(1);
  });

  test.each([
    ['not retryable', [fail('exit-code-1')], RetryErrors.NOT_RETRYABLE, undefined],
    ['attempts exhausted', [fail('spot-interruption'), fail('spot-interruption')], RetryErrors.ATTEMPTS_EXHAUSTED, undefined],
    ['decider failed', [fail('spot-interruption')], RetryErrors.INVALID_DECISION, brokenDecider],
  ])('%s keeps its error name and cause, with a note on the lost notification', async (_, outcomes, error, decider) => {
    const withoutTopic = await run(false, { outcomes: [...outcomes], decider });
    const lost = await run(true, { outcomes: [...outcomes], decider, publish: kmsDenied });

    expect(withoutTopic.status).toBe('FAILED');
    expect(withoutTopic.error).toBe(error);
    expect(lost.status).toBe('FAILED');
    expect(lost.error).toBe(error);
    expect(lost.cause).toBe(`${withoutTopic.cause} [failure notification lost: SNS.KMSAccessDeniedException]`);
    expect(lost.lostNotifications[0]).toEqual({ status: 'FAILED', error: 'SNS.KMSAccessDeniedException' });
  });

  test('an invalid decision keeps its error name when its notification is lost', async () => {
    const liar = async () => ({ retryable: 'maybe', retry: false, waitSeconds: 0, rule: 'x', history: [], cause: 'x' });
    const lost = await run(true, { outcomes: [fail('spot-interruption')], decider: liar, publish: kmsDenied });

    expect(lost.error).toBe(RetryErrors.INVALID_DECISION);
    expect(lost.cause).toBe('The retry decider returned a decision the state machine cannot act on. [failure notification lost: SNS.KMSAccessDeniedException]');
  });

  test('throttling is published again, and a publish that then succeeds leaves no trace', async () => {
    let calls = 0;
    const throttledOnce = async () => {
      calls++;
      if (calls === 1) {
        throw snsError('SNS.ThrottledException', 'Rate exceeded');
      }
      return { MessageId: 'm-2' };
    };
    const result = await run(true, { outcomes: [ok], publish: throttledOnce });

    expect(result.status).toBe('SUCCEEDED');
    expect(calls).toBe(2);
    expect(result.output.retryableEcsRunTask.notificationLost).toBeUndefined();
    expect(result.lostNotifications).toEqual([]);
  });

  test('throttling that outlasts the retries loses the notification, not the result', async () => {
    const throttled = async () => {
      throw snsError('SNS.ThrottledException', 'Rate exceeded');
    };
    const result = await run(true, { outcomes: [fail('exit-code-1')], publish: throttled });

    expect(result.error).toBe(RetryErrors.NOT_RETRYABLE);
    // The first publish and its 3 retries.
    expect(result.published).toHaveLength(4);
    expect(result.lostNotifications).toEqual([{ status: 'FAILED', error: 'SNS.ThrottledException' }]);
  });

  test('a decider that cannot count the loss does not change the result either', async () => {
    const { stack, cluster, taskDefinition } = testEnvironment();
    const topic = new sns.Topic(stack, 'Topic');
    new RetryableEcsRunTask(stack, 'Job', { cluster, taskDefinition, successTopic: topic });
    const definition = renderedDefinition(stack);
    // The count state invokes the decider; make every invocation of it fail.
    const result = await executeLocally(definition, { outcomes: [ok], publish: kmsDenied, decider: brokenDecider });

    expect(result.status).toBe('SUCCEEDED');
  });
});

describe('a decider that fails', () => {
  test('ends the run as an invalid decision, not with the Lambda error, and notifies', async () => {
    const result = await run(true, { outcomes: [fail('spot-interruption')], decider: brokenDecider });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(RetryErrors.INVALID_DECISION);
    expect(result.cause).toContain('Lambda.ServiceException');
    expect(result.published).toHaveLength(1);
    expect(result.published[0].Message).toMatchObject({ status: 'FAILED', error: RetryErrors.INVALID_DECISION, attempts: 1 });
  });
});

describe('FIFO topics', () => {
  test.each([
    ['deduplicated by id', false],
    ['deduplicated by content', true],
  ])('publish with a message group per run, %s', async (_, contentBasedDeduplication) => {
    const { stack, cluster, taskDefinition } = testEnvironment();
    const topic = new sns.Topic(stack, 'Topic', { fifo: true, contentBasedDeduplication });
    new RetryableEcsRunTask(stack, 'Job', { cluster, taskDefinition, successTopic: topic, failureTopic: topic });
    const result = await executeLocally(renderedDefinition(stack), { outcomes: [ok] });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.published[0].MessageGroupId).toBe('TestStack/Job/Run');
    if (contentBasedDeduplication) {
      expect(result.published[0].MessageDeduplicationId).toBeUndefined();
    } else {
      expect(result.published[0].MessageDeduplicationId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  test('a run named with a space and an umlaut still publishes, in a group SNS accepts', async () => {
    // GIVEN: SNS refuses a group id beyond 128 letters, digits and ASCII punctuation.
    const snsPublish = async (input: any) => {
      if (!/^[\x21-\x7e]{1,128}$/.test(input.MessageGroupId)) {
        throw snsError('SNS.InvalidParameterException', 'Invalid parameter: MessageGroupId');
      }
      return { MessageId: 'm-1' };
    };
    const { stack, cluster, taskDefinition } = testEnvironment();
    const topic = new sns.Topic(stack, 'Topic', { fifo: true });
    new RetryableEcsRunTask(stack, 'Nightly report ü', { cluster, taskDefinition, successTopic: topic, failureTopic: topic });

    // WHEN
    const result = await executeLocally(renderedDefinition(stack), { outcomes: [ok], publish: snsPublish });

    // THEN
    expect(result.status).toBe('SUCCEEDED');
    expect(result.lostNotifications).toEqual([]);
    expect(result.published).toHaveLength(1);
    expect(result.published[0].MessageGroupId).toMatch(/^TestStack\/Nightly_report__\/Run-[0-9a-f]{8}$/);
  });
});
