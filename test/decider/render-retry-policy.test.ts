import { Lazy, Token } from 'aws-cdk-lib';
import { RetryDefaults } from '../../src';
import { renderRetryPolicy } from '../../src/policy/render-retry-policy';

describe('nonRetryableErrorCauses as rendered for the decider', () => {
  test('defaults to RetryDefaults.NON_RETRYABLE_ERROR_CAUSES', () => {
    expect(renderRetryPolicy({}).nonRetryableErrorCauses).toEqual(RetryDefaults.NON_RETRYABLE_ERROR_CAUSES);
  });

  test('a list replaces the default, and an empty list turns it off', () => {
    expect(renderRetryPolicy({ nonRetryableErrorCauses: ['*Error Code: ClientException*'] }).nonRetryableErrorCauses)
      .toEqual(['*Error Code: ClientException*']);
    expect(renderRetryPolicy({ nonRetryableErrorCauses: [] }).nonRetryableErrorCauses).toEqual([]);
  });

  test.each<[string, unknown[], string]>([
    ['an empty pattern', ['ATTRIBUTE', ''], '`nonRetryableErrorCauses[1]` must be a non-empty string, got: "".'],
    ['a blank pattern', ['  '], '`nonRetryableErrorCauses[0]` must be a non-empty string, got: "  ".'],
    ['a number', [42], '`nonRetryableErrorCauses[0]` must be a non-empty string, got: 42.'],
  ])('rejects %s, naming the prop, the index and the value', (_, patterns, message) => {
    expect(() => renderRetryPolicy({ nonRetryableErrorCauses: patterns as string[] })).toThrow(message);
  });

  test('leaves an unresolved token alone', () => {
    const later = Token.asString(Lazy.string({ produce: () => 'ATTRIBUTE' }));
    expect(() => renderRetryPolicy({ nonRetryableErrorCauses: [later] })).not.toThrow();
  });

  test('every default is a non-empty pattern', () => {
    for (const pattern of RetryDefaults.NON_RETRYABLE_ERROR_CAUSES) {
      expect(pattern.trim()).not.toBe('');
      expect(/^\*+$/.test(pattern)).toBe(false);
    }
  });
});
