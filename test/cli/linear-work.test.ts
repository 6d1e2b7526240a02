import { HistoryBuilder } from './generated-histories';
import { countOperations } from './operation-count';
import { explainExecution } from '../../cli/explain/explain-execution';
import { readHistory } from '../../cli/explain/history-events';
import { renderExecution } from '../../cli/explain/render-text';
import { visibleValues } from '../../cli/visible-text';

// Step Functions records at most 25,000 events in a history: explain's work must grow in
// proportion to the events (and to what it prints), whatever their shape. Each shape is explained
// at a quarter of that size and at full size, and the work counted (not timed: the bench times):
// four times the events must cost about four times the work, not sixteen.

/** All that explain does with a history: read it, explain it, make it visible, print it as text and as JSON. */
function explainAll(history: unknown): { runs: number; text: string } {
  const explanation = visibleValues(explainExecution(readHistory([history])));
  const text = renderExecution(explanation, 120);
  JSON.stringify(explanation, null, 2);
  return { runs: explanation.runs.length, text };
}

/** The work at `events / 4` and at `events` events of one shape, and how many runs each held. */
function workAt(events: number, history: (events: number) => { events: unknown[] }) {
  return [events / 4, events].map((n) => {
    const h = history(n);
    const { result, operations } = countOperations(() => explainAll(h));
    return { events: h.events.length, runs: result.runs, operations };
  });
}

const MAX_EVENTS = 25_000;
/** How much more than 4 times the work 4 times the events may cost: constant overheads, rounding. */
const SLACK = 1.25;

describe('explain\'s work grows linearly with the history, up to the 25,000 events AWS records', () => {
  test('many runs, each with state names of its own (fragments run one after another)', () => {
    // A run whose first attempt succeeds is 10 events.
    const [small, large] = workAt(MAX_EVENTS, (n) => HistoryBuilder.execution((b, start) => {
      let last = start;
      for (let i = 0; i < (n - 2) / 10; i++) {
        last = b.succeededRun(`Job ${i}: `, last);
      }
      return last;
    }));

    expect(large.events).toBeGreaterThan(MAX_EVENTS - 20);
    expect(large.runs).toBe(2_500);
    expect(large.operations / small.operations).toBeLessThan(4 * SLACK);
  });

  test('Maps nested deep in each other, a run in each', () => {
    // Each level is a Map of one item (6 events) that runs a fragment (10 events) and the next level.
    const nested = (n: number) => HistoryBuilder.execution((b, start) => {
      const level = (depth: number, previous: number): number => (depth === 0 ? previous
        : b.map(`Level ${depth}`, previous, 1, (_, iteration) => level(depth - 1, b.succeededRun('Job: ', iteration))));
      return level(Math.floor((n - 2) / 16), start);
    });

    const [small, large] = workAt(MAX_EVENTS, nested);

    expect(large.events).toBeGreaterThan(MAX_EVENTS - 20);
    expect(large.runs).toBe(1_562);
    expect(large.operations / small.operations).toBeLessThan(4 * SLACK);
  });

  test('a Map whose runs never name their construct path (every item succeeded at once)', () => {
    // Each item is 2 events around a fragment's 10.
    const [small, large] = workAt(MAX_EVENTS, (n) => HistoryBuilder.execution((b, start) => b.map('Each partition', start, Math.floor((n - 6) / 12),
      (_, iteration) => b.succeededRun('Job: ', iteration))));

    expect(large.events).toBeGreaterThan(MAX_EVENTS - 20);
    expect(large.runs).toBe(2_082);
    expect(large.operations / small.operations).toBeLessThan(4 * SLACK);
  });

  test('the counter sees quadratic work', () => {
    const quadratic = (n: number) => countOperations(() => {
      const items = Array.from({ length: n }, (_, i) => i);
      return items.filter((i) => items.some((j) => j === i)).length;
    }).operations;
    expect(quadratic(400) / quadratic(100)).toBeGreaterThan(10);
  });
});
