// Reading untyped JSON values: a payload, a Cause, a history entry. Each reader answers
// undefined, or its fallback, for a value it cannot use, and never throws; `defined` writes one.

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function field(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}

export function stringField(value: unknown, key: string): string | undefined {
  const v = field(value, key);
  return typeof v === 'string' ? v : undefined;
}

export function listOf<T>(value: unknown, accept: (v: unknown) => v is T): T[] {
  return Array.isArray(value) ? value.filter(accept) : [];
}

export function stringList(value: unknown): string[] {
  return listOf(value, (v): v is string => typeof v === 'string');
}

export function integerIn(value: unknown, min: number, max: number, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) ? Math.min(Math.max(value, min), max) : fallback;
}

export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function isPositive(value: unknown): value is number {
  return isFiniteNumber(value) && value > 0;
}

export function numberAtLeast(value: unknown, min: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(value, min) : fallback;
}

/** `value` without its undefined fields, which JSON leaves out anyway: in-process readers see them absent too. */
export function defined<T extends object>(value: T): T {
  const fields: Partial<T> = {};
  for (const key in value) {
    if (value[key] !== undefined) {
      fields[key] = value[key];
    }
  }
  return fields as T;
}
