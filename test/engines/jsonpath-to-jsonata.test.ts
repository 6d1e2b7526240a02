import { Stack, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { StateMachineDefinition } from 'aws-local-stepfunctions' with { 'resolution-mode': 'require' };
import jsonataEngine from 'jsonata';
import { jsonPathToJsonata } from '../../src/engines/state-machine/jsonpath-to-jsonata';
import { RetryableEcsRunTaskOptions } from '../../src/retryable-ecs-run-task-options';
import { userRunTaskInputs } from '../../src/run-task/user-run-task-inputs';
import { executeLocally } from '../support/local-execution';
import { testEnvironment } from '../support/stack';

/** Every path form that translates, and its JSONata. */
const TRANSLATED: Array<[string, string]> = [
  ['$', '$states.input'],
  ['$.mode', '$states.input.mode'],
  ['$.a.b', '$states.input.a.b'],
  ['$.snake_case2', '$states.input.snake_case2'],
  ['$._private', '$states.input._private'],
  ["$['a b']", '$states.input.`a b`'],
  ['$["a b"]', '$states.input.`a b`'],
  ["$.a['b-c']", '$states.input.a.`b-c`'],
  ["$.a.['b c']", '$states.input.a.`b c`'],
  ["$['a.b']", '$states.input.`a.b`'],
  ["$['mode']", '$states.input.mode'],
  ["$['0']", '$states.input.`0`'],
  ["$['']", '$states.input.``'],
  ['$.and', '$states.input.`and`'],
  ['$.or', '$states.input.`or`'],
  ["$['in']", '$states.input.`in`'],
  ['$.true', '$states.input.`true`'],
  ['$.false', '$states.input.`false`'],
  ['$.null', '$states.input.`null`'],
  ['$.function', '$states.input.`function`'],
  ['$.größe', '$states.input.`größe`'],
  ['$.items[0]', '$states.input.items[0]'],
  ['$.items[12].name', '$states.input.items[12].name'],
  ['$.matrix[1][0]', '$states.input.matrix[1][0]'],
  ['$.items.[1]', '$states.input.items[1]'],
  ['$[0]', '$states.input[0]'],
  ['$$', '$states.context'],
  ['$$.Execution.Id', '$states.context.Execution.Id'],
  ['$$.Execution.Name', '$states.context.Execution.Name'],
  ['$$.Execution.Input.mode', '$states.context.Execution.Input.mode'],
  ['$$.Execution.StartTime', '$states.context.Execution.StartTime'],
  ['$$.Map.Item.Value', '$states.context.Map.Item.Value'],
  ['$$.Map.Item.Index', '$states.context.Map.Item.Index'],
  ["$$.Map.Item.Value['file name']", '$states.context.Map.Item.Value.`file name`'],
  ['$$.State.Name', '$states.context.State.Name'],
  ['$$.State.RetryCount', '$states.context.State.RetryCount'],
  ['$$.StateMachine.Name', '$states.context.StateMachine.Name'],
  ['$$.Task.Token', '$states.context.Task.Token'],
  ['$myVar', '$myVar'],
  ['$my_var2.a.b', '$my_var2.a.b'],
  ["$config['log level']", '$config.`log level`'],
  ['$list[0]', '$list[0]'],
];

/** Every path form that does not translate, and why. */
const UNTRANSLATABLE: Array<[string, string]> = [
  ["States.Format('run-{}', $.x)", 'the intrinsic function States.Format'],
  ['States.Array($.a, $.b)', 'the intrinsic function States.Array'],
  ['States.UUID()', 'the intrinsic function States.UUID'],
  ['States.JsonToString($.a)', 'the intrinsic function States.JsonToString'],
  ['States.StringToJson($.s)', 'the intrinsic function States.StringToJson'],
  ['States.MathAdd($.n, 1)', 'the intrinsic function States.MathAdd'],
  ['$..name', 'recursive descent (..)'],
  ['$.a..name', 'recursive descent (..)'],
  ['$.*', 'a wildcard (*)'],
  ['$.items[*]', 'a wildcard (*)'],
  ['$.items[*].name', 'a wildcard (*)'],
  ['$.items[?(@.ok == true)]', 'a filter ([?(...)])'],
  ['$.items[(@.length-1)]', 'a script expression ([(...)])'],
  ['$.items[0:2]', 'a slice ([start:end])'],
  ['$.items[:2]', 'a slice ([start:end])'],
  ['$.items[0,1]', 'a union ([a,b])'],
  ["$['a','b']", 'a union ([a,b])'],
  ['$.items[-1]', 'the negative index [-1]'],
  ['$.items.length()', 'a function call (length())'],
  ['$.items[01]', 'the bracket "[01]", which is not a field name in quotes or an index'],
  ['$.items[ 0 ]', 'the bracket "[ 0 ]", which is not a field name in quotes or an index'],
  ['$.items[', 'the bracket "[", which is not a field name in quotes or an index'],
  ['$.a-b', 'the text "-b", which is neither a field nor an index'],
  ['$ .a', 'the text " .a", which is neither a field nor an index'],
  ['$.1a', 'the text ".1a", whose field name needs bracket notation ([\'...\'])'],
  ['$.', 'the text ".", whose field name needs bracket notation ([\'...\'])'],
  ["$['a`b']", 'the field name "a`b", whose backtick JSONata cannot quote'],
  ...["$['it\\'s']", '$["it\'s"]', '$["say \\"hi\\""]', "$['back\\\\slash']", "$['a]b']", "$['a[b']", "$['a,b']"]
    .map((path): [string, string] => [path, 'a field name in quotes with a quote, backslash, bracket or comma in it']),
  ['$größe', 'the variable name $größe, which is not plain ASCII letters, digits and _'],
  ['mode', 'a path that starts neither with $ nor with $$'],
];

/**
 * What Step Functions' JSONPath reads at `path`, run in aws-local-stepfunctions as a Pass state's
 * Parameters, and the context object it read from (it sets the execution's input and start time).
 */
type JsonPathRead = { value: unknown; context: Record<string, unknown> };
async function readJsonPath(path: string, input: unknown, context: Record<string, unknown>): Promise<JsonPathRead> {
  const definition = { StartAt: 'Read', States: { Read: { Type: 'Pass', Parameters: { 'value.$': path, 'context.$': '$$' }, End: true } } };
  const execution = await executeLocally(definition as StateMachineDefinition, { outcomes: [], input, context, name: `reading ${path}` });
  return execution.output as JsonPathRead;
}

/** What the JSONata expression reads, given the state input and the context object as Step Functions binds them. */
async function readJsonata(
  expression: string, input: unknown, context: Record<string, unknown>, variables: Record<string, unknown> = {},
): Promise<unknown> {
  return jsonataEngine(expression).evaluate({}, { ...variables, states: { input, context } });
}

const INPUT = {
  'mode': 'full',
  'a': { 'b': 'ab', 'b-c': 'a.b-c', 'b c': 'a.b c' },
  'snake_case2': 'snake',
  '_private': 'private',
  'a b': 'a space b',
  'a.b': 'a dot b',
  '0': 'zero',
  '': 'empty',
  'and': 'kw and',
  'or': 'kw or',
  'in': 'kw in',
  'true': 'kw true',
  'false': 'kw false',
  'null': 'kw null',
  'function': 'kw function',
  'größe': 'umlaut',
  'items': [{ name: 'first' }, { name: 'second' }, ...Array.from({ length: 11 }, (_, i) => ({ name: `item ${i + 2}` }))],
  'matrix': [[1, 2], [3, 4]],
};
const CONTEXT = {
  Execution: { Id: 'arn:aws:states:us-east-1:123456789012:execution:m:e', Name: 'e', Input: { mode: 'ctx' }, StartTime: '2026-01-01T00:00:00Z' },
  Map: { Item: { Value: { 'file name': 'a.csv' }, Index: 3 } },
  State: { Name: 'Run task', RetryCount: 0, EnteredTime: '2026-01-01T00:00:01Z' },
  StateMachine: { Id: 'arn:aws:states:us-east-1:123456789012:stateMachine:m', Name: 'm' },
  Task: { Token: 'token' },
};

describe('jsonPathToJsonata', () => {
  test.each(TRANSLATED)('%s translates to %s', (path, expected) => {
    expect(jsonPathToJsonata(path)).toEqual({ expression: expected });
  });

  test.each(UNTRANSLATABLE)('%s does not translate: %s', (path, reason) => {
    expect(jsonPathToJsonata(path)).toEqual({ untranslatable: reason });
  });

  // The translation reads what JSONPath reads, from the same input and context. Variables are
  // not run (aws-local-stepfunctions has none), nor `.[`, which asl-validator refuses.
  const differential = TRANSLATED.filter(([path]) => !/^\$[A-Za-z_]/.test(path) && !path.includes('.['));
  test.each(differential)('%s reads in JSONata what it reads in JSONPath', async (path, expression) => {
    const input = /^\$\[[0-9]/.test(path) ? ['first', 'second'] : INPUT;
    const viaJsonPath = await readJsonPath(path, input, CONTEXT);
    expect(viaJsonPath.value).toBeDefined();
    expect(await readJsonata(expression, input, viaJsonPath.context)).toEqual(viaJsonPath.value);
  });

  test('a variable path reads the variable', async () => {
    const variables = { myVar: 'v', my_var2: { a: { b: 'ab' } }, config: { 'log level': 'debug' }, list: ['x', 'y'] };
    const read = async (path: string) => {
      const translation = jsonPathToJsonata(path);
      return readJsonata((translation as { expression: string }).expression, INPUT, CONTEXT, variables);
    };
    expect(await read('$myVar')).toBe('v');
    expect(await read('$my_var2.a.b')).toBe('ab');
    expect(await read("$config['log level']")).toBe('debug');
    expect(await read('$list[0]')).toBe('x');
  });

  test('a one-item list stays a list', async () => {
    // JSONata flattens sequences it builds, not arrays in the input: a command of one argument stays a list.
    expect(await readJsonata('$states.input.args', { args: ['only'] }, CONTEXT)).toEqual(['only']);
  });
});

describe('userRunTaskInputs', () => {
  let container: ecs.ContainerDefinition;
  let stack: Stack;
  beforeEach(() => {
    const env = testEnvironment();
    stack = env.stack;
    container = env.taskDefinition.defaultContainer!;
  });
  const props = (extra: Partial<RetryableEcsRunTaskOptions>) => ({ cluster: undefined as any, taskDefinition: undefined as any, ...extra });
  const override = (o: Omit<tasks.ContainerOverride, 'containerDefinition'>) => ({ containerOverrides: [{ containerDefinition: container, ...o }] });
  /** The inputs for JSONata states, resolved, each container override without its container definition (the one given). */
  const jsonata = (extra: Partial<RetryableEcsRunTaskOptions>) => {
    const { containerOverrides, ...task } = userRunTaskInputs(props(extra), sfn.QueryLanguage.JSONATA);
    return stack.resolve({
      ...task,
      containerOverrides: containerOverrides.map(({ containerDefinition, ...fields }) => {
        expect(containerDefinition).toBe(container);
        return fields;
      }),
    });
  };
  const jsonPath = (extra: Partial<RetryableEcsRunTaskOptions>) => userRunTaskInputs(props(extra), sfn.QueryLanguage.JSON_PATH);
  const overrideOf = (inputs: any) => inputs.containerOverrides[0];

  describe('for JSONata states (DecisionEngine.STATE_MACHINE)', () => {
    test('every field of a container override translates its JsonPath', () => {
      // GIVEN / WHEN
      const inputs = jsonata(override({
        command: sfn.JsonPath.listAt('$.args'),
        environment: [
          { name: 'MODE', value: sfn.JsonPath.stringAt('$.mode') },
          { name: 'EXECUTION', value: sfn.JsonPath.executionId },
          { name: sfn.JsonPath.stringAt("$['env name']"), value: sfn.JsonPath.stringAt('$$.Map.Item.Value.file') },
        ],
        cpu: sfn.JsonPath.numberAt('$.sizes[0].cpu'),
        memoryLimit: sfn.JsonPath.numberAt('$.memory.limit'),
        memoryReservation: sfn.JsonPath.numberAt('$.memory.reservation'),
      }));

      // THEN
      expect(overrideOf(inputs)).toEqual({
        command: '{% $states.input.args %}',
        environment: [
          { name: 'MODE', value: '{% $states.input.mode %}' },
          { name: 'EXECUTION', value: '{% $states.context.Execution.Id %}' },
          { name: '{% $states.input.`env name` %}', value: '{% $states.context.Map.Item.Value.file %}' },
        ],
        cpu: '{% $states.input.sizes[0].cpu %}',
        memoryLimit: '{% $states.input.memory.limit %}',
        memoryReservation: '{% $states.input.memory.reservation %}',
      });
    });

    test('the context getters of JsonPath translate', () => {
      const getters: Array<[string, string]> = [
        [sfn.JsonPath.entirePayload, '$states.input'],
        [sfn.JsonPath.entireContext, '$states.context'],
        [sfn.JsonPath.executionId, '$states.context.Execution.Id'],
        [sfn.JsonPath.executionName, '$states.context.Execution.Name'],
        [sfn.JsonPath.executionInput, '$states.context.Execution.Input'],
        [sfn.JsonPath.executionRoleArn, '$states.context.Execution.RoleArn'],
        [sfn.JsonPath.executionStartTime, '$states.context.Execution.StartTime'],
        [sfn.JsonPath.stateEnteredTime, '$states.context.State.EnteredTime'],
        [sfn.JsonPath.stateName, '$states.context.State.Name'],
        [sfn.JsonPath.stateRetryCount, '$states.context.State.RetryCount'],
        [sfn.JsonPath.stateMachineId, '$states.context.StateMachine.Id'],
        [sfn.JsonPath.stateMachineName, '$states.context.StateMachine.Name'],
        [sfn.JsonPath.taskToken, '$states.context.Task.Token'],
      ];
      const inputs = jsonata(override({ environment: getters.map(([value], i) => ({ name: `V${i}`, value })) }));
      expect(overrideOf(inputs).environment.map((e: any) => e.value)).toEqual(getters.map(([, expression]) => `{% ${expression} %}`));
    });

    test('a JsonPath item of a literal list translates, the literal items stay', () => {
      const inputs = jsonata(override({ command: ['report', '--date', sfn.JsonPath.stringAt('$.date')] }));
      expect(overrideOf(inputs).command).toEqual(['report', '--date', '{% $states.input.date %}']);
    });

    test('cpu and memoryMiB translate their JsonPath', () => {
      const inputs = jsonata({ cpu: sfn.JsonPath.stringAt('$.size.cpu'), memoryMiB: sfn.JsonPath.stringAt('$.size.memory') });
      expect(inputs).toEqual({ cpu: '{% $states.input.size.cpu %}', memoryMiB: '{% $states.input.size.memory %}', containerOverrides: [] });
    });

    test('literals, JSONata expressions and other tokens stay as they are', () => {
      // GIVEN: a literal that contains {% without being an expression stays literal text for Step Functions too.
      const inputs = jsonata({
        cpu: '512',
        ...override({
          command: ['echo', '50{% done', '{% $states.input.extra %}'],
          environment: [
            { name: 'LITERAL', value: '$.mode' },
            { name: 'EXPRESSION', value: "{% $states.input.mode & '-x' %}" },
            { name: 'REGION', value: stack.region },
            { name: 'ACCOUNT', value: `account-${Token.asString({ Ref: 'AWS::AccountId' })}` },
          ],
          memoryReservation: 256,
          cpu: Token.asNumber({ Ref: 'Cpu' }),
        }),
      });

      // THEN
      expect(inputs.cpu).toBe('512');
      expect(overrideOf(inputs)).toEqual({
        command: ['echo', '50{% done', '{% $states.input.extra %}'],
        environment: [
          { name: 'LITERAL', value: '$.mode' },
          { name: 'EXPRESSION', value: "{% $states.input.mode & '-x' %}" },
          { name: 'REGION', value: 'us-east-1' },
          { name: 'ACCOUNT', value: { 'Fn::Join': ['', ['account-', { Ref: 'AWS::AccountId' }]] } },
        ],
        memoryReservation: 256,
        cpu: { Ref: 'Cpu' },
      });
    });

    test('an intrinsic function is an error that names the prop and the value', () => {
      expect(() => jsonata(override({
        environment: [
          { name: 'A', value: 'a' },
          { name: 'RUN', value: sfn.JsonPath.format('run-{}', sfn.JsonPath.stringAt('$.id')) },
        ],
      }))).toThrow(
        '`containerOverrides[0].environment[1].value` is a JsonPath with the intrinsic function States.Format, which the JSONata states of DecisionEngine.STATE_MACHINE cannot read, '
        + 'got: "States.Format(\'run-{}\', $.id)". Write the value as a JSONata expression (\'{% ... %}\', reading the state input as $states.input), or use DecisionEngine.LAMBDA_FUNCTION.',
      );
    });

    test.each([
      ['containerOverrides[0].command', () => override({ command: sfn.JsonPath.listAt('$.items[*].arg') }), 'a wildcard (*)', '$.items[*].arg'],
      ['containerOverrides[0].command[1]', () => override({ command: ['run', sfn.JsonPath.uuid()] }), 'the intrinsic function States.UUID', 'States.UUID()'],
      ['containerOverrides[0].environment[0].name', () => override({ environment: [{ name: sfn.JsonPath.stringAt('$..name'), value: 'v' }] }),
        'recursive descent (..)', '$..name'],
      ['containerOverrides[0].memoryReservation', () => override({ memoryReservation: sfn.JsonPath.numberAt('$.sizes[-1]') }), 'the negative index [-1]', '$.sizes[-1]'],
      ['containerOverrides[0].cpu', () => override({ cpu: sfn.JsonPath.numberAt('$.cpus[0:1]') }), 'a slice ([start:end])', '$.cpus[0:1]'],
      ['containerOverrides[0].memoryLimit', () => override({ memoryLimit: sfn.JsonPath.numberAt("$.limits[?(@.name == 'app')]") }),
        'a filter ([?(...)])', "$.limits[?(@.name == 'app')]"],
      ['cpu', () => ({ cpu: sfn.JsonPath.arrayLength(sfn.JsonPath.listAt('$.a')) }), 'the intrinsic function States.ArrayLength', 'States.ArrayLength($.a)'],
      ['memoryMiB', () => ({ memoryMiB: sfn.JsonPath.mathAdd(sfn.JsonPath.numberAt('$.m'), 512) }), 'the intrinsic function States.MathAdd', 'States.MathAdd($.m, 512)'],
    ])('`%s` that does not translate is an error', (prop, extra, reason, path) => {
      expect(() => jsonata(extra())).toThrow(
        `\`${prop}\` is a JsonPath with ${reason}, which the JSONata states of DecisionEngine.STATE_MACHINE cannot read, got: ${JSON.stringify(path)}. `,
      );
    });
  });

  describe('for JSONPath states (DecisionEngine.LAMBDA_FUNCTION)', () => {
    test('JsonPath tokens and literals stay as they are, for CDK to render', () => {
      // GIVEN
      const command = sfn.JsonPath.listAt('$.args');
      const value = sfn.JsonPath.stringAt('$.mode');
      const memoryReservation = sfn.JsonPath.numberAt('$.memory');

      // WHEN
      const inputs = jsonPath({ cpu: '256', ...override({ command, environment: [{ name: 'MODE', value }, { name: 'LITERAL', value: '50{% done' }], memoryReservation }) });

      // THEN
      expect(inputs.cpu).toBe('256');
      expect(inputs.containerOverrides[0]).toEqual({
        containerDefinition: container, command, environment: [{ name: 'MODE', value }, { name: 'LITERAL', value: '50{% done' }], memoryReservation,
      });
    });

    test.each([
      ['containerOverrides[0].environment[0].value', () => override({ environment: [{ name: 'MODE', value: '{% $states.input.mode %}' }] }), '{% $states.input.mode %}'],
      ['containerOverrides[0].environment[0].name', () => override({ environment: [{ name: '{% $states.input.name %}', value: 'v' }] }), '{% $states.input.name %}'],
      ['containerOverrides[0].command[0]', () => override({ command: ['{% $states.input.args %}'] }), '{% $states.input.args %}'],
      ['cpu', () => ({ cpu: '{% $string($states.input.cpu) %}' }), '{% $string($states.input.cpu) %}'],
      ['memoryMiB', () => ({ memoryMiB: '{%\n$states.input.memory\n%}' }), '{%\n$states.input.memory\n%}'],
    ])('a JSONata expression at `%s` is an error', (prop, extra, value) => {
      expect(() => jsonPath(extra())).toThrow(
        `\`${prop}\` is a JSONata expression, which the JSONPath states of DecisionEngine.LAMBDA_FUNCTION would pass to the task as literal text, got: ${JSON.stringify(value)}. `
        + 'Read the state with sfn.JsonPath (e.g. sfn.JsonPath.stringAt(\'$.mode\')), which both engines read, or use DecisionEngine.STATE_MACHINE.',
      );
    });

    test('a JsonPath item of a literal list is an error', () => {
      expect(() => jsonPath(override({ command: ['report', sfn.JsonPath.stringAt('$.date')] }))).toThrow(
        '`containerOverrides[0].command[1]` is a JsonPath inside a list, which the JSONPath states of DecisionEngine.LAMBDA_FUNCTION cannot read, got: "<path:$.date>". '
        + 'Read the whole list with sfn.JsonPath.listAt(...), or use DecisionEngine.STATE_MACHINE, whose JSONata states read each item.',
      );
    });
  });

  describe('for both engines', () => {
    test.each([
      ['JSONata', sfn.QueryLanguage.JSONATA],
      ['JSONPath', sfn.QueryLanguage.JSON_PATH],
    ])('in %s, a JsonPath inside a longer string is an error', (_, queryLanguage) => {
      const value = `prefix-${sfn.JsonPath.stringAt('$.x')}-${sfn.JsonPath.executionName}`;
      expect(() => userRunTaskInputs(props(override({ environment: [{ name: 'NAME', value }] })), queryLanguage)).toThrow(
        '`containerOverrides[0].environment[0].value` puts a JsonPath inside a longer string, where neither engine reads it as a path, got: "prefix-<path:$.x>-<path:$$.Execution.Name>". '
        + 'Build the string with sfn.JsonPath.format(...) on DecisionEngine.LAMBDA_FUNCTION, or with a JSONata expression (\'{% \'text\' & $states.input.field %}\') on DecisionEngine.STATE_MACHINE.',
      );
    });

    test.each([
      ['JSONata', sfn.QueryLanguage.JSONATA],
      ['JSONPath', sfn.QueryLanguage.JSON_PATH],
    ])('in %s, a JsonPath revisionNumber is an error', (_, queryLanguage) => {
      expect(() => userRunTaskInputs(props({ revisionNumber: sfn.JsonPath.numberAt('$.revision') }), queryLanguage)).toThrow(
        '`revisionNumber` is a JsonPath, but RunTask takes the revision inside the task definition\'s name (\'family:revision\'), where neither engine reads a path, '
        + 'got: "<path:$.revision>". Give the revision as a number.',
      );
    });

    test('a revisionNumber that is another token passes', () => {
      expect(() => userRunTaskInputs(props({ revisionNumber: Token.asNumber({ Ref: 'Revision' }) }), sfn.QueryLanguage.JSONATA)).not.toThrow();
    });
  });
});
