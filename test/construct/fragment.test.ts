import { Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RetryableEcsRunTaskFragment, RetryErrors } from '../../src';
import { renderedDefinition } from '../support/local-execution';
import { testEnvironment } from '../support/stack';

describe('RetryableEcsRunTaskFragment', () => {
  test('chains into a workflow of your own without a state machine of its own', () => {
    // GIVEN
    const { stack, cluster, taskDefinition } = testEnvironment();

    // WHEN
    const run = new RetryableEcsRunTaskFragment(stack, 'Report', { cluster, taskDefinition });
    const publish = new sfn.Pass(stack, 'Publish report');
    new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(run.next(publish)) });

    // THEN
    Template.fromStack(stack).resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    const states = renderedDefinition(stack).States as Record<string, any>;
    expect(states['Report: Record result'].Next).toBe('Publish report');
    expect(states['Report: Not retryable'].Error).toBe(RetryErrors.NOT_RETRYABLE);
  });

  test('two instances in one Map keep distinct state names, and share one decider', () => {
    const { stack, cluster, taskDefinition } = testEnvironment();
    const first = new RetryableEcsRunTaskFragment(stack, 'First', { cluster, taskDefinition, resultPath: '$.first' });
    const second = new RetryableEcsRunTaskFragment(stack, 'Second', { cluster, taskDefinition, resultPath: '$.second' });
    const map = new sfn.Map(stack, 'Each').itemProcessor(first.next(second));
    new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(map) });

    const processor = (renderedDefinition(stack).States as any).Each.ItemProcessor;
    const names = Object.keys(processor.States);
    expect(names).toHaveLength(24);
    expect(new Set(names).size).toBe(24);
    expect(processor.StartAt).toBe('First: Start attempts');
    expect(processor.States['First: Record result'].Next).toBe('Second: Start attempts');
    expect(first.decider).toBe(second.decider);
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 1);
  });

  test('a custom stateNamePrefix replaces the construct id', () => {
    const { stack, cluster, taskDefinition } = testEnvironment();
    const run = new RetryableEcsRunTaskFragment(stack, 'Job', { cluster, taskDefinition, stateNamePrefix: 'nightly ' });
    new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(run) });
    expect(renderedDefinition(stack).StartAt).toBe('nightly Start attempts');
  });

  test('the same prefix twice is reported by CDK as a state name collision', () => {
    const { stack, cluster, taskDefinition } = testEnvironment();
    const a = new RetryableEcsRunTaskFragment(stack, 'A', { cluster, taskDefinition, stateNamePrefix: 'x ' });
    const b = new RetryableEcsRunTaskFragment(stack, 'B', { cluster, taskDefinition, stateNamePrefix: 'x ' });
    expect(() => new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(a.next(b)) }))
      .toThrow(/State with name 'x Start attempts' occurs in both/);
  });
});
