import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RetryableEcsRunTaskFragment } from '../../src';
import { renderedDefinition } from '../support/local-execution';
import { testEnvironment, TestEnvironment } from '../support/stack';

const NOT_IN_EXPRESS = /\.sync\) integration pattern .* not available in Express workflows/;

describe('a fragment in an Express workflow', () => {
  let env: TestEnvironment;
  let job: RetryableEcsRunTaskFragment;

  beforeEach(() => {
    env = testEnvironment();
    job = new RetryableEcsRunTaskFragment(env.stack, 'Job', { cluster: env.cluster, taskDefinition: env.taskDefinition });
  });

  const synth = (stack: Stack) => Template.fromStack(stack);

  test('an EXPRESS state machine fails synthesis and says to use a STANDARD one', () => {
    // GIVEN
    new sfn.StateMachine(env.stack, 'Workflow', {
      stateMachineType: sfn.StateMachineType.EXPRESS,
      definitionBody: sfn.DefinitionBody.fromChainable(job),
    });

    // WHEN / THEN
    expect(() => synth(env.stack)).toThrow(NOT_IN_EXPRESS);
    expect(() => synth(env.stack)).toThrow(
      /\[TestStack\/Job\] RetryableEcsRunTaskFragment cannot run in the EXPRESS state machine 'TestStack\/Workflow': its ECS task state 'Job: Run task'.*Use a STANDARD state machine/,
    );
  });

  test('an EXPRESS state machine fails even with the fragment nested in a Parallel branch and an inline Map', () => {
    const map = new sfn.Map(env.stack, 'Each').itemProcessor(job);
    const parallel = new sfn.Parallel(env.stack, 'Both').branch(map).branch(new sfn.Pass(env.stack, 'Other'));
    new sfn.StateMachine(env.stack, 'Workflow', {
      stateMachineType: sfn.StateMachineType.EXPRESS,
      definitionBody: sfn.DefinitionBody.fromChainable(parallel),
    });

    expect(() => synth(env.stack)).toThrow(/cannot run in the EXPRESS state machine 'TestStack\/Workflow'/);
  });

  test('a DistributedMap with EXPRESS children fails and says to run them as STANDARD', () => {
    const map = new sfn.DistributedMap(env.stack, 'Each', { mapExecutionType: sfn.StateMachineType.EXPRESS }).itemProcessor(job);
    new sfn.StateMachine(env.stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(map) });

    expect(() => synth(env.stack)).toThrow(NOT_IN_EXPRESS);
    expect(() => synth(env.stack)).toThrow(
      /cannot run in the Express child workflows of the Distributed Map state 'Each' in state machine 'TestStack\/Workflow'.*`mapExecutionType: StateMachineType.STANDARD`/,
    );
  });

  test('a Map in DISTRIBUTED mode with EXPRESS children fails', () => {
    const map = new sfn.Map(env.stack, 'Each').itemProcessor(job, {
      mode: sfn.ProcessorMode.DISTRIBUTED,
      executionType: sfn.ProcessorType.EXPRESS,
    });
    new sfn.StateMachine(env.stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(map) });

    expect(() => synth(env.stack)).toThrow(/Express child workflows of the Distributed Map state 'Each'/);
  });

  test('a DistributedMap with STANDARD children, its default, synthesizes', () => {
    const map = new sfn.DistributedMap(env.stack, 'Each').itemProcessor(job);
    new sfn.StateMachine(env.stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(map) });

    synth(env.stack);
    expect((renderedDefinition(env.stack).States as any).Each.ItemProcessor.ProcessorConfig.ExecutionType).toBe('STANDARD');
  });

  test('an inline Map in a STANDARD state machine synthesizes', () => {
    const map = new sfn.Map(env.stack, 'Each').itemProcessor(job);
    new sfn.StateMachine(env.stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(map) });

    synth(env.stack).resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  });

  test('an unrelated EXPRESS state machine in the same stack does not matter', () => {
    new sfn.StateMachine(env.stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(job) });
    // A state of the same name, but not the fragment's .sync task.
    new sfn.StateMachine(env.stack, 'Fast', {
      stateMachineType: sfn.StateMachineType.EXPRESS,
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(env.stack, 'Lookalike', { stateName: 'Job: Run task' })),
    });

    synth(env.stack).resourceCountIs('AWS::StepFunctions::StateMachine', 2);
  });

  test('a definition it cannot parse is skipped', () => {
    new sfn.StateMachine(env.stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(job) });
    new sfn.CfnStateMachine(env.stack, 'Raw', {
      roleArn: 'arn:aws:iam::123456789012:role/raw',
      stateMachineType: 'EXPRESS',
      definitionString: '{ not json',
    });

    synth(env.stack).resourceCountIs('AWS::StepFunctions::StateMachine', 2);
  });
});
