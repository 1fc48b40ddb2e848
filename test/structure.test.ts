/**
 * The shape docs/architecture.md promises: each folder imports only folders below it in the
 * pipeline, no folder or file imports another in a circle, and only the sandbox's own commands
 * import sandbox/. Read from the import statements themselves.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { projectRoot } from '../core/paths.ts';

/** Lowest first; folders of one rank may not import each other. */
const RANKS: string[][] = [['core'], ['profile'], ['platform'], ['sandbox', 'scenarios'], ['verifiers'], ['drills'], ['reports', 'deploy'], ['cli']];
const rankOf = new Map(RANKS.flatMap((fs, i) => fs.map((f) => [f, i] as const)));

function sources(): string[] {
  const out: string[] = [];
  for (const folder of rankOf.keys()) {
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts')) out.push(p);
      }
    };
    walk(join(projectRoot, folder));
  }
  return out;
}

// Static imports and re-exports, and dynamic import('…') (commands load their clients lazily).
const IMPORTS = /^(?:import|export)\b[^'"]*?from '(\.[^']+\.ts)'|\bimport\('(\.[^']+\.ts)'\)/gm;
const graph = new Map(sources().map((f) => [f, [...readFileSync(f, 'utf8').matchAll(IMPORTS)].map((m) => resolve(dirname(f), (m[1] ?? m[2])!))]));
const folderOf = (f: string) => relative(projectRoot, f).split('/')[0]!;
const rel = (f: string) => relative(projectRoot, f);

type Graph = Map<string, string[]>;

function backEdges(g: Graph): string[] {
  const wrong: string[] = [];
  for (const [f, deps] of g) {
    for (const d of deps) {
      const [a, b] = [folderOf(f), folderOf(d)];
      if (a === b) continue;
      if (!rankOf.has(b) || rankOf.get(b)! >= rankOf.get(a)!) wrong.push(`${rel(f)} → ${rel(d)}`);
    }
  }
  return wrong;
}

function cycles(g: Graph): string[] {
  const out: string[] = [];
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 1);
    stack.push(n);
    for (const m of g.get(n) ?? []) {
      if (state.get(m) === 1) out.push([...stack.slice(stack.indexOf(m)), m].map(rel).join(' → '));
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of g.keys()) if (!state.has(n)) visit(n);
  return out;
}

test('every folder imports only the folders below it in the pipeline', () => {
  assert.ok(graph.size > 50, `${graph.size} files read`);
  assert.equal(backEdges(graph), []);
});

test('no file imports another in a circle', () => {
  assert.equal(cycles(graph), []);
});

test('only the sandbox itself and the CLI\'s sandbox commands import sandbox/', () => {
  const importers = [...graph].filter(([f, deps]) => folderOf(f) !== 'sandbox' && deps.some((d) => folderOf(d) === 'sandbox')).map(([f]) => rel(f)).sort();
  assert.equal(importers, ['cli/context.ts', 'cli/sandbox.ts']);
});

/**
 * The packages a file loads before any of its code runs: its static value imports, and theirs, down
 * the tree (`import type` is erased; `import('…')` waits for the code that calls it).
 */
function staticPackages(entry: string, read: (f: string) => string): string[] {
  const pkgs = new Set<string>();
  const seen = new Set<string>();
  const walk = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const m of read(f).matchAll(/^\s*(?:import|export)(?!\s+type\b)\b[^'"]*?from\s*(['"])([^'"]+)\1|^\s*import\s*(['"])([^'"]+)\3/gm)) {
      const spec = (m[2] ?? m[4])!;
      if (spec.startsWith('.')) walk(resolve(dirname(f), spec));
      else if (!spec.startsWith('node:')) pkgs.add(spec);
    }
  };
  walk(entry);
  return [...pkgs].sort();
}

test('the dispatcher loads no package but commander before a command runs (a fast --help; BENCHMARKS.md "CLI start")', () => {
  assert.equal(staticPackages(join(projectRoot, 'cli', 'main.ts'), (f) => readFileSync(f, 'utf8')), ['commander']);
  // …and a package one command module imports statically is found, however deep.
  const fake = new Map([
    ['/x/cli/main.ts', "import { Command } from 'commander';\nimport type { Z } from 'zod';\nimport { a } from './a.ts';\nconst later = () => import('./lazy.ts');"],
    ['/x/cli/a.ts', "import { b } from '../core/b.ts';"],
    ['/x/core/b.ts', "import { parse } from 'yaml';\nimport { join } from 'node:path';\n  import pino from \"pino\";"],
    ['/x/cli/lazy.ts', "import pg from 'pg';"],
  ]);
  assert.equal(staticPackages('/x/cli/main.ts', (f) => fake.get(f)!), ['commander', 'pino', 'yaml']);
});

test('the checks can fail: an import up the pipeline, one between folders of a rank, and a circle are each found', () => {
  const at = (f: string) => join(projectRoot, f);
  assert.equal(backEdges(new Map([[at('verifiers/a.ts'), [at('drills/b.ts')]], [at('sandbox/c.ts'), [at('scenarios/d.ts')]], [at('cli/e.ts'), [at('core/f.ts')]]])),
    ['verifiers/a.ts → drills/b.ts', 'sandbox/c.ts → scenarios/d.ts']);
  assert.equal(cycles(new Map([[at('cli/a.ts'), [at('cli/b.ts')]], [at('cli/b.ts'), [at('cli/a.ts')]]])), ['cli/a.ts → cli/b.ts → cli/a.ts']);
});

test.run();
