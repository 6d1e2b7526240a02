import { createHash } from 'crypto';
import { POLICY_DEFAULTS_VARIABLE } from './wire';
import type { PolicyDefaults } from './wire';
import { RetryDefaults } from '../policy/retry-defaults';

// No aws-cdk-lib here: the `explain` command bundles this module to know the defaults too.

/**
 * The default policy as `renderRetryPolicy({})` and `renderFallbackRules({})` render it, copied
 * when this module loads (`test/decider/policy-defaults.test.ts` holds the two together).
 */
const DEFAULT_POLICY: PolicyDefaults['policy'] = {
  maxAttempts: RetryDefaults.MAX_ATTEMPTS,
  intervalSeconds: RetryDefaults.INTERVAL_SECONDS,
  backoffRate: RetryDefaults.BACKOFF_RATE,
  maxDelaySeconds: RetryDefaults.MAX_DELAY_SECONDS,
  jitter: 'FULL',
  retryableStopCodes: RetryDefaults.RETRYABLE_STOP_CODES.map((c) => c.code),
  retryableStoppedReasons: [...RetryDefaults.RETRYABLE_STOPPED_REASONS],
  nonRetryableStoppedReasons: [...RetryDefaults.NON_RETRYABLE_STOPPED_REASONS],
  retryableExitCodes: [...RetryDefaults.RETRYABLE_EXIT_CODES],
  retryableErrors: [...RetryDefaults.RETRYABLE_ERRORS],
  nonRetryableErrorCauses: [...RetryDefaults.NON_RETRYABLE_ERROR_CAUSES],
  fallback: {
    stopCodes: RetryDefaults.FALLBACK_STOP_CODES.map((c) => c.code),
    stoppedReasons: [...RetryDefaults.FALLBACK_STOPPED_REASONS],
    errorCauses: [...RetryDefaults.FALLBACK_ERROR_CAUSES],
  },
};

/**
 * The defaults that every run's policy is sent as a diff from, and their id: 8 hex digits of the
 * SHA-256 of their canonical JSON. A release that changes a default changes the id by itself, so
 * a decider never merges a diff over defaults it was not made from.
 */
export const POLICY_DEFAULTS: PolicyDefaults = { id: contentId(DEFAULT_POLICY), policy: DEFAULT_POLICY };

/** The decider function's environment: the defaults, for merging the diffs it receives. */
export function deciderEnvironment(): Record<string, string> {
  return { [POLICY_DEFAULTS_VARIABLE]: JSON.stringify(POLICY_DEFAULTS) };
}

/** 8 hex digits of the SHA-256 of `value`'s JSON with its keys sorted, at every level. */
export function contentId(value: object): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 8);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
