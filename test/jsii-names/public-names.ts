/**
 * The public names of a jsii assembly, and what each jsii target calls them when it applies only
 * its case rules. jsii-pacmak 1.x derives every name from the TypeScript one like this, and then
 * renames a few (`lib/targets/python.js`, `java.js`, `go/util.js`):
 *
 * - Python: snake_case for properties, methods and parameters, upper case for constants, types and
 *   enum members as written; a name whose snake_case is a Python keyword gets a trailing `_` (the
 *   constant `LAMBDA` becomes `lambda`, a keyword, so `LAMBDA_`), and so does a positional
 *   parameter named like one of the keyword arguments lifted from a struct (`id` beside a prop `id`).
 * - Java: getters `getX()`, methods and parameters as written, constants SNAKE_UPPER_CASE; a
 *   property or parameter named like a Java keyword or `build` becomes `xValue`, a method `doX`.
 * - Go: members with their first letter capitalised, statics `Type_Member`, enum members
 *   `Type_MEMBER`, types as written; a parameter named like a Go keyword gets a trailing `_`.
 *
 * The expected names below are the case rules alone. Where the generated code differs, a target
 * renamed the name: users of that language must write something the TypeScript docs do not say.
 */

/** The jsii targets whose generated code is checked: the languages this library ships to. */
export const TARGETS = ['python', 'java', 'go'] as const;
export type Target = typeof TARGETS[number];

/**
 * One public name of ours: a type, a member, a parameter or an enum member. `key` identifies it
 * in the readers of the generated code (`generated-names.ts`).
 */
export interface PublicName {
  /** `fqn` for a type, `fqn#member` for a member or enum member, `fqn#member(index)` for a parameter. */
  readonly key: string;
  /** How the TypeScript docs name it, e.g. `DecisionEngine.LAMBDA` or `parameter props of RetryableEcsRunTask.metricRetries`. */
  readonly label: string;
  /** Marked `@deprecated`, itself or through the type or method it belongs to: a target may rename it. */
  readonly deprecated: boolean;
  /** The name in each target under its case rules alone. */
  readonly expected: Readonly<Record<Target, string>>;
}

/** The parts of a jsii assembly (`.jsii`, schema `jsii/0.10.0`) this check reads. */
export interface Assembly {
  readonly name: string;
  readonly types?: Readonly<Record<string, AssemblyType>>;
}
interface Docs {
  readonly deprecated?: string;
  readonly stability?: string;
}
export interface AssemblyType {
  readonly fqn: string;
  readonly name: string;
  readonly kind: 'class' | 'interface' | 'enum';
  readonly datatype?: boolean;
  readonly docs?: Docs;
  readonly initializer?: { readonly docs?: Docs; readonly parameters?: readonly Parameter[] };
  readonly properties?: readonly Property[];
  readonly methods?: readonly Method[];
  readonly members?: readonly { readonly name: string; readonly docs?: Docs }[];
}
interface Property {
  readonly name: string;
  readonly docs?: Docs;
  readonly static?: boolean;
  readonly const?: boolean;
  readonly protected?: boolean;
}
interface Method {
  readonly name: string;
  readonly docs?: Docs;
  readonly static?: boolean;
  readonly protected?: boolean;
  readonly parameters?: readonly Parameter[];
}
interface Parameter {
  readonly name: string;
  readonly docs?: Docs;
}

/** The key of a member's or an initializer's parameter, by position. */
export const INITIALIZER = '<initializer>';
export function parameterKey(fqn: string, member: string, index: number): string {
  return `${fqn}#${member}(${index})`;
}

/**
 * snake_case as jsii-pacmak's Python and Java generators compute it (codemaker's `toSnakeCase`:
 * decamelize 5, with `KiB`, `MiB` and `GiB` kept as one word, so `memoryMiB` is `memory_mib`).
 */
export function toSnakeCase(name: string): string {
  const words = name.replace(/(^|[^A-Z])(KiB|MiB|GiB)($|[^a-z])/g,
    (_, before: string, abbreviation: string, after: string) => `${before}${abbreviation[0]}${abbreviation.slice(1).toLowerCase()}${after}`);
  if (words.length < 2) {
    return words.toLowerCase();
  }
  return words
    .replace(/([\p{Ll}\d])(\p{Lu})/gu, '$1_$2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll}+)/gu, '$1_$2')
    .toLowerCase();
}

/** The first letter capitalised, the rest as written (jsii-pacmak's `jsiiToPascalCase`). */
function capitalized(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function isDeprecated(docs: Docs | undefined): boolean {
  return docs?.deprecated !== undefined || docs?.stability === 'deprecated';
}

/**
 * A type nested in another type is `Outer_Inner` in Go; one in a submodule is in a Go package of
 * its own, under its own name. Python and Java keep the name as written.
 */
function goTypeName(assembly: Assembly, type: AssemblyType): string {
  const outer = assembly.types?.[type.fqn.slice(0, type.fqn.lastIndexOf('.'))];
  return outer ? `${goTypeName(assembly, outer)}_${type.name}` : type.name;
}

/** Every public name of the assembly's own types, with its expected name in each target. */
export function publicNames(assembly: Assembly): PublicName[] {
  const names: PublicName[] = [];
  for (const type of Object.values(assembly.types ?? {})) {
    const typeDeprecated = isDeprecated(type.docs);
    const goType = goTypeName(assembly, type);
    names.push({
      key: type.fqn,
      label: type.name,
      deprecated: typeDeprecated,
      expected: { python: type.name, java: type.name, go: goType },
    });

    if (type.kind === 'enum') {
      for (const member of type.members ?? []) {
        names.push({
          key: `${type.fqn}#${member.name}`,
          label: `${type.name}.${member.name}`,
          deprecated: typeDeprecated || isDeprecated(member.docs),
          expected: { python: member.name, java: member.name, go: `${goType}_${member.name}` },
        });
      }
      continue;
    }

    const parameters = (member: string, label: string, deprecated: boolean, list: readonly Parameter[] | undefined) => {
      (list ?? []).forEach((parameter, index) => names.push({
        key: parameterKey(type.fqn, member, index),
        label: `parameter ${parameter.name} of ${label}`,
        deprecated: deprecated || isDeprecated(parameter.docs),
        expected: { python: toSnakeCase(parameter.name), java: parameter.name, go: parameter.name },
      }));
    };

    if (type.initializer) {
      parameters(INITIALIZER, `new ${type.name}()`, typeDeprecated || isDeprecated(type.initializer.docs), type.initializer.parameters);
    }
    for (const property of type.properties ?? []) {
      const python = property.const ? toSnakeCase(property.name).toUpperCase() : toSnakeCase(property.name);
      names.push({
        key: `${type.fqn}#${property.name}`,
        label: `${type.name}.${property.name}`,
        deprecated: typeDeprecated || isDeprecated(property.docs),
        expected: {
          python: property.protected ? `_${python}` : python,
          java: property.const ? toSnakeCase(property.name).toUpperCase() : `get${capitalized(property.name)}`,
          go: property.static ? `${goType}_${capitalized(property.name)}` : capitalized(property.name),
        },
      });
    }
    for (const method of type.methods ?? []) {
      const label = `${type.name}.${method.name}`;
      const deprecated = typeDeprecated || isDeprecated(method.docs);
      const python = toSnakeCase(method.name);
      names.push({
        key: `${type.fqn}#${method.name}`,
        label,
        deprecated,
        expected: {
          python: method.protected ? `_${python}` : python,
          java: method.name,
          go: method.static ? `${goType}_${capitalized(method.name)}` : capitalized(method.name),
        },
      });
      parameters(method.name, label, deprecated, method.parameters);
    }
  }
  return names;
}
