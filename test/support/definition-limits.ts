import { renderIntrinsic } from './intrinsics';
import { formatNumber, jsonBytes, LimitViolation, MAX_DEFINITION_BYTES, MAX_STATE_NAME_LENGTH, utf8Bytes } from './step-functions-limits';

/**
 * Every reference (`Ref`, `Fn::GetAtt`, pseudo parameters too) counts as this many characters
 * when a definition is measured: about what CloudFormation puts in its place at most (an SNS
 * topic's name, the longest, is at most 256 characters; a Lambda function, cluster, task
 * definition or role ARN, or a number parameter, is shorter). A few dozen references then
 * overstate a definition by a few KB, which does not matter against 1 MB.
 */
export const MEASURED_REFERENCE_LENGTH = 256;

/**
 * What a reference is measured as: digits, which JSON accepts both inside a string (an ARN in a
 * `Resource`) and as a bare value (a number parameter in `"MaxAttempts": {"Ref": …}`).
 */
const MEASURED_REFERENCE = '9'.repeat(MEASURED_REFERENCE_LENGTH);

/**
 * The limits a state machine definition (JSON text, with references already rendered) exceeds:
 * its size in UTF-8 bytes, and the length of every state name, those inside Map item processors
 * (`ItemProcessor`, `Iterator`) and Parallel branches (`Branches`) included. A text that is not
 * JSON has no states to name (Step Functions rejects it as an invalid definition, asl-validator
 * too); only its size is checked.
 *
 * @param subject names the state machine in messages, e.g. `state machine TestStack/Workflow`
 * @param measured says in messages how the text was measured
 */
export function definitionLimitViolations(subject: string, definitionText: string, measured = 'in UTF-8'): LimitViolation[] {
  let definition: any;
  try {
    definition = JSON.parse(definitionText);
  } catch {
    definition = {};
  }
  const violations: LimitViolation[] = [];
  const bytes = utf8Bytes(definitionText);
  if (bytes > MAX_DEFINITION_BYTES) {
    const [largest, largestBytes] = Object.entries<unknown>(definition.States ?? {})
      .map(([name, state]) => [name, jsonBytes(state)] as const)
      .reduce((a, b) => (b[1] > a[1] ? b : a), ['', 0] as const);
    violations.push({
      subject,
      what: `the definition (${measured}${largest ? `; its largest state, ${JSON.stringify(largest)}, is ${formatNumber(largestBytes)} bytes` : ''})`,
      size: bytes,
      limit: MAX_DEFINITION_BYTES,
      unit: 'bytes',
      limitName: 'maximum size of a state machine definition',
    });
  }
  const visit = (machine: any, where: string) => {
    for (const [name, state] of Object.entries<any>(machine?.States ?? {})) {
      // Characters as Step Functions counts them: code points, so an astral character is one.
      const length = [...name].length;
      if (length > MAX_STATE_NAME_LENGTH) {
        violations.push({
          subject, state: name, what: `the state name${where}`, size: length, limit: MAX_STATE_NAME_LENGTH, unit: 'characters', limitName: 'maximum length of a name',
        });
      }
      const processor = state?.ItemProcessor ?? state?.Iterator;
      if (processor) {
        visit(processor, ` (in the item processor of ${JSON.stringify(name)})`);
      }
      (state?.Branches ?? []).forEach((branch: unknown, i: number) => visit(branch, ` (in branch ${i} of ${JSON.stringify(name)})`));
    }
  };
  visit(definition, '');
  return violations;
}

/**
 * The limits that the state machines (`AWS::StepFunctions::StateMachine`) of a synthesized
 * CloudFormation template exceed. Each definition is measured as deployed: `DefinitionString`
 * (a string or a `Fn::Join`) or `Definition`, with `DefinitionSubstitutions` substituted and every
 * reference rendered `MEASURED_REFERENCE_LENGTH` characters long. Throws on a definition it
 * cannot read (`DefinitionS3Location`, an unknown intrinsic function) rather than skip it.
 *
 * @param stackName names the stack in messages, when the state machine's construct path is not known
 * @param constructPath the construct path of a state machine, by logical ID, to name it in messages
 */
export function templateLimitViolations(
  template: any, stackName: string, constructPath?: (logicalId: string) => string | undefined,
): LimitViolation[] {
  return Object.entries<any>(template?.Resources ?? {})
    .filter(([, resource]) => resource?.Type === 'AWS::StepFunctions::StateMachine')
    .flatMap(([logicalId, resource]) => {
      const path = constructPath?.(logicalId) ?? resource.Metadata?.['aws:cdk:path']?.replace(/\/Resource$/, '');
      const subject = `state machine ${path ? `${path} (${logicalId})` : `${stackName}/${logicalId}`}`;
      const measured = `in UTF-8, each reference counted as ${MEASURED_REFERENCE_LENGTH} characters`;
      return definitionLimitViolations(subject, deployedDefinition(subject, resource.Properties ?? {}), measured);
    });
}

/** The definition text CloudFormation would hand to Step Functions, references rendered long. */
function deployedDefinition(subject: string, properties: Record<string, any>): string {
  const render = (value: unknown) => renderIntrinsic(value, { reference: () => MEASURED_REFERENCE });
  let text: string;
  if (properties.DefinitionString !== undefined) {
    text = render(properties.DefinitionString);
  } else if (properties.Definition !== undefined) {
    text = JSON.stringify(renderedValues(properties.Definition, render));
  } else {
    throw new Error(`${subject} has no DefinitionString or Definition (DefinitionS3Location?), so the harness cannot check its limits`);
  }
  for (const [key, value] of Object.entries(properties.DefinitionSubstitutions ?? {})) {
    text = text.split(`\${${key}}`).join(typeof value === 'string' ? value : render(value));
  }
  return text;
}

/** A JSON value with each intrinsic function in it rendered to a string. */
function renderedValues(value: unknown, render: (intrinsic: unknown) => string): unknown {
  if (Array.isArray(value)) {
    return value.map((v) => renderedValues(v, render));
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
      return render(value);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderedValues(v, render)]));
  }
  return value;
}
