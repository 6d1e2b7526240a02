import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as fc from 'fast-check';
import { DecisionEngine, RetryableEcsRunTask, RetryableEcsRunTaskFragment } from '../../src';
import { messageGroupId } from '../../src/states/notifications';
import { renderedDefinition } from '../support/local-execution';
import { testEnvironment } from '../support/stack';

/**
 * What SNS accepts as a `MessageGroupId`: up to 128 letters, digits and ASCII punctuation.
 *
 * @see https://docs.aws.amazon.com/sns/latest/api/API_Publish.html#API_Publish_RequestParameters
 */
const SNS_GROUP_ID = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;

/** What a JSONata state would not take for an expression. */
function notJsonata(value: string): boolean {
  return !value.startsWith('{%') && !value.endsWith('%}');
}

const HASH = '-[0-9a-f]{8}';

describe('the message group of a FIFO notification', () => {
  test.each([
    ['a path SNS accepts', 'TestStack/Job/Run'],
    ['punctuation SNS accepts', 'TestStack/Job!"#$%&\'()*+,-.:;<=>?@[\\]^_`{|}~/Run'],
    ['exactly 128 characters', `TestStack/${'a'.repeat(114)}/Run`],
  ])('is the path itself for %s', (_, path) => {
    // GIVEN / WHEN
    const group = messageGroupId(path);

    // THEN
    expect(group).toBe(path);
  });

  test.each([
    ['a space and a non-ASCII letter', 'TestStack/Nightly report ü/Run', /^TestStack\/Nightly_report__\/Run-[0-9a-f]{8}$/],
    ['an emoji, one character', 'TestStack/Report 📈/Run', /^TestStack\/Report__\/Run-[0-9a-f]{8}$/],
    ['a tab and a line break', 'TestStack/a\tb\nc/Run', /^TestStack\/a_b_c\/Run-[0-9a-f]{8}$/],
    ['a leading {%, which JSONata would read', '{% Stack/Job/Run', /^_%_Stack\/Job\/Run-[0-9a-f]{8}$/],
    ['a trailing %}, which JSONata would read', 'TestStack/Job/100%}', /^TestStack\/Job\/100%}-[0-9a-f]{8}$/],
  ])('replaces what SNS refuses and adds a hash, for %s', (_, path, expected) => {
    // GIVEN / WHEN
    const group = messageGroupId(path);

    // THEN
    expect(group).toMatch(expected);
    expect(group).toMatch(SNS_GROUP_ID);
  });

  test('keeps the last characters of a 300-character path, and a hash, in 128', () => {
    // GIVEN
    const path = `TestStack/${'x'.repeat(286)}/Run`;

    // WHEN
    const group = messageGroupId(path);

    // THEN
    expect(group).toHaveLength(128);
    expect(group).toMatch(new RegExp(`^x{115}/Run${HASH}$`));
  });

  test('cuts a 300-character path with non-ASCII letters after replacing them', () => {
    // GIVEN
    const path = `TestStack/${'ü'.repeat(290)}/Run`;

    // WHEN
    const group = messageGroupId(path);

    // THEN
    expect(group).toMatch(new RegExp(`^_{115}/Run${HASH}$`));
  });

  test('an empty path, which SNS would refuse, still gets a group', () => {
    expect(messageGroupId('')).toMatch(new RegExp(`^${HASH}$`));
  });

  test('paths that differ only in a replaced or a cut character get groups of their own', () => {
    // GIVEN
    const long = 'y'.repeat(200);

    // WHEN / THEN
    expect(messageGroupId('TestStack/Report ü/Run')).not.toBe(messageGroupId('TestStack/Report ö/Run'));
    expect(messageGroupId(`TestStack/a${long}`)).not.toBe(messageGroupId(`TestStack/b${long}`));
    // Lone surrogates, which UTF-8 would encode alike.
    expect(messageGroupId('TestStack/\ud800')).not.toBe(messageGroupId('TestStack/\udbff'));
  });
});

describe('the message group, for any path', () => {
  const RUNS = { numRuns: 500 };
  /** Strings of every kind: ASCII, any code point (lone surrogates included), graphemes; up to 300. */
  const anyPath = fc.oneof(
    fc.string({ unit: 'binary-ascii', maxLength: 300 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc.string({ unit: fc.constantFrom('a', '/', '{', '%', '}', ' '), maxLength: 140 }),
  );
  /** One code point SNS refuses in a group id. */
  const refused = fc.oneof(
    fc.constantFrom(' ', '\t', '\n', '\u007f', 'ü', 'ö', 'é', 'ß', '中', '📈', '\ud800'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => !/^[\x21-\x7e]$/.test(c)),
  );

  test('is one SNS accepts and a JSONata state does not evaluate', () => {
    fc.assert(fc.property(anyPath, (path) => {
      const group = messageGroupId(path);
      expect(group).toMatch(SNS_GROUP_ID);
      expect(group.length).toBeLessThanOrEqual(128);
      expect(notJsonata(group)).toBe(true);
    }), RUNS);
  });

  test('is the same every time', () => {
    fc.assert(fc.property(anyPath, (path) => {
      expect(messageGroupId(path)).toBe(messageGroupId(path));
    }), RUNS);
  });

  test('is the path itself exactly when SNS and JSONata accept the path', () => {
    fc.assert(fc.property(anyPath, (path) => {
      expect(messageGroupId(path) === path).toBe(SNS_GROUP_ID.test(path) && notJsonata(path));
    }), RUNS);
  });

  test('differs for paths that differ only in characters that are replaced', () => {
    // Well-formed around the differing character, so that it cannot pair with a lone surrogate.
    const wellFormed = fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 300 }));
    fc.assert(fc.property(wellFormed, refused, refused, wellFormed, (before, a, b, after) => {
      fc.pre(a !== b);
      const [one, other] = [`${before}${a}${after}`, `${before}${b}${after}`];
      // Both read the same once replaced: only the hash tells them apart.
      expect(messageGroupId(one).slice(0, -9)).toBe(messageGroupId(other).slice(0, -9));
      expect(messageGroupId(one)).not.toBe(messageGroupId(other));
    }), RUNS);
  });
});

describe('both decision engines publish with the same valid group', () => {
  test.each([
    ['Lambda engine', DecisionEngine.LAMBDA_FUNCTION, 'Parameters'],
    ['state machine engine', DecisionEngine.STATE_MACHINE, 'Arguments'],
  ])('%s: a run named with a space and an umlaut', (_, decisionEngine, field) => {
    // GIVEN
    const { stack, cluster, taskDefinition } = testEnvironment();
    const topic = new sns.Topic(stack, 'Topic', { fifo: true });

    // WHEN
    new RetryableEcsRunTask(stack, 'Nightly report ü', { cluster, taskDefinition, decisionEngine, successTopic: topic, failureTopic: topic });

    // THEN
    const states = renderedDefinition(stack).States as Record<string, any>;
    const groups = Object.values(states).filter((s) => s.Resource?.includes(':states:::sns:publish')).map((s) => s[field].MessageGroupId);
    expect(groups.length).toBeGreaterThanOrEqual(2);
    for (const group of groups) {
      expect(group).toBe(messageGroupId('TestStack/Nightly report ü/Run'));
      expect(group).toMatch(new RegExp(`^TestStack/Nightly_report__/Run${HASH}$`));
    }
  });

  test.each([
    ['Lambda engine', DecisionEngine.LAMBDA_FUNCTION, 'Parameters'],
    ['state machine engine', DecisionEngine.STATE_MACHINE, 'Arguments'],
  ])('%s: a fragment whose path ends in %}, which the JSONata definition would otherwise reject', (_, decisionEngine, field) => {
    // GIVEN
    const { stack, cluster, taskDefinition } = testEnvironment();
    const topic = new sns.Topic(stack, 'Topic', { fifo: true });

    // WHEN
    const fragment = new RetryableEcsRunTaskFragment(stack, 'Up100%}', { cluster, taskDefinition, decisionEngine, failureTopic: topic, stateNamePrefix: '' });
    new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(fragment) });

    // THEN: renderedDefinition also validates the definition.
    const states = renderedDefinition(stack).States as Record<string, any>;
    expect(fragment.node.path).toBe('TestStack/Up100%}');
    expect(states['Notify not retryable'][field].MessageGroupId).toMatch(new RegExp(`^TestStack/Up100%}${HASH}$`));
  });
});
