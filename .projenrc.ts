import { awscdk, DependencyType, javascript } from 'projen';

// The oldest aws-cdk-lib users may have (peer range); development uses CDK_DEV_VERSION, the newest
// release whose cloud assembly (schema 53) the newest integ-runner can read. See DEVELOPERS.md.
const CDK_MIN_VERSION = '2.200.0';
const CDK_DEV_VERSION = '2.257.0';
const CONSTRUCTS_DEV_VERSION = '10.5.1';
const NODE_VERSION = '24.21.0';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-retryable-ecs-run-task',
  description:
    'Run an ECS task from Step Functions and retry only the failures worth retrying: '
    + 'classified by stop code, stopped reason, exit code and API error, with capped exponential backoff and jitter.',
  author: 'cdk-retryable-ecs-run-task maintainers',
  authorAddress: 'maintainers@cdk-retryable-ecs-run-task.invalid',
  repositoryUrl: 'https://github.com/cdk-retryable-ecs-run-task/cdk-retryable-ecs-run-task.git',
  license: 'Apache-2.0',
  keywords: ['cdk', 'awscdk', 'aws-cdk', 'ecs', 'fargate', 'step-functions', 'stepfunctions', 'retry', 'backoff'],
  stability: 'experimental',

  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,

  cdkVersion: CDK_MIN_VERSION,
  constructsVersion: '10.0.5',
  jsiiVersion: '~6.0.0',
  peerDependencyOptions: { pinnedDevDependency: false },

  // Node 20 is end of life; jsii, projen and aws-local-stepfunctions run on 22 or 24.
  minNodeVersion: '22.0.0',
  workflowNodeVersion: NODE_VERSION,

  // Keep the dev tsconfig at the top level under its usual name, and lint against it.
  tsconfigDevFile: 'tsconfig.dev.json',
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'lambda', 'cli', 'bench', 'demo', 'rosetta', 'projenrc', '.projenrc.ts'],
    tsconfigPath: './tsconfig.dev.json',
    projectService: false,
  },

  // jsii packages for Python, Java and Go users; Construct Hub renders API.md for each language.
  publishToPypi: {
    distName: 'cdk-retryable-ecs-run-task',
    module: 'cdk_retryable_ecs_run_task',
  },
  publishToMaven: {
    mavenGroupId: 'io.github.cdk-retryable-ecs-run-task',
    mavenArtifactId: 'cdk-retryable-ecs-run-task',
    javaPackage: 'io.github.cdkretryableecsruntask',
    mavenServerId: 'central-ossrh',
  },
  // jsii publishes the Go module to a repository of its own, in the subdirectory named by
  // packageName: users import github.com/cdk-retryable-ecs-run-task/cdk-retryable-ecs-run-task-go/cdkretryableecsruntask.
  publishToGo: {
    moduleName: 'github.com/cdk-retryable-ecs-run-task/cdk-retryable-ecs-run-task-go',
    packageName: 'cdkretryableecsruntask',
  },

  // integ-runner verifies test/integ.*.ts snapshots as part of `test` (no deploy, no credentials).
  experimentalIntegRunner: true,

  devDeps: [
    'aws-local-stepfunctions@^3.0.0',
    'fast-check@^4.10.0',
    'cdk-nag@^2.38.2',
    'asl-validator@^4.0.0',
    // The JSONata version Step Functions documents (2.0.x), to evaluate the generated expressions.
    'jsonata@~2.0.6',
  ],

  jestOptions: {
    // Snapshots change only on purpose (`npx projen test:update`), and an empty run fails.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    passWithNoTests: false,
    jestConfig: {
      // Every test, whatever it imports: Step Functions' limits on each definition synthesized and
      // each local execution (test/support/step-functions-limits.ts).
      setupFilesAfterEnv: ['<rootDir>/test/support/setup-limit-checks.ts'],
    },
  },

  gitignore: [
    '/.tools/', '*.tgz', '.jsii.tabl.json',
    // Running a consumer app by hand, outside consumers/run.sh.
    '/consumers/*/cdk.out/', '/consumers/typescript/build/', '/consumers/java/target/', '/consumers/python/.venv/', '__pycache__/',
    '/consumers/go/go.sum', '/consumers/go/nightly-report',
  ],
  sampleCode: false,
});

// Develop and test against the current CDK; users only need the peer range above.
project.addDevDeps(`aws-cdk-lib@${CDK_DEV_VERSION}`, `constructs@${CONSTRUCTS_DEV_VERSION}`);
// jsii-pacmak writes the Go module's go.mod from the versions installed here, indirect ones
// included. aws-cdk-lib's cloud-assembly-schema stays at the version that aws-cdk-go's own go.mod
// requires for CDK_DEV_VERSION, so the Go module asks for nothing newer than awscdk does and names
// only versions the Go module proxy serves (it does not serve 53.28.0). See DEVELOPERS.md.
project.addDevDeps('@aws-cdk/cloud-assembly-schema@53.25.0');

// The retry decider: a dependency-free handler, bundled by esbuild into assets/ before compile,
// shipped inside the npm tarball and so inside every jsii package. Its construct is internal.
new awscdk.LambdaFunction(project, {
  entrypoint: 'lambda/decider.lambda.ts',
  constructFile: 'src/decider/decider-function.ts',
  constructName: 'DeciderFunction',
  cdkDeps: project.cdkDeps,
  runtime: awscdk.LambdaRuntime.NODEJS_24_X,
  awsSdkConnectionReuse: false,
  bundlingOptions: {
    externals: ['@aws-sdk/*'],
    sourcemap: false,
    watchTask: false,
  },
});
// A smaller asset loads faster on a cold start; the handler never throws, so stack traces matter little.
const bundleDecider = project.tasks.tryFind('bundle:lambda/decider.lambda')!;
bundleDecider.reset([
  'esbuild --bundle lambda/decider.lambda.ts --target=node24 --platform=node',
  '--outfile=assets/lambda/decider.lambda/index.js --tsconfig=tsconfig.dev.json --external:@aws-sdk/* --minify',
].join(' '));

// The `explain` command, `npx cdk-retryable-ecs-run-task explain …`: one dependency-free file that
// classifies with the decider's own code (src/decider/decide-retry.ts), bundled into assets/ like the
// decider, so the npm tarball ships it and every jsii language's users can run it with Node.js.
const CLI_BUNDLE = 'assets/cli/cdk-retryable-ecs-run-task.js';
const bundleCli = project.addTask('bundle:cli', {
  description: 'Bundle the cdk-retryable-ecs-run-task command line',
  exec: [
    'esbuild --bundle cli/main.ts --target=node22 --platform=node',
    `--outfile=${CLI_BUNDLE} --tsconfig=tsconfig.dev.json --banner:js="#!/usr/bin/env node"`,
  ].join(' '),
});
project.tasks.tryFind('bundle')!.spawn(bundleCli);
project.addBins({ 'cdk-retryable-ecs-run-task': CLI_BUNDLE });

// The dev dependency is deliberately newer than the oldest CDK users may have (peer range).
project.compileTask.reset('jsii --silence-warnings=reserved-word --silence-warnings=metadata/missing-dev-dependency');

// Sources that only the build needs stay out of the npm tarball; the bundle in assets/ ships.
project.npmignore?.exclude('/lambda/', '/cli/', '/scripts/', '/.tools/', '/.ci/', '/.node-version', '/DEVELOPERS.md', '/consumers/', '/bench/', '/demo/', '/rosetta/');

// The dev tsconfig covers src, test, lambda and the projen config, for tests and lint alike.
project.tsconfigDev.addInclude('.projenrc.ts');
// Consumer apps are separate projects that install the packaged library.
for (const dir of ['consumers', 'dist', 'cdk.out']) {
  project.tsconfigDev.addExclude(dir);
}

// integ-runner: asset bodies in snapshots are not committed, nor is its scratch output. Added after
// construction, since projen re-includes /test/ and would otherwise drop these.
project.gitignore.exclude('/test/**/*.snapshot/asset.*', '/test/cdk-integ.out.*/');

// integ-runner ships separately from aws-cdk-lib; the alpha assertions track its version line.
project.deps.addDependency('@aws-cdk/integ-runner@^2.197.10', DependencyType.DEVENV);
project.deps.addDependency('@aws-cdk/integ-tests-alpha@2.245.0-alpha.0', DependencyType.DEVENV);
// `integ:update` would deploy whenever a snapshot differs; the two tasks below say what they do.
project.removeTask('integ:update');
// Refresh integ snapshots without AWS (`integ:snapshot`), or deploy, assert and destroy with an
// account (`integ:deploy`); plain `integ` only verifies, and runs with the tests.
project.addTask('integ:snapshot', {
  description: 'Update integration test snapshots from synthesis alone, without deploying',
  exec: 'integ-runner --language typescript --update-on-failed --dry-run',
  receiveArgs: true,
});
project.addTask('integ:deploy', {
  description: 'Deploy the integration test stacks to AWS, run their assertions, destroy them, and update the snapshots',
  exec: 'integ-runner --language typescript --update-on-failed --force --parallel-regions us-east-1',
  receiveArgs: true,
});

// README's TypeScript examples must compile in strict mode, against the real assemblies, so that
// jsii-rosetta translates them with their types into the tablet (.jsii.tabl.json) that jsii-pacmak
// writes the PyPI README from and Construct Hub shows. Rosetta then spells some Python names
// otherwise than jsii-pacmak's Python API does (`memory_limit_mi_b` for `memory_limit_mib`), and
// imports some names twice: rosetta/python-translations.ts corrects its Python in the tablet.
// test/rosetta/ checks the tablet; the Python and Java consumer apps run and compile it.
project.postCompileTask.exec('jsii-rosetta extract --strict');
project.postCompileTask.exec('ts-node --project tsconfig.dev.json rosetta/python-translations.ts .jsii.tabl.json');

// The packaged library installed into fresh TypeScript, Python, Java and Go apps, which synthesize
// and check their own templates. Needs dist/ (reused when current, built otherwise).
project.addTask('test:consumers', {
  description: 'Install the built npm, PyPI, Maven and Go packages into fresh consumer apps, synthesize and check them (no deploy)',
  exec: 'bash consumers/run.sh',
  receiveArgs: true,
});

// No public name of ours that is not deprecated is renamed by a jsii target (Python, Java, Go):
// reads the generated code in the packages in dist/, so consumers/run.sh runs it once dist/ is current.
project.addTask('test:jsii-names', {
  description: 'Check that no jsii target renames a public name that is not deprecated (reads the packages in dist/)',
  exec: 'ts-node --project tsconfig.dev.json test/jsii-names/check-jsii-names.ts',
  receiveArgs: true,
});

// Benchmarks print numbers and write bench/RESULTS.md; they are not part of `test`.
const benchTask = project.addTask('bench', {
  description: 'Run the benchmark suite and write bench/RESULTS.md and bench/results.json',
  exec: 'ts-node --project tsconfig.dev.json bench/run.ts',
  receiveArgs: true,
});
benchTask.prependSpawn(project.tasks.tryFind('bundle')!);

// Tests load the bundled decider through the construct, so bundle before testing.
const bundle = project.tasks.tryFind('bundle');
if (bundle) {
  project.testTask.prependSpawn(bundle);
}

project.synth();
