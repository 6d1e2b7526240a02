import * as fc from 'fast-check';
import jsonata from 'jsonata';
import type { DeciderPolicy } from '../../../src/decider/wire';
import { EngineVariables, policyDocument, renderDecisionExpression } from '../../../src/engines/state-machine/decision-expression';
import { renderFallbackRules, renderRetryPolicy } from '../../../src/policy/render-retry-policy';
import { TaskStopCode } from '../../../src/policy/task-stop-code';
import { failure } from '../../support/fixtures';
import { MAX_CAUSE_LENGTH } from '../../support/worst-case';

/**
 * What one evaluation of the decision expression costs, counted deterministically: JSONata's
 * evaluation hooks count every step and the depth of evaluations in progress, and a counting
 * `RegExp` counts the native regex matches. AWS bounds an evaluation by time, memory and stack
 * depth; these counts are what the tests budget instead of time (timing lives in the bench).
 */
export interface ExpressionCost {
  /** Evaluation steps: calls of JSONata's `evaluate`, one per node of the expression evaluated. */
  readonly steps: number;
  /**
   * The most evaluations in progress at once. JSONata evaluates the items of an array or object
   * constructor concurrently, so this counts them side by side, not only nesting.
   */
  readonly depth: number;
  /** Native regex executions: one per match found, plus one per search that found none. */
  readonly regexExecutions: number;
}

/** The variable names the measured expressions use. */
export const VARS: EngineVariables = { attempt: 'run_attempt', history: 'run_history', placement: 'run_placement', policy: 'run_policy', launchTargets: 'run_targets' };

let regexExecutions = 0;
/** A `RegExp` that counts its executions, for JSONata's `RegexEngine` option. */
class CountingRegExp extends RegExp {
  public exec(text: string): RegExpExecArray | null {
    regexExecutions++;
    return super.exec(text);
  }
}

const compiled = new Map<string, jsonata.Expression>();

/**
 * Sets one of JSONata's evaluation hooks, which it looks up by a symbol (its typings admit only
 * string names).
 */
export function assignHook(expression: jsonata.Expression, name: string, hook: () => void): void {
  (expression.assign as unknown as (key: symbol, value: unknown) => void)(Symbol.for(name), hook);
}

/**
 * Evaluates the decision expression of `policy` on `error` at `attempt`, after `history`, as Step Functions would
 * (the `$parse` and `$random` it documents), and counts what it took.
 */
export async function measureDecision(
  policy: DeciderPolicy, error: unknown, attempt: number = 1, history: unknown[] = [],
): Promise<{ value: any; cost: ExpressionCost }> {
  const text = renderDecisionExpression(policy, VARS);
  let expression = compiled.get(text);
  if (!expression) {
    expression = jsonata(text, { RegexEngine: CountingRegExp as unknown as RegExp });
    compiled.set(text, expression);
  }
  // jsonata keeps the regex engine in a module variable that every compile sets: set it again.
  jsonata('0', { RegexEngine: CountingRegExp as unknown as RegExp });
  let steps = 0;
  let inProgress = 0;
  let depth = 0;
  assignHook(expression, 'jsonata.__evaluate_entry', () => {
    steps++;
    inProgress++;
    depth = Math.max(depth, inProgress);
  });
  assignHook(expression, 'jsonata.__evaluate_exit', () => {
    inProgress--;
  });
  regexExecutions = 0;
  const value = await expression.evaluate({}, {
    states: { errorOutput: error },
    [VARS.attempt]: attempt,
    [VARS.history]: history,
    [VARS.placement]: { sizeIndex: 0, capacity: 'primary' },
    [VARS.policy]: policyDocument(policy),
    parse: (t: string) => JSON.parse(t),
    random: () => 0.5,
  });
  return { value, cost: { steps, depth, regexExecutions } };
}

/** The policies the budgets are set for. */
export const MEASURED_POLICIES: Record<string, DeciderPolicy> = {
  defaults: renderRetryPolicy({}),
  adaptive: {
    ...renderRetryPolicy({ maxAttempts: 10, retryableExitCodes: [75] }),
    sizes: [
      { cpu: 256, memoryMiB: 512, containerMemoryMiB: [448] },
      { cpu: 512, memoryMiB: 1024, containerMemoryMiB: [896] },
      { cpu: 1024, memoryMiB: 4096, containerMemoryMiB: [3584] },
    ],
    fallback: renderFallbackRules({ fallbackStopCodes: [TaskStopCode.SPOT_INTERRUPTION] }),
  },
};

/** `policy` with every list `n` entries long: for the depth's independence from list lengths. */
export function withLongLists(policy: DeciderPolicy, n: number): DeciderPolicy {
  const patterns = (prefix: string) => [...Array(n).keys()].map((i) => `${prefix} ${i}:*`);
  return {
    ...policy,
    retryableStopCodes: [...Array(n).keys()].map((i) => `Code${i}`),
    retryableStoppedReasons: patterns('Transient'),
    nonRetryableStoppedReasons: patterns('Permanent'),
    retryableExitCodes: [...Array(n).keys()].map((i) => 1000 + i),
    retryableErrors: [...Array(n).keys()].map((i) => `Error.${i}`),
    nonRetryableErrorCauses: patterns('*Cause'),
  };
}

// ---------------------------------------------------------------------------------------------
// Causes

/** A stopped task as ECS describes it, large: many containers, network bindings and attachments. */
export function largeTaskDescription(containers: number, bindings: number): Record<string, unknown> {
  const base = JSON.parse(failure('resource-initialization-error').Cause);
  return {
    ...base,
    Attachments: [...Array(containers).keys()].map((i) => ({
      Id: `attachment-${i}`,
      Type: 'ElasticNetworkInterface',
      Status: 'DELETED',
      Details: ['subnetId', 'networkInterfaceId', 'macAddress', 'privateDnsName', 'privateIPv4Address'].map((Name) => ({ Name, Value: `${Name}-${i}-0abc` })),
    })),
    Containers: [...Array(containers).keys()].map((i) => ({
      ContainerArn: `arn:aws:ecs:us-east-1:123456789012:container/jobs/0f1e2d3c/${i}`,
      Name: `container-${i}`,
      LastStatus: 'STOPPED',
      ExitCode: i === 0 ? 1 : 0,
      Reason: i === 1 ? 'CannotPullContainerError: pull rate limit' : undefined,
      NetworkBindings: [...Array(bindings).keys()].map((p) => ({ BindIP: '0.0.0.0', ContainerPort: 8000 + p, HostPort: 8000 + p, Protocol: 'tcp' })),
      NetworkInterfaces: [{ AttachmentId: `attachment-${i}`, PrivateIpv4Address: `10.0.${i}.12` }],
    })),
    Overrides: { ContainerOverrides: [...Array(containers).keys()].map((i) => ({ Name: `container-${i}`, Environment: [{ Name: 'MODE', Value: 'full' }] })) },
  };
}

/** A `States.TaskFailed` error with `cause`, cut as Step Functions cuts a Cause. */
export function taskFailed(cause: string): { Error: string; Cause: string } {
  return { Error: 'States.TaskFailed', Cause: cause.slice(0, MAX_CAUSE_LENGTH) };
}

/** Realistic large Causes: task descriptions of up to 10 containers with many bindings, whole and cut at 32,768. */
export function realisticLargeCauses(): Record<string, { Error: string; Cause: string }> {
  const causes: Record<string, { Error: string; Cause: string }> = {};
  for (const [containers, bindings] of [[10, 60], [10, 20], [4, 100], [1, 300], [10, 5]]) {
    const text = JSON.stringify(largeTaskDescription(containers, bindings));
    causes[`${containers} containers x ${bindings} bindings (${text.length} chars)`] = taskFailed(text);
  }
  const reason = JSON.stringify({ ...largeTaskDescription(2, 2), StoppedReason: `ResourceInitializationError: ${'x\\"ü😀'.repeat(20_000)}` });
  causes['a 100 KB stopped reason, cut'] = taskFailed(reason);
  return causes;
}

const unit = (...units: string[]) => fc.constantFrom(...units);

/** Token-dense, bracket-dense, deep, escaped and cut Causes of up to 32,768 characters. */
export const adversarialCause: fc.Arbitrary<string> = fc.oneof(
  // Dense tokens, inside the containers array and at the top level.
  fc.tuple(unit('{"a":1},', '[],', '1,', '"",', 'null,', '{},', '{"Name":"a","ExitCode":1},', '"\\"",', '1e5,'), fc.integer({ min: 1, max: MAX_CAUSE_LENGTH }), fc.boolean())
    .map(([token, length, wrapped]) => `${wrapped ? '{"StopCode":"EssentialContainerExited","Containers":[' : '['}${token.repeat(Math.ceil(length / token.length))}`),
  // Deep or unbalanced nesting.
  fc.tuple(unit('[', '{"a":', '{"Containers":[', '[{"x":['), fc.integer({ min: 1, max: 8_000 }), fc.integer({ min: 0, max: 8_000 }))
    .map(([open, depth, closing]) => `{"StopCode":"TaskFailedToStart","X":${open.repeat(depth)}${']}'.repeat(closing)}`),
  // Long strings of escapes, terminated or not.
  fc.tuple(unit('\\"', '\\\\', '\\u00', '\\ud83d', 'x', '"', '\\'), fc.integer({ min: 1, max: MAX_CAUSE_LENGTH }), fc.constantFrom('StoppedReason', 'StopCode', 'Name'))
    .map(([piece, length, key]) => `{"${key}":"${piece.repeat(Math.ceil(length / piece.length))}`),
  // Random text, random JSON, and realistic tasks cut anywhere.
  fc.string({ unit: unit('{', '}', '[', ']', '"', '\\', ',', ':', '1', 'e', '-', ' ', 'a', '#', '~'), maxLength: 3_000 }),
  fc.json({ maxDepth: 8 }),
  fc.tuple(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 120 }), fc.nat()).map(([containers, bindings, cut]) => {
    const text = JSON.stringify(largeTaskDescription(containers, bindings));
    return text.slice(0, cut % (text.length + 1));
  }),
).map((cause) => cause.slice(0, MAX_CAUSE_LENGTH));

/** RunTask's own answer as the Cause of an API error: `Failures` with long reasons and details. */
export const adversarialFailuresCause: fc.Arbitrary<string> = fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 3_000 }))
  .map(([count, length]) => JSON.stringify({
    Failures: [...Array(count).keys()].map((i) => ({ Arn: `arn-${i}`, Reason: `RESOURCE:MEMORY ${'r'.repeat(length)}`, Detail: `Capacity ${'d'.repeat(length)}` })),
  }).slice(0, MAX_CAUSE_LENGTH));

/**
 * Texts that hold every part of every pattern of `policy`, each pattern's parts in reverse order
 * and without its head: no glob matches, but every pattern passes the quick check that its parts
 * occur, so each is tried against every text. The most steps a Cause can cost a policy.
 */
export function partsOutOfOrder(policy: DeciderPolicy): string {
  const patterns = [
    ...policy.nonRetryableStoppedReasons, ...policy.retryableStoppedReasons, ...policy.nonRetryableErrorCauses,
    ...(policy.fallback?.stoppedReasons ?? []), ...(policy.fallback?.errorCauses ?? []),
  ];
  return `~ ${patterns.map((p) => p.split('*').reverse().join(' ')).join(' | ')}`;
}

/** A stopped task whose stopped reason and 10 containers' reasons are `partsOutOfOrder(policy)`. */
export function mostStepsTask(policy: DeciderPolicy): { Error: string; Cause: string } {
  const text = partsOutOfOrder(policy);
  return taskFailed(JSON.stringify({
    StopCode: 'EssentialContainerExited',
    StoppedReason: text,
    Containers: [...Array(10).keys()].map((i) => ({ Name: `c${i}`, ExitCode: 1, Reason: text })),
  }));
}

/** RunTask's answer whose first 10 failures' reasons and details are `partsOutOfOrder(policy)`. */
export function mostStepsFailures(policy: DeciderPolicy): { Error: string; Cause: string } {
  const text = partsOutOfOrder(policy);
  return { Error: 'ECS.AmazonECSException', Cause: JSON.stringify({ Failures: [...Array(12).keys()].map(() => ({ Reason: text, reason: text, Detail: text, detail: text })) }).slice(0, MAX_CAUSE_LENGTH) };
}
