import { TaskStopCode } from './task-stop-code';

/**
 * The default classification, exposed so that a policy can extend it instead of restating it:
 * `retryableStoppedReasons: [...RetryDefaults.RETRYABLE_STOPPED_REASONS, 'MyTransientError*']`.
 *
 * README.md lists every entry with its reason and source.
 */
export class RetryDefaults {
  /** Total attempts, including the first. */
  public static readonly MAX_ATTEMPTS = 3;

  /** Seconds before the first retry. */
  public static readonly INTERVAL_SECONDS = 30;

  /** Each retry waits this many times longer than the one before. */
  public static readonly BACKOFF_RATE = 2;

  /** Seconds that no single wait exceeds. */
  public static readonly MAX_DELAY_SECONDS = 300;

  /** Start and infrastructure failures, where a new task usually lands somewhere healthy. */
  public static readonly RETRYABLE_STOP_CODES: TaskStopCode[] = [
    TaskStopCode.TASK_FAILED_TO_START,
    TaskStopCode.SPOT_INTERRUPTION,
    TaskStopCode.TERMINATION_NOTICE,
    TaskStopCode.INFRASTRUCTURE_HEALTH,
  ];

  /**
   * Transient start failures, matched even when a payload carries no stop code. Matched against
   * the task's `StoppedReason` and each container's `Reason`.
   */
  public static readonly RETRYABLE_STOPPED_REASONS: string[] = [
    'ResourceInitializationError:*',
    'CannotPullContainerError:*',
    'Timeout waiting for network interface provisioning*',
    'Host EC2 (instance *) stopped/terminated*',
  ];

  /**
   * Start failures that a retry cannot fix: a missing image, denied access, a missing secret.
   * Matched against the task's `StoppedReason` and each container's `Reason`.
   */
  public static readonly NON_RETRYABLE_STOPPED_REASONS: string[] = [
    'CannotPullContainerError:*not found*',
    'CannotPullContainerError:*manifest unknown*',
    'CannotPullContainerError:*repository does not exist*',
    'CannotPullContainerError:*access denied*',
    'CannotPullContainerError:*403 Forbidden*',
    'CannotPullContainerError:*401 Unauthorized*',
    'ResourceInitializationError:*AccessDenied*',
    'ResourceInitializationError:*ResourceNotFoundException*',
    'ResourceInitializationError:*ParameterNotFound*',
    'CannotStartContainerError:*executable file not found*',
  ];

  /** No exit code is retried unless listed: only the job knows which of its exits are transient. */
  public static readonly RETRYABLE_EXIT_CODES: number[] = [];

  /** API failures that carry no task: RunTask throttling, ECS server errors, no capacity. */
  public static readonly RETRYABLE_ERRORS: string[] = [
    'ECS.AmazonECSException',
    'ECS.ServerException',
    'AmazonECS.Unknown',
  ];

  /**
   * Causes of API failures that a retry cannot fix, so that `RETRYABLE_ERRORS` does not retry
   * them. Capacity (`Capacity is unavailable at this time...`), busy or disconnected instances
   * (`RESOURCE:*`, `AGENT`), quotas and throttling are left out: they clear.
   *
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html
   * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html#API_RunTask_Errors
   */
  public static readonly NON_RETRYABLE_ERROR_CAUSES: string[] = [
    // RunTask `Failures[].Reason`: no container instance of the cluster can take the task as
    // configured (a required attribute, a memberOf constraint, an Availability Zone outside the
    // task's subnets), and a retry meets the same cluster.
    'ATTRIBUTE',
    'MemberOf placement constraint unsatisfied*',
    'LOCATION',
    // SDK messages: the task definition revision was deregistered (a state machine that started
    // before a deploy still names it) or does not exist.
    '*TaskDefinition is inactive*',
    '*Unable to describe task definition*',
    // SDK error codes of RunTask that no retry changes: a missing cluster, a platform version that
    // does not exist or does not fit the task definition, an unsupported feature, a blocked
    // account, a denied call. Matched in the cause text because `ECS.AmazonECSException` may
    // carry any of them.
    '*Error Code: ClusterNotFoundException*',
    '*Error Code: PlatformUnknownException*',
    '*Error Code: PlatformTaskDefinitionIncompatibilityException*',
    '*Error Code: UnsupportedFeatureException*',
    '*Error Code: BlockedException*',
    '*Error Code: AccessDeniedException*',
  ];

  /**
   * Stop codes that move later attempts to the fallback launch target: the capacity under the
   * task was reclaimed. `SpotInterruption` is the stop code of an interrupted Spot task; ECS's
   * own example of a Fargate Spot interruption event carries `TerminationNotice`, which also marks
   * host retirement, where a fallback is not needed but does no harm.
   *
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-maintenance.html
   */
  public static readonly FALLBACK_STOP_CODES: TaskStopCode[] = [
    TaskStopCode.SPOT_INTERRUPTION,
    TaskStopCode.TERMINATION_NOTICE,
  ];

  /**
   * Stopped reasons that move later attempts to the fallback launch target, matched against the
   * task's `StoppedReason` and each container's `Reason`: a Spot interruption even without its
   * stop code, and tasks that a capacity provider had no capacity for.
   *
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html
   */
  public static readonly FALLBACK_STOPPED_REASONS: string[] = [
    // The stopped reason of a Fargate Spot interruption, as ECS's example event shows it.
    'Your Spot Task was interrupted*',
    // Stopped reasons of tasks that never started for want of capacity: no instance of the
    // capacity provider had the CPU, memory, ports, ENIs or GPUs free, the provider had no active
    // instance, or no instance at all.
    'TaskFailedToStart: RESOURCE:*',
    'TaskFailedToStart: NO ACTIVE INSTANCES*',
    'TaskFailedToStart: EMPTY CAPACITY PROVIDER*',
  ];

  /**
   * Causes of RunTask failures that move later attempts to the fallback launch target: no
   * capacity. Matched like `NON_RETRYABLE_ERROR_CAUSES`, against each whole `Failures[].Reason`
   * and `Detail`, else the whole Cause text.
   *
   * @see https://repost.aws/knowledge-center/ecs-fargate-runtask-capacity
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html
   */
  public static readonly FALLBACK_ERROR_CAUSES: string[] = [
    // Fargate (or Fargate Spot) has no capacity for the task in the subnets' Availability Zones.
    'Capacity is unavailable at this time*',
    // No container instance of the cluster has the CPU, memory, ports, ENIs or GPUs the task
    // requests free.
    'RESOURCE:*',
  ];

  /** Environment variable that carries the 1-based attempt number into every container. */
  public static readonly ATTEMPT_ENVIRONMENT_VARIABLE = 'RETRYABLE_ECS_RUN_TASK_ATTEMPT';

  /** Where the run's result lands in the state. */
  public static readonly RESULT_PATH = '$.retryableEcsRunTask';

  private constructor() {}
}

/**
 * Error names a retrying run fails with, for a `Catch` in an enclosing workflow or an alarm.
 */
export class RetryErrors {
  /** The last attempt failed in a way the policy does not retry. */
  public static readonly NOT_RETRYABLE = 'RetryableEcsRunTask.NotRetryable';

  /** Every attempt failed in a retryable way, and `maxAttempts` were used. */
  public static readonly ATTEMPTS_EXHAUSTED = 'RetryableEcsRunTask.AttemptsExhausted';

  /** The decider answered something the state machine cannot act on; the run stops rather than guess. */
  public static readonly INVALID_DECISION = 'RetryableEcsRunTask.InvalidDecision';

  private constructor() {}
}
