import { CfnParameter, Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { RetryableEcsRunTask, RetryableEcsRunTaskProps, RetryDefaults, TaskStopCode } from '../../src';
import { decideRetry } from '../../src/decider/decide-retry';
import { POLICY_DEFAULTS } from '../../src/decider/policy-defaults';
import { POLICY_DEFAULTS_VARIABLE } from '../../src/decider/wire';
import { policyDiff } from '../../src/engines/lambda/policy-diff';
import { renderFallbackRules, renderRetryPolicy } from '../../src/policy/render-retry-policy';
import { allFailures } from '../support/fixtures';
import { executeLocally, renderedDefinition } from '../support/local-execution';
import { testEnvironment, TestEnvironment } from '../support/stack';

// The Lambda engine sends only what differs from the default policy, with the defaults' id; the
// decider has the defaults in its environment and merges the two.

/** Lambda's limit on a function's environment variables, keys and values together. */
const LAMBDA_ENVIRONMENT_LIMIT = 4 * 1024;

let env: TestEnvironment;
beforeEach(() => {
  env = testEnvironment();
});

function sentPolicy(props: Partial<RetryableEcsRunTaskProps> = {}): Record<string, unknown> {
  new RetryableEcsRunTask(env.stack, 'Job', { cluster: env.cluster, taskDefinition: env.taskDefinition, ...props });
  return (renderedDefinition(env.stack).States as any)['Decide retry'].Parameters.policy;
}

const fargateOn = (capacityProvider: string) => new tasks.EcsFargateLaunchTarget({
  platformVersion: ecs.FargatePlatformVersion.LATEST,
  capacityProviderOptions: tasks.CapacityProviderOptions.custom([{ capacityProvider, weight: 1 }]),
});

describe('what Decide retry sends', () => {
  test('the default policy: only the id of the defaults, 8 hex digits', () => {
    expect(sentPolicy()).toEqual({ defaultsId: POLICY_DEFAULTS.id });
    expect(POLICY_DEFAULTS.id).toMatch(/^[0-9a-f]{8}$/);
  });

  test('a changed maxAttempts: maxAttempts alone', () => {
    expect(sentPolicy({ maxAttempts: 5 })).toEqual({ defaultsId: POLICY_DEFAULTS.id, maxAttempts: 5 });
  });

  test('a value restated as its default is not sent', () => {
    expect(sentPolicy({ maxAttempts: 3, interval: Duration.seconds(30), retryableErrors: [...RetryDefaults.RETRYABLE_ERRORS] }))
      .toEqual({ defaultsId: POLICY_DEFAULTS.id });
  });

  test('a list that extends or filters a default list is sent whole', () => {
    const extended = [...RetryDefaults.RETRYABLE_STOPPED_REASONS, 'MyTransientError*'];
    const filtered = RetryDefaults.NON_RETRYABLE_ERROR_CAUSES.filter((c) => c !== 'LOCATION');
    expect(sentPolicy({ retryableStoppedReasons: extended, nonRetryableErrorCauses: filtered })).toEqual({
      defaultsId: POLICY_DEFAULTS.id,
      retryableStoppedReasons: extended,
      nonRetryableErrorCauses: filtered,
    });
  });

  test('a reordered list is sent: the first pattern that matches names the rule', () => {
    const reordered = [...RetryDefaults.RETRYABLE_STOP_CODES].reverse();
    expect(sentPolicy({ retryableStopCodes: reordered })).toMatchObject({ retryableStopCodes: reordered.map((c) => c.code) });
  });

  test('a token is never equal to a default, so it is sent, even when deploy would give it the default value', () => {
    const attempts = new CfnParameter(env.stack, 'MaxAttempts', { type: 'Number', default: RetryDefaults.MAX_ATTEMPTS });
    const patterns = new CfnParameter(env.stack, 'Patterns', { type: 'CommaDelimitedList' });
    const diff = policyDiff(renderRetryPolicy({ maxAttempts: attempts.valueAsNumber, retryableErrors: patterns.valueAsList }));
    expect(Object.keys(diff)).toEqual(['defaultsId', 'maxAttempts', 'retryableErrors']);
    expect(env.stack.resolve(diff)).toEqual({ defaultsId: POLICY_DEFAULTS.id, maxAttempts: { Ref: 'MaxAttempts' }, retryableErrors: { Ref: 'Patterns' } });
  });

  test('the default fallback rules are sent as an empty fallback, which says that the run has one; changed rules key by key', () => {
    const fallback = { launchTarget: fargateOn('FARGATE_SPOT'), fallbackLaunchTarget: fargateOn('FARGATE') };
    expect(sentPolicy(fallback)).toEqual({ defaultsId: POLICY_DEFAULTS.id, fallback: {} });
    env = testEnvironment();
    expect(sentPolicy({ ...fallback, fallbackStopCodes: [TaskStopCode.SPOT_INTERRUPTION] }))
      .toEqual({ defaultsId: POLICY_DEFAULTS.id, fallback: { stopCodes: ['SpotInterruption'] } });
  });

  test('a size ladder is never a default: sent whole', () => {
    expect(sentPolicy({ outOfMemorySizes: [{ cpu: 512, memoryMiB: 1024 }] })).toEqual({
      defaultsId: POLICY_DEFAULTS.id,
      sizes: [{ cpu: 256, memoryMiB: 512, containerMemoryMiB: [] }, { cpu: 512, memoryMiB: 1024, containerMemoryMiB: [] }],
    });
  });

  test('a diff that the decider merges is the whole policy it replaces: every decision of the corpus is the same', () => {
    const props = { maxAttempts: 4, retryableExitCodes: [75], retryableStoppedReasons: [...RetryDefaults.RETRYABLE_STOPPED_REASONS, 'Flaky*'] };
    const whole = renderRetryPolicy(props);
    const diff = sentPolicy(props);
    for (const [name, error] of Object.entries(allFailures())) {
      for (const attempt of [1, 4]) {
        const merged = decideRetry({ policy: diff, defaults: POLICY_DEFAULTS, attempt, error, random: 0.3 });
        expect([name, merged]).toEqual([name, decideRetry({ policy: whole, attempt, error, random: 0.3 })]);
      }
    }
  });
});

describe('the decider function\'s environment', () => {
  test('holds the defaults, the same in every stack, with the id that the runs send', () => {
    new RetryableEcsRunTask(env.stack, 'Job', { cluster: env.cluster, taskDefinition: env.taskDefinition });
    const [decider] = Object.values(Template.fromStack(env.stack).findResources('AWS::Lambda::Function'));
    const variables: Record<string, string> = decider.Properties.Environment.Variables;
    expect(Object.keys(variables)).toEqual([POLICY_DEFAULTS_VARIABLE]);
    expect(JSON.parse(variables[POLICY_DEFAULTS_VARIABLE])).toEqual(POLICY_DEFAULTS);
  });

  test('the defaults are what renderRetryPolicy and renderFallbackRules render from RetryDefaults', () => {
    expect(POLICY_DEFAULTS.policy).toEqual({ ...renderRetryPolicy({}), fallback: renderFallbackRules({}) });
  });

  test('stays well under the 4 KB that Lambda allows a function\'s environment', () => {
    new RetryableEcsRunTask(env.stack, 'Job', { cluster: env.cluster, taskDefinition: env.taskDefinition });
    const [decider] = Object.values(Template.fromStack(env.stack).findResources('AWS::Lambda::Function'));
    const variables: Record<string, string> = decider.Properties.Environment.Variables;
    const bytes = Object.entries(variables).reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value), 0);
    process.stderr.write(`decider environment: ${bytes} B of ${LAMBDA_ENVIRONMENT_LIMIT}\n`);
    expect(bytes).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_LIMIT * 0.75);
  });
});

describe('executed', () => {
  test('a default run sends only the id, and the decider decides with the defaults of its environment', async () => {
    new RetryableEcsRunTask(env.stack, 'Job', { cluster: env.cluster, taskDefinition: env.taskDefinition });
    const errors = allFailures();
    const result = await executeLocally(renderedDefinition(env.stack), {
      outcomes: [{ fail: errors['resource-initialization-error'] }, { fail: errors['cannot-pull-not-found'] }],
    });
    expect(result.status).toBe('FAILED');
    expect(result.decisions.map((d) => d.rule)).toEqual([
      'retryableStopCode:TaskFailedToStart', 'nonRetryableStoppedReason:CannotPullContainerError:*not found*',
    ]);
    expect(result.taskCalls.filter((c) => c.state === 'Decide retry').map((c) => (c.input as any).policy))
      .toEqual([{ defaultsId: POLICY_DEFAULTS.id }, { defaultsId: POLICY_DEFAULTS.id }]);
  });
});
