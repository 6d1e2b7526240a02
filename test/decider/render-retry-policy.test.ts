import { Lazy, Token } from 'aws-cdk-lib';
import { renderFallbackRules, renderRetryPolicy } from '../../src/policy/render-retry-policy';
import { RetryDefaults } from '../../src/policy/retry-defaults';
import { TaskStopCode } from '../../src/policy/task-stop-code';

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

describe('fallback rules as rendered for the decider', () => {
  test('default to RetryDefaults.FALLBACK_*', () => {
    expect(renderFallbackRules({})).toEqual({
      stopCodes: RetryDefaults.FALLBACK_STOP_CODES.map((c) => c.code),
      stoppedReasons: RetryDefaults.FALLBACK_STOPPED_REASONS,
      errorCauses: RetryDefaults.FALLBACK_ERROR_CAUSES,
    });
    expect(renderFallbackRules({}).stopCodes).toEqual(['SpotInterruption', 'TerminationNotice']);
  });

  test('are not part of the retry policy: a run adds them only with a fallback launch target', () => {
    expect(renderRetryPolicy({ fallbackStopCodes: [TaskStopCode.SPOT_INTERRUPTION] })).not.toHaveProperty('fallback');
  });

  test('a list replaces its default, and an empty list turns it off', () => {
    expect(renderFallbackRules({
      fallbackStopCodes: [TaskStopCode.of('CapacityReclaimed')],
      fallbackStoppedReasons: [],
      fallbackErrorCauses: ['RESOURCE:MEMORY'],
    })).toEqual({ stopCodes: ['CapacityReclaimed'], stoppedReasons: [], errorCauses: ['RESOURCE:MEMORY'] });
  });

  test.each<[string, Record<string, unknown[]>, string]>([
    ['a stop code string', { fallbackStopCodes: [TaskStopCode.SPOT_INTERRUPTION, 'TerminationNotice'] },
      '`fallbackStopCodes[1]` must be a TaskStopCode, got: "TerminationNotice".'],
    ['an empty stopped reason', { fallbackStoppedReasons: ['Your Spot Task*', ''] }, '`fallbackStoppedReasons[1]` must be a non-empty string, got: "".'],
    ['a blank stopped reason', { fallbackStoppedReasons: [' '] }, '`fallbackStoppedReasons[0]` must be a non-empty string, got: " ".'],
    ['a number as a cause', { fallbackErrorCauses: [42] }, '`fallbackErrorCauses[0]` must be a non-empty string, got: 42.'],
    ['null as a cause', { fallbackErrorCauses: ['RESOURCE:*', null] }, '`fallbackErrorCauses[1]` must be a non-empty string, got: null.'],
  ])('rejects %s, naming the prop, the index and the value', (_, props, message) => {
    expect(() => renderFallbackRules(props as any)).toThrow(message);
  });

  test('leaves an unresolved token alone', () => {
    const later = Token.asString(Lazy.string({ produce: () => 'RESOURCE:*' }));
    expect(() => renderFallbackRules({ fallbackStoppedReasons: [later], fallbackErrorCauses: [later] })).not.toThrow();
  });

  test('every default is a non-empty pattern that does not match everything', () => {
    for (const pattern of [...RetryDefaults.FALLBACK_STOPPED_REASONS, ...RetryDefaults.FALLBACK_ERROR_CAUSES]) {
      expect(pattern.trim()).not.toBe('');
      expect(/^\*+$/.test(pattern)).toBe(false);
    }
  });
});
