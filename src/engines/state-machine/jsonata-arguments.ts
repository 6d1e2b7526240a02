import { Lazy, Stack, Token, Tokenization } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { isJsonataExpression } from './jsonata-expressions';

/**
 * A number prop (typed `number` in CDK) that a JSONata state evaluates: it renders as
 * `{% expression %}`.
 */
export function jsonataNumber(expression: string): number {
  return Token.asNumber(Lazy.any({ produce: () => `{% ${expression} %}` }));
}

/**
 * The JSONata expression that builds `value`, an object as CDK renders a JSONata state's
 * `Arguments`: each `{% expression %}` string (or token that resolves to one) becomes that expression,
 * and everything else stays the value it is. A part that holds no expression becomes JSON text,
 * which is JSONata too, written by `Stack.toJsonString`, so that its tokens (a cluster's ARN, a
 * subnet's `Ref`, a parameter from another stack) resolve as they do anywhere in a definition.
 * Fields whose value is undefined are left out, as they are when CDK renders the object.
 */
export function jsonataObject(scope: IConstruct, value: unknown): string {
  return new JsonataBuilder(Stack.of(scope)).build(value);
}

class JsonataBuilder {
  constructor(private readonly stack: Stack) {}

  public build(value: unknown): string {
    const expression = this.expressionOf(value);
    if (expression !== undefined) {
      return `(${expression})`;
    }
    if (!this.holdsExpression(value)) {
      return this.stack.toJsonString(value);
    }
    if (Array.isArray(value)) {
      return `[${value.map((item) => this.build(item)).join(', ')}]`;
    }
    const fields = Object.entries(value as Record<string, unknown>).filter(([, field]) => field !== undefined);
    return `{${fields.map(([name, field]) => `${JSON.stringify(name)}: ${this.build(field)}`).join(', ')}}`;
  }

  /**
   * The JSONata expression a value is, when it is one: a `{% %}` string, or a token that
   * resolves to one (`jsonataNumber`, a list prop read with JSONata).
   */
  private expressionOf(value: unknown): string | undefined {
    const text = Token.isUnresolved(value) || Tokenization.isResolvable(value) ? this.stack.resolve(value) : value;
    return typeof text === 'string' && isJsonataExpression(text) ? text.replace(/^\{%/, '').replace(/%\}$/, '').trim() : undefined;
  }

  /** Whether an expression is anywhere inside a value. */
  private holdsExpression(value: unknown): boolean {
    if (this.expressionOf(value) !== undefined) {
      return true;
    }
    if (Array.isArray(value)) {
      return value.some((item) => this.holdsExpression(item));
    }
    if (typeof value === 'object' && value !== null && !Tokenization.isResolvable(value)) {
      return Object.values(value).some((field) => this.holdsExpression(field));
    }
    return false;
  }
}
