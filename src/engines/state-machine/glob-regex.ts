/**
 * Compiles a stopped-reason glob to a JSONata regex literal at synth time, so that the JSONata
 * decision engine answers exactly as `globMatches` in `lambda/glob.ts` does.
 *
 * Case-insensitivity: the literal carries no `i` flag. `globMatches` lowercases pattern and text
 * with `String.prototype.toLowerCase()`; the pattern is lowercased here the same way, and the
 * subject must be lowercased by JSONata's `$lowercase`, which is that same `toLowerCase()`. The
 * `i` flag cannot stand in for it, because a non-unicode regex folds case by simple uppercasing,
 * which disagrees with full lowercasing:
 * - `İ` (U+0130) lowercases to `i̇` (two code units); under `i` it matches only itself.
 * - `K` (U+212A Kelvin) and `ẞ` (U+1E9E) lowercase to `k` and `ß`; under `i` they match neither.
 * - `Σ` lowercases to `ς` at the end of a word and to `σ` elsewhere; under `i` all three match.
 * With both sides lowercased and a flagless regex over UTF-16 code units, the regex sees the very
 * strings that `globMatches` compares, so the two agree by construction. Use
 * {@link globMatchExpression} rather than the bare literal.
 */

/**
 * The text of a JSONata regex literal that matches `subject.toLowerCase()` exactly when
 * `globMatches(pattern, subject)` is true. Apply it to `$lowercase(subject)`, never to the
 * subject itself.
 *
 * `*` is any run of code units, newlines included. Every other character is literal: outside
 * `[a-z0-9 _:-]` each UTF-16 code unit is written as `\uXXXX`, so the literal holds no
 * metacharacter, no `/` and no raw `\` that JSONata's regex scanner (which ends the literal at an
 * unescaped `/` outside brackets, and counts brackets by looking one character back) or the JSON of
 * a state machine definition could misread.
 *
 * Each middle segment is found by an atomic lookahead at its earliest occurrence, which is what the
 * glob's single backtrack point does: a pattern with many `*` stays linear-ish on a 200 KB reason
 * instead of backtracking polynomially.
 */
export function globToJsonataRegex(pattern: string): string {
  const segments = pattern.toLowerCase().split(/\*+/).map(escapeLiteral);
  if (segments.length === 1) {
    return `/^${segments[0]}$/`;
  }
  const first = segments[0];
  const last = segments[segments.length - 1];
  const middle = segments.slice(1, -1)
    .map((segment, i) => `(?=([\\s\\S]*?${segment}))\\${i + 1}`)
    .join('');
  return `/^${first}${middle}[\\s\\S]*${last}$/`;
}

/**
 * A JSONata boolean expression: does `subject` (a JSONata expression yielding a string) match the
 * glob, case-insensitively as `globMatches` does. Undefined when the subject is undefined.
 */
export function globMatchExpression(pattern: string, subject: string): string {
  return `$contains($lowercase(${subject}), ${globToJsonataRegex(pattern)})`;
}

function escapeLiteral(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    out += /[a-z0-9 _:-]/.test(c) ? c : `\\u${text.charCodeAt(i).toString(16).padStart(4, '0')}`;
  }
  return out;
}
