import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { DecisionEngine, RetryableEcsRunTask, RetryableEcsRunTaskFragment } from '../../src';
import { aslValidationErrors, DISABLED_ASL_CHECKS, expectValidAsl } from '../support/asl-validation';
import { renderedDefinition } from '../support/local-execution';
import { testEnvironment, TestEnvironment } from '../support/stack';

// renderedDefinition() already throws on an invalid definition; the explicit checks below say
// what each test is about and show the findings as a diff.
describe('synthesized definitions are valid Amazon States Language (asl-validator)', () => {
  let env: TestEnvironment;
  beforeEach(() => {
    env = testEnvironment();
  });

  test('every asl-validator check is on', () => {
    expect(DISABLED_ASL_CHECKS).toEqual([]);
  });

  test('the standalone RetryableEcsRunTask with defaults', () => {
    // GIVEN
    new RetryableEcsRunTask(env.stack, 'Job', { cluster: env.cluster, taskDefinition: env.taskDefinition });

    // WHEN
    const definition = renderedDefinition(env.stack);

    // THEN
    expect(aslValidationErrors(definition)).toEqual([]);
  });

  test('the standalone with topics, execution logs, a timeout and an attempt timeout', () => {
    // GIVEN
    new RetryableEcsRunTask(env.stack, 'Job', {
      cluster: env.cluster,
      taskDefinition: env.taskDefinition,
      successTopic: new sns.Topic(env.stack, 'Succeeded'),
      failureTopic: new sns.Topic(env.stack, 'Failed'),
      logs: { destination: new logs.LogGroup(env.stack, 'Logs'), level: sfn.LogLevel.ALL },
      timeout: Duration.hours(2),
      attemptTimeout: Duration.minutes(30),
    });

    // WHEN
    const definition = renderedDefinition(env.stack);

    // THEN
    expect(aslValidationErrors(definition)).toEqual([]);
    const states = Object.values(definition.States) as any[];
    expect(definition.TimeoutSeconds).toBe(7200);
    expect(states.filter((s) => s.Resource?.includes(':states:::sns:publish')).length).toBeGreaterThanOrEqual(2);
    expect(states.some((s) => s.TimeoutSeconds === 1800)).toBe(true);
  });

  test('the fragment as the item processor of a Map in a workflow of your own', () => {
    // GIVEN
    const job = new RetryableEcsRunTaskFragment(env.stack, 'Job', { cluster: env.cluster, taskDefinition: env.taskDefinition, resultPath: '$.run' });
    const map = new sfn.Map(env.stack, 'Each partition', { itemsPath: '$.partitions', maxConcurrency: 2 });
    map.itemProcessor(job);
    const done = new sfn.Succeed(env.stack, 'Done');
    new sfn.StateMachine(env.stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(map.next(done)) });

    // WHEN
    const definition = renderedDefinition(env.stack);

    // THEN
    expect(aslValidationErrors(definition)).toEqual([]);
    expect((definition.States['Each partition'] as any).ItemProcessor.StartAt).toBe('Job: Start attempts');
  });

  test('two fragments chained in one workflow', () => {
    // GIVEN
    const extract = new RetryableEcsRunTaskFragment(env.stack, 'Extract', { cluster: env.cluster, taskDefinition: env.taskDefinition, resultPath: '$.extract' });
    const load = new RetryableEcsRunTaskFragment(env.stack, 'Load', { cluster: env.cluster, taskDefinition: env.taskDefinition, resultPath: '$.load' });
    new sfn.StateMachine(env.stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(extract.next(load)) });

    // WHEN
    const definition = renderedDefinition(env.stack);

    // THEN
    expect(aslValidationErrors(definition)).toEqual([]);
    expect(Object.keys(definition.States).some((name) => name.startsWith('Load: '))).toBe(true);
  });

  test('the state machine engine, standalone, with every option that changes its states', () => {
    // GIVEN
    new RetryableEcsRunTask(env.stack, 'Job', {
      cluster: env.cluster,
      taskDefinition: env.taskDefinition,
      decisionEngine: DecisionEngine.STATE_MACHINE,
      successTopic: new sns.Topic(env.stack, 'Succeeded'),
      failureTopic: new sns.Topic(env.stack, 'Failed', { fifo: true }),
      outOfMemorySizes: [{ memoryMiB: 1024 }],
      fallbackLaunchTarget: new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.VERSION1_4 }),
      attemptTimeout: Duration.minutes(30),
      resultPath: '$.jobs.report',
    });

    // WHEN
    const definition = renderedDefinition(env.stack);

    // THEN: asl-validator checks the JSONata fields' syntax too
    expect(aslValidationErrors(definition)).toEqual([]);
    expect(Object.values(definition.States).every((state: any) => state.QueryLanguage === 'JSONata')).toBe(true);
  });

  test('the state machine engine as a fragment in the Map of a JSONPath workflow', () => {
    const job = new RetryableEcsRunTaskFragment(env.stack, 'Job', { cluster: env.cluster, taskDefinition: env.taskDefinition, decisionEngine: DecisionEngine.STATE_MACHINE });
    const map = new sfn.Map(env.stack, 'Each partition', { itemsPath: '$.partitions' }).itemProcessor(job);
    new sfn.StateMachine(env.stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(map) });

    expect(aslValidationErrors(renderedDefinition(env.stack))).toEqual([]);
  });

  describe('the check can fail', () => {
    const validDefinition = () => {
      new RetryableEcsRunTask(env.stack, 'Job', { cluster: env.cluster, taskDefinition: env.taskDefinition });
      return renderedDefinition(env.stack) as any;
    };

    test('a Next pointing at a missing state', () => {
      // GIVEN
      const definition = validDefinition();

      // WHEN
      definition.States['Run task'].Next = 'No such state';

      // THEN: the helper lists every finding, here the missing target and the state it orphans
      expect(() => expectValidAsl(definition, 'The broken definition')).toThrow([
        'The broken definition is not valid Amazon States Language (asl-validator):',
        '  - MISSING_TRANSITION_TARGET: State Record result is not reachable',
        "  - MISSING_TRANSITION_TARGET: Missing 'StartAt'|'Next'|'Default' target: No such state",
      ].join('\n'));
    });

    test('a malformed path (checkPaths)', () => {
      const definition = validDefinition();
      definition.States['Run task'].ResultPath = '$.[';
      expect(aslValidationErrors(definition)).toEqual([expect.stringMatching(/^SCHEMA_VALIDATION_FAILED: .*ResultPath/)]);
    });

    test('a JSONata expression that does not parse', () => {
      new RetryableEcsRunTask(env.stack, 'Job', { cluster: env.cluster, taskDefinition: env.taskDefinition, decisionEngine: DecisionEngine.STATE_MACHINE });
      const definition = renderedDefinition(env.stack) as any;
      definition.States['Run task'].Output = '{% $merge([$states.input, %}';
      expect(aslValidationErrors(definition)).toContainEqual(expect.stringMatching(/^SCHEMA_VALIDATION_FAILED: \/States\/Run task\/Output is invalid/));
    });

    test('a Resource that is not an ARN (checkArn)', () => {
      const definition = validDefinition();
      definition.States['Run task'].Resource = 'ecs:runTask.sync';
      expect(aslValidationErrors(definition)).toEqual([expect.stringMatching(/^SCHEMA_VALIDATION_FAILED: .*Resource/)]);
    });

    test('renderedDefinition() refuses an invalid definition, so execution tests never run one', () => {
      const broken = new sfn.CustomState(env.stack, 'Broken', { stateJson: { Type: 'Task', Resource: 'not-an-arn' } });
      new sfn.StateMachine(env.stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(broken) });
      expect(() => renderedDefinition(env.stack)).toThrow(/^The definition of state machine Workflow\w+ is not valid Amazon States Language \(asl-validator\):\n {2}- SCHEMA_VALIDATION_FAILED: .*Resource/);
    });

    test('validating leaves the definition as it was', () => {
      const definition = validDefinition();
      const before = structuredClone(definition);
      aslValidationErrors(definition);
      expect(definition).toEqual(before);
    });
  });
});
