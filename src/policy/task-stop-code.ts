/**
 * Why ECS stopped a task: the `StopCode` of a stopped task's description.
 *
 * An enum-like class rather than an enum, because AWS adds stop codes: use `TaskStopCode.of()`
 * for one this library does not list yet.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html#ECS-Type-Task-stopCode
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html
 */
export class TaskStopCode {
  /** The task could not start: image pull, ENI, secrets, volumes or container start failed. */
  public static readonly TASK_FAILED_TO_START = new TaskStopCode('TaskFailedToStart');

  /** An essential container of the task exited; its exit code tells why. */
  public static readonly ESSENTIAL_CONTAINER_EXITED = new TaskStopCode('EssentialContainerExited');

  /** Someone stopped the task through the API or the console. */
  public static readonly USER_INITIATED = new TaskStopCode('UserInitiated');

  /** The ECS service scheduler stopped the task. */
  public static readonly SERVICE_SCHEDULER_INITIATED = new TaskStopCode('ServiceSchedulerInitiated');

  /** Fargate Spot or EC2 Spot capacity was reclaimed. */
  public static readonly SPOT_INTERRUPTION = new TaskStopCode('SpotInterruption');

  /** The host was retired or is being terminated, for example Fargate task retirement. */
  public static readonly TERMINATION_NOTICE = new TaskStopCode('TerminationNotice');

  /** ECS stopped the task because the infrastructure under it became unhealthy. */
  public static readonly INFRASTRUCTURE_HEALTH = new TaskStopCode('InfrastructureHealth');

  /**
   * A stop code by name, for codes that AWS added after this library's release.
   *
   * @param code the exact `StopCode` string ECS reports, e.g. `TaskFailedToStart`
   */
  public static of(code: string): TaskStopCode {
    if (typeof code !== 'string' || code.trim() === '') {
      throw new Error(`\`TaskStopCode.of()\` needs a non-empty stop code, got: ${JSON.stringify(code)}.`);
    }
    return new TaskStopCode(code);
  }

  /**
   * @param code the `StopCode` string as ECS reports it
   */
  private constructor(public readonly code: string) {}

  /** The stop code as ECS reports it. */
  public toString(): string {
    return this.code;
  }
}
