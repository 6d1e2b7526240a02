/*
 * Integration test: RetryableEcsRunTask against real ECS (Fargate) and Step Functions.
 *
 * Three executions of one state machine, each selecting a case through the execution input:
 * - `recover`: the container exits 75 on attempt 1 and 0 on attempt 2; the execution succeeds
 *   with exactly one failed attempt in its history;
 * - `not-retryable`: exit 2; fails at once with RetryableEcsRunTask.NotRetryable;
 * - `exhaust`: always exit 75; fails with RetryableEcsRunTask.AttemptsExhausted after 3 attempts.
 * The first attempt runs on Fargate Spot (`Run task`), every retry on Fargate, the fallback launch
 * target (`Run task on fallback`).
 *
 * `npx projen integ` verifies the committed snapshot (no AWS); `npx projen integ:snapshot`
 * refreshes it (no AWS); `npx projen integ:deploy` deploys, asserts and destroys (AWS account).
 * The stack and the assertions are built in ./integ-support/retry-cases.ts.
 */
import { App } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { buildRetryIntegTest } from './integ-support/retry-cases';

// No stack traces in the snapshot's metadata: they hold the absolute paths of whoever synthesized.
const app = new App({
  stackTraces: false,
  context: { [cxapi.DISABLE_CREATION_STACK_TRACES]: true },
});
buildRetryIntegTest(app);
app.synth();
