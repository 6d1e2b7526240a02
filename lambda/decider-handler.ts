import { decideRetry } from '../src/decider/decide-retry';
import { readPolicyDefaults } from '../src/decider/whole-policy';
import { POLICY_DEFAULTS_VARIABLE } from '../src/decider/wire';
import type { Decision, PolicyDefaults } from '../src/decider/wire';

/**
 * The retry decider: adapts a Step Functions invocation to the pure `decideRetry` and logs one
 * structured line per decision. It never throws, so a malformed payload still gets a decision
 * (not retryable), never a Lambda error that native retries would replay.
 */
export async function handler(event: unknown): Promise<Decision | LostNotificationCount> {
  const payload = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  if (typeof payload.lostNotification === 'object' && payload.lostNotification !== null) {
    return countLostNotification(runOf(payload), payload.lostNotification as Record<string, unknown>);
  }
  const decision = decideRetry({
    policy: payload.policy,
    defaults: policyDefaults(),
    attempt: payload.attempt,
    error: payload.error,
    history: payload.history,
    placement: payload.placement,
    random: Math.random(),
  });
  const last = decision.history.at(-1)!;
  logLine({
    message: 'retry decision',
    run: runOf(payload),
    attempt: last.attempt,
    error: last.error,
    stopCode: last.stopCode,
    rule: decision.rule,
    decision: decision.retry ? 'RETRY' : decision.retryable ? 'EXHAUSTED' : 'NOT_RETRYABLE',
    waitSeconds: decision.waitSeconds,
    // Where the failed attempt ran and where the next one runs; only for adaptive runs.
    size: last.size,
    capacity: last.capacity,
    nextSize: decision.next?.size && { cpu: decision.next.size.cpu, memoryMiB: decision.next.size.memoryMiB },
    nextCapacity: decision.next?.capacity,
  });
  return decision;
}

/** The environment's defaults, read again only when the variable changes (tests set it). */
let defaultsRead: { text?: string; defaults?: PolicyDefaults } = {};

function policyDefaults(): PolicyDefaults | undefined {
  const text = process.env[POLICY_DEFAULTS_VARIABLE];
  if (text !== defaultsRead.text) {
    defaultsRead = { text, defaults: readPolicyDefaults(text) };
  }
  return defaultsRead.defaults;
}

/** What the decider answers when a state machine reports a notification it could not publish. */
export interface LostNotificationCount {
  readonly counted: boolean;
}

/**
 * Logs one line for a notification that a run could not publish, which the metric filter
 * `NotificationsLost` counts. Nothing else happens: the run's result is already decided.
 */
function countLostNotification(run: string, lost: Record<string, unknown>): LostNotificationCount {
  const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 256) : 'unknown');
  logLine({ message: 'notification lost', run, status: text(lost.status), error: text(lost.error), decision: 'NOTIFICATION_LOST' });
  return { counted: true };
}

function runOf(payload: Record<string, unknown>): string {
  return typeof payload.run === 'string' ? payload.run.slice(0, 256) : 'unknown';
}

/** Raw stdout, not console.log: each line must be bare JSON for the log group's metric filters. */
function logLine(fields: object): void {
  process.stdout.write(JSON.stringify(fields) + '\n');
}
