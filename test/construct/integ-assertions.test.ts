import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { RetryErrors } from '../../src';
import { POLICY_DEFAULTS } from '../../src/decider/policy-defaults';
import { wholePolicy } from '../../src/decider/whole-policy';
import { ATTEMPT_VARIABLE, caseOutcomes, decode, DESCRIBE_TYPE, DescribeExecutionResponse, describeResponse, matches, START_TYPE } from '../integ-support/rehearsal';
import {
  buildRetryIntegTest,
  caseScript,
  CONTAINER_NAME,
  INTEG_IMAGE,
  INTEG_NAMES,
  INTEG_POLICY,
  MODE_VARIABLE,
  RETRY_CASES,
  RetryCase,
  RetryIntegTest,
} from '../integ-support/retry-cases';
import { executeLocally, LocalExecution, renderedDefinition } from '../support/local-execution';

// The integ-tests assertion handler's base class imports the Step Functions client to start waiter
// executions; these tests only match results locally, so a stub keeps every AWS client out.
jest.mock('@aws-sdk/client-sfn', () => ({ SFN: class {} }), { virtual: true });


/** Synthesized once: the integ app exactly as test/integ.retryable-ecs-run-task.ts builds it. */
let built: RetryIntegTest;
let assembly: CloudAssembly;
let testTemplate: Template;
let assertionTemplate: Template;

beforeAll(() => {
  const app = new App();
  built = buildRetryIntegTest(app);
  assembly = app.synth();
  testTemplate = Template.fromJSON(assembly.getStackArtifact(built.testStack.artifactId).template);
  assertionTemplate = Template.fromJSON(assembly.getStackArtifact(built.assertionStack.artifactId).template);
});

interface CaseResources {
  readonly startId: string;
  readonly start: Record<string, any>;
  readonly describeId: string;
  readonly describe: Record<string, any>;
  /** The `expected` property, decoded: integ-tests' encoded matchers. */
  readonly expected: any;
}

/** The start and describe calls of each case, paired through the describe call's executionArn. */
function caseResources(): Record<RetryCase, CaseResources> {
  const starts = assertionTemplate.findResources(START_TYPE);
  const describes = assertionTemplate.findResources(DESCRIBE_TYPE);
  const result: Partial<Record<RetryCase, CaseResources>> = {};
  for (const [describeId, describe] of Object.entries(describes)) {
    const join = describe.Properties.parameters.executionArn['Fn::Join'];
    expect(join).toEqual(['', ['"', { 'Fn::GetAtt': [expect.any(String), 'apiCallResponse.executionArn'] }, '"']]);
    const startId: string = join[1][1]['Fn::GetAtt'][0];
    const start = starts[startId];
    expect(start).toBeDefined();
    const mode = JSON.parse(decode(start.Properties.parameters.input)).mode as RetryCase;
    expect(result[mode]).toBeUndefined();
    result[mode] = { startId, start, describeId, describe, expected: decode(describe.Properties.expected) };
  }
  return result as Record<RetryCase, CaseResources>;
}

describe('integ test stack', () => {
  test('has no NAT gateway and only public subnets', () => {
    testTemplate.resourceCountIs('AWS::EC2::NatGateway', 0);
    testTemplate.resourceCountIs('AWS::EC2::EIP', 0);
    testTemplate.resourceCountIs('AWS::EC2::InternetGateway', 1);
    const subnets = Object.values(testTemplate.findResources('AWS::EC2::Subnet'));
    expect(subnets).toHaveLength(2);
    for (const subnet of subnets) {
      expect(subnet.Properties.MapPublicIpOnLaunch).toBe(true);
    }
  });

  test('runs the task with a public IP in the public subnets', () => {
    const runTask = renderedDefinition(built.testStack).States['Run task'] as any;
    const awsvpc = runTask.Parameters.NetworkConfiguration.AwsvpcConfiguration;
    expect(awsvpc.AssignPublicIp).toBe('ENABLED');
    const publicSubnetIds = Object.keys(testTemplate.findResources('AWS::EC2::Subnet'));
    // renderedDefinition renders a Ref as a string ending in the logical id.
    expect(awsvpc.Subnets.map((s: string) => publicSubnetIds.find((id) => s.endsWith(`:${id}`)))).toEqual(publicSubnetIds);
  });

  test('passes the case from the execution input and the attempt number to the container', () => {
    const runTask = renderedDefinition(built.testStack).States['Run task'] as any;
    expect(runTask.Parameters.Overrides.ContainerOverrides).toEqual([{
      Name: CONTAINER_NAME,
      Environment: [
        { 'Name': MODE_VARIABLE, 'Value.$': '$.mode' },
        { 'Name': ATTEMPT_VARIABLE, 'Value.$': "States.Format('{}', $.retryableEcsRunTask.attempt)" },
      ],
    }]);
    expect(runTask.TimeoutSeconds).toBe(INTEG_POLICY.attemptTimeout.toSeconds());
    expect(renderedDefinition(built.testStack).TimeoutSeconds).toBe(INTEG_POLICY.timeout.toSeconds());
  });

  test('runs a small Fargate task from a public image, logging to a log group that is deleted with the stack', () => {
    testTemplate.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '256',
      Memory: '512',
      NetworkMode: 'awsvpc',
      RequiresCompatibilities: ['FARGATE'],
      ContainerDefinitions: [{
        Name: CONTAINER_NAME,
        Image: INTEG_IMAGE,
        Essential: true,
        Command: ['sh', '-c', caseScript()],
        LogConfiguration: { LogDriver: 'awslogs' },
      }],
    });
    const logGroups = Object.values(testTemplate.findResources('AWS::Logs::LogGroup'));
    // The task's log group and the shared decider's.
    expect(logGroups).toHaveLength(2);
    for (const logGroup of logGroups) {
      expect(logGroup.DeletionPolicy).toBe('Delete');
      expect(logGroup.UpdateReplacePolicy).toBe('Delete');
    }
    testTemplate.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 1 });
  });

  test('retries exit code 75 up to 3 attempts with short, unjittered waits', () => {
    const decide = renderedDefinition(built.testStack).States['Decide retry'] as any;
    // Sent as a diff from the defaults, which the decider merges it with.
    expect(wholePolicy(decide.Parameters.policy, POLICY_DEFAULTS).policy).toMatchObject({
      maxAttempts: 3,
      intervalSeconds: 5,
      backoffRate: 2,
      maxDelaySeconds: 10,
      jitter: 'NONE',
      retryableExitCodes: [75],
    });
  });

  test('declares the test case for integ-runner: us-east-1, no update workflow, asset hashes not diffed', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'integ.json'), 'utf8'));
    expect(manifest.testCases).toEqual({
      [`${INTEG_NAMES.integTest}/DefaultTest`]: {
        stacks: [INTEG_NAMES.testStack],
        regions: ['us-east-1'],
        diffAssets: false,
        stackUpdateWorkflow: false,
        assertionStack: INTEG_NAMES.assertionStack,
        assertionStackName: INTEG_NAMES.assertionStack,
      },
    });
  });
});

describe('integ assertions', () => {
  test('start one execution per case, of the test stack\'s state machine', () => {
    const starts = Object.values(assertionTemplate.findResources(START_TYPE));
    expect(starts.map((s) => JSON.parse(decode(s.Properties.parameters.input))).sort((a, b) => a.mode.localeCompare(b.mode))).toEqual([
      { mode: 'exhaust' }, { mode: 'not-retryable' }, { mode: 'recover' },
    ]);

    // The ARN is imported from the test stack's export of the state machine's Ref.
    const outputs = testTemplate.findOutputs('*');
    const exportOf = (name: string) => Object.values(outputs).find((o: any) => o.Export?.Name === name);
    const stateMachineId = Object.keys(testTemplate.findResources('AWS::StepFunctions::StateMachine'))[0];
    for (const start of starts) {
      expect(start.Properties.service).toBe('StepFunctions');
      expect(start.Properties.api).toBe('startExecution');
      expect(start.Properties.outputPaths).toEqual(['executionArn']);
      const join = start.Properties.parameters.stateMachineArn['Fn::Join'];
      expect(join[1][0]).toBe('"');
      expect(join[1][2]).toBe('"');
      expect(exportOf(join[1][1]['Fn::ImportValue'])).toEqual(expect.objectContaining({ Value: { Ref: stateMachineId } }));
    }
  });

  test('wait up to 15 minutes per case, polling every 30 seconds', () => {
    const describes = Object.values(assertionTemplate.findResources(DESCRIBE_TYPE));
    expect(describes).toHaveLength(3);
    for (const describe of describes) {
      expect(describe.Properties.stateMachineArn).toEqual({ Ref: expect.stringContaining('WaitFor') });
    }
    const waiters = Object.values(assertionTemplate.findResources('AWS::StepFunctions::StateMachine'));
    expect(waiters).toHaveLength(3);
    for (const waiter of waiters) {
      expect(JSON.stringify(waiter.Properties.DefinitionString)).toContain('\\"IntervalSeconds\\":30,\\"MaxAttempts\\":30,\\"BackoffRate\\":1');
    }
  });

  test('describe each execution without flattening, so that its output stays a JSON string', () => {
    for (const { describe } of Object.values(caseResources())) {
      expect(describe.Properties.api).toBe('describeExecution');
      expect(describe.Properties.flattenResponse).toBe('false');
      expect(describe.Properties.outputPaths).toBeUndefined();
    }
  });

  test('recover: succeeds on the fallback launch target after exactly one failed attempt that exited 75', () => {
    expect(caseResources().recover.expected).toEqual({
      $ObjectLike: {
        status: 'SUCCEEDED',
        output: {
          $SerializedJson: {
            $ObjectLike: {
              mode: 'recover',
              retryableEcsRunTask: {
                $ObjectLike: {
                  attempts: 2,
                  capacity: 'fallback',
                  history: [{
                    $ObjectLike: {
                      attempt: 1,
                      error: 'States.TaskFailed',
                      exitCodes: [{ name: 'app', exitCode: 75 }],
                      rule: 'retryableExitCode:75',
                      retryable: true,
                      waitSeconds: 5,
                      capacity: 'primary',
                    },
                  }],
                  task: { $ObjectLike: { Containers: [{ $ObjectLike: { Name: 'app', ExitCode: 0 } }] } },
                },
              },
            },
          },
        },
      },
    });
  });

  test('not-retryable: fails at once with NotRetryable, naming attempt 1 and exit code 2', () => {
    const { expected } = caseResources()['not-retryable'];
    expect(expected.$ObjectLike.status).toBe('FAILED');
    expect(expected.$ObjectLike.error).toBe(RetryErrors.NOT_RETRYABLE);
    expect(expected.$ObjectLike.error).toBe('RetryableEcsRunTask.NotRetryable');
    expect(expected.$ObjectLike.cause.$StringLike).toMatch(/^\^Attempt 1 /);
    expect(Object.keys(expected.$ObjectLike).sort()).toEqual(['cause', 'error', 'status']);
  });

  test('exhaust: fails with AttemptsExhausted on attempt 3', () => {
    const { expected } = caseResources().exhaust;
    expect(expected.$ObjectLike.status).toBe('FAILED');
    expect(expected.$ObjectLike.error).toBe('RetryableEcsRunTask.AttemptsExhausted');
    expect(expected.$ObjectLike.cause.$StringLike).toMatch(/^\^Attempt 3 /);
    expect(Object.keys(expected.$ObjectLike).sort()).toEqual(['cause', 'error', 'status']);
  });
});

describe('the container script', () => {
  const run = (env: Record<string, string>) => spawnSync('sh', ['-c', caseScript()], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    encoding: 'utf8',
  });
  const exitCode = (mode: string, attempt: number) => run({ [MODE_VARIABLE]: mode, [ATTEMPT_VARIABLE]: String(attempt) }).status;

  test.each([
    ['recover', 1, 75], ['recover', 2, 0], ['recover', 3, 0],
    ['not-retryable', 1, 2], ['not-retryable', 2, 2],
    ['exhaust', 1, 75], ['exhaust', 2, 75], ['exhaust', 3, 75],
    ['no-such-mode', 1, 64],
  ])('mode %s, attempt %d exits %d', (mode, attempt, code) => {
    expect(exitCode(mode as string, attempt as number)).toBe(code);
  });

  test('exits 64 without its inputs, so that a broken override never passes for a case', () => {
    expect(run({ [ATTEMPT_VARIABLE]: '1' }).status).toBe(64);
    expect(run({ [MODE_VARIABLE]: 'not-retryable' }).status).toBe(64);
    expect(run({ [MODE_VARIABLE]: 'exhaust', [ATTEMPT_VARIABLE]: 'x' }).status).toBe(64);
  });

  test('logs the case and the attempt', () => {
    expect(run({ [MODE_VARIABLE]: 'recover', [ATTEMPT_VARIABLE]: '2' }).stdout).toBe('retryable-ecs-run-task integ: mode=recover attempt=2\n');
  });
});

/**
 * Offline dress rehearsal of a deploy: the synthesized state machine runs in aws-local-stepfunctions
 * with the real decider; each ECS attempt "runs" the container script with the environment the
 * Run task state passed, and stops the way ECS reports an exited essential container. The
 * resulting DescribeExecution response is then matched by integ-tests' own assertion handler.
 */
describe('integ assertions against locally executed cases', () => {
  // The decider and the assertion handler log every call; keep the test output readable.
  beforeAll(() => {
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterAll(() => jest.restoreAllMocks());

  async function executeCase(mode: RetryCase): Promise<LocalExecution> {
    // Outcomes are given up front: the script's exit for attempt 1, 2, ... until it succeeds.
    const outcomes = caseOutcomes(mode);
    const result = await executeLocally(renderedDefinition(built.testStack), { outcomes, input: { mode } });
    // The environment the state machine really passed is the one the outcomes assumed.
    result.runTaskInputs.forEach((input, i) => {
      const env = input.Overrides.ContainerOverrides[0].Environment;
      expect(env).toEqual([{ Name: MODE_VARIABLE, Value: mode }, { Name: ATTEMPT_VARIABLE, Value: String(i + 1) }]);
    });
    return result;
  }

  let responses: Record<RetryCase, DescribeExecutionResponse>;
  let executions: Record<RetryCase, LocalExecution>;
  beforeAll(async () => {
    executions = {} as Record<RetryCase, LocalExecution>;
    for (const mode of RETRY_CASES) {
      executions[mode] = await executeCase(mode);
    }
    responses = Object.fromEntries(RETRY_CASES.map((m) => [m, describeResponse(m, executions[m])])) as typeof responses;
  });

  test('the cases run as designed: 2, 1 and 3 attempts', () => {
    expect(RETRY_CASES.map((m) => [m, executions[m].status, executions[m].runTaskCalls])).toEqual([
      ['recover', 'SUCCEEDED', 2],
      ['not-retryable', 'FAILED', 1],
      ['exhaust', 'FAILED', 3],
    ]);
    expect(executions.exhaust.error).toBe(RetryErrors.ATTEMPTS_EXHAUSTED);
    expect(executions['not-retryable'].error).toBe(RetryErrors.NOT_RETRYABLE);
  });

  test.each(RETRY_CASES.map((c) => [c]))('the %s expectation matches its own execution and no other', async (expectedCase) => {
    const expected: string = caseResources()[expectedCase].describe.Properties.expected;
    for (const actualCase of RETRY_CASES) {
      expect([actualCase, await matches(expected, responses[actualCase])]).toEqual([actualCase, actualCase === expectedCase]);
    }
  });

  test('a running execution does not match yet, so the waiter polls again', async () => {
    for (const c of RETRY_CASES) {
      const running: DescribeExecutionResponse = { ...responses[c], status: 'RUNNING', stopDate: undefined, output: undefined, error: undefined, cause: undefined };
      expect(await matches(caseResources()[c].describe.Properties.expected, running)).toBe(false);
    }
  });

  test('recover does not match a success with two failed attempts', async () => {
    const output = executions.recover.output;
    const twice = {
      ...responses.recover,
      output: JSON.stringify({
        ...output,
        retryableEcsRunTask: {
          ...output.retryableEcsRunTask,
          attempts: 3,
          history: [output.retryableEcsRunTask.history[0], { ...output.retryableEcsRunTask.history[0], attempt: 2 }],
        },
      }),
    };
    expect(await matches(caseResources().recover.describe.Properties.expected, responses.recover)).toBe(true);
    expect(await matches(caseResources().recover.describe.Properties.expected, twice)).toBe(false);
  });

  test('exhaust does not match a run that stopped after 2 attempts', async () => {
    const early = { ...responses.exhaust, cause: responses.exhaust.cause!.replace(/^Attempt 3 /, 'Attempt 2 ') };
    expect(early.cause).toMatch(/^Attempt 2 /);
    expect(await matches(caseResources().exhaust.describe.Properties.expected, early)).toBe(false);
  });
});
