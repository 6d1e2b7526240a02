/*
 * Integration test: RetryableEcsRunTask with `decisionEngine: DecisionEngine.STATE_MACHINE` against
 * real ECS (Fargate) and Step Functions: no Lambda function decides, the state machine's JSONata
 * states do.
 *
 * The cases of test/integ.retryable-ecs-run-task.ts, with the same expectations, because both
 * engines give the same result, history, error and cause:
 * - `recover`: the container exits 75 on attempt 1 and 0 on attempt 2; the execution succeeds
 *   with exactly one failed attempt in its history;
 * - `not-retryable`: exit 2; fails at once with RetryableEcsRunTask.NotRetryable;
 * - `exhaust`: always exit 75; fails with RetryableEcsRunTask.AttemptsExhausted after 3 attempts.
 * The first attempt runs on Fargate Spot, every retry on Fargate: the run's one ECS task state
 * sends RunTask a capacity provider strategy, then a launch type, chosen in its Arguments by one
 * JSONata expression; ECS refuses a request with both.
 * Once all three have ended, the state machine's log (level ALL, no execution data) must hold
 * exactly the events each metric filter counts: 3 retries, 1 run out of attempts, 1 not retryable.
 *
 * `npx projen integ` verifies the committed snapshot (no AWS); `npx projen integ:snapshot`
 * refreshes it (no AWS); `npx projen integ:deploy` deploys, asserts and destroys (AWS account).
 * The stack and the assertions are built in ./integ-support/retry-cases.ts.
 */
import { App } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { DecisionEngine } from '../src';
import { buildRetryIntegTest } from './integ-support/retry-cases';

// No stack traces in the snapshot's metadata: they hold the absolute paths of whoever synthesized.
const app = new App({
  stackTraces: false,
  context: { [cxapi.DISABLE_CREATION_STACK_TRACES]: true },
});
buildRetryIntegTest(app, { decisionEngine: DecisionEngine.STATE_MACHINE });
app.synth();
