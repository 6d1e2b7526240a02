/**
 * The contract between a state machine and the shared retry decider Lambda function.
 *
 * The construct renders a `DeciderPolicy` into every invocation payload; the decider answers
 * with a `Decision`. Both sides import these types, so they cannot drift apart. Nothing here is
 * part of the library's public API.
 */

/** The largest `maxAttempts` accepted; it bounds the history an execution carries. */
export const MAX_ATTEMPTS_LIMIT = 50;

/** No single wait exceeds a year, the longest a Standard execution may run. */
export const MAX_DELAY_LIMIT_SECONDS = 365 * 24 * 60 * 60;

/** A retry policy as the decider receives it: plain JSON, durations in whole seconds. */
export interface DeciderPolicy {
  readonly maxAttempts: number;
  readonly intervalSeconds: number;
  readonly backoffRate: number;
  readonly maxDelaySeconds: number;
  /** `FULL` or `NONE`. */
  readonly jitter: string;
  readonly retryableStopCodes: string[];
  readonly retryableStoppedReasons: string[];
  readonly nonRetryableStoppedReasons: string[];
  readonly retryableExitCodes: number[];
  readonly retryableErrors: string[];
  /** Patterns for the cause of an error that carries no stopped task. */
  readonly nonRetryableErrorCauses: string[];
  /**
   * The size ladder for out-of-memory failures: index 0 is the task definition's own size, each
   * later entry one `outOfMemorySizes` step. Absent or shorter than 2: out of memory is not
   * escalated, and classified as without this feature.
   */
  readonly sizes?: RenderedSize[];
  /** The rules that move later attempts to the fallback launch target; absent without one. */
  readonly fallback?: FallbackRules;
}

/** One rung of the size ladder, as RunTask's overrides take it. */
export interface RenderedSize {
  /** Task CPU units. */
  readonly cpu: number;
  /** Task memory in MiB. */
  readonly memoryMiB: number;
  /**
   * Hard memory limits in MiB of the containers that have one, in the order of the run's
   * container overrides that carry a memory limit.
   */
  readonly containerMemoryMiB: number[];
}

/** When an attempt's failure moves the next attempts to the fallback launch target. */
export interface FallbackRules {
  readonly stopCodes: string[];
  readonly stoppedReasons: string[];
  readonly errorCauses: string[];
}

/** `primary` or `fallback`: the launch target an attempt ran on. */
export type Capacity = 'primary' | 'fallback';

/** Where an attempt runs: its rung on the size ladder and its launch target. */
export interface Placement {
  /** Index into `DeciderPolicy.sizes`; 0 when there is no ladder. */
  readonly sizeIndex: number;
  readonly capacity: Capacity;
}

/** One failed attempt, as recorded in the execution's history. */
export interface AttemptRecord {
  readonly attempt: number;
  /** The Step Functions error name, e.g. `States.TaskFailed`. */
  readonly error: string;
  readonly stopCode?: string;
  /** Truncated to a bounded length, with a marker when cut. */
  readonly stoppedReason?: string;
  /**
   * The `Reason` of the container whose reason decided, bounded like `stoppedReason`. Present only
   * when a stopped-reason pattern matched a container's reason rather than the task's.
   */
  readonly containerReason?: string;
  /** Exit codes of the containers that reported one, by container name. */
  readonly exitCodes: ContainerExit[];
  /** The rule that decided, e.g. `retryableStopCode:TaskFailedToStart`. */
  readonly rule: string;
  readonly retryable: boolean;
  /** Seconds waited before the next attempt; 0 when there is none. */
  readonly waitSeconds: number;
  /** The size this attempt ran with; only with a size ladder. */
  readonly size?: { readonly cpu: number; readonly memoryMiB: number };
  /** The launch target this attempt ran on; only with a size ladder or a fallback launch target. */
  readonly capacity?: Capacity;
  /**
   * True for an entry that a long history keeps brief: neither the first nor one of the latest
   * (`history-bounds.ts`). It keeps what decided, not the reasons and exit codes.
   */
  readonly shortened?: boolean;
}

/** A container's exit code. */
export interface ContainerExit {
  readonly name: string;
  readonly exitCode: number;
}

/** What the decider answers. */
export interface Decision {
  /** Whether the failure is worth retrying, regardless of the attempts left. */
  readonly retryable: boolean;
  /** Whether to run the task again: retryable and attempts are left. */
  readonly retry: boolean;
  /** Seconds to wait before the next attempt, in [0, maxDelaySeconds]; 0 when not retrying. */
  readonly waitSeconds: number;
  readonly rule: string;
  /** The history including this attempt, bounded in length and size. */
  readonly history: AttemptRecord[];
  /** One line naming the attempt and its reason, used as the Cause of a final failure. */
  readonly cause: string;
  /**
   * Where the next attempt runs. Present whenever the policy has a size ladder or fallback
   * rules, also when there is no next attempt (then it repeats the failed attempt's placement).
   * Sizes never shrink or pass the ladder's end, and `fallback` never returns to `primary`.
   */
  readonly next?: NextAttempt;
}

/** The placement of the next attempt, with the size values RunTask's overrides read. */
export interface NextAttempt extends Placement {
  /** `sizes[sizeIndex]`; absent without a size ladder. */
  readonly size?: RenderedSize;
}

/**
 * A policy as the Lambda engine sends it: only the keys whose values differ from the default
 * policy, and the id of the defaults they differ from. A `fallback` differs from the default
 * fallback rules key by key; present, even empty, it says that the run has a fallback launch
 * target. The decider merges it over the defaults of its environment (`PolicyDefaults`).
 */
export type DeciderPolicyDiff = Partial<Omit<DeciderPolicy, 'fallback'>> & {
  readonly defaultsId: string;
  readonly fallback?: Partial<FallbackRules>;
};

/**
 * The default policy, whole, with its id: a short hash of its content. The construct gives it to
 * the decider in the environment variable `POLICY_DEFAULTS_VARIABLE`.
 */
export interface PolicyDefaults {
  readonly id: string;
  /** The policy that `RetryDefaults` renders to, with the default fallback rules. */
  readonly policy: DeciderPolicy & { readonly fallback: FallbackRules };
}

/** The decider's environment variable that holds `PolicyDefaults` as JSON. */
export const POLICY_DEFAULTS_VARIABLE = 'RETRY_POLICY_DEFAULTS';

/** The invocation payload a state machine sends to the decider. */
export interface DeciderEvent {
  /** A whole policy, as releases before the diff sent it, or a diff from the defaults. */
  readonly policy: DeciderPolicy | DeciderPolicyDiff;
  /** The 1-based number of the attempt that failed. */
  readonly attempt: number;
  /** The Catch output of the ECS task state: `{ Error, Cause }`. */
  readonly error: unknown;
  /** The history so far. */
  readonly history?: unknown;
  /** Where the failed attempt ran; absent without a size ladder or fallback rules (then index 0, primary). */
  readonly placement?: unknown;
}
