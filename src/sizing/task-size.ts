/**
 * A task size: task-level CPU units and memory in MiB, as in CDK task definitions.
 */
export interface TaskSize {
  /**
   * Task CPU units (1024 = 1 vCPU).
   *
   * @default - the CPU of the size before it (for the first, the task definition's)
   */
  readonly cpu?: number;

  /** Task memory in MiB. */
  readonly memoryMiB: number;
}
