import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { DecisionEngine, RetryErrors } from '../../src';
import { evaluateSfnField } from '../engines/support/sfn-jsonata';
import { ATTEMPT_VARIABLE, caseOutcomes, decode, DESCRIBE_TYPE, describeResponse, matches, START_TYPE } from '../integ-support/rehearsal';
import {
  buildRetryIntegTest,
  CONTAINER_NAME,
  caseScript,
  EXPECTED_METRIC_EVENTS,
  INTEG_NAMES,
  INTEG_POLICY,
  MODE_VARIABLE,
  RETRY_CASES,
  RetryCase,
  RetryIntegTest,
  STATE_MACHINE_ENGINE_INTEG_NAMES,
} from '../integ-support/retry-cases';
import { renderedDefinition } from '../support/local-execution';
import { MiniStack } from '../support/ministack';
import { deployToMiniStack, executeInMiniStack, MiniStackExecution, MiniStackScenario, runTaskMockConfig } from '../support/ministack-execution';

// The integ test of DecisionEngine.STATE_MACHINE (test/integ.state-machine-engine.ts): what it
// deploys, what its assertions expect, and a dress rehearsal of a deploy in MiniStack, which
// evaluates the JSONata states (aws-local-stepfunctions cannot). test/construct/integ-assertions.test.ts
// does the same for the Lambda engine's integ test.

// The integ-tests assertion handler's base class imports the Step Functions client to start waiter
// executions; these tests only match results locally, so a stub keeps every AWS client out.
jest.mock('@aws-sdk/client-sfn', () => ({ SFN: class {} }), { virtual: true });

const FILTER_LOG_EVENTS_TYPE = 'Custom::DeployAssert@SdkCallCloudWatchLogsfilterLogEvents';
const METRIC_NAMES = ['AttemptsExhausted', 'NotRetryable', 'Retries'];

/** Synthesized once: the integ app exactly as test/integ.state-machine-engine.ts builds it. */
let built: RetryIntegTest;
let assembly: CloudAssembly;
let testTemplate: Template;
let assertionTemplate: Template;
/** The Lambda engine's integ test, whose expectations this one shares. */
let lambdaAssertionTemplate: Template;

beforeAll(() => {
  const app = new App();
  built = buildRetryIntegTest(app, { decisionEngine: DecisionEngine.STATE_MACHINE });
  assembly = app.synth();
  testTemplate = Template.fromJSON(assembly.getStackArtifact(built.testStack.artifactId).template);
  assertionTemplate = Template.fromJSON(assembly.getStackArtifact(built.assertionStack.artifactId).template);

  const lambdaApp = new App();
  const lambdaBuilt = buildRetryIntegTest(lambdaApp);
  lambdaAssertionTemplate = Template.fromJSON(lambdaApp.synth().getStackArtifact(lambdaBuilt.assertionStack.artifactId).template);
});

/** The `expected` property of each case's describe call, by case, decoded when `decoded`. */
function describeExpectations(template: Template, decoded = true): Record<RetryCase, any> {
  const starts = template.findResources(START_TYPE);
  const result: Partial<Record<RetryCase, any>> = {};
  for (const describe of Object.values(template.findResources(DESCRIBE_TYPE))) {
    const startId: string = describe.Properties.parameters.executionArn['Fn::Join'][1][1]['Fn::GetAtt'][0];
    const mode = JSON.parse(decode(starts[startId].Properties.parameters.input)).mode as RetryCase;
    result[mode] = decoded ? decode(describe.Properties.expected) : describe.Properties.expected;
  }
  return result as Record<RetryCase, any>;
}

/** The filterLogEvents calls, by the metric whose filter pattern they search with. */
function metricEventCalls(): Record<string, { id: string; resource: any }> {
  const patterns = Object.fromEntries(Object.values(testTemplate.findResources('AWS::Logs::MetricFilter'))
    .map((f) => [f.Properties.FilterPattern, f.Properties.MetricTransformations[0].MetricName]));
  return Object.fromEntries(Object.entries(assertionTemplate.findResources(FILTER_LOG_EVENTS_TYPE))
    .map(([id, resource]) => [patterns[decode(resource.Properties.parameters.filterPattern)], { id, resource }]));
}

const runTaskState = () => renderedDefinition(built.testStack).States['Run task'] as any;

/**
 * The RunTask request of attempt `attempt` on `capacity`, as Step Functions evaluates the one
 * ECS task state's Arguments, with the launch targets the run assigns when it starts.
 */
async function runTaskRequest(input: unknown, attempt: number, capacity: 'primary' | 'fallback'): Promise<any> {
  const { retry_targets: launchTargets } = (renderedDefinition(built.testStack).States['Start attempts'] as any).Assign;
  return evaluateSfnField(runTaskState().Arguments, {
    states: { input },
    variables: { retry_attempt: attempt, retry_placement: { sizeIndex: 0, capacity }, retry_targets: launchTargets },
  });
}

describe('the state machine engine\'s integ test stack', () => {
  test('decides without Lambda: no function in the stack, none on the run', () => {
    testTemplate.resourceCountIs('AWS::Lambda::Function', 0);
    testTemplate.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    expect(built.job.decider).toBeUndefined();
    for (const [name, state] of Object.entries<any>(renderedDefinition(built.testStack).States)) {
      expect([name, state.QueryLanguage]).toEqual([name, 'JSONata']);
    }
  });

  test('passes the case from the execution input and the attempt number to the container, in JSONata', async () => {
    expect((await runTaskRequest({ mode: 'recover' }, 2, 'fallback')).Overrides.ContainerOverrides).toEqual([{
      Name: CONTAINER_NAME,
      Environment: [
        { Name: MODE_VARIABLE, Value: 'recover' },
        { Name: ATTEMPT_VARIABLE, Value: '2' },
      ],
    }]);
    expect(runTaskState().TimeoutSeconds).toBe(INTEG_POLICY.attemptTimeout.toSeconds());
    expect(renderedDefinition(built.testStack).TimeoutSeconds).toBe(INTEG_POLICY.timeout.toSeconds());
  });

  test('runs the same task as the Lambda engine\'s test, with a public IP in the public subnets', async () => {
    const awsvpc = (await runTaskRequest({ mode: 'recover' }, 1, 'primary')).NetworkConfiguration.AwsvpcConfiguration;
    expect(awsvpc.AssignPublicIp).toBe('ENABLED');
    testTemplate.resourceCountIs('AWS::EC2::NatGateway', 0);
    testTemplate.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '256',
      Memory: '512',
      ContainerDefinitions: [{ Name: CONTAINER_NAME, Command: ['sh', '-c', caseScript()] }],
    });
  });

  test('retries exit code 75 up to 3 attempts with short, unjittered waits', () => {
    const start = renderedDefinition(built.testStack).States['Start attempts'] as any;
    expect(start.Assign.retry_policy).toMatchObject({
      maxAttempts: 3,
      intervalSeconds: 5,
      backoffRate: 2,
      maxDelaySeconds: 10,
      jitter: 'NONE',
      retryableExitCodes: [75],
    });
  });

  test('logs at level ALL without execution data, to a log group deleted with the stack', () => {
    const [stateMachine] = Object.values(testTemplate.findResources('AWS::StepFunctions::StateMachine'));
    const logging = stateMachine.Properties.LoggingConfiguration;
    expect(logging).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    const logGroupId = logging.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
    const logGroups = testTemplate.findResources('AWS::Logs::LogGroup');
    // The task's log group and the state machine's: no decider's.
    expect(Object.keys(logGroups)).toHaveLength(2);
    expect(logGroups[logGroupId]).toBeDefined();
    for (const logGroup of Object.values(logGroups)) {
      expect(logGroup.DeletionPolicy).toBe('Delete');
    }
    // The run's metric filters are on that log group.
    const filters = Object.values(testTemplate.findResources('AWS::Logs::MetricFilter'));
    expect(filters.map((f) => f.Properties.MetricTransformations[0].MetricName).sort()).toEqual(METRIC_NAMES);
    for (const filter of filters) {
      expect(filter.Properties.LogGroupName).toEqual({ Ref: logGroupId });
    }
  });

  test('declares a test case of its own for integ-runner: us-east-1, no update workflow, asset hashes not diffed', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'integ.json'), 'utf8'));
    expect(manifest.testCases).toEqual({
      [`${STATE_MACHINE_ENGINE_INTEG_NAMES.integTest}/DefaultTest`]: {
        stacks: [STATE_MACHINE_ENGINE_INTEG_NAMES.testStack],
        regions: ['us-east-1'],
        diffAssets: false,
        stackUpdateWorkflow: false,
        assertionStack: STATE_MACHINE_ENGINE_INTEG_NAMES.assertionStack,
        assertionStackName: STATE_MACHINE_ENGINE_INTEG_NAMES.assertionStack,
      },
    });
    // Its stacks never collide with the Lambda engine's test when both are deployed.
    expect(Object.values(STATE_MACHINE_ENGINE_INTEG_NAMES).filter((n) => (Object.values(INTEG_NAMES) as string[]).includes(n))).toEqual([]);
  });
});

describe('the state machine engine\'s integ assertions', () => {
  test('start one execution per case, of the test stack\'s state machine', () => {
    const starts = Object.values(assertionTemplate.findResources(START_TYPE));
    expect(starts.map((s) => JSON.parse(decode(s.Properties.parameters.input)).mode).sort()).toEqual(['exhaust', 'not-retryable', 'recover']);
  });

  test('expect of each case exactly what the Lambda engine\'s test expects: same result, history, error and cause', () => {
    expect(describeExpectations(assertionTemplate)).toEqual(describeExpectations(lambdaAssertionTemplate));
  });

  test('search the state machine\'s log with each metric filter\'s own pattern, for exactly the events the cases add', () => {
    const calls = metricEventCalls();
    expect(Object.keys(calls).sort()).toEqual(METRIC_NAMES);
    const eventsOf = (resource: any) => decode(resource.Properties.expected).$ObjectLike.events.length;
    const expectedEvents = Object.entries(calls).map(([metric, { resource }]) => [metric, eventsOf(resource)]);
    expect(Object.fromEntries(expectedEvents)).toEqual({ Retries: 3, AttemptsExhausted: 1, NotRetryable: 1 });
    // The log group is the test stack's, imported by the assertion stack.
    const outputs = testTemplate.findOutputs('*');
    const [stateMachine] = Object.values(testTemplate.findResources('AWS::StepFunctions::StateMachine'));
    const logGroupId = stateMachine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
    for (const { resource } of Object.values(calls)) {
      expect(resource.Properties.service).toBe('CloudWatchLogs');
      expect(resource.Properties.flattenResponse).toBe('false');
      const imported = resource.Properties.parameters.logGroupName['Fn::Join'][1][1]['Fn::ImportValue'];
      expect(Object.values(outputs).find((o: any) => o.Export?.Name === imported)).toEqual(expect.objectContaining({ Value: { Ref: logGroupId } }));
    }
    expect(EXPECTED_METRIC_EVENTS.exhaust.Retries).toBe(INTEG_POLICY.maxAttempts - 1);
  });

  test('search the log only once every execution has ended, for up to 10 minutes, every 30 seconds', () => {
    const describeIds = Object.keys(assertionTemplate.findResources(DESCRIBE_TYPE));
    expect(describeIds).toHaveLength(3);
    for (const { resource } of Object.values(metricEventCalls())) {
      expect(resource.DependsOn).toEqual(expect.arrayContaining(describeIds));
      expect(resource.Properties.stateMachineArn).toEqual({ Ref: expect.stringContaining('WaitFor') });
    }
    const waiters = Object.values(assertionTemplate.findResources('AWS::StepFunctions::StateMachine'))
      .map((w) => JSON.stringify(w.Properties.DefinitionString));
    expect(waiters).toHaveLength(6);
    expect(waiters.filter((w) => w.includes('\\"IntervalSeconds\\":30,\\"MaxAttempts\\":30,\\"BackoffRate\\":1'))).toHaveLength(3);
    expect(waiters.filter((w) => w.includes('\\"IntervalSeconds\\":30,\\"MaxAttempts\\":20,\\"BackoffRate\\":1'))).toHaveLength(3);
  });

  test('the assertion handlers may search the log', () => {
    const statements = Object.values(assertionTemplate.findResources('AWS::IAM::Role'))
      .flatMap((role: any) => (role.Properties.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement));
    expect(statements.some((s: any) => [s.Action].flat().includes('logs:FilterLogEvents'))).toBe(true);
  });
});

/**
 * Offline dress rehearsal of a deploy: MiniStack runs the synthesized state machine, JSONata and
 * all; each ECS attempt "runs" the container script with the environment the Run task state
 * passed, and stops the way ECS reports an exited essential container. integ-tests' own assertion
 * handler then matches the DescribeExecution responses, and the log events Step Functions would
 * log for the executions' histories, as FilterLogEvents would return them for each metric filter.
 */
describe('the state machine engine\'s integ assertions against cases executed in MiniStack', () => {
  const MACHINE = 'IntegStateMachineEngine';

  // The assertion handler logs every call; keep the test output readable.
  beforeAll(() => {
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterAll(() => jest.restoreAllMocks());

  /** The outcomes of a case: the script's exit for attempt 1, 2, ... until it succeeds. */
  function scenario(mode: RetryCase): MiniStackScenario {
    return { outcomes: caseOutcomes(mode), input: { mode } };
  }

  /**
   * The log event Step Functions writes for a history event at level ALL without execution data:
   * one JSON object with the event type in `type` and the event's details, less input and output,
   * in `details`.
   *
   * @see https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
   */
  function logMessage(mode: RetryCase, event: any) {
    const detailsKey = Object.keys(event).find((key) => key.endsWith('EventDetails'));
    const { input: _input, output: _output, ...details } = detailsKey ? event[detailsKey] : ({} as any);
    return {
      id: String(event.id),
      type: event.type,
      details,
      previous_event_id: String(event.previousEventId ?? 0),
      execution_arn: `arn:aws:states:us-east-1:123456789012:execution:Job:${mode}`,
    };
  }

  /**
   * Whether a log message matches a pattern of the shape the state machine engine's metric
   * filters have (`{ ($.type = "T") && (($.details.name = "A") || ...) }`). Any other shape fails
   * the test: this rehearsal understands no more of the filter pattern syntax.
   */
  function matchesPattern(pattern: string, message: { type: string; details: any }): boolean {
    const shape = /^\{ \(\$\.type = "([A-Za-z]+)"\) && \(((?:\(\$\.details\.name = "[^"\\*]*"\)(?: \|\| )?)+)\) \}$/.exec(pattern);
    if (!shape) {
      throw new Error(`a filter pattern this rehearsal cannot evaluate: ${pattern}`);
    }
    const names = [...shape[2].matchAll(/\$\.details\.name = "([^"]*)"/g)].map((m) => m[1]);
    return message.type === shape[1] && names.includes(message.details?.name);
  }

  let ministack: MiniStack | undefined;
  let executions: Record<RetryCase, MiniStackExecution>;
  /** Every log event of the three executions, in the order of their histories. */
  let logMessages: ReturnType<typeof logMessage>[];

  beforeAll(async () => {
    const scenarios = Object.fromEntries(RETRY_CASES.map((mode) => [mode, scenario(mode)])) as Record<RetryCase, MiniStackScenario>;
    ministack = await MiniStack.start(runTaskMockConfig(MACHINE, scenarios));
    const arn = await deployToMiniStack(ministack, MACHINE, renderedDefinition(built.testStack));
    executions = await executeInMiniStack(ministack, arn, scenarios) as Record<RetryCase, MiniStackExecution>;
    logMessages = RETRY_CASES.flatMap((mode) => executions[mode].events.map((event) => logMessage(mode, event)));
  }, 180_000);

  afterAll(async () => {
    await ministack?.stop();
  });

  /** FilterLogEvents' response for a pattern: every log event it matches. */
  const filterLogEvents = (pattern: string, dropLast = false) => {
    const events = logMessages.filter((m) => matchesPattern(pattern, m)).map((m, i) => ({
      logStreamName: 'states/Job/2026-11-29/00000000',
      timestamp: 1000 + i,
      message: JSON.stringify(m),
      ingestionTime: 2000 + i,
      eventId: String(i),
    }));
    return { events: dropLast ? events.slice(0, -1) : events, searchedLogStreams: [] };
  };

  test('the cases run as designed: 2, 1 and 3 attempts', () => {
    expect(RETRY_CASES.map((m) => [m, executions[m].status, executions[m].runTaskCalls])).toEqual([
      ['recover', 'SUCCEEDED', 2],
      ['not-retryable', 'FAILED', 1],
      ['exhaust', 'FAILED', 3],
    ]);
    expect(executions.exhaust.error).toBe(RetryErrors.ATTEMPTS_EXHAUSTED);
    expect(executions['not-retryable'].error).toBe(RetryErrors.NOT_RETRYABLE);
  });

  test('each attempt passes the case and its own number to the container, as the outcomes assumed: the first on Fargate Spot, retries on Fargate', async () => {
    for (const mode of RETRY_CASES) {
      const inputs = executions[mode].events
        .filter((e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails.name === 'Run task')
        .map((e) => JSON.parse(e.stateEnteredEventDetails.input));
      expect(inputs).toHaveLength(executions[mode].runTaskCalls);
      // MiniStack evaluates the request of an attempt whose mocked task fails; evaluate each as Step Functions would.
      const evaluated = executions[mode].events.filter((e) => e.type === 'TaskScheduled').map((e) => JSON.parse(e.taskScheduledEventDetails.parameters));
      const requests = await Promise.all(inputs.map((input, i) => runTaskRequest(input, i + 1, i === 0 ? 'primary' : 'fallback')));
      expect(evaluated).toEqual(requests.slice(0, evaluated.length));
      expect([mode, requests.map((r) => [r.Overrides.ContainerOverrides[0].Environment, r.CapacityProviderStrategy, r.LaunchType])])
        .toEqual([mode, inputs.map((_, i) => [
          [{ Name: MODE_VARIABLE, Value: mode }, { Name: ATTEMPT_VARIABLE, Value: String(i + 1) }],
          i === 0 ? [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }] : undefined,
          i === 0 ? undefined : 'FARGATE',
        ])]);
    }
  });

  test.each(RETRY_CASES.map((c) => [c]))('the %s expectation matches its own execution and no other', async (expectedCase) => {
    const expected: string = describeExpectations(assertionTemplate, false)[expectedCase];
    for (const actualCase of RETRY_CASES) {
      const matched = await matches(expected, describeResponse(actualCase, executions[actualCase]));
      expect([actualCase, matched]).toEqual([actualCase, actualCase === expectedCase]);
    }
  });

  test('each metric\'s expectation matches the log events its filter finds once all three executions have ended', async () => {
    const calls = metricEventCalls();
    for (const [metric, { resource }] of Object.entries(calls)) {
      const pattern = decode(resource.Properties.parameters.filterPattern);
      const response = filterLogEvents(pattern);
      const expectedCount = RETRY_CASES.reduce((sum, c) => sum + (EXPECTED_METRIC_EVENTS[c][metric] ?? 0), 0);
      expect([metric, response.events.length]).toEqual([metric, expectedCount]);
      expect([metric, await matches(resource.Properties.expected, response)]).toEqual([metric, true]);
      // A log that does not hold every event yet does not match, so the waiter searches again.
      expect([metric, await matches(resource.Properties.expected, filterLogEvents(pattern, true))]).toEqual([metric, false]);
    }
  });

  test('the metric filters count what the executions did: a Back off per retry, the Fail state each failed run ends in', () => {
    const entered = (mode: RetryCase, state: string) => executions[mode].statesEntered.filter((s) => s === state).length;
    const counted = (mode: RetryCase, metric: string) => EXPECTED_METRIC_EVENTS[mode][metric] ?? 0;
    expect(RETRY_CASES.map((m) => [m, entered(m, 'Back off'), entered(m, 'Attempts exhausted'), entered(m, 'Not retryable')])).toEqual(
      RETRY_CASES.map((m) => [m, counted(m, 'Retries'), counted(m, 'AttemptsExhausted'), counted(m, 'NotRetryable')]),
    );
  });
});
