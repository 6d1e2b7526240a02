export * from './policy/task-stop-code';
export * from './policy/retry-defaults';
export * from './policy/retry-policy-props';
export * from './retryable-ecs-run-task-options';
export * from './retryable-ecs-run-task-fragment';
export * from './retryable-ecs-run-task';
export * from './run-task/task-result';
export * from './sizing/task-size';
