import { decideRetry } from './decide-retry';
import type { Decision } from '../src/decider/wire';

/**
 * The retry decider: adapts a Step Functions invocation to the pure `decideRetry` and logs one
 * structured line per decision. It never throws, so a malformed payload still gets a decision
 * (not retryable), never a Lambda error that native retries would replay.
 */
export async function handler(event: unknown): Promise<Decision> {
  const payload = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  const decision = decideRetry({
    policy: payload.policy,
    attempt: payload.attempt,
    error: payload.error,
    history: payload.history,
    random: Math.random(),
  });
  const last = decision.history[decision.history.length - 1];
  // Raw stdout, not console.log: the line must be bare JSON for the log group's metric filters.
  process.stdout.write(JSON.stringify({
    message: 'retry decision',
    run: typeof payload.run === 'string' ? payload.run.slice(0, 256) : 'unknown',
    attempt: last.attempt,
    error: last.error,
    stopCode: last.stopCode,
    rule: decision.rule,
    decision: decision.retry ? 'RETRY' : decision.retryable ? 'EXHAUSTED' : 'NOT_RETRYABLE',
    waitSeconds: decision.waitSeconds,
  }) + '\n');
  return decision;
}
