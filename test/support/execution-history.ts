import type { LocalExecution, TaskCall } from './local-execution';

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
          tick(1000 * waitSeconds(state, e.state.input));
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

function waitSeconds(state: any, input: any): number {
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
