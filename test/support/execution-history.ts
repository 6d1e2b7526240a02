import type { LocalExecution, TaskCall } from './local-execution';
import { evaluateSfnJsonata } from '../engines/support/sfn-jsonata';

/** How to dress a local execution as a history from AWS. */
export interface HistoryOptions {
  /** When the execution started. */
  readonly start?: Date;
  /** How long a Task state's call ran, in seconds; by default a task that stopped early runs shorter. */
  readonly taskSeconds?: (call: TaskCall) => number;
  /** `cli`: ISO 8601 with an offset, as the AWS CLI v2 prints; `api`: seconds since the epoch, as the API returns. */
  readonly timestamps?: 'cli' | 'api';
}

/**
 * A local execution (aws-local-stepfunctions) as the events `aws stepfunctions
 * get-execution-history --output json` prints for it: `ExecutionStarted`, `<Type>StateEntered`,
 * `TaskScheduled`, `TaskStarted`, `TaskSubmitted`, `TaskSucceeded` / `TaskFailed`,
 * `<Type>StateExited`, `MapStateStarted`, `MapIterationStarted` …, `ExecutionFailed`, each with its
 * `…EventDetails`, an `id`, and the `previousEventId` of its chain: each Map iteration has its own,
 * as on AWS. Waits take the time they were given, task attempts `taskSeconds`, every other step
 * a few milliseconds, on one simulated clock.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
 */
export function toExecutionHistory(definition: any, execution: LocalExecution, options: HistoryOptions = {}): { events: any[] } {
  const states = allStates(definition);
  const calls = new Map<string, TaskCall[]>();
  for (const call of execution.taskCalls) {
    calls.set(call.state, [...calls.get(call.state) ?? [], call]);
  }
  const iterations = new Map<string, number>();
  for (const e of execution.eventLog) {
    if (e.type === 'MapIterationStarted') {
      iterations.set(e.parentState.name, (iterations.get(e.parentState.name) ?? 0) + 1);
    }
  }

  let clock = (options.start ?? new Date('2026-11-24T02:00:00Z')).getTime();
  const tick = (ms: number) => {
    clock += ms;
  };
  const events: any[] = [];
  const last = new Map<string, number>();
  const mapStarted = new Map<string, number>();
  const emit = (scope: string, type: string, details?: Record<string, unknown>, previous?: number) => {
    tick(7 + (events.length * 13) % 41);
    const id = events.length + 1;
    events.push({
      timestamp: stamp(clock, options.timestamps ?? 'cli'),
      type,
      id,
      previousEventId: previous ?? last.get(scope) ?? 0,
      ...(details ? { [detailsKeyOf(type)]: details } : {}),
    });
    last.set(scope, id);
    return id;
  };

  for (const e of execution.eventLog) {
    const scope = e.index === undefined ? 'root' : `iteration ${e.index}`;
    const state = e.state && states[e.state.name];
    switch (e.type) {
      case 'ExecutionStarted':
        emit('root', 'ExecutionStarted', {
          input: JSON.stringify(e.input),
          inputDetails: { truncated: false },
          roleArn: 'arn:aws:iam::123456789012:role/WorkflowRole',
        });
        break;
      case 'StateEntered':
        emit(scope, `${e.state.type}StateEntered`, { name: e.state.name, input: JSON.stringify(e.state.input), inputDetails: { truncated: false } });
        if (e.state.type === 'Map') {
          mapStarted.set(e.state.name, emit(scope, 'MapStateStarted', { length: iterations.get(e.state.name) ?? 0 }));
        }
        if (e.state.type === 'Task') {
          taskEvents(scope, state, calls.get(e.state.name)?.shift());
        }
        if (e.state.type === 'Wait') {
          tick(1000 * jsonPathWaitSeconds(state, e.state.input));
        }
        break;
      case 'StateExited':
        if (e.state.type === 'Map') {
          emit(scope, 'MapStateSucceeded');
        }
        emit(scope, `${e.state.type}StateExited`, { name: e.state.name, output: JSON.stringify(e.state.output), outputDetails: { truncated: false } });
        break;
      case 'StateFailed':
        if (e.state.type === 'Map') {
          emit(scope, 'MapStateFailed');
        }
        break;
      case 'MapIterationStarted':
        emit(`iteration ${e.index}`, 'MapIterationStarted', { name: e.parentState.name, index: e.index }, mapStarted.get(e.parentState.name));
        break;
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        emit(`iteration ${e.index}`, e.type, { name: e.parentState.name, index: e.index });
        // The Map's own events follow the iteration that ended last.
        last.set(mapScopeOf(e, execution.eventLog), events.length);
        break;
      case 'ExecutionSucceeded':
        emit('root', 'ExecutionSucceeded', { output: JSON.stringify(e.output), outputDetails: { truncated: false } }, events.length);
        break;
      case 'ExecutionFailed':
        emit('root', 'ExecutionFailed', { error: e.Error, cause: String(e.Cause) }, events.length);
        break;
      default:
        // StateCaught, StateRetried: no event of their own in a real history.
        break;
    }
  }
  return { events };

  function taskEvents(scope: string, state: any, call: TaskCall | undefined) {
    if (!call) {
      return;
    }
    if (isFunctionArn(state.Resource)) {
      lambdaFunctionEvents(scope, state, call);
      return;
    }
    const [resourceType, resource] = resourceOf(state.Resource);
    emit(scope, 'TaskScheduled', {
      resourceType,
      resource,
      region: 'us-east-1',
      parameters: JSON.stringify(call.input),
      ...(state.TimeoutSeconds ? { timeoutInSeconds: state.TimeoutSeconds } : {}),
    });
    emit(scope, 'TaskStarted', { resourceType, resource });
    const stoppedTask = call.error === undefined || call.error.Error === 'States.TaskFailed' || call.error.Error === 'States.Timeout';
    if (resource.endsWith('.sync') && stoppedTask) {
      emit(scope, 'TaskSubmitted', {
        resourceType,
        resource,
        output: JSON.stringify({ Failures: [], Tasks: [{ TaskArn: 'arn:aws:ecs:us-east-1:123456789012:task/jobs/0f1e2d3c4b5a69788796a5b4c3d2e1f0', LastStatus: 'PROVISIONING' }] }),
        outputDetails: { truncated: false },
      });
    }
    tick(1000 * (options.taskSeconds ?? defaultTaskSeconds)(call));
    if (call.error) {
      emit(scope, 'TaskFailed', { resourceType, resource, error: call.error.Error, cause: call.error.Cause });
    } else {
      const output = resourceType === 'lambda'
        ? { ExecutedVersion: '$LATEST', Payload: (call.output as any).Payload, SdkHttpMetadata: { HttpStatusCode: 200 }, StatusCode: 200 }
        : call.output;
      emit(scope, 'TaskSucceeded', { resourceType, resource, output: JSON.stringify(output), outputDetails: { truncated: false } });
    }
  }

  /** A Task state whose Resource is a Lambda function's ARN: AWS records `LambdaFunction…` events, not `Task…` ones. */
  function lambdaFunctionEvents(scope: string, state: any, call: TaskCall) {
    emit(scope, 'LambdaFunctionScheduled', {
      resource: state.Resource,
      input: JSON.stringify(call.input),
      inputDetails: { truncated: false },
      ...(state.TimeoutSeconds ? { timeoutInSeconds: state.TimeoutSeconds } : {}),
    });
    emit(scope, 'LambdaFunctionStarted');
    tick(1000 * (options.taskSeconds ?? defaultTaskSeconds)(call));
    if (call.error) {
      emit(scope, 'LambdaFunctionFailed', { error: call.error.Error, cause: call.error.Cause });
    } else {
      emit(scope, 'LambdaFunctionSucceeded', { output: JSON.stringify(call.output), outputDetails: { truncated: false } });
    }
  }
}

/** A Lambda function's ARN, which a Task state may name as its Resource (not a `states:::` integration). */
function isFunctionArn(resource: unknown): boolean {
  return typeof resource === 'string' && /^arn:[^:]+:lambda:[^:]*:[^:]*:function:/.test(resource);
}

/** A task that failed to start stops within a minute; a job runs for minutes; an API call takes a moment. */
function defaultTaskSeconds(call: TaskCall): number {
  if (!call.state.includes('Run task')) {
    return 0.05;
  }
  if (!call.error) {
    return 817;
  }
  if (call.error.Error !== 'States.TaskFailed') {
    return 1;
  }
  return /TaskFailedToStart|CannotPull|ResourceInitialization/.test(call.error.Cause) ? 43 : 252;
}

function stamp(ms: number, format: 'cli' | 'api'): string | number {
  if (format === 'api') {
    return ms / 1000;
  }
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}

/** The details key of an event type: `TaskStateEntered` has `stateEnteredEventDetails`, `TaskFailed` `taskFailedEventDetails`. */
function detailsKeyOf(type: string): string {
  const state = /^(?:Task|Pass|Wait|Choice|Fail|Map|Parallel|Succeed)State(Entered|Exited)$/.exec(type);
  return state ? `state${state[1]}EventDetails` : `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}

/** The scope of the Map state whose iteration an event ends. */
function mapScopeOf(iterationEvent: any, log: any[]): string {
  const entered = log.find((e) => e.type === 'StateEntered' && e.state.name === iterationEvent.parentState.name);
  return entered?.index === undefined ? 'root' : `iteration ${entered.index}`;
}

function resourceOf(arn: string): [string, string] {
  const match = /^arn:[^:]+:states:::([^:]+):(.+)$/.exec(arn ?? '');
  return match ? [match[1], match[2]] : ['lambda', arn];
}

function jsonPathWaitSeconds(state: any, input: any): number {
  if (typeof state?.Seconds === 'number') {
    return state.Seconds;
  }
  const path: string | undefined = state?.SecondsPath;
  const value = path?.replace(/^\$\.?/, '').split('.').filter((p) => p !== '').reduce((v: any, key) => v?.[key], input);
  return typeof value === 'number' ? value : 0;
}

/** Every state of a definition by name, Map item processors included. */
function allStates(definition: any): Record<string, any> {
  const found: Record<string, any> = {};
  const walk = (machine: any) => {
    for (const [name, state] of Object.entries<any>(machine?.States ?? {})) {
      found[name] = state;
      walk(state.ItemProcessor ?? state.Iterator);
      (state.Branches ?? []).forEach(walk);
    }
  };
  walk(definition);
  return found;
}

/** How to dress a MiniStack execution's history as AWS records it. */
export interface MiniStackHistoryOptions {
  /** When the execution started. */
  readonly start?: Date;
  /**
   * The task description a mocked attempt that succeeded returned, which MiniStack does not put
   * into its history.
   */
  readonly succeededTask: unknown;
  /** How long an ECS attempt ran, in seconds; by default as for `toExecutionHistory`. */
  readonly taskSeconds?: (attempt: { state: string; error?: { Error: string; Cause?: string } }) => number;
}

/** An event without its id, time and chain, and the seconds that pass before it. */
interface PendingEvent {
  readonly type: string;
  readonly details?: Record<string, unknown>;
  readonly after: number;
}

/**
 * A MiniStack execution's history (`MiniStackExecution.events`) as AWS records the same
 * execution. MiniStack 1.5.33 runs the state machine as AWS does, and its events name the same
 * states with the same input and output, but it records less:
 *
 * - no `previousEventId`: each event here follows the one before;
 * - a mocked Task state that succeeds has no task events: here it gets `TaskScheduled`,
 *   `TaskStarted`, `TaskSubmitted` and `TaskSucceeded`, whose output is `succeededTask`; a failed
 *   one gets `TaskStarted` (and `TaskSubmitted` for a task that stopped) beside its own events;
 *   resources read `ecs` and `runTask.sync`, as AWS writes them, not the whole ARN; a task's
 *   request (`parameters`) is kept where MiniStack evaluated it;
 * - Waits and tasks take no time (`SFN_WAIT_SCALE=0`), and timestamps are those of the test run:
 *   here they are on one simulated clock from `start`, with each Wait taking the seconds its state
 *   evaluates to on its input, and each ECS attempt `taskSeconds`.
 *
 * The timestamps are the AWS CLI's, ISO 8601 with an offset.
 */
export async function fromMiniStackHistory(definition: any, events: any[], options: MiniStackHistoryOptions): Promise<{ events: any[] }> {
  const pending = await awsEvents(allStates(definition), events, options);
  const timeline = stamped(pending, startOf(options), 0);
  return { events: timeline.map(({ event, time }, i) => ({ timestamp: stamp(time, 'cli'), ...withId(event, i + 1, i) })) };
}

/**
 * The history AWS records for a Map state whose items MiniStack ran. MiniStack 1.5.33 records no
 * event inside a Map, so each item's states come from an execution of the Map's item processor
 * alone (the same states, as their own state machine) on that item, and the events around them
 * from the execution of the whole workflow (`parentEvents`, whose Map output the items must
 * give). Each is dressed as `fromMiniStackHistory` does; the items are placed as AWS places
 * them: `MapStateStarted`, then per item `MapIterationStarted`, its states and
 * `MapIterationSucceeded` (or `MapIterationFailed`), each item its own chain of
 * `previousEventId`s; with `MaxConcurrency` 1 one after another, else side by side, their events
 * interleaved by time.
 */
export async function mapFromMiniStackHistories(
  definition: any, parentEvents: any[], mapState: string, itemExecutions: Array<{ status: string; events: any[] }>, options: MiniStackHistoryOptions,
): Promise<{ events: any[] }> {
  const states = allStates(definition);
  const entered = parentEvents.findIndex((e) => e.type === 'MapStateEntered' && e.stateEnteredEventDetails.name === mapState);
  const exited = parentEvents.findIndex((e, i) => i > entered && ['MapStateExited', 'ExecutionFailed'].includes(e.type));
  const before = await awsEvents(states, parentEvents.slice(0, entered + 1), options);
  const after = await awsEvents(states, parentEvents.slice(exited), options);
  const sequential = states[mapState].MaxConcurrency === 1;

  const rootBefore = stamped([...before, { type: 'MapStateStarted', details: { length: itemExecutions.length }, after: 0 }], startOf(options), 0);
  let clock = rootBefore[rootBefore.length - 1].time;
  const items: Array<Array<{ event: PendingEvent; time: number }>> = [];
  for (const [index, item] of itemExecutions.entries()) {
    const inner = (await awsEvents(states, item.events, options)).filter((e) => !e.type.startsWith('Execution'));
    const iteration = { name: mapState, index };
    const end = item.status === 'SUCCEEDED' ? 'MapIterationSucceeded' : 'MapIterationFailed';
    const timeline = stamped([{ type: 'MapIterationStarted', details: iteration, after: 0 }, ...inner, { type: end, details: iteration, after: 0 }], clock, index + 1);
    items.push(timeline);
    if (sequential) {
      clock = timeline[timeline.length - 1].time;
    }
  }
  const lastEnd = Math.max(...items.map((timeline) => timeline[timeline.length - 1].time));
  const mapEnd = after[0].type === 'MapStateExited' ? 'MapStateSucceeded' : 'MapStateFailed';
  const rootAfter = stamped([{ type: mapEnd, after: 0 }, ...after], lastEnd, 0);

  // Ids in the order of time; each chain links its own events.
  const merged = [
    ...rootBefore.map((t) => ({ ...t, chain: 'root' })),
    ...items.flatMap((timeline, index) => timeline.map((t) => ({ ...t, chain: `item ${index}` }))),
  ].sort((a, b) => a.time - b.time);
  const all = [...merged, ...rootAfter.map((t) => ({ ...t, chain: 'root' }))];
  const last = new Map<string, number>();
  let mapStarted = 0;
  let lastIterationEnd = 0;
  const out = all.map(({ event, time, chain }, i) => {
    const id = i + 1;
    let previous = last.get(chain) ?? 0;
    if (event.type === 'MapIterationStarted') {
      previous = mapStarted;
    } else if (event.type === mapEnd) {
      previous = lastIterationEnd;
    }
    if (event.type === 'MapStateStarted') {
      mapStarted = id;
    }
    if (event.type.startsWith('MapIteration') && event.type !== 'MapIterationStarted') {
      lastIterationEnd = id;
    }
    last.set(chain, id);
    return { timestamp: stamp(time, 'cli'), ...withId(event, id, previous) };
  });
  return { events: out };
}

function startOf(options: MiniStackHistoryOptions): number {
  return (options.start ?? new Date('2026-11-24T02:00:00Z')).getTime();
}

function withId(event: PendingEvent, id: number, previous: number): any {
  return { type: event.type, id, previousEventId: previous, ...(event.details ? { [detailsKeyOf(event.type)]: event.details } : {}) };
}

/** Times on a simulated clock from `from`: a few milliseconds per step, and each event's `after` seconds. */
function stamped(events: PendingEvent[], from: number, seed: number): Array<{ event: PendingEvent; time: number }> {
  let clock = from;
  return events.map((event, n) => {
    clock += 7 + ((n + seed * 5) * 13) % 41 + Math.round(event.after * 1000);
    return { event, time: clock };
  });
}

/** MiniStack's events as AWS records them, without ids and times: see `fromMiniStackHistory`. */
async function awsEvents(states: Record<string, any>, events: any[], options: MiniStackHistoryOptions): Promise<PendingEvent[]> {
  const out: PendingEvent[] = [];
  let state: { name: string; input: unknown; taskEvents: number } | undefined;
  for (const event of events) {
    const [, details] = Object.entries<any>(event).find(([key]) => key.endsWith('EventDetails')) ?? [];
    const type: string = event.type;
    if (type.endsWith('StateEntered')) {
      state = { name: details.name, input: JSON.parse(details.input ?? 'null'), taskEvents: 0 };
      out.push({ type, details: { ...details, inputDetails: { truncated: false } }, after: 0 });
      continue;
    }
    const definition = state && states[state.name];
    if (type.startsWith('Task') && !type.endsWith('StateExited') && isFunctionArn(details?.resource)) {
      // MiniStack records an invocation of a function's ARN as task events; AWS records `LambdaFunction…` events.
      state!.taskEvents++;
      out.push(...lambdaFunctionEventsOf(type, details, taskSeconds(options, state!.name, details.resource, type === 'TaskFailed' ? { Error: details.error, Cause: details.cause } : undefined)));
      continue;
    }
    if (type === 'TaskScheduled') {
      state!.taskEvents++;
      const [resourceType, resource] = resourceOf(details.resource);
      // The request, when MiniStack evaluated it (test/ministack/ministack_server.py records it).
      const parameters = typeof details.parameters === 'string' ? { parameters: details.parameters } : {};
      out.push({ type, details: { resourceType, resource, region: 'us-east-1', ...parameters }, after: 0 }, { type: 'TaskStarted', details: { resourceType, resource }, after: 0 });
      continue;
    }
    if (type === 'TaskFailed' || type === 'TaskSucceeded') {
      const [resourceType, resource] = resourceOf(details.resource);
      const error = type === 'TaskFailed' ? { Error: details.error, Cause: details.cause } : undefined;
      const stoppedTask = resource.endsWith('.sync') && (!error || error.Error === 'States.TaskFailed');
      if (stoppedTask) {
        out.push(submitted(resourceType, resource));
      }
      out.push({
        type,
        details: {
          resourceType,
          resource,
          ...(error ? { error: error.Error, cause: error.Cause } : { output: details.output, outputDetails: { truncated: false } }),
        },
        after: taskSeconds(options, state!.name, resource, error),
      });
      continue;
    }
    if (type === 'TaskStateExited' && state && state.taskEvents === 0 && definition?.Resource) {
      // A mocked success: the events AWS records for the task that ran.
      const [resourceType, resource] = resourceOf(definition.Resource);
      out.push(
        { type: 'TaskScheduled', details: { resourceType, resource, region: 'us-east-1' }, after: 0 },
        { type: 'TaskStarted', details: { resourceType, resource }, after: 0 },
        ...(resource.endsWith('.sync') ? [submitted(resourceType, resource)] : []),
        {
          type: 'TaskSucceeded',
          details: { resourceType, resource, output: JSON.stringify(options.succeededTask), outputDetails: { truncated: false } },
          after: taskSeconds(options, state.name, resource, undefined),
        },
      );
    }
    const wait = type === 'WaitStateExited' && state ? await waitSeconds(definition, state.input) : 0;
    out.push({ type, details: type.endsWith('StateExited') ? { ...details, outputDetails: { truncated: false } } : details, after: wait });
  }
  return out;
}

/** MiniStack's event of an invocation of a Lambda function's ARN, as AWS records it. */
function lambdaFunctionEventsOf(type: string, details: any, seconds: number): PendingEvent[] {
  switch (type) {
    case 'TaskScheduled':
      return [
        { type: 'LambdaFunctionScheduled', details: { resource: details.resource, input: details.parameters ?? '{}', inputDetails: { truncated: false } }, after: 0 },
        { type: 'LambdaFunctionStarted', after: 0 },
      ];
    case 'TaskSucceeded':
      return [{ type: 'LambdaFunctionSucceeded', details: { output: details.output, outputDetails: { truncated: false } }, after: seconds }];
    case 'TaskFailed':
      return [{ type: 'LambdaFunctionFailed', details: { error: details.error, cause: details.cause }, after: seconds }];
    default:
      return [];
  }
}

function submitted(resourceType: string, resource: string): PendingEvent {
  return {
    type: 'TaskSubmitted',
    details: {
      resourceType,
      resource,
      output: JSON.stringify({ Failures: [], Tasks: [{ TaskArn: 'arn:aws:ecs:us-east-1:123456789012:task/jobs/0f1e2d3c4b5a69788796a5b4c3d2e1f0', LastStatus: 'PROVISIONING' }] }),
      outputDetails: { truncated: false },
    },
    after: 0,
  };
}

function taskSeconds(
  options: MiniStackHistoryOptions, state: string, resource: string, error: { Error: string; Cause?: string } | undefined,
): number {
  if (options.taskSeconds) {
    return options.taskSeconds({ state, ...(error ? { error } : {}) });
  }
  return resource.startsWith('runTask') ? defaultTaskSeconds({ state: 'Run task', error } as TaskCall) : 0.05;
}

/** The seconds a Wait state waits on `input`: `Seconds`, a JSONata `Seconds`, or `SecondsPath`. */
async function waitSeconds(state: any, input: unknown): Promise<number> {
  const seconds = state?.Seconds;
  if (typeof seconds === 'string') {
    const expression = /^\{%([\s\S]*)%\}$/.exec(seconds.trim());
    const value = expression ? await evaluateSfnJsonata(expression[1], { states: { input } }) : undefined;
    return typeof value === 'number' ? value : 0;
  }
  return jsonPathWaitSeconds(state, input);
}
