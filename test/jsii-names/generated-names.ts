import { INITIALIZER, parameterKey } from './public-names';

/**
 * Readers of the code jsii-pacmak generates, each returning the name it gave every public name of
 * ours, under the keys of `public-names.ts`. They rely on what the generated code records for the
 * jsii runtime: the jsii name beside the target's own (`@jsii.member(jsii_name=...)`,
 * `Kernel.get(this, "name", ...)`, `_jsii_.StaticGet("fqn", "NAME", ...)`), so a renamed member is
 * found under its jsii name. Parameters are read by position.
 */
export type GeneratedNames = Map<string, string>;

/**
 * The key under which a reader records that a Python method takes keyword-only arguments: its
 * last parameter is a struct whose properties are lifted into keyword arguments, so that
 * parameter has no name of its own in Python (the keyword arguments are the struct's properties,
 * checked there).
 */
export function liftedKey(fqn: string, member: string): string {
  return `${fqn}#${member}(**)`;
}

/** Splits at the commas outside brackets and string literals. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') {
        i++;
      } else if (c === quote) {
        quote = undefined;
      }
    } else if (c === '"' || c === '\'') {
      quote = c;
    } else if ('([{<'.includes(c)) {
      depth++;
    } else if (')]}>'.includes(c)) {
      depth--;
    } else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

/** The text between the first `(` at or after `from` and its matching `)`, and the index after it. */
function parenthesized(text: string, from: number): { inside: string; end: number } {
  const open = text.indexOf('(', from);
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') {
        i++;
      } else if (c === quote) {
        quote = undefined;
      }
    } else if (c === '"' || c === '\'') {
      quote = c;
    } else if ('([{'.includes(c)) {
      depth++;
    } else if (')]}'.includes(c) && --depth === 0) {
      return { inside: text.slice(open + 1, i), end: i + 1 };
    }
  }
  throw new Error(`unbalanced parentheses after: ${text.slice(from, from + 80)}`);
}

// ---------------------------------------------------------------------------------------------
// Python: the package's modules (`__init__.py`).

/** The names in a Python module that jsii-pacmak generated. */
export function pythonNames(source: string): GeneratedNames {
  const names: GeneratedNames = new Map();
  // A top-level class, with the decorators before it: `@jsii.data_type(jsii_type=..., name_mapping={...})`,
  // `@jsii.enum(jsii_type=...)`, `@jsii.interface(jsii_type=...)`; a class's own is in its header.
  const classes = /^((?:@[^\n]*(?:\n(?![@c]|$)[^\n]*)*\n)*)class (\w+)\b/gm;
  const starts = [...source.matchAll(classes)];
  starts.forEach((match, index) => {
    const [, decorators, name] = match;
    const header = parenthesizedOrLine(source, match.index + match[0].length);
    const bodyEnd = index + 1 < starts.length ? starts[index + 1].index : source.length;
    const body = source.slice(header.end, bodyEnd);
    const fqn = /jsii_type="([^"]+)"/.exec(decorators + header.text)?.[1];
    if (!fqn || name.startsWith('_')) {
      return; // a proxy class (`_IFooProxy`) repeats the members of its interface
    }
    names.set(fqn, name);
    for (const [, python, jsii] of (/name_mapping=\{([^}]*)\}/.exec(decorators)?.[1] ?? '').matchAll(/"(\w+)": "(\w+)"/g)) {
      names.set(`${fqn}#${jsii}`, python);
    }
    if (/\benum\.Enum\b/.test(header.text)) {
      for (const [, member, value] of body.matchAll(/^ {4}(\w+) = "([^"]+)"$/gm)) {
        names.set(`${fqn}#${value}`, member);
      }
    }
    readPythonMembers(fqn, body, names);
  });
  return names;
}

/** A class header: `class X(...):` over as many lines as its parentheses take, or `class X:`. */
function parenthesizedOrLine(source: string, from: number): { text: string; end: number } {
  const lineEnd = source.indexOf('\n', from);
  if (source.slice(from, lineEnd).startsWith('(')) {
    const { inside, end } = parenthesized(source, from);
    return { text: inside, end };
  }
  return { text: source.slice(from, lineEnd), end: lineEnd };
}

function readPythonMembers(fqn: string, body: string, names: GeneratedNames) {
  // Each method or property: its decorators at four spaces, then `def name(...)`.
  for (const match of body.matchAll(/((?:^ {4}@[^\n]*\n)*)^ {4}def (\w+)\(/gm)) {
    const [, decorators, python] = match;
    const jsii = /@jsii\.member\(jsii_name="([^"]+)"\)/.exec(decorators)?.[1];
    const member = python === '__init__' ? INITIALIZER : jsii;
    if (member === undefined || /@\w+\.setter\b/.test(decorators)) {
      continue;
    }
    if (member !== INITIALIZER && !names.has(`${fqn}#${member}`)) {
      names.set(`${fqn}#${member}`, python);
    }
    const { inside } = parenthesized(body, match.index + match[0].length - 1);
    const parameters = splitTopLevel(inside).slice(1); // `self` or `cls`
    const keywordOnly = parameters.indexOf('*');
    const positional = keywordOnly === -1 ? parameters : parameters.slice(0, keywordOnly);
    positional.forEach((parameter, index) => {
      names.set(parameterKey(fqn, member, index), parameter.split(/[:=]/)[0].trim().replace(/^\*+/, ''));
    });
    if (keywordOnly !== -1) {
      names.set(liftedKey(fqn, member), '*');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Java: the sources jar, one file per top-level type.

/** The names in the Java sources that jsii-pacmak generated. */
export function javaNames(files: readonly string[]): GeneratedNames {
  const names: GeneratedNames = new Map();
  const texts = files.map((text) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, ''));
  // `@software.amazon.jsii.Jsii(module = ..., fqn = "...")` on every generated type.
  const typePattern = /@software\.amazon\.jsii\.Jsii\(module = [^,]+, fqn = "([^"]+)"\)\s*(?:@[\w.$]+(?:\([^)]*\))?\s*)*(?:(?:public|protected|static|final|abstract)\s+)*(class|interface|enum)\s+(\w+)/g;
  const classFqns = new Map<string, string>();
  const typesOfFile = texts.map((text) => [...text.matchAll(typePattern)].map((match) => {
    const [, fqn, kind, name] = match;
    names.set(fqn, name);
    classFqns.set(name, fqn);
    return { fqn, kind, name, index: match.index };
  }));

  texts.forEach((text, file) => {
    const types = typesOfFile[file];
    const fqnAt = (index: number) => [...types].reverse().find((type) => type.index < index)?.fqn;
    const fqnOfClass = (reference: string) => classFqns.get(reference.split('.').pop()!);

    // Constants, set in the class's static block: `NAME = ...jsiiStaticGet(Type.class, "NAME", ...)`.
    for (const [, java, type, jsii] of text.matchAll(/^\s*(\w+) = [^;]*?JsiiObject\.jsiiStaticGet\(([\w.$]+)\.class, "([^"]+)"/gm)) {
      const fqn = fqnOfClass(type);
      if (fqn) names.set(`${fqn}#${jsii}`, java);
    }
    // Struct properties, in the proxy's `$jsii$toJson`: `data.set("name", om.valueToTree(this.getName()))`.
    for (const match of text.matchAll(/data\.set\("([^"]+)", om\.valueToTree\(this\.(\w+)\(\)\)\)/g)) {
      const fqn = fqnAt(match.index);
      if (fqn) names.set(`${fqn}#${match[1]}`, match[2]);
    }
    // Enum members, one a line: `NAME,`.
    for (const type of types.filter((t) => t.kind === 'enum')) {
      const body = text.slice(text.indexOf('{', type.index));
      for (const [, member] of body.matchAll(/^ {4}(\w+)[,;]\s*$/gm)) {
        names.set(`${type.fqn}#${member}`, member);
      }
    }

    // Methods, getters and constructors, each with the jsii call in its body.
    const declarations = [...text.matchAll(/(?:public|protected)\s[^;{}()=]*?([\w$]+)\s*\(([^)]*)\)\s*(?:throws [^{;]*)?\{/g)];
    const longest = new Map<string, number>();
    declarations.forEach((declaration, index) => {
      const [, java, parameterList] = declaration;
      const body = text.slice(declaration.index + declaration[0].length, declarations[index + 1]?.index ?? text.length);
      const parameters = splitTopLevel(parameterList).map((parameter) => parameter.split(/\s+/).pop()!.replace(/^\.\.\./, ''));
      let key: string | undefined;
      if (/^[A-Z]/.test(java)) {
        const fqn = fqnAt(declaration.index);
        if (fqn && names.get(fqn) === java && /\.createNewObject\(this,/.test(body)) {
          key = `${fqn}#${INITIALIZER}`;
        }
      } else {
        const instance = /\bKernel\.(call|asyncCall|get)\(this, "([^"]+)"/.exec(body);
        const statics = /\bJsiiObject\.(jsiiStaticCall|jsiiAsyncStaticCall|jsiiStaticGet)\(([\w.$]+)\.class, "([^"]+)"/.exec(body);
        // A getter returns the value it gets; a proxy's constructor also gets, into its fields.
        if (instance && (instance[1] !== 'get' || /^\s*return\b/.test(body))) {
          const fqn = fqnAt(declaration.index);
          if (fqn) key = `${fqn}#${instance[2]}`;
        } else if (statics) {
          const fqn = fqnOfClass(statics[2]);
          if (fqn) key = `${fqn}#${statics[3]}`;
        }
        if (key && !names.has(key)) {
          names.set(key, java);
        }
      }
      // Java has an overload per optional parameter; the longest has them all.
      if (key && parameters.length >= (longest.get(key) ?? 0)) {
        longest.set(key, parameters.length);
        const [fqn, member] = key.split('#');
        parameters.forEach((parameter, position) => names.set(parameterKey(fqn, member, position), parameter));
      }
    });
  });
  return names;
}

// ---------------------------------------------------------------------------------------------
// Go: the module's sources.

/** The names in the Go package that jsii-pacmak generated. */
export function goNames(files: readonly string[]): GeneratedNames {
  const names: GeneratedNames = new Map();
  const source = files.join('\n');
  // main.go registers every type with the runtime, with its instance members and enum members.
  const registrations = [...source.matchAll(/_jsii_\.Register(?:Class|Struct|Enum|Interface)\(\s*"([^"]+)",\s*reflect\.TypeOf\(\(\*(\w+)\)\(nil\)\)\.Elem\(\),/g)];
  const fqnOfGoType = new Map<string, string>();
  registrations.forEach((registration, index) => {
    const [, fqn, go] = registration;
    names.set(fqn, go);
    fqnOfGoType.set(go, fqn);
    const block = source.slice(registration.index, registrations[index + 1]?.index ?? source.length);
    for (const [, jsii, member] of block.matchAll(/Member(?:Property|Method)\{Jsii(?:Property|Method): "([^"]+)", Go(?:Getter|Method): "(\w+)"\}/g)) {
      names.set(`${fqn}#${jsii}`, member);
    }
    for (const [, jsii, member] of block.matchAll(/^\s*"([^"]+)": (\w+),$/gm)) {
      names.set(`${fqn}#${jsii}`, member);
    }
  });

  // Struct fields: `Name Type `field:"..." json:"name" yaml:"name"``.
  for (const [, go, body] of source.matchAll(/^type (\w+) struct \{\n([\s\S]*?)^\}/gm)) {
    const fqn = fqnOfGoType.get(go);
    if (!fqn) continue;
    for (const [, field, jsii] of body.matchAll(/^\t(\w+) [^\n]*?json:"([^"]+)"/gm)) {
      names.set(`${fqn}#${jsii}`, field);
    }
  }

  // Functions and methods, each with the runtime call in its body.
  for (const [, receiver, go, parameterList, body] of source.matchAll(/^func (?:\(\w+ \*?(\w+)\) ?)?(\w+)\(([^)]*)\)[^{\n]*\{\n([\s\S]*?)^\}/gm)) {
    let key: string | undefined;
    const statics = /_jsii_\.(?:StaticGet|StaticInvoke|StaticInvokeVoid)\(\s*"([^"]+)",\s*"([^"]+)"/.exec(body);
    const instance = /_jsii_\.(?:Get|Invoke|InvokeVoid)\(\s*\w+,\s*"([^"]+)"/.exec(body);
    const create = /_jsii_\.Create\(\s*"([^"]+)"/.exec(body);
    if (statics) {
      key = `${statics[1]}#${statics[2]}`;
    } else if (instance && receiver?.startsWith('jsiiProxy_')) {
      const fqn = fqnOfGoType.get(receiver.slice('jsiiProxy_'.length));
      if (fqn) key = `${fqn}#${instance[1]}`;
    } else if (create && !go.endsWith('_Override')) {
      key = `${create[1]}#${INITIALIZER}`;
    }
    if (!key) continue;
    if (!key.endsWith(INITIALIZER)) {
      names.set(key, go);
    }
    const [fqn, member] = key.split('#');
    splitTopLevel(parameterList).forEach((parameter, position) => names.set(parameterKey(fqn, member, position), parameter.split(/\s+/)[0]));
  }
  return names;
}
