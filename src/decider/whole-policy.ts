import { isRecord } from './json-values';
import type { PolicyDefaults } from './wire';

/** The policy a payload stands for, and, when it names defaults other than these, their id. */
export interface WholePolicy {
  readonly policy: unknown;
  /** The `defaultsId` of a diff from defaults that are not the given ones. */
  readonly unknownDefaults?: string;
}

/**
 * The whole policy of a payload: a policy without `defaultsId` as it is (payloads of releases
 * before the diff, and redrives of their executions), or a diff (`DeciderPolicyDiff`) merged over
 * `defaults` when it names them. A diff from other defaults is merged over whatever defaults there
 * are, so that the decision keeps its shape (maxAttempts, sizes, fallback), and names the
 * unknown id: its lists must not decide.
 */
export function wholePolicy(policy: unknown, defaults: PolicyDefaults | undefined): WholePolicy {
  if (!isRecord(policy) || policy.defaultsId === undefined) {
    return { policy };
  }
  const { defaultsId, ...diff } = policy;
  const { fallback, ...base } = defaults?.policy ?? {};
  // The default fallback rules only for a run that has a fallback: then its diff has one.
  const merged = { ...base, ...diff, ...(isRecord(diff.fallback) ? { fallback: { ...fallback, ...diff.fallback } } : {}) };
  return defaultsId === defaults?.id ? { policy: merged } : { policy: merged, unknownDefaults: String(defaultsId) };
}

/** The defaults in the decider's environment variable; undefined when unset or unreadable. */
export function readPolicyDefaults(text: string | undefined): PolicyDefaults | undefined {
  try {
    const value: unknown = JSON.parse(text ?? '');
    return isRecord(value) && typeof value.id === 'string' && isRecord(value.policy) ? value as unknown as PolicyDefaults : undefined;
  } catch {
    return undefined;
  }
}
