import { Duration, Token } from 'aws-cdk-lib';
import { RetryPolicyProps } from './retry-policy-props';

/**
 * Rejects a retry policy that `DecisionEngine.STATE_MACHINE` cannot compile: that engine writes
 * every policy value into the state machine at synth time, so a token (a `CfnParameter`, an
 * imported value) would become a broken wait table or a placeholder in a regex. Each prop given
 * as a token fails here, named; the Lambda engine reads its policy at run time and takes tokens.
 */
export function rejectPolicyTokens(props: RetryPolicyProps): void {
  const token = policyToken(props);
  if (token) {
    throw tokenError(token.prop, token.instead);
  }
}

/** A prop of the retry policy given as a token, and what to pass instead; undefined when there is none. */
export interface PolicyToken {
  /** The prop, e.g. `maxAttempts` or `retryableErrors[2]`. */
  readonly prop: string;
  /** What a literal value of it is, e.g. `a number`. */
  readonly instead: string;
}

/** The first prop of the retry policy that is a token, which only deploy resolves. */
export function policyToken(props: RetryPolicyProps): PolicyToken | undefined {
  const numbers: Array<[string, number | undefined]> = [
    ['maxAttempts', props.maxAttempts],
    ['backoffRate', props.backoffRate],
  ];
  const durations: Array<[string, Duration | undefined]> = [
    ['interval', props.interval],
    ['maxDelay', props.maxDelay],
  ];
  const lists: Array<[string, ReadonlyArray<string | number> | undefined]> = [
    ['retryableStoppedReasons', props.retryableStoppedReasons],
    ['nonRetryableStoppedReasons', props.nonRetryableStoppedReasons],
    ['retryableExitCodes', props.retryableExitCodes],
    ['retryableErrors', props.retryableErrors],
    ['nonRetryableErrorCauses', props.nonRetryableErrorCauses],
    ['fallbackStoppedReasons', props.fallbackStoppedReasons],
    ['fallbackErrorCauses', props.fallbackErrorCauses],
  ];
  for (const [prop, value] of numbers) {
    if (value !== undefined && Token.isUnresolved(value)) {
      return { prop, instead: 'a number' };
    }
  }
  for (const [prop, value] of durations) {
    if (value !== undefined && value.isUnresolved()) {
      return { prop, instead: 'a Duration of literal seconds' };
    }
  }
  for (const [prop, values] of lists) {
    if (values !== undefined && Token.isUnresolved(values)) {
      return { prop, instead: 'a list of literal values' };
    }
    const i = values?.findIndex((value) => Token.isUnresolved(value)) ?? -1;
    if (values && i >= 0) {
      return { prop: `${prop}[${i}]`, instead: typeof values[i] === 'number' ? 'a number' : 'a literal string' };
    }
  }
  return undefined;
}

function tokenError(prop: string, instead: string): Error {
  return new Error(
    `\`${prop}\` is a token, but \`decisionEngine: DecisionEngine.STATE_MACHINE\` compiles the retry policy into the state machine at synth time, got: a value known only at deploy. `
    + `Pass ${instead}, or use \`DecisionEngine.LAMBDA_FUNCTION\`, whose decider reads the policy at run time.`,
  );
}
