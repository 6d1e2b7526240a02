/**
 * The demo's story: the failure of each attempt, a fixture of test/fixtures/ecs-failures as a
 * Catch receives it (`{ Error, Cause }`); the attempt after the last one succeeds.
 */
export const FAILURES = [
  { fixture: 'resource-initialization-error', what: 'a transient start failure: the ENI could not be set up' },
  { fixture: 'oom-fargate', what: 'out of memory: ECS killed the container' },
];
