// The layout's two rules, checked on the source: no module imports itself back through others (an import
// circle), and nothing but the server's wiring names a runtime implementation ("nothing above the runtime
// interface knows which runtime runs"). Type-only imports (`import type`) are erased, so they do not count;
// an import with inline `type` specifiers is kept under verbatimModuleSyntax, so it does.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** Each module's relative runtime imports, as paths of .ts files. */
function runtimeImports(files: ReadonlyArray<{ path: string; text: string }>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const statement = /^(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+'(\.[^']+)'/gms;
  for (const { path, text } of files) {
    const deps = [...text.matchAll(statement)].map((m) =>
      resolve(dirname(path), m[1]!.replace(/\.js$/, '.ts')),
    );
    graph.set(path, deps);
  }
  return graph;
}

/** The import circles of a graph, each as the modules along it, first one repeated at the end. */
function importCircles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const circles: string[][] = [];
  const visit = (module: string, stack: string[]) => {
    state.set(module, 'open');
    stack.push(module);
    for (const dep of graph.get(module) ?? []) {
      if (!graph.has(dep)) continue;
      if (state.get(dep) === 'open') circles.push([...stack.slice(stack.indexOf(dep)), dep]);
      else if (!state.has(dep)) visit(dep, stack);
    }
    stack.pop();
    state.set(module, 'done');
  };
  for (const module of graph.keys()) if (!state.has(module)) visit(module, []);
  return circles;
}

const files = sourceFiles(SRC).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
const graph = runtimeImports(files);
const rel = (p: string) => relative(SRC, p);

describe('architecture', () => {
  test('the checker finds a circle through runtime imports and ignores type-only ones', () => {
    const g = runtimeImports([
      { path: '/x/a.ts', text: "import { b } from './b.js';\nimport type { C } from './c.js';" },
      { path: '/x/b.ts', text: "import {\n  type A,\n} from './a.js';" },
      { path: '/x/c.ts', text: "import type { A } from './a.js';" },
    ]);
    assert.deepEqual(importCircles(g), [['/x/a.ts', '/x/b.ts', '/x/a.ts']]);
  });

  test('no import circles in src', () => {
    assert.ok(graph.size > 100, `read ${graph.size} modules`);
    assert.deepEqual(
      importCircles(graph).map((c) => c.map(rel).join(' → ')),
      [],
    );
  });

  test('only the server wires a runtime implementation (src/runtime/host, src/runtime/fake)', () => {
    const implementation = /^runtime\/(host|fake)\//;
    const offenders = [...graph]
      .filter(([module]) => !implementation.test(rel(module)) && rel(module) !== 'server/runtimes.ts')
      .flatMap(([module, deps]) =>
        deps.filter((d) => implementation.test(rel(d))).map((d) => `${rel(module)} → ${rel(d)}`),
      );
    assert.deepEqual(offenders, []);
  });
});
