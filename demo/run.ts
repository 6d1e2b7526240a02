import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { differences, sideBySide } from './compare';
import { executedRun } from './executed-run';
import { FAILURES } from './failures';
import { readme, readmeExample, synthesizeReadmeExample } from './readme-example';
import { fromMiniStackHistory } from '../test/support/execution-history';
import { failure, successTask } from '../test/support/fixtures';
import { renderedDefinition } from '../test/support/local-execution';
import { MiniStack } from '../test/support/ministack';
import { deployToMiniStack, executeInMiniStack, MiniStackScenario, runTaskMockConfig } from '../test/support/ministack-execution';

// `scripts/demo.sh`: README's adaptive example, synthesized from README's own text, executed in
// MiniStack with the ECS task replaying real failure shapes (test/fixtures/ecs-failures), next to
// what simulate() predicted for the same failures, and explain's view of the execution. Exits 1
// when the prediction and the execution differ.

const ROOT = path.join(__dirname, '..');
const EXPLAIN = path.join(ROOT, 'assets', 'cli', 'cdk-retryable-ecs-run-task.js');
const MACHINE = 'ReadmeExample';
/** The Lambda engine's ECS task states, both mocked, so that no attempt reaches MiniStack's own ECS. */
const RUN_TASK_STATES = ['Run task', 'Run task on fallback'];

async function main(): Promise<number> {
  const started = Date.now();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'retryable-ecs-run-task-demo-'));
  // Started, or starting: a signal may come while MiniStack starts.
  let ministack: Promise<MiniStack> | undefined;
  const stopMiniStack = async () => {
    const running = await ministack?.catch(() => undefined);
    ministack = undefined;
    await running?.stop();
  };
  const cleanUp = async () => {
    await stopMiniStack();
    fs.rmSync(scratch, { recursive: true, force: true });
  };
  // MiniStack runs in a process group of its own, which Ctrl-C in the terminal does not reach.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(128 + os.constants.signals[signal])));
  }
  try {
    const example = readmeExample(readme());
    const { stack, job } = synthesizeReadmeExample(example, path.join(scratch, 'cdk.out'));
    console.log(`README example: "${example.section}" (README.md line ${example.line}), ${job.node.path}, on the default engine`);
    console.log('The ECS task replays, from test/fixtures/ecs-failures:');
    FAILURES.forEach(({ fixture, what }, i) => console.log(`  attempt ${i + 1}: ${what} (${fixture}.json)`));
    console.log(`  attempt ${FAILURES.length + 1}: success`);

    const failures = FAILURES.map(({ fixture }) => JSON.stringify(failure(fixture)));
    const predicted = job.simulate(failures);

    // The mocked success does not say where or how big the task ran: MiniStack records no RunTask
    // request for it, and the run's own record says (explain reads it from there).
    const { LaunchType, Cpu, Memory, ...succeeded } = successTask();
    const scenario: MiniStackScenario = {
      outcomes: [...FAILURES.map(({ fixture }) => ({ fail: failure(fixture) })), { succeed: succeeded }],
      outcomesByState: { 'Run task on fallback': [] },
    };
    const definition = renderedDefinition(stack);
    ministack = MiniStack.start(runTaskMockConfig(MACHINE, { demo: scenario }, RUN_TASK_STATES));
    const arn = await deployToMiniStack(await ministack, MACHINE, definition);
    const { demo: execution } = await executeInMiniStack(await ministack, arn, { demo: scenario }, RUN_TASK_STATES);
    await stopMiniStack();

    const history = await fromMiniStackHistory(definition, execution.events, { succeededTask: succeeded });
    const historyFile = path.join(scratch, 'history.json');
    fs.writeFileSync(historyFile, JSON.stringify(history));
    console.log('\nexplain, on the execution\'s history (npx cdk-retryable-ecs-run-task explain history.json):\n');
    console.log(execFileSync(process.execPath, [EXPLAIN, 'explain', historyFile, '--width', '140'], { encoding: 'utf8' }).trimEnd());

    const executed = executedRun(history);
    console.log('\nsimulate() predicted, and the execution in MiniStack did:\n');
    console.log(sideBySide(predicted, executed));
    const found = differences(predicted, executed);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (found.length > 0) {
      console.error(`\nDEMO FAILED: the execution differs from what simulate() predicted, in ${found.length} way(s):`);
      found.forEach((d) => console.error(`  - ${d}`));
      return 1;
    }
    console.log(`\nThe execution did what simulate() predicted, attempt by attempt (${seconds} s).`);
    return 0;
  } finally {
    await cleanUp();
  }
}

main().then((code) => process.exit(code), (e) => {
  console.error(`DEMO FAILED: ${e instanceof Error ? e.stack : String(e)}`);
  process.exit(1);
});
