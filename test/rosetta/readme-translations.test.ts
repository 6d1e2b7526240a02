import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { correctPythonTranslation } from '../../rosetta/python-translations';

// PyPI's README and Construct Hub show jsii-rosetta's translations of README's TypeScript
// examples, from the tablet that `npx projen post-compile` writes. This checks the tablet itself:
// current, complete, and its Python byte-compiles. The Python and Java consumer apps run the
// Python and compile the Java against the built packages (consumers/run.sh).

const ROOT = path.join(__dirname, '..', '..');
const TABLET = path.join(ROOT, '.jsii.tabl.json');
const LANGUAGES = ['python', 'java', 'go'];

interface TabletSnippet {
  readonly translations: { readonly [language: string]: { readonly source: string } };
  readonly location: { readonly api: { readonly api: string }; readonly field?: { readonly line?: number } };
  readonly didCompile?: boolean;
  readonly fullSource?: string;
}

/** README's TypeScript examples: the fenced blocks whose info string is `ts` or `typescript`. */
function typeScriptBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```(?:ts|typescript)[^\S\n]*\n([\s\S]*?)\n```[^\S\n]*$/gm)].map((m) => m[1]);
}

function readTablet(): TabletSnippet[] {
  if (!fs.existsSync(TABLET)) {
    throw new Error(`${TABLET} is missing: run \`npx projen compile && npx projen post-compile\` first`);
  }
  return Object.values(JSON.parse(fs.readFileSync(TABLET, 'utf8')).snippets);
}

function where(snippet: TabletSnippet): string {
  return `README line ${snippet.location.field?.line}`;
}

describe('the translations of README\'s TypeScript examples', () => {
  const snippets = readTablet().filter((s) => s.location.api.api === 'moduleReadme');

  test('are current: one per example, in the tablet post-compile wrote', () => {
    const examples = typeScriptBlocks(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    expect(examples.length).toBeGreaterThan(0);
    const translated = snippets.map((s) => s.translations.$.source);
    const missing = examples.filter((example) => !translated.includes(example));
    if (missing.length > 0 || translated.length !== examples.length) {
      throw new Error(`.jsii.tabl.json does not translate README's ${examples.length} examples as they are `
        + `(${missing.length} missing, ${translated.length} translated): run \`npx projen compile && npx projen post-compile\``);
    }
  });

  test('compiled as TypeScript, with the real assemblies', () => {
    expect(snippets.filter((s) => s.didCompile !== true).map(where)).toEqual([]);
  });

  test.each(LANGUAGES)('have a %s translation', (language) => {
    expect(snippets.filter((s) => !s.translations[language]?.source.trim()).map(where)).toEqual([]);
  });

  test('in Python use the names jsii-pacmak gives the Python API (rosetta/python-translations.ts ran)', () => {
    for (const snippet of snippets) {
      const python = snippet.translations.python.source;
      expect({ where: where(snippet), python }).toEqual({
        where: where(snippet),
        python: correctPythonTranslation(python, snippet.fullSource ?? snippet.translations.$.source),
      });
    }
  });

  test('in Python byte-compile (python3 -m py_compile)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-translations-'));
    try {
      const files = snippets.map((snippet) => {
        const file = path.join(dir, `readme_line_${snippet.location.field?.line}.py`);
        fs.writeFileSync(file, `${snippet.translations.python.source}\n`);
        return file;
      });
      for (const file of files) {
        const result = spawnSync(process.env.PYTHON ?? 'python3', ['-m', 'py_compile', file], { encoding: 'utf8' });
        expect({ file: path.basename(file), status: result.status, stderr: result.stderr })
          .toEqual({ file: path.basename(file), status: 0, stderr: '' });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
