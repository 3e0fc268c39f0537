#!/usr/bin/env node
// The import rules of src/ (docs/ARCHITECTURE.md "Layers"), checked from the sources' own import statements:
//   1. no import cycles between files;
//   2. no upward imports: a file imports only from its own folder or from folders earlier in LAYERS;
//   3. assembly/ has no cycles either;
//   4. no import-time effects below the entries: a top-level statement that calls a function (registration, install,
//      init) appears only in ENTRIES, so package.json's "sideEffects": false is true of every other module.
// Exits 1 and lists every offence. `npm test` runs it (scripts/check-layers.mjs), so CI does too.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** src/ folders in pipeline order; a folder may import from the folders before it (and from itself). */
export const LAYERS = [
  ['errors.ts', 'bytes.ts', 'validate.ts', 'limits.ts'],
  ['wasm'],
  ['hash'],
  ['deflate'],
  ['grammar'],
  ['chunk'],
  ['codec'],
  ['dhatu'],
  ['container'],
  ['store'],
  ['repo'],
  ['model'],
  ['workers'],
  ['setup.ts', 'index.ts'],
  ['node'],
  ['pipeline'],
  ['node.ts'],
  ['server'],
  ['cli'],
];

/** The modules that run code when loaded: the package entries, the worker scripts and the CLI's bin. */
export const ENTRIES = ['index.ts', 'node.ts', 'workers/worker-node.ts', 'workers/worker-web.ts', 'cli/main.ts'];
// a statement at column 0 that starts with a call or a method call (`f(…)`, `a.b(…)`, `await f(…)`)
const TOP_CALL = /^(?:await\s+)?(?!(?:for|if|while|switch|return|function)\b)[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\s*\(/;

function allFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...allFiles(p));
    else if (/\.(ts|mts|mjs|js|md|json|html|css|sh|py)$/.test(name) && st.size < 4 << 20) out.push(p);
  }
  return out;
}

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function graph(dir) {
  const g = new Map();
  for (const f of files(dir)) {
    const src = readFileSync(f, 'utf8');
    const deps = new Set();
    let m;
    IMPORT.lastIndex = 0;
    while ((m = IMPORT.exec(src))) {
      const spec = m[1] ?? m[2];
      const abs = resolve(dirname(f), spec);
      deps.add(/\.js$/.test(abs) ? abs.replace(/\.js$/, '.ts') : /\.ts$/.test(abs) ? abs : `${abs}.ts`);
    }
    g.set(f, [...deps]);
  }
  return g;
}

function cycles(g) {
  const found = [];
  const state = new Map(); // 1 = on stack, 2 = done
  const stack = [];
  const visit = (n) => {
    state.set(n, 1);
    stack.push(n);
    for (const d of g.get(n) ?? []) {
      if (!g.has(d)) continue;
      if (state.get(d) === 1) found.push([...stack.slice(stack.indexOf(d)), d]);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of [...g.keys()].sort()) if (!state.has(n)) visit(n);
  return found;
}

function layerOf(file) {
  const top = relative(join(root, 'src'), file).split('/')[0];
  const i = LAYERS.findIndex((l) => l.includes(top));
  return i;
}

const problems = [];
const src = graph(join(root, 'src'));
for (const c of cycles(src)) problems.push(`cycle: ${c.map((f) => relative(root, f)).join(' -> ')}`);
for (const [f, deps] of src) {
  const lf = layerOf(f);
  if (lf < 0) {
    problems.push(`${relative(root, f)}: its folder is not in LAYERS (scripts/check-layers.mjs)`);
    continue;
  }
  for (const d of deps) {
    if (!src.has(d)) continue;
    const ld = layerOf(d);
    if (ld > lf) problems.push(`upward import: ${relative(root, f)} -> ${relative(root, d)}`);
  }
}
for (const f of src.keys()) {
  const rel = relative(join(root, 'src'), f);
  if (ENTRIES.includes(rel)) continue;
  const lines = readFileSync(f, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (TOP_CALL.test(line)) problems.push(`import-time effect: ${relative(root, f)}:${i + 1}: ${line.trim().slice(0, 80)}`);
  });
}
// merge-conflict markers left in any tracked text of the product
for (const dir of ['src', 'assembly', 'docs', 'test', 'bench', 'scripts', 'examples']) {
  for (const f of allFiles(join(root, dir))) {
    const text = readFileSync(f, 'utf8');
    if (/^(<{7} |>{7} |={7}$)/m.test(text)) problems.push(`merge-conflict marker: ${relative(root, f)}`);
  }
}
for (const f of ['README.md']) {
  if (/^(<{7} |>{7} |={7}$)/m.test(readFileSync(join(root, f), 'utf8'))) problems.push(`merge-conflict marker: ${f}`);
}
for (const c of cycles(graph(join(root, 'assembly')))) problems.push(`cycle: ${c.map((f) => relative(root, f)).join(' -> ')}`);

if (problems.length) {
  console.error(`check-layers: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-layers: ${src.size} files in src/, no cycles, no upward imports, no import-time effects outside ${ENTRIES.join(', ')}`);
