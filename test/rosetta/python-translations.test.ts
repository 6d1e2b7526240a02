import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  correctPythonTranslation, correctTablet, importEachNameOnce, pythonNamesAsJsiiPacmak, pythonTokens, typeScriptIdentifiers,
} from '../../rosetta/python-translations';

// What jsii-rosetta 6.0.17 wrote for README's examples, and what jsii-pacmak's Python API names.
const ROSETTA_PYTHON = [
  'from cdk_retryable_ecs_run_task import TaskSize, TaskSize',
  'from aws_cdk import Stack',
  'import aws_cdk.aws_ecs as ecs',
  'from cdk_retryable_ecs_run_task import RetryableEcsRunTask, TaskSize',
  '',
  '# stack: Stack',
  '',
  '# memoryLimitMiB in a comment, and in a string, stay',
  'task_definition = ecs.FargateTaskDefinition(stack, "memory_limit_mi_b", cpu=512, memory_limit_mi_b=1024)',
  'RetryableEcsRunTask(stack, "Job",',
  '    task_definition=task_definition,',
  '    out_of_memory_sizes=[TaskSize(memory_mi_b=4096), TaskSize(cpu=2048, memory_mi_b=8192)]',
  ')',
].join('\n');
const TYPESCRIPT = [
  "import { Stack } from 'aws-cdk-lib';",
  "import * as ecs from 'aws-cdk-lib/aws-ecs';",
  "import { RetryableEcsRunTask, TaskSize } from 'cdk-retryable-ecs-run-task';",
  'declare const stack: Stack;',
  '// memoryLimitMiB in a comment, and in a string, stay',
  "const taskDefinition = new ecs.FargateTaskDefinition(stack, 'memory_limit_mi_b', { cpu: 512, memoryLimitMiB: 1024 });",
  "new RetryableEcsRunTask(stack, 'Job', {",
  '  taskDefinition,',
  '  outOfMemorySizes: [{ memoryMiB: 4096 }, { cpu: 2048, memoryMiB: 8192 }],',
  '});',
].join('\n');

describe('pythonNamesAsJsiiPacmak', () => {
  test('spells KiB, MiB and GiB as jsii-pacmak does', () => {
    const python = pythonNamesAsJsiiPacmak(ROSETTA_PYTHON, TYPESCRIPT);

    expect(python).toContain('ecs.FargateTaskDefinition(stack, "memory_limit_mi_b", cpu=512, memory_limit_mib=1024)');
    expect(python).toContain('out_of_memory_sizes=[TaskSize(memory_mib=4096), TaskSize(cpu=2048, memory_mib=8192)]');
    expect(python).not.toMatch(/\bmemory_(limit_)?mi_b=/);
    // Comments and strings are not code.
    expect(python).toContain('# memoryLimitMiB in a comment, and in a string, stay');
  });

  test('leaves the names rosetta already spells as jsii-pacmak does', () => {
    const typescript = 'declare const x: any; x.sizeInMBs; x.maxAzs; x.vpcSubnets; x.lambda; TaskSize; RETRYABLE_ERRORS;';
    const python = 'x.size_in_m_bs\nx.max_azs\nx.vpc_subnets\nx.lambda_\nTaskSize\nRETRYABLE_ERRORS\nlambda: None\n';

    expect(pythonNamesAsJsiiPacmak(python, typescript)).toBe(python);
  });

  test('renames a variable everywhere it is used', () => {
    const typescript = 'const sizeGiB = 4; use(sizeGiB);';

    expect(pythonNamesAsJsiiPacmak('size_gi_b = 4\nuse(size_gi_b)', typescript)).toBe('size_gib = 4\nuse(size_gib)');
  });

  test('refuses to choose between two identifiers with the same letters', () => {
    expect(() => pythonNamesAsJsiiPacmak('foo_bar = 1', 'const fooBar = 1; const foobar = 2;'))
      .toThrow(/Cannot tell which of foo_bar and foobar/);
  });
});

describe('importEachNameOnce', () => {
  test('keeps the last import of each name, and drops an import left empty', () => {
    expect(importEachNameOnce(ROSETTA_PYTHON).split('\n').slice(0, 3)).toEqual([
      'from aws_cdk import Stack',
      'import aws_cdk.aws_ecs as ecs',
      'from cdk_retryable_ecs_run_task import RetryableEcsRunTask, TaskSize',
    ]);
  });

  test('keeps a name imported from two modules, and imports inside a block', () => {
    const python = 'from a import X, X\nfrom b import X\nif True:\n    from a import X\n';

    expect(importEachNameOnce(python)).toBe('from a import X\nfrom b import X\nif True:\n    from a import X\n');
  });
});

describe('the tokenizers', () => {
  test('Python: names apart from strings, comments and numbers, and nothing lost', () => {
    const source = 'a = f"x{y}" + b + rb\'z\' + """q\n"""  # c_d\nn = 1e5 + 0x1F\n';
    const tokens = pythonTokens(source);

    expect(tokens.map((t) => t.text).join('')).toBe(source);
    expect(tokens.filter((t) => t.isName).map((t) => t.text)).toEqual(['a', 'b', 'n']);
  });

  test('TypeScript: identifiers, not strings, comments or keywords', () => {
    expect([...typeScriptIdentifiers("import { A } from 'memoryMiB'; // sizeGiB\nconst memoryLimitMiB = A;")])
      .toEqual(['A', 'memoryLimitMiB']);
  });
});

test('correctTablet corrects the Python translations of a tablet file, and nothing else', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'python-translations-'));
  try {
    const file = path.join(dir, '.jsii.tabl.json');
    const snippet = {
      translations: {
        $: { source: TYPESCRIPT, version: '0' },
        python: { source: ROSETTA_PYTHON, version: '2' },
        java: { source: 'TaskSize.builder().memoryMiB(4096).build();', version: '3' },
      },
      location: { api: { api: 'moduleReadme', moduleFqn: 'example' }, field: { field: 'markdown', line: 1 } },
      didCompile: true,
      fqnsFingerprint: 'fingerprint',
    };
    fs.writeFileSync(file, JSON.stringify({ version: '2', toolVersion: '6.0.17', snippets: { key: snippet } }));

    expect(correctTablet(file)).toEqual({ corrected: 1, total: 1 });
    expect(correctTablet(file)).toEqual({ corrected: 0, total: 1 });

    const expected = { ...snippet, translations: { ...snippet.translations, python: { source: correctPythonTranslation(ROSETTA_PYTHON, TYPESCRIPT), version: '2' } } };
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ version: '2', toolVersion: '6.0.17', snippets: { key: expected } });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('correctTablet reads only the tablet schema it knows', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'python-translations-'));
  try {
    const file = path.join(dir, '.jsii.tabl.json');
    fs.writeFileSync(file, JSON.stringify({ version: '3', snippets: {} }));

    expect(() => correctTablet(file)).toThrow(/tablet schema 3, but this reads schema 2/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
