// What simulate() predicted against what an execution did, attempt by attempt: the demo's
// verdict. Pure, so that test/demo/ can hold it to its word: a difference is reported and fails.
import type { SimulatedAttempt, SimulatedRun } from '../src';

/** One attempt as `simulate()` predicts it. */
export type PredictedAttempt = SimulatedAttempt;

/** A run as `simulate()` predicts it. */
export type PredictedRun = SimulatedRun;

/** One attempt as an execution's history shows it (see `executed-run.ts`). */
export interface ExecutedAttempt {
  readonly attempt: number;
  /** `SUCCEEDED` or `FAILED`. */
  readonly outcome: string;
  /** The state that ran it, e.g. `Run task` or `Run task on fallback`. */
  readonly state: string;
  /** For a failed attempt: the decision the run acted on, `RETRY`, `NOT_RETRYABLE` or `EXHAUSTED`. */
  readonly decision?: string;
  readonly rule?: string;
  /** The seconds the run waited before the next attempt. */
  readonly waitedSeconds?: number;
  /** `primary` or `fallback`. */
  readonly capacity: string;
  /** Where RunTask was asked to run it, as ECS names it: capacity providers or launch type. */
  readonly ranOn?: string;
  readonly cpu?: number;
  readonly memoryMiB?: number;
}

/** A run as its execution's history shows it. */
export interface ExecutedRun {
  readonly status: string;
  readonly errorName?: string;
  readonly cause?: string;
  readonly attempts: ExecutedAttempt[];
}

/**
 * Every way the execution differs from the prediction, one sentence each; empty when they agree.
 * A wait agrees when the execution waited within the predicted range (jitter draws it at random);
 * a size agrees when both say it, or the prediction does not know it.
 */
export function differences(predicted: PredictedRun, executed: ExecutedRun): string[] {
  const found: string[] = [];
  const differ = (what: string, p: unknown, e: unknown) => {
    if (p !== e) {
      found.push(`${what}: predicted ${show(p)}, executed ${show(e)}`);
    }
  };
  differ('run status', predicted.status, executed.status);
  differ('run error', predicted.errorName, executed.errorName);
  differ('run cause', predicted.cause, executed.cause);
  differ('number of attempts', predicted.attempts.length, executed.attempts.length);
  for (let i = 0; i < Math.min(predicted.attempts.length, executed.attempts.length); i++) {
    const p = predicted.attempts[i];
    const e = executed.attempts[i];
    const at = `attempt ${i + 1}`;
    differ(`${at} number`, p.attempt, e.attempt);
    differ(`${at} outcome`, p.outcome, e.outcome);
    differ(`${at} decision`, p.decision, e.decision);
    differ(`${at} rule`, p.rule, e.rule);
    differ(`${at} capacity`, p.capacity, e.capacity);
    if (p.cpu !== undefined || p.memoryMiB !== undefined) {
      differ(`${at} size`, sizeText(p.cpu, p.memoryMiB), sizeText(e.cpu, e.memoryMiB));
    }
    const waits = p.minWaitSeconds !== undefined || p.maxWaitSeconds !== undefined;
    if (waits || e.waitedSeconds !== undefined) {
      const within = waits && e.waitedSeconds !== undefined
        && e.waitedSeconds >= (p.minWaitSeconds ?? 0) && e.waitedSeconds <= (p.maxWaitSeconds ?? Infinity);
      if (!within) {
        found.push(`${at} wait: predicted ${waitRange(p) ?? 'none'}, executed ${e.waitedSeconds === undefined ? 'none' : `${e.waitedSeconds} s`}`);
      }
    }
  }
  return found;
}

/**
 * The prediction and the execution side by side: per attempt one line each, and a mark on each
 * attempt that differs; then the run's result.
 */
export function sideBySide(predicted: PredictedRun, executed: ExecutedRun): string {
  const header = ['#', '', 'Outcome', 'Decision', 'Rule', 'Wait', 'Capacity', 'Size', ''];
  const rows: string[][] = [];
  const diffs = differences(predicted, executed);
  const count = Math.max(predicted.attempts.length, executed.attempts.length);
  for (let i = 0; i < count; i++) {
    const p = predicted.attempts[i];
    const e = executed.attempts[i];
    const differs = diffs.some((d) => d.startsWith(`attempt ${i + 1} `));
    rows.push([
      String(i + 1), 'predicted',
      p?.outcome ?? '-', p?.decision ?? '', p?.rule ?? '', (p && waitRange(p)) ?? '', p?.capacity ?? '', p ? sizeText(p.cpu, p.memoryMiB) ?? '' : '', '',
    ]);
    rows.push([
      '', 'executed',
      e?.outcome ?? '-', e?.decision ?? '', e?.rule ?? '', e?.waitedSeconds !== undefined ? `${e.waitedSeconds} s` : '',
      e ? `${e.capacity}${e.ranOn ? ` (${e.ranOn})` : ''}` : '', e ? sizeText(e.cpu, e.memoryMiB) ?? '' : '',
      differs ? 'DIFFERS' : 'same',
    ]);
  }
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => `  ${cells.map((cell, c) => cell.padEnd(widths[c])).join('  ')}`.trimEnd();
  const result = (run: PredictedRun | ExecutedRun) => `${run.status}${run.errorName ? ` with ${run.errorName}` : ''} after ${run.attempts.length} attempt(s)`;
  return [
    line(header),
    ...rows.map(line),
    '',
    `  Result  predicted: ${result(predicted)}`,
    `          executed:  ${result(executed)}`,
  ].join('\n');
}

/** E.g. `0–30 s`, or `30 s` without jitter; undefined when the prediction has no wait. */
function waitRange(p: PredictedAttempt): string | undefined {
  if (p.minWaitSeconds === undefined && p.maxWaitSeconds === undefined) {
    return undefined;
  }
  return p.minWaitSeconds === p.maxWaitSeconds ? `${p.minWaitSeconds} s` : `${p.minWaitSeconds ?? 0}–${p.maxWaitSeconds ?? '?'} s`;
}

/** E.g. `1 vCPU, 2 GiB`, as explain writes a size. */
export function sizeText(cpu?: number, memoryMiB?: number): string | undefined {
  if (cpu === undefined && memoryMiB === undefined) {
    return undefined;
  }
  const parts = [cpu !== undefined ? `${cpu / 1024} vCPU` : undefined, memoryMiB !== undefined ? (memoryMiB % 1024 === 0 ? `${memoryMiB / 1024} GiB` : `${memoryMiB} MiB`) : undefined];
  return parts.filter((part) => part !== undefined).join(', ');
}

function show(value: unknown): string {
  return value === undefined ? 'none' : typeof value === 'string' ? JSON.stringify(value) : String(value);
}
