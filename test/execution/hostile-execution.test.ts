import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { handler as decider } from '../../lambda/decider-handler';
import { RetryableEcsRunTask, RetryableEcsRunTaskProps, RetryErrors } from '../../src';
import { MAX_REASON_LENGTH } from '../../src/decider/decide-retry';
import { MAX_ATTEMPTS_LIMIT } from '../../src/decider/wire';
import { EcsFailure, failure, successTask, withStoppedReason } from '../support/fixtures';
import { executeLocally, ExecuteOptions, renderedDefinition } from '../support/local-execution';
import { testEnvironment } from '../support/stack';

/**
 * The largest state an execution may carry, documented in README ("Security and operations").
 * Step Functions rejects any state above 256 KiB.
 */
const DOCUMENTED_STATE_BOUND_BYTES = 100 * 1024;
const STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES = 256 * 1024;

function run(props: Partial<RetryableEcsRunTaskProps>, options: ExecuteOptions) {
  const { stack, cluster, taskDefinition } = testEnvironment();
  new RetryableEcsRunTask(stack, 'Job', {
    cluster,
    taskDefinition,
    maxAttempts: 3,
    interval: Duration.seconds(1),
    maxDelay: Duration.seconds(5),
    jitterStrategy: sfn.JitterType.NONE,
    ...props,
  });
  return executeLocally(renderedDefinition(stack), options);
}

const lambdaError = (name: string) => Object.assign(new Error(`${name}: Rate exceeded`), { name });
const hugeReason = (kib: number) => `ResourceInitializationError: failed to configure ENI: ${'ü✓ x'.repeat(kib * 256)}`;

// The decider logs one line per decision; keep test output readable.
beforeAll(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));

describe('the decider failing', () => {
  test('a Lambda.ServiceException once is retried natively, then the run goes on', async () => {
    let calls = 0;
    const flaky = async (payload: unknown) => {
      if (++calls === 1) {
        throw lambdaError('Lambda.ServiceException');
      }
      return decider(payload);
    };
    const result = await run({}, { outcomes: [{ fail: failure('spot-interruption') }, { succeed: successTask() }], decider: flaky });

    expect(calls).toBe(2);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.runTaskCalls).toBe(2);
    expect(result.output.retryableEcsRunTask.attempts).toBe(2);
  });

  test('a decider that keeps failing ends the run as an invalid decision, without looping', async () => {
    let calls = 0;
    const broken = async () => {
      calls++;
      throw lambdaError('Lambda.ServiceException');
    };
    const result = await run({}, { outcomes: [{ fail: failure('spot-interruption') }], decider: broken });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(RetryErrors.INVALID_DECISION);
    expect(result.cause).toMatch(/^The retry decider failed with Lambda\.ServiceException/);
    expect(result.runTaskCalls).toBe(1);
    // One call plus CDK's six native retries of Lambda service errors.
    expect(calls).toBe(7);
  });

  test('Lambda throttling is retried natively too', async () => {
    let calls = 0;
    const throttled = async (payload: unknown) => (++calls <= 3 ? Promise.reject(lambdaError('Lambda.TooManyRequestsException')) : decider(payload));
    const result = await run({}, { outcomes: [{ fail: failure('spot-interruption') }, { succeed: successTask() }], decider: throttled });
    expect(result.status).toBe('SUCCEEDED');
    expect(calls).toBe(4);
  });
});

describe('unusual failures of the task', () => {
  test('a sidecar killed (137) after the essential container exits with a retryable code is retried', async () => {
    const result = await run({ retryableExitCodes: [75] }, { outcomes: [{ fail: failure('sidecar-killed') }, { succeed: successTask() }] });

    expect(result.status).toBe('SUCCEEDED');
    expect(result.output.retryableEcsRunTask.history[0]).toMatchObject({
      exitCodes: [{ name: 'app', exitCode: 75 }, { name: 'log-router', exitCode: 137 }],
      rule: 'retryableExitCode:75',
    });
  });

  test('a 200 KB stopped reason, cut short by Step Functions, is still classified and recorded bounded', async () => {
    const reason = hugeReason(200);
    const result = await run({}, {
      outcomes: [{ fail: withStoppedReason(failure('resource-initialization-error'), reason) }, { succeed: successTask() }],
    });

    expect(result.status).toBe('SUCCEEDED');
    const entry = result.output.retryableEcsRunTask.history[0];
    expect(entry.rule).toBe('retryableStopCode:TaskFailedToStart');
    expect(entry.stoppedReason.length).toBe(MAX_REASON_LENGTH);
    expect(entry.stoppedReason.startsWith('ResourceInitializationError: failed to configure ENI: ü✓ x')).toBe(true);
    // Step Functions cut the Cause mid-reason; the decider marks that, then cuts the middle.
    expect(entry.stoppedReason).toMatch(/…\[\d+ chars cut\]….*…\[cause cut short\]$/);
  });

  test('a 200 KB stopped reason of a permanent failure is still not retried', async () => {
    const permanent = `CannotPullContainerError: ref app:v9: not found ${'.'.repeat(200 * 1024)}`;
    const result = await run({}, { outcomes: [{ fail: withStoppedReason(failure('cannot-pull-not-found'), permanent) }] });
    expect(result).toMatchObject({ status: 'FAILED', error: 'RetryableEcsRunTask.NotRetryable', runTaskCalls: 1 });
  });
});

describe('bounded state', () => {
  test(`with maxAttempts ${MAX_ATTEMPTS_LIMIT} and a 200 KB stopped reason on every attempt, the state stays within the documented bound`, async () => {
    const attempt: EcsFailure = withStoppedReason(failure('resource-initialization-error'), hugeReason(200));
    const outcomes = [...Array(MAX_ATTEMPTS_LIMIT)].map(() => ({ fail: attempt }));
    const result = await run({ maxAttempts: MAX_ATTEMPTS_LIMIT, interval: Duration.seconds(1), maxDelay: Duration.seconds(1) }, {
      outcomes,
      input: { jobId: 'nightly-report', partition: '2026-11-24' },
    });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RetryableEcsRunTask.AttemptsExhausted');
    expect(result.runTaskCalls).toBe(MAX_ATTEMPTS_LIMIT);
    expect(result.decisions[MAX_ATTEMPTS_LIMIT - 1].history).toHaveLength(MAX_ATTEMPTS_LIMIT);
    expect(result.peakStateBytes).toBeLessThanOrEqual(DOCUMENTED_STATE_BOUND_BYTES);
    expect(result.peakStateBytes).toBeLessThan(STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES / 2);
    process.stderr.write(`peak state: ${result.peakStateBytes} bytes (${(100 * result.peakStateBytes / STEP_FUNCTIONS_PAYLOAD_LIMIT_BYTES).toFixed(1)}% of 256 KiB)\n`);
  }, 60_000);
});
