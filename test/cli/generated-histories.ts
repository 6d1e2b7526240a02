import * as fs from 'fs';
import * as path from 'path';

// Histories generated at any size, in the shape `aws stepfunctions get-execution-history
// --output json` prints: for the input bounds, the misreport checks and the linearity checks.

/** One event as the AWS CLI prints it. */
export type RawEvent = Record<string, any> & { id: number; previousEventId: number; type: string };

const SAMPLES = path.join(__dirname, 'samples');
const START = Date.parse('2026-11-24T02:00:00Z');

/** The events of a sample history. */
export function sampleEvents(name: string): RawEvent[] {
  return JSON.parse(fs.readFileSync(path.join(SAMPLES, name), 'utf8')).events;
}

function detailsKey(type: string): string {
  if (type.endsWith('StateEntered')) {
    return 'stateEnteredEventDetails';
  }
  if (type.endsWith('StateExited')) {
    return 'stateExitedEventDetails';
  }
  return `${type[0].toLowerCase()}${type.slice(1)}EventDetails`;
}

/** The task description of a task that ran to its end, as the successful `Run task` returns it. */
const SUCCEEDED_TASK = JSON.stringify({
  Containers: [{ Name: 'app', ExitCode: 0, LastStatus: 'STOPPED' }],
  StopCode: 'EssentialContainerExited',
  StoppedReason: 'Essential container in task exited',
  Cpu: '256',
  Memory: '512',
  LaunchType: 'FARGATE',
});

/**
 * Builds a history event by event: each event gets the next id, and follows the event given as
 * its predecessor (its chain, as each Map item has its own).
 */
export class HistoryBuilder {
  /** The execution around `body`, which returns the id of its last event. */
  static execution(body: (builder: HistoryBuilder, started: number) => number): { events: RawEvent[] } {
    const builder = new HistoryBuilder();
    const started = builder.add('ExecutionStarted', 0, { input: '{}', roleArn: 'arn:aws:iam::123456789012:role/state-machine' });
    builder.add('ExecutionSucceeded', body(builder, started), { output: '{}' });
    return { events: builder.events };
  }

  readonly events: RawEvent[] = [];

  /** Adds an event; returns its id. */
  add(type: string, previous: number, details?: Record<string, unknown>): number {
    const id = this.events.length + 1;
    this.events.push({
      timestamp: new Date(START + id * 1000).toISOString(),
      type,
      id,
      previousEventId: previous,
      ...(details ? { [detailsKey(type)]: details } : {}),
    });
    return id;
  }

  /** A state visit with no events between its start and end; returns the id of its exit. */
  state(type: string, name: string, previous: number, input = '{}'): number {
    const entered = this.add(`${type}StateEntered`, previous, { name, input });
    return this.add(`${type}StateExited`, entered, { name, output: input });
  }

  /**
   * A run of the LAMBDA engine whose first attempt succeeds, so that it never invokes its decider:
   * its history does not name its construct path. Returns the id of its last event.
   */
  succeededRun(prefix: string, previous: number): number {
    const start = this.state('Pass', `${prefix}Start attempts`, previous);
    const entered = this.add('TaskStateEntered', start, { name: `${prefix}Run task`, input: '{}' });
    const scheduled = this.add('TaskScheduled', entered, { resourceType: 'ecs', resource: 'runTask.sync', parameters: '{"LaunchType":"FARGATE"}' });
    const started = this.add('TaskStarted', scheduled, { resourceType: 'ecs', resource: 'runTask.sync' });
    const submitted = this.add('TaskSubmitted', started, { resourceType: 'ecs', resource: 'runTask.sync', output: '{}' });
    const succeeded = this.add('TaskSucceeded', submitted, { resourceType: 'ecs', resource: 'runTask.sync', output: SUCCEEDED_TASK });
    const exited = this.add('TaskStateExited', succeeded, { name: `${prefix}Run task`, output: '{}' });
    return this.state('Pass', `${prefix}Record result`, exited);
  }

  /**
   * The events of a sample's run, renumbered, with `prefix` before each state name: its first
   * event follows `previous`. Returns the id of its last event.
   */
  sampleRun(events: RawEvent[], previous: number, prefix = ''): number {
    const ids = new Map<number, number>();
    let last = previous;
    for (const event of events) {
      if (event.type.startsWith('Execution')) {
        ids.set(event.id, previous);
        continue;
      }
      const key = detailsKey(event.type);
      const details = event[key] && typeof event[key].name === 'string' && key.startsWith('state')
        ? { ...event[key], name: `${prefix}${event[key].name}` }
        : event[key];
      last = this.add(event.type, ids.get(event.previousEventId) ?? previous, details);
      ids.set(event.id, last);
    }
    return last;
  }

  /**
   * A Map state `name` whose items each run `item(builder, previous)` (which returns the id of the
   * item's last event), one after another. Returns the id of the Map state's exit.
   */
  map(name: string, previous: number, items: number, item: (index: number, previous: number) => number): number {
    const entered = this.add('MapStateEntered', previous, { name, input: '{}' });
    const started = this.add('MapStateStarted', entered, { length: items });
    let last = started;
    for (let index = 0; index < items; index++) {
      const iteration = this.add('MapIterationStarted', started, { name, index });
      last = this.add('MapIterationSucceeded', item(index, iteration), { name, index });
    }
    const succeeded = this.add('MapStateSucceeded', last);
    return this.add('MapStateExited', succeeded, { name, output: '[]' });
  }
}

/**
 * The text of a history, a piece at a time, for standard input: `padding` Pass states whose
 * input and output are each `paddingBytes` long, then `run`'s events (a sample's run), then the
 * execution's end. Nothing but the piece being written is held.
 */
export function* paddedHistoryText(run: RawEvent[], padding: number, paddingBytes: number): Generator<string> {
  const data = JSON.stringify({ data: 'x'.repeat(paddingBytes - 11) });
  yield '{\n    "events": [\n';
  let id = 0;
  const event = (type: string, previous: number, details: Record<string, unknown>) => {
    id++;
    return `${id > 1 ? ',\n' : ''}${JSON.stringify({ timestamp: new Date(START + id).toISOString(), type, id, previousEventId: previous, [detailsKey(type)]: details })}`;
  };
  yield event('ExecutionStarted', 0, { input: '{}', roleArn: 'arn:aws:iam::123456789012:role/state-machine' });
  for (let i = 0; i < padding; i++) {
    yield event('PassStateEntered', id, { name: 'Prepare', input: data, inputDetails: { truncated: false } });
    yield event('PassStateExited', id, { name: 'Prepare', output: data, outputDetails: { truncated: false } });
  }
  const builder = new HistoryBuilder();
  const offset = id;
  builder.sampleRun(run, 0);
  for (const e of builder.events) {
    yield event(e.type, e.previousEventId === 0 ? offset : e.previousEventId + offset, e[detailsKey(e.type)]);
  }
  yield `${event('ExecutionSucceeded', id, { output: '{}' })}\n    ]\n}\n`;
}
