import { runLabel, type AttemptExplanation, type ExecutionExplanation, type RunExplanation, type TaskEnding } from './explain-execution';
import type { PolicyExplanation } from './explain-policy';
import { describePlacement, formatSize } from './launch-targets';
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
    lines.push('', ...renderRun(run, width, day, execution));
  }
  return lines.join('\n') + '\n';
}

/** Warnings about the input, for standard error: one paragraph each. */
export function renderWarnings(warnings: readonly string[], width: number): string {
  return warnings.map((w) => `${wrap(`Warning: ${w}`, width).join('\n')}\n`).join('');
}

/**
 * A run's block; an attempt on the day the execution started shows only its time of day, and a
 * cause that is the execution's is not repeated.
 */
function renderRun(run: RunExplanation, width: number, day: string | undefined, execution: ExecutionExplanation['execution']): string[] {
  const executionCause = execution.cause;
  // `Run ReportStack/Job/Run`, or, without the construct path, `Run of states "Extract: …"`.
  const name = runLabel(run, execution.stateMachineArn).replace(/^the run /, '');
  const where = run.item ? ` · ${run.item}` : '';
  const engine = run.engine ? ` · ${run.engine} engine` : '';
  const lines = wrap(`Run ${name}${where}${engine}`, width);
  const headers = ['#', 'Started', 'Ran', ...(run.adaptive ? ['Ran on'] : []), 'How the task ended', 'Rule', 'Decision', 'Wait'];
  const rows = run.attempts.map((a) => [
    String(a.attempt),
    a.startedAt ? formatTime(a.startedAt).slice(a.startedAt.startsWith(`${day}T`) ? 11 : 0) : '?',
    a.durationSeconds === undefined ? '?' : formatDuration(a.durationSeconds),
    ...(run.adaptive ? [describePlacement(a.launchTarget, a.capacity, a.size, a.state)] : []),
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
  for (const warning of run.warnings ?? []) {
    lines.push(...wrap(`Warning: ${warning}`, width - 2).map((l) => `  ${l}`));
  }
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
  const headers = ['Attempt', ...(adaptive ? ['Runs on'] : []), 'Decision', 'Rule', 'Wait before the next attempt'];
  const rows = explanation.attempts.map((a) => [
    `${a.attempt}${a.reached ? '' : ' (not reached)'}`,
    ...(adaptive ? [a.placement ? describePlacement(a.placement.launchTarget, a.placement.capacity, a.placement.size, a.placement.state) : ''] : []),
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
  const states = explanation.statePrefix === '' ? 'states "Start attempts", "Run task", …' : `states "${explanation.statePrefix}…"`;
  switch (explanation.runFrom) {
    case 'state machine path':
      return ` (inferred: the fragment of the ${states}, taken to be beside its state machine)`;
    case 'state names':
      return explanation.statePrefix === ''
        ? ' (its states "Start attempts", "Run task", … are this state machine\'s own: the template does not name the run)'
        : ` (named by its ${states}: the template does not name the run)`;
    default:
      return '';
  }
}

function renderPolicyFields(policy: unknown, width: number, indent = '  '): string[] {
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) {
    return [`${indent}${JSON.stringify(policy)}`];
  }
  const entries = Object.entries(policy as Record<string, unknown>);
  const keyWidth = entries.reduce((w, [k]) => Math.max(w, k.length), 0) + 2;
  const lines: string[] = [];
  for (const [key, value] of entries) {
    const label = `${indent}${key.padEnd(keyWidth)}`;
    if (key === 'sizes' && Array.isArray(value)) {
      const sizes = value.map((s: any, i) => {
        const own = typeof s?.cpu === 'number' && typeof s?.memoryMiB === 'number' ? formatSize(s) : `${s?.cpu} CPU, ${s?.memoryMiB} MiB`;
        return `${i}: ${own}${Array.isArray(s?.containerMemoryMiB) && s.containerMemoryMiB.length > 0 ? ` (containers ${s.containerMemoryMiB.join(', ')} MiB)` : ''}`;
      });
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
 * A table with one flexible column, which wraps onto at most three lines and, when longer, keeps
 * its head and its tail with `…` between (see `wrapCell`), so that each row fits `width`; the
 * other columns are as wide as their widest cell.
 */
function table(headers: string[], rows: string[][], flexible: number, width: number): string[] {
  const widths = headers.map((h, i) => rows.reduce((w, r) => Math.max(w, r[i].length), h.length));
  const fixed = widths.reduce((sum, w, i) => (i === flexible ? sum : sum + w), 0) + 2 * (headers.length - 1);
  widths[flexible] = Math.max(headers[flexible].length, Math.min(widths[flexible], Math.max(24, width - fixed)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  const lines = [line(headers)];
  for (const row of rows) {
    wrapCell(row[flexible], widths[flexible], CELL_LINES).forEach((part, n) => {
      lines.push(line(row.map((c, i) => (i === flexible ? part : n === 0 ? fit(c, widths[i]) : ''))));
    });
  }
  return lines;
}

/** The lines a cell of the flexible column may take. */
const CELL_LINES = 4;

/**
 * A cell's text on at most `maxLines` lines of `width`. A longer text keeps its head (the first
 * half of the lines) and its end (the other half, after `… `): a stopped reason or a cause names
 * its kind first and says what went wrong last (`… dial tcp 10.0.1.23:443: i/o timeout`).
 */
export function wrapCell(text: string, width: number, maxLines: number): string[] {
  const lines = wrapWords(text, width);
  if (lines.length <= maxLines) {
    return lines;
  }
  const head = lines.slice(0, Math.ceil(maxLines / 2));
  const shown = head.reduce((n, l) => n + l.length + 1, 0);
  return [...head, ...endOf(text.slice(Math.min(shown, text.length)), width, maxLines - head.length)];
}

/**
 * The end of a text on at most `maxLines` lines of `width`, filled from the last word up; when
 * the text does not fit, the first line starts with `… `. A word longer than a line is cut.
 */
function endOf(text: string, width: number, maxLines: number): string[] {
  const words = text.split(' ').filter((w) => w !== '');
  const lines: string[] = [];
  let line = '';
  let i = words.length - 1;
  while (i >= 0) {
    const room = lines.length === maxLines - 1 ? width - 2 : width;
    const word = words[i];
    if (line === '' && word.length > room) {
      // A long word: its end on this line, and the rest of it on the lines above.
      line = word.slice(word.length - room);
      words[i] = word.slice(0, word.length - room);
    } else if (line === '' || line.length + 1 + word.length <= room) {
      line = line === '' ? word : `${word} ${line}`;
      i--;
      continue;
    }
    if (lines.length === maxLines - 1) {
      break;
    }
    lines.unshift(line);
    line = '';
  }
  return [i >= 0 ? `… ${line}` : line, ...lines];
}

/** Words on lines of at most `width`; a word longer than a line is cut across lines. */
function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const space = rest.lastIndexOf(' ', width);
    const cut = space > width / 3 ? space : width;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  return [...lines, rest];
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
