import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnParameter, Duration, Stack, Stage } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { adaptiveProps } from './scenarios';
import { explainPolicy, readFailure } from '../../cli/explain/explain-policy';
import { renderPolicy } from '../../cli/explain/render-text';
import { readTemplateRuns, selectRun, TemplateRun } from '../../cli/explain/template-runs';
import { InputError } from '../../cli/input-error';
import { DecisionEngine, RetryableEcsRunTask, RetryableEcsRunTaskFragment, RetryableEcsRunTaskProps, RetryDefaults } from '../../src';
import { decideRetry } from '../../src/decider/decide-retry';
import { POLICY_DEFAULTS } from '../../src/decider/policy-defaults';
import { POLICY_DEFAULTS_VARIABLE } from '../../src/decider/wire';
import { renderRetryPolicy } from '../../src/policy/render-retry-policy';
import { failure } from '../support/fixtures';

const scratch: string[] = [];
const scratchDirectory = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};
afterAll(() => scratch.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** Synthesizes an app into a fresh cdk.out directory; `build` adds the stack's runs. */
function synth(
  build: (stack: Stack, cluster: ecs.Cluster, taskDefinition: ecs.FargateTaskDefinition) => void,
  scope?: (app: App) => Stage | App,
): string {
  const outdir = scratchDirectory('explain-cdk-out-');
  const app = new App({ outdir });
  const stack = new Stack(scope ? scope(app) : app, 'ReportStack', { env: { account: '123456789012', region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'TaskDef');
  taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable') });
  build(stack, cluster, taskDefinition);
  app.synth();
  return outdir;
}

function standaloneApp(props: Partial<RetryableEcsRunTaskProps> = {}): string {
  return synth((stack, cluster, taskDefinition) => {
    new RetryableEcsRunTask(stack, 'NightlyReportJob', { cluster, taskDefinition, ...props });
  });
}

const onlyRun = (location: string): TemplateRun => selectRun(readTemplateRuns(location), undefined, location);

/**
 * A copy of a synthesized template as an earlier release wrote it: without the Comment of
 * `Start attempts` that names a STATE_MACHINE run's construct path.
 */
function withoutStartComments(template: any): any {
  const strip = (value: any): any => typeof value === 'string'
    ? value.replace(/"Comment":"(State names shortened to at most 80 characters\. )?Run: [^"]*",/g, '')
    : Array.isArray(value) ? value.map(strip)
      : value !== null && typeof value === 'object' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v)])) : value;
  const stripped = strip(template);
  expect(JSON.stringify(stripped)).not.toContain('Run: ');
  return stripped;
}

/** `withoutStartComments` of the template of `outdir`'s stack ReportStack, written alone in a directory of its own. */
function earlierReleaseTemplate(outdir: string, change: (template: any) => void = () => {}): string {
  const template = withoutStartComments(JSON.parse(fs.readFileSync(path.join(outdir, 'ReportStack.template.json'), 'utf8')));
  change(template);
  const alone = path.join(scratchDirectory('explain-template-alone-'), 'ReportStack.template.json');
  fs.writeFileSync(alone, JSON.stringify(template));
  return alone;
}

function inputError(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (e instanceof InputError) {
      return e.message;
    }
    throw e;
  }
  throw new Error('no InputError');
}

describe('explain --template: the runs of a template', () => {
  test('a cloud assembly directory, or one template file in it', () => {
    const outdir = standaloneApp({ maxAttempts: 4, retryableExitCodes: [75] });

    const fromDirectory = onlyRun(outdir);
    const fromFile = onlyRun(path.join(outdir, 'ReportStack.template.json'));

    expect(fromDirectory).toEqual(fromFile);
    expect(fromDirectory).toMatchObject({
      run: 'ReportStack/NightlyReportJob/Run',
      engine: 'LAMBDA',
      state: 'Decide retry',
      stateMachine: expect.stringMatching(/^NightlyReportJobStateMachine/),
      unresolved: [],
    });
    // The policy as the state machine carries it: the defaults, with this run's changes.
    expect(fromDirectory.policy).toEqual({
      maxAttempts: 4,
      intervalSeconds: 30,
      backoffRate: 2,
      maxDelaySeconds: 300,
      jitter: 'FULL',
      retryableStopCodes: RetryDefaults.RETRYABLE_STOP_CODES.map((c) => c.code),
      retryableStoppedReasons: RetryDefaults.RETRYABLE_STOPPED_REASONS,
      nonRetryableStoppedReasons: RetryDefaults.NON_RETRYABLE_STOPPED_REASONS,
      retryableExitCodes: [75],
      retryableErrors: RetryDefaults.RETRYABLE_ERRORS,
      nonRetryableErrorCauses: RetryDefaults.NON_RETRYABLE_ERROR_CAUSES,
    });
  });

  test('the stacks of a stage, in a nested cloud assembly', () => {
    const outdir = synth((stack, cluster, taskDefinition) => {
      new RetryableEcsRunTask(stack, 'Job', { cluster, taskDefinition });
    }, (app) => new Stage(app, 'Prod'));
    expect(onlyRun(outdir).run).toBe('Prod/ReportStack/Job/Run');
  });

  test('several runs: --run chooses one, by its path or a unique part of it; without it, the runs are listed', () => {
    const outdir = synth((stack, cluster, taskDefinition) => {
      new RetryableEcsRunTask(stack, 'NightlyReportJob', { cluster, taskDefinition, maxAttempts: 2 });
      const extract = new RetryableEcsRunTaskFragment(stack, 'Extract', { cluster, taskDefinition, resultPath: '$.extract' });
      const load = new RetryableEcsRunTaskFragment(stack, 'Load', { cluster, taskDefinition, resultPath: '$.load', maxAttempts: 5 });
      const map = new sfn.Map(stack, 'Each partition', { itemsPath: '$.partitions' }).itemProcessor(extract.next(load));
      new sfn.StateMachine(stack, 'Pipeline', { definitionBody: sfn.DefinitionBody.fromChainable(map) });
    });
    const runs = readTemplateRuns(outdir);

    expect(runs.map((r) => r.run).sort()).toEqual(['ReportStack/Extract', 'ReportStack/Load', 'ReportStack/NightlyReportJob/Run']);
    expect(selectRun(runs, 'ReportStack/Load', outdir)).toMatchObject({ run: 'ReportStack/Load', state: 'Load: Decide retry', policy: { maxAttempts: 5 } });
    expect(selectRun(runs, 'NightlyReportJob', outdir).run).toBe('ReportStack/NightlyReportJob/Run');
    expect(inputError(() => selectRun(runs, undefined, outdir))).toMatch(
      /^expected --run CONSTRUCT_PATH to choose a run, found 3 runs in .*: ReportStack\/NightlyReportJob\/Run, ReportStack\/Extract, ReportStack\/Load$/);
    expect(inputError(() => selectRun(runs, 'Transform', outdir))).toMatch(/^expected --run to name one of the runs in .* \(ReportStack\/NightlyReportJob\/Run, .*\), found "Transform"$/);
    expect(inputError(() => selectRun(runs, 'ReportStack', outdir))).toMatch(/found "ReportStack", which matches 3: /);
  });

  test('a value only deploy knows stays a placeholder, and is named', () => {
    const outdir = synth((stack, cluster, taskDefinition) => {
      const attempts = new CfnParameter(stack, 'MaxAttempts', { type: 'Number', default: 3 });
      new RetryableEcsRunTask(stack, 'Job', { cluster, taskDefinition, maxAttempts: attempts.valueAsNumber });
    });
    const run = onlyRun(outdir);
    expect(run.policy).toMatchObject({ maxAttempts: '<Ref MaxAttempts>' });
    expect(run.unresolved).toEqual(['<Ref MaxAttempts>']);
    expect(renderPolicy(explainPolicy(run, failure('spot-interruption')), 120)).toContain('Only deploy knows <Ref MaxAttempts>');
  });

  test('bad templates', () => {
    const dir = scratchDirectory('explain-bad-');
    const file = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    expect(inputError(() => readTemplateRuns(path.join(dir, 'missing.json')))).toMatch(/^expected a synthesized template .* at ".*missing\.json", found no such file or directory$/);
    expect(inputError(() => readTemplateRuns(dir))).toMatch(/: a directory with a manifest\.json, found ".*" without one$/);
    expect(inputError(() => readTemplateRuns(file('list.json', '[1, 2]')))).toMatch(/: a JSON object with `Resources`, found an array of 2 numbers in /);
    const empty = file('empty.template.json', JSON.stringify({ Resources: { Bucket: { Type: 'AWS::S3::Bucket' } } }));
    expect(inputError(() => selectRun(readTemplateRuns(empty), undefined, empty))).toMatch(/^expected a template with a RetryableEcsRunTask run .*, found none in /);
  });
});

describe('explain --template: the runs of the STATE_MACHINE engine', () => {
  const STATE_MACHINE = DecisionEngine.STATE_MACHINE;

  /** A workflow of two fragments: Extract in a construct of its own, its Retries metric asked for (as every run of earlier releases had); Load beside the state machine. */
  const workflowApp = () => synth((stack, cluster, taskDefinition) => {
    const logGroup = new logs.LogGroup(stack, 'PipelineLogs');
    const extract = new RetryableEcsRunTaskFragment(new Construct(stack, 'Etl'), 'Extract', {
      cluster, taskDefinition, decisionEngine: STATE_MACHINE, resultPath: '$.extract', stateMachineLogGroup: logGroup, maxAttempts: 2,
    });
    extract.metricRetries();
    const load = new RetryableEcsRunTaskFragment(stack, 'Load', { cluster, taskDefinition, decisionEngine: STATE_MACHINE, resultPath: '$.load', maxAttempts: 5 });
    const map = new sfn.Map(stack, 'Each partition', { itemsPath: '$.partitions' }).itemProcessor(extract);
    new sfn.StateMachine(stack, 'Pipeline', {
      logs: { destination: logGroup, level: sfn.LogLevel.ALL }, definitionBody: sfn.DefinitionBody.fromChainable(map.next(load)),
    });
  });

  test('a standalone run: its policy from the Comment of Retry or fail, its path from the Comment of Start attempts', () => {
    const props: Partial<RetryableEcsRunTaskProps> = { maxAttempts: 4, retryableExitCodes: [75], ...adaptiveProps() };
    const run = onlyRun(standaloneApp({ ...props, decisionEngine: STATE_MACHINE }));

    expect(run).toMatchObject({
      run: 'ReportStack/NightlyReportJob/Run',
      runFrom: 'start comment',
      statePrefix: '',
      engine: 'STATE_MACHINE',
      state: 'Retry or fail',
      stateMachine: expect.stringMatching(/^NightlyReportJobStateMachine/),
      unresolved: [],
    });
    // The policy the state machine carries is the one the Lambda engine would send its decider.
    expect(run.policy).toEqual(onlyRun(standaloneApp(props)).policy);
    expect(run.policy).toMatchObject({
      maxAttempts: 4, sizes: [{ cpu: 256, memoryMiB: 512 }, { cpu: 512, memoryMiB: 1024 }, { cpu: 1024, memoryMiB: 2048 }],
    });
  });

  test('a template with a run of each engine: --run chooses either; both are classified by decideRetry', () => {
    const outdir = synth((stack, cluster, taskDefinition) => {
      new RetryableEcsRunTask(stack, 'LambdaJob', { cluster, taskDefinition, maxAttempts: 3, retryableExitCodes: [75] });
      new RetryableEcsRunTask(stack, 'JsonataJob', { cluster, taskDefinition, maxAttempts: 3, retryableExitCodes: [75], decisionEngine: STATE_MACHINE });
    });
    const runs = readTemplateRuns(outdir);

    expect(runs.map((r) => [r.run, r.engine, r.state])).toEqual([
      ['ReportStack/LambdaJob/Run', 'LAMBDA', 'Decide retry'],
      ['ReportStack/JsonataJob/Run', 'STATE_MACHINE', 'Retry or fail'],
    ]);
    expect(inputError(() => selectRun(runs, undefined, outdir))).toMatch(/found 2 runs in .*: ReportStack\/LambdaJob\/Run, ReportStack\/JsonataJob\/Run$/);
    const lambda = selectRun(runs, 'ReportStack/LambdaJob/Run', outdir);
    const jsonata = selectRun(runs, 'JsonataJob', outdir);
    expect([lambda.engine, jsonata.engine]).toEqual(['LAMBDA', 'STATE_MACHINE']);
    expect(jsonata.policy).toEqual(lambda.policy);

    const explained = [lambda, jsonata].map((run) => explainPolicy(run, failure('sidecar-killed')));
    expect(explained.map((e) => e.attempts.map((a) => [a.decision, a.rule]))).toEqual([0, 1].map(() => [
      ['RETRY', 'retryableExitCode:75'], ['RETRY', 'retryableExitCode:75'], ['EXHAUSTED', 'retryableExitCode:75'],
    ]));
    const text = renderPolicy(explained[1], 120);
    expect(text).toContain('Run        ReportStack/JsonataJob/Run\n');
    expect(text).toMatch(/state\s+"Retry or fail" \(STATE_MACHINE engine\)\n\s+Its states decide in JSONata, as decideRetry does/);
    expect(renderPolicy(explained[0], 120)).not.toContain('JSONata');
  });

  test('fragments in a workflow: each named by the Comment of its Start attempts state, wherever it was created', () => {
    const outdir = workflowApp();
    const runs = readTemplateRuns(outdir);

    expect(runs.map((r) => [r.run, r.runFrom, r.statePrefix, r.state, (r.policy as any).maxAttempts])).toEqual([
      ['ReportStack/Etl/Extract', 'start comment', 'Extract: ', 'Extract: Retry or fail', 2],
      ['ReportStack/Load', 'start comment', 'Load: ', 'Load: Retry or fail', 5],
    ]);
    // By the prefix of its state names, as explain names a run in a history.
    expect(selectRun(runs, 'Extract: ', outdir).run).toBe('ReportStack/Etl/Extract');
    expect(selectRun(runs, 'Load', outdir).run).toBe('ReportStack/Load');
    expect(selectRun(runs, 'ReportStack/Load', outdir).run).toBe('ReportStack/Load');
    // A template alone, without its cloud assembly: the comment is in the definition.
    const alone = path.join(scratchDirectory('explain-template-alone-'), 'ReportStack.template.json');
    fs.copyFileSync(path.join(outdir, 'ReportStack.template.json'), alone);
    expect(readTemplateRuns(alone).map((r) => [r.run, r.runFrom])).toEqual(runs.map((r) => [r.run, r.runFrom]));
  });

  test('a template of an earlier release, without that comment: named by metric filters, or inferred from state names', () => {
    const alone = earlierReleaseTemplate(workflowApp());
    const aloneRuns = readTemplateRuns(alone);

    // The metric filters' namespace where a metric was asked for, else the state names.
    expect(aloneRuns.map((r) => [r.run, r.runFrom])).toEqual([['ReportStack/Etl/Extract', 'metric filters'], ['Load', 'state names']]);
    expect(selectRun(aloneRuns, 'Load: ', alone).runFrom).toBe('state names');
    expect(renderPolicy(explainPolicy(aloneRuns[1], failure('spot-interruption')), 120).split('\n')[0])
      .toBe('Run        Load (named by its states "Load: …": the template does not name the run)');

    // With construct path metadata (cdk synth writes it): inferred as a fragment beside its state machine.
    const withPaths = earlierReleaseTemplate(workflowApp(), (template) => {
      const machine = Object.keys(template.Resources).find((id) => template.Resources[id].Type === 'AWS::StepFunctions::StateMachine')!;
      template.Resources[machine].Metadata = { 'aws:cdk:path': 'ReportStack/Pipeline/Resource' };
    });
    const load = selectRun(readTemplateRuns(withPaths), 'Load', withPaths);
    expect(load).toMatchObject({ run: 'ReportStack/Load', runFrom: 'state machine path', statePrefix: 'Load: ' });
    expect(renderPolicy(explainPolicy(load, failure('spot-interruption')), 120).split('\n')[0])
      .toBe('Run        ReportStack/Load (inferred: the fragment of the states "Load: …", taken to be beside its state machine)');
  });

  test('a fragment whose states have no prefix, without metric filters: named by its state machine, in words the operator knows', () => {
    const outdir = synth((stack, cluster, taskDefinition) => {
      const job = new RetryableEcsRunTaskFragment(stack, 'Job', { cluster, taskDefinition, decisionEngine: STATE_MACHINE, stateNamePrefix: '' });
      new sfn.StateMachine(stack, 'Pipeline', { definitionBody: sfn.DefinitionBody.fromChainable(job) });
    });

    // The Comment of its Start attempts state names it.
    expect([onlyRun(outdir).run, onlyRun(outdir).runFrom]).toEqual(['ReportStack/Job', 'start comment']);
    // A template of an earlier release, without that Comment.
    const run = onlyRun(earlierReleaseTemplate(outdir, (template) => {
      const machine = Object.keys(template.Resources).find((id) => template.Resources[id].Type === 'AWS::StepFunctions::StateMachine')!;
      template.Resources[machine].Metadata = { 'aws:cdk:path': 'ReportStack/Pipeline/Resource' };
    }));

    expect([run.run, run.runFrom, run.statePrefix]).toEqual(['ReportStack/Pipeline', 'state names', '']);
    expect(renderPolicy(explainPolicy(run, failure('spot-interruption')), 120).split('\nFound in')[0].replace(/\s+/g, ' ')).toBe(
      'Run ReportStack/Pipeline (its states "Start attempts", "Run task", … are this state machine\'s own: the template does not name the run)');
  });

  test('a template of an earlier release, whose Retry or fail Comment carried the policy: read from there', () => {
    // GIVEN: a definition as releases before the policy moved into the Start attempts variable wrote it
    const policy = { ...renderRetryPolicy({ maxAttempts: 4, retryableExitCodes: [75] }) };
    const { maxAttempts: _, intervalSeconds: __, backoffRate: ___, maxDelaySeconds: ____, jitter: _____, ...lists } = policy;
    const definition = {
      StartAt: 'Start attempts',
      States: {
        'Start attempts': { Type: 'Pass', QueryLanguage: 'JSONata', Assign: { retry_attempt: 1, retry_history: [], retry_policy: { ...lists, waits: [30, 60, 120] } }, Next: 'Retry or fail' },
        'Retry or fail': { Type: 'Choice', QueryLanguage: 'JSONata', Comment: `retry policy: ${JSON.stringify(policy)}`, Choices: [{ Condition: '{% true %}', Next: 'Done' }] },
        'Done': { Type: 'Succeed' },
      },
    };
    const file = path.join(scratchDirectory('explain-earlier-release-'), 'Old.template.json');
    fs.writeFileSync(file, JSON.stringify({ Resources: { Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: JSON.stringify(definition) } } } }));

    // WHEN
    const run = onlyRun(file);

    // THEN
    expect(run).toMatchObject({ engine: 'STATE_MACHINE', state: 'Retry or fail', runFrom: 'state names' });
    expect(run.policy).toEqual(JSON.parse(JSON.stringify(policy)));
  });

  test('a value only deploy knows: the STATE_MACHINE engine refuses it at synth, naming the prop', () => {
    expect(() => synth((stack, cluster, taskDefinition) => {
      const attempts = new CfnParameter(stack, 'MaxAttempts', { type: 'Number', default: 3 });
      new RetryableEcsRunTask(stack, 'Job', { cluster, taskDefinition, decisionEngine: STATE_MACHINE, maxAttempts: attempts.valueAsNumber });
    })).toThrow(/^`maxAttempts` is a token, but `decisionEngine: DecisionEngine.STATE_MACHINE` compiles the retry policy/);
  });
});

describe('explain --template: a LAMBDA run sends its policy as a diff from the defaults', () => {
  /** The template of `outdir`'s stack, changed, written alone in a directory of its own. */
  function changedTemplate(outdir: string, change: (template: any) => void): string {
    const template = JSON.parse(fs.readFileSync(path.join(outdir, 'ReportStack.template.json'), 'utf8'));
    change(template);
    const alone = path.join(scratchDirectory('explain-template-changed-'), 'ReportStack.template.json');
    fs.writeFileSync(alone, JSON.stringify(template));
    return alone;
  }
  const deciderOf = (template: any) => Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
  /** Replaces the defaults id in every state machine definition's payloads. */
  const sendId = (template: any, id: string) => {
    for (const resource of Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')) {
      resource.Properties.DefinitionString = JSON.parse(JSON.stringify(resource.Properties.DefinitionString)
        .replaceAll(`\\"defaultsId\\":\\"${POLICY_DEFAULTS.id}\\"`, `\\"defaultsId\\":\\"${id}\\"`));
    }
  };

  test('whole again with the defaults of the decider function in the same template', () => {
    const outdir = standaloneApp({ maxAttempts: 4 });
    // Defaults of another release, in the function and in the payload alike.
    const other = { id: 'abcdef12', policy: { ...POLICY_DEFAULTS.policy, retryableExitCodes: [75] } };
    const alone = changedTemplate(outdir, (template) => {
      deciderOf(template).Properties.Environment.Variables[POLICY_DEFAULTS_VARIABLE] = JSON.stringify(other);
      sendId(template, other.id);
    });

    for (const run of [onlyRun(outdir), onlyRun(alone)]) {
      expect(run.policyDefaults).toEqual({ id: expect.any(String), from: expect.stringMatching(/^the environment of the decider function RetryableEcsRunTaskDecider\w+ in the template$/) });
      expect(run.policy).toMatchObject({ maxAttempts: 4, retryableStopCodes: RetryDefaults.RETRYABLE_STOP_CODES.map((c) => c.code) });
    }
    expect(onlyRun(outdir).policy).toEqual(renderRetryPolicy({ maxAttempts: 4 }));
    // The other release's lists decide: exit code 75 is retried.
    const run = onlyRun(alone);
    expect(run.policy).toEqual({ ...renderRetryPolicy({ maxAttempts: 4 }), retryableExitCodes: [75] });
    expect(explainPolicy(run, failure('sidecar-killed')).attempts[0].rule).toBe('retryableExitCode:75');
    expect(renderPolicy(explainPolicy(run, failure('sidecar-killed')), 240))
      .toMatch(/\(It sends what differs from default policy abcdef12, whole here with the environment of the decider function RetryableEcsRunTaskDecider\w+ in the template\.\)/);
  });

  test('without the decider function in the template: whole again with explain\'s own defaults, when they are the ones it names', () => {
    const alone = changedTemplate(standaloneApp({ maxAttempts: 4 }), (template) => {
      delete deciderOf(template).Properties.Environment;
    });
    const run = onlyRun(alone);
    expect(run.policyDefaults).toEqual({ id: POLICY_DEFAULTS.id, from: 'the defaults of this version of explain' });
    expect(run.policy).toEqual(renderRetryPolicy({ maxAttempts: 4 }));
    expect(explainPolicy(run, failure('spot-interruption')).attempts.map((a) => a.decision)).toEqual(['RETRY', 'RETRY', 'RETRY', 'EXHAUSTED']);
  });

  test('defaults that neither has: it says that it cannot know them, and decides nothing', () => {
    const alone = changedTemplate(standaloneApp({ maxAttempts: 4 }), (template) => {
      delete deciderOf(template).Properties.Environment;
      sendId(template, 'ffffffff');
    });
    const run = onlyRun(alone);
    expect(run.policyDefaults).toEqual({ id: 'ffffffff' });
    expect(run.policy).toEqual({ defaultsId: 'ffffffff', maxAttempts: 4 });
    expect(inputError(() => explainPolicy(run, failure('spot-interruption')))).toBe(
      'expected the defaults that the policy of ReportStack/NightlyReportJob/Run is a diff from, to know its whole policy: the decider function in the same template, '
      + `or this version of explain, has them, found default policy ffffffff, which neither has (this version of explain has ${POLICY_DEFAULTS.id}); `
      + 'explain the template with the version of cdk-retryable-ecs-run-task that synthesized it, or with the whole cdk.out of its stack');
  });

  test('a template of an earlier release, whose Decide retry invoked lambda:invoke with a FunctionName and a Payload: read from there', () => {
    const outdir = standaloneApp({ maxAttempts: 4 });
    const other = { id: 'abcdef12', policy: { ...POLICY_DEFAULTS.policy, retryableExitCodes: [75] } };
    const alone = changedTemplate(outdir, (template) => {
      deciderOf(template).Properties.Environment.Variables[POLICY_DEFAULTS_VARIABLE] = JSON.stringify(other);
      sendId(template, other.id);
      for (const resource of Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')) {
        resource.Properties.DefinitionString['Fn::Join'][1] = asLambdaInvoke(resource.Properties.DefinitionString['Fn::Join'][1]);
      }
    });
    const definition = JSON.stringify(JSON.parse(fs.readFileSync(alone, 'utf8')).Resources);
    expect(definition).toContain('lambda:invoke\\",\\"Parameters\\":{\\"FunctionName\\":\\"');
    expect(definition).toContain('\\"Payload\\":{\\"run\\":\\"ReportStack/NightlyReportJob/Run\\"');

    const run = onlyRun(alone);
    // The run, its policy, and the decider function whose defaults make it whole, found as before.
    expect(run.run).toBe('ReportStack/NightlyReportJob/Run');
    expect(run.policyDefaults).toEqual({ id: 'abcdef12', from: expect.stringMatching(/^the environment of the decider function RetryableEcsRunTaskDecider\w+ in the template$/) });
    expect(run.policy).toEqual({ ...renderRetryPolicy({ maxAttempts: 4 }), retryableExitCodes: [75] });
  });

  test('a template of a release before the diff: its whole policy, as sent', () => {
    const whole = renderRetryPolicy({ maxAttempts: 4 });
    const alone = changedTemplate(standaloneApp({ maxAttempts: 4 }), (template) => {
      delete deciderOf(template).Properties.Environment;
      for (const resource of Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')) {
        resource.Properties.DefinitionString = JSON.parse(JSON.stringify(resource.Properties.DefinitionString)
          .replace(/\\"policy\\":\{[^}]*\}/, `\\"policy\\":${JSON.stringify(JSON.stringify(whole)).slice(1, -1)}`));
      }
    });
    const run = onlyRun(alone);
    expect(run.policyDefaults).toBeUndefined();
    expect(run.policy).toEqual(whole);
  });
});

/**
 * The parts of a definition's `Fn::Join` with `Decide retry` as releases before this one wrote it:
 * `Resource: arn:…:states:::lambda:invoke`, `Parameters: { FunctionName: <the decider's ARN>, Payload }`
 * and a `ResultSelector` of the answer's `Payload`, where this release names the function as the
 * `Resource` and has the payload as the `Parameters`.
 */
function asLambdaInvoke(parts: unknown[]): unknown[] {
  const i = parts.findIndex((part, n) => typeof part === 'string' && part.endsWith('"Resource":"')
    && typeof parts[n + 2] === 'string' && (parts[n + 2] as string).startsWith('","Parameters":{"run"'));
  expect(i).toBeGreaterThanOrEqual(0);
  const after = (parts[i + 2] as string).slice('","Parameters":'.length);
  let depth = 0;
  let end = 0;
  do {
    depth += after[end] === '{' ? 1 : after[end] === '}' ? -1 : 0;
    end++;
  } while (depth > 0);
  const selector = ['retryable', 'retry', 'waitSeconds', 'rule', 'history', 'cause'].map((f) => `"${f}.$":"$.Payload.${f}"`).join(',');
  return [
    ...parts.slice(0, i),
    `${(parts[i] as string).slice(0, -'"Resource":"'.length)}"ResultSelector":{${selector}},"Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"`,
    parts[i + 1],
    `","Payload":${after.slice(0, end)}}${after.slice(end)}`,
    ...parts.slice(i + 3),
  ];
}

describe('explain --template --failure: what the policy does with a failure', () => {
  test('a retryable failure: RETRY until the last attempt, which is EXHAUSTED; the wait schedule with full jitter', () => {
    const run = onlyRun(standaloneApp({
      maxAttempts: 4, interval: Duration.seconds(20), backoffRate: 2, maxDelay: Duration.seconds(60), retryableExitCodes: [75],
    }));

    const explanation = explainPolicy(run, failure('sidecar-killed'));

    expect(explanation.reads).toMatchObject({ stopCode: 'EssentialContainerExited', exitCodes: [{ name: 'app', exitCode: 75 }, { name: 'log-router', exitCode: 137 }] });
    expect(explanation.attempts.map((a) => [a.attempt, a.reached, a.decision, a.rule, a.wait])).toEqual([
      [1, true, 'RETRY', 'retryableExitCode:75', { minSeconds: 0, maxSeconds: 20 }],
      [2, true, 'RETRY', 'retryableExitCode:75', { minSeconds: 0, maxSeconds: 40 }],
      [3, true, 'RETRY', 'retryableExitCode:75', { minSeconds: 0, maxSeconds: 60 }],
      [4, true, 'EXHAUSTED', 'retryableExitCode:75', undefined],
    ]);
    expect(explanation.waitSchedule).toEqual([
      { beforeAttempt: 2, minSeconds: 0, maxSeconds: 20 },
      { beforeAttempt: 3, minSeconds: 0, maxSeconds: 40 },
      { beforeAttempt: 4, minSeconds: 0, maxSeconds: 60 },
    ]);
  });

  test('each row is what the decider answers at that attempt', () => {
    const run = onlyRun(standaloneApp({ maxAttempts: 3, jitterStrategy: sfn.JitterType.NONE }));
    const explanation = explainPolicy(run, failure('resource-initialization-error'));
    explanation.attempts.forEach((row) => {
      const history = row.attempt === 1 ? [] : explanation.attempts.slice(0, row.attempt - 1).map(() => ({}));
      const decision = decideRetry({ policy: run.policy, attempt: row.attempt, error: failure('resource-initialization-error'), history, random: 0 });
      expect([row.decision, row.rule, row.wait?.minSeconds ?? 0]).toEqual([
        decision.retry ? 'RETRY' : decision.retryable ? 'EXHAUSTED' : 'NOT_RETRYABLE', decision.rule, decision.waitSeconds,
      ]);
    });
  });

  test('a permanent failure: NOT_RETRYABLE at every attempt; the run ends at the first', () => {
    const run = onlyRun(standaloneApp());

    const explanation = explainPolicy(run, failure('cannot-pull-not-found'));

    expect(explanation.attempts.map((a) => [a.attempt, a.reached, a.decision])).toEqual([
      [1, true, 'NOT_RETRYABLE'], [2, false, 'NOT_RETRYABLE'], [3, false, 'NOT_RETRYABLE'],
    ]);
    expect(explanation.attempts[0].rule).toBe('nonRetryableStoppedReason:CannotPullContainerError:*not found*');
    const text = renderPolicy(explanation, 120);
    expect(text).toContain('  2 (not reached)  NOT_RETRYABLE');
    expect(text.replace(/\s+/g, ' ')).toContain('When every attempt fails this way, the run fails at attempt 1 with RetryableEcsRunTask.NotRetryable: Attempt 1 failed with');
  });

  test('adaptive: out of memory climbs the size ladder attempt by attempt, then stops at the largest size', () => {
    const run = onlyRun(standaloneApp(adaptiveProps()));

    const explanation = explainPolicy(run, failure('oom-fargate'));

    const spotTarget = { capacityProviders: ['FARGATE_SPOT'] };
    expect(explanation.attempts.map((a) => [a.attempt, a.placement, a.decision, a.rule])).toEqual([
      [1, { sizeIndex: 0, capacity: 'primary', launchTarget: spotTarget, size: { cpu: 256, memoryMiB: 512 }, state: 'Run task' }, 'RETRY', 'outOfMemory:escalate to size 1'],
      [2, { sizeIndex: 1, capacity: 'primary', launchTarget: spotTarget, size: { cpu: 512, memoryMiB: 1024 }, state: 'Run task' }, 'RETRY', 'outOfMemory:escalate to size 2'],
      [3, { sizeIndex: 2, capacity: 'primary', launchTarget: spotTarget, size: { cpu: 1024, memoryMiB: 2048 }, state: 'Run task' }, 'NOT_RETRYABLE', 'outOfMemoryAtLargestSize'],
      [4, { sizeIndex: 2, capacity: 'primary', launchTarget: spotTarget, size: { cpu: 1024, memoryMiB: 2048 }, state: 'Run task' }, 'NOT_RETRYABLE', 'outOfMemoryAtLargestSize'],
    ]);
    const spot = explainPolicy(run, failure('spot-interruption'));
    expect(spot.attempts.map((a) => [a.placement?.capacity, a.placement?.launchTarget])).toEqual([
      ['primary', spotTarget], ['fallback', { capacityProviders: ['FARGATE'] }], ['fallback', { capacityProviders: ['FARGATE'] }], ['fallback', { capacityProviders: ['FARGATE'] }],
    ]);
    // As AWS names them: the capacity provider and the size, not primary, fallback or a size index.
    const table = renderPolicy(spot, 120).split('\n').filter((l) => /^ {2}\d/.test(l)).map((l) => l.trim().split(/ {2,}/).slice(0, 3));
    expect(table).toEqual([
      ['1', 'FARGATE_SPOT · 0.25 vCPU, 0.5 GiB', 'RETRY'],
      ['2', 'FARGATE · 0.25 vCPU, 0.5 GiB', 'RETRY'],
      ['3', 'FARGATE · 0.25 vCPU, 0.5 GiB', 'RETRY'],
      ['4', 'FARGATE · 0.25 vCPU, 0.5 GiB', 'EXHAUSTED'],
    ]);

    // The STATE_MACHINE engine runs both launch targets in one state, from the parameters its Start attempts state assigns.
    const jsonata = onlyRun(standaloneApp({ ...adaptiveProps(), decisionEngine: DecisionEngine.STATE_MACHINE }));
    expect(jsonata.launchTargets).toEqual({ primary: spotTarget, fallback: { capacityProviders: ['FARGATE'] } });
    expect([run.fallbackState, jsonata.fallbackState]).toEqual(['Run task on fallback', 'Run task']);
    expect(explainPolicy(jsonata, failure('spot-interruption')).attempts.map((a) => [a.placement?.state, a.placement?.capacity])).toEqual([
      ['Run task', 'primary'], ['Run task', 'fallback'], ['Run task', 'fallback'], ['Run task', 'fallback'],
    ]);
    expect(spot.attempts.map((a) => a.placement?.state)).toEqual(['Run task', 'Run task on fallback', 'Run task on fallback', 'Run task on fallback']);
  });

  test('the text', () => {
    const run = onlyRun(standaloneApp({ maxAttempts: 3, interval: Duration.seconds(10), maxDelay: Duration.seconds(30), retryableExitCodes: [75] }));

    const text = renderPolicy(explainPolicy(run, failure('sidecar-killed')), 100);

    const lines = text.split('\n');
    expect(lines[0]).toBe('Run        ReportStack/NightlyReportJob/Run');
    expect(lines).toContain('  maxAttempts                 3');
    expect(lines).toContain('  retryableStoppedReasons     ResourceInitializationError:*');
    expect(lines).toContain('                              CannotPullContainerError:*');
    expect(lines).toContain('Failure    exit app=75, log-router=137 · EssentialContainerExited · Essential container in task');
    expect(text.replace(/\s+/g, ' ')).toContain(
      'When every attempt fails this way, the run fails at attempt 3 with RetryableEcsRunTask.AttemptsExhausted: Attempt 3 failed with States.TaskFailed: '
      + 'EssentialContainerExited: Essential container in task exited (exit codes: app=75, log-router=137) [rule: retryableExitCode:75]');
    const table = lines.slice(lines.indexOf('  Attempt  Decision   Rule                  Wait before the next attempt'));
    expect(table.slice(0, 4)).toEqual([
      '  Attempt  Decision   Rule                  Wait before the next attempt',
      '  1        RETRY      retryableExitCode:75  0–10 s',
      '  2        RETRY      retryableExitCode:75  0–20 s',
      '  3        EXHAUSTED  retryableExitCode:75',
    ]);
    expect(text).toContain('Wait schedule for any retried failure: before attempt 2: 0–10 s, before attempt 3: 0–20 s.');
    lines.forEach((line) => expect(line.length).toBeLessThanOrEqual(100));
  });
});

describe('reading a failure payload', () => {
  const cause = failure('spot-interruption').Cause;

  test.each([
    ['a Catch payload', { Error: 'States.TaskFailed', Cause: cause }],
    ['taskFailedEventDetails', { resourceType: 'ecs', resource: 'runTask.sync', error: 'States.TaskFailed', cause }],
    ['a whole TaskFailed event', { timestamp: 1, type: 'TaskFailed', id: 8, previousEventId: 7, taskFailedEventDetails: { resourceType: 'ecs', resource: 'runTask.sync', error: 'States.TaskFailed', cause } }],
  ])('%s', (_, value) => {
    expect(readFailure(value)).toEqual({ Error: 'States.TaskFailed', Cause: cause });
  });

  test('without an error name, it is bad input', () => {
    expect(inputError(() => readFailure({ Cause: cause }))).toBe(
      'expected a failure payload: `{"Error": …, "Cause": …}` as a Catch receives it, or a `TaskFailed` event of a history, found an object with the keys "Cause"');
    expect(inputError(() => readFailure([failure('spot-interruption')]))).toMatch(/found an array of 1 objects$/);
  });
});
