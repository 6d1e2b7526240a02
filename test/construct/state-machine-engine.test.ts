import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import jsonata from 'jsonata';
import {
  DecisionEngine, RetryableEcsRunTask, RetryableEcsRunTaskFragment, RetryableEcsRunTaskFragmentProps, RetryableEcsRunTaskProps,
  RetryErrors, TaskResult,
} from '../../src';
import { policyDocument } from '../../src/engines/state-machine/decision-expression';
import { cdkCapabilities } from '../../src/engines/state-machine/jsonata-support';
import { runMetricNamespace, stateEnteredPattern } from '../../src/engines/state-machine/log-metrics';
import { renderRetryPolicy } from '../../src/policy/render-retry-policy';
import { evaluateSfnField } from '../engines/support/sfn-jsonata';
import { successTask, taskSummary } from '../support/fixtures';
import { renderedDefinition } from '../support/local-execution';
import { testEnvironment, TestEnvironment } from '../support/stack';

const STATE_MACHINE = DecisionEngine.STATE_MACHINE;

/** Evaluates a state field's `{% %}` expression with jsonata-js, given `$states` and the variables. */
/** A state's input with the decision where the Catch puts it, at the default result path. */
function inState(decision: unknown): Record<string, unknown> {
  return { input: { retryableEcsRunTask: { failures: decision } } };
}

async function evaluate(field: string, states: Record<string, unknown>, variables: Record<string, unknown> = {}): Promise<unknown> {
  const match = /^\{%([\s\S]*)%\}$/.exec(field);
  if (!match) {
    throw new Error(`not a JSONata expression: ${field}`);
  }
  return jsonata(match[1]).evaluate({}, { ...variables, states });
}

describe('DecisionEngine.STATE_MACHINE', () => {
  let env: TestEnvironment;
  beforeEach(() => {
    env = testEnvironment();
  });
  const standalone = (props: Partial<RetryableEcsRunTaskProps> = {}, id = 'Job') => new RetryableEcsRunTask(env.stack, id, {
    cluster: env.cluster, taskDefinition: env.taskDefinition, decisionEngine: STATE_MACHINE, ...props,
  });
  const fragment = (id: string, props: Partial<RetryableEcsRunTaskFragmentProps> = {}) =>
    new RetryableEcsRunTaskFragment(env.stack, id, {
      cluster: env.cluster, taskDefinition: env.taskDefinition, decisionEngine: STATE_MACHINE, ...props,
    });
  const workflow = (chainable: sfn.IChainable) =>
    new sfn.StateMachine(env.stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(chainable) });
  const states = () => renderedDefinition(env.stack).States as Record<string, any>;

  describe('resources', () => {
    test('no Lambda function, no decider role and no decider log group', () => {
      // GIVEN / WHEN
      const job = standalone({ successTopic: new sns.Topic(env.stack, 'Topic') });

      // THEN
      const template = Template.fromStack(env.stack);
      template.resourceCountIs('AWS::Lambda::Function', 0);
      expect(Object.keys(template.findResources('AWS::IAM::Role', {
        Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] } },
      }))).toEqual([]);
      // Besides the task definition's, the one log group is the state machine's own.
      expect(Object.keys(template.findResources('AWS::Logs::LogGroup')).filter((id) => !id.startsWith('TaskDef')))
        .toEqual([expect.stringMatching(/^JobLogs/)]);
      expect(job.decider).toBeUndefined();
      expect(job.deciderLogGroup).toBeUndefined();
      expect(job.fragment.decider).toBeUndefined();
      expect(job.fragment.decisionEngine).toBe(STATE_MACHINE);
      expect(JSON.stringify(template.toJSON())).not.toMatch(/lambda:InvokeFunction|RetryableEcsRunTaskDecider/);
    });

    test('a stack with both engines has the decider for the Lambda runs only', () => {
      standalone({}, 'NoLambda');
      new RetryableEcsRunTask(env.stack, 'WithLambda', { cluster: env.cluster, taskDefinition: env.taskDefinition });
      Template.fromStack(env.stack).resourceCountIs('AWS::Lambda::Function', 1);
    });

    test('the ECS permissions are the Lambda engine\'s, statement for statement', () => {
      const ecsStatements = (stack: Stack) => Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
        .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement)
        .filter((statement: any) => [statement.Action].flat().some((action: string) => /^(ecs|iam|events):/.test(action)));

      standalone();
      const other = testEnvironment();
      new RetryableEcsRunTask(other.stack, 'Job', { cluster: other.cluster, taskDefinition: other.taskDefinition });

      expect(ecsStatements(env.stack)).toEqual(ecsStatements(other.stack));
      expect(ecsStatements(env.stack).length).toBeGreaterThanOrEqual(3);
    });

    test('the Lambda engine is the default, and choosing it changes nothing', () => {
      const explicit = testEnvironment();
      new RetryableEcsRunTask(env.stack, 'Job', { cluster: env.cluster, taskDefinition: env.taskDefinition });
      new RetryableEcsRunTask(explicit.stack, 'Job', { cluster: explicit.cluster, taskDefinition: explicit.taskDefinition, decisionEngine: DecisionEngine.LAMBDA_FUNCTION });

      expect(Template.fromStack(explicit.stack).toJSON()).toEqual(Template.fromStack(env.stack).toJSON());
      expect(JSON.stringify(renderedDefinition(env.stack))).not.toMatch(/JSONata/);
    });
  });

  describe('states', () => {
    test('every state of the run is JSONata, inside a JSONPath workflow and its Map', () => {
      // GIVEN
      const job = fragment('Extract', { resultPath: '$.extract', successTopic: new sns.Topic(env.stack, 'Done'), failureTopic: new sns.Topic(env.stack, 'Failed') });
      const map = new sfn.Map(env.stack, 'Each partition', { itemsPath: '$.partitions' }).itemProcessor(job);

      // WHEN
      workflow(map.next(new sfn.Pass(env.stack, 'After', { resultPath: '$.after' })));
      const definition = renderedDefinition(env.stack) as any;

      // THEN
      expect(definition.QueryLanguage).toBeUndefined();
      expect(definition.States['Each partition'].QueryLanguage).toBeUndefined();
      expect(definition.States.After.QueryLanguage).toBeUndefined();
      const inner = definition.States['Each partition'].ItemProcessor.States as Record<string, any>;
      expect(Object.keys(inner).length).toBeGreaterThanOrEqual(12);
      for (const [name, state] of Object.entries(inner)) {
        expect([name, state.QueryLanguage]).toEqual([name, 'JSONata']);
        expect(state).not.toHaveProperty('Parameters');
        expect(state).not.toHaveProperty('ResultPath');
      }
    });

    test('a retry is Catch, Retry or fail, Back off, Run task; success is Start attempts, Run task', () => {
      standalone({ maxAttempts: 4, maxDelay: Duration.minutes(2) });
      const s = states();

      expect(s['Start attempts']).toMatchObject({ Type: 'Pass', Next: 'Run task', Assign: { retry_attempt: 1, retry_history: [] } });
      expect(s['Start attempts']).not.toHaveProperty('Output');
      expect(s['Run task']).toMatchObject({ Type: 'Task', Resource: 'arn:aws:states:::ecs:runTask.sync', End: true });
      expect(s['Run task'].Catch).toEqual([{
        ErrorEquals: ['States.ALL'],
        // The decision travels in the state, where the Lambda engine keeps it: an execution's
        // history shows it as the input of Retry or fail.
        Output: expect.stringMatching(/^\{% \$merge\(\[[\s\S]*"failures"[\s\S]*\$states\.errorOutput[\s\S]* %\}$/),
        Next: 'Retry or fail',
      }]);
      const [retry, exhausted, notRetryable] = s['Retry or fail'].Choices;
      expect(retry).toMatchObject({
        Next: 'Back off',
        Assign: { retry_attempt: '{% $retry_attempt + 1 %}', retry_history: '{% $states.input.`retryableEcsRunTask`.`failures`.history %}' },
      });
      expect(retry.Condition).toContain('$retry_attempt < 4');
      expect(retry.Condition).toMatch(/^\{% \(\$d := \$states\.input\.`retryableEcsRunTask`\.`failures`; /);
      expect(retry.Condition).toContain('$d.waitSeconds <= 120');
      expect(exhausted).toMatchObject({ Next: 'Attempts exhausted', Condition: expect.stringContaining('$retry_attempt >= 4') });
      expect(notRetryable.Next).toBe('Not retryable');
      expect(s['Retry or fail'].Default).toBe('Invalid decision');
      expect(s['Back off']).toEqual({ Type: 'Wait', QueryLanguage: 'JSONata', Seconds: '{% $states.input.`retryableEcsRunTask`.`failures`.waitSeconds %}', Next: 'Run task' });
      expect(s['Attempts exhausted']).toEqual({
        Type: 'Fail', QueryLanguage: 'JSONata', Error: RetryErrors.ATTEMPTS_EXHAUSTED, Cause: '{% $states.input.`retryableEcsRunTask`.`failures`.cause %}',
      });
      expect(s['Not retryable'].Error).toBe(RetryErrors.NOT_RETRYABLE);
      expect(s['Invalid decision']).toMatchObject({
        Error: RetryErrors.INVALID_DECISION, Cause: 'The retry decider returned a decision the state machine cannot act on.',
      });
      expect(Object.keys(s).sort()).toEqual(['Attempts exhausted', 'Back off', 'Invalid decision', 'Not retryable', 'Retry or fail', 'Run task', 'Start attempts']);
    });

    test('Start attempts assigns the whole rendered policy, once: no Comment repeats it', () => {
      standalone({ maxAttempts: 5, retryableExitCodes: [75], outOfMemorySizes: [{ memoryMiB: 1024 }] });
      const { waits, ...policy } = states()['Start attempts'].Assign.retry_policy;

      expect(policy).toEqual(JSON.parse(JSON.stringify({ ...renderRetryPolicy({ maxAttempts: 5, retryableExitCodes: [75] }), sizes: policy.sizes })));
      expect(policy.sizes.map((size: any) => [size.cpu, size.memoryMiB])).toEqual([[256, 512], [256, 1024]]);
      expect(waits).toEqual([30, 60, 120, 240]);
      expect(states()['Retry or fail'].Comment).toBeUndefined();
    });

    test('each fragment has variables of its own; the standalone run has plain names', () => {
      const first = fragment('First', { resultPath: '$.first' });
      const second = fragment('Second', { resultPath: '$.second' });
      workflow(first.next(second));
      const variables = Object.keys(states()['First: Start attempts'].Assign);
      const others = Object.keys(states()['Second: Start attempts'].Assign);

      expect(variables).toEqual([
        expect.stringMatching(/^retry_[0-9a-f]{8}_attempt$/), expect.stringMatching(/^retry_[0-9a-f]{8}_history$/), expect.stringMatching(/^retry_[0-9a-f]{8}_policy$/),
      ]);
      expect(others).not.toEqual(variables);
      expect(JSON.stringify(states()['Second: Run task'])).not.toContain(variables[0]);

      const single = testEnvironment();
      new RetryableEcsRunTask(single.stack, 'Job', { cluster: single.cluster, taskDefinition: single.taskDefinition, decisionEngine: STATE_MACHINE });
      const start = (renderedDefinition(single.stack).States as any)['Start attempts'];
      expect(Object.keys(start.Assign)).toEqual(['retry_attempt', 'retry_history', 'retry_policy']);
      // The policy the decision reads, as data: the lists and the wait after each attempt.
      expect(start.Assign.retry_policy).toEqual(policyDocument(renderRetryPolicy({})));
      expect(start.Assign.retry_policy.waits).toEqual([30, 60]);
    });

    test('stateNamePrefix and the fallback launch target keep working: one ECS task state, no Choice before it', () => {
      const job = fragment('Job', {
        stateNamePrefix: 'nightly ',
        fallbackLaunchTarget: new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.VERSION1_4 }),
      });
      workflow(job);
      const s = states();

      expect(renderedDefinition(env.stack).StartAt).toBe('nightly Start attempts');
      expect(s['nightly Start attempts'].Next).toBe('nightly Run task');
      expect(s['nightly Back off'].Next).toBe('nightly Run task');
      expect(Object.keys(s).filter((name) => s[name].Type === 'Task')).toEqual(['nightly Run task']);
      expect(Object.keys(s).filter((name) => s[name].Type === 'Choice')).toEqual(['nightly Retry or fail']);
      expect(s['nightly Run task'].Catch).toHaveLength(1);
      expect(s['nightly Run task'].Arguments).toMatch(/^\{% \$merge\(\[.*\$retry_[0-9a-f]{8}_placement\.capacity = 'fallback' \? .* %\}$/s);
      expect(job.fallbackRunTask).toBeUndefined();
    });

    test('an EXPRESS state machine is still refused', () => {
      new sfn.StateMachine(env.stack, 'Workflow', { stateMachineType: sfn.StateMachineType.EXPRESS, definitionBody: sfn.DefinitionBody.fromChainable(fragment('Job')) });
      expect(() => Template.fromStack(env.stack)).toThrow(/cannot run in the EXPRESS state machine 'TestStack\/Workflow': its ECS task state 'Job: Run task'/);
    });
  });

  describe('what the states evaluate to', () => {
    test('the attempt number reaches every container as a string, in attemptEnvironmentVariable', async () => {
      standalone({ attemptEnvironmentVariable: 'ATTEMPT' });
      const [override] = states()['Run task'].Arguments.Overrides.ContainerOverrides;

      expect(override.Name).toBe('app');
      expect(override.Environment).toEqual([{ Name: 'ATTEMPT', Value: '{% $string($retry_attempt) %}' }]);
      expect(await evaluate(override.Environment[0].Value, {}, { retry_attempt: 2 })).toBe('2');
    });

    test.each([
      ['FULL, at the default resultPath', TaskResult.FULL, '$.retryableEcsRunTask', (r: any) => r.retryableEcsRunTask, successTask()],
      ['SUMMARY, at a nested resultPath', TaskResult.SUMMARY, '$.jobs.report', (r: any) => r.jobs.report, taskSummary(successTask())],
    ])('the Output puts the Lambda engine\'s result into the input: %s', async (_, taskResult, resultPath, at, task) => {
      standalone({ taskResult, resultPath });
      const output = states()['Run task'].Output;
      const input = { jobId: 'j', jobs: { other: 1 } };
      const history = [{ attempt: 1, rule: 'retryableStopCode:TaskFailedToStart' }];

      const result: any = await evaluate(output, { input, result: successTask() }, { retry_attempt: 2, retry_history: history });

      expect(at(result)).toEqual({ attempts: 2, history, task });
      expect(result.jobId).toBe('j');
      expect(result.jobs.other).toBe(1);
    });

    test('SUMMARY keeps arrays of container names and exit codes for one container or none', async () => {
      standalone({ taskResult: TaskResult.SUMMARY });
      const output = states()['Run task'].Output;
      const evaluateTask = async (task: Record<string, unknown>) =>
        ((await evaluate(output, { input: {}, result: task }, { retry_attempt: 1, retry_history: [] })) as any).retryableEcsRunTask.task;
      const oneContainer = { ...successTask(), Containers: [{ Name: 'app', ExitCode: 0 }] };

      expect(await evaluateTask(oneContainer)).toEqual(taskSummary(oneContainer));
      expect((await evaluateTask(oneContainer)).ContainerNames).toEqual(['app']);
      expect(await evaluateTask({ ...successTask(), Containers: [] })).toMatchObject({ ContainerNames: [], ExitCodes: [] });
    });

    test('with the adaptive features the result has the capacity and size of the last attempt', async () => {
      standalone({
        outOfMemorySizes: [{ memoryMiB: 1024 }],
        fallbackLaunchTarget: new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.VERSION1_4 }),
      });
      const s = states();
      const placement = { sizeIndex: 1, capacity: 'fallback', size: { cpu: 256, memoryMiB: 1024, containerMemoryMiB: [] } };
      const variables = { retry_attempt: 2, retry_history: [], retry_placement: placement, retry_targets: s['Start attempts'].Assign.retry_targets };
      const result: any = await evaluate(s['Run task'].Output, { input: {}, result: successTask() }, variables);

      expect(result.retryableEcsRunTask).toMatchObject({ attempts: 2, capacity: 'fallback', size: { cpu: 256, memoryMiB: 1024 } });
      expect(s['Start attempts'].Assign.retry_placement).toEqual({ sizeIndex: 0, capacity: 'primary', size: { cpu: 256, memoryMiB: 512, containerMemoryMiB: [] } });
      const request: any = await evaluateSfnField(s['Run task'].Arguments, { states: { input: {} }, variables });
      expect(request.Overrides).toMatchObject({ Cpu: '256', Memory: '1024' });
      expect(request.PlatformVersion).toBe('1.4.0');
    });

    describe('the Choice never fails to evaluate, whatever the decision holds', () => {
      const retry = { retryable: true, retry: true, waitSeconds: 10, rule: 'r', history: [{ attempt: 1 }], cause: 'c' };
      const decisions: Array<[string, unknown, string]> = [
        ['a retry', retry, 'Back off'],
        ['a retry on the last attempt', { ...retry, retry: true }, 'Back off'],
        ['not retryable', { ...retry, retryable: false, retry: false }, 'Not retryable'],
        ['retryable without a retry', { ...retry, retry: false }, 'Invalid decision'],
        ['a wait past maxDelay', { ...retry, waitSeconds: 301 }, 'Invalid decision'],
        ['a negative wait', { ...retry, waitSeconds: -1 }, 'Invalid decision'],
        ['a fractional wait', { ...retry, waitSeconds: 1.5 }, 'Invalid decision'],
        ['a wait that is a string', { ...retry, waitSeconds: '10' }, 'Invalid decision'],
        ['no history', { ...retry, history: undefined }, 'Invalid decision'],
        ['not retryable without a cause', { retryable: false }, 'Invalid decision'],
        ['a cause that is not a string', { retryable: false, cause: 7 }, 'Invalid decision'],
        ['retryable as a string', { ...retry, retryable: 'false', retry: 'true' }, 'Invalid decision'],
        ['an empty object', {}, 'Invalid decision'],
        ['null', null, 'Invalid decision'],
        ['a string', 'retry', 'Invalid decision'],
        ['an array that holds a retry', [retry], 'Invalid decision'],
        ['an array that holds a failure', [{ retryable: false, cause: 'c' }], 'Invalid decision'],
      ];

      test.each(decisions)('%s', async (_, decision, expected) => {
        standalone();
        const choice = states()['Retry or fail'];
        const chosen: string[] = [];
        for (const rule of choice.Choices) {
          const value = await evaluate(rule.Condition, inState(decision), { retry_attempt: 1, retry_history: [] });
          expect(typeof value).toBe('boolean');
          if (value === true) {
            chosen.push(rule.Next);
          }
        }
        expect(chosen[0] ?? choice.Default).toBe(expected);
      });

      test('on the last attempt a retryable failure exhausts the attempts', async () => {
        standalone({ maxAttempts: 2 });
        const choice = states()['Retry or fail'];
        const conditions = await Promise.all(choice.Choices.map((rule: any) =>
          evaluate(rule.Condition, inState({ ...retry, retry: true }), { retry_attempt: 2, retry_history: [] })));
        expect(conditions).toEqual([false, true, false]);
      });

      test.each<[string, unknown, boolean]>([
        ['the next size, on fallback', { sizeIndex: 1, capacity: 'fallback', size: { cpu: 256, memoryMiB: 1024, containerMemoryMiB: [] } }, true],
        ['back to primary from fallback', { sizeIndex: 0, capacity: 'primary', size: { cpu: 256, memoryMiB: 512, containerMemoryMiB: [] } }, false],
        ['past the ladder\'s end', { sizeIndex: 2, capacity: 'fallback', size: { cpu: 256, memoryMiB: 2048, containerMemoryMiB: [] } }, false],
        ['a size index that is a string', { sizeIndex: '1', capacity: 'fallback', size: { cpu: 256, memoryMiB: 1024 } }, false],
        ['no size', { sizeIndex: 1, capacity: 'fallback' }, false],
        ['no next placement', undefined, false],
      ])('an adaptive retry needs a well-formed next placement: %s', async (_, next, retries) => {
        standalone({
          outOfMemorySizes: [{ memoryMiB: 1024 }],
          fallbackLaunchTarget: new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.VERSION1_4 }),
        });
        const [rule] = states()['Retry or fail'].Choices;
        const placement = { sizeIndex: 0, capacity: 'fallback', size: { cpu: 256, memoryMiB: 512, containerMemoryMiB: [] } };
        const variables = { retry_attempt: 1, retry_history: [], retry_placement: placement };
        expect(await evaluate(rule.Condition, inState({ ...retry, next }), variables)).toBe(retries);
      });
    });
  });

  describe('notifications', () => {
    test('the Lambda engine\'s messages, attributes and retries, as JSONata publishes', () => {
      const topic = new sns.Topic(env.stack, 'Topic');
      standalone({ successTopic: topic, failureTopic: topic });
      const lambdaEnv = testEnvironment();
      const lambdaTopic = new sns.Topic(lambdaEnv.stack, 'Topic');
      new RetryableEcsRunTask(lambdaEnv.stack, 'Job', { cluster: lambdaEnv.cluster, taskDefinition: lambdaEnv.taskDefinition, successTopic: lambdaTopic, failureTopic: lambdaTopic });
      const s = states();
      const lambdaStates = renderedDefinition(lambdaEnv.stack).States as Record<string, any>;

      for (const name of ['Notify success', 'Notify attempts exhausted', 'Notify not retryable', 'Notify invalid decision']) {
        expect(s[name]).toMatchObject({ QueryLanguage: 'JSONata', Output: '{% $states.input %}', Retry: lambdaStates[name].Retry });
        expect(s[name].Arguments.MessageAttributes).toEqual(lambdaStates[name].Parameters.MessageAttributes);
        expect(Object.keys(s[name].Arguments.Message)).toEqual(Object.keys(lambdaStates[name].Parameters.Message).map((k) => k.replace(/\.\$$/, '')));
      }
      expect(s['Run task'].Next).toBe('Notify success');
      expect(s['Notify success'].Catch).toEqual([{
        ErrorEquals: ['States.ALL'], Output: expect.stringContaining('notificationLost'), Next: 'Success notification lost',
      }]);
      expect(s['Notify not retryable'].Catch[0].Next).toBe('Not retryable, notification lost');
      expect(s['Not retryable, notification lost'].Next).toBe('Not retryable (notification lost)');
      expect(s['Not retryable (notification lost)'].Error).toBe(RetryErrors.NOT_RETRYABLE);
    });

    test('a lost notification adds notificationLost, or appends to the cause', async () => {
      const topic = new sns.Topic(env.stack, 'Topic');
      standalone({ successTopic: topic, failureTopic: topic, resultPath: '$.a.b' });
      const s = states();
      const lost = { Error: 'SNS.KMSAccessDeniedException', Cause: 'denied' };
      const result = { attempts: 1, history: [], task: {} };

      expect(await evaluate(s['Notify success'].Catch[0].Output, { input: { x: 1, a: { b: result, c: 2 } }, errorOutput: lost }))
        .toEqual({ x: 1, a: { b: { ...result, notificationLost: lost }, c: 2 } });
      const afterLoss = { input: { a: { b: { failures: { cause: 'Attempt 1 failed', notificationLost: lost } } } } };
      expect(await evaluate(s['Notify not retryable'].Catch[0].Output, { input: { a: { b: { failures: { cause: 'Attempt 1 failed' } } } }, errorOutput: lost }))
        .toEqual(afterLoss.input);
      expect(await evaluate(s['Not retryable (notification lost)'].Cause, afterLoss))
        .toBe('Attempt 1 failed [failure notification lost: SNS.KMSAccessDeniedException]');
      expect(await evaluate(s['Invalid decision (notification lost)'].Cause, afterLoss))
        .toBe('The retry decider returned a decision the state machine cannot act on. [failure notification lost: SNS.KMSAccessDeniedException]');
    });

    test('a FIFO topic gets a fresh deduplication id from JSONata', () => {
      standalone({ failureTopic: new sns.Topic(env.stack, 'Fifo', { fifo: true }) });
      expect(states()['Notify not retryable'].Arguments).toMatchObject({ MessageGroupId: 'TestStack/Job/Run', MessageDeduplicationId: '{% $uuid() %}' });
    });
  });

  describe('metrics from the state machine\'s log', () => {
    test('the standalone run logs at level ALL, without execution data, to a log group kept a month', () => {
      const job = standalone();
      const template = Template.fromStack(env.stack);

      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: false,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobLogs'), 'Arn'] } } }],
        },
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
      expect(job.stateMachineLogGroup).toBeDefined();
    });

    test('a log group and execution data of the user\'s are kept', () => {
      const destination = new logs.LogGroup(env.stack, 'Mine');
      const job = standalone({ logs: { destination, includeExecutionData: true } });

      Template.fromStack(env.stack).hasResourceProperties('AWS::StepFunctions::StateMachine', {
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      });
      expect(job.stateMachineLogGroup).toBe(destination);
      // The task definition's and the user's.
      Template.fromStack(env.stack).resourceCountIs('AWS::Logs::LogGroup', 2);
    });

    test('a log level other than ALL is an error that names logs.level', () => {
      expect(() => standalone({ logs: { destination: new logs.LogGroup(env.stack, 'Mine'), level: sfn.LogLevel.ERROR } })).toThrow(
        '`logs.level` must be LogLevel.ALL with `decisionEngine: DecisionEngine.STATE_MACHINE`, whose metrics count the state machine\'s own log events, got: ERROR. '
        + 'Leave `level` unset, or set it to LogLevel.ALL.');
    });

    test('metric filters count the run\'s Wait and Fail states, in a namespace of the run', () => {
      const job = standalone({ successTopic: new sns.Topic(env.stack, 'Topic'), failureTopic: new sns.Topic(env.stack, 'Failed') });
      const metrics = [
        job.metricRetries(), job.metricRetriesExhausted({ period: Duration.minutes(1) }), job.metricNotRetryable(), job.metricNotificationsLost(),
      ];
      const template = Template.fromStack(env.stack);
      const namespace = 'RetryableEcsRunTask/TestStack/Job/Run';
      const filter = (metricName: string, pattern: string) => template.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: { Ref: Match.stringLikeRegexp('^JobLogs') },
        FilterPattern: pattern,
        MetricTransformations: [{ MetricNamespace: namespace, MetricName: metricName, MetricValue: '1', Unit: 'Count' }],
      });

      filter('Retries', '{ ($.type = "WaitStateEntered") && (($.details.name = "Back off")) }');
      filter('AttemptsExhausted',
        '{ ($.type = "FailStateEntered") && (($.details.name = "Attempts exhausted") || ($.details.name = "Attempts exhausted (notification lost)")) }');
      filter('NotRetryable', '{ ($.type = "FailStateEntered") && (($.details.name = "Not retryable") || ($.details.name = "Not retryable (notification lost)")) }');
      filter('NotificationsLost', '{ ($.type = "PassStateEntered") && (($.details.name = "Attempts exhausted, notification lost") || '
        + '($.details.name = "Not retryable, notification lost") || ($.details.name = "Invalid decision, notification lost") || ($.details.name = "Success notification lost")) }');
      template.resourceCountIs('AWS::Logs::MetricFilter', 4);

      expect(metrics[1]).toMatchObject({ namespace, metricName: 'AttemptsExhausted', dimensions: undefined, statistic: 'Sum' });
      expect(metrics.map((m) => [m.namespace, m.metricName]))
        .toEqual([[namespace, 'Retries'], [namespace, 'AttemptsExhausted'], [namespace, 'NotRetryable'], [namespace, 'NotificationsLost']]);
    });

    test('a standalone run adds what a bare EcsRunTask in a state machine of its own adds, and its log group: bare + 1', () => {
      const resourceTypes = (build: (e: TestEnvironment) => void) => {
        const e = testEnvironment();
        const before = Object.keys(Template.fromStack(testEnvironment().stack).toJSON().Resources);
        build(e);
        const resources = Template.fromStack(e.stack).toJSON().Resources as Record<string, { Type: string }>;
        return Object.entries(resources).filter(([id]) => !before.includes(id)).map(([, r]) => r.Type).sort();
      };
      const bare = resourceTypes((e) => new sfn.StateMachine(e.stack, 'Bare', {
        definitionBody: sfn.DefinitionBody.fromChainable(new tasks.EcsRunTask(e.stack, 'Run', {
          cluster: e.cluster,
          taskDefinition: e.taskDefinition,
          launchTarget: new tasks.EcsFargateLaunchTarget(),
          integrationPattern: sfn.IntegrationPattern.RUN_JOB,
        })),
      }));
      const ours = resourceTypes((e) => new RetryableEcsRunTask(e.stack, 'Job', {
        cluster: e.cluster, taskDefinition: e.taskDefinition, decisionEngine: STATE_MACHINE,
      }));

      expect(bare).toEqual(['AWS::EC2::SecurityGroup', 'AWS::IAM::Policy', 'AWS::IAM::Role', 'AWS::StepFunctions::StateMachine']);
      expect(ours).toEqual([...bare, 'AWS::Logs::LogGroup'].sort());
    });

    test('a metric filter is created when its metric is first asked for, once', () => {
      standalone();
      Template.fromStack(env.stack).resourceCountIs('AWS::Logs::MetricFilter', 0);

      const asked = testEnvironment();
      const job = new RetryableEcsRunTask(asked.stack, 'Job', { cluster: asked.cluster, taskDefinition: asked.taskDefinition, decisionEngine: STATE_MACHINE });
      job.metricRetries();
      job.metricRetries({ period: Duration.minutes(1) });
      // An alarm asks for its metric, and so gets the filter.
      job.metricNotRetryable().createAlarm(asked.stack, 'NotRetryableAlarm', { threshold: 1, evaluationPeriods: 1 });
      const template = Template.fromStack(asked.stack);
      template.resourceCountIs('AWS::Logs::MetricFilter', 2);
      for (const metricName of ['Retries', 'NotRetryable']) {
        template.hasResourceProperties('AWS::Logs::MetricFilter', { MetricTransformations: [Match.objectLike({ MetricName: metricName })] });
      }
    });

    test('without topics there is nothing to lose and no filter for it', () => {
      const job = standalone();
      expect(job.metricNotificationsLost().metricName).toBe('NotificationsLost');
      for (const metric of [job.metricRetries(), job.metricRetriesExhausted(), job.metricNotRetryable()]) {
        expect(metric.namespace).toBe('RetryableEcsRunTask/TestStack/Job/Run');
      }
      Template.fromStack(env.stack).resourceCountIs('AWS::Logs::MetricFilter', 3);
    });

    test('a fragment counts from stateMachineLogGroup, with the prefixed state names', () => {
      const logGroup = new logs.LogGroup(env.stack, 'WorkflowLogs');
      const job = fragment('Extract', { stateMachineLogGroup: logGroup });
      workflow(job);
      job.metricRetries();

      Template.fromStack(env.stack).hasResourceProperties('AWS::Logs::MetricFilter', {
        FilterPattern: '{ ($.type = "WaitStateEntered") && (($.details.name = "Extract: Back off")) }',
        MetricTransformations: [Match.objectLike({ MetricNamespace: 'RetryableEcsRunTask/TestStack/Extract', MetricName: 'Retries' })],
      });
      expect(job.metricRetries().namespace).toBe('RetryableEcsRunTask/TestStack/Extract');
    });

    test('a fragment without stateMachineLogGroup says what to pass when asked for a metric', () => {
      const job = fragment('Extract');
      workflow(job);

      expect(() => job.metricNotRetryable()).toThrow(
        '`metricNotRetryable()` of TestStack/Extract needs `stateMachineLogGroup`: with `decisionEngine: DecisionEngine.STATE_MACHINE` there is no decider log, '
        + 'and the metrics are counted from the state machine\'s own log. Pass the log group your state machine logs to at level ALL as `stateMachineLogGroup`.');
      Template.fromStack(env.stack).resourceCountIs('AWS::Logs::MetricFilter', 0);
    });

    test('a prop only the other engine reads is an error, not ignored', () => {
      expect(() => fragment('Job', { deciderLogRetention: logs.RetentionDays.ONE_WEEK }))
        .toThrow('`deciderLogRetention` sets how long the Lambda decider keeps its logs, but `decisionEngine` is DecisionEngine.STATE_MACHINE, which has no decider, got: 7 days.');
      const lambdaEnv = testEnvironment();
      expect(() => new RetryableEcsRunTaskFragment(lambdaEnv.stack, 'Job', {
        cluster: lambdaEnv.cluster, taskDefinition: lambdaEnv.taskDefinition, stateMachineLogGroup: new logs.LogGroup(lambdaEnv.stack, 'L'),
      })).toThrow(/^`stateMachineLogGroup` feeds the metrics of `decisionEngine: DecisionEngine.STATE_MACHINE`, but this run uses DecisionEngine.LAMBDA_FUNCTION, .* got: TestStack\/L\./);
      // The standalone Lambda engine with logs of the user's keeps working: its log feeds no metric.
      const logged = testEnvironment();
      new RetryableEcsRunTask(logged.stack, 'Job', {
        cluster: logged.cluster, taskDefinition: logged.taskDefinition, logs: { destination: new logs.LogGroup(logged.stack, 'L') },
      });
      Template.fromStack(logged.stack).resourceCountIs('AWS::Logs::MetricFilter', 4);
    });

    test('a state name a filter pattern cannot quote is an error', () => {
      expect(() => fragment('Job', { stateNamePrefix: 'say "hi" ', stateMachineLogGroup: new logs.LogGroup(env.stack, 'L') }))
        .toThrow(/`stateNamePrefix` must not put '"', '\\' or '\*' into a state name that a metric filter matches, got the state name: "say \\"hi\\" Back off"/);
    });
  });

  describe('validation', () => {
    test('aws-cdk-lib without JSONata states is an error that names decisionEngine and the version', () => {
      const jsonataStates = jest.spyOn(cdkCapabilities, 'jsonataStates').mockReturnValue(false);
      const version = jest.spyOn(cdkCapabilities, 'version').mockReturnValue('2.170.0');
      try {
        expect(() => standalone()).toThrow(
          '`decisionEngine: DecisionEngine.STATE_MACHINE` needs aws-cdk-lib 2.180.0 or later, for JSONata states whose Catch keeps its Output, '
          + 'got: aws-cdk-lib 2.170.0. Upgrade aws-cdk-lib, or use `DecisionEngine.LAMBDA_FUNCTION`.');
        version.mockReturnValue(undefined);
        expect(() => standalone({}, 'Other')).toThrow(/got: aws-cdk-lib \(version unknown\)/);
        // The Lambda engine needs no JSONata.
        new RetryableEcsRunTask(env.stack, 'Lambda', { cluster: env.cluster, taskDefinition: env.taskDefinition });
      } finally {
        jsonataStates.mockRestore();
        version.mockRestore();
      }
    });

    test('aws-cdk-lib 2.178 and 2.179, whose JSONata Catch loses its Output, are refused too', () => {
      // Rendered by aws-cdk-lib 2.179.0: `[{"ErrorEquals":["States.ALL"],"Next":"Handler"}]`, no Output.
      const catchOutput = jest.spyOn(cdkCapabilities, 'jsonataCatchOutput').mockReturnValue(false);
      const version = jest.spyOn(cdkCapabilities, 'version').mockReturnValue('2.179.0');
      try {
        expect(() => standalone()).toThrow(/^`decisionEngine: DecisionEngine.STATE_MACHINE` needs aws-cdk-lib 2\.180\.0 or later, .* got: aws-cdk-lib 2\.179\.0\./);
      } finally {
        catchOutput.mockRestore();
        version.mockRestore();
      }
    });

    test('the installed aws-cdk-lib has JSONata states whose Catch keeps its Output, and its version is read', () => {
      expect(cdkCapabilities.jsonataStates()).toBe(true);
      expect(cdkCapabilities.jsonataCatchOutput()).toBe(true);
      expect(cdkCapabilities.version()).toMatch(/^2\.\d+\.\d+/);
    });

    test('a decisionEngine that is not one of the two is an error', () => {
      expect(() => standalone({ decisionEngine: 'STATE_MACHINE' as unknown as DecisionEngine })).toThrow(
        '`decisionEngine` must be DecisionEngine.LAMBDA_FUNCTION or DecisionEngine.STATE_MACHINE, got: "STATE_MACHINE".');
    });

    test('DecisionEngine names its engines', () => {
      expect([DecisionEngine.LAMBDA_FUNCTION.name, DecisionEngine.STATE_MACHINE.name]).toEqual(['LAMBDA', 'STATE_MACHINE']);
    });

    test('the deprecated DecisionEngine.LAMBDA is the Lambda engine itself', () => {
      // GIVEN: code written before LAMBDA_FUNCTION (Python: DecisionEngine.LAMBDA_)
      const alias = DecisionEngine.LAMBDA;

      // WHEN
      const job = standalone({ decisionEngine: alias });

      // THEN: the same object, so comparisons in users' code and ours still hold
      expect(alias).toBe(DecisionEngine.LAMBDA_FUNCTION);
      expect(alias.name).toBe('LAMBDA');
      expect(job.fragment.decisionEngine).toBe(DecisionEngine.LAMBDA_FUNCTION);
      expect(job.decider).toBeDefined();
    });
  });
});

describe('runMetricNamespace', () => {
  test('keeps a plain construct path', () => {
    expect(runMetricNamespace('Stack/Nightly report/Run')).toBe('RetryableEcsRunTask/Stack/Nightly report/Run');
  });

  test('replaces what a metric filter namespace may not hold', () => {
    expect(runMetricNamespace('Stack/a:b*c$d/ü')).toBe('RetryableEcsRunTask/Stack/a_b_c_d/_');
  });

  test('shortens a long path to 255 characters with a hash that tells paths apart', () => {
    const long = (end: string) => runMetricNamespace(`Stack/${'x'.repeat(300)}${end}`);
    expect(long('a')).toHaveLength(255);
    expect(long('a')).toMatch(/^RetryableEcsRunTask\/Stack\/x+-[0-9a-f]{8}$/);
    expect(long('a')).not.toBe(long('b'));
  });
});

describe('stateEnteredPattern', () => {
  test('one name, or several', () => {
    expect(stateEnteredPattern('WaitStateEntered', ['Back off'])).toBe('{ ($.type = "WaitStateEntered") && (($.details.name = "Back off")) }');
    expect(stateEnteredPattern('FailStateEntered', ['A', 'B'])).toBe('{ ($.type = "FailStateEntered") && (($.details.name = "A") || ($.details.name = "B")) }');
  });
});
