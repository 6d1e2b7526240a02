import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { DecisionEngine, RetryableEcsRunTask, RetryableEcsRunTaskFragment, RetryableEcsRunTaskProps } from '../../src';
import { evaluateSfnField } from '../engines/support/sfn-jsonata';
import { renderedDefinition } from '../support/local-execution';
import { testEnvironment, TestEnvironment } from '../support/stack';

/**
 * A run switches engines by changing `decisionEngine` alone: the RunTask inputs a user writes with
 * `JsonPath` read the same state on both engines, and what one engine cannot read fails at synth.
 */
describe('switching decision engines with JsonPath inputs', () => {
  let env: TestEnvironment;
  let container: ecs.ContainerDefinition;
  beforeEach(() => {
    env = testEnvironment();
    container = env.taskDefinition.defaultContainer!;
  });
  const standalone = (props: Partial<RetryableEcsRunTaskProps>) => new RetryableEcsRunTask(env.stack, 'Job', {
    cluster: env.cluster, taskDefinition: env.taskDefinition, ...props,
  });
  const states = () => renderedDefinition(env.stack).States as Record<string, any>;
  /** The overrides the user writes once, for either engine. */
  const jsonPathInputs = (): Partial<RetryableEcsRunTaskProps> => ({
    cpu: sfn.JsonPath.stringAt('$.size.cpu'),
    memoryMiB: sfn.JsonPath.stringAt('$.size.memory'),
    containerOverrides: [{
      containerDefinition: container,
      command: sfn.JsonPath.listAt('$.args'),
      environment: [
        { name: 'MODE', value: sfn.JsonPath.stringAt('$.mode') },
        { name: 'EXECUTION', value: sfn.JsonPath.executionId },
        { name: 'FILE', value: sfn.JsonPath.stringAt("$.files[0]['file name']") },
      ],
      memoryReservation: sfn.JsonPath.numberAt('$.memoryReservation'),
    }],
  });

  test('on STATE_MACHINE, the RunTask Arguments read the state in JSONata', () => {
    // GIVEN / WHEN
    standalone({ decisionEngine: DecisionEngine.STATE_MACHINE, ...jsonPathInputs() });

    // THEN
    const runTask = states()['Run task'];
    expect(runTask.QueryLanguage).toBe('JSONata');
    expect(runTask.Arguments.Overrides).toEqual({
      Cpu: '{% $states.input.size.cpu %}',
      Memory: '{% $states.input.size.memory %}',
      ContainerOverrides: [{
        Name: 'app',
        Command: '{% $states.input.args %}',
        MemoryReservation: '{% $states.input.memoryReservation %}',
        Environment: [
          { Name: 'MODE', Value: '{% $states.input.mode %}' },
          { Name: 'EXECUTION', Value: '{% $states.context.Execution.Id %}' },
          { Name: 'FILE', Value: '{% $states.input.files[0].`file name` %}' },
          { Name: 'RETRYABLE_ECS_RUN_TASK_ATTEMPT', Value: '{% $string($retry_attempt) %}' },
        ],
      }],
    });
  });

  test('on LAMBDA, the same inputs are JSONPath fields, as CDK renders them', () => {
    // GIVEN / WHEN
    standalone({ decisionEngine: DecisionEngine.LAMBDA_FUNCTION, ...jsonPathInputs() });

    // THEN
    expect(states()['Run task'].Parameters.Overrides).toEqual({
      'Cpu.$': '$.size.cpu',
      'Memory.$': '$.size.memory',
      'ContainerOverrides': [{
        'Name': 'app',
        'Command.$': '$.args',
        'MemoryReservation.$': '$.memoryReservation',
        'Environment': [
          { 'Name': 'MODE', 'Value.$': '$.mode' },
          { 'Name': 'EXECUTION', 'Value.$': '$$.Execution.Id' },
          { 'Name': 'FILE', 'Value.$': "$.files[0]['file name']" },
          { 'Name': 'RETRYABLE_ECS_RUN_TASK_ATTEMPT', 'Value.$': "States.Format('{}', $.retryableEcsRunTask.attempt)" },
        ],
      }],
    });
  });

  test('on STATE_MACHINE, the one ECS task state reads the state the same way on the fallback launch target', async () => {
    // GIVEN
    standalone({
      decisionEngine: DecisionEngine.STATE_MACHINE,
      fallbackLaunchTarget: new tasks.EcsFargateLaunchTarget({ platformVersion: ecs.FargatePlatformVersion.VERSION1_4 }),
      ...jsonPathInputs(),
    });
    const input = { size: { cpu: '512', memory: '1024' }, args: ['run'], mode: 'full', files: [{ 'file name': 'a.csv' }], memoryReservation: 256 };
    const request = async (capacity: string) => await evaluateSfnField(states()['Run task'].Arguments, {
      states: { input, context: { Execution: { Id: 'arn:execution' } } },
      variables: { retry_attempt: 2, retry_placement: { sizeIndex: 0, capacity }, retry_targets: states()['Start attempts'].Assign.retry_targets },
    }) as any;

    // WHEN
    const [primary, fallback] = [await request('primary'), await request('fallback')];

    // THEN
    expect(fallback.Overrides).toEqual(primary.Overrides);
    expect(primary.Overrides).toEqual({
      Cpu: '512',
      Memory: '1024',
      ContainerOverrides: [{
        Name: 'app',
        Command: ['run'],
        MemoryReservation: 256,
        Environment: [
          { Name: 'MODE', Value: 'full' },
          { Name: 'EXECUTION', Value: 'arn:execution' },
          { Name: 'FILE', Value: 'a.csv' },
          { Name: 'RETRYABLE_ECS_RUN_TASK_ATTEMPT', Value: '2' },
        ],
      }],
    });
    expect([primary.PlatformVersion, fallback.PlatformVersion]).toEqual(['LATEST', '1.4.0']);
  });

  test('on STATE_MACHINE with outOfMemorySizes, the user\'s overrides translate beside the size of the attempt', () => {
    // GIVEN / WHEN
    standalone({
      decisionEngine: DecisionEngine.STATE_MACHINE,
      outOfMemorySizes: [{ memoryMiB: 1024 }],
      containerOverrides: [{ containerDefinition: container, environment: [{ name: 'MODE', value: sfn.JsonPath.stringAt('$.mode') }] }],
    });

    // THEN
    const overrides = states()['Run task'].Arguments.Overrides;
    expect(overrides.Cpu).toMatch(/^\{% \$string\(\$retry_\w*placement\.size\.cpu\) %\}$/);
    expect(overrides.ContainerOverrides[0].Environment[0]).toEqual({ Name: 'MODE', Value: '{% $states.input.mode %}' });
  });

  test('a STATE_MACHINE fragment in a JSONPath workflow reads the Map item it is given', () => {
    // GIVEN
    const fragment = new RetryableEcsRunTaskFragment(env.stack, 'Item', {
      cluster: env.cluster,
      taskDefinition: env.taskDefinition,
      decisionEngine: DecisionEngine.STATE_MACHINE,
      containerOverrides: [{
        containerDefinition: container,
        environment: [{ name: 'FILE', value: sfn.JsonPath.stringAt('$.file') }, { name: 'RUN', value: sfn.JsonPath.executionName }],
      }],
    });
    const map = new sfn.Map(env.stack, 'Each file', { itemsPath: '$.files' }).itemProcessor(fragment);

    // WHEN
    new sfn.StateMachine(env.stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(map) });

    // THEN
    const runTask = (renderedDefinition(env.stack).States['Each file'] as any).ItemProcessor.States['Item: Run task'];
    expect(runTask.Arguments.Overrides.ContainerOverrides[0].Environment.slice(0, 2)).toEqual([
      { Name: 'FILE', Value: '{% $states.input.file %}' },
      { Name: 'RUN', Value: '{% $states.context.Execution.Name %}' },
    ]);
  });

  test('on STATE_MACHINE, JSONata expressions pass as written, cpu and memoryMiB included', () => {
    // GIVEN / WHEN
    standalone({
      decisionEngine: DecisionEngine.STATE_MACHINE,
      cpu: '{% $string($states.input.size.cpu) %}',
      memoryMiB: '{% $string($states.input.size.memory) %}',
      containerOverrides: [{ containerDefinition: container, environment: [{ name: 'MODE', value: "{% $states.input.mode & '-nightly' %}" }] }],
    });

    // THEN
    const overrides = states()['Run task'].Arguments.Overrides;
    expect(overrides.Cpu).toBe('{% $string($states.input.size.cpu) %}');
    expect(overrides.Memory).toBe('{% $string($states.input.size.memory) %}');
    expect(overrides.ContainerOverrides[0].Environment[0]).toEqual({ Name: 'MODE', Value: "{% $states.input.mode & '-nightly' %}" });
  });

  describe('what one engine cannot read fails at synth', () => {
    test('on STATE_MACHINE, an intrinsic function, naming the prop and the value', () => {
      expect(() => standalone({
        decisionEngine: DecisionEngine.STATE_MACHINE,
        containerOverrides: [{
          containerDefinition: container,
          environment: [
            { name: 'MODE', value: sfn.JsonPath.stringAt('$.mode') },
            { name: 'RUN', value: sfn.JsonPath.format('run-{}', sfn.JsonPath.executionName) },
          ],
        }],
      })).toThrow(
        '`containerOverrides[0].environment[1].value` is a JsonPath with the intrinsic function States.Format, which the JSONata states of DecisionEngine.STATE_MACHINE cannot read, '
        + 'got: "States.Format(\'run-{}\', $$.Execution.Name)". Write the value as a JSONata expression (\'{% ... %}\', reading the state input as $states.input), or use DecisionEngine.LAMBDA_FUNCTION.',
      );
    });

    test('on STATE_MACHINE, a JsonPath cpu with a filter', () => {
      expect(() => standalone({ decisionEngine: DecisionEngine.STATE_MACHINE, cpu: sfn.JsonPath.stringAt("$.sizes[?(@.name == 'large')].cpu") })).toThrow(
        '`cpu` is a JsonPath with a filter ([?(...)]), which the JSONata states of DecisionEngine.STATE_MACHINE cannot read',
      );
    });

    test('on LAMBDA, a JSONata expression, which would reach the container as literal text', () => {
      expect(() => standalone({
        decisionEngine: DecisionEngine.LAMBDA_FUNCTION,
        containerOverrides: [{ containerDefinition: container, environment: [{ name: 'MODE', value: '{% $states.input.mode %}' }] }],
      })).toThrow(
        '`containerOverrides[0].environment[0].value` is a JSONata expression, which the JSONPath states of DecisionEngine.LAMBDA_FUNCTION would pass to the task as literal text, '
        + 'got: "{% $states.input.mode %}". ',
      );
    });

    test('on LAMBDA, a JSONata memoryMiB', () => {
      expect(() => standalone({ decisionEngine: DecisionEngine.LAMBDA_FUNCTION, memoryMiB: '{% $string($states.input.memory) %}' })).toThrow(
        '`memoryMiB` is a JSONata expression, which the JSONPath states of DecisionEngine.LAMBDA_FUNCTION would pass to the task as literal text',
      );
    });

    test.each([DecisionEngine.LAMBDA_FUNCTION, DecisionEngine.STATE_MACHINE])('on %p, a JsonPath inside a longer string', (decisionEngine) => {
      expect(() => standalone({
        decisionEngine,
        containerOverrides: [{ containerDefinition: container, command: ['report', `--mode=${sfn.JsonPath.stringAt('$.mode')}`] }],
      })).toThrow(
        '`containerOverrides[0].command[1]` puts a JsonPath inside a longer string, where neither engine reads it as a path, got: "--mode=<path:$.mode>". ',
      );
    });
  });
});
