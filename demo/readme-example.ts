import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ts from 'typescript';
import * as library from '../src';

const ROOT = path.join(__dirname, '..');

/** The README section whose first TypeScript example the demo runs. */
export const README_SECTION = 'Adaptive retries: a bigger task after out of memory, on-demand capacity after Spot';

/** A README TypeScript example, as README holds it, and where. */
export interface ReadmeExample {
  /** The heading of the section that holds it. */
  readonly section: string;
  /** Its line in README.md, 1-based: the line of its opening fence. */
  readonly line: number;
  readonly source: string;
}

/**
 * The first ```ts block under the heading `section` (any level) of `markdown`, before the next
 * heading of the same or a higher level. The demo runs README's own text, not a copy that could drift.
 */
export function readmeExample(markdown: string, section: string = README_SECTION): ReadmeExample {
  const lines = markdown.split(/\r?\n/);
  const start = lines.findIndex((line) => /^#{1,6} /.test(line) && line.replace(/^#+ /, '').trim() === section);
  if (start < 0) {
    throw new Error(`README has no section "${section}"`);
  }
  const level = /^#+/.exec(lines[start])![0].length;
  for (let i = start + 1; i < lines.length; i++) {
    const heading = /^(#{1,6}) /.exec(lines[i]);
    if (heading && heading[1].length <= level) {
      break;
    }
    if (/^```(ts|typescript)\s*$/.test(lines[i])) {
      const end = lines.findIndex((line, j) => j > i && /^```\s*$/.test(line));
      if (end < 0) {
        throw new Error(`README line ${i + 1}: the TypeScript block is not closed`);
      }
      return { section, line: i + 1, source: lines.slice(i + 1, end).join('\n') };
    }
  }
  throw new Error(`README's section "${section}" has no TypeScript example`);
}

/** The example's stack, and the one run it creates. */
export interface SynthesizedExample {
  readonly example: ReadmeExample;
  readonly stack: Stack;
  readonly job: library.RetryableEcsRunTask;
}

/**
 * Runs a README example, compiled as it is (TypeScript to CommonJS), with `cdk-retryable-ecs-run-task`
 * resolved to this checkout's `src/` and the names it declares (`declare const stack`, `cluster`,
 * `taskDefinition`, `vpc`) bound to a stack with a VPC, a cluster with the Fargate capacity providers,
 * and a Fargate task definition of 1 vCPU and 2 GiB with one container, `app`. Returns the run
 * the example created; it must create exactly one. `outdir` is the cloud assembly's directory
 * (by default a temporary one that CDK leaves behind).
 */
export function synthesizeReadmeExample(example: ReadmeExample, outdir?: string): SynthesizedExample {
  const app = new App(outdir ? { outdir } : {});
  const stack = new Stack(app, 'ReadmeExampleStack', { env: { account: '123456789012', region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, enableFargateCapacityProviders: true });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'TaskDefinition', { family: 'nightly-report', cpu: 1024, memoryLimitMiB: 2048 });
  taskDefinition.addContainer('app', {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable'),
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'app' }),
  });
  const declared: Record<string, unknown> = { stack, vpc, cluster, taskDefinition };

  const { outputText, diagnostics } = ts.transpileModule(example.source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    reportDiagnostics: true,
  });
  if (diagnostics && diagnostics.length > 0) {
    throw new Error(`README line ${example.line}: ${ts.flattenDiagnosticMessageText(diagnostics[0].messageText, '\n')}`);
  }
  const requireInExample = (name: string): unknown => {
    if (name === 'cdk-retryable-ecs-run-task') {
      return library;
    }
    if (name === 'aws-cdk-lib' || name.startsWith('aws-cdk-lib/') || name === 'constructs') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(name);
    }
    throw new Error(`README line ${example.line}: the example imports ${name}, which the demo does not provide`);
  };
  const names = Object.keys(declared);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function('require', 'exports', ...names, outputText)(requireInExample, {}, ...names.map((name) => declared[name]));

  const runs = stack.node.findAll().filter((c): c is library.RetryableEcsRunTask => c instanceof library.RetryableEcsRunTask);
  if (runs.length !== 1) {
    throw new Error(`README line ${example.line}: expected the example to create one RetryableEcsRunTask, found ${runs.length}`);
  }
  return { example, stack, job: runs[0] };
}

/** README.md of this checkout. */
export function readme(): string {
  return fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
}
