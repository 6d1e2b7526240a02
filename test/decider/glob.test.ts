import { globMatches } from '../../src/decider/glob';

describe('globMatches', () => {
  test.each([
    ['ResourceInitializationError:*', 'ResourceInitializationError: failed to configure ENI', true],
    ['CannotPullContainerError:*not found*', 'CannotPullContainerError: ref app:v9: not found', true],
    ['CannotPullContainerError:*not found*', 'CannotPullContainerError: 429 Too Many Requests', false],
    ['*', '', true],
    ['*', 'anything', true],
    ['exact', 'exact', true],
    ['exact', 'exact but longer', false],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
    ['**x', 'x', true],
    ['prefix*', 'pre', false],
    ['CASE*', 'case insensitive', true],
    ['Host EC2 (instance *) stopped/terminated*', 'Host EC2 (instance i-0abc) stopped/terminated.', true],
    ['ünïcode*✓', 'ÜNÏCODE in the middle ✓', true],
  ])('%j against %j is %s', (pattern, text, expected) => {
    expect(globMatches(pattern, text)).toBe(expected);
  });

  test('a pattern with many stars against a 200 KB reason stays fast enough to finish', () => {
    const reason = 'a'.repeat(200 * 1024);
    expect(globMatches('*a*a*a*a*b', reason)).toBe(false);
    expect(globMatches('*a*a*a*a*', reason)).toBe(true);
  });
});
