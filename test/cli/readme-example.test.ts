import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { explainExecution } from '../../cli/explain/explain-execution';
import { explainPolicy, readFailure } from '../../cli/explain/explain-policy';
import { readHistory } from '../../cli/explain/history-events';
import { renderExecution, renderPolicy } from '../../cli/explain/render-text';
import { readTemplateRuns, selectRun } from '../../cli/explain/template-runs';
import { RetryableEcsRunTask } from '../../src';

// README's "Why did it (not) retry?" shows output explain printed for a history of a local
// execution (test/cli/samples/readme-not-retryable.json) and for the policy of README's
// TypeScript example; this keeps both true to what explain prints.

const ROOT = path.join(__dirname, '..', '..');
const SAMPLES = path.join(__dirname, 'samples');
/** README's examples are printed at this width. */
const WIDTH = 120;

/** The `text` blocks of README's section "Why did it (not) retry?", with its subsections. */
function sectionTextBlocks(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Why did it (not) retry?\n');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end);
  return [...section.matchAll(/\n```text\n([\s\S]*?)\n```\n/g)].map((m) => m[1]);
}

test('README shows what explain prints for an execution', () => {
  const history = JSON.parse(fs.readFileSync(path.join(SAMPLES, 'readme-not-retryable.json'), 'utf8'));

  const printed = renderExecution(explainExecution(readHistory([history])), WIDTH);

  expect(sectionTextBlocks()[0]).toBe(printed.trimEnd());
});

test('README shows what explain prints for the policy of its example, but for the lists marked …', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'explain-readme-'));
  try {
    // README's TypeScript example, in a stack called ReportStack, synthesized into cdk.out.
    const app = new App({ outdir: path.join(dir, 'cdk.out') });
    const stack = new Stack(app, 'ReportStack', { env: { account: '123456789012', region: 'us-east-1' } });
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 }) });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'NightlyReport', { cpu: 512, memoryLimitMiB: 1024 });
    taskDefinition.addContainer('report', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable') });
    new RetryableEcsRunTask(stack, 'NightlyReportJob', {
      cluster,
      taskDefinition,
      maxAttempts: 4,
      interval: Duration.seconds(20),
      backoffRate: 2,
      maxDelay: Duration.minutes(5),
      retryableExitCodes: [75],
    });
    app.synth();
    const run = selectRun(readTemplateRuns(path.join(dir, 'cdk.out')), 'ReportStack/NightlyReportJob/Run', 'cdk.out');
    const failure = readFailure(JSON.parse(fs.readFileSync(path.join(SAMPLES, 'readme-failure.json'), 'utf8')));

    // As printed when run from the app's directory with `--template cdk.out`.
    const printed = renderPolicy(explainPolicy({ ...run, template: path.join('cdk.out', 'ReportStack.template.json') }, failure), WIDTH);

    const chunks = sectionTextBlocks()[1].split('\n  …\n');
    expect(chunks.length).toBeGreaterThan(1);
    let from = 0;
    for (const chunk of chunks) {
      const at = printed.indexOf(chunk, from);
      expect({ chunk, found: at >= 0 }).toEqual({ chunk, found: true });
      from = at + chunk.length;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
