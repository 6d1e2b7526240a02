import * as fs from 'fs';
import * as path from 'path';
import { describeJson, InputError } from '../input-error';
import { parseJsonValues, readText } from '../json-input';

/** A run found in a synthesized template, with its policy as the state machine carries it. */
export interface TemplateRun {
  /** The construct path the state machine sends the decider (`run`). */
  readonly run: string;
  readonly policy: unknown;
  /** The decision engine the definition uses. */
  readonly engine: string;
  /** Where it was found: the template file, the state machine's logical id and the state's name. */
  readonly template: string;
  readonly stateMachine: string;
  readonly state: string;
  /** Values of the policy that stay unknown until deploy, as the placeholders that stand for them. */
  readonly unresolved: string[];
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
  const [manifest] = parseJsonValues(readText(manifestFile, 'a cloud assembly manifest'), 'a cloud assembly manifest');
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
  const values = parseJsonValues(readText(file, EXPECTED_TEMPLATE), EXPECTED_TEMPLATE);
  const template = values[0];
  if (values.length !== 1 || !isRecord(template) || !isRecord(template.Resources)) {
    throw new InputError(`${EXPECTED_TEMPLATE}: a JSON object with \`Resources\``, `${values.length === 1 ? describeJson(template) : `${values.length} JSON documents`} in ${file}`);
  }
  const runs: TemplateRun[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (!isRecord(resource) || resource.Type !== 'AWS::StepFunctions::StateMachine' || !isRecord(resource.Properties)) {
      continue;
    }
    const definition = readDefinition(resource.Properties, `${file}, ${logicalId}`);
    for (const found of findPolicies(definition)) {
      runs.push({ ...found, template: file, stateMachine: logicalId, unresolved: placeholdersIn(found.policy) });
    }
  }
  return runs;
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
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError('a state machine definition that is JSON once its tokens are replaced by placeholders', `one that is not (${where})`);
  }
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

/**
 * The runs of a definition: the `LAMBDA` engine's `Decide retry` states invoke the decider with
 * a payload that names the run and carries its policy. Every state list is searched: Map item
 * processors and Parallel branches too.
 *
 * The JSONata `STATE_MACHINE` engine is to add its own finder here: its `Retry or fail` Choice
 * carries the policy in its Comment, `retry policy: <the policy JSON>`.
 */
function findPolicies(definition: unknown): Array<Pick<TemplateRun, 'run' | 'policy' | 'engine' | 'state'>> {
  const found: Array<Pick<TemplateRun, 'run' | 'policy' | 'engine' | 'state'>> = [];
  const walkStates = (machine: unknown) => {
    const states = isRecord(machine) && isRecord(machine.States) ? machine.States : {};
    for (const [name, state] of Object.entries(states)) {
      if (!isRecord(state)) {
        continue;
      }
      const payload = isRecord(state.Parameters) ? state.Parameters.Payload : undefined;
      if (state.Type === 'Task' && isRecord(payload) && typeof payload.run === 'string' && isRecord(payload.policy)) {
        found.push({ run: payload.run, policy: payload.policy, engine: 'LAMBDA', state: name });
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
 * The run `--run` names: its construct path exactly, or else the one run whose path ends with it
 * or starts with it (`MyStack/NightlyReportJob` for `MyStack/NightlyReportJob/Run`). With no
 * `--run`, the only run.
 */
export function selectRun(runs: TemplateRun[], wanted: string | undefined, location: string): TemplateRun {
  const paths = [...new Set(runs.map((r) => r.run))];
  if (paths.length === 0) {
    throw new InputError('a template with a RetryableEcsRunTask run (a state that invokes the retry decider with a policy)', `none in ${location}`);
  }
  if (wanted === undefined) {
    if (paths.length > 1) {
      throw new InputError('--run CONSTRUCT_PATH to choose a run', `${paths.length} runs in ${location}: ${paths.join(', ')}`);
    }
    return runs[0];
  }
  const exact = runs.find((r) => r.run === wanted);
  if (exact) {
    return exact;
  }
  const trimmed = wanted.replace(/^\/+|\/+$/g, '');
  const near = paths.filter((p) => p.endsWith(`/${trimmed}`) || p.startsWith(`${trimmed}/`) || p.includes(`/${trimmed}/`));
  if (near.length === 1) {
    return runs.find((r) => r.run === near[0])!;
  }
  throw new InputError(
    `--run to name one of the runs in ${location} (${paths.join(', ')})`,
    near.length === 0 ? JSON.stringify(wanted) : `${JSON.stringify(wanted)}, which matches ${near.length}: ${near.join(', ')}`,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
