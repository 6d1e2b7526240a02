import { IResolvable, Token, Tokenization, TokenizedStringFragments } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { embed, isJsonataExpression } from '../engines/state-machine/jsonata-expressions';
import { jsonPathToJsonata } from '../engines/state-machine/jsonpath-to-jsonata';
import { RetryableEcsRunTaskOptions } from '../retryable-ecs-run-task-options';

/** The RunTask inputs a user gives, as the engine's RunTask state takes them. */
export interface UserRunTaskInputs {
  readonly cpu?: string;
  readonly memoryMiB?: string;
  readonly containerOverrides: tasks.ContainerOverride[];
}

/**
 * The user's RunTask inputs (`cpu`, `memoryMiB`, `containerOverrides`) for a RunTask state in
 * `queryLanguage`, so that a run switches engines by changing `decisionEngine` alone:
 *
 * - JSONPath (`DecisionEngine.LAMBDA_FUNCTION`): the inputs as given; CDK renders each `JsonPath` token
 *   as a `.$` field. A JSONata expression (`{% ... %}`) is an error: it would reach the task as
 *   literal text.
 * - JSONata (`DecisionEngine.STATE_MACHINE`): each `JsonPath` token becomes the JSONata
 *   expression that reads the same value (`$.mode` becomes `{% $states.input.mode %}`), where
 *   CDK would pass its path on as literal text; what does not translate (intrinsic functions,
 *   wildcards, filters) is an error. JSONata expressions pass unchanged.
 *
 * Either way, a `JsonPath` token inside a longer string is an error, and so is one as
 * `revisionNumber`: neither engine can read it there. Literal values and other tokens pass
 * unchanged.
 */
export function userRunTaskInputs(props: RetryableEcsRunTaskOptions, queryLanguage: sfn.QueryLanguage): UserRunTaskInputs {
  const reader = new InputReader(queryLanguage === sfn.QueryLanguage.JSONATA);
  if (props.revisionNumber !== undefined && Token.isUnresolved(props.revisionNumber)) {
    const path = jsonPathOf(Tokenization.reverseNumber(props.revisionNumber));
    if (path !== undefined) {
      throw new Error(
        `\`revisionNumber\` is a JsonPath, but RunTask takes the revision inside the task definition's name ('family:revision'), where neither engine reads a path, got: ${JSON.stringify(displayPath(path))}. `
        + 'Give the revision as a number.',
      );
    }
  }
  return {
    cpu: reader.read('cpu', props.cpu),
    memoryMiB: reader.read('memoryMiB', props.memoryMiB),
    containerOverrides: (props.containerOverrides ?? []).map((override, i) => {
      const { containerDefinition, ...fields } = override;
      return { ...reader.read(`containerOverrides[${i}]`, fields), containerDefinition };
    }),
  };
}

/** Reads values for one query language; `prop` names where a value is, for the errors. */
class InputReader {
  constructor(private readonly jsonata: boolean) {}

  public read<T>(prop: string, value: T): T {
    return this.value(prop, value, false) as T;
  }

  private value(prop: string, value: unknown, inList: boolean): unknown {
    if (typeof value === 'string') {
      return this.string(prop, value, inList);
    }
    if (typeof value === 'number') {
      return this.number(prop, value);
    }
    if (Array.isArray(value)) {
      return this.list(prop, value);
    }
    if (Tokenization.isResolvable(value)) {
      return this.resolvable(prop, value);
    }
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, this.value(`${prop}.${key}`, field, false)]));
    }
    return value;
  }

  private string(prop: string, value: string, inList: boolean): string {
    if (Token.isUnresolved(value)) {
      const fragments = Tokenization.reverseString(value);
      const path = fragments.tokens.map(jsonPathOf).find((p) => p !== undefined);
      if (path !== undefined) {
        if (fragments.length > 1) {
          throw new Error(
            `\`${prop}\` puts a JsonPath inside a longer string, where neither engine reads it as a path, got: ${JSON.stringify(displayString(fragments))}. `
            + 'Build the string with sfn.JsonPath.format(...) on DecisionEngine.LAMBDA_FUNCTION, or with a JSONata expression (\'{% \'text\' & $states.input.field %}\') on DecisionEngine.STATE_MACHINE.',
          );
        }
        if (!this.jsonata && inList) {
          throw new Error(
            `\`${prop}\` is a JsonPath inside a list, which the JSONPath states of DecisionEngine.LAMBDA_FUNCTION cannot read, got: ${JSON.stringify(displayPath(path))}. `
            + 'Read the whole list with sfn.JsonPath.listAt(...), or use DecisionEngine.STATE_MACHINE, whose JSONata states read each item.',
          );
        }
        return this.jsonata ? embed(this.translate(prop, path)) : value;
      }
    }
    if (!this.jsonata && isJsonataExpression(value)) {
      throw new Error(
        `\`${prop}\` is a JSONata expression, which the JSONPath states of DecisionEngine.LAMBDA_FUNCTION would pass to the task as literal text, got: ${JSON.stringify(value)}. `
        + 'Read the state with sfn.JsonPath (e.g. sfn.JsonPath.stringAt(\'$.mode\')), which both engines read, or use DecisionEngine.STATE_MACHINE.',
      );
    }
    return value;
  }

  private number(prop: string, value: number): number {
    const path = Token.isUnresolved(value) ? jsonPathOf(Tokenization.reverseNumber(value)) : undefined;
    return path !== undefined && this.jsonata ? Token.asNumber(embed(this.translate(prop, path))) : value;
  }

  private list(prop: string, value: unknown[]): unknown[] {
    const token = value.every((item) => typeof item === 'string') ? Tokenization.reverseList(value as string[]) : undefined;
    if (token) {
      const path = jsonPathOf(token);
      return path !== undefined && this.jsonata ? Token.asList(embed(this.translate(prop, path))) : value;
    }
    return value.map((item, i) => this.value(`${prop}[${i}]`, item, true));
  }

  private resolvable(prop: string, value: IResolvable): unknown {
    const path = jsonPathOf(value);
    return path !== undefined && this.jsonata ? embed(this.translate(prop, path)) : value;
  }

  private translate(prop: string, path: string): string {
    const translation = jsonPathToJsonata(path);
    if ('untranslatable' in translation) {
      throw new Error(
        `\`${prop}\` is a JsonPath with ${translation.untranslatable}, which the JSONata states of DecisionEngine.STATE_MACHINE cannot read, got: ${JSON.stringify(path)}. `
        + 'Write the value as a JSONata expression (\'{% ... %}\', reading the state input as $states.input), or use DecisionEngine.LAMBDA_FUNCTION.',
      );
    }
    return translation.expression;
  }
}

/** The path of a CDK `JsonPath` token, as CDK renders it in a JSONPath state's `.$` field; else undefined. */
function jsonPathOf(token: IResolvable | undefined): string | undefined {
  if (token === undefined) {
    return undefined;
  }
  const path = (sfn.FieldUtils.renderObject({ value: token }) as Record<string, unknown>)['value.$'];
  return typeof path === 'string' ? path : undefined;
}

/** A JsonPath token as CDK prints one. */
function displayPath(path: string): string {
  return `<path:${path}>`;
}

/** A string with its JsonPath tokens shown as paths. */
function displayString(fragments: TokenizedStringFragments): string {
  return fragments
    .mapTokens({ mapToken: (token) => { const path = jsonPathOf(token); return path === undefined ? token : displayPath(path); } })
    .join({ join: (left, right) => `${left}${right}` });
}

