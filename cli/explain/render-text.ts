import type { AttemptExplanation, ExecutionExplanation, RunExplanation, TaskEnding } from './explain-execution';
import type { PolicyAttempt, PolicyExplanation } from './explain-policy';
import { RetryErrors } from '../../src/policy/retry-defaults';

/** Renders an execution's explanation: a block per run, a row per attempt, for a terminal `width` columns wide. */
export function renderExecution(explanation: ExecutionExplanation, width: number): string {
  const { execution } = explanation;
  const lines: string[] = [];
  const when = execution.startedAt ? `, started ${formatTime(execution.startedAt)} UTC` : '';
  const took = execution.durationSeconds === undefined ? '' : ` after ${formatDuration(execution.durationSeconds)}`;
  lines.push(`Execution  ${execution.status === 'RUNNING' ? 'RUNNING (the history has no end)' : `${execution.status}${took}`}${when}`);
  if (execution.error !== undefined || execution.cause !== undefined) {
    lines.push(...wrap(`${execution.error ?? ''}${execution.cause ? `: ${execution.cause}` : ''}`, width - 11).map((l) => `           ${l}`));
  }
  if (execution.stateMachineArn) {
    lines.push(`           ${execution.stateMachineArn}`);
  }
  const day = execution.startedAt?.slice(0, 10);
  for (const run of explanation.runs) {
    lines.push('', ...renderRun(run, width, day, execution.cause));
  }
  if (explanation.warnings.length > 0) {
    lines.push('');
    explanation.warnings.forEach((w) => lines.push(...wrap(`Warning: ${w}`, width)));
  }
  return lines.join('\n') + '\n';
}

/**
 * A run's block; an attempt on the day the execution started shows only its time of day, and a
 * cause that is the execution's is not repeated.
 */
function renderRun(run: RunExplanation, width: number, day: string | undefined, executionCause: string | undefined): string[] {
  const name = run.run ?? (run.statePrefix === '' ? 'with unprefixed state names' : `with states "${run.statePrefix}…"`);
  const where = run.item ? ` · ${run.item}` : '';
  const engine = run.engine ? ` · ${run.engine} engine` : '';
  const lines = [`Run ${name}${where}${engine}`];
  const headers = ['#', 'Started', 'Ran', ...(run.adaptive ? ['Ran on (CPU/MiB)'] : []), 'How the task ended', 'Rule', 'Decision', 'Wait'];
  const rows = run.attempts.map((a) => [
    String(a.attempt),
    a.startedAt ? formatTime(a.startedAt).slice(a.startedAt.startsWith(`${day}T`) ? 11 : 0) : '?',
    a.durationSeconds === undefined ? '?' : formatDuration(a.durationSeconds),
    ...(run.adaptive ? [placement(a)] : []),
    describeEnding(a.ended),
    a.decision?.rule ?? '',
    a.decision ? `${a.decision.decision}${a.decision.source === 'recorded' ? '' : '*'}` : '',
    waitText(a),
  ]);
  lines.push(...table(headers, rows, headers.indexOf('How the task ended'), width - 2).map((l) => `  ${l}`));
  const notes = run.attempts.filter((a) => a.decision?.note);
  for (const a of notes) {
    const star = a.decision!.source === 'recorded' ? '' : '* ';
    lines.push(...wrap(`${star}Attempt ${a.attempt}: ${a.decision!.note}`, width - 2).map((l) => `  ${l}`));
  }
  lines.push(...wrap(resultText(run, executionCause), width - 2).map((l) => `  ${l}`));
  return lines;
}

function resultText(run: RunExplanation, executionCause: string | undefined): string {
  const { result } = run;
  const attempts = `${result.attempts} attempt${result.attempts === 1 ? '' : 's'}`;
  if (result.status === 'SUCCEEDED') {
    return `Result: SUCCEEDED after ${attempts}.`;
  }
  if (result.status === 'FAILED') {
    const lost = result.notificationLost ? ' The failure notification was lost.' : '';
    const cause = result.cause === undefined ? '' : result.cause === executionCause ? ', the execution\'s error above' : `: ${result.cause}`;
    return `Result: FAILED after ${attempts} with ${result.error}${cause}.${lost}`;
  }
  return `Result: unfinished after ${attempts}. ${result.reason ?? ''}`.trimEnd();
}

function placement(a: AttemptExplanation): string {
  const size = a.size ? ` ${a.size.cpu}/${a.size.memoryMiB}` : '';
  return `${a.capacity ?? '?'}${size}`;
}

function waitText(a: AttemptExplanation): string {
  if (!a.wait) {
    return '';
  }
  const { decidedSeconds, waitedSeconds } = a.wait;
  if (decidedSeconds === undefined) {
    return waitedSeconds === undefined ? '?' : `waited ${formatDuration(waitedSeconds)}`;
  }
  const decided = `${decidedSeconds} s`;
  return waitedSeconds !== undefined && Math.abs(waitedSeconds - decidedSeconds) >= 1 ? `${decided} (waited ${formatDuration(waitedSeconds)})` : decided;
}

/**
 * E.g. `exit app=75, log-router=137 · EssentialContainerExited · Essential container in task exited`:
 * the exit codes first, since a cut row keeps its start, then the stop code and the reasons.
 */
export function describeEnding(ended: TaskEnding): string {
  if (ended.outcome === 'unfinished') {
    return 'no end in the history';
  }
  const exits = ended.exitCodes.length > 0 ? `exit ${ended.exitCodes.map((e) => `${e.name || '?'}=${e.exitCode}`).join(', ')}` : undefined;
  if (ended.outcome === 'succeeded') {
    return ['succeeded', exits, ended.stopCode].filter((p) => p !== undefined).join(' · ');
  }
  const hasTask = ended.stopCode !== undefined || ended.stoppedReason !== undefined || ended.exitCodes.length > 0;
  if (!hasTask) {
    return `${ended.error}${ended.cause ? `: ${oneLine(ended.cause)}` : ''}`;
  }
  return [
    ended.error === 'States.TaskFailed' ? undefined : ended.error,
    exits,
    ended.stopCode,
    ended.containerReason === undefined ? undefined : `container: ${oneLine(ended.containerReason)}`,
    ended.stoppedReason === undefined ? undefined : oneLine(ended.stoppedReason),
  ].filter((p) => p !== undefined).join(' · ');
}

/** Renders what a policy does with a failure. */
export function renderPolicy(explanation: PolicyExplanation, width: number): string {
  const lines: string[] = [];
  lines.push(...hang('Run        ', `${explanation.run}${runNameNote(explanation)}`, width));
  lines.push(...wrap(`${explanation.template}, state machine ${explanation.stateMachine}, state ${JSON.stringify(explanation.state)} (${explanation.engine} engine)`, width - 11)
    .map((l, i) => `${i === 0 ? 'Found in   ' : '           '}${l}`));
  if (explanation.engine === 'STATE_MACHINE') {
    lines.push(...hang('           ', 'Its states decide in JSONata, as decideRetry does (the library\'s differential tests hold them equal): the decisions below are decideRetry\'s.', width));
  }
  lines.push('', 'Policy, as the state machine carries it:');
  if (explanation.policyDefaults?.from) {
    lines.push(...wrap(`(It sends what differs from default policy ${explanation.policyDefaults.id}, whole here with ${explanation.policyDefaults.from}.)`, width - 2)
      .map((l) => `  ${l}`));
  }
  lines.push(...renderPolicyFields(explanation.policy, width));
  if (explanation.unresolved.length > 0) {
    lines.push(...wrap(`Only deploy knows ${explanation.unresolved.join(', ')}: the decisions below read them as the decider reads a value it cannot use.`, width));
  }
  lines.push('');
  lines.push(...hang('Failure    ', describeEnding(explanation.reads), width));
  lines.push('');
  const adaptive = explanation.attempts.some((a) => a.placement !== undefined);
  const headers = ['Attempt', ...(adaptive ? ['Runs on (CPU/MiB)'] : []), 'Decision', 'Rule', 'Wait before the next attempt'];
  const rows = explanation.attempts.map((a) => [
    `${a.attempt}${a.reached ? '' : ' (not reached)'}`,
    ...(adaptive ? [policyPlacement(a)] : []),
    a.decision,
    a.rule,
    a.wait ? range(a.wait.minSeconds, a.wait.maxSeconds) : '',
  ]);
  lines.push(...table(headers, rows, headers.indexOf('Rule'), width - 2).map((l) => `  ${l}`));
  const last = explanation.attempts.find((a) => !a.retry);
  if (last) {
    const error = last.retryable ? RetryErrors.ATTEMPTS_EXHAUSTED : RetryErrors.NOT_RETRYABLE;
    lines.push(...wrap(`When every attempt fails this way, the run fails at attempt ${last.attempt} with ${error}: ${last.cause}`, width - 2).map((l) => `  ${l}`));
  }
  if (explanation.waitSchedule.length > 0) {
    lines.push('');
    const schedule = explanation.waitSchedule.map((w) => `before attempt ${w.beforeAttempt}: ${range(w.minSeconds, w.maxSeconds)}`).join(', ');
    lines.push(...wrap(`Wait schedule for any retried failure: ${schedule}.`, width));
  }
  return lines.join('\n') + '\n';
}

/** How sure the run's name is, when the template does not name the run. */
function runNameNote(explanation: PolicyExplanation): string {
  const states = explanation.statePrefix === '' ? 'unprefixed states' : `states "${explanation.statePrefix}…"`;
  switch (explanation.runFrom) {
    case 'state machine path':
      return ` (inferred: the fragment of the ${states}, taken to be beside its state machine)`;
    case 'state names':
      return ` (named by its ${states}: the template does not name the run)`;
    default:
      return '';
  }
}

function policyPlacement(a: PolicyAttempt): string {
  if (!a.placement) {
    return '';
  }
  const size = a.placement.size ? ` ${a.placement.size.cpu}/${a.placement.size.memoryMiB}` : '';
  return `${a.placement.capacity}${size}`;
}

function renderPolicyFields(policy: unknown, width: number, indent = '  '): string[] {
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) {
    return [`${indent}${JSON.stringify(policy)}`];
  }
  const entries = Object.entries(policy as Record<string, unknown>);
  const keyWidth = Math.max(...entries.map(([k]) => k.length)) + 2;
  const lines: string[] = [];
  for (const [key, value] of entries) {
    const label = `${indent}${key.padEnd(keyWidth)}`;
    if (key === 'sizes' && Array.isArray(value)) {
      const sizes = value.map((s: any, i) => `${i}: ${s?.cpu} CPU, ${s?.memoryMiB} MiB${Array.isArray(s?.containerMemoryMiB) && s.containerMemoryMiB.length > 0 ? ` (containers ${s.containerMemoryMiB.join(', ')} MiB)` : ''}`);
      lines.push(...hang(label, sizes.join('; '), width));
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      lines.push(`${indent}${key}`);
      lines.push(...renderPolicyFields(value, width, `${indent}  `));
    } else if (Array.isArray(value)) {
      // A list that does not fit on one line gets a line per entry: patterns have spaces of their own.
      const items = value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      const joined = items.length === 0 ? '(none)' : items.join(', ');
      const fits = label.length + joined.length <= width;
      lines.push(...(fits ? [`${label}${joined}`] : items.map((e, i) => `${i === 0 ? label : ' '.repeat(label.length)}${e}`)));
    } else {
      lines.push(`${label}${typeof value === 'string' ? value : JSON.stringify(value)}`);
    }
  }
  return lines;
}

function hang(label: string, text: string, width: number): string[] {
  return wrap(text, Math.max(20, width - label.length)).map((l, i) => `${i === 0 ? label : ' '.repeat(label.length)}${l}`);
}

function range(min: number, max: number): string {
  return min === max ? `${min} s` : `${min}–${max} s`;
}

/**
 * A table with one flexible column, which wraps onto a second line and is then cut with `…`,
 * so that each row fits `width`; the other columns are as wide as their widest cell.
 */
function table(headers: string[], rows: string[][], flexible: number, width: number): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fixed = widths.reduce((sum, w, i) => (i === flexible ? sum : sum + w), 0) + 2 * (headers.length - 1);
  widths[flexible] = Math.max(headers[flexible].length, Math.min(widths[flexible], Math.max(24, width - fixed)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  const lines = [line(headers)];
  for (const row of rows) {
    wrapCell(row[flexible], widths[flexible], 2).forEach((part, n) => {
      lines.push(line(row.map((c, i) => (i === flexible ? part : n === 0 ? fit(c, widths[i]) : ''))));
    });
  }
  return lines;
}

/** A cell's text on at most `maxLines` lines of `width`, the last cut with `…`. */
function wrapCell(text: string, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width && lines.length < maxLines - 1) {
    const space = rest.lastIndexOf(' ', width);
    const cut = space > width / 3 ? space : width;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  return [...lines, fit(rest, width)];
}

function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/ +/)) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  lines.push(current);
  return lines;
}

/** `2026-11-24 02:00:05`, in UTC. */
function formatTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
}

/** `41s`, `12m 03s`, `2h 05m`, `3d 04h`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) {
    return `${s}s`;
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) {
    return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  }
  return `${Math.floor(s / 86400)}d ${pad(Math.floor((s % 86400) / 3600))}h`;
}
