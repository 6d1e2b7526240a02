import { Token } from 'aws-cdk-lib';
import { POLICY_DEFAULTS } from '../../decider/policy-defaults';
import type { DeciderPolicy, DeciderPolicyDiff } from '../../decider/wire';

/**
 * The policy as `Decide retry` sends it: the keys whose values differ from the defaults, and the
 * defaults' id. A default policy is `{ defaultsId }` alone; a list that extends or filters a
 * default list is sent whole; a token is never equal to a default, so it is always sent. The
 * fallback rules, when the run has them, differ key by key; `fallback: {}` is the default rules.
 */
export function policyDiff(policy: DeciderPolicy): DeciderPolicyDiff {
  const { fallback, ...rest } = policy;
  return {
    defaultsId: POLICY_DEFAULTS.id,
    ...differing(rest, POLICY_DEFAULTS.policy),
    ...(fallback === undefined ? {} : { fallback: differing(fallback, POLICY_DEFAULTS.policy.fallback) }),
  };
}

/** The entries of `value` that differ from the same key's in `base`. */
function differing(value: object, base: object): Record<string, any> {
  const defaults = new Map(Object.entries(base));
  return Object.fromEntries(Object.entries(value).filter(([key, v]) => v !== undefined && !sameValue(v, defaults.get(key))));
}

/** Equal as JSON, and without a token anywhere: a token's value is known only at deploy. */
function sameValue(value: unknown, base: unknown): boolean {
  return !hasToken(value) && JSON.stringify(value) === JSON.stringify(base);
}

function hasToken(value: unknown): boolean {
  if (Array.isArray(value)) {
    return Token.isUnresolved(value) || value.some(hasToken);
  }
  if (typeof value === 'object' && value !== null) {
    return Token.isUnresolved(value) || Object.values(value).some(hasToken);
  }
  return Token.isUnresolved(value);
}
