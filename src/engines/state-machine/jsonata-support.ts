import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/** The first aws-cdk-lib with JSONata states (`Pass.jsonata()`, `QueryLanguage`). */
export const JSONATA_MIN_CDK_VERSION = '2.178.0';

/**
 * What the installed aws-cdk-lib can do. An object, so that tests can stub a check: the peer
 * range already asks for a newer aws-cdk-lib, but an app may run with an older one anyway.
 */
export const cdkCapabilities = {
  /** Whether aws-cdk-lib builds states in the JSONata query language. */
  jsonataStates(): boolean {
    const queryLanguage = (sfn as { QueryLanguage?: { JSONATA?: string } }).QueryLanguage;
    return typeof (sfn.Pass as { jsonata?: unknown }).jsonata === 'function' && queryLanguage?.JSONATA === 'JSONata';
  },

  /** The installed aws-cdk-lib's version, or undefined when it cannot be read. */
  version(): string | undefined {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require('aws-cdk-lib/package.json').version;
    } catch {
      return undefined;
    }
  },
};

/** Fails synthesis, saying what to do, unless aws-cdk-lib builds JSONata states. */
export function checkJsonataSupport(): void {
  if (cdkCapabilities.jsonataStates()) {
    return;
  }
  const version = cdkCapabilities.version();
  throw new Error(
    `\`decisionEngine: DecisionEngine.STATE_MACHINE\` needs aws-cdk-lib ${JSONATA_MIN_CDK_VERSION} or later, for JSONata states, `
    + `got: aws-cdk-lib ${version ?? '(version unknown)'}. Upgrade aws-cdk-lib, or use \`DecisionEngine.LAMBDA_FUNCTION\`.`,
  );
}
