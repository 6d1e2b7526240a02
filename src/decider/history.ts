import { truncate } from './engine-text';
import {
  BRIEF_NAME_LENGTH, BRIEF_RULE_LENGTH, MAX_CONTAINER_NAME_LENGTH, MAX_NAME_LENGTH, MAX_READ_CONTAINERS, MAX_REASON_LENGTH, MAX_RULE_LENGTH,
  WHOLE_LATEST_ENTRIES,
} from './history-bounds';
import { defined, field, integerIn, isFiniteNumber, isRecord, listOf, numberAtLeast, stringField } from './json-values';
import type { AttemptRecord, Capacity } from './wire';

/** The last `keep` well-formed entries of a history, re-bounded field by field. */
export function normalizeHistory(raw: unknown, keep: number): AttemptRecord[] {
  if (!Array.isArray(raw) || keep <= 0) {
    return [];
  }
  return raw.filter(isRecord).slice(-keep).map((entry) => bounded({
    attempt: integerIn(entry.attempt, 0, Number.MAX_SAFE_INTEGER, 0),
    error: stringField(entry, 'error') ?? 'Unknown',
    stopCode: stringField(entry, 'stopCode'),
    stoppedReason: stringField(entry, 'stoppedReason'),
    containerReason: stringField(entry, 'containerReason'),
    exitCodes: listOf(entry.exitCodes, isRecord)
      .filter((e) => Number.isInteger(e.exitCode))
      .map((e) => ({ name: stringField(e, 'name') ?? '', exitCode: e.exitCode as number })),
    rule: stringField(entry, 'rule') ?? 'unknown',
    retryable: entry.retryable === true,
    waitSeconds: numberAtLeast(entry.waitSeconds, 0, 0),
    size: recordedSize(entry.size),
    capacity: recordedCapacity(entry.capacity),
    shortened: entry.shortened === true || undefined,
  }));
}

/**
 * Bounds a history's total size, not only its entries': the first entry and the latest
 * `WHOLE_LATEST_ENTRIES` stay whole, and every entry between them is made brief.
 */
export function shapeHistory(history: AttemptRecord[]): AttemptRecord[] {
  return history.map((entry, i) => (i === 0 || i >= history.length - WHOLE_LATEST_ENTRIES ? entry : bounded(entry, true)));
}

/**
 * A history entry bounded field by field: its names, reasons and rule cut, at most
 * `MAX_READ_CONTAINERS` exit codes. A brief entry, for an attempt that is neither the first nor
 * one of the latest, keeps what decided and what followed, without the reasons and exit codes,
 * marked `shortened`. Fields that are undefined are left out.
 */
export function bounded(entry: AttemptRecord, brief?: boolean): AttemptRecord {
  const name = brief ? BRIEF_NAME_LENGTH : MAX_NAME_LENGTH;
  // A deciding container reason shares the stopped reason's budget, so the history stays as bounded.
  const reason = entry.containerReason === undefined ? MAX_REASON_LENGTH : MAX_REASON_LENGTH / 2;
  const cut = (text: string | undefined, max: number) => (text === undefined ? undefined : truncate(text, max));
  // The fields that are not bounded keep their values and their place among the keys.
  return defined({
    ...entry,
    error: truncate(entry.error, name),
    stopCode: cut(entry.stopCode, name),
    stoppedReason: brief ? undefined : cut(entry.stoppedReason, reason),
    containerReason: brief ? undefined : cut(entry.containerReason, reason),
    exitCodes: brief ? [] : entry.exitCodes.slice(0, MAX_READ_CONTAINERS)
      .map((e) => ({ name: truncate(e.name, MAX_CONTAINER_NAME_LENGTH), exitCode: e.exitCode })),
    rule: truncate(entry.rule, brief ? BRIEF_RULE_LENGTH : MAX_RULE_LENGTH),
    shortened: brief || entry.shortened,
  });
}

function recordedSize(raw: unknown): AttemptRecord['size'] {
  const cpu = field(raw, 'cpu');
  const memoryMiB = field(raw, 'memoryMiB');
  return isFiniteNumber(cpu) && isFiniteNumber(memoryMiB) ? { cpu, memoryMiB } : undefined;
}

function recordedCapacity(raw: unknown): Capacity | undefined {
  return raw === 'primary' || raw === 'fallback' ? raw : undefined;
}
