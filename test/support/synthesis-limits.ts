import * as fs from 'fs';
import * as path from 'path';
import { CfnResource, NestedStack, Stack, Stage } from 'aws-cdk-lib';
import { templateLimitViolations } from './definition-limits';
import { expectedLimitFailure, recordLimitFailure } from './limit-failures';
import { LimitViolation, StepFunctionsLimitError } from './step-functions-limits';

/**
 * Checks Step Functions' definition limits on everything CDK synthesizes in a test.
 *
 * `Stage.prototype.synth` is the one door every synthesis goes through: `app.synth()` is it,
 * `Template.fromStack(stack)` calls it on the stack's stage, a nested `Stage` is synthesized by
 * its own `synth`, and an integ rehearsal's `IntegTest` stacks are ordinary stacks of the app. So
 * the check wraps it, once per test file (the Jest setup file `setup-limit-checks.ts` installs it
 * for every test): each new cloud assembly's state machines, those of nested stacks
 * (`NestedStack`) included, are checked (`templateLimitViolations`), and `synth` throws a
 * `StepFunctionsLimitError` naming the state machine, the state and the limit. Every later
 * `synth` of the same assembly throws it again, and a violation that a test caught and dropped
 * still fails it after the test (`limit-failures.ts`), unless the test expected it with
 * `expectSynthesisLimitExceeded`.
 *
 * `Template.fromJSON` is not wrapped: the templates tests give it come out of `app.synth()`,
 * already checked; a template that no synthesis produced is not a definition CDK made.
 */
export function installSynthesisLimitChecks(): void {
  const prototype = Stage.prototype as Stage & { [INSTALLED]?: true };
  if (prototype[INSTALLED]) {
    return;
  }
  const synth = prototype.synth;
  prototype.synth = function checkedSynth(this: Stage, ...args: Parameters<Stage['synth']>) {
    const assembly = synth.apply(this, args);
    let error = checked.get(assembly);
    if (error === undefined) {
      const violations = assemblyLimitViolations(assembly, stateMachinePaths(this));
      error = violations.length > 0 ? new StepFunctionsLimitError(violations, `Synthesizing ${describeStage(this)}`) : null;
      checked.set(assembly, error);
      if (error) {
        recordLimitFailure(error);
      }
    }
    if (error) {
      throw error;
    }
    return assembly;
  };
  prototype[INSTALLED] = true;
}

/**
 * Runs `synthesize`, which must fail on a Step Functions limit, and returns that failure; the
 * violations no longer fail the test. For tests that exceed a limit on purpose.
 */
export function expectSynthesisLimitExceeded(synthesize: () => unknown): StepFunctionsLimitError {
  try {
    synthesize();
  } catch (e) {
    if (e instanceof StepFunctionsLimitError) {
      expectedLimitFailure(e);
      return e;
    }
    throw e;
  }
  throw new Error('expected the synthesis to exceed a Step Functions limit, but every definition is within them');
}

const INSTALLED = Symbol.for('cdk-retryable-ecs-run-task/synthesis-limit-checks');
/** Each cloud assembly checked, with its failure, or null when it is within the limits. */
const checked = new WeakMap<object, StepFunctionsLimitError | null>();

type CloudAssembly = ReturnType<Stage['synth']>;

/** The construct path of each state machine in a template, by the template (stack artifact ID or nested template file) and logical ID. */
type StateMachinePaths = (template: string, logicalId: string) => string | undefined;

function assemblyLimitViolations(assembly: CloudAssembly, paths: StateMachinePaths): LimitViolation[] {
  // A nested stack's template is a file asset of its parent, written to the assembly directory.
  const nestedTemplates = fs.readdirSync(assembly.directory).filter((file) => file.endsWith('.nested.template.json'));
  return [
    ...assembly.stacks.flatMap((stack) => templateLimitViolations(stack.template, stack.stackName, (id) => paths(stack.id, id))),
    ...nestedTemplates.flatMap((file) => {
      const template = JSON.parse(fs.readFileSync(path.join(assembly.directory, file), 'utf8'));
      return templateLimitViolations(template, file, (id) => paths(file, id));
    }),
  ];
}

/** Where the stage's own state machines are in its construct tree, for messages. */
function stateMachinePaths(stage: Stage): StateMachinePaths {
  const paths = new Map<string, string>();
  for (const construct of stage.node.findAll()) {
    if (CfnResource.isCfnResource(construct) && construct.cfnResourceType === 'AWS::StepFunctions::StateMachine' && Stage.of(construct) === stage) {
      const stack = Stack.of(construct);
      const template = NestedStack.isNestedStack(stack) ? stack.templateFile : stack.artifactId;
      paths.set(`${template}\0${stack.resolve(construct.logicalId)}`, construct.node.path.replace(/\/Resource$/, ''));
    }
  }
  return (template, logicalId) => paths.get(`${template}\0${logicalId}`);
}

function describeStage(stage: Stage): string {
  return stage.node.path ? `stage ${stage.node.path}` : 'the app';
}
