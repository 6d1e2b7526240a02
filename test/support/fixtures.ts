import * as fs from 'fs';
import * as path from 'path';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'ecs-failures');

/** A Catch output `{ Error, Cause }` of a failed `ecs:runTask.sync` attempt. */
export interface EcsFailure {
  readonly Error: string;
  readonly Cause: string;
}

/** Loads `test/fixtures/ecs-failures/<name>.json`. */
export function failure(name: string): EcsFailure {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));
}

/** The task description a successful attempt returns. */
export function successTask(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, 'success-task.json'), 'utf8'));
}

/** What `TaskResult.SUMMARY` keeps of a task description, computed independently of the construct. */
export function taskSummary(task: Record<string, any>): Record<string, unknown> {
  const containers: any[] = task.Containers ?? [];
  return {
    TaskArn: task.TaskArn,
    StopCode: task.StopCode,
    StoppedReason: task.StoppedReason,
    CreatedAt: task.CreatedAt,
    StartedAt: task.StartedAt,
    StoppedAt: task.StoppedAt,
    ContainerNames: containers.map((c) => c.Name),
    ExitCodes: containers.filter((c) => c.ExitCode !== undefined).map((c) => c.ExitCode),
  };
}

/** Every failure fixture, by name. */
export function allFailures(): Record<string, EcsFailure> {
  return Object.fromEntries(
    fs.readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.json') && f !== 'success-task.json')
      .map((f) => [f.replace(/\.json$/, ''), failure(f.replace(/\.json$/, ''))]),
  );
}

/** A stopped-task failure whose StoppedReason is replaced, e.g. by a 200 KB string. */
export function withStoppedReason(base: EcsFailure, stoppedReason: string): EcsFailure {
  return { Error: base.Error, Cause: JSON.stringify({ ...JSON.parse(base.Cause), StoppedReason: stoppedReason }) };
}
