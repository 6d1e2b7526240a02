import * as fs from 'fs';
import * as path from 'path';
import { DefaultsSource, OWN_DEFAULTS, reconstructPolicy, ReconstructedPolicy } from './engines/lambda-engine';
import { launchTargetOfParameters, type LaunchTarget } from './launch-targets';
import { readPolicyDefaults } from '../../src/decider/whole-policy';
import { POLICY_DEFAULTS_VARIABLE } from '../../src/decider/wire';
import { runOfStartComment } from '../../src/states/state-names';
import { describeJson, InputError } from '../input-error';
import { parseEmbeddedJsonText, readJsonValues } from '../json-input';

/** A run found in a synthesized template, with its policy as the state machine carries it. */
export interface TemplateRun {
  /** The run's construct path, e.g. `MyStack/NightlyReportJob/Run`, or the best name for it that `runFrom` tells. */
  readonly run: string;
  /**
   * Where `run` comes from. `decider payload`: the `run` the `LAMBDA` engine's state machine sends
   * its decider, exact. `start comment`: the construct path that a `STATE_MACHINE` run, and a run
   * whose prefix was cut to fit Step Functions' 80 characters, writes into the Comment of its
   * `Start attempts` state, exact. For `STATE_MACHINE` runs of earlier releases, which wrote no
   * such comment: `metric filters`: the construct path of the run's metric filters (or their
   * namespace, `RetryableEcsRunTask/<path>`), exact; `state machine path`: inferred from the state
   * names' prefix (`Extract: ` for a fragment `Extract`) as a fragment beside the state machine,
   * which is right unless the fragment was created in another scope; `state names`: the prefix
   * alone, when the template holds no construct paths, or, for states without a prefix, the
   * construct path (else the logical id) of the state machine they are in.
   */
  readonly runFrom: 'decider payload' | 'start comment' | 'metric filters' | 'state machine path' | 'state names';
  /** The prefix of the run's state names: `''` standalone, `Extract: ` for a fragment `Extract`. */
  readonly statePrefix: string;
  readonly policy: unknown;
  /**
   * For a `LAMBDA` run whose state machine sends its policy as a diff from the defaults: their id,
   * and where `explain` found them to make `policy` whole; without `from`, nowhere, and `policy`
   * is the diff as sent.
   */
  readonly policyDefaults?: ReconstructedPolicy['defaults'];
  /** The decision engine the definition uses. */
  readonly engine: string;
  /** Where it was found: the template file, the state machine's logical id and the state's name. */
  readonly template: string;
  readonly stateMachine: string;
  readonly state: string;
  /** Values of the policy that stay unknown until deploy, as the placeholders that stand for them. */
  readonly unresolved: string[];
  /**
   * Where the run's attempts run the task on each launch target, as the definition says: the
   * parameters of its `Run task` and `Run task on fallback` states (the `LAMBDA` engine), or those
   * its `Start attempts` state assigns for its one `Run task` state to choose from (the
   * `STATE_MACHINE` engine); absent when only the execution knows.
   */
  readonly launchTargets: { readonly primary?: LaunchTarget; readonly fallback?: LaunchTarget };
  /** The state that runs the attempts on the fallback launch target: `Run task on fallback`, or the one `Run task`. */
  readonly fallbackState: string;
}

const EXPECTED_TEMPLATE = 'a synthesized template (`cdk.out/<Stack>.template.json`) or a cloud assembly directory (`cdk.out`)';

/**
 * Finds the runs in a template file, or in every stack template of a cloud assembly directory
 * (nested assemblies of stages included).
 */
export function readTemplateRuns(location: string): TemplateRun[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(location);
  } catch {
    throw new InputError(`${EXPECTED_TEMPLATE} at ${JSON.stringify(location)}`, 'no such file or directory');
  }
  const templates = stat.isDirectory() ? assemblyTemplates(location) : [location];
  return templates.flatMap((file) => runsInTemplate(file));
}

function assemblyTemplates(directory: string): string[] {
  const manifestFile = path.join(directory, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    throw new InputError(`${EXPECTED_TEMPLATE}: a directory with a manifest.json`, `${JSON.stringify(directory)} without one`);
  }
  const [manifest] = readJsonValues(manifestFile, 'a cloud assembly manifest', { expected: 'a cloud assembly manifest' });
  const artifacts = isRecord(manifest) && isRecord(manifest.artifacts) ? manifest.artifacts : {};
  return Object.values(artifacts).filter(isRecord).flatMap((artifact) => {
    const properties = isRecord(artifact.properties) ? artifact.properties : {};
    if (artifact.type === 'aws:cloudformation:stack' && typeof properties.templateFile === 'string') {
      return [path.join(directory, properties.templateFile)];
    }
    if (artifact.type === 'cdk:cloud-assembly' && typeof properties.directoryName === 'string') {
      return assemblyTemplates(path.join(directory, properties.directoryName));
    }
    return [];
  });
}

function runsInTemplate(file: string): TemplateRun[] {
  const values = readJsonValues(file, EXPECTED_TEMPLATE, { expected: EXPECTED_TEMPLATE });
  const template = values[0];
  if (values.length !== 1 || !isRecord(template) || !isRecord(template.Resources)) {
    throw new InputError(`${EXPECTED_TEMPLATE}: a JSON object with \`Resources\``, `${values.length === 1 ? describeJson(template) : `${values.length} JSON documents`} in ${file}`);
  }
  const resources = template.Resources;
  const paths = constructPaths(file, resources);
  const runs: TemplateRun[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!isRecord(resource) || resource.Type !== 'AWS::StepFunctions::StateMachine' || !isRecord(resource.Properties)) {
      continue;
    }
    const definition = readDefinition(resource.Properties, `${file}, ${logicalId}`);
    for (const { startComment, deciderFunction, ...sent } of findPolicies(definition)) {
      const found = sent.engine === 'LAMBDA' ? { ...sent, ...wholeLambdaPolicy(sent.policy, deciderFunction, resources) } : sent;
      const commented = runOfStartComment(startComment);
      const named = found.run !== undefined
        ? { run: found.run, runFrom: 'decider payload' as const }
        : commented !== undefined
          ? { run: commented, runFrom: 'start comment' as const }
          : nameStateMachineRun(found.statePrefix, logicalId, resource.Properties, resources, paths);
      runs.push({ ...found, ...named, template: file, stateMachine: logicalId, unresolved: placeholdersIn(found.policy) });
    }
  }
  return runs;
}

/**
 * A `LAMBDA` run's whole policy. Its `Decide retry` state sends only what differs from the default
 * policy, with the defaults' id; the decider function has the defaults in its environment. They
 * are taken from the function the state invokes, else from any function of the template with
 * defaults of that id, else from this command's own when the id is theirs.
 */
function wholeLambdaPolicy(
  policy: unknown, deciderFunction: unknown, resources: Record<string, unknown>,
): Pick<TemplateRun, 'policy' | 'policyDefaults'> {
  const invoked = typeof deciderFunction === 'string' ? /^<(?:GetAtt ([^.>]+)\.Arn|Ref ([^>]+))>$/.exec(deciderFunction) : null;
  const logicalId = invoked ? invoked[1] ?? invoked[2] : undefined;
  const functions = Object.entries(resources).flatMap(([id, resource]) => {
    const properties = isRecord(resource) && resource.Type === 'AWS::Lambda::Function' && isRecord(resource.Properties) ? resource.Properties : {};
    const variables = isRecord(properties.Environment) && isRecord(properties.Environment.Variables) ? properties.Environment.Variables : {};
    const text = variables[POLICY_DEFAULTS_VARIABLE];
    const defaults = typeof text === 'string' ? readPolicyDefaults(text) : undefined;
    return defaults ? [{ id, defaults }] : [];
  });
  const sources: DefaultsSource[] = [...functions.filter((f) => f.id === logicalId), ...functions.filter((f) => f.id !== logicalId)]
    .map(({ id, defaults }) => ({ defaults, from: `the environment of the decider function ${id} in the template` }));
  const whole = reconstructPolicy(policy, [...sources, OWN_DEFAULTS]);
  return { policy: whole.policy, ...(whole.defaults ? { policyDefaults: whole.defaults } : {}) };
}

/**
 * The construct path of each resource, by logical id: from its `aws:cdk:path` metadata (which
 * `cdk synth` writes by default), or else from the cloud assembly the template is in, whose
 * manifest maps construct paths to logical ids (`aws:cdk:logicalId`).
 */
function constructPaths(file: string, resources: Record<string, unknown>): Map<string, string> {
  const paths = new Map<string, string>();
  const directory = path.dirname(file);
  const manifestFile = path.join(directory, 'manifest.json');
  if (fs.existsSync(manifestFile)) {
    try {
      const [manifest] = readJsonValues(manifestFile, 'a cloud assembly manifest', { expected: 'a cloud assembly manifest' });
      const artifacts = isRecord(manifest) && isRecord(manifest.artifacts) ? Object.values(manifest.artifacts).filter(isRecord) : [];
      const artifact = artifacts.find((a) => isRecord(a.properties) && typeof a.properties.templateFile === 'string'
        && path.resolve(directory, a.properties.templateFile) === path.resolve(file));
      const metadata: unknown[] = artifact ? [artifact.metadata] : [];
      if (artifact && typeof artifact.additionalMetadataFile === 'string' && fs.existsSync(path.join(directory, artifact.additionalMetadataFile))) {
        metadata.push(readJsonValues(path.join(directory, artifact.additionalMetadataFile), 'a metadata file', { expected: 'a metadata file' })[0]);
      }
      for (const entries of metadata.filter(isRecord)) {
        for (const [constructPath, list] of Object.entries(entries)) {
          for (const entry of Array.isArray(list) ? list.filter(isRecord) : []) {
            if (entry.type === 'aws:cdk:logicalId' && typeof entry.data === 'string') {
              paths.set(entry.data, constructPath.replace(/^\//, ''));
            }
          }
        }
      }
    } catch {
      // A manifest that does not read only costs the construct paths.
    }
  }
  for (const [logicalId, resource] of Object.entries(resources)) {
    const cdkPath = isRecord(resource) && isRecord(resource.Metadata) ? resource.Metadata['aws:cdk:path'] : undefined;
    if (typeof cdkPath === 'string') {
      paths.set(logicalId, cdkPath);
    }
  }
  return paths;
}

const METRIC_NAMESPACE_PREFIX = 'RetryableEcsRunTask/';

/**
 * Names a `STATE_MACHINE` run of an earlier release, whose definition carries no construct path:
 * see `TemplateRun.runFrom`. The run's metric filters, when it has them (those releases created
 * them for every standalone `RetryableEcsRunTask` and fragment with `stateMachineLogGroup`), are the ones whose
 * pattern names its `Back off` state and whose log group the state machine logs to; they are
 * created in the run's scope, as `<run>/Metrics/<Metric>Filter`, in the namespace
 * `RetryableEcsRunTask/<run>`.
 */
function nameStateMachineRun(
  prefix: string, logicalId: string, properties: Record<string, unknown>, resources: Record<string, unknown>, paths: Map<string, string>,
): Pick<TemplateRun, 'run' | 'runFrom'> {
  const backOff = `($.details.name = ${JSON.stringify(`${prefix}Back off`)})`;
  const filters = Object.entries(resources).filter(([, r]) => isRecord(r) && r.Type === 'AWS::Logs::MetricFilter' && isRecord(r.Properties)
    && typeof r.Properties.FilterPattern === 'string' && r.Properties.FilterPattern.includes(backOff)
    && namespaceOf(r.Properties) !== undefined) as Array<[string, { Properties: Record<string, unknown> }]>;
  const logGroup = loggedTo(properties);
  const ours = filters.filter(([, r]) => logGroup !== undefined && refOf(r.Properties.LogGroupName) === logGroup);
  const chosen = ours.length > 0 ? ours : filters;
  const namespaces = [...new Set(chosen.map(([, r]) => namespaceOf(r.Properties)!))];
  if (namespaces.length === 1) {
    const [filterId] = chosen[0];
    const filterPath = /^(.+)\/Metrics\/[^/]+Filter\/Resource$/.exec(paths.get(filterId) ?? '');
    return { run: filterPath ? filterPath[1] : namespaces[0].slice(METRIC_NAMESPACE_PREFIX.length), runFrom: 'metric filters' };
  }
  const id = prefix === '' ? '' : prefix.replace(/: $/, '');
  const machinePath = paths.get(logicalId)?.replace(/\/Resource$/, '');
  if (machinePath !== undefined && id !== '' && !id.includes('/')) {
    return { run: `${machinePath.split('/').slice(0, -1).join('/')}/${id}`.replace(/^\//, ''), runFrom: 'state machine path' };
  }
  // Without a prefix, the run's states are the state machine's own, whose construct path (or logical id) names it.
  return { run: id === '' ? machinePath ?? logicalId : id, runFrom: 'state names' };
}

function namespaceOf(filter: Record<string, unknown>): string | undefined {
  const transformations = Array.isArray(filter.MetricTransformations) ? filter.MetricTransformations.filter(isRecord) : [];
  const namespace = transformations.map((t) => t.MetricNamespace).find((n) => typeof n === 'string' && n.startsWith(METRIC_NAMESPACE_PREFIX));
  return namespace as string | undefined;
}

/** The logical id of the log group a state machine logs to, when it is in the template. */
function loggedTo(properties: Record<string, unknown>): string | undefined {
  const logging = isRecord(properties.LoggingConfiguration) ? properties.LoggingConfiguration : {};
  const destinations = Array.isArray(logging.Destinations) ? logging.Destinations.filter(isRecord) : [];
  for (const destination of destinations) {
    const group = isRecord(destination.CloudWatchLogsLogGroup) ? destination.CloudWatchLogsLogGroup.LogGroupArn : undefined;
    const getAtt = isRecord(group) ? group['Fn::GetAtt'] : undefined;
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') {
      return getAtt[0];
    }
  }
  return undefined;
}

function refOf(value: unknown): string | undefined {
  return isRecord(value) && typeof value.Ref === 'string' ? value.Ref : undefined;
}

/**
 * The definition as JSON. A `DefinitionString` is usually a `Fn::Join` of string parts and
 * tokens (`Ref`, `Fn::GetAtt`, …) that only deploy resolves; each token becomes a placeholder
 * such as `<Ref ClusterEB0386A7>`, quoted when it stands outside a JSON string, so that the
 * definition still parses.
 */
function readDefinition(properties: Record<string, unknown>, where: string): unknown {
  if (isRecord(properties.Definition)) {
    return properties.Definition;
  }
  const text = joinDefinition(properties.DefinitionString);
  if (text === undefined) {
    throw new InputError('a state machine `DefinitionString` that is a string or a `Fn::Join` of strings and tokens', `${describeJson(properties.DefinitionString)} (${where})`);
  }
  const parsed = parseEmbeddedJsonText(text);
  if (typeof parsed === 'object') {
    return parsed.value;
  }
  throw new InputError('a state machine definition that is JSON once its tokens are replaced by placeholders, within the limits of explain\'s input',
    `${parsed === 'notJson' ? 'one that is not JSON' : parsed === 'tooDeep' ? 'one nested too deeply' : 'one with too many values'} (${where})`);
}

function joinDefinition(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return value;
  }
  const join = isRecord(value) ? value['Fn::Join'] : undefined;
  if (!Array.isArray(join) || join.length !== 2 || typeof join[0] !== 'string' || !Array.isArray(join[1])) {
    return undefined;
  }
  const [separator, parts] = join as [string, unknown[]];
  let text = '';
  let inString = false;
  parts.forEach((part, i) => {
    if (i > 0) {
      text += separator;
      inString = scanQuotes(separator, inString);
    }
    if (typeof part === 'string') {
      text += part;
      inString = scanQuotes(part, inString);
    } else {
      const quoted = JSON.stringify(placeholder(part));
      text += inString ? quoted.slice(1, -1) : quoted;
    }
  });
  return text;
}

/** Whether the text after `chunk` is inside a JSON string, given whether it started inside one. */
function scanQuotes(chunk: string, inString: boolean): boolean {
  let inside = inString;
  for (let i = 0; i < chunk.length; i++) {
    if (inside && chunk[i] === '\\') {
      i++;
    } else if (chunk[i] === '"') {
      inside = !inside;
    }
  }
  return inside;
}

function placeholder(token: unknown): string {
  if (isRecord(token)) {
    if (typeof token.Ref === 'string') {
      return `<Ref ${token.Ref}>`;
    }
    const getAtt = token['Fn::GetAtt'];
    if (Array.isArray(getAtt)) {
      return `<GetAtt ${getAtt.join('.')}>`;
    }
    const [name] = Object.keys(token);
    if (name !== undefined) {
      return `<${name}>`;
    }
  }
  return '<token>';
}

const PLACEHOLDER = /^<(Ref|GetAtt|Fn::[A-Za-z]+|Condition|token)\b[^>]*>$/;

function placeholdersIn(value: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === 'string' && PLACEHOLDER.test(v)) {
      found.add(v);
    } else if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (isRecord(v)) {
      Object.values(v).forEach(walk);
    }
  };
  walk(value);
  return [...found];
}

type FoundPolicy = Pick<TemplateRun, 'statePrefix' | 'policy' | 'engine' | 'state' | 'launchTargets' | 'fallbackState'> & {
  readonly run?: string;
  /** The function a `LAMBDA` run's `Decide retry` invokes (its `Resource`, or earlier its `FunctionName`): a placeholder such as `<GetAtt Decider.Arn>`. */
  readonly deciderFunction?: unknown;
  /** The Comment of the run's `Start attempts` state, which names the run when its state names were shortened. */
  readonly startComment?: unknown;
};

const START_ATTEMPTS = 'Start attempts';
const RUN_TASK = 'Run task';
const RUN_TASK_ON_FALLBACK = 'Run task on fallback';
/** The `STATE_MACHINE` engine's variable of the launch targets' parameters: `retry_targets`, `retry_1a2b3c4d_targets`. */
const LAUNCH_TARGETS_VARIABLE_END = '_targets';
/** Its variable of the policy: `retry_policy`, `retry_1a2b3c4d_policy`. */
const POLICY_VARIABLE_END = '_policy';
const DECIDE_RETRY = 'Decide retry';
const RETRY_OR_FAIL = 'Retry or fail';
const POLICY_COMMENT = 'retry policy: ';

interface DeciderInvocation {
  readonly payload: Record<string, unknown> & { readonly run: string };
  readonly deciderFunction: unknown;
}

/**
 * The decider invocation of a `LAMBDA` run's `Decide retry` state: its payload, which names the run
 * and carries its policy, and the function it invokes. This release's state names the function as
 * its `Resource` and has the payload as its `Parameters`; earlier releases' invoke
 * `arn:aws:states:::lambda:invoke` with `Parameters: { FunctionName, Payload }`.
 */
function deciderInvocation(state: Record<string, unknown>): DeciderInvocation | undefined {
  if (state.Type !== 'Task' || !isRecord(state.Parameters)) {
    return undefined;
  }
  const wrapped = isRecord(state.Parameters.Payload);
  const payload = wrapped ? state.Parameters.Payload : state.Parameters;
  if (!isRecord(payload) || typeof payload.run !== 'string' || !isRecord(payload.policy)) {
    return undefined;
  }
  return { payload: payload as DeciderInvocation['payload'], deciderFunction: wrapped ? state.Parameters.FunctionName : state.Resource };
}

/**
 * The runs of a definition. The `LAMBDA` engine's `Decide retry` states invoke the decider with
 * a payload that names the run and carries its policy; a `STATE_MACHINE` run has a `Retry or fail`
 * Choice state, and its `Start attempts` state assigns the policy to a variable and names the run
 * in its Comment (earlier releases wrote the policy into the Comment of `Retry or fail`,
 * `retry policy: <the policy JSON>`, and named no run). Every state list is searched: Map item
 * processors and Parallel branches too.
 */
function findPolicies(definition: unknown): FoundPolicy[] {
  const found: FoundPolicy[] = [];
  const walkStates = (machine: unknown) => {
    const states = isRecord(machine) && isRecord(machine.States) ? machine.States : {};
    const launchTargets = (prefix: string): Pick<TemplateRun, 'launchTargets' | 'fallbackState'> => {
      const start = states[`${prefix}${START_ATTEMPTS}`];
      const assigned = isRecord(start) && isRecord(start.Assign)
        ? Object.entries(start.Assign)
          .find(([variable, value]) => variable.endsWith(LAUNCH_TARGETS_VARIABLE_END) && isRecord(value))?.[1] as Record<string, unknown>
        : undefined;
      const target = (name: string) => {
        const state = states[`${prefix}${name}`];
        return isRecord(state) ? launchTargetOfParameters(state.Parameters ?? state.Arguments) : undefined;
      };
      const [primary, fallback] = assigned
        ? [launchTargetOfParameters(assigned.primary), launchTargetOfParameters(assigned.fallback)]
        : [target(RUN_TASK), target(RUN_TASK_ON_FALLBACK)];
      return {
        launchTargets: { ...(primary ? { primary } : {}), ...(fallback ? { fallback } : {}) },
        fallbackState: `${prefix}${`${prefix}${RUN_TASK_ON_FALLBACK}` in states ? RUN_TASK_ON_FALLBACK : RUN_TASK}`,
      };
    };
    for (const [name, state] of Object.entries(states)) {
      if (!isRecord(state)) {
        continue;
      }
      const decider = deciderInvocation(state);
      if (decider) {
        const { payload, deciderFunction } = decider;
        const statePrefix = name.endsWith(DECIDE_RETRY) ? name.slice(0, -DECIDE_RETRY.length) : '';
        found.push({
          run: payload.run, statePrefix, policy: payload.policy, engine: 'LAMBDA', state: name, deciderFunction, ...launchTargets(statePrefix),
        });
      }
      const statePrefix = name.endsWith(RETRY_OR_FAIL) ? name.slice(0, -RETRY_OR_FAIL.length) : '';
      const start = states[`${statePrefix}${START_ATTEMPTS}`];
      if (state.Type === 'Choice' && name.endsWith(RETRY_OR_FAIL) && isRecord(start)) {
        const policy = assignedPolicy(start) ?? (typeof state.Comment === 'string' && state.Comment.startsWith(POLICY_COMMENT)
          ? parsePolicyComment(state.Comment.slice(POLICY_COMMENT.length))
          : undefined);
        if (isRecord(policy)) {
          found.push({
            statePrefix, policy, engine: 'STATE_MACHINE', state: name, startComment: start.Comment, ...launchTargets(statePrefix),
          });
        }
      }
      walkStates(state.ItemProcessor);
      walkStates(state.Iterator);
      if (Array.isArray(state.Branches)) {
        state.Branches.forEach(walkStates);
      }
    }
  };
  walkStates(definition);
  return found;
}

/**
 * The policy a `STATE_MACHINE` run's `Start attempts` state assigns to its policy variable
 * (`retry_policy`, `retry_1a2b3c4d_policy`): the rendered policy, with the waits the expression
 * reads (`waits`), which are left out here. Runs of earlier releases assigned only the lists, and
 * wrote the whole policy into the Comment of `Retry or fail`: undefined for those.
 */
function assignedPolicy(start: Record<string, unknown>): Record<string, unknown> | undefined {
  const assigned = isRecord(start.Assign)
    ? Object.entries(start.Assign).find(([variable, value]) => variable.endsWith(POLICY_VARIABLE_END) && isRecord(value))?.[1]
    : undefined;
  if (!isRecord(assigned) || assigned.maxAttempts === undefined) {
    return undefined;
  }
  const { waits: _, ...policy } = assigned;
  return policy;
}

/**
 * The policy JSON of a Comment, as runs of earlier releases wrote it into `Retry or fail`. A token in it (a value only deploy knows) became a placeholder
 * inside the Comment string, so one that stood for a number is bare: it is quoted to parse.
 */
function parsePolicyComment(text: string): unknown {
  for (const candidate of [text, text.replace(/(?<!")(<(?:Ref|GetAtt|Fn::[A-Za-z]+|Condition|token)\b[^<>"]*>)(?!")/g, '"$1"')]) {
    const parsed = parseEmbeddedJsonText(candidate);
    if (typeof parsed === 'object') {
      return parsed.value;
    }
  }
  return undefined;
}

/**
 * The run `--run` names: its construct path exactly, or else the runs whose state names have it
 * as their prefix (`Extract` or `Extract: `, as `explain` names a run in a history that does not
 * hold its path), or else the runs whose path ends with it or starts with it
 * (`MyStack/NightlyReportJob` for `MyStack/NightlyReportJob/Run`); it must name one. With no
 * `--run`, the only run.
 */
export function selectRun(runs: TemplateRun[], wanted: string | undefined, location: string): TemplateRun {
  if (runs.length === 0) {
    throw new InputError(
      'a template with a RetryableEcsRunTask run (a `Decide retry` state that invokes the retry decider with a policy, or a `Retry or fail` state whose Comment carries it)',
      `none in ${location}`);
  }
  // Runs named alike (by their state names alone) are told apart by their state machines.
  const label = (run: TemplateRun) => (runs.filter((r) => r.run === run.run).length > 1 ? `${run.run} (state machine ${run.stateMachine})` : run.run);
  const labels = runs.map(label).join(', ');
  if (wanted === undefined) {
    if (runs.length > 1) {
      throw new InputError('--run CONSTRUCT_PATH to choose a run', `${runs.length} runs in ${location}: ${labels}`);
    }
    return runs[0];
  }
  const trimmed = wanted.replace(/^\/+|\/+$/g, '');
  const candidates = [
    runs.filter((r) => r.run === wanted),
    runs.filter((r) => r.statePrefix !== '' && (r.statePrefix === wanted || r.statePrefix === `${wanted}: `)),
    runs.filter((r) => r.run.endsWith(`/${trimmed}`) || r.run.startsWith(`${trimmed}/`) || r.run.includes(`/${trimmed}/`)),
  ].find((matches) => matches.length > 0) ?? [];
  if (candidates.length === 1) {
    return candidates[0];
  }
  throw new InputError(
    `--run to name one of the runs in ${location} (${labels})`,
    candidates.length === 0 ? JSON.stringify(wanted) : `${JSON.stringify(wanted)}, which matches ${candidates.length}: ${candidates.map(label).join(', ')}`,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
