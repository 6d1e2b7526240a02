// Text that both decision engines write alike: the Lambda decider here, the JSONata engine in its
// decision expression. Counts and numbers follow JSONata's.

/**
 * Cuts `text` to at most `max` characters by removing its middle, marked with how much was cut.
 * Both ends survive: a stopped reason names the error type first and the root cause last.
 * Characters are Unicode code points, as JSONata counts them, so a cut never splits a surrogate
 * pair and both decision engines cut alike.
 */
export function truncate(text: string, max: number): string {
  // A string of at most `max` UTF-16 code units has at most `max` code points.
  if (text.length <= max) {
    return text;
  }
  const chars = Array.from(text);
  if (chars.length <= max) {
    return text;
  }
  const marker = `…[${chars.length - max} chars cut]…`;
  const keep = Math.max(0, max - marker.length);
  const head = Math.ceil(keep / 2);
  return chars.slice(0, head).join('') + marker + chars.slice(chars.length - (keep - head)).join('');
}

/**
 * A number as text, written as JSONata writes numbers into strings (15 significant digits), so
 * that both decision engines write the same rule and cause. Exit codes, the only numbers this
 * matters for, are 32-bit in practice.
 */
export function numberText(n: number): string {
  return String(Number(n.toPrecision(15)));
}
