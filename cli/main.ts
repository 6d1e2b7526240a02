import { explain, EXPLAIN_HELP } from './explain/command';
import { InputError } from './input-error';
import { visible, visibleOutput } from './visible-text';

const USAGE = `Usage: cdk-retryable-ecs-run-task COMMAND [ARGS]

Commands:
  explain   why a run retried or did not, or what a policy does with a failure

Run 'cdk-retryable-ecs-run-task explain --help' for its arguments.
`;

/**
 * The package's command line, `npx cdk-retryable-ecs-run-task …`. Returns the exit code: 0 when
 * it explained, 2 on bad input (one line on stderr, `explain: expected …, found …`), 1 on
 * anything else.
 */
export function main(argv: string[], out: (text: string) => void, err: (text: string) => void, columns?: number): number {
  const [command, ...args] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? err : out)(command === 'help' && args[0] === 'explain' ? EXPLAIN_HELP : USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'explain') {
    err(`cdk-retryable-ecs-run-task: expected a command (explain), found ${visible(JSON.stringify(command))}\n`);
    return 2;
  }
  // Whatever is written passes visibleOutput, or visible for a message of one line: nothing the
  // input holds reaches the terminal as a control character (see visible-text.ts).
  try {
    const { stdout, stderr } = explain(args, columns);
    out(visibleOutput(stdout));
    if (stderr !== '') {
      err(visibleOutput(stderr));
    }
    return 0;
  } catch (e) {
    if (e instanceof InputError) {
      err(`explain: ${visible(e.message)}\n`);
      return 2;
    }
    err(`explain: unexpected error, please report it with the input that caused it: ${visible(e instanceof Error ? e.message : String(e))}\n`);
    return 1;
  }
}

if (require.main === module) {
  // A closed pipe (`… | head`) is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') {
      process.exit(0);
    }
  });
  process.exitCode = main(
    process.argv.slice(2),
    (text) => process.stdout.write(text),
    (text) => process.stderr.write(text),
    process.stdout.isTTY ? process.stdout.columns : undefined,
  );
}
