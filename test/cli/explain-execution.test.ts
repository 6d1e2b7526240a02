import * as fs from 'fs';
import * as path from 'path';
import { adaptiveProps, fail, inMap, ok, standalone } from './scenarios';
import { explainExecution, ExecutionExplanation } from '../../cli/explain/explain-execution';
import { readHistory } from '../../cli/explain/history-events';
import { renderExecution } from '../../cli/explain/render-text';
import { RetryErrors } from '../../src';
import { decideRetry } from '../../src/decider/decide-retry';
import { POLICY_DEFAULTS } from '../../src/decider/policy-defaults';
import { renderRetryPolicy } from '../../src/policy/render-retry-policy';
import { failure } from '../support/fixtures';

const explain = (history: unknown): ExecutionExplanation => explainExecution(readHistory([history]));

describe('explain, on histories of local executions', () => {
  test('an execution with no retries: one attempt, no decision, succeeded', async () => {
    const { history } = await standalone({}, { outcomes: [ok] });

    const explanation = explain(history);

    expect(explanation.execution).toMatchObject({ status: 'SUCCEEDED', startedAt: '2026-11-24T02:00:00.007Z' });
    expect(explanation.runs).toHaveLength(1);
    const [run] = explanation.runs;
    // No decider was invoked, so the construct path is not in the history; the prefix is.
    expect(run.run).toBeUndefined();
    expect(run.statePrefix).toBe('');
    expect(run.attempts).toEqual([expect.objectContaining({
      attempt: 1,
      state: 'Run task',
      ended: { outcome: 'succeeded', stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', exitCodes: [{ name: 'app', exitCode: 0 }] },
      durationSeconds: expect.closeTo(817, 0),
    })]);
    expect(run.attempts[0].decision).toBeUndefined();
    expect(run.result).toEqual({ status: 'SUCCEEDED', attempts: 1 });
    expect(explanation.warnings).toEqual([]);
  });

  test('a transient start failure, retried after the wait the decider chose, then success', async () => {
    const { history, execution } = await standalone({}, { outcomes: [fail('resource-initialization-error'), ok] });

    const [run] = explain(history).runs;

    expect(run.run).toBe('TestStack/Job/Run');
    expect(run.engine).toBe('LAMBDA');
    expect(run.policy).toMatchObject({ maxAttempts: 3, intervalSeconds: 10, jitter: 'NONE', retryableExitCodes: [75] });
    expect(run.attempts[0]).toMatchObject({
      attempt: 1,
      ended: {
        outcome: 'failed',
        error: 'States.TaskFailed',
        stopCode: 'TaskFailedToStart',
        stoppedReason: 'ResourceInitializationError: failed to configure ENI: failed to setup regular eni: netplugin failed with no error message',
        exitCodes: [],
      },
      decision: { decision: 'RETRY', rule: 'retryableStopCode:TaskFailedToStart', retryable: true, retry: true, waitSeconds: 10, source: 'recorded', engine: 'LAMBDA' },
      wait: { decidedSeconds: 10, waitedSeconds: expect.closeTo(10, 0) },
    });
    // What explain shows is what the decider decided in the run.
    expect(run.attempts[0].decision?.rule).toBe(execution.decisions[0].rule);
    expect(run.attempts[0].decision?.note).toBeUndefined();
    expect(run.attempts[1]).toMatchObject({ attempt: 2, ended: { outcome: 'succeeded' } });
    expect(run.result).toEqual({ status: 'SUCCEEDED', attempts: 2 });
  });

  test('attempts exhausted: every decision, the last one EXHAUSTED, and the failure the run ended with', async () => {
    const { history, execution } = await standalone({}, { outcomes: [fail('sidecar-killed'), fail('sidecar-killed'), fail('sidecar-killed')] });

    const [run] = explain(history).runs;

    expect(run.attempts.map((a) => [a.attempt, a.decision?.decision, a.decision?.rule, a.wait?.decidedSeconds])).toEqual([
      [1, 'RETRY', 'retryableExitCode:75', 10],
      [2, 'RETRY', 'retryableExitCode:75', 20],
      [3, 'EXHAUSTED', 'retryableExitCode:75', undefined],
    ]);
    expect(run.attempts[0].ended).toMatchObject({ stopCode: 'EssentialContainerExited', exitCodes: [{ name: 'app', exitCode: 75 }, { name: 'log-router', exitCode: 137 }] });
    expect(run.result).toEqual({ status: 'FAILED', attempts: 3, error: RetryErrors.ATTEMPTS_EXHAUSTED, cause: execution.cause });
  });

  test('not retryable: the rule that refused the retry', async () => {
    const { history } = await standalone({}, { outcomes: [fail('cannot-pull-not-found')] });

    const [run] = explain(history).runs;

    expect(run.attempts).toHaveLength(1);
    expect(run.attempts[0].decision).toMatchObject({ decision: 'NOT_RETRYABLE', rule: 'nonRetryableStoppedReason:CannotPullContainerError:*not found*' });
    expect(run.result).toMatchObject({ status: 'FAILED', error: RetryErrors.NOT_RETRYABLE });
  });

  test('an API error carries no task: its name and cause', async () => {
    const { history } = await standalone({}, { outcomes: [fail('ecs-api-throttled'), ok] });

    const [run] = explain(history).runs;

    expect(run.attempts[0].ended).toEqual({
      outcome: 'failed', error: 'ECS.AmazonECSException', exitCodes: [], cause: failure('ecs-api-throttled').Cause,
    });
    expect(run.attempts[0].decision).toMatchObject({ decision: 'RETRY', rule: 'retryableError:ECS.AmazonECSException' });
  });

  test('a Map with two items: one block per item, each with its own attempts', async () => {
    const { history } = await inMap({
      input: { partitions: [{ day: 1 }, { day: 2 }] },
      outcomes: [fail('spot-interruption'), ok, fail('exit-code-1')],
    });

    const explanation = explain(history);

    expect(explanation.runs.map((r) => [r.run, r.statePrefix, r.item, r.mapItem])).toEqual([
      ['TestStack/Job', 'Job: ', 'item 0 of Map "Each partition"', { map: 'Each partition', index: 0 }],
      ['TestStack/Job', 'Job: ', 'item 1 of Map "Each partition"', { map: 'Each partition', index: 1 }],
    ]);
    const [first, second] = explanation.runs;
    expect(first.attempts.map((a) => [a.attempt, a.ended.outcome, a.decision?.decision])).toEqual([[1, 'failed', 'RETRY'], [2, 'succeeded', undefined]]);
    expect(first.result).toEqual({ status: 'SUCCEEDED', attempts: 2 });
    expect(second.attempts.map((a) => [a.attempt, a.ended.outcome, a.decision?.decision])).toEqual([[1, 'failed', 'NOT_RETRYABLE']]);
    expect(second.result).toMatchObject({ status: 'FAILED', attempts: 1, error: RetryErrors.NOT_RETRYABLE });
    expect(explanation.execution).toMatchObject({ status: 'FAILED', error: RetryErrors.NOT_RETRYABLE });
  });

  test('adaptive: each attempt with the size it asked for and the launch target it ran on', async () => {
    const { history } = await standalone(adaptiveProps(), { outcomes: [fail('spot-interruption'), fail('oom-fargate'), ok] });

    const [run] = explain(history).runs;

    expect(run.adaptive).toBe(true);
    expect(run.attempts.map((a) => [a.attempt, a.state, a.capacity, a.size, a.decision?.rule])).toEqual([
      [1, 'Run task', 'primary', { cpu: 256, memoryMiB: 512 }, 'retryableStopCode:SpotInterruption'],
      [2, 'Run task on fallback', 'fallback', { cpu: 256, memoryMiB: 512 }, 'outOfMemory:escalate to size 1'],
      [3, 'Run task on fallback', 'fallback', { cpu: 512, memoryMiB: 1024 }, undefined],
    ]);
    // Where each ran, as ECS names it: the task's capacity provider, else the strategy's.
    expect(run.attempts.map((a) => a.launchTarget)).toEqual([
      { capacityProviders: ['FARGATE_SPOT'] }, { capacityProviders: ['FARGATE'] }, { capacityProviders: ['FARGATE'] },
    ]);
    const text = renderExecution(explain(history), 120);
    expect(text.split('\n').filter((l) => /^ {2}\d/.test(l)).map((l) => l.trim().split(/ {2,}/)[3])).toEqual([
      'FARGATE_SPOT · 0.25 vCPU, 0.5 GiB', 'FARGATE · 0.25 vCPU, 0.5 GiB', 'FARGATE · 0.5 vCPU, 1 GiB',
    ]);
    expect(text).toContain('  #  Started   Ran      Ran on ');
    expect(text).not.toMatch(/primary|fallback|CPU\/MiB/);
  });

  test('adaptive, in a history without execution data: where each ran is the state that ran it', async () => {
    const { history } = await standalone(adaptiveProps(), { outcomes: [fail('spot-interruption'), ok] });
    const withoutData = {
      events: history.events.map((event) => Object.fromEntries(Object.entries(event).map(([key, value]: [string, any]) => {
        const { input, output, parameters, cause, ...rest } = key.endsWith('EventDetails') ? value : { input: 0, output: 0, parameters: 0, cause: 0 };
        return [key, key.endsWith('EventDetails') ? rest : value];
      }))),
    };

    const [run] = explain(withoutData).runs;

    expect(run.attempts.map((a) => [a.capacity, a.launchTarget, a.size])).toEqual([['primary', undefined, undefined], ['fallback', undefined, undefined]]);
    expect(renderExecution(explain(withoutData), 120).split('\n').filter((l) => /^ {2}\d/.test(l)).map((l) => l.trim().split(/ {2,}/)[3]))
      .toEqual(['"Run task"', '"Run task on fallback"']);
  });

  test('a run without adaptive features shows no size or capacity', async () => {
    const { history } = await standalone({}, { outcomes: [fail('spot-interruption'), ok] });
    const [run] = explain(history).runs;
    expect(run.adaptive).toBe(false);
    expect(run.attempts[0]).not.toHaveProperty('capacity');
    expect(run.attempts[0]).not.toHaveProperty('size');
  });

  test('a decider that failed: the run ends InvalidDecision, and explain says what the policy would have decided', async () => {
    const broken = async () => {
      const error = new Error('Task timed out after 3.00 seconds');
      error.name = 'Lambda.Unknown';
      throw error;
    };
    const { history } = await standalone({}, { outcomes: [fail('spot-interruption')], decider: broken });

    const [run] = explain(history).runs;

    expect(run.attempts[0].decision).toMatchObject({
      decision: 'RETRY',
      rule: 'retryableStopCode:SpotInterruption',
      source: 'recomputed',
      note: expect.stringMatching(/^The decider failed with Lambda\.Unknown after its retries: Task timed out.*The policy would decide RETRY/),
    });
    expect(run.result).toMatchObject({ status: 'FAILED', error: RetryErrors.INVALID_DECISION, cause: expect.stringContaining('The retry decider failed with Lambda.Unknown') });
  });

  test('a decision the state machine rejected is INVALID', async () => {
    const liar = async () => ({ retryable: true, retry: true, waitSeconds: 3600, rule: 'retryableStopCode:SpotInterruption', history: [], cause: 'x' });
    const { history } = await standalone({}, { outcomes: [fail('spot-interruption')], decider: liar });

    const [run] = explain(history).runs;

    expect(run.attempts[0].decision).toMatchObject({ decision: 'INVALID', source: 'recorded', note: expect.stringContaining('rejected') });
    expect(run.result).toMatchObject({ status: 'FAILED', error: RetryErrors.INVALID_DECISION });
  });

  test('a recorded decision that this version of decideRetry would not make is pointed out', async () => {
    // As if the deployed decider were another version: same inputs, another rule.
    const other = async (payload: any) => ({ ...decideRetry({ ...payload, defaults: POLICY_DEFAULTS, random: 0 }), rule: 'someOlderRule' });
    const { history } = await standalone({}, { outcomes: [fail('spot-interruption'), ok], decider: other });

    const [run] = explain(history).runs;

    expect(run.attempts[0].decision).toMatchObject({
      rule: 'someOlderRule', source: 'recorded', note: expect.stringContaining('This version of the decider decides RETRY by retryableStopCode:SpotInterruption'),
    });
  });

  test('a policy sent as a diff is whole again with explain\'s defaults; from other defaults, it stays as sent and the decision is the recorded one', async () => {
    const { history } = await standalone({}, { outcomes: [fail('spot-interruption'), ok] });
    const [run] = explain(history).runs;
    expect(run.policy).toEqual({ ...renderRetryPolicy({}), intervalSeconds: 10, maxDelaySeconds: 60, jitter: 'NONE', retryableExitCodes: [75] });

    // As if the execution ran with a release whose defaults this version does not have.
    const other = JSON.parse(JSON.stringify(history).replaceAll(`\\"defaultsId\\":\\"${POLICY_DEFAULTS.id}\\"`, '\\"defaultsId\\":\\"ffffffff\\"'));
    const [unknown] = explain(other).runs;
    expect(unknown.policy).toEqual({ defaultsId: 'ffffffff', intervalSeconds: 10, maxDelaySeconds: 60, jitter: 'NONE', retryableExitCodes: [75] });
    expect(unknown.attempts[0].decision).toMatchObject({
      decision: 'RETRY',
      rule: 'retryableStopCode:SpotInterruption',
      source: 'recorded',
      note: expect.stringContaining('This version of the decider decides NOT_RETRYABLE by policyDefaultsMismatch:ffffffff on the same inputs'),
    });
  });

  test('timestamps as the API returns them (seconds since the epoch) read like the CLI\'s', async () => {
    const cli = await standalone({}, { outcomes: [fail('spot-interruption'), ok] });
    const api = await standalone({}, { outcomes: [fail('spot-interruption'), ok] }, { timestamps: 'api' });
    expect(typeof api.history.events[0].timestamp).toBe('number');
    expect(explain(api.history)).toEqual(explain(cli.history));
  });

  test('a history cut short: the run is unfinished, and the missing pages are named', async () => {
    const { history } = await standalone({}, { outcomes: [fail('spot-interruption'), ok] });
    const firstPage = { events: history.events.slice(0, 15) };

    const explanation = explain(firstPage);

    expect(explanation.execution.status).toBe('RUNNING');
    expect(explanation.runs[0].result).toMatchObject({ status: 'UNFINISHED', reason: expect.stringContaining('history ends') });

    const lastPage = { events: history.events.slice(10) };
    const late = explain(lastPage);
    expect(late.warnings[0]).toMatch(/^The history starts at event 11: earlier events are missing/);
    expect(late.runs[0].result.status).toBe('SUCCEEDED');
  });

  test('an execution aborted while an attempt ran: that attempt and the run are unfinished', async () => {
    const { history } = await standalone({}, { outcomes: [fail('spot-interruption'), ok] });
    // Cut after the second attempt's TaskSubmitted, then abort, as StopExecution does.
    const cut = history.events.findIndex((e, i) => e.type === 'TaskSubmitted' && i > 20) + 1;
    const events = history.events.slice(0, cut);
    const last = events[events.length - 1];
    events.push(
      { timestamp: last.timestamp, type: 'TaskStateAborted', id: cut + 1, previousEventId: cut, stateExitedEventDetails: { name: 'Run task' } },
      { timestamp: last.timestamp, type: 'ExecutionAborted', id: cut + 2, previousEventId: cut + 1, executionAbortedEventDetails: { error: 'Stopped by the on-call', cause: '' } },
    );

    const explanation = explain({ events });

    expect(explanation.execution).toMatchObject({ status: 'ABORTED', error: 'Stopped by the on-call' });
    const [run] = explanation.runs;
    expect(run.attempts.map((a) => [a.attempt, a.ended.outcome])).toEqual([[1, 'failed'], [2, 'unfinished']]);
    expect(run.result).toEqual({ status: 'UNFINISHED', attempts: 2, reason: 'The execution ended ABORTED (Stopped by the on-call) before the run did.' });
    expect(renderExecution(explanation, 120)).toContain('  Result: unfinished after 2 attempts. The execution ended ABORTED (Stopped by the on-call) before the run did.');
  });

  test('a history without execution data: the attempts and how they ended, decisions read from the states that followed, and a warning that says why', async () => {
    const { history } = await standalone({}, { outcomes: [fail('spot-interruption'), ok] });
    const withoutData = {
      events: history.events.map((event) => Object.fromEntries(Object.entries(event).map(([key, value]: [string, any]) => {
        if (!key.endsWith('EventDetails')) {
          return [key, value];
        }
        const { input, output, parameters, ...rest } = value;
        return [key, rest];
      }))),
    };

    const explanation = explain(withoutData);

    const [run] = explanation.runs;
    expect(run.attempts.map((a) => [a.attempt, a.ended.outcome, a.decision?.decision])).toEqual([[1, 'failed', 'RETRY'], [2, 'succeeded', undefined]]);
    expect(run.attempts[0].ended).toMatchObject({ stopCode: 'SpotInterruption' });
    // The run went on to Back off: a retry, whose rule and decided wait the history does not hold.
    expect(run.attempts[0].decision).toMatchObject({ rule: 'unknown', source: 'inferred', engine: 'LAMBDA', note: expect.stringContaining('The run went on to "Back off"') });
    expect(run.attempts[0].decision).not.toHaveProperty('waitSeconds');
    expect(run.attempts[0].wait).toEqual({ waitedSeconds: expect.closeTo(10, 0) });
    expect(renderExecution(explanation, 120)).toMatch(/ unknown +RETRY\* +waited 10s\n/);
    expect(run.result.status).toBe('SUCCEEDED');
    expect(explanation.warnings).toEqual([expect.stringMatching(/^The history holds no execution data \(fetched with --no-include-execution-data\?\)/)]);
  });

  test('the text: a row per attempt and the result', async () => {
    const { history } = await standalone({}, { outcomes: [fail('resource-initialization-error'), fail('sidecar-killed'), ok] });

    const text = renderExecution(explain(history), 120);

    expect(text).toBe([
      'Execution  SUCCEEDED after 19m 03s, started 2026-11-24 02:00:00 UTC',
      '',
      'Run TestStack/Job/Run · LAMBDA engine',
      '  #  Started   Ran      How the task ended                           Rule                                 Decision  Wait',
      '  1  02:00:00  43s      TaskFailedToStart ·                          retryableStopCode:TaskFailedToStart  RETRY     10 s',
      '                        ResourceInitializationError: failed to',
      '                        configure ENI: failed to setup regular eni:',
      '                        netplugin failed with no error message',
      '  2  02:00:53  4m 12s   exit app=75, log-router=137 ·                retryableExitCode:75                 RETRY     20 s',
      '                        EssentialContainerExited · Essential',
      '                        container in task exited',
      '  3  02:05:26  13m 37s  succeeded · exit app=0 ·',
      '                        EssentialContainerExited',
      '  Result: SUCCEEDED after 3 attempts.',
      '',
    ].join('\n'));
    text.split('\n').forEach((line) => expect(line.length).toBeLessThanOrEqual(120));
  });
});

describe('a run is named by what the operator knows', () => {
  const sample = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, 'samples', name), 'utf8'));
  const heading = (history: unknown) => renderExecution(explain(history), 120).split('\n').find((l) => l.startsWith('Run '));

  test('its construct path, when the history holds it', () => {
    expect(heading(sample('readme-not-retryable.json'))).toBe('Run ReportStack/NightlyReportJob/Run · LAMBDA engine');
  });

  test('else its states, and its state machine when the execution started a version or an alias of it', () => {
    const history = sample('state-machine-adaptive.json');
    expect(heading(history)).toBe('Run of states "Start attempts", "Run task", … · STATE_MACHINE engine');

    history.events[0].executionStartedEventDetails.stateMachineVersionArn = 'arn:aws:states:us-east-1:123456789012:stateMachine:NightlyReport:3';
    expect(heading(history)).toBe('Run of states "Start attempts", "Run task", … in state machine NightlyReport · STATE_MACHINE engine');

    const prefixed = {
      events: history.events.map((e: any) => (e.stateEnteredEventDetails ? { ...e, stateEnteredEventDetails: { ...e.stateEnteredEventDetails, name: `Extract: ${e.stateEnteredEventDetails.name}` } }
        : e.stateExitedEventDetails ? { ...e, stateExitedEventDetails: { ...e.stateExitedEventDetails, name: `Extract: ${e.stateExitedEventDetails.name}` } } : e)),
    };
    expect(heading(prefixed)).toBe('Run of states "Extract: …" in state machine NightlyReport · STATE_MACHINE engine');
  });

  test('no internal terms in the text', () => {
    for (const name of ['readme-not-retryable.json', 'standalone-retried.json', 'map-two-items-interleaved.json', 'state-machine-adaptive.json']) {
      const text = renderExecution(explain(sample(name)), 120);
      // Rules are the decider's words, as its log line has them (`outOfMemory:escalate to size 1`).
      expect(text).not.toMatch(/unprefixed|statePrefix|primary|\bfallback\b(?!")|CPU\/MiB/);
    }
  });
});
