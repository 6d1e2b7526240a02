import { createHash } from 'crypto';
import { IConstruct } from 'constructs';
import type { EngineVariables } from './decision-expression';

/** The scopes of standalone runs, whose one fragment has a state machine to itself. */
const standaloneScopes = new WeakSet<IConstruct>();

/** Marks `scope` as a standalone run, before it creates its fragment. */
export function markStandaloneRun(scope: IConstruct): void {
  standaloneScopes.add(scope);
}

/**
 * The Step Functions variables of one run. The fragment of a standalone run has its state
 * machine to itself and gets plain names (`retry_attempt`); any other fragment gets names of
 * its own, from a hash of its construct path (`retry_1a2b3c4d_attempt`), so that several runs
 * can share a workflow, and nest in each other's Map states, without their names colliding.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html
 */
export function engineVariables(fragment: IConstruct): EngineVariables {
  const scope = fragment.node.scope;
  const prefix = scope && standaloneScopes.has(scope)
    ? 'retry'
    : `retry_${createHash('sha256').update(fragment.node.path).digest('hex').slice(0, 8)}`;
  return {
    attempt: `${prefix}_attempt`,
    history: `${prefix}_history`,
    placement: `${prefix}_placement`,
    policy: `${prefix}_policy`,
    launchTargets: `${prefix}_targets`,
  };
}
