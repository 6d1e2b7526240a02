import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { fail, ok } from './scenarios';
import { explainExecution } from '../../cli/explain/explain-execution';
import { explainPolicy } from '../../cli/explain/explain-policy';
import { readHistory } from '../../cli/explain/history-events';
import { renderExecution, renderPolicy } from '../../cli/explain/render-text';
import { readTemplateRuns, selectRun } from '../../cli/explain/template-runs';
import { main } from '../../cli/main';
import { DecisionEngine, RetryableEcsRunTaskFragment, RetryableEcsRunTaskFragmentProps } from '../../src';
import { fromMiniStackHistory, toExecutionHistory } from '../support/execution-history';
import { failure, successTask } from '../support/fixtures';
import { executeLocally, renderedDefinition } from '../support/local-execution';
import { MiniStack } from '../support/ministack';
import { deployToMiniStack, executeInMiniStack, runTaskMockConfig } from '../support/ministack-execution';
import { testEnvironment } from '../support/stack';

// explain finds a run whose state names were shortened to fit Step Functions' 80 characters: the
// prefix no longer holds the whole construct id, so the run is found by its construct path (which
// the definition records) and by its shortened prefix, in a template and in a history.

/** An id too long for its state names once a failure topic adds the longest ones. */
const LONG_ID = 'Nightly report for every region and every account of the organisation';

const scratch: string[] = [];
const scratchDirectory = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};
afterAll(() => scratch.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** The prefix of a definition's run: the name of its `Start attempts` state without it. */
function prefixIn(definition: any): string {
  const start = Object.keys(definition.States).find((name) => name.endsWith('Start attempts'))!;
  return start.slice(0, -'Start attempts'.length);
}

/** A fragment with `LONG_ID` and a failure topic, in `scope`, on `engine`, with a deterministic policy. */
function longRun(scope: Construct, cluster: ecs.ICluster, taskDefinition: ecs.TaskDefinition, props: Partial<RetryableEcsRunTaskFragmentProps>) {
  return new RetryableEcsRunTaskFragment(scope, LONG_ID, {
    cluster,
    taskDefinition,
    failureTopic: new sns.Topic(scope, 'Failed'),
    maxAttempts: 3,
    interval: Duration.seconds(10),
    jitterStrategy: sfn.JitterType.NONE,
    resultPath: '$.report',
    ...props,
  });
}

describe('explain --template finds a run with shortened state names', () => {
  let outdir: string;
  let template: string;

  beforeAll(() => {
    // GIVEN: a cloud assembly with a run of each engine, each in a construct of its own and its own state machine, without metric filters
    outdir = scratchDirectory('explain-shortened-');
    const app = new App({ outdir });
    const stack = new Stack(app, 'ReportStack', { env: { account: '123456789012', region: 'us-east-1' } });
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 }) });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'TaskDef');
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable') });
    const engines = { LAMBDA: DecisionEngine.LAMBDA_FUNCTION, STATE_MACHINE: DecisionEngine.STATE_MACHINE };
    for (const engine of ['LAMBDA', 'STATE_MACHINE'] as const) {
      const run = longRun(new Construct(stack, engine), cluster, taskDefinition, { decisionEngine: engines[engine] });
      new sfn.StateMachine(stack, `${engine}Pipeline`, { definitionBody: sfn.DefinitionBody.fromChainable(run) });
    }
    app.synth();
    template = path.join(outdir, 'ReportStack.template.json');
  });

  test.each([
    ['LAMBDA', 'decider payload'],
    ['STATE_MACHINE', 'start comment'],
  ])('%s engine: by its construct path, exact, and by its shortened prefix', (engine, runFrom) => {
    // WHEN
    const runs = readTemplateRuns(outdir);

    // THEN
    expect(runs).toHaveLength(2);
    const constructPath = `ReportStack/${engine}/${LONG_ID}`;
    const run = selectRun(runs, constructPath, outdir);
    expect(run).toMatchObject({ run: constructPath, runFrom, engine });
    expect(run.statePrefix).toMatch(/^Nightly report for every regi.*…[0-9a-f]{6}: $/);
    expect(selectRun(runs, `${engine}/${LONG_ID}`, outdir)).toBe(run);
    expect(selectRun(runs, run.statePrefix, outdir)).toBe(run);
    expect(selectRun(runs, run.statePrefix.replace(/: $/, ''), outdir)).toBe(run);
    expect(explainPolicy(run, failure('spot-interruption')).attempts.map((a) => a.decision)).toEqual(['RETRY', 'RETRY', 'EXHAUSTED']);
  });

  test('a STATE_MACHINE run\'s template alone, without its cloud assembly, still names the run exactly', () => {
    // GIVEN: no manifest and no construct path metadata
    const alone = path.join(scratchDirectory('explain-shortened-alone-'), 'ReportStack.template.json');
    fs.copyFileSync(template, alone);

    // WHEN
    const run = readTemplateRuns(alone).find((r) => r.engine === 'STATE_MACHINE')!;

    // THEN: not the state names' `Nightly report for every regi…`, which would name no construct
    expect(run).toMatchObject({ run: `ReportStack/STATE_MACHINE/${LONG_ID}`, runFrom: 'start comment' });
    expect(renderPolicy(explainPolicy(run, failure('spot-interruption')), 200).split('\n')[0]).toBe(`Run        ReportStack/STATE_MACHINE/${LONG_ID}`);
  });

  test('the command line, with --run the shortened prefix', () => {
    // GIVEN
    const run = readTemplateRuns(template).find((r) => r.engine === 'STATE_MACHINE')!;
    const failureFile = path.join(scratchDirectory('explain-shortened-failure-'), 'failure.json');
    fs.writeFileSync(failureFile, JSON.stringify(failure('spot-interruption')));
    const out: string[] = [];
    const err: string[] = [];

    // WHEN
    const status = main(['explain', '--template', outdir, '--run', run.statePrefix, '--failure', failureFile, '--width', '200'], (t) => out.push(t), (t) => err.push(t));

    // THEN
    expect(err).toEqual([]);
    expect(status).toBe(0);
    expect(out.join('').split('\n')[0]).toBe(`Run        ReportStack/STATE_MACHINE/${LONG_ID}`);
  });
});

describe('explain HISTORY_FILE finds a run with shortened state names', () => {
  test('LAMBDA engine, a local execution: the run by its shortened prefix and its construct path', async () => {
    // GIVEN
    const { stack, cluster, taskDefinition } = testEnvironment();
    new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(longRun(stack, cluster, taskDefinition, {})) });
    const definition = renderedDefinition(stack);
    const prefix = prefixIn(definition);
    expect(prefix).toMatch(/^Nightly report for every regi…[0-9a-f]{6}: $/);
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const execution = await executeLocally(definition, { outcomes: [fail('resource-initialization-error'), ok], statePrefixes: [prefix] }).finally(() => write.mockRestore());

    // WHEN
    const explanation = explainExecution(readHistory([toExecutionHistory(definition, execution)]));

    // THEN
    expect(explanation.runs).toHaveLength(1);
    const [run] = explanation.runs;
    expect(run).toMatchObject({ run: `TestStack/${LONG_ID}`, statePrefix: prefix, engine: 'LAMBDA', result: { status: 'SUCCEEDED', attempts: 2 } });
    expect(run.attempts.map((a) => [a.state, a.decision?.decision])).toEqual([[`${prefix}Run task`, 'RETRY'], [`${prefix}Run task`, undefined]]);
  });

  describe('STATE_MACHINE engine, executed in MiniStack', () => {
    let ministack: MiniStack | undefined;
    let history: { events: any[] };
    let prefix: string;

    beforeAll(async () => {
      // GIVEN
      const { stack, cluster, taskDefinition } = testEnvironment();
      const run = longRun(stack, cluster, taskDefinition, { decisionEngine: DecisionEngine.STATE_MACHINE });
      new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(run) });
      const definition = renderedDefinition(stack);
      prefix = prefixIn(definition);
      const runTaskStates = [`${prefix}Run task`];
      const scenarios = { retried: { outcomes: [fail('resource-initialization-error'), ok] } };
      ministack = await MiniStack.start(runTaskMockConfig('Long', scenarios, runTaskStates));
      const arn = await deployToMiniStack(ministack, 'Long', definition);
      const { retried } = await executeInMiniStack(ministack, arn, scenarios, runTaskStates);
      expect(retried.status).toBe('SUCCEEDED');
      history = await fromMiniStackHistory(definition, retried.events, { succeededTask: successTask() });
    }, 180_000);

    afterAll(async () => {
      await ministack?.stop();
    });

    test('the run by its shortened prefix, its attempts and decisions', () => {
      // WHEN
      const explanation = explainExecution(readHistory([history]));

      // THEN
      expect(prefix).toMatch(/^Nightly report for every region a…[0-9a-f]{6}: $/);
      expect(explanation.runs).toHaveLength(1);
      const [run] = explanation.runs;
      // The history does not name a STATE_MACHINE run's construct path: its state names do.
      expect(run).toMatchObject({ statePrefix: prefix, engine: 'STATE_MACHINE', result: { status: 'SUCCEEDED', attempts: 2 } });
      expect(run.attempts.map((a) => [a.state, a.decision?.decision, a.decision?.rule])).toEqual([
        [`${prefix}Run task`, 'RETRY', 'retryableStopCode:TaskFailedToStart'],
        [`${prefix}Run task`, undefined, undefined],
      ]);
      expect(renderExecution(explanation, 200)).toContain(`states "${prefix}…"`);
    });
  });
});
