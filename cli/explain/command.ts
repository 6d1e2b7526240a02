import { parseArgs } from 'util';
import { explainExecution } from './explain-execution';
import { EXPECTED_FAILURE, explainPolicy, readFailure } from './explain-policy';
import { HISTORY_INPUT, readHistory } from './history-events';
import { renderExecution, renderPolicy, renderWarnings } from './render-text';
import { readTemplateRuns, selectRun } from './template-runs';
import { InputError } from '../input-error';
import { readJsonValues } from '../json-input';
import { visibleValues } from '../visible-text';

export const EXPLAIN_HELP = `Usage:
  cdk-retryable-ecs-run-task explain HISTORY_FILE [--json] [--width N]
  cdk-retryable-ecs-run-task explain --template FILE_OR_CDK_OUT_DIR [--run CONSTRUCT_PATH] --failure FILE [--json] [--width N]

Explains why a run of RetryableEcsRunTask (or of a RetryableEcsRunTaskFragment) retried or did
not, and what a policy does with a failure, for both decision engines: LAMBDA and STATE_MACHINE,
by their names (DecisionEngine.LAMBDA_FUNCTION is named LAMBDA).
It classifies with the decider's own code, decideRetry; the STATE_MACHINE engine's JSONata
decides as decideRetry does, which the library's differential tests hold it to.

An execution
  HISTORY_FILE is the JSON that 'aws stepfunctions get-execution-history --output json' prints;
  '-' reads standard input. Pages saved one by one may be concatenated into one file. Prints, for
  each run (for each item of a Map), one row per attempt: when it started and how long it ran,
  how the task ended (stop code, exit code per container, stopped reason, or the API error), the
  rule that decided and the decision, and the wait that followed; then the run's result. The
  decision is the one recorded: the decider's answer (LAMBDA), or the input of the 'Retry or
  fail' state (STATE_MACHINE). A STATE_MACHINE run's history does not hold its construct path:
  the run is named by its state names ('Extract: …'), which --run takes too. A history of up to
  1 GiB is read; fetch a larger one with --no-include-execution-data (about 300 bytes an event).
  Warnings about the history (events missing or contradicting each other) go to standard error.

  Example:
    aws stepfunctions get-execution-history --execution-arn "$EXECUTION_ARN" --output json \\
      | npx cdk-retryable-ecs-run-task explain -

A policy
  --template  a synthesized template (cdk.out/MyStack.template.json) or a cloud assembly
              directory (cdk.out, every stack in it).
  --run       the run's construct path, e.g. MyStack/NightlyReportJob/Run; a unique part of it,
              or the prefix of its state names ('Extract: ' or Extract), will do. Optional when
              the template has one run. A STATE_MACHINE run's path comes from its metric
              filters, or from its 'Start attempts' state when its state names were shortened
              to fit 80 characters; a fragment without either is taken to be beside its state
              machine.
  --failure   a file with a failure as a Catch receives it, {"Error": ..., "Cause": ...}, as
              copied from a TaskFailed event of a history (its taskFailedEventDetails or the
              whole event will do too); '-' reads standard input.
  Prints the policy as the state machine carries it, the decision and the rule for that failure
  at each attempt number (as if every attempt failed this way), and the wait schedule, lowest
  and highest with jitter.

  Example:
    npx cdk synth && npx cdk-retryable-ecs-run-task explain --template cdk.out \\
      --run MyStack/NightlyReportJob/Run --failure failure.json

Options
  --json      print the explanation as JSON instead of text
  --width N   fit the text to N columns (default: the terminal's width, or 120)
  -h, --help  print this help

Control and invisible characters of the input (ESC, CSI, OSC, NUL, bidi controls, …) are shown
as escapes (\\u001b), in the text, on standard error and in the strings of --json.

Exit codes: 0 explained; 2 bad input (the message says what was expected and what was found);
1 anything else.
`;

/** What `explain` prints: the explanation on standard output, warnings about the input on standard error. */
export interface ExplainOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `explain` with its arguments; returns what to print. Throws `InputError` on bad input. */
export function explain(args: string[], terminalColumns: number | undefined): ExplainOutput {
  let parsed: ReturnType<typeof parseExplainArgs>;
  try {
    parsed = parseExplainArgs(args);
  } catch (e) {
    if (e instanceof InputError) {
      throw e;
    }
    throw new InputError('the arguments of `explain HISTORY_FILE` or `explain --template … --failure …` (see --help)', (e as Error).message.replace(/\.$/, ''));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    return { stdout: EXPLAIN_HELP, stderr: '' };
  }
  const width = values.width === undefined ? terminalColumns ?? 120 : Number(values.width);
  if (!Number.isInteger(width) || width < 40) {
    throw new InputError('--width to be a whole number of columns, at least 40', JSON.stringify(values.width));
  }
  // Every string of the explanation is made visible once, before either rendering: see visible-text.ts.
  const output = <T extends object>(model: T, text: (visible: T) => string): ExplainOutput => {
    const shown = visibleValues(model);
    const warnings = 'warnings' in shown && Array.isArray(shown.warnings) ? shown.warnings as string[] : [];
    return values.json
      ? { stdout: `${JSON.stringify(shown, null, 2)}\n`, stderr: '' }
      : { stdout: text(shown), stderr: renderWarnings(warnings, width) };
  };

  if (values.template !== undefined) {
    if (positionals.length > 0) {
      throw new InputError('either HISTORY_FILE or --template, not both', `${JSON.stringify(positionals[0])} and --template`);
    }
    if (values.failure === undefined) {
      throw new InputError('--failure FILE with --template', 'no --failure');
    }
    if (values.failure === '-' && values.template === '-') {
      throw new InputError('at most one input on standard input', '--template - and --failure -');
    }
    const runs = readTemplateRuns(values.template);
    const run = selectRun(runs, values.run, values.template);
    const failures = readJsonValues(values.failure, EXPECTED_FAILURE, { expected: EXPECTED_FAILURE });
    if (failures.length !== 1) {
      throw new InputError(`${EXPECTED_FAILURE}, one JSON value`, `${failures.length} values`);
    }
    const model = explainPolicy(run, readFailure(failures[0]));
    return output(model, (shown) => renderPolicy(shown, width));
  }

  for (const flag of ['run', 'failure'] as const) {
    if (values[flag] !== undefined) {
      throw new InputError(`--${flag} only with --template`, `--${flag} without --template`);
    }
  }
  if (positionals.length !== 1) {
    throw new InputError('one HISTORY_FILE (or - for standard input), or --template (see --help)',
      positionals.length === 0 ? 'neither' : `${positionals.length} files: ${positionals.join(' ')}`);
  }
  const history = readHistory(readJsonValues(positionals[0], 'an execution history file', HISTORY_INPUT));
  const model = explainExecution(history);
  if (model.runs.length === 0) {
    // The items of a Distributed Map run as child executions, each with a history of its own.
    const distributed = history.events.some((e) => e.type.startsWith('MapRun'));
    throw new InputError(
      'the history of an execution that ran a RetryableEcsRunTask (states named `Start attempts` and `Run task`, with or without a fragment prefix)',
      `${history.events.length} events without one${distributed ? '; this execution ran a Distributed Map, whose items are child executions: explain the history of a child execution' : ''}`,
    );
  }
  return output(model, (shown) => renderExecution(shown, width));
}

function parseExplainArgs(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      template: { type: 'string', short: 't' },
      run: { type: 'string' },
      failure: { type: 'string', short: 'f' },
      json: { type: 'boolean' },
      width: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
