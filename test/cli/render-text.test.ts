import * as fs from 'fs';
import * as path from 'path';
import { explainExecution } from '../../cli/explain/explain-execution';
import { readHistory } from '../../cli/explain/history-events';
import { renderExecution, wrapCell } from '../../cli/explain/render-text';

// The end of a stopped reason is usually where the cause is: a cell too short for a reason keeps
// its head and its end, with `…` between, at any width.

const REASON = 'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: '
  + 'unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: '
  + 'Post "https://api.ecr.us-east-1.amazonaws.com/": dial tcp 10.0.1.23:443: i/o timeout';

describe('a long cell keeps its head and its end', () => {
  test('the reason of the issue in README\'s column of 40', () => {
    expect(wrapCell(`TaskFailedToStart · ${REASON}`, 40, 4)).toEqual([
      'TaskFailedToStart ·',
      'ResourceInitializationError: unable to',
      '… s://api.ecr.us-east-1.amazonaws.com/":',
      'dial tcp 10.0.1.23:443: i/o timeout',
    ]);
  });

  test('a text that fits is wrapped, not cut', () => {
    expect(wrapCell('exit app=75 · EssentialContainerExited · Essential container in task exited', 40, 4))
      .toEqual(['exit app=75 · EssentialContainerExited ·', 'Essential container in task exited']);
  });

  test('any text, any width: at most the lines given, none wider, the first line its start and the last its end', () => {
    const words = REASON.split(' ');
    for (let length = 1; length <= words.length; length += 3) {
      const text = words.slice(0, length).join(' ');
      for (const width of [24, 31, 40, 57, 80]) {
        for (const maxLines of [2, 3, 4]) {
          const lines = wrapCell(text, width, maxLines);
          expect(lines.length).toBeLessThanOrEqual(maxLines);
          lines.forEach((line) => expect(line.length).toBeLessThanOrEqual(width));
          expect(text.startsWith(lines[0])).toBe(true);
          expect(text.endsWith(lines[lines.length - 1].replace(/^… /, ''))).toBe(true);
        }
      }
    }
  });

  test.each([120, 100, 80])('explain at a width of %i shows the reason\'s kind and its end', (width) => {
    const history = JSON.parse(fs.readFileSync(path.join(__dirname, 'samples', 'readme-not-retryable.json'), 'utf8'));
    const failed = history.events.find((e: any) => e.type === 'TaskFailed');
    const task = JSON.parse(failed.taskFailedEventDetails.cause);
    failed.taskFailedEventDetails.cause = JSON.stringify({ ...task, StoppedReason: REASON });

    const text = renderExecution(explainExecution(readHistory([history])), width);

    const row = text.slice(text.indexOf('  1  02:00:00'), text.indexOf('  2  02:00:45'));
    expect(row).toContain('ResourceInitialization');
    expect(row.replace(/\s+/g, ' ')).toMatch(/… .*i\/o timeout $/);
    // The flexible column is at least 24 wide, so a narrow terminal gets wider lines.
    text.split('\n').forEach((line) => expect(line.length).toBeLessThanOrEqual(Math.max(width, 105)));
  });
});
