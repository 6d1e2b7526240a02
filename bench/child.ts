/**
 * Runs a benchmark module in a fresh Node process and collects its result.
 *
 * Two reasons: a fresh process gives each measurement the same starting point (no JIT state,
 * heap or lazily loaded modules from the run before), and it lets modules that import
 * test/support/local-execution.ts run at all. That file does not type-check under
 * tsconfig.dev.json (TS1479: aws-local-stepfunctions ships ESM type declarations), which Jest
 * tolerates but the type-checking `ts-node` of `npx projen bench` does not; children therefore
 * run with ts-node in transpile-only mode.
 */
import { spawn } from 'child_process';
import * as path from 'path';

const RESULT_MARKER = 'BENCH_RESULT ';
const ROOT = path.join(__dirname, '..');

export interface ChildOptions {
  /** Extra Node flags, e.g. `--expose-gc`. */
  readonly nodeFlags?: string[];
  /** Receives the child's own progress lines as they arrive; they are dropped when absent. */
  readonly log?: (line: string) => void;
}

/** Runs `file` (a .ts module under bench/) with `args`, and returns what it passed to `reportResult`. */
export function runChild<T>(file: string, args: string[], options: ChildOptions = {}): Promise<T> {
  const env = { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.dev.json'), TS_NODE_TRANSPILE_ONLY: 'true' };
  const nodeArgs = [...(options.nodeFlags ?? []), '-r', 'ts-node/register', file, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let result: string | undefined;
    let pending = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith(RESULT_MARKER)) {
          result = line.slice(RESULT_MARKER.length);
        } else if (line.trim() !== '') {
          options.log?.(line);
        }
      }
    });
    // CDK prints template validation warnings here (stacks over 500 resources); keep them for errors.
    child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-8000)));
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending.startsWith(RESULT_MARKER)) {
        result = pending.slice(RESULT_MARKER.length);
      }
      if (code !== 0 || result === undefined) {
        reject(new Error(`${path.relative(ROOT, file)} ${args.join(' ')} failed (exit ${code}):\n${stderr}`));
        return;
      }
      resolve(JSON.parse(result));
    });
  });
}

/** In a child: prints the result for `runChild`, or fails the process. */
export function reportResult(work: () => unknown): void {
  Promise.resolve()
    .then(work)
    .then((result) => process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`))
    .catch((error) => {
      process.stderr.write(`${error?.stack ?? error}\n`);
      process.exitCode = 1;
    });
}
