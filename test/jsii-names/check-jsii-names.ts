/**
 * No public name of ours that is not deprecated is renamed by any jsii target: every type,
 * member, parameter and enum member has, in the Python, Java and Go packages in dist/, the
 * TypeScript name under that language's case rules alone (`public-names.ts`). A renamed name is one
 * users of that language cannot guess from the docs and our messages, as `DecisionEngine.LAMBDA`
 * was `LAMBDA_` in Python; give it a name no target renames and keep the old one `@deprecated`.
 *
 *   npx projen test:jsii-names [python|java|go]...   (all three when none is given)
 *
 * Reads what users get: the generated code inside each package (the wheel's module, the Maven
 * sources jar, the Go module), checked against the jsii assembly that package carries. Run after
 * `npx projen package-all`; `consumers/run.sh` runs it once dist/ is current. jsii's own
 * `reserved-word` warning cannot replace it: it compares names as written, so it misses `LAMBDA`,
 * which Python lowercases before it escapes keywords.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GeneratedNames, goNames, javaNames, liftedKey, pythonNames } from './generated-names';
import { Assembly, PublicName, publicNames, Target, TARGETS } from './public-names';

/** What a target does with our public names. */
export interface NameCheck {
  /** Names that are not deprecated and that the target renamed, or that the check cannot find. */
  readonly problems: string[];
  /** Deprecated names that the target renamed: allowed, and listed so the docs can say so. */
  readonly renamedDeprecated: string[];
  /** How many public names were checked. */
  readonly checked: number;
}

/** Holds the names a target generated to the names its case rules give. */
export function checkNames(target: Target, names: readonly PublicName[], generated: GeneratedNames): NameCheck {
  const problems: string[] = [];
  const renamedDeprecated: string[] = [];
  for (const name of names) {
    const actual = generated.get(name.key);
    const expected = name.expected[target];
    if (actual === undefined) {
      if (target === 'python' && isLiftedParameter(name, names, generated)) {
        continue;
      }
      problems.push(`${name.label}: not found in the generated ${target} code, so the check cannot tell its name `
        + '(teach test/jsii-names/generated-names.ts to read it)');
    } else if (actual !== expected) {
      if (name.deprecated) {
        renamedDeprecated.push(`${name.label} is \`${actual}\` (deprecated)`);
      } else {
        problems.push(`${name.label} is \`${actual}\` in ${target}, not \`${expected}\`: jsii-pacmak renamed it`);
      }
    }
  }
  return { problems, renamedDeprecated, checked: names.length };
}

/**
 * The last parameter of a Python method whose struct is lifted into keyword arguments: it has no
 * name in Python; its keyword arguments are the struct's properties, which are checked there.
 */
function isLiftedParameter(name: PublicName, names: readonly PublicName[], generated: GeneratedNames): boolean {
  const match = /^(.*)#(.*)\((\d+)\)$/.exec(name.key);
  if (!match) {
    return false;
  }
  const [, fqn, member, index] = match;
  const last = !names.some((other) => other.key === `${fqn}#${member}(${Number(index) + 1})`);
  return last && generated.has(liftedKey(fqn, member));
}

// ---------------------------------------------------------------------------------------------
// The packages in dist/

const REPO = path.resolve(__dirname, '..', '..');

/** Every file under a directory whose name passes the filter. */
function filesUnder(dir: string, filter: (file: string) => boolean): string[] {
  if (!fs.existsSync(dir)) {
    return [];
  }
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((file) => path.join(dir, file))
    .filter((file) => fs.statSync(file).isFile() && filter(file))
    .sort();
}

/** The one file of a package, or an error that says how to build it. */
function onlyFile(target: Target, files: string[]): string {
  if (files.length !== 1) {
    throw new Error(files.length === 0
      ? `no ${target} package in dist/: run 'npx projen package-all' first`
      : `more than one ${target} package in dist/: ${files.map((f) => path.relative(REPO, f)).join(', ')}; remove the old ones or run 'npx projen package-all'`);
  }
  return files[0];
}

/** A package in dist/, built after the last jsii compile (as consumers/run.sh requires). */
function currentPackage(target: Target, files: string[]): string {
  const file = onlyFile(target, files);
  const jsii = path.join(REPO, '.jsii');
  if (fs.existsSync(jsii) && fs.statSync(file).mtimeMs < fs.statSync(jsii).mtimeMs) {
    throw new Error(`${path.relative(REPO, file)} is older than .jsii: run 'npx projen package-all' first`);
  }
  return file;
}

function unzip(archive: string, into: string) {
  // Python's zipfile, which the build needs anyway, rather than an unzip that may be missing.
  execFileSync(process.env.PYTHON ?? 'python3', ['-m', 'zipfile', '-e', archive, into]);
}

/** The jsii assembly inside the tarball that a package carries (`package/.jsii`). */
function assemblyIn(tarball: string, work: string): Assembly {
  const dir = fs.mkdtempSync(path.join(work, 'assembly-'));
  execFileSync('tar', ['-xzf', tarball, '-C', dir, 'package/.jsii']);
  const assembly = JSON.parse(fs.readFileSync(path.join(dir, 'package', '.jsii'), 'utf8'));
  if (assembly.schema !== 'jsii/0.10.0') {
    throw new Error(`${tarball}: the .jsii is ${String(assembly.schema)}, not an assembly this check reads (jsii/0.10.0)`);
  }
  return assembly as Assembly;
}

function read(files: string[]): string[] {
  return files.map((file) => fs.readFileSync(file, 'utf8'));
}

/** A target's generated code, read into names, and the assembly it was generated from. */
function generatedCode(target: Target, work: string): { source: string; assembly: Assembly; generated: GeneratedNames } {
  const dist = path.join(REPO, 'dist', target);
  const dir = fs.mkdtempSync(path.join(work, `${target}-`));
  switch (target) {
    case 'python': {
      const wheel = currentPackage(target, filesUnder(dist, (f) => f.endsWith('.whl')));
      unzip(wheel, dir);
      const modules = filesUnder(dir, (f) => f.endsWith('.py'));
      return {
        source: path.relative(REPO, wheel),
        assembly: assemblyIn(onlyFile(target, filesUnder(dir, (f) => f.endsWith('.jsii.tgz'))), work),
        generated: new Map(read(modules).flatMap((module) => [...pythonNames(module)])),
      };
    }
    case 'java': {
      const sources = currentPackage(target, filesUnder(dist, (f) => f.endsWith('-sources.jar')));
      unzip(sources, dir);
      return {
        source: path.relative(REPO, sources),
        assembly: assemblyIn(onlyFile(target, filesUnder(dir, (f) => f.endsWith('.jsii.tgz'))), work),
        generated: javaNames(read(filesUnder(dir, (f) => f.endsWith('.java')))),
      };
    }
    case 'go': {
      // jsii-pacmak deletes local.go.mod once the module has compiled.
      const goMod = currentPackage(target, filesUnder(dist, (f) => f.endsWith(`${path.sep}go.mod`)));
      const module = path.dirname(goMod);
      if (fs.existsSync(path.join(module, 'local.go.mod'))) {
        throw new Error(`${path.relative(REPO, module)} did not compile: run 'npx projen package:go'`);
      }
      return {
        source: path.relative(REPO, module),
        assembly: assemblyIn(onlyFile(target, filesUnder(path.join(module, 'jsii'), (f) => f.endsWith('.tgz'))), work),
        generated: goNames(read(filesUnder(module, (f) => f.endsWith('.go') && !f.includes(`${path.sep}internal${path.sep}`)))),
      };
    }
  }
}

function main(args: string[]): number {
  const unknown = args.filter((arg) => !(TARGETS as readonly string[]).includes(arg));
  if (unknown.length > 0) {
    console.error(`usage: check-jsii-names.ts [${TARGETS.join('|')}]...; unknown: ${unknown.join(', ')}`);
    return 2;
  }
  const targets = args.length > 0 ? args as Target[] : [...TARGETS];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'jsii-names-'));
  let failed = 0;
  try {
    for (const target of targets) {
      let check: NameCheck;
      let source: string;
      try {
        const code = generatedCode(target, work);
        source = code.source;
        check = checkNames(target, publicNames(code.assembly), code.generated);
      } catch (error) {
        console.error(`jsii names: ${target}: ${(error as Error).message}`);
        failed++;
        continue;
      }
      const renamed = check.renamedDeprecated.length > 0 ? `; deprecated and renamed: ${check.renamedDeprecated.join(', ')}` : '';
      if (check.problems.length === 0) {
        console.log(`jsii names: ${target}: ${check.checked} public names as in TypeScript (${source})${renamed}`);
      } else {
        failed++;
        console.error(`jsii names: ${target}: ${check.problems.length} of ${check.checked} public names differ in ${source}:`);
        for (const problem of check.problems) {
          console.error(`  - ${problem}`);
        }
        console.error('  Give each a name that no jsii target renames, and keep the old name as a deprecated alias '
          + '(jsii @deprecated), as DecisionEngine.LAMBDA_FUNCTION did for LAMBDA.');
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return failed === 0 ? 0 : 1;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
