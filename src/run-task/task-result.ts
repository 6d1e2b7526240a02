/**
 * How much of the stopped task's description a run keeps in its result.
 *
 * A task description is 2 to 10 KB. A Map of retrying runs collects one per item, and Step
 * Functions fails the execution, uncatchably, once a state passes 256 KiB: `SUMMARY` keeps a Map
 * of hundreds of runs within that limit (README, "Payload bound").
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-task-executions
 */
export class TaskResult {
  /** The whole `DescribeTasks` task, as `ecs:runTask.sync` returns it. */
  public static readonly FULL = new TaskResult('FULL');

  /**
   * `TaskArn`, `StopCode`, `StoppedReason`, `CreatedAt`, `StartedAt`, `StoppedAt`, and the
   * containers' `ContainerNames` and `ExitCodes` in container order (a container that reported no
   * exit code has none in `ExitCodes`). About 0.5 KB.
   */
  public static readonly SUMMARY = new TaskResult('SUMMARY');

  /**
   * @param detail `FULL` or `SUMMARY`
   */
  private constructor(public readonly detail: string) {}

  /**
   * The `ResultSelector` that keeps this much of the task, or undefined to keep it whole.
   *
   * Only fields that a task which ran and stopped always has, and wildcard paths that yield an
   * empty list rather than an error: a path that matches nothing in a `ResultSelector` fails the
   * execution with `States.Runtime`, which no Catch can handle.
   *
   * @internal
   */
  public _resultSelector(): { [key: string]: string } | undefined {
    if (this === TaskResult.FULL) {
      return undefined;
    }
    return {
      'TaskArn.$': '$.TaskArn',
      'StopCode.$': '$.StopCode',
      'StoppedReason.$': '$.StoppedReason',
      'CreatedAt.$': '$.CreatedAt',
      'StartedAt.$': '$.StartedAt',
      'StoppedAt.$': '$.StoppedAt',
      'ContainerNames.$': '$.Containers[*].Name',
      'ExitCodes.$': '$.Containers[*].ExitCode',
    };
  }

  /**
   * The JSONata expression, over the task description in `$states.result`, that keeps this much
   * of the task: what `_resultSelector()` keeps, for the JSONata engine.
   *
   * JSONata collapses a sequence of one value into the value, and a sequence of none into
   * nothing; `$append([], ...)` makes the container lists arrays however many containers report.
   * A field the task lacks is left out rather than failing the state.
   *
   * @internal
   */
  public _jsonataExpression(): string {
    if (this === TaskResult.FULL) {
      return '$states.result';
    }
    const task = '$states.result';
    return `{${[
      ...['TaskArn', 'StopCode', 'StoppedReason', 'CreatedAt', 'StartedAt', 'StoppedAt'].map((field) => `'${field}': ${task}.${field}`),
      `'ContainerNames': $append([], ${task}.Containers.Name)`,
      `'ExitCodes': $append([], ${task}.Containers.ExitCode)`,
    ].join(', ')}}`;
  }
}
