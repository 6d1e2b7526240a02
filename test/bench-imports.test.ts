import * as fs from 'fs';
import * as path from 'path';

// bench/ is a set of scripts that run one another as child processes and share modules; an import
// circle among them would make a module's exports undefined while the circle loads.

const BENCH = path.join(__dirname, '..', 'bench');

/** The bench modules each bench module imports, `import type` included. */
function benchImports(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of fs.readdirSync(BENCH).filter((f) => f.endsWith('.ts'))) {
    const text = fs.readFileSync(path.join(BENCH, file), 'utf8');
    const imported = [...text.matchAll(/\bfrom '\.\/([^']+)'/g)].map((m) => `${m[1]}.ts`);
    graph.set(file, imported);
  }
  return graph;
}

test('bench/ has no import circle', () => {
  const graph = benchImports();
  expect(graph.get('cost-per-retry.ts')).toContain('state-machine-cost.ts');
  const circles: string[] = [];
  const visit = (file: string, trail: string[]) => {
    if (trail.includes(file)) {
      circles.push([...trail.slice(trail.indexOf(file)), file].join(' > '));
      return;
    }
    (graph.get(file) ?? []).forEach((next) => visit(next, [...trail, file]));
  };
  [...graph.keys()].forEach((file) => visit(file, []));
  expect(circles).toEqual([]);
});
