import * as fs from 'fs';
import * as path from 'path';
import { App, NestedStack, Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { definitionLimitViolations, MEASURED_REFERENCE_LENGTH, templateLimitViolations } from '../support/definition-limits';
import { takeUnexpectedLimitFailures } from '../support/limit-failures';
import { MAX_DEFINITION_BYTES, MAX_STATE_NAME_LENGTH, StepFunctionsLimitError } from '../support/step-functions-limits';
import { expectSynthesisLimitExceeded } from '../support/synthesis-limits';

// The checks that the Jest setup file (test/support/setup-limit-checks.ts) puts on every
// synthesis of every test: state names at most 80 characters, definitions at most 1 MB.

/** A state name of exactly `length` characters. */
const nameOf = (length: number) => `Run the nightly report ${'x'.repeat(length)}`.slice(0, length);

/** A stack in a fresh app, with one state machine of `states`. */
function workflow(states: (stack: Stack) => sfn.IChainable, stack = new Stack(new App(), 'TestStack')): Stack {
  new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(states(stack)) });
  return stack;
}

const NAME_LIMIT = /over Step Functions' maximum length of a name of 80 characters/;

describe('state names', () => {
  test(`a name of ${MAX_STATE_NAME_LENGTH} characters synthesizes`, () => {
    const stack = workflow((s) => new sfn.Pass(s, nameOf(MAX_STATE_NAME_LENGTH)));
    Template.fromStack(stack).resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  });

  test(`a name of ${MAX_STATE_NAME_LENGTH + 1} characters fails Template.fromStack, naming the state machine, the state and the limit`, () => {
    const name = nameOf(MAX_STATE_NAME_LENGTH + 1);
    const stack = workflow((s) => new sfn.Pass(s, name));

    const error = expectSynthesisLimitExceeded(() => Template.fromStack(stack));

    expect(error.message).toMatch(/^Synthesizing the app: Step Functions would fail here/);
    expect(error.message).toContain('state machine TestStack/Workflow (Workflow193EF7C1)');
    expect(error.message).toContain(`state ${JSON.stringify(name)}: the state name is 81 characters`);
    expect(error.message).toMatch(NAME_LIMIT);
    expect(error.violations).toEqual([expect.objectContaining({ state: name, size: 81, limit: 80, unit: 'characters' })]);
  });

  test('characters are counted as Step Functions counts them, not as UTF-16 units', () => {
    // 80 characters, 81 UTF-16 code units: one is outside the Basic Multilingual Plane.
    const name = `${nameOf(MAX_STATE_NAME_LENGTH - 1)}🚀`;
    expect(name.length).toBe(MAX_STATE_NAME_LENGTH + 1);
    Template.fromStack(workflow((s) => new sfn.Pass(s, name)));
  });

  test('app.synth() fails too', () => {
    const stack = workflow((s) => new sfn.Pass(s, nameOf(81)));
    const error = expectSynthesisLimitExceeded(() => (stack.node.root as App).synth());
    expect(error.message).toMatch(/^Synthesizing the app: /);
    expect(error.message).toMatch(NAME_LIMIT);
  });

  test('a name inside a Map item processor or a Parallel branch counts too', () => {
    const inMap = nameOf(81);
    const inBranch = `${nameOf(80)}!`;
    const stack = workflow((s) => new sfn.Map(s, 'Each partition', { itemsPath: '$.partitions' })
      .itemProcessor(new sfn.Pass(s, inMap))
      .next(new sfn.Parallel(s, 'Both').branch(new sfn.Pass(s, inBranch)).branch(new sfn.Pass(s, 'Short'))));

    const error = expectSynthesisLimitExceeded(() => Template.fromStack(stack));

    expect(error.message).toContain(`state ${JSON.stringify(inMap)}: the state name (in the item processor of "Each partition") is 81 characters`);
    expect(error.message).toContain(`state ${JSON.stringify(inBranch)}: the state name (in branch 0 of "Both") is 81 characters`);
  });

  test('a state machine in a nested Stage, or in a NestedStack, is checked', () => {
    const app = new App();
    workflow((s) => new sfn.Pass(s, nameOf(81)), new Stack(new Stage(app, 'Prod'), 'TestStack'));
    expect(expectSynthesisLimitExceeded(() => app.synth()).message).toMatch(/^Synthesizing stage Prod: [\s\S]*state machine Prod\/TestStack\/Workflow/);

    const parent = new Stack(new App(), 'Parent');
    workflow((s) => new sfn.Pass(s, nameOf(81)), new NestedStack(parent, 'Jobs'));
    expect(expectSynthesisLimitExceeded(() => Template.fromStack(parent)).message).toMatch(/state machine Parent\/Jobs\/Workflow/);
  });
});

describe('definition size', () => {
  /** A definition of one Pass state whose Result pads it to exactly `bytes` bytes. */
  function definitionOf(bytes: number): string {
    const empty = JSON.stringify({ StartAt: 'Pad', States: { Pad: { Type: 'Pass', Result: '', End: true } } });
    const text = empty.replace('"Result":""', `"Result":"${'x'.repeat(bytes - empty.length)}"`);
    expect(Buffer.byteLength(text)).toBe(bytes);
    return text;
  }

  test(`a definition of ${MAX_DEFINITION_BYTES.toLocaleString('en-US')} bytes is within the limit, one byte more is not`, () => {
    expect(definitionLimitViolations('state machine T', definitionOf(MAX_DEFINITION_BYTES))).toEqual([]);
    expect(definitionLimitViolations('state machine T', definitionOf(MAX_DEFINITION_BYTES + 1))).toEqual([
      expect.objectContaining({ size: MAX_DEFINITION_BYTES + 1, limit: MAX_DEFINITION_BYTES, unit: 'bytes' }),
    ]);
  });

  test('the size is in bytes of UTF-8, not characters', () => {
    // 2 bytes per ü: about half as many characters as the limit, more bytes.
    const text = JSON.stringify({ StartAt: 'Pad', States: { Pad: { Type: 'Pass', Result: 'ü'.repeat(MAX_DEFINITION_BYTES / 2), End: true } } });
    expect(text.length).toBeLessThan(MAX_DEFINITION_BYTES);
    expect(definitionLimitViolations('state machine T', text)).toHaveLength(1);
  });

  test('a synthesized definition over 1 MB fails, naming the state machine, its largest state and the limit', () => {
    const stack = workflow((s) => new sfn.Pass(s, 'Start').next(new sfn.Pass(s, 'Huge', { result: sfn.Result.fromString('x'.repeat(MAX_DEFINITION_BYTES)) })));

    const error = expectSynthesisLimitExceeded(() => Template.fromStack(stack));

    expect(error.message).toContain('state machine TestStack/Workflow (Workflow193EF7C1): the definition (in UTF-8, each reference counted as 256 characters; ');
    expect(error.message).toMatch(/its largest state, "Huge", is 1,048,6\d\d bytes\) is 1,048,\d{3} bytes, over Step Functions' maximum size of a state machine definition of 1,048,576 bytes/);
  });

  test(`each reference counts ${MEASURED_REFERENCE_LENGTH} characters, more than the ARN it stands for`, () => {
    const machine = (parts: unknown[]) => ({
      Resources: { Workflow: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: { 'Fn::Join': ['', parts] } } } },
    });
    const text = definitionOf(MAX_DEFINITION_BYTES - 100);
    const [before, after] = text.split('"Result":"');
    // "aws" counts 256 characters, more than the 100 to spare.
    const template = machine([`${before}"Result":"`, { Ref: 'AWS::Partition' }, after]);

    expect(templateLimitViolations(template, 'TestStack')).toEqual([expect.objectContaining({ subject: 'state machine TestStack/Workflow', size: MAX_DEFINITION_BYTES - 100 + 256 })]);
    expect(templateLimitViolations(machine([text]), 'TestStack')).toEqual([]);
  });

  test('a reference outside a string (a number parameter) is measured too, and the state names still read', () => {
    const template = {
      Resources: {
        Workflow: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: {
            DefinitionString: { 'Fn::Join': ['', ['{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":', { Ref: 'Delay' }, `,"Next":"${nameOf(81)}"},"${nameOf(81)}":{"Type":"Succeed"}}}`]] },
          },
        },
      },
    };
    expect(templateLimitViolations(template, 'TestStack')).toEqual([expect.objectContaining({ state: nameOf(81), size: 81 })]);
  });

  test('a definition that is not JSON has no state names to check, and its size still counts', () => {
    expect(definitionLimitViolations('state machine T', '{ not json')).toEqual([]);
    expect(definitionLimitViolations('state machine T', `{ not json ${'x'.repeat(MAX_DEFINITION_BYTES)}`)).toEqual([
      expect.objectContaining({ what: 'the definition (in UTF-8)', size: MAX_DEFINITION_BYTES + 11 }),
    ]);
  });

  test('a definition the check cannot read fails rather than pass unchecked', () => {
    const template = (properties: unknown) => ({ Resources: { Workflow: { Type: 'AWS::StepFunctions::StateMachine', Properties: properties } } });
    expect(() => templateLimitViolations(template({ DefinitionS3Location: { Bucket: 'b', Key: 'k' } }), 'TestStack'))
      .toThrow(/state machine TestStack\/Workflow has no DefinitionString or Definition/);
    expect(() => templateLimitViolations(template({ DefinitionString: { 'Fn::Join': ['', [{ 'Fn::Sub': 'x' }]] } }), 'TestStack'))
      .toThrow(/cannot render/);
  });
});

describe('the hook', () => {
  test('every test file runs with it: the setup file is in the Jest configuration that .projenrc.ts writes', () => {
    const config = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).jest;
    expect(config.setupFilesAfterEnv).toContain('<rootDir>/test/support/setup-limit-checks.ts');
  });

  test('a test that catches the failure and goes on still fails after it', () => {
    const stack = workflow((s) => new sfn.Pass(s, nameOf(81)));
    let caught: unknown;
    try {
      Template.fromStack(stack);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(StepFunctionsLimitError);
    // What the setup file's afterEach finds, and fails the test with; taken here so this one passes.
    expect(takeUnexpectedLimitFailures()).toEqual([caught]);
  });

  test('every later synthesis of the same app fails again', () => {
    const stack = workflow((s) => new sfn.Pass(s, nameOf(81)));
    const first = expectSynthesisLimitExceeded(() => Template.fromStack(stack));
    expect(expectSynthesisLimitExceeded(() => Template.fromStack(stack))).toBe(first);
  });

  test('expecting a failure that does not happen fails', () => {
    const stack = workflow((s) => new sfn.Pass(s, nameOf(80)));
    expect(() => expectSynthesisLimitExceeded(() => Template.fromStack(stack))).toThrow(/expected the synthesis to exceed a Step Functions limit/);
  });
});
