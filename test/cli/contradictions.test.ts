import * as fs from 'fs';
import * as path from 'path';
import { explainExecution, ExecutionExplanation } from '../../cli/explain/explain-execution';
import { readHistory } from '../../cli/explain/history-events';
import { renderExecution } from '../../cli/explain/render-text';

// A history that contradicts itself must not be explained as if it did not: two different events
// with one id (pages of two executions in one file), an event that follows one after it, events
// outside the execution, or events that follow ones missing from it. explain warns, names the
// runs and attempts that hold such events, and says which runs can be trusted.

const SAMPLES = path.join(__dirname, 'samples');
const events = (name: string): any[] => JSON.parse(fs.readFileSync(path.join(SAMPLES, name), 'utf8')).events;
const explain = (...pages: unknown[]): ExecutionExplanation => explainExecution(readHistory(pages));

/** The standalone sample as if its first attempt had succeeded: what another execution would record at the same ids. */
function otherExecution(): any[] {
  const own = events('standalone-retried.json');
  const succeeded = own.find((e) => e.type === 'TaskSucceeded' && e.id > 20);
  return own.map((e) => (e.id === 8 ? { ...succeeded, id: 8, previousEventId: 7 } : e));
}

describe('two different events with one id', () => {
  test.each([
    ['this execution\'s page first', () => [{ events: events('standalone-retried.json').slice(0, 12) }, { events: otherExecution().slice(5) }]],
    ['the other execution\'s page first', () => [{ events: otherExecution().slice(0, 12) }, { events: events('standalone-retried.json').slice(5) }]],
  ])('%s: warned, the attempt that holds one named, never silently read as the other', (_, pages) => {
    const explanation = explain(...pages());

    expect(explanation.warnings).toEqual([
      'Event 8 appears twice with different content (pages of two executions in one file?); the first copy of each is read.',
      expect.stringMatching(/^What is shown of this run may be wrong, as it says under it: (ReportStack\/NightlyReportJob\/Run|the run of states "Start attempts", "Run task", …)\.$/),
    ]);
    const [run] = explanation.runs;
    expect(run.warnings).toEqual(['Attempt 1 holds events the history contradicts (see the warnings): what is shown of it may be wrong.']);
    expect(renderExecution(explanation, 120)).toContain('  Warning: Attempt 1 holds events the history contradicts (see the warnings): what is shown of it may be wrong.\n');
  });

  test('the same event twice (overlapping pages) is no contradiction', () => {
    const all = events('standalone-retried.json');
    const explanation = explain({ events: all.slice(0, 20) }, { events: all.slice(10) });
    expect(explanation.warnings).toEqual([]);
    expect(explanation.runs[0].warnings).toBeUndefined();
  });
});

describe('events that contradict the order of the history', () => {
  test('an item\'s first event follows one after it: the item is shown apart, never merged into another item\'s run', () => {
    const map = events('map-two-items-interleaved.json');
    // Item 1's first state (event 7) names event 46, the Map's end, as the one it follows.
    const edited = map.map((e) => (e.id === 7 ? { ...e, previousEventId: 46 } : e));

    const explanation = explain({ events: edited });

    expect(explanation.warnings[0]).toBe('Event 7 follows an event that comes after it, which no history does (an edited file?); '
      + 'it is read as if the event it follows were missing.');
    const [item0, item1] = explanation.runs;
    // Item 0 is read as it is, and can be trusted.
    expect(item0).toMatchObject({ item: 'item 0 of Map "Each partition"', attempts: [{ attempt: 1 }, { attempt: 2 }], result: { status: 'SUCCEEDED' } });
    expect(item0.warnings).toBeUndefined();
    expect(item1).toMatchObject({ item: 'a Map item or Parallel branch the history does not show', attempts: [{ attempt: 1, ended: { outcome: 'succeeded' } }] });
    expect(item1.warnings).toEqual([
      'The run holds events the history contradicts (see the warnings): what is shown of it may be wrong.',
      'Attempt 1 follows events the history does not hold before it (see the warnings): whether it belongs to this run, or this Map item, is a guess.',
    ]);
    expect(explanation.warnings[explanation.warnings.length - 1]).toBe('What is shown of this run may be wrong, as it says under it: '
      + 'PipelineStack/Partitions/Load (a Map item or Parallel branch the history does not show). The other run holds none of these events and can be trusted.');
  });

  test('both items\' first events follow ones after them: two runs apart, not one merged run', () => {
    const map = events('map-two-items-interleaved.json');
    const edited = map.map((e) => (e.id === 6 || e.id === 7 ? { ...e, previousEventId: 46 } : e));

    const explanation = explain({ events: edited });

    expect(explanation.runs.map((r) => [r.attempts.length, r.result.status, r.warnings?.length])).toEqual([[2, 'SUCCEEDED', 2], [1, 'SUCCEEDED', 2]]);
    expect(explanation.warnings[0]).toMatch(/^Events 6 and 7 follow an event that comes after it/);
  });

  test('a second execution\'s start, and events after the execution ended', () => {
    const own = events('standalone-retried.json');
    const later = own.slice(0, 3).map((e) => ({ ...e, id: e.id + 29, previousEventId: e.previousEventId === 0 ? 0 : e.previousEventId + 29 }));

    const explanation = explain({ events: [...own, ...later] });

    expect(explanation.warnings).toEqual([
      'The history holds 2 starts of an execution (events 1 and 30): pages of two executions in one file?',
      'Events 30, 31 and 32 lie outside the execution, which started at event 1 and ended at event 29: pages of two executions in one file?',
      'What is shown of this run may be wrong, as it says under it: ReportStack/NightlyReportJob/Run. The other run holds none of these events and can be trusted.',
    ]);
    // The run the execution ran is read as it is; the start of another is a run apart, flagged.
    expect(explanation.runs.map((r) => [r.attempts.length, r.result.status, r.warnings])).toEqual([
      [2, 'SUCCEEDED', undefined],
      [0, 'UNFINISHED', ['The run holds events the history contradicts (see the warnings): what is shown of it may be wrong.']],
    ]);
  });
});

describe('events missing from a history with a Map', () => {
  test('an item whose events follow missing ones: its parts are flagged, the other item can be trusted', () => {
    const map = events('map-two-items-interleaved.json');
    // Event 27 (item 0's Back off starts) is left out: its page was not saved.
    const explanation = explain({ events: map.filter((e) => e.id !== 27) });

    expect(explanation.runs.map((r) => [r.item, r.attempts.length, r.result.status, r.warnings])).toEqual([
      ['item 0 of Map "Each partition"', 1, 'UNFINISHED',
        ['The rest of the run may be in the events missing from the history (see the warnings): it is shown unfinished, but may have ended.']],
      ['item 1 of Map "Each partition"', 1, 'SUCCEEDED', undefined],
      ['a Map item or Parallel branch the history does not show', 1, 'SUCCEEDED',
        ['Attempt 1 follows events the history does not hold before it (see the warnings): whether it belongs to this run, or this Map item, is a guess.']],
    ]);
    expect(explanation.warnings).toEqual([
      'Event 27 is missing from the history (a page left out?).',
      '1 event(s) follow an event that is not in the history, so the Map item or Parallel branch they ran in is unknown: each is shown apart, with the events that follow it.',
      'What is shown of these 2 runs may be wrong, as it says under each: PipelineStack/Partitions/Load (item 0 of Map "Each partition"); '
        + 'PipelineStack/Partitions/Load (a Map item or Parallel branch the history does not show). The other run holds none of these events and can be trusted.',
    ]);
  });
});
