import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DecisionEngine, RetryableEcsRunTaskFragment, RetryableEcsRunTaskFragmentProps } from '../../src';
import { chooseStatePrefix } from '../../src/states/state-names';
import { renderedDefinition } from '../support/local-execution';
import { testEnvironment, TestEnvironment } from '../support/stack';

// Step Functions rejects a state name longer than 80 characters at CreateStateMachine. A
// fragment's names are `<prefix><state>`; these tests hold every name of every run to the limit.

const MAX = 80;
const ENGINES = ['LAMBDA', 'STATE_MACHINE'] as const;
/** Each engine by its `name`. */
const ENGINE = { LAMBDA: DecisionEngine.LAMBDA_FUNCTION, STATE_MACHINE: DecisionEngine.STATE_MACHINE };

/**
 * The longest state name of a run with every optional state, on each engine: a failure
 * notification's. Found by synthesizing every combination of topics, fallback and sizes.
 */
const LONGEST: ReadonlyArray<[typeof ENGINES[number], string]> = [
  ['LAMBDA', 'Count lost attempts exhausted notification'],
  ['STATE_MACHINE', 'Attempts exhausted (notification lost)'],
];

const fargate = (capacityProvider: string) => new tasks.EcsFargateLaunchTarget({
  platformVersion: ecs.FargatePlatformVersion.LATEST,
  capacityProviderOptions: tasks.CapacityProviderOptions.custom([{ capacityProvider, weight: 1 }]),
});

/** Both topics, a fallback launch target and a size ladder: every optional state. */
function everyOptionalState(env: TestEnvironment, engine: typeof ENGINES[number]): RetryableEcsRunTaskFragmentProps {
  return {
    cluster: env.cluster,
    taskDefinition: env.taskDefinition,
    decisionEngine: ENGINE[engine],
    successTopic: new sns.Topic(env.stack, 'Succeeded'),
    failureTopic: new sns.Topic(env.stack, 'Failed'),
    launchTarget: fargate('FARGATE_SPOT'),
    fallbackLaunchTarget: fargate('FARGATE'),
    outOfMemorySizes: [{ cpu: 512, memoryMiB: 1024 }],
  };
}

function workflow(stack: Stack, chainable: sfn.IChainable, id = 'Workflow'): sfn.StateMachine {
  return new sfn.StateMachine(stack, id, { definitionBody: sfn.DefinitionBody.fromChainable(chainable) });
}

/** Every state of a definition, by name, Map item processors and Parallel branches included. */
function allStates(definition: any): Record<string, any> {
  const found: Record<string, any> = {};
  const walk = (machine: any) => {
    for (const [name, state] of Object.entries<any>(machine?.States ?? {})) {
      found[name] = state;
      walk(state.ItemProcessor ?? state.Iterator);
      (state.Branches ?? []).forEach(walk);
    }
  };
  walk(definition);
  return found;
}

const longestOf = (names: string[]) => names.reduce((a, b) => (b.length > a.length ? b : a));

/** An id of exactly `length` characters whose cut points are letters, so that no trailing space is trimmed. */
const idOf = (length: number) => 'Nightlyreport-'.padEnd(length, 'abcdefghij').slice(0, length);

describe('state names stay within Step Functions\' 80 characters', () => {
  test('the longest names are a failure notification\'s', () => {
    // GIVEN / WHEN: one run with every optional state on each engine
    for (const [engine, longest] of LONGEST) {
      const env = testEnvironment();
      workflow(env.stack, new RetryableEcsRunTaskFragment(env.stack, 'J', everyOptionalState(env, engine)));

      // THEN
      const names = Object.keys(allStates(renderedDefinition(env.stack)));
      expect(longestOf(names)).toBe(`J: ${longest}`);
    }
  });

  describe.each(LONGEST)('at the boundary, %s engine with every optional state', (engine, longest) => {
    const fits = MAX - longest.length - ': '.length;

    test(`an id of ${fits} characters keeps its names: the longest has exactly 80`, () => {
      // GIVEN
      const env = testEnvironment();
      const id = idOf(fits);

      // WHEN
      workflow(env.stack, new RetryableEcsRunTaskFragment(env.stack, id, everyOptionalState(env, engine)));

      // THEN
      const definition = renderedDefinition(env.stack);
      const names = Object.keys(allStates(definition));
      expect(names.every((name) => name.startsWith(`${id}: `))).toBe(true);
      expect(longestOf(names)).toBe(`${id}: ${longest}`);
      expect(longestOf(names)).toHaveLength(MAX);
      // Names that fit are not marked as shortened; a STATE_MACHINE run names its path all the same.
      expect(allStates(definition)[`${id}: Start attempts`].Comment).toBe(engine === 'STATE_MACHINE' ? `Run: TestStack/${id}` : undefined);
    });

    test(`an id of ${fits + 1} characters is shortened to the start of the id and a hash: the longest has exactly 80`, () => {
      // GIVEN
      const env = testEnvironment();
      const id = idOf(fits + 1);

      // WHEN
      workflow(env.stack, new RetryableEcsRunTaskFragment(env.stack, id, everyOptionalState(env, engine)));

      // THEN
      const states = allStates(renderedDefinition(env.stack));
      const names = Object.keys(states);
      const prefix = /^(.*…[0-9a-f]{6}: )Start attempts$/.exec(names.find((n) => n.endsWith('Start attempts'))!)![1];
      expect(id.startsWith(prefix.slice(0, prefix.indexOf('…')))).toBe(true);
      expect(names.every((name) => name.startsWith(prefix) && name.length <= MAX)).toBe(true);
      expect(longestOf(names)).toBe(`${prefix}${longest}`);
      expect(longestOf(names)).toHaveLength(MAX);
      expect(states[`${prefix}Start attempts`].Comment).toBe(`State names shortened to at most 80 characters. Run: TestStack/${id}`);
    });
  });

  test.each([
    ['LAMBDA', 'Nächtlicher Bericht für alle'],
    ['STATE_MACHINE', 'Nächtlicher Bericht für alle Regi'],
  ] as const)('a 200-character id with spaces and non-ASCII letters, %s engine: a readable start, every name within 80', (engine, start) => {
    // GIVEN
    const env = testEnvironment();
    const id = 'Nächtlicher Bericht für alle Regionen und Konten — Ελληνικά, 日本語, ' + 'encore une fois, déjà vu '.repeat(6);
    expect(id.length).toBeGreaterThanOrEqual(200);

    // WHEN
    workflow(env.stack, new RetryableEcsRunTaskFragment(env.stack, id, everyOptionalState(env, engine)));

    // THEN
    const names = Object.keys(allStates(renderedDefinition(env.stack)));
    expect(Math.max(...names.map((n) => n.length))).toBeLessThanOrEqual(MAX);
    // The cut falls after a space, which is trimmed.
    expect(names.find((n) => n.endsWith(': Start attempts'))).toMatch(new RegExp(`^${start}…[0-9a-f]{6}: Start attempts$`));
  });

  test('a character outside the Basic Multilingual Plane is never cut in half', () => {
    // GIVEN: an id whose cut falls on the second half of an emoji (two UTF-16 code units)
    const longestName = 'Count lost attempts exhausted notification';
    const room = MAX - longestName.length - '…123456: '.length;
    const id = `${'a'.repeat(room - 1)}🌙 nightly report`;

    // WHEN
    const { prefix, shortened } = chooseStatePrefix({ id, path: `Stack/${id}`, longestName });

    // THEN: the emoji is left out whole, not half of it
    expect(shortened).toBe(true);
    expect(prefix).toMatch(new RegExp(`^a{${room - 1}}…[0-9a-f]{6}: $`));
    expect((prefix + longestName).length).toBeLessThanOrEqual(MAX);
  });

  test('a short id keeps its names on both engines', () => {
    for (const engine of ENGINES) {
      const env = testEnvironment();
      workflow(env.stack, new RetryableEcsRunTaskFragment(env.stack, 'Report', everyOptionalState(env, engine)));
      const states = allStates(renderedDefinition(env.stack));
      expect(Object.keys(states).every((name) => name.startsWith('Report: '))).toBe(true);
      expect(states['Report: Start attempts'].Comment).toBe(engine === 'STATE_MACHINE' ? 'Run: TestStack/Report' : undefined);
    }
  });

  test('without topics a run keeps a longer id: the limit comes from its own longest name', () => {
    // GIVEN: 55 characters, plus ': ', plus `Explain decider failure` (23), the longest name of a Lambda run without topics
    const env = testEnvironment();
    const id = idOf(55);

    // WHEN
    workflow(env.stack, new RetryableEcsRunTaskFragment(env.stack, id, { cluster: env.cluster, taskDefinition: env.taskDefinition }));

    // THEN
    const names = Object.keys(allStates(renderedDefinition(env.stack)));
    expect(longestOf(names)).toBe(`${id}: Explain decider failure`);
    expect(longestOf(names)).toHaveLength(MAX);
  });
});

describe('shortened names are unique and stable', () => {
  const SHARED_START = 'Nightly report for every region and every account of the organisations'; // 70 characters

  test.each(ENGINES)('two ids sharing their first 70 characters, one in a Map, one after it, %s engine: distinct names', (engine) => {
    // GIVEN
    expect(SHARED_START).toHaveLength(70);
    const env = testEnvironment();
    const props = everyOptionalState(env, engine);
    const first = new RetryableEcsRunTaskFragment(env.stack, `${SHARED_START}, first`, { ...props, resultPath: '$.first' });
    const second = new RetryableEcsRunTaskFragment(env.stack, `${SHARED_START}, second`, { ...props, resultPath: '$.second' });

    // WHEN: names must be unique across the whole state machine, the Map's item processor included
    const map = new sfn.Map(env.stack, 'Each partition', { itemsPath: '$.partitions', resultPath: sfn.JsonPath.DISCARD }).itemProcessor(first);
    workflow(env.stack, map.next(second));

    // THEN
    const definition = renderedDefinition(env.stack);
    const inMap = Object.keys(allStates((definition.States['Each partition'] as any).ItemProcessor));
    const after = Object.keys(definition.States).filter((n) => n !== 'Each partition');
    const prefixOf = (names: string[]) => names.find((n) => n.endsWith('Start attempts'))!.slice(0, -'Start attempts'.length);
    // The same readable start, told apart by the hash of each construct path.
    expect(prefixOf(inMap)).toMatch(/^Nightly report for every regi.*…[0-9a-f]{6}: $/);
    expect(prefixOf(inMap).split('…')[0]).toBe(prefixOf(after).split('…')[0]);
    expect(prefixOf(inMap)).not.toBe(prefixOf(after));
    expect(new Set([...inMap, ...after]).size).toBe(inMap.length + after.length);
    expect(Math.max(...[...inMap, ...after].map((n) => n.length))).toBeLessThanOrEqual(MAX);
  });

  test('the same long id in two scopes of one workflow: the hash of the construct path tells them apart', () => {
    // GIVEN
    const env = testEnvironment();
    const id = `${SHARED_START}, nightly`;
    const job = (scope: string, resultPath: string) => new RetryableEcsRunTaskFragment(new Construct(env.stack, scope), id, {
      cluster: env.cluster, taskDefinition: env.taskDefinition, resultPath,
    });

    // WHEN
    workflow(env.stack, job('Europe', '$.europe').next(job('America', '$.america')));

    // THEN
    const starts = Object.keys(renderedDefinition(env.stack).States).filter((n) => n.endsWith('Start attempts'));
    expect(starts).toHaveLength(2);
    expect(starts[0]).not.toBe(starts[1]);
  });

  test('two synths of the same construct tree give the same names, and a given path always the same prefix', () => {
    // GIVEN
    const namesOfSynth = () => {
      const env = testEnvironment();
      workflow(env.stack, new RetryableEcsRunTaskFragment(env.stack, `${SHARED_START}, nightly`, everyOptionalState(env, 'LAMBDA')));
      return Object.keys(renderedDefinition(env.stack).States);
    };

    // WHEN
    const [first, second] = [namesOfSynth(), namesOfSynth()];

    // THEN: also across releases, since deployed names, dashboards and alarms depend on it
    expect(second).toEqual(first);
    expect(first[0]).toBe('Nightly report for every regi…bbeb21: Start attempts');
  });
});

describe('an explicit stateNamePrefix', () => {
  test('one that makes a name longer than 80 characters fails at synth, saying how long it may be', () => {
    // GIVEN
    const env = testEnvironment();
    const stateNamePrefix = 'Nightly report for all regions and accounts: ';

    // WHEN / THEN
    expect(() => new RetryableEcsRunTaskFragment(env.stack, 'Job', { ...everyOptionalState(env, 'LAMBDA'), stateNamePrefix })).toThrow(new Error(
      '`stateNamePrefix` must keep every state name within Step Functions\' limit of 80 characters, got: "Nightly report for all regions and accounts: " '
      + '(45 characters), which makes the longest state name "Nightly report for all regions and accounts: Count lost attempts exhausted notification" '
      + '87 characters. Use a prefix of at most 38 characters, or leave `stateNamePrefix` unset: the prefix made from the construct id is shortened to fit.',
    ));
  });

  test('one of the longest allowed length is used as it is', () => {
    // GIVEN: 38 characters, for a longest name of 42
    const env = testEnvironment();
    const stateNamePrefix = 'Nightly report, all regions/accounts: ';
    expect(stateNamePrefix).toHaveLength(38);

    // WHEN
    workflow(env.stack, new RetryableEcsRunTaskFragment(env.stack, 'Job', { ...everyOptionalState(env, 'LAMBDA'), stateNamePrefix }));

    // THEN
    const names = Object.keys(renderedDefinition(env.stack).States);
    expect(names.every((n) => n.startsWith(stateNamePrefix))).toBe(true);
    expect(longestOf(names)).toHaveLength(MAX);
  });

  test('a prefix added later, around the fragment, that makes a name too long fails at synth with our message', () => {
    // GIVEN
    const env = testEnvironment();
    const job = new RetryableEcsRunTaskFragment(env.stack, 'Job', everyOptionalState(env, 'LAMBDA'));

    // WHEN: as a StateMachineFragment of the user's that holds this one prefixes its states
    job.prefixStates('Nightly report for all regions and accounts / ');
    workflow(env.stack, job);

    // THEN
    expect(() => Template.fromStack(env.stack)).toThrow(
      '[TestStack/Job] State names must be at most 80 characters (Step Functions\' limit), got: '
      + '"Nightly report for all regions and accounts / Job: Count lost attempts exhausted notification" (93 characters) and 12 more. '
      + 'The fragment\'s own prefix, "Job: ", keeps its names within the limit; a prefix added later, with `prefixStates()` of the fragment '
      + 'or of a fragment around it, made them longer. Shorten that prefix, or the construct id.',
    );
  });
});

describe('the metric filters of a STATE_MACHINE run with a shortened prefix', () => {
  test('match its states\' final names', () => {
    // GIVEN
    const env = testEnvironment();
    const logGroup = new logs.LogGroup(env.stack, 'WorkflowLogs');
    const id = 'Nightly report for every region and every account of the organisation';

    // WHEN
    const job = new RetryableEcsRunTaskFragment(env.stack, id, { ...everyOptionalState(env, 'STATE_MACHINE'), stateMachineLogGroup: logGroup });
    workflow(env.stack, job);
    [job.metricRetries(), job.metricRetriesExhausted(), job.metricNotRetryable(), job.metricNotificationsLost()].forEach((m) => m.toMetricConfig());

    // THEN: every name a filter matches is a state of the run, and each filter matches one at least
    const names = new Set(Object.keys(allStates(renderedDefinition(env.stack))));
    const filters = Object.values(Template.fromStack(env.stack).findResources('AWS::Logs::MetricFilter'));
    expect(filters.map((f) => f.Properties.MetricTransformations[0].MetricName).sort())
      .toEqual(['AttemptsExhausted', 'NotRetryable', 'NotificationsLost', 'Retries']);
    for (const filter of filters) {
      const matched = [...(filter.Properties.FilterPattern as string).matchAll(/\$\.details\.name = "([^"]*)"/g)].map((m) => m[1]);
      expect(matched.length).toBeGreaterThan(0);
      for (const name of matched) {
        expect(name).toMatch(/^Nightly report for every region a…[0-9a-f]{6}: /);
        expect(names).toContain(name);
      }
    }
    expect(job.metricRetries().namespace).toBe(`RetryableEcsRunTask/TestStack/${id}`);
  });
});
