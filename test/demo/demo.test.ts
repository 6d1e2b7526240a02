import { differences, ExecutedRun, PredictedRun, sideBySide } from '../../demo/compare';
import { executedRun } from '../../demo/executed-run';
import { FAILURES } from '../../demo/failures';
import { readme, readmeExample, README_SECTION, synthesizeReadmeExample } from '../../demo/readme-example';
import { toExecutionHistory } from '../support/execution-history';
import { failure, successTask } from '../support/fixtures';
import { executeLocally, Outcome, renderedDefinition } from '../support/local-execution';

// scripts/demo.sh's parts: README's example as README holds it, what an execution's history
// shows, and the verdict, which must fail on any difference between prediction and execution.

const ok: Outcome = { succeed: successTask() };
const fail = (name: string): Outcome => ({ fail: failure(name) });

/** The demo's story as simulate() tells it for README's adaptive example. */
const predicted: PredictedRun = {
  status: 'SUCCEEDED',
  attempts: [
    { attempt: 1, outcome: 'FAILED', decision: 'RETRY', rule: 'retryableStopCode:TaskFailedToStart', minWaitSeconds: 0, maxWaitSeconds: 30, capacity: 'primary', cpu: 1024, memoryMiB: 2048 },
    { attempt: 2, outcome: 'FAILED', decision: 'RETRY', rule: 'outOfMemory:escalate to size 1', minWaitSeconds: 0, maxWaitSeconds: 60, capacity: 'primary', cpu: 1024, memoryMiB: 2048 },
    { attempt: 3, outcome: 'SUCCEEDED', capacity: 'primary', cpu: 1024, memoryMiB: 4096 },
  ],
};
const executed: ExecutedRun = {
  status: 'SUCCEEDED',
  attempts: [
    { attempt: 1, state: 'Run task', outcome: 'FAILED', decision: 'RETRY', rule: 'retryableStopCode:TaskFailedToStart', waitedSeconds: 30, capacity: 'primary', cpu: 1024, memoryMiB: 2048 },
    { attempt: 2, state: 'Run task', outcome: 'FAILED', decision: 'RETRY', rule: 'outOfMemory:escalate to size 1', waitedSeconds: 0, capacity: 'primary', cpu: 1024, memoryMiB: 2048 },
    { attempt: 3, state: 'Run task', outcome: 'SUCCEEDED', capacity: 'primary', cpu: 1024, memoryMiB: 4096 },
  ],
};
const withAttempt = (run: ExecutedRun, i: number, change: object): ExecutedRun =>
  ({ ...run, attempts: run.attempts.map((a, j) => (j === i ? { ...a, ...change } : a)) });

describe('the verdict', () => {
  test('agrees when every attempt is as predicted and each wait within its range, its ends included', () => {
    expect(differences(predicted, executed)).toEqual([]);
    expect(sideBySide(predicted, executed)).not.toContain('DIFFERS');
  });

  test.each([
    ['outcome', withAttempt(executed, 2, { outcome: 'FAILED' }), 'attempt 3 outcome: predicted "SUCCEEDED", executed "FAILED"'],
    ['decision', withAttempt(executed, 0, { decision: 'NOT_RETRYABLE' }), 'attempt 1 decision: predicted "RETRY", executed "NOT_RETRYABLE"'],
    ['rule', withAttempt(executed, 1, { rule: 'noRetryableMatch' }), 'attempt 2 rule: predicted "outOfMemory:escalate to size 1", executed "noRetryableMatch"'],
    ['capacity', withAttempt(executed, 2, { capacity: 'fallback' }), 'attempt 3 capacity: predicted "primary", executed "fallback"'],
    ['size', withAttempt(executed, 2, { memoryMiB: 2048 }), 'attempt 3 size: predicted "1 vCPU, 4 GiB", executed "1 vCPU, 2 GiB"'],
    ['wait above the range', withAttempt(executed, 0, { waitedSeconds: 31 }), 'attempt 1 wait: predicted 0–30 s, executed 31 s'],
    ['wait missing', withAttempt(executed, 1, { waitedSeconds: undefined }), 'attempt 2 wait: predicted 0–60 s, executed none'],
    ['wait not predicted', withAttempt(executed, 2, { waitedSeconds: 5 }), 'attempt 3 wait: predicted none, executed 5 s'],
    ['status', { ...executed, status: 'FAILED', errorName: 'RetryableEcsRunTask.NotRetryable' },
      'run status: predicted "SUCCEEDED", executed "FAILED"'],
  ])('reports a different %s, and marks the attempt', (_, run, difference) => {
    expect(differences(predicted, run)).toContain(difference);
    if (difference.startsWith('attempt')) {
      expect(sideBySide(predicted, run)).toContain('DIFFERS');
    }
  });

  test('reports an attempt more or fewer, and compares the attempts both have', () => {
    const fewer = { ...executed, attempts: executed.attempts.slice(0, 2) };
    expect(differences(predicted, fewer)).toEqual(['number of attempts: predicted 3, executed 2']);
    expect(sideBySide(predicted, fewer)).toMatch(/3 {2}predicted {2}SUCCEEDED.*\n {5}executed {3}- /);
  });

  test('a prediction without sizes is not held to the executed ones', () => {
    const unsized: PredictedRun = { ...predicted, attempts: predicted.attempts.map(({ cpu, memoryMiB, ...a }) => a) };
    expect(differences(unsized, executed)).toEqual([]);
  });
});

describe('README\'s example', () => {
  test('is the first TypeScript block of its section, which uses outOfMemorySizes', () => {
    const example = readmeExample(readme());
    expect(example.section).toBe(README_SECTION);
    expect(readme().split('\n')[example.line - 1]).toBe('```ts');
    expect(example.source).toContain('outOfMemorySizes');
    expect(() => readmeExample(readme(), 'No such section')).toThrow(/README has no section "No such section"/);
    expect(() => readmeExample('## A\n\n```bash\nls\n```\n## B\n```ts\nx\n```\n', 'A')).toThrow(/section "A" has no TypeScript example/);
  });

  test('creates one run, and an example that creates none is rejected', () => {
    const { job } = synthesizeReadmeExample(readmeExample(readme()));
    expect(job.node.path).toBe('ReadmeExampleStack/NightlyReport');
    expect(() => synthesizeReadmeExample({ section: 'x', line: 1, source: 'const a = 1;' })).toThrow(/expected the example to create one RetryableEcsRunTask, found 0/);
  });
});

describe('what an execution\'s history shows', () => {
  // The decider logs one line per decision; keep test output readable.
  beforeAll(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));
  afterAll(() => jest.restoreAllMocks());

  async function history(outcomes: Outcome[]) {
    const { stack } = synthesizeReadmeExample(readmeExample(readme()));
    const definition = renderedDefinition(stack);
    const execution = await executeLocally(definition, { outcomes });
    return { execution, run: executedRun(toExecutionHistory(definition, execution)) };
  }

  test('the demo\'s story: each attempt\'s outcome, decision, wait, capacity and size', async () => {
    const { execution, run } = await history([fail('resource-initialization-error'), fail('oom-fargate'), ok]);

    expect(run.status).toBe('SUCCEEDED');
    expect(run.attempts.map((a) => [a.attempt, a.state, a.outcome, a.decision, a.rule, a.capacity, a.ranOn, a.cpu, a.memoryMiB])).toEqual([
      [1, 'Run task', 'FAILED', 'RETRY', 'retryableStopCode:TaskFailedToStart', 'primary', 'FARGATE_SPOT', 1024, 2048],
      [2, 'Run task', 'FAILED', 'RETRY', 'outOfMemory:escalate to size 1', 'primary', 'FARGATE_SPOT', 1024, 2048],
      [3, 'Run task', 'SUCCEEDED', undefined, undefined, 'primary', 'FARGATE_SPOT', 1024, 4096],
    ]);
    // The waits are the decider's, drawn with jitter.
    expect(run.attempts.map((a) => a.waitedSeconds)).toEqual([...execution.decisions.map((d) => d.waitSeconds), undefined]);
  });

  test('a Spot interruption moves the retry to the fallback; a failure not retried ends the run', async () => {
    const { run } = await history([fail('spot-interruption'), fail('cannot-pull-not-found')]);

    expect(run).toMatchObject({ status: 'FAILED', errorName: 'RetryableEcsRunTask.NotRetryable', cause: expect.stringMatching(/^Attempt 2 failed/) });
    expect(run.attempts.map((a) => [a.state, a.capacity, a.ranOn, a.decision])).toEqual([
      ['Run task', 'primary', 'FARGATE_SPOT', 'RETRY'],
      ['Run task on fallback', 'fallback', 'FARGATE', 'NOT_RETRYABLE'],
    ]);
  });

  test('attempts exhausted', async () => {
    const { run } = await history([...Array(4)].map(() => fail('resource-initialization-error')));
    expect(run.errorName).toBe('RetryableEcsRunTask.AttemptsExhausted');
    expect(run.attempts.map((a) => a.decision)).toEqual(['RETRY', 'RETRY', 'RETRY', 'EXHAUSTED']);
  });
});

describe('the demo\'s story', () => {
  beforeAll(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));
  afterAll(() => jest.restoreAllMocks());

  // What scripts/demo.sh checks in MiniStack, here in aws-local-stepfunctions, on every jitter draw of a few runs.
  test('simulate() predicts what README\'s example does with it, attempt by attempt', async () => {
    const { stack, job } = synthesizeReadmeExample(readmeExample(readme()));
    const definition = renderedDefinition(stack);
    const prediction = job.simulate(FAILURES.map(({ fixture }) => JSON.stringify(failure(fixture))));
    expect(prediction).toMatchObject(predicted);

    for (let run = 0; run < 5; run++) {
      const execution = await executeLocally(definition, { outcomes: [...FAILURES.map(({ fixture }) => fail(fixture)), ok] });
      expect(differences(prediction, executedRun(toExecutionHistory(definition, execution)))).toEqual([]);
    }
  });
});
