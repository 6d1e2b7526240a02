import * as fc from 'fast-check';
import jsonata from 'jsonata';
import { globMatches } from '../../lambda/glob';
import { globMatchExpression, globToJsonataRegex } from '../../src/engines/state-machine/glob-regex';
import { RetryDefaults } from '../../src/policy/retry-defaults';
import { allFailures } from '../support/fixtures';

const compiled = new Map<string, jsonata.Expression>();

/** The glob evaluated the way the JSONata engine will: jsonata 2.0.x, the subject bound to `s`. */
async function jsonataMatches(pattern: string, s: string): Promise<boolean> {
  let expression = compiled.get(pattern);
  if (!expression) {
    expression = jsonata(globMatchExpression(pattern, 's'));
    compiled.set(pattern, expression);
  }
  return expression.evaluate({ s });
}

const DEFAULT_PATTERNS = [
  ...RetryDefaults.RETRYABLE_STOPPED_REASONS,
  ...RetryDefaults.NON_RETRYABLE_STOPPED_REASONS,
  ...RetryDefaults.RETRYABLE_ERRORS,
  ...RetryDefaults.NON_RETRYABLE_ERROR_CAUSES,
];

function fixtureReasons(): string[] {
  const reasons: string[] = [];
  for (const f of Object.values(allFailures())) {
    reasons.push(f.Error, f.Cause);
    let cause: any;
    try {
      cause = JSON.parse(f.Cause);
    } catch {
      continue;
    }
    if (typeof cause?.StoppedReason === 'string') {
      reasons.push(cause.StoppedReason);
    }
    for (const c of cause?.Containers ?? []) {
      if (typeof c?.Reason === 'string') {
        reasons.push(c.Reason);
      }
    }
  }
  return reasons;
}

describe('globToJsonataRegex', () => {
  test.each([
    ['ResourceInitializationError:*', '/^resourceinitializationerror:[\\s\\S]*$/'],
    ['', '/^$/'],
    ['**', '/^[\\s\\S]*$/'],
    ['a*b*c', '/^a(?=([\\s\\S]*?b))\\1[\\s\\S]*c$/'],
    ['A/b.', '/^a\\u002fb\\u002e$/'],
  ])('%j compiles to %s', (pattern, literal) => {
    expect(globToJsonataRegex(pattern)).toBe(literal);
  });

  test('agrees with globMatches on the default patterns and the fixture reasons', async () => {
    const subjects = fixtureReasons();
    expect(subjects.length).toBeGreaterThan(10);
    let matched = 0;
    for (const pattern of DEFAULT_PATTERNS) {
      // The pattern's own text, with its stars filled, in other cases: positives for every pattern.
      const filled = pattern.replace(/\*/g, 'x/Y*\n');
      for (const s of [...subjects, filled, filled.toUpperCase(), filled.toLowerCase(), `${filled}!`]) {
        const expected = globMatches(pattern, s);
        expect({ pattern, s, matches: await jsonataMatches(pattern, s) }).toEqual({ pattern, s, matches: expected });
        matched += expected ? 1 : 0;
      }
    }
    expect(matched).toBeGreaterThan(DEFAULT_PATTERNS.length * 3);
  });

  test('a pattern made only of metacharacters compiles and matches only itself', async () => {
    const pattern = '.^$|?+()[]{}\\/';
    expect(globToJsonataRegex(pattern)).toMatch(/^\/\^(\\u00[0-9a-f]{2})+\$\/$/);
    expect(await jsonataMatches(pattern, pattern)).toBe(true);
    for (let i = 0; i < pattern.length; i++) {
      expect(await jsonataMatches(pattern, pattern.slice(0, i) + pattern.slice(i + 1))).toBe(false);
      expect(await jsonataMatches(pattern, pattern.slice(0, i) + 'x' + pattern.slice(i + 1))).toBe(false);
    }
    for (const s of ['', 'x', `${pattern}x`, `x${pattern}`, `${pattern}\n`, `\n${pattern}`]) {
      expect(await jsonataMatches(pattern, s)).toBe(false);
    }
  });

  test('the cases where the i flag would disagree with toLowerCase agree', async () => {
    for (const [pattern, s] of [
      ['İ', 'i̇'], ['i̇*', 'İx'], ['İ', 'i'], ['\u212a', 'k'], ['K', '\u212a'], ['ẞ', 'ß'],
      ['aΣ*', 'AΣB'], ['aΣ*', 'aσb'], ['aς*', 'aσb'], ['*Σ', 'aς'], ['*Σ', 'aσ'], ['Σ', 'σ'],
    ]) {
      expect({ pattern, s, matches: await jsonataMatches(pattern, s) })
        .toEqual({ pattern, s, matches: globMatches(pattern, s) });
    }
  });

  test('agrees with globMatches on generated patterns and strings', async () => {
    const char = fc.constantFrom(
      'a', 'A', 'b', 'B', 'i', 'I', ' ', ':', '-', '*', '*', '*',
      '.', '^', '$', '|', '?', '+', '(', ')', '[', ']', '{', '}', '\\', '/', '%', '`', '"',
      '\n', '\r', '\u2028', 'İ', '\u0307', 'Σ', 'σ', 'ς', '\u212a', 'k', 'ẞ', 'ß', 'ǅ', 'é', '😀', '\ud83d', '\ude00',
    );
    const text = fc.array(char, { maxLength: 12 }).map((cs) => cs.join(''));
    const subject = fc.oneof(
      fc.tuple(text, text).map(([pattern, s]) => ({ pattern, s })),
      // Fill the pattern's stars, then change case: mostly positives.
      fc.tuple(text, fc.array(text, { minLength: 12, maxLength: 12 }), fc.constantFrom('same', 'upper', 'lower'))
        .map(([pattern, fills, kase]) => {
          let n = 0;
          const s = pattern.replace(/\*/g, () => fills[n++ % fills.length]);
          return { pattern, s: kase === 'upper' ? s.toUpperCase() : kase === 'lower' ? s.toLowerCase() : s };
        }),
    );
    let positives = 0;
    await fc.assert(fc.asyncProperty(subject, async ({ pattern, s }) => {
      const expected = globMatches(pattern, s);
      positives += expected ? 1 : 0;
      expect(await jsonataMatches(pattern, s)).toBe(expected);
    }), { numRuns: 2000 });
    expect(positives).toBeGreaterThan(200);
  });

  test('many stars against a 200 KB reason do not backtrack polynomially', async () => {
    const reason = 'a'.repeat(200 * 1024);
    const start = Date.now();
    expect(await jsonataMatches('*a*a*a*a*b', reason)).toBe(false);
    expect(await jsonataMatches('*a*a*a*a*', reason)).toBe(true);
    expect(await jsonataMatches('a*aab*a', reason)).toBe(false);
    expect(Date.now() - start).toBeLessThan(2000);
  });
});
