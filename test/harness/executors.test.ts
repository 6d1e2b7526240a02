import * as fs from 'fs';
import * as path from 'path';

// The data limits are checked inside the two executors (executeLocally, executeInMiniStack). A
// test that ran an interpreter some other way would skip them: none does.

const ROOT = path.join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      return entry.name.endsWith('.snapshot') ? [] : sources(file);
    }
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

/** Files of test/ and bench/, but this one, whose text matches `pattern`. */
function filesMatching(pattern: RegExp): string[] {
  return [...sources('test'), ...sources('bench')]
    .filter((file) => path.join(ROOT, file) !== __filename && pattern.test(fs.readFileSync(path.join(ROOT, file), 'utf8')))
    .sort();
}

test('only executeLocally runs aws-local-stepfunctions (and bench/local-run.ts, for the baselines)', () => {
  expect(filesMatching(/require\('aws-local-stepfunctions'\)|^import (?!type )[^;]*from 'aws-local-stepfunctions'/m)).toEqual([
    'bench/local-run.ts',
    'test/support/local-execution.ts',
  ]);
});

test('only executeInMiniStack asks MiniStack to execute', () => {
  expect(filesMatching(/command: 'execute'/)).toEqual(['test/support/ministack-execution.ts']);
});
