import { Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** The Resource of `EcsRunTask` with `IntegrationPattern.RUN_JOB`, in any partition. */
const RUN_TASK_SYNC = /^arn:[^:]*:states:::ecs:runTask\.sync$/;

/** Stands in for a token inside a JSON string of a definition; outside strings `null` does. */
const UNRESOLVED = 'UNRESOLVED';

/**
 * Fails synthesis when the fragment's ECS task state ends up in an Express workflow: an
 * `EXPRESS` state machine, or the Express child workflows of a Distributed Map. Express
 * workflows support only the Request Response integration pattern, and the fragment waits for
 * its task with Run a Job (`ecs:runTask.sync`), so such a workflow would fail to deploy or run.
 *
 * The check reads the synthesized definition of every state machine in the fragment's stack,
 * because a fragment cannot see which state machine its states end up in. State names are unique
 * only within one state machine, so it matches the state's exact name and its `.sync` resource.
 * A definition it cannot read (an S3 location, or one it cannot parse) is skipped.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/integrate-optimized.html
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html
 */
export function rejectExpressWorkflows(fragment: Construct, runTaskStateName: () => string): void {
  fragment.node.addValidation({
    validate: () => {
      const stateName = runTaskStateName();
      return machinesOf(Stack.of(fragment)).flatMap((machine) => expressPlacementErrors(machine, stateName));
    },
  });
}

/** A state machine of the stack, read once: its type and where each `.sync` RunTask state sits. */
interface ReadMachine {
  readonly machine: sfn.CfnStateMachine;
  readonly type: unknown;
  readonly runTaskStates: Map<string, Placement[]>;
}

/**
 * Every state machine of the stack, read once per synth and shared by the fragments' checks:
 * reading each definition once per fragment would make synth quadratic in the number of runs.
 * Every state is a construct, so a tree that changed between two syntheses has another count.
 */
const readMachines = new WeakMap<Stack, { readonly constructs: number; readonly machines: ReadMachine[] }>();

function machinesOf(stack: Stack): ReadMachine[] {
  const constructs = stack.node.findAll();
  const cached = readMachines.get(stack);
  if (cached && cached.constructs === constructs.length) {
    return cached.machines;
  }
  const machines = constructs
    .filter((c): c is sfn.CfnStateMachine => c instanceof sfn.CfnStateMachine)
    .flatMap((machine) => {
      const read = readMachine(machine);
      return read ? [read] : [];
    });
  readMachines.set(stack, { constructs: constructs.length, machines });
  return machines;
}

function readMachine(machine: sfn.CfnStateMachine): ReadMachine | undefined {
  try {
    const stack = Stack.of(machine);
    const definition = readDefinition(stack.resolve(machine.definitionString), stack.resolve(machine.definition));
    const runTaskStates = new Map<string, Placement[]>();
    findRunTaskStates(definition, undefined, runTaskStates);
    return { machine, type: stack.resolve(machine.stateMachineType), runTaskStates };
  } catch {
    return undefined;
  }
}

/** Where one copy of the state sits: under the Express children of a Map, or not. */
interface Placement {
  /** The name of the innermost Distributed Map whose children run as Express workflows. */
  readonly expressMap?: string;
}

function expressPlacementErrors(read: ReadMachine, stateName: string): string[] {
  const { machine, type: machineType } = read;
  const placements = read.runTaskStates.get(stateName) ?? [];
  if (placements.length === 0) {
    return [];
  }

  const where = `state machine '${displayPath(machine)}'`;
  const problem = `its ECS task state '${stateName}' waits for the task with the Run a Job (.sync) integration pattern `
    + '(`arn:aws:states:::ecs:runTask.sync`), which is not available in Express workflows.';
  // CDK prefixes each validation error with the fragment's construct path.
  const subject = 'RetryableEcsRunTaskFragment';
  if (machineType === 'EXPRESS') {
    return [
      `${subject} cannot run in the EXPRESS ${where}: ${problem} `
      + 'Use a STANDARD state machine (`stateMachineType: StateMachineType.STANDARD`, the default).',
    ];
  }
  const maps = [...new Set(placements.map((p) => p.expressMap).filter((m): m is string => m !== undefined))];
  return maps.map((map) =>
    `${subject} cannot run in the Express child workflows of the Distributed Map state '${map}' in ${where}: ${problem} `
    + 'Run the children as Standard workflows: `mapExecutionType: StateMachineType.STANDARD` on a `DistributedMap` '
    + '(its default), or `executionType: ProcessorType.STANDARD` on a `Map` in DISTRIBUTED mode.');
}

/**
 * Collects, by state name, where the `.sync` RunTask states occur in `container` (a definition, a
 * Parallel branch or a Map processor) and below it.
 */
function findRunTaskStates(container: unknown, expressMap: string | undefined, found: Map<string, Placement[]>): void {
  const states = isObject(container) ? container.States : undefined;
  if (!isObject(states)) {
    return;
  }
  for (const [stateName, state] of Object.entries(states)) {
    if (!isObject(state)) {
      continue;
    }
    if (state.Type === 'Task' && RUN_TASK_SYNC.test(asText(state.Resource))) {
      found.set(stateName, [...(found.get(stateName) ?? []), { expressMap }]);
    }
    if (Array.isArray(state.Branches)) {
      state.Branches.forEach((branch) => findRunTaskStates(branch, expressMap, found));
    }
    const processor = state.ItemProcessor ?? state.Iterator;
    if (isObject(processor)) {
      // A Distributed Map's children are executions of their own type; an inline Map's are not.
      const config = processor.ProcessorConfig;
      const executionType = isObject(config) ? asText(config.ExecutionType) : undefined;
      const childMap = executionType === 'EXPRESS' ? stateName : executionType === 'STANDARD' ? undefined : expressMap;
      findRunTaskStates(processor, childMap, found);
    }
  }
}

/**
 * The ASL of a resolved `DefinitionString` (a string, or an `Fn::Join` of strings and tokens) or
 * `Definition` (an object), with tokens replaced by placeholders. Undefined if it cannot be read.
 */
function readDefinition(definitionString: unknown, definition: unknown): unknown {
  if (isObject(definition)) {
    return definition;
  }
  if (definitionString === undefined) {
    return undefined;
  }
  const text = new DefinitionText();
  text.append(definitionString);
  try {
    return JSON.parse(text.value);
  } catch {
    return undefined;
  }
}

/**
 * JSON text assembled from an `Fn::Join`. A token inside a JSON string becomes a placeholder
 * word, and one in a value position `null`, so that the text still parses.
 */
class DefinitionText {
  public value = '';
  private escaped = false;

  /** @param inString whether the text starts inside a JSON string */
  constructor(private inString = false) {}

  public append(part: unknown): void {
    if (typeof part === 'string' || typeof part === 'number' || typeof part === 'boolean') {
      this.appendLiteral(String(part));
      return;
    }
    const join = isObject(part) ? part['Fn::Join'] : undefined;
    if (Array.isArray(join) && join.length === 2 && typeof join[0] === 'string' && Array.isArray(join[1])) {
      const [separator, parts] = join as [string, unknown[]];
      parts.forEach((p, i) => {
        if (i > 0) {
          this.appendLiteral(separator);
        }
        this.append(p);
      });
      return;
    }
    this.value += this.inString ? UNRESOLVED : 'null';
  }

  private appendLiteral(text: string): void {
    for (const c of text) {
      if (this.escaped) {
        this.escaped = false;
      } else if (this.inString && c === '\\') {
        this.escaped = true;
      } else if (c === '"') {
        this.inString = !this.inString;
      }
    }
    this.value += text;
  }
}

/** A string field of the ASL; an intrinsic (from an object `Definition`) renders with placeholders. */
function asText(value: unknown): string {
  if (value === undefined || typeof value === 'string') {
    return value ?? '';
  }
  const text = new DefinitionText(true);
  text.append(value);
  return text.value;
}

/** The path users know: the L2 `StateMachine`'s, not its `Resource` child's. */
function displayPath(machine: sfn.CfnStateMachine): string {
  const scope = machine.node.scope;
  return machine.node.id === 'Resource' && scope ? scope.node.path : machine.node.path;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
