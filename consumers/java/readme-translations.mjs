// Writes the Java that Construct Hub shows for README's TypeScript examples as Java classes, for
// consumers/run.sh to compile against the built jar and aws-cdk-lib from Maven Central:
//
//   node readme-translations.mjs TABLET OUTDIR
//
// jsii-rosetta translates every TypeScript example into Java in the tablet (.jsii.tabl.json). A
// translation is a snippet, not a compilation unit: imports, then the names the TypeScript
// declares (`declare const cluster: ecs.ICluster;` becomes `ICluster cluster;`), maybe with
// comments between them, then statements.
// Each becomes one class: the declarations its static fields, the statements the body of a method.
// The only thing added is `import java.util.List;`, which rosetta never writes for the `List.of`
// it writes (in every library's examples). Everything else must compile as rosetta wrote it:
// a missing import, a wrong type or a method that does not exist fails javac.
import * as fs from 'node:fs';
import * as path from 'node:path';

const [tabletFile, outdir] = process.argv.slice(2);
if (!tabletFile || !outdir) {
  console.error('usage: node readme-translations.mjs TABLET OUTDIR');
  process.exit(2);
}

/** A class name that says where the example is: README's line, or the documented API. */
function className(snippet) {
  const { api, field } = snippet.location;
  if (api.api === 'moduleReadme' && field?.line !== undefined) {
    return `ReadmeLine${field.line}`;
  }
  const where = `${api.fqn ?? api.moduleFqn ?? 'Api'}_${api.memberName ?? ''}_${field?.line ?? ''}`;
  return `Example_${where.replace(/\W+/g, '_')}`;
}

/** A declaration rosetta writes for `declare const`: `Type name;`, maybe with a comment. */
const DECLARATION = /^[\w.<>[\], ]+ \w+;(\s*\/\/.*)?$/;

function javaClass(name, source) {
  const lines = source.split('\n');
  const imports = lines.filter((line) => line.startsWith('import '));
  const rest = lines.filter((line) => !line.startsWith('import '));
  const fields = [];
  let i = 0;
  for (; i < rest.length; i++) {
    if (DECLARATION.test(rest[i])) {
      fields.push(`    static ${rest[i]}`);
    } else if (rest[i].startsWith('//')) {
      fields.push(`    ${rest[i]}`); // the example's own comment on a declaration
    } else if (rest[i].trim() !== '') {
      break;
    }
  }
  const body = rest.slice(i);
  if (/\bList\./.test(body.join('\n')) && !imports.some((line) => /^import java\.util\.(List|\*);/.test(line))) {
    imports.push('import java.util.List;');
  }
  return [
    ...imports,
    '',
    `public class ${name} {`,
    ...fields,
    '',
    '    static void example() {',
    ...body.map((line) => (line ? `        ${line}` : '')),
    '    }',
    '}',
    '',
  ].join('\n');
}

const tablet = JSON.parse(fs.readFileSync(tabletFile, 'utf8'));
const snippets = Object.values(tablet.snippets).filter((snippet) => snippet.translations.java);
if (snippets.length === 0) {
  console.error(`java translations: none in ${tabletFile}`);
  process.exit(1);
}
fs.mkdirSync(outdir, { recursive: true });
for (const snippet of snippets) {
  const name = className(snippet);
  fs.writeFileSync(path.join(outdir, `${name}.java`), javaClass(name, snippet.translations.java.source));
}
console.log(`java translations: ${snippets.length} written to ${outdir}`);
