import { awscdk, javascript } from 'projen';

// The oldest aws-cdk-lib users may have (peer range); development uses CDK_DEV_VERSION.
const CDK_MIN_VERSION = '2.200.0';
const CDK_DEV_VERSION = '2.276.0';
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
    devdirs: ['test', 'lambda', 'projenrc', '.projenrc.ts'],
    tsconfigPath: './tsconfig.dev.json',
    projectService: false,
  },

  devDeps: ['aws-local-stepfunctions@^3.0.0'],

  jestOptions: {
    // Snapshots change only on purpose (`npx projen test:update`), and an empty run fails.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    passWithNoTests: false,
  },

  gitignore: ['/.tools/', '*.tgz'],
  sampleCode: false,
});

// Develop and test against the current CDK; users only need the peer range above.
project.addDevDeps(`aws-cdk-lib@${CDK_DEV_VERSION}`, `constructs@${CONSTRUCTS_DEV_VERSION}`);

// The retry decider: a dependency-free handler, bundled by esbuild into assets/ before compile,
// shipped inside the npm tarball and so inside every jsii package. Its construct is internal.
new awscdk.LambdaFunction(project, {
  entrypoint: 'lambda/decider.lambda.ts',
  constructFile: 'src/decider/decider-function.ts',
  constructName: 'DeciderFunction',
  cdkDeps: project.cdkDeps,
  runtime: awscdk.LambdaRuntime.NODEJS_22_X,
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
  'esbuild --bundle lambda/decider.lambda.ts --target=node22 --platform=node',
  '--outfile=assets/lambda/decider.lambda/index.js --tsconfig=tsconfig.dev.json --external:@aws-sdk/* --minify',
].join(' '));

// The dev dependency is deliberately newer than the oldest CDK users may have (peer range).
project.compileTask.reset('jsii --silence-warnings=reserved-word --silence-warnings=metadata/missing-dev-dependency');

// Sources that only the build needs stay out of the npm tarball; the bundle in assets/ ships.
project.npmignore?.exclude('/lambda/', '/scripts/', '/.tools/', '/.ci/', '/.node-version', '/DEVELOPERS.md');

// The dev tsconfig covers src, test, lambda and the projen config, for tests and lint alike.
project.tsconfigDev.addInclude('.projenrc.ts');

// Tests load the bundled decider through the construct, so bundle before testing.
const bundle = project.tasks.tryFind('bundle');
if (bundle) {
  project.testTask.prependSpawn(bundle);
}

project.synth();
