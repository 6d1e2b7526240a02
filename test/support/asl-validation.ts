/** The checks asl-validator can turn off; both default to on. */
export interface AslValidationOptions {
  /** JSONPath and reference-path syntax in InputPath, OutputPath, ResultPath, Parameters and the like. */
  readonly checkPaths: boolean;
  /** Task `Resource` values are well-formed ARNs. */
  readonly checkArn: boolean;
}

/** One finding: an error code such as `MISSING_TRANSITION_TARGET`, and a message naming the state or path. */
interface AslValidationError {
  readonly 'Error code': string;
  readonly 'Message': string;
}

// asl-validator ships no type declarations; this is the signature of its CommonJS export.
type AslValidator = (definition: object, options?: AslValidationOptions) => {
  isValid: boolean;
  errors: AslValidationError[];
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator: AslValidator = require('asl-validator');

/**
 * asl-validator checks that these tests turn off, each with the reason. Every check is on: the
 * rendered definitions satisfy all of them. Add one here only with the reason, and report it.
 */
export const DISABLED_ASL_CHECKS: ReadonlyArray<keyof AslValidationOptions> = [];

/**
 * asl-validator's findings for a definition with CloudFormation tokens already rendered (see
 * `renderedDefinition`): the JSON schema of the Amazon States Language, path syntax, Resource
 * ARNs, transitions to missing states, unreachable or missing terminal states, duplicate names.
 *
 * @returns one `CODE: message` line per finding; empty when the definition is valid
 */
export function aslValidationErrors(definition: object): string[] {
  // The validator fills in each state's QueryLanguage in place; validate a copy.
  const { errors } = aslValidator(structuredClone(definition), {
    checkPaths: !DISABLED_ASL_CHECKS.includes('checkPaths'),
    checkArn: !DISABLED_ASL_CHECKS.includes('checkArn'),
  });
  return errors.map((error) => `${error['Error code']}: ${error.Message}`);
}

/** Throws, listing asl-validator's findings, unless the rendered definition is valid ASL. */
export function expectValidAsl(definition: object, label: string): void {
  const errors = aslValidationErrors(definition);
  if (errors.length > 0) {
    throw new Error(`${label} is not valid Amazon States Language (asl-validator):\n${errors.map((e) => `  - ${e}`).join('\n')}`);
  }
}
