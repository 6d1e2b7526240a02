import { Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/**
 * The first aws-cdk-lib whose JSONata states this engine can use: 2.178.0 brought JSONata states
 * (`Pass.jsonata()`, `QueryLanguage`), but 2.178 and 2.179 drop a JSONata Catch's `Output` without
 * a word, and the engine's decision travels in that Output.
 */
export const JSONATA_MIN_CDK_VERSION = '2.180.0';

let catchOutputKept: boolean | undefined;

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

  /**
   * Whether aws-cdk-lib renders the `Output` of a JSONata Catch, found by rendering one in a
   * stack of its own rather than by version, once.
   */
  jsonataCatchOutput(): boolean {
    if (catchOutputKept === undefined) {
      try {
        const stack = new Stack();
        const probe = sfn.Parallel.jsonata(stack, 'Probe').branch(sfn.Pass.jsonata(stack, 'Branch'));
        probe.addCatch(sfn.Pass.jsonata(stack, 'Handler'), { outputs: '{% $states.errorOutput %}' });
        const state = stack.resolve(probe.toStateJson());
        catchOutputKept = state.Catch?.[0]?.Output !== undefined;
      } catch {
        catchOutputKept = false;
      }
    }
    return catchOutputKept;
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

/** Fails synthesis, saying what to do, unless aws-cdk-lib builds the JSONata states this engine needs. */
export function checkJsonataSupport(): void {
  if (cdkCapabilities.jsonataStates() && cdkCapabilities.jsonataCatchOutput()) {
    return;
  }
  const version = cdkCapabilities.version();
  throw new Error(
    `\`decisionEngine: DecisionEngine.STATE_MACHINE\` needs aws-cdk-lib ${JSONATA_MIN_CDK_VERSION} or later, for JSONata states whose Catch keeps its Output, `
    + `got: aws-cdk-lib ${version ?? '(version unknown)'}. Upgrade aws-cdk-lib, or use \`DecisionEngine.LAMBDA_FUNCTION\`.`,
  );
}
