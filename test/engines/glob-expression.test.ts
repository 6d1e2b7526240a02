import * as fc from 'fast-check';
import jsonata from 'jsonata';
import { globMatches } from '../../src/decider/glob';
import { GLOB_FUNCTION } from '../../src/engines/state-machine/decision-expression';
import { RetryDefaults } from '../../src/policy/retry-defaults';
import { allFailures } from '../support/fixtures';
import { assignHook } from './support/expression-cost';

// The JSONata engine's `$glob` against the decider's `globMatches`: the same answer for every
// pattern and text, in jsonata 2.0.x, with the text lowercased by `$lowercase` as the engine does.

const glob = jsonata(`(\n${GLOB_FUNCTION.join('\n')}\n$t := $lowercase($s); $p := $parts($g); $m := $glob($t, $p); $maybe($t, $p) or $not($m) ? $m : 'maybe said no'\n)`);
let steps = 0;
assignHook(glob, 'jsonata.__evaluate_entry', () => {
  steps++;
});

async function jsonataMatches(pattern: string, s: string): Promise<boolean> {
  return glob.evaluate({}, { s, g: pattern });
}

const DEFAULT_PATTERNS = [
  ...RetryDefaults.RETRYABLE_STOPPED_REASONS,
  ...RetryDefaults.NON_RETRYABLE_STOPPED_REASONS,
  ...RetryDefaults.RETRYABLE_ERRORS,
  ...RetryDefaults.NON_RETRYABLE_ERROR_CAUSES,
  ...RetryDefaults.FALLBACK_STOPPED_REASONS,
  ...RetryDefaults.FALLBACK_ERROR_CAUSES,
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

describe('$glob', () => {
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

  test.each([
    ['', '', true], ['', 'x', false], ['*', '', true], ['**', 'abc', true], ['a*', 'A', true], ['*a', 'ba', true], ['*a', 'ab', false],
    ['a*a', 'a', false], ['a*a', 'aa', true], ['*aa', 'aaa', true], ['*ab*b', 'abb', true], ['*ab*b', 'ab', false], ['a**b', 'ab', true],
    ['x*y*z', 'xzyz', true], ['x*y*z', 'xzzy', false], ['.^$|?+()[]{}\\/', '.^$|?+()[]{}\\/', true], ['.^$|?+()[]{}\\/', '.^$|?+()[]{}\\', false],
  ])('%j against %j: %s', async (pattern, s, expected) => {
    expect(globMatches(pattern, s)).toBe(expected);
    expect(await jsonataMatches(pattern, s)).toBe(expected);
  });

  test('lowercasing agrees where a case-insensitive regex would not', async () => {
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
      // Repetitive texts, where a greedy search that picked the wrong occurrence would be caught.
      fc.tuple(fc.array(fc.constantFrom('a', 'b', '*'), { maxLength: 8 }), fc.array(fc.constantFrom('a', 'b'), { maxLength: 10 }))
        .map(([p, t]) => ({ pattern: p.join(''), s: t.join('') })),
    );
    let positives = 0;
    await fc.assert(fc.asyncProperty(subject, async ({ pattern, s }) => {
      const expected = globMatches(pattern, s);
      positives += expected ? 1 : 0;
      expect(await jsonataMatches(pattern, s)).toBe(expected);
    }), { numRuns: 2000 });
    expect(positives).toBeGreaterThan(200);
  });

  test('many stars against a 200 KB reason take steps by the pattern, not the text', async () => {
    const stepsFor = async (pattern: string, s: string) => {
      steps = 0;
      const matches = await jsonataMatches(pattern, s);
      expect(matches).toBe(globMatches(pattern, s));
      return steps;
    };
    for (const pattern of ['*a*a*a*a*b', '*a*a*a*a*', 'a*aab*a']) {
      expect(await stepsFor(pattern, 'a'.repeat(200 * 1024))).toBe(await stepsFor(pattern, 'a'.repeat(20)));
    }
  });
});
