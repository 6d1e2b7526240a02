import { readHistory } from '../../cli/explain/history-events';
import { describeScope, stateVisits } from '../../cli/explain/state-visits';

/** Events from [type, previousEventId, details]: ids count from 1. */
const history = (...events: Array<[string, number, Record<string, unknown>?]>) => readHistory([{
  events: events.map(([type, previousEventId, details], i) => ({
    timestamp: 1764208800 + i,
    type,
    id: i + 1,
    previousEventId,
    ...(details === undefined ? {} : { [/State(Entered|Exited)$/.test(type) ? `state${type.endsWith('Entered') ? 'Entered' : 'Exited'}EventDetails` : `${type[0].toLowerCase()}${type.slice(1)}EventDetails`]: details }),
  })),
}]);
const name = (n: string) => ({ name: n });

describe('state visits and their scopes', () => {
  test('Parallel branches: each its own scope; the Parallel state and what follows it stay outside', () => {
    const { visits } = stateVisits(history(
      ['ExecutionStarted', 0],
      ['ParallelStateEntered', 1, name('Both')],
      ['ParallelStateStarted', 2],
      ['PassStateEntered', 3, name('A')],
      ['PassStateEntered', 3, name('B')],
      ['PassStateExited', 4, name('A')],
      ['PassStateExited', 5, name('B')],
      ['ParallelStateSucceeded', 7],
      ['ParallelStateExited', 8, name('Both')],
      ['PassStateEntered', 9, name('After')],
      ['PassStateExited', 10, name('After')],
      ['ExecutionSucceeded', 11],
    ));

    expect(visits.map((v) => [v.name, v.scope.kind, v.exited?.id])).toEqual([
      ['Both', 'execution', 9], ['A', 'branch', 6], ['B', 'branch', 7], ['After', 'execution', 11],
    ]);
    expect(visits[1].scope).not.toBe(visits[2].scope);
  });

  test('a Map whose item failed: the Map state ends in its own scope, though the end follows the item', () => {
    const { visits } = stateVisits(history(
      ['ExecutionStarted', 0],
      ['MapStateEntered', 1, name('Each')],
      ['MapStateStarted', 2, { length: 1 }],
      ['MapIterationStarted', 3, { name: 'Each', index: 0 }],
      ['FailStateEntered', 4, name('Boom')],
      ['MapIterationFailed', 5, { name: 'Each', index: 0 }],
      // MapIterationFailed does not advance the chain: the Map's end follows the iteration's last state.
      ['MapStateFailed', 5],
      ['MapStateExited', 7, name('Each')],
      ['ExecutionFailed', 8, { error: 'Boom', cause: '' }],
    ));

    expect(visits.map((v) => [v.name, describeScope(v.scope) ?? 'execution', v.exited?.id])).toEqual([
      ['Each', 'execution', 8], ['Boom', 'item 0 of Map "Each"', undefined],
    ]);
  });

  test('nested Maps: an item of an item', () => {
    const { visits } = stateVisits(history(
      ['ExecutionStarted', 0],
      ['MapStateEntered', 1, name('Outer')],
      ['MapStateStarted', 2],
      ['MapIterationStarted', 3, { name: 'Outer', index: 1 }],
      ['MapStateEntered', 4, name('Inner')],
      ['MapStateStarted', 5],
      ['MapIterationStarted', 6, { name: 'Inner', index: 2 }],
      ['PassStateEntered', 7, name('Work')],
    ));
    expect(describeScope(visits[2].scope)).toBe('item 1 of Map "Outer" › item 2 of Map "Inner"');
  });

  test('Maps nested deeper than 4 levels: the outermost and innermost two, and how many between', () => {
    const events: Array<[string, number, Record<string, unknown>?]> = [['ExecutionStarted', 0]];
    for (let level = 1; level <= 7; level++) {
      const entered = events.push(['MapStateEntered', events.length, name(`L${level}`)]);
      const started = events.push(['MapStateStarted', entered]);
      events.push(['MapIterationStarted', started, { name: `L${level}`, index: level }]);
    }
    events.push(['PassStateEntered', events.length, name('Work')]);

    const { visits } = stateVisits(history(...events));

    expect(describeScope(visits[visits.length - 1].scope))
      .toBe('item 1 of Map "L1" › item 2 of Map "L2" › … 3 more levels … › item 6 of Map "L6" › item 7 of Map "L7"');
    expect(describeScope(visits[4].scope)).toBe('item 1 of Map "L1" › item 2 of Map "L2" › item 3 of Map "L3" › item 4 of Map "L4"');
  });

  test('a history without previousEventId: each event follows the one before', () => {
    const events = history(['ExecutionStarted', 0], ['PassStateEntered', 0, name('A')], ['PassStateExited', 0, name('A')]);
    expect(stateVisits(events).visits.map((v) => [v.name, v.exited?.id])).toEqual([['A', 3]]);
  });
});
