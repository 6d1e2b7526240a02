/**
 * Bad input: the command exits with code 2 and prints one line, `explain: expected …, found …`,
 * and never a stack trace. Anything else that goes wrong is a bug and exits with code 1.
 */
export class InputError extends Error {
  constructor(public readonly expected: string, public readonly found: string) {
    super(`expected ${expected}, found ${found}`);
    this.name = 'InputError';
  }
}

/** A short description of a JSON value for an error message: the library's, which `simulate()` uses too. */
export { describeJson } from '../src/simulate/failure-payload';
