import * as fs from 'fs';
import * as path from 'path';

// README's Python, Java and Go examples are the marked regions of the consumer apps that
// consumers/run.sh installs the built packages into, synthesizes and checks: so every example
// in README runs, in its own language, against the packages as published.

const ROOT = path.join(__dirname, '..');

/** README_EXAMPLES_README checks another file instead, e.g. a draft (relative to the repository root). */
const README = path.resolve(ROOT, process.env.README_EXAMPLES_README ?? 'README.md');

/**
 * Each language's files, and the README blocks they hold: the regions of each file are README's
 * blocks in order, and the files' regions interleave in README as its sections do.
 */
const JAVA_SOURCES = 'consumers/java/src/main/java/com/example/nightlyreport';
const EXAMPLES = [
  // README's Jest test is fenced `tsx`: jsii-rosetta translates `ts` blocks, and cannot translate a Jest test.
  { language: 'tsx', files: ['consumers/typescript/retry-policy.test.ts'], comment: '//' },
  { language: 'python', files: ['consumers/python/app.py', 'consumers/python/test_retry_policy.py'], comment: '#' },
  {
    language: 'java',
    files: [`${JAVA_SOURCES}/NightlyReportStack.java`, `${JAVA_SOURCES}/PartitionPipeline.java`, `${JAVA_SOURCES}/QuarterlyReport.java`,
      `${JAVA_SOURCES}/BatchJobsDashboard.java`, 'consumers/java/src/test/java/com/example/nightlyreport/RetryPolicyTest.java'],
    comment: '//',
  },
  {
    language: 'go',
    files: ['nightly_report_stack.go', 'main.go', 'partition_pipeline.go', 'without_lambda.go', 'weekly_report.go', 'export_job.go', 'batch_jobs_dashboard.go',
      'retry_policy_test.go']
      .map((file) => `consumers/go/${file}`),
    comment: '//',
  },
].map((example) => ({ ...example, file: example.files.join(' and ') }));

/** The contents of the fenced code blocks whose info string starts with `language`, in order. */
function fencedBlocks(markdown: string, language: string): string[] {
  const blocks: string[] = [];
  let fence: { marker: string; language: string; lines: string[] } | undefined;
  for (const line of markdown.split(/\r?\n/)) {
    if (!fence) {
      // As in CommonMark, a backtick fence's info string has no backtick: "``` `x` ```" is inline code.
      const open = /^ {0,3}(`{3,})([^`]*)$/.exec(line) ?? /^ {0,3}(~{3,})(.*)$/.exec(line);
      if (open) {
        fence = { marker: open[1], language: open[2].trim().split(/\s+/)[0].toLowerCase(), lines: [] };
      }
    } else if (new RegExp(`^ {0,3}${fence.marker[0]}{${fence.marker.length},}\\s*$`).test(line)) {
      if (fence.language === language) {
        blocks.push(fence.lines.join('\n'));
      }
      fence = undefined;
    } else {
      fence.lines.push(line);
    }
  }
  return blocks;
}

/** The lines between `<comment> README:start` and `<comment> README:end` markers, in order. */
function markedRegions(source: string, comment: string): string[] {
  const regions: string[] = [];
  let region: string[] | undefined;
  source.split(/\r?\n/).forEach((line, i) => {
    const marker = line.trim();
    if (marker === `${comment} README:start`) {
      if (region) {
        throw new Error(`line ${i + 1}: README:start inside a README region`);
      }
      region = [];
    } else if (marker === `${comment} README:end`) {
      if (!region) {
        throw new Error(`line ${i + 1}: README:end without README:start`);
      }
      regions.push(region.join('\n'));
      region = undefined;
    } else if (region) {
      region.push(line);
    }
  });
  if (region) {
    throw new Error('README:start without README:end');
  }
  return regions;
}

/** Drops trailing whitespace, leading and trailing blank lines, and the indentation all lines share. */
function normalise(text: string): string {
  const lines = text.split(/\r?\n/).map((line) => line.trimEnd());
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const indents = lines.filter((line) => line !== '').map((line) => /^[ \t]*/.exec(line)![0].length);
  const common = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((line) => line.slice(common)).join('\n');
}

describe('README examples', () => {
  const readme = fs.readFileSync(README, 'utf8');

  test.each(EXAMPLES)('the ```$language blocks are the marked regions of $file', ({ language, files, file, comment }) => {
    const regions = files.map((f) => markedRegions(fs.readFileSync(path.join(ROOT, f), 'utf8'), comment).map(normalise));
    const blocks = fencedBlocks(readme, language).map(normalise);
    expect(regions.flat().length).toBeGreaterThan(0);

    // Each README region of the consumer app is pasted into README as a ```<language> block, each file's in order.
    const unmatched = interleavedRegions(blocks, regions);
    if (unmatched !== undefined) {
      throw new Error(`${path.relative(ROOT, README)} has ${blocks.length} \`\`\`${language} block(s), `
        + `and ${file} have ${regions.flat().length} README region(s): ${unmatched}. Paste each region as a block, each file's in order.`);
    }
  });
});

/**
 * Undefined when `blocks` are the regions of the files, each file's in order, interleaved;
 * else which block or region is unmatched.
 */
function interleavedRegions(blocks: string[], regions: string[][]): string | undefined {
  const next = regions.map(() => 0);
  for (const [i, block] of blocks.entries()) {
    const f = regions.findIndex((file, j) => file[next[j]] === block);
    if (f < 0) {
      return `block ${i + 1} is no file's next region (it starts ${JSON.stringify(block.slice(0, 60))})`;
    }
    next[f]++;
  }
  const left = regions.findIndex((file, j) => next[j] < file.length);
  return left < 0 ? undefined : `region ${next[left] + 1} of file ${left + 1} is in no block`;
}

describe('README in the packages', () => {
  // jsii-pacmak copies README into the Java package's package-info.java, and Java reads a
  // backslash and `u` as the start of a Unicode escape anywhere in a source file, comments
  // included: one not followed by four hex digits fails the Maven build ("illegal unicode escape").
  test('every backslash-u in README starts a four-hex-digit escape, so the Java package compiles', () => {
    const text = fs.readFileSync(README, 'utf8');
    const broken = [...text.matchAll(/(?<!\\)(?:\\\\)*\\u(?![0-9a-fA-F]{4})/g)]
      .map((m) => `line ${text.slice(0, m.index).split('\n').length}: ${text.slice(m.index, m.index + 12)}`);
    expect(broken).toEqual([]);
  });
});

describe('README example comparison', () => {
  const markdown = [
    '# Title',
    '``` `inline` code, not a fence ```',
    '```bash',
    'pip install x',
    '```',
    '```python',
    '    app = App()  ',
    '',
    '    Stack(app, "S")',
    '```',
    '',
    '````python title="second"',
    'print("```")',
    '````',
    '```java',
    'class A {}',
    '```',
  ].join('\n');

  test('finds the fenced blocks of one language, in order, and no others', () => {
    expect(fencedBlocks(markdown, 'python')).toEqual(['    app = App()  \n\n    Stack(app, "S")', 'print("```")']);
    expect(fencedBlocks(markdown, 'java')).toEqual(['class A {}']);
    expect(fencedBlocks(markdown, 'ts')).toEqual([]);
  });

  test('takes the regions of several files interleaved, each file\'s in order, and every one once', () => {
    expect(interleavedRegions(['a1', 'b1', 'a2'], [['a1', 'a2'], ['b1']])).toBeUndefined();
    expect(interleavedRegions(['a2', 'a1', 'b1'], [['a1', 'a2'], ['b1']])).toMatch(/^block 1 is no file's next region/);
    expect(interleavedRegions(['a1', 'b1'], [['a1', 'a2'], ['b1']])).toBe('region 2 of file 1 is in no block');
    expect(interleavedRegions(['a1', 'c', 'a2', 'b1'], [['a1', 'a2'], ['b1']])).toMatch(/^block 2 is no file's next region/);
  });

  test('finds the marked regions, and rejects unbalanced markers', () => {
    const source = 'import x\n# README:start\napp = App()\n# README:end\nrest\n  # README:start\n  y\n  # README:end\n';
    expect(markedRegions(source, '#')).toEqual(['app = App()', '  y']);
    expect(() => markedRegions('# README:start\nx\n', '#')).toThrow(/without README:end/);
    expect(() => markedRegions('x\n# README:end\n', '#')).toThrow(/without README:start/);
  });

  test('ignores trailing whitespace and common indentation only', () => {
    const block = fencedBlocks(markdown, 'python')[0];
    expect(normalise(block)).toBe('app = App()\n\nStack(app, "S")');
    expect(normalise('\n  a = 1\t\n    b = 2\n\n')).toBe('a = 1\n  b = 2');
    // A changed line, or changed relative indentation, is a difference.
    expect(normalise(block)).not.toBe(normalise('app = App()\n\nStack(app, "T")'));
    expect(normalise('a\n  b')).not.toBe(normalise('a\nb'));
  });
});
