import { Duration, Lazy, Token } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DecisionEngine, RetryableEcsRunTask, RetryableEcsRunTaskProps, RetryDefaults, TaskStopCode } from '../../src';
import { renderedDefinition } from '../support/local-execution';
import { testEnvironment } from '../support/stack';

function create(props: Partial<RetryableEcsRunTaskProps>) {
  const { stack, cluster, taskDefinition } = testEnvironment();
  return () => new RetryableEcsRunTask(stack, 'Job', { cluster, taskDefinition, ...props });
}

describe('synth-time validation names the prop and the value received', () => {
  test.each<[string, Partial<RetryableEcsRunTaskProps>, string]>([
    ['maxAttempts of 0', { maxAttempts: 0 }, '`maxAttempts` must be an integer between 1 and 50, got: 0.'],
    ['maxAttempts above the bound', { maxAttempts: 51 }, '`maxAttempts` must be an integer between 1 and 50, got: 51.'],
    ['fractional maxAttempts', { maxAttempts: 2.5 }, '`maxAttempts` must be an integer between 1 and 50, got: 2.5.'],
    ['backoffRate below 1', { backoffRate: 0.5 }, '`backoffRate` must be a number of at least 1, got: 0.5.'],
    ['backoffRate NaN', { backoffRate: NaN }, '`backoffRate` must be a number of at least 1, got: NaN.'],
    ['zero interval', { interval: Duration.seconds(0) }, '`interval` must be a positive whole number of seconds, got: 0 seconds.'],
    ['sub-second interval', { interval: Duration.millis(1500) }, '`interval` must be a positive whole number of seconds, got: 1 second 500 millis.'],
    ['zero maxDelay', { maxDelay: Duration.seconds(0) }, '`maxDelay` must be a positive whole number of seconds, got: 0 seconds.'],
    ['maxDelay below interval', { interval: Duration.minutes(2), maxDelay: Duration.minutes(1) },
      '`maxDelay` must be at least `interval`, got: maxDelay 60 seconds < interval 120 seconds.'],
    ['maxDelay above a year', { maxDelay: Duration.days(400) }, '`maxDelay` must be at most 365 days, got: 34560000 seconds.'],
    ['non-integer exit code', { retryableExitCodes: [1, 1.5] }, '`retryableExitCodes[1]` must be an integer, got: 1.5.'],
    ['empty retryable pattern', { retryableStoppedReasons: ['ok*', ''] }, '`retryableStoppedReasons[1]` must be a non-empty string, got: "".'],
    ['blank non-retryable pattern', { nonRetryableStoppedReasons: ['  '] }, '`nonRetryableStoppedReasons[0]` must be a non-empty string, got: "  ".'],
    ['empty error name', { retryableErrors: [''] }, '`retryableErrors[0]` must be a non-empty string, got: "".'],
    ['zero attemptTimeout', { attemptTimeout: Duration.seconds(0) }, '`attemptTimeout` must be a positive whole number of seconds, got: 0 seconds.'],
    ['sub-second timeout', { timeout: Duration.millis(10) }, '`timeout` must be a positive whole number of seconds, got: 10 millis.'],
    ['bad resultPath', { resultPath: '$' }, '`resultPath` must be \'$.\' followed by dot-separated field names, got: "$".'],
    ['resultPath with brackets', { resultPath: '$.runs[0]' }, '`resultPath` must be \'$.\' followed by dot-separated field names, got: "$.runs[0]".'],
    ['maxDelay beyond a year with a longer interval', { interval: Duration.days(366), maxDelay: Duration.days(366) },
      '`maxDelay` must be at most 365 days, got: 31622400 seconds.'],
    ['bad attemptEnvironmentVariable', { attemptEnvironmentVariable: '1-ATTEMPT' },
      '`attemptEnvironmentVariable` must be an environment variable name (letters, digits, \'_\', not starting with a digit) or \'\' to pass none, got: "1-ATTEMPT".'],
  ])('%s', (_, props, message) => {
    expect(create(props)).toThrow(message);
  });

  test('an unknown jitter strategy', () => {
    expect(create({ jitterStrategy: 'SOME' as sfn.JitterType })).toThrow('`jitterStrategy` must be JitterType.FULL or JitterType.NONE, got: "SOME".');
  });

  test('a stop code that is not a TaskStopCode', () => {
    expect(create({ retryableStopCodes: ['TaskFailedToStart' as unknown as TaskStopCode] }))
      .toThrow('`retryableStopCodes[0]` must be a TaskStopCode, got: "TaskFailedToStart".');
  });

  test('a task definition without containers', () => {
    const { stack, cluster } = testEnvironment();
    const empty = new ecs.FargateTaskDefinition(stack, 'Empty');
    expect(() => new RetryableEcsRunTask(stack, 'Job', { cluster, taskDefinition: empty }))
      .toThrow('`taskDefinition` TestStack/Empty has no containers: add them before creating the retrying run, so that each receives `RETRYABLE_ECS_RUN_TASK_ATTEMPT`.');
  });

  test('container overrides that already set the attempt variable', () => {
    const { stack, cluster, taskDefinition } = testEnvironment();
    const containerDefinition = taskDefinition.findContainer('app')!;
    expect(() => new RetryableEcsRunTask(stack, 'Job', {
      cluster,
      taskDefinition,
      containerOverrides: [{ containerDefinition, environment: [{ name: 'RETRYABLE_ECS_RUN_TASK_ATTEMPT', value: '9' }] }],
    })).toThrow(/`containerOverrides` for container 'app' already sets `RETRYABLE_ECS_RUN_TASK_ATTEMPT`/);
  });

  test('TaskStopCode.of rejects an empty code', () => {
    expect(() => TaskStopCode.of('')).toThrow('`TaskStopCode.of()` needs a non-empty stop code, got: "".');
  });

  test('the boundaries themselves are accepted', () => {
    expect(create({ maxAttempts: 1, backoffRate: 1, interval: Duration.seconds(1), maxDelay: Duration.seconds(1) })).not.toThrow();
    expect(create({ maxAttempts: 50, maxDelay: Duration.days(365), retryableExitCodes: [], retryableStoppedReasons: [] })).not.toThrow();
  });

  test('unresolved tokens are left alone', () => {
    const later = Token.asNumber(Lazy.number({ produce: () => 4 }));
    expect(create({ maxAttempts: later, backoffRate: later, retryableExitCodes: [later] })).not.toThrow();
  });
});

describe('the size of the rendered policy', () => {
  const patterns = (n: number, length: number) => [...Array(n).keys()].map((i) => `${i}:${'p'.repeat(length)}*`);

  test.each([DecisionEngine.LAMBDA_FUNCTION, DecisionEngine.STATE_MACHINE])('%s: 32 KiB fits, more fails naming the longest lists', (decisionEngine) => {
    // The defaults take about 2 KiB; 28 patterns of 1,000 characters more stay under 32 KiB.
    expect(create({ decisionEngine, nonRetryableStoppedReasons: patterns(28, 1_000) })).not.toThrow();
    expect(create({ decisionEngine, nonRetryableStoppedReasons: patterns(24, 1_000), retryableErrors: patterns(20, 500) })).toThrow(
      /^The retry policy must render to at most 32768 bytes of JSON, so that it fits beside the largest failure and history in a decision's 256 KiB, got: \d+ bytes\. Shorten the longest lists: `nonRetryableStoppedReasons` \(\d+ bytes\), `retryableErrors` \(\d+ bytes\), `nonRetryableErrorCauses` \(\d+ bytes\)\.$/,
    );
  });
});

describe('a policy of many patterns, on DecisionEngine.STATE_MACHINE', () => {
  const warned = (decisionEngine: DecisionEngine, extra: number) => {
    const { stack, cluster, taskDefinition } = testEnvironment();
    const patterns = [...RetryDefaults.NON_RETRYABLE_STOPPED_REASONS, ...[...Array(extra).keys()].map((i) => `Permanent ${i}:*`)];
    new RetryableEcsRunTask(stack, 'Job', { cluster, taskDefinition, decisionEngine, nonRetryableStoppedReasons: patterns });
    return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('patterns\\. With `decisionEngine: DecisionEngine.STATE_MACHINE`'));
  };
  const defaults = RetryDefaults.RETRYABLE_STOPPED_REASONS.length + RetryDefaults.NON_RETRYABLE_STOPPED_REASONS.length
    + RetryDefaults.NON_RETRYABLE_ERROR_CAUSES.length;

  test('up to 100 patterns: no warning; one more: a warning that says how many and what to do', () => {
    expect(warned(DecisionEngine.STATE_MACHINE, 100 - defaults)).toHaveLength(0);
    const found = warned(DecisionEngine.STATE_MACHINE, 101 - defaults);
    expect(found).toHaveLength(1);
    expect(JSON.stringify(found[0].entry.data)).toContain('The retry policy holds 101 stopped-reason and cause patterns.');
  });

  test('the Lambda engine, whose decider reads the policy natively, does not warn', () => {
    expect(warned(DecisionEngine.LAMBDA_FUNCTION, 200)).toHaveLength(0);
  });
});

describe('a policy given as tokens, on DecisionEngine.STATE_MACHINE', () => {
  const later = Token.asNumber(Lazy.number({ produce: () => 4 }));
  const laterText = Lazy.string({ produce: () => 'CannotPullContainerError:*' });
  test.each<[string, Partial<RetryableEcsRunTaskProps>]>([
    ['maxAttempts', { maxAttempts: later }],
    ['backoffRate', { backoffRate: later }],
    ['interval', { interval: Duration.seconds(later) }],
    ['maxDelay', { maxDelay: Duration.seconds(later) }],
    ['retryableExitCodes[1]', { retryableExitCodes: [1, later] }],
    ['retryableStoppedReasons[0]', { retryableStoppedReasons: [laterText] }],
    ['nonRetryableStoppedReasons[0]', { nonRetryableStoppedReasons: [laterText] }],
    ['retryableErrors[0]', { retryableErrors: [laterText] }],
    ['nonRetryableErrorCauses[0]', { nonRetryableErrorCauses: [laterText] }],
    ['fallbackStoppedReasons[0]', { fallbackStoppedReasons: [laterText] }],
    ['fallbackErrorCauses[0]', { fallbackErrorCauses: [laterText] }],
    ['retryableErrors', { retryableErrors: Token.asList(Lazy.list({ produce: () => ['E'] })) }],
  ])('%s fails at synth, naming the prop', (prop, props) => {
    const escaped = prop.replace(/[[\]]/g, '\\$&');
    expect(create({ ...props, decisionEngine: DecisionEngine.STATE_MACHINE }))
      .toThrow(new RegExp(`^\`${escaped}\` is a token, but \`decisionEngine: DecisionEngine.STATE_MACHINE\` compiles the retry policy .* or use \`DecisionEngine.LAMBDA_FUNCTION\``));
    // The Lambda engine reads its policy at run time: the same props synthesize there.
    expect(create(props)).not.toThrow();
  });
});

describe('TaskStopCode', () => {
  test('lists the seven ECS stop codes', () => {
    expect([
      TaskStopCode.TASK_FAILED_TO_START, TaskStopCode.ESSENTIAL_CONTAINER_EXITED, TaskStopCode.USER_INITIATED,
      TaskStopCode.SERVICE_SCHEDULER_INITIATED, TaskStopCode.SPOT_INTERRUPTION, TaskStopCode.TERMINATION_NOTICE,
      TaskStopCode.INFRASTRUCTURE_HEALTH,
    ].map(String)).toEqual([
      'TaskFailedToStart', 'EssentialContainerExited', 'UserInitiated', 'ServiceSchedulerInitiated',
      'SpotInterruption', 'TerminationNotice', 'InfrastructureHealth',
    ]);
  });

  test('of() names codes AWS adds later', () => {
    expect(TaskStopCode.of('FutureCode').code).toBe('FutureCode');
  });
});

describe('legal but risky policies warn at synth time', () => {
  function warnings(props: Partial<RetryableEcsRunTaskProps>): string[] {
    const { stack, cluster, taskDefinition } = testEnvironment();
    new RetryableEcsRunTask(stack, 'Job', { cluster, taskDefinition, ...props });
    return Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
  }

  test.each<[string, Partial<RetryableEcsRunTaskProps>, RegExp]>([
    ['maxAttempts 1 with retry lists', { maxAttempts: 1, retryableExitCodes: [75] }, /`maxAttempts` is 1, so nothing is retried, yet retryable lists are set/],
    ['exit code 0 listed as retryable', { retryableExitCodes: [0, 75] }, /`retryableExitCodes` lists 0/],
    ['a retryable pattern of only `*`', { retryableStoppedReasons: ['*'] }, /`retryableStoppedReasons` has a pattern of only `\*`: every stopped task is retried/],
    ['a non-retryable pattern of only `*`', { nonRetryableStoppedReasons: ['**'] }, /`nonRetryableStoppedReasons` has a pattern of only `\*`: no stopped task is ever retried/],
  ])('%s', (_, props, message) => {
    const found = warnings(props);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  test('sensible policies do not warn, including maxAttempts 1 without lists', () => {
    expect(warnings({ maxAttempts: 1 })).toEqual([]);
    expect(warnings({ retryableExitCodes: [75], retryableStoppedReasons: ['Transient*'] })).toEqual([]);
  });

  test('an empty retryableExitCodes next to non-empty nonRetryableStoppedReasons is legal', () => {
    expect(warnings({ retryableExitCodes: [], nonRetryableStoppedReasons: ['*not found*'] })).toEqual([]);
  });
});

describe('placement and result validation', () => {
  function publicOnly() {
    const { stack, taskDefinition } = testEnvironment();
    const vpc = new ec2.Vpc(stack, 'PublicVpc', { natGateways: 0, subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC }] });
    return { stack, taskDefinition, cluster: new ecs.Cluster(stack, 'PublicCluster', { vpc }) };
  }

  test('default subnets in a VPC without private subnets name `subnets` and say what to pass', () => {
    const { stack, cluster, taskDefinition } = publicOnly();
    expect(() => new RetryableEcsRunTask(stack, 'Job', { cluster, taskDefinition })).toThrow(
      /^`subnets` is not set, so the task would run in the private \(with egress\) subnets of the cluster's VPC TestStack\/PublicVpc, but it has none \(.*\)\. Pass `subnets`: for example `\{ subnetType: SubnetType.PUBLIC \}` together with `assignPublicIp: true`/);
  });

  test('public subnets with a public IP, or an explicit selection, are accepted in the same VPC', () => {
    const { stack, cluster, taskDefinition } = publicOnly();
    expect(() => new RetryableEcsRunTask(stack, 'Public', { cluster, taskDefinition, assignPublicIp: true })).not.toThrow();
    expect(() => new RetryableEcsRunTask(stack, 'Selected', { cluster, taskDefinition, subnets: { subnetType: ec2.SubnetType.PUBLIC } })).not.toThrow();
  });

  test('a taskResult that is not a TaskResult is rejected', () => {
    expect(create({ taskResult: 'SUMMARY' as any })).toThrow('`taskResult` must be TaskResult.FULL or TaskResult.SUMMARY, got: "SUMMARY".');
  });
});

describe('the RunTask options of CDK EcsRunTask', () => {
  test('pass through to RunTask under the same names', () => {
    const { stack, cluster, taskDefinition } = testEnvironment();
    new RetryableEcsRunTask(stack, 'Job', {
      cluster,
      taskDefinition,
      revisionNumber: 4,
      cpu: '1024',
      memoryMiB: '4096',
      propagatedTagSource: ecs.PropagatedTagSource.TASK_DEFINITION,
      enableExecuteCommand: true,
    });
    const runTask = (renderedDefinition(stack).States as any)['Run task'].Parameters;
    expect(runTask.TaskDefinition).toBe('nightly-report:4');
    expect(runTask.Overrides).toMatchObject({ Cpu: '1024', Memory: '4096' });
    expect(runTask.PropagateTags).toBe('TASK_DEFINITION');
    expect(runTask.EnableExecuteCommand).toBe(true);
  });

  test.each<[string, Partial<RetryableEcsRunTaskProps>, string]>([
    ['revision 0', { revisionNumber: 0 }, '`revisionNumber` must be a positive integer, got: 0.'],
    ['fractional revision', { revisionNumber: 1.5 }, '`revisionNumber` must be a positive integer, got: 1.5.'],
    ['cpu not a number', { cpu: '1 vCPU' }, '`cpu` must be a positive whole number as a string, as in CDK\'s EcsRunTask, got: "1 vCPU".'],
    ['memory of 0', { memoryMiB: '0' }, '`memoryMiB` must be a positive whole number as a string, as in CDK\'s EcsRunTask, got: "0".'],
    ['tags from a service', { propagatedTagSource: ecs.PropagatedTagSource.SERVICE },
      '`propagatedTagSource` cannot be SERVICE for a task run by RunTask, got: SERVICE. Use TASK_DEFINITION, or leave it unset.'],
  ])('%s is rejected', (_, props, message) => {
    expect(create(props)).toThrow(message);
  });
});
