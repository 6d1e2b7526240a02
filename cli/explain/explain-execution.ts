import { readDecision, recognizeEngine, type DecisionInputs, type EngineReading, type RunSurroundings } from './engines';
import { detail, type ExecutionHistory, type HistoryEvent, parseEmbeddedJson } from './history-events';
import { launchTargetOfParameters, launchTargetOfTask, sizeOfParameters, sizeOfTask, type LaunchTarget, type TaskSize } from './launch-targets';
import { findRunTraces, isFailRole, ROLE_NAMES, type Role, type RoleVisit, type RunTrace } from './run-traces';
import { describeScope, stateVisits, type Scope, type StateVisit } from './state-visits';
import { decideRetry } from '../../src/decider/decide-retry';
import type { AttemptRecord, Capacity, ContainerExit, Decision } from '../../src/decider/wire';
import { RetryErrors } from '../../src/policy/retry-defaults';

/** What `explain` says about an execution: every run in it, attempt by attempt, and the result. */
export interface ExecutionExplanation {
  readonly mode: 'execution';
  readonly execution: ExecutionSummary;
  /** One per run of the retrying task; inside a Map, one per item. */
  readonly runs: RunExplanation[];
  readonly warnings: string[];
}

export interface ExecutionSummary {
  /** `SUCCEEDED`, `FAILED`, `ABORTED`, `TIMED_OUT`, or `RUNNING` when the history has no end. */
  readonly status: string;
  readonly startedAt?: string;
  readonly stoppedAt?: string;
  readonly durationSeconds?: number;
  readonly error?: string;
  readonly cause?: string;
  readonly stateMachineArn?: string;
}

export interface RunExplanation {
  /**
   * The run's construct path, known once it has invoked its decider (`LAMBDA` engine). A
   * `STATE_MACHINE` run's history does not name it.
   */
  readonly run?: string;
  /** The prefix of its state names: `''` standalone, `Job: ` for a fragment `Job`. */
  readonly statePrefix: string;
  /** Where it ran, e.g. `item 1 of Map "Each partition"`; absent at the top level. */
  readonly item?: string;
  readonly mapItem?: { readonly map?: string; readonly index?: number };
  /** The decision engine, `LAMBDA` or `STATE_MACHINE`, when the run's states show it. */
  readonly engine?: string;
  /** The policy the run decided with, when the history holds it. */
  readonly policy?: unknown;
  /** Whether the run has `outOfMemorySizes` or a `fallbackLaunchTarget`: its attempts show size and capacity. */
  readonly adaptive: boolean;
  readonly attempts: AttemptExplanation[];
  readonly result: RunResult;
  /**
   * Why what is shown of the run may be wrong: some of its events are contradicted by the history
   * (an id given to two different events, …) or follow events missing from it. Absent when none.
   */
  readonly warnings?: string[];
}

export interface AttemptExplanation {
  readonly attempt: number;
  /** The state that ran the task: `Run task`, or, for a `LAMBDA` run with a fallback, `Run task on fallback`. */
  readonly state: string;
  readonly startedAt?: string;
  readonly durationSeconds?: number;
  /**
   * Only for adaptive runs: `primary` or `fallback`, as the state that ran it says (`Run task on
   * fallback`), or else the decision about it or the one before it. Absent when neither tells:
   * a `STATE_MACHINE` run's one `Run task` state, in a history without execution data.
   */
  readonly capacity?: Capacity;
  /**
   * Only for adaptive runs: the capacity provider the task ran on (its description's, or else the
   * strategy's RunTask was given), or else its launch type; `{}`: the cluster's default strategy.
   */
  readonly launchTarget?: LaunchTarget;
  /** Only for adaptive runs: the task's size, as RunTask was asked for it (or as the decisions record it), or else as its description says. */
  readonly size?: TaskSize;
  readonly ended: TaskEnding;
  /** The decision about this attempt's failure. */
  readonly decision?: DecisionExplanation;
  /** The wait before the next attempt: as decided, and as the history shows it waited. */
  readonly wait?: { readonly decidedSeconds?: number; readonly waitedSeconds?: number };
}

/** How an attempt's task ended. */
export type TaskEnding =
  | { readonly outcome: 'succeeded'; readonly stopCode?: string; readonly stoppedReason?: string; readonly exitCodes: ContainerExit[] }
  | {
    readonly outcome: 'failed';
    /** The Step Functions error name: `States.TaskFailed` for a task that stopped, else the API error. */
    readonly error: string;
    readonly stopCode?: string;
    readonly stoppedReason?: string;
    readonly containerReason?: string;
    readonly exitCodes: ContainerExit[];
    /** The error's cause, when it carries no stopped task. */
    readonly cause?: string;
  }
  | { readonly outcome: 'unfinished' };

export interface DecisionExplanation {
  /** `RETRY`, `EXHAUSTED` or `NOT_RETRYABLE`, as the decider logs it; `INVALID` when the state machine rejected it. */
  readonly decision: string;
  readonly rule: string;
  readonly retryable: boolean;
  readonly retry: boolean;
  /** Absent when the decision is `inferred`. */
  readonly waitSeconds?: number;
  /**
   * `recorded`: as the run decided. `recomputed`: decided again from the history, which holds no
   * decision. `inferred`: read from the state the run went to next (`Back off`, `Not retryable`,
   * …), when the history holds neither the decision nor what it was made from; the rule is unknown.
   */
  readonly source: 'recorded' | 'recomputed' | 'inferred';
  readonly engine: string;
  /** Something the reader should know: the decider failed, this version decides differently, … */
  readonly note?: string;
}

export interface RunResult {
  /** `SUCCEEDED`, `FAILED`, or `UNFINISHED` when the history ends (or the execution stopped) first. */
  readonly status: 'SUCCEEDED' | 'FAILED' | 'UNFINISHED';
  readonly attempts: number;
  readonly error?: string;
  readonly cause?: string;
  /** Why an unfinished run stopped, e.g. the execution was aborted. */
  readonly reason?: string;
  readonly notificationLost?: boolean;
}

const FAIL_ERRORS: Partial<Record<Role, string>> = {
  attemptsExhausted: RetryErrors.ATTEMPTS_EXHAUSTED,
  notRetryable: RetryErrors.NOT_RETRYABLE,
  invalidDecision: RetryErrors.INVALID_DECISION,
  deciderFailed: RetryErrors.INVALID_DECISION,
};

const TASK_FAILURES = new Set(['TaskFailed', 'TaskTimedOut', 'TaskStartFailed', 'TaskSubmitFailed']);

/** Explains every run in an execution history. Returns no runs when it has none. */
export function explainExecution(history: ExecutionHistory): ExecutionExplanation {
  const { visits, warnings, guessed } = stateVisits(history);
  const execution = summarizeExecution(history.events);
  const surroundings = surroundingsOf(visits, execution);
  const ids = history.events.map((e) => e.id);
  const eventsMissing = ids.length > 0 && (ids[0] !== 1 || ids[ids.length - 1] - ids[0] + 1 > ids.length);
  const doubts: Doubts = { contradicted: history.contradicted, guessed, eventsMissing };
  const runs = shareRunFacts(findRunTraces(visits).map((trace) => explainRun(trace, execution, surroundings, doubts)));
  if (visits.length > 0 && visits.every((v) => v.entered.details.input === undefined)) {
    warnings.push('The history holds no execution data (fetched with --no-include-execution-data?): without the decisions and what they were made from, '
      + 'a decision is read from the state its run went to next (Back off, Not retryable, …), without its rule. Fetch it again with execution data.');
  }
  if (history.contradicted.size > 0 || guessed.size > 0 || runs.some((r) => r.warnings !== undefined)) {
    warnings.push(whatCanBeTrusted(runs, execution.stateMachineArn));
  }
  return { mode: 'execution', execution, runs, warnings: [...history.warnings, ...warnings] };
}

/** The events whose reading may be wrong: see `ExecutionHistory.contradicted` and `stateVisits`. */
interface Doubts {
  readonly contradicted: ReadonlySet<number>;
  readonly guessed: ReadonlySet<number>;
  /** Whether events are missing from the history: pages left out. */
  readonly eventsMissing: boolean;
}

/** After the warnings about events: which runs hold them, and that the others can be trusted. */
function whatCanBeTrusted(runs: RunExplanation[], stateMachineArn: string | undefined): string {
  const doubted = runs.filter((r) => r.warnings !== undefined);
  if (doubted.length === 0) {
    return 'No run holds any of these events: the runs shown can be trusted.';
  }
  const names = doubted.slice(0, 3).map((r) => `${runLabel(r, stateMachineArn)}${r.item ? ` (${r.item})` : ''}`).join('; ');
  const more = doubted.length > 3 ? `; and ${doubted.length - 3} more` : '';
  const others = runs.length - doubted.length;
  const trusted = others === 0 ? '' : ` The other ${others === 1 ? 'run holds' : `${others} runs hold`} none of these events and can be trusted.`;
  return `What is shown of ${doubted.length === 1 ? 'this run' : `these ${doubted.length} runs`} may be wrong, as it says under ${doubted.length === 1 ? 'it' : 'each'}: `
    + `${names}${more}.${trusted}`;
}

/**
 * What to call a run: its construct path, or, when the history does not hold it, its states, as
 * the state machine's graph shows them (`the run of states "Extract: …"`), and the state machine
 * when the history names it.
 */
export function runLabel(run: Pick<RunExplanation, 'run' | 'statePrefix'>, stateMachineArn?: string): string {
  if (run.run !== undefined) {
    return run.run;
  }
  const states = run.statePrefix === '' ? `"${ROLE_NAMES.start}", "${ROLE_NAMES.runTask}", …` : `"${run.statePrefix}…"`;
  const machine = stateMachineName(stateMachineArn);
  return `the run of states ${states}${machine === undefined ? '' : ` in state machine ${machine}`}`;
}

/** `Nightly` of `arn:aws:states:us-east-1:123456789012:stateMachine:Nightly` (or of a version's or alias's ARN). */
export function stateMachineName(arn: string | undefined): string | undefined {
  return arn === undefined ? undefined : /:stateMachine:([^:]+)/.exec(arn)?.[1];
}

/**
 * State names are unique in a state machine, so runs with the same prefix are runs of one
 * construct: a Map item that succeeded at once gets its construct path and policy from an item
 * that invoked the decider.
 */
function shareRunFacts(runs: RunExplanation[]): RunExplanation[] {
  const named = new Map<string, RunExplanation>();
  for (const run of runs) {
    if (run.run !== undefined && !named.has(run.statePrefix)) {
      named.set(run.statePrefix, run);
    }
  }
  return runs.map((run) => {
    const known = named.get(run.statePrefix);
    if (run.run !== undefined || !known) {
      return run;
    }
    return {
      run: known.run,
      ...run,
      ...(run.engine === undefined ? optional('engine', known.engine) : {}),
      ...(run.policy === undefined && known.policy !== undefined ? { policy: known.policy } : {}),
    };
  });
}

function summarizeExecution(events: HistoryEvent[]): ExecutionSummary {
  const started = events.find((e) => e.type === 'ExecutionStarted');
  const end = events.find((e) => ['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut'].includes(e.type));
  const status = end === undefined ? 'RUNNING' : {
    ExecutionSucceeded: 'SUCCEEDED', ExecutionFailed: 'FAILED', ExecutionAborted: 'ABORTED', ExecutionTimedOut: 'TIMED_OUT',
  }[end.type]!;
  const stateMachineArn = detail(started, 'stateMachineVersionArn') ?? detail(started, 'stateMachineAliasArn') ?? detail(started, 'stateMachineArn');
  return {
    status,
    ...iso('startedAt', started?.time),
    ...iso('stoppedAt', end?.time),
    ...seconds('durationSeconds', started?.time, end?.time),
    ...optional('error', detail(end, 'error')),
    ...optional('cause', detail(end, 'cause')),
    ...optional('stateMachineArn', stateMachineArn),
  };
}

/** The state after each visit in its scope, for engines that tell runs apart by what follows an attempt. */
function surroundingsOf(visits: StateVisit[], execution: ExecutionSummary): RunSurroundings {
  const next = new Map<StateVisit, StateVisit>();
  const last = new Map<Scope, StateVisit>();
  for (const visit of visits) {
    const before = last.get(visit.scope);
    if (before) {
      next.set(before, visit);
    }
    last.set(visit.scope, visit);
  }
  return { next: (visit) => next.get(visit), executionEnded: execution.status !== 'RUNNING' };
}

function explainRun(trace: RunTrace, execution: ExecutionSummary, surroundings: RunSurroundings, doubts: Doubts): RunExplanation {
  const attemptIndexes = trace.visits
    .map((v, i) => (v.role === 'runTask' || v.role === 'runTaskOnFallback' ? i : -1))
    .filter((i) => i >= 0);
  const readings: Array<EngineReading | undefined> = [];
  const attempts: AttemptExplanation[] = [];
  // A state of its own for each launch target (the LAMBDA engine, and earlier releases), behind a Choice.
  const twoStates = trace.visits.some((v) => v.role === 'chooseTarget' || v.role === 'runTaskOnFallback');
  let number = trace.visits[0]?.role === 'start' ? 0 : undefined;

  attemptIndexes.forEach((index, k) => {
    const attempt = trace.visits[index];
    const following = trace.visits.slice(index + 1, attemptIndexes[k + 1] ?? trace.visits.length);
    const ended = taskEnding(attempt);
    const reading = ended.outcome === 'failed' ? readDecision(attempt, following) : undefined;
    const previous = readings[readings.length - 1]?.decision;
    readings.push(reading);
    const record = recordedEntry(reading?.decision);
    // The decider's input names the attempt; the STATE_MACHINE engine's decision records it.
    const recordedNumber = reading?.inputs?.attempt ?? record?.attempt;
    number = typeof recordedNumber === 'number' && Number.isInteger(recordedNumber) ? recordedNumber : (number ?? 0) + 1;
    const failure = failurePayload(attempt) ?? reading?.inputs?.error;
    const decision = reading ? explainDecision(reading, failure, following) : undefined;
    const backOff = following.find((v) => v.role === 'backOff');
    attempts.push({
      attempt: number,
      state: attempt.visit.name,
      ...iso('startedAt', attempt.visit.entered.time),
      ...seconds('durationSeconds', attempt.visit.entered.time, (attempt.visit.exited ?? attempt.visit.events[attempt.visit.events.length - 1])?.time),
      ...placementOf(attempt, record, previous, twoStates),
      ended: ended.outcome === 'failed' ? withRecordedReason(describeFailure(failure, reading?.inputs?.policy) ?? ended, record, reading) : ended,
      ...(decision ? { decision } : {}),
      ...(decision?.retry && backOff ? {
        wait: {
          ...(decision.waitSeconds === undefined ? {} : { decidedSeconds: decision.waitSeconds }),
          ...seconds('waitedSeconds', backOff.visit.entered.time, backOff.visit.exited?.time),
        },
      } : {}),
    });
  });

  const inputs = readings.map((r) => r?.inputs).filter((i): i is DecisionInputs => i !== undefined);
  const policy = inputs.find((i) => i.policy !== undefined)?.policy;
  const adaptive = twoStates
    || isAdaptivePolicy(policy)
    || readings.some((r) => r?.decision?.next !== undefined);
  const run = inputs.find((i) => i.run !== undefined)?.run;
  const engine = readings.find((r) => r !== undefined)?.engine ?? recognizeEngine(trace, surroundings);
  const result = runResult(trace, attempts, readings, execution);
  const item = describeScope(trace.scope);
  return {
    ...optional('run', run),
    statePrefix: trace.prefix,
    ...optional('item', item),
    ...(trace.scope.kind === 'iteration' ? { mapItem: mapItemOf(trace.scope) } : {}),
    ...optional('engine', engine),
    ...(policy === undefined ? {} : { policy }),
    adaptive,
    attempts: adaptive ? attempts : attempts.map(({ capacity, launchTarget, size, ...rest }) => rest),
    result,
    ...runDoubts(trace, attemptIndexes, attempts, result, doubts),
  };
}

/** What the run's contradicted or guessed events make unsure, attempt by attempt. */
function runDoubts(
  trace: RunTrace, attemptIndexes: number[], attempts: AttemptExplanation[], result: RunResult, doubts: Doubts,
): { warnings?: string[] } {
  const holds = (set: ReadonlySet<number>, from: number, to: number) => set.size > 0
    && trace.visits.slice(from, to).some(({ visit }) => set.has(visit.entered.id) || visit.events.some((e) => set.has(e.id)));
  const warnings: string[] = [];
  for (const [set, one, many] of [
    [doubts.contradicted, 'holds events the history contradicts (see the warnings): what is shown of it may be wrong',
      'hold events the history contradicts (see the warnings): what is shown of them may be wrong'],
    [doubts.guessed, 'follows events the history does not hold before it (see the warnings): whether it belongs to this run, or this Map item, is a guess',
      'follow events the history does not hold before them (see the warnings): whether they belong to this run, or this Map item, is a guess'],
  ] as const) {
    const which = attempts.filter((_, k) => holds(set, attemptIndexes[k], attemptIndexes[k + 1] ?? trace.visits.length)).map((a) => a.attempt);
    if (which.length === 1) {
      warnings.push(`Attempt ${which[0]} ${one}.`);
    } else if (which.length > 1) {
      warnings.push(`Attempts ${which.slice(0, -1).join(', ')} and ${which[which.length - 1]} ${many}.`);
    } else if (holds(set, 0, trace.visits.length)) {
      warnings.push(`The run ${one}.`);
    }
  }
  if (result.status === 'UNFINISHED' && doubts.eventsMissing && trace.scope.kind !== 'unplaced') {
    warnings.push('The rest of the run may be in the events missing from the history (see the warnings): it is shown unfinished, but may have ended.');
  }
  return warnings.length > 0 ? { warnings } : {};
}

function mapItemOf(scope: Scope): { map?: string; index?: number } {
  return { ...optional('map', scope.map), ...(scope.index === undefined ? {} : { index: scope.index }) };
}

/** The `{ Error, Cause }` a Catch got from the attempt, from its failure event. */
function failurePayload(attempt: RoleVisit): { Error: string; Cause?: string } | undefined {
  const failed = [...attempt.visit.events].reverse().find((e) => TASK_FAILURES.has(e.type));
  if (!failed) {
    return undefined;
  }
  const cause = detail(failed, 'cause');
  return { Error: detail(failed, 'error') ?? failed.type, ...(cause === undefined ? {} : { Cause: cause }) };
}

function taskEnding(attempt: RoleVisit): TaskEnding {
  const events = attempt.visit.events;
  const succeeded = [...events].reverse().find((e) => e.type === 'TaskSucceeded');
  if (succeeded) {
    const task = parseEmbeddedJson(detail(succeeded, 'output'));
    return { outcome: 'succeeded', ...stoppedTask(task) };
  }
  if (events.some((e) => TASK_FAILURES.has(e.type))) {
    return { outcome: 'failed', error: failurePayload(attempt)?.Error ?? 'unknown', exitCodes: [] };
  }
  // A state that exited without a failure succeeded, though the history lacks its TaskSucceeded.
  if (attempt.visit.exited?.type.endsWith('StateExited')) {
    return { outcome: 'succeeded', exitCodes: [] };
  }
  return { outcome: 'unfinished' };
}

/** The stop code, reason and exit codes of a successful attempt's task description. */
function stoppedTask(task: unknown): { stopCode?: string; stoppedReason?: string; exitCodes: ContainerExit[] } {
  const record = isRecord(task) ? task : {};
  const containers = Array.isArray(record.Containers) ? record.Containers : [];
  const exitCodes = containers
    .filter((c): c is Record<string, unknown> => isRecord(c) && typeof c.ExitCode === 'number')
    .map((c) => ({ name: typeof c.Name === 'string' ? c.Name : '', exitCode: c.ExitCode as number }));
  return {
    ...optional('stopCode', typeof record.StopCode === 'string' ? record.StopCode : undefined),
    ...optional('stoppedReason', typeof record.StoppedReason === 'string' ? record.StoppedReason : undefined),
    exitCodes,
  };
}

/**
 * Reads a failure the way the decider does: `decideRetry` parses the stopped task out of the
 * Cause (a task description cut short included) and bounds its reasons; its history entry is
 * the reading.
 */
export function describeFailure(failure: unknown, policy: unknown): TaskEnding | undefined {
  if (!isRecord(failure) || typeof failure.Error !== 'string') {
    return undefined;
  }
  const record = lastRecord(decideRetry({ policy: policy ?? {}, attempt: 1, error: failure, random: 0 }));
  const cause = failure.Cause;
  return {
    outcome: 'failed',
    error: failure.Error,
    ...optional('stopCode', record.stopCode),
    ...optional('stoppedReason', record.stoppedReason),
    ...optional('containerReason', record.containerReason),
    exitCodes: record.exitCodes,
    ...(record.stopCode === undefined && record.stoppedReason === undefined && record.exitCodes.length === 0
      ? optional('cause', typeof cause === 'string' ? cause : cause === undefined ? undefined : JSON.stringify(cause))
      : {}),
  };
}

/**
 * Which container's reason decided depends on the policy (a stopped-reason pattern, or out of
 * memory with a size ladder): without the policy, as with the STATE_MACHINE engine, the reason the
 * decision recorded is the one.
 */
function withRecordedReason(ended: TaskEnding, record: AttemptRecord | undefined, reading: EngineReading | undefined): TaskEnding {
  if (ended.outcome !== 'failed' || ended.containerReason !== undefined || reading?.inputs?.policy !== undefined || typeof record?.containerReason !== 'string') {
    return ended;
  }
  const { exitCodes, ...rest } = ended;
  return { ...rest, containerReason: record.containerReason, exitCodes };
}

function lastRecord(decision: Decision): AttemptRecord {
  return decision.history[decision.history.length - 1];
}

/** The last history entry of a recorded decision, which may be malformed. */
function recordedEntry(decision: Decision | undefined): AttemptRecord | undefined {
  const history: unknown = decision?.history;
  const last: unknown = Array.isArray(history) ? history[history.length - 1] : undefined;
  return isRecord(last) ? last as unknown as AttemptRecord : undefined;
}

/**
 * The decision about a failed attempt: the recorded one, checked against `decideRetry` run again
 * on the same inputs; or, when none was recorded, `decideRetry`'s.
 */
function explainDecision(reading: EngineReading, failure: unknown, following: readonly RoleVisit[]): DecisionExplanation | undefined {
  const inputs = reading.inputs;
  const again = inputs && inputs.policy !== undefined
    ? decideRetry({
      policy: inputs.policy, attempt: inputs.attempt, error: inputs.error ?? failure, history: inputs.history, placement: inputs.placement, random: 0,
    })
    : undefined;
  const rejected = following.some((v) => v.role === 'invalidDecision');
  const recorded = reading.decision;
  if (recorded && typeof recorded.rule === 'string' && typeof recorded.retryable === 'boolean' && typeof recorded.retry === 'boolean') {
    const notes: string[] = [];
    if (again && (again.rule !== recorded.rule || again.retryable !== recorded.retryable || again.retry !== recorded.retry)) {
      notes.push(`This version of the decider decides ${label(again)} by ${again.rule} on the same inputs: the deployed decider is another version.`);
    }
    if (rejected) {
      notes.push('The state machine rejected this decision (RetryableEcsRunTask.InvalidDecision).');
    }
    return {
      decision: rejected ? 'INVALID' : label(recorded),
      rule: recorded.rule,
      retryable: recorded.retryable,
      retry: recorded.retry,
      waitSeconds: typeof recorded.waitSeconds === 'number' ? recorded.waitSeconds : 0,
      source: 'recorded',
      engine: reading.engine,
      ...(notes.length > 0 ? { note: notes.join(' ') } : {}),
    };
  }
  const problem = reading.problem ?? (recorded ? 'The decider answered something that is not a decision.' : 'The history holds no decision.');
  if (!again) {
    if (rejected || recorded) {
      return { decision: 'INVALID', rule: 'unknown', retryable: false, retry: false, waitSeconds: 0, source: 'recorded', engine: reading.engine, note: problem };
    }
    return inferDecision(reading, problem, following);
  }
  return {
    decision: label(again),
    rule: again.rule,
    retryable: again.retryable,
    retry: again.retry,
    waitSeconds: again.waitSeconds,
    source: 'recomputed',
    engine: reading.engine,
    note: `${problem} The policy would decide ${label(again)} by ${again.rule}.`,
  };
}

/** What each state a run goes to after a decision says about the decision. */
const DECIDED_BY_STATE: Partial<Record<Role, Pick<DecisionExplanation, 'decision' | 'retryable' | 'retry'>>> = {
  backOff: { decision: 'RETRY', retryable: true, retry: true },
  attemptsExhausted: { decision: 'EXHAUSTED', retryable: true, retry: false },
  notRetryable: { decision: 'NOT_RETRYABLE', retryable: false, retry: false },
  invalidDecision: { decision: 'INVALID', retryable: false, retry: false },
  deciderFailed: { decision: 'INVALID', retryable: false, retry: false },
};

/**
 * A decision read from the state the run went to next, when the history holds neither the
 * decision nor what it was made from (a history without execution data): its rule and its wait
 * are unknown.
 */
function inferDecision(reading: EngineReading, problem: string, following: readonly RoleVisit[]): DecisionExplanation | undefined {
  const next = following.find((v) => DECIDED_BY_STATE[v.role] !== undefined);
  if (!next) {
    return undefined;
  }
  return {
    ...DECIDED_BY_STATE[next.role]!,
    rule: 'unknown',
    source: 'inferred',
    engine: reading.engine,
    note: `${problem} The run went on to "${next.visit.name}", so the decision was ${DECIDED_BY_STATE[next.role]!.decision}; its rule is not in the history.`,
  };
}

/** As the decider logs it. */
export function label(decision: Pick<Decision, 'retry' | 'retryable'>): string {
  return decision.retry ? 'RETRY' : decision.retryable ? 'EXHAUSTED' : 'NOT_RETRYABLE';
}

/**
 * Where the attempt ran: the capacity its state names (`Run task on fallback`), or else the one
 * the decision about it recorded, or else the one the decision before it chose (`next`); the
 * capacity provider its task's description names, or else the capacity providers of the
 * strategy RunTask was given, or else the launch type; and its size, as RunTask was asked for it,
 * or else as the decision about it recorded it, or as the decision before it chose it (`next`), or
 * else as its task's description says.
 */
function placementOf(
  attempt: RoleVisit, record: AttemptRecord | undefined, previous: Decision | undefined, twoStates: boolean,
): { capacity?: Capacity; launchTarget?: LaunchTarget; size?: TaskSize } {
  // The LAMBDA engine runs each launch target in a state of its own; the STATE_MACHINE engine runs both in one.
  const recorded = [attempt.role === 'runTaskOnFallback' ? 'fallback' : undefined, record?.capacity, field(previous?.next, 'capacity')]
    .find((c): c is Capacity => c === 'primary' || c === 'fallback');
  const capacity = recorded ?? (twoStates ? 'primary' : undefined);
  const scheduled = attempt.visit.events.find((e) => e.type === 'TaskScheduled');
  const parameters = parseEmbeddedJson(detail(scheduled, 'parameters'));
  const succeeded = attempt.visit.events.find((e) => e.type === 'TaskSucceeded');
  const task = succeeded ? parseEmbeddedJson(detail(succeeded, 'output')) : parseEmbeddedJson(failurePayload(attempt)?.Cause);
  // A capacity provider first: the task's own, else the strategy's; then a launch type.
  const [ran, asked] = [launchTargetOfTask(task), launchTargetOfParameters(parameters)];
  const launchTarget = ran?.capacityProviders ? ran : asked?.capacityProviders ? asked : ran ?? asked;
  const chosen: unknown = field(previous?.next, 'size');
  const size = sizeOfParameters(parameters) ?? [record?.size as unknown, chosen]
    .map((s) => (isRecord(s) && typeof s.cpu === 'number' && typeof s.memoryMiB === 'number' ? { cpu: s.cpu, memoryMiB: s.memoryMiB } : undefined))
    .find((s) => s !== undefined) ?? sizeOfTask(task);
  return { capacity, ...(launchTarget ? { launchTarget } : {}), ...(size ? { size } : {}) };
}

function isAdaptivePolicy(policy: unknown): boolean {
  return isRecord(policy) && (policy.sizes !== undefined || policy.fallback !== undefined);
}

function runResult(
  trace: RunTrace, attempts: AttemptExplanation[], readings: Array<EngineReading | undefined>, execution: ExecutionSummary,
): RunResult {
  const count = attempts.length === 0 ? 0 : attempts[attempts.length - 1].attempt;
  // The Lambda engine records the result; with the STATE_MACHINE engine, a successful attempt ends the run.
  const succeeded = trace.visits.some((v) => v.role === 'recordResult' && v.visit.exited !== undefined)
    || (attempts.length > 0 && attempts[attempts.length - 1].ended.outcome === 'succeeded');
  if (succeeded) {
    return { status: 'SUCCEEDED', attempts: count };
  }
  const failed = trace.visits.find((v) => isFailRole(v.role));
  if (failed) {
    const error = FAIL_ERRORS[failed.role]!;
    const lastDecision = [...readings].reverse().find((r) => r?.decision)?.decision;
    const cause = failed.role === 'deciderFailed' || failed.role === 'invalidDecision'
      ? (execution.error === error ? execution.cause : undefined)
      : typeof lastDecision?.cause === 'string' ? lastDecision.cause : undefined;
    return {
      status: 'FAILED',
      attempts: count,
      error,
      ...optional('cause', cause),
      ...(failed.notificationLost ? { notificationLost: true } : {}),
    };
  }
  const reason = execution.status === 'RUNNING'
    ? 'The history ends while the run is still going (the execution is running, or later events are missing).'
    : `The execution ended ${execution.status}${execution.error ? ` (${execution.error})` : ''} before the run did.`;
  return { status: 'UNFINISHED', attempts: count, reason };
}

function iso<K extends string>(key: K, time: number | undefined): { [P in K]?: string } {
  return (time === undefined ? {} : { [key]: new Date(time).toISOString() }) as { [P in K]?: string };
}

function seconds<K extends string>(key: K, from: number | undefined, to: number | undefined): { [P in K]?: number } {
  return (from === undefined || to === undefined ? {} : { [key]: Math.max(0, (to - from) / 1000) }) as { [P in K]?: number };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}
