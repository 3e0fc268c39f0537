// A reusable Chromium harness for tests that compare browser results with Node's.
//
//   import { browserSkipReason, withPage } from './helpers/browser.js';
//   describe.skipIf(browserSkipReason)('in Chromium', () => {
//     it('...', () => withPage(async (page) => {
//       const r = await page.evaluate(async () => { const p = (window as any).panini; ... });
//     }));
//   });
//
// withPage starts a tiny HTTP server on 127.0.0.1 (random port) that serves
//   /            a page that imports the browser build (dist/index.js) and test/helpers/prng.mjs as modules and
//                exposes them as window.panini and window.prng after `await panini.init()`
//   /dist/...    the built files (only what `npm run build` wrote)
//   /helpers/prng.mjs
//   /node_modules/<dep>/...   the runtime dependencies (package.json "dependencies"), mapped with an import map
//                so that bare imports in dist/index.js ('fflate', 'msgpackr', ...) resolve as a bundler would
//                (conditions browser > import > default)
//   and any extra `routes` the caller gives (path -> body and content type).
// Then it launches /usr/bin/chromium (PANINI_CHROMIUM overrides) headless through playwright-core, opens the page,
// waits for init, runs the callback and closes everything. Errors thrown in the page fail the test.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { chromium, type Page } from 'playwright-core';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CHROMIUM_PATH = process.env.PANINI_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-gpu',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--headless',
];

/** Throws, saying how to get it, when Chromium is missing: the browser tests fail then, they are never skipped. */
export function requireChromium(): string {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: apt-get install chromium (.ci/run installs it), or set PANINI_CHROMIUM`);
  return CHROMIUM_PATH;
}

export interface Route {
  body: string | Uint8Array;
  type: string;
}

export interface PageOptions {
  /** extra files to serve, by absolute URL path ('/fixture.bin') */
  routes?: Record<string, Route>;
  /** wasm build the page loads first (default: the one init() picks) */
  variant?: 'simd' | 'scalar';
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.cjs': 'text/javascript',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

type Exports = string | null | { [key: string]: Exports } | Exports[];

function pickCondition(e: Exports): string | undefined {
  if (typeof e === 'string') return e;
  if (e === null) return undefined;
  if (Array.isArray(e)) {
    for (const x of e) {
      const r = pickCondition(x);
      if (r) return r;
    }
    return undefined;
  }
  for (const cond of ['browser', 'import', 'module', 'default']) {
    if (cond in e) {
      const r = pickCondition(e[cond]!);
      if (r) return r;
    }
  }
  return undefined;
}

/** The import map entries for the runtime dependencies, resolved for a browser. */
export function dependencyImportMap(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const imports: Record<string, string> = {};
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    const dir = join(ROOT, 'node_modules', name);
    if (!existsSync(join(dir, 'package.json'))) continue;
    const dp = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      exports?: Exports;
      module?: string;
      main?: string;
      browser?: unknown;
    };
    const base = `/node_modules/${name}/`;
    const exp = dp.exports;
    const isSubpathMap = exp && typeof exp === 'object' && !Array.isArray(exp) && Object.keys(exp).some((k) => k.startsWith('.'));
    if (isSubpathMap) {
      for (const [sub, target] of Object.entries(exp as Record<string, Exports>)) {
        if (sub.includes('*')) continue;
        const file = pickCondition(target);
        if (file) imports[sub === '.' ? name : `${name}/${sub.slice(2)}`] = base + file.replace(/^\.\//, '');
      }
    } else {
      const file = (exp && pickCondition(exp)) || (typeof dp.browser === 'string' ? dp.browser : undefined) || dp.module || dp.main || 'index.js';
      imports[name] = base + file.replace(/^\.\//, '');
    }
    imports[`${name}/`] = base;
  }
  return imports;
}

function pageHtml(variant?: 'simd' | 'scalar'): string {
  const importMap = JSON.stringify({ imports: dependencyImportMap() });
  const initArg = variant ? JSON.stringify({ variant }) : '';
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>panini-fs test page</title>
<script type="importmap">${importMap}</script>
<script type="module">
  import * as panini from '/dist/index.js';
  import * as prng from '/helpers/prng.mjs';
  window.panini = panini;
  window.prng = prng;
  window.__paniniReady = panini.init(${initArg}).then(() => true);
</script></head><body></body></html>`;
}

/** Serves `rel` from `dir` if it stays inside it. */
function fileUnder(dir: string, rel: string): string | undefined {
  const p = normalize(join(dir, rel));
  if (!p.startsWith(dir + sep) || !existsSync(p)) return undefined;
  return p;
}

function handler(options: PageOptions) {
  const deps = new Set(Object.keys(dependencyImportMap()).map((k) => k.split('/')[0]!));
  const html = pageHtml(options.variant);
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const send = (status: number, body: string | Uint8Array, type: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const extra = options.routes?.[path];
    if (extra) return send(200, extra.body, extra.type);
    if (path === '/' || path === '/index.html') return send(200, html, 'text/html; charset=utf-8');
    if (path === '/favicon.ico') return send(204, '', 'text/plain');
    let file: string | undefined;
    if (path === '/helpers/prng.mjs') file = join(ROOT, 'test/helpers/prng.mjs');
    else if (path.startsWith('/dist/')) file = fileUnder(join(ROOT, 'dist'), path.slice(6));
    else if (path.startsWith('/node_modules/')) {
      const name = path.slice(14).split('/')[0]!;
      if (deps.has(name)) file = fileUnder(join(ROOT, 'node_modules', name), path.slice(15 + name.length));
    }
    if (!file) return send(404, `not found: ${path}`, 'text/plain');
    send(200, readFileSync(file), TYPES[extname(file)] ?? 'application/octet-stream');
  };
}

/**
 * Runs `fn` with a Chromium page that has loaded the browser build (window.panini, already initialized) and the
 * shared PRNG (window.prng). `baseUrl` is the server's origin, for fetching extra `routes`.
 */
export async function withPage<T>(fn: (page: Page, baseUrl: string) => Promise<T>, options: PageOptions = {}): Promise<T> {
  if (!existsSync(join(ROOT, 'dist/index.js'))) throw new Error('dist/index.js is missing: run `npm run build`');
  const server = createServer(handler(options));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS, headless: true });
  try {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.stack ?? e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    await page.goto(`${baseUrl}/`);
    try {
      await page.waitForFunction(() => (window as unknown as { __paniniReady?: unknown }).__paniniReady !== undefined, undefined, {
        timeout: 30_000,
      });
      await page.evaluate(() => (window as unknown as { __paniniReady: Promise<unknown> }).__paniniReady);
    } catch (e) {
      throw new Error(`the test page did not load panini-fs: ${pageErrors.join('\n') || String(e)}`);
    }
    const result = await fn(page, baseUrl);
    if (pageErrors.length) throw new Error(`errors in the page:\n${pageErrors.join('\n')}`);
    return result;
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Static check that a browser bundle imports nothing from Node's built-ins. Returns the offending specifiers. */
export function nodeImportsIn(source: string): string[] {
  const specifiers = [
    ...source.matchAll(/\bfrom\s*["']([^"']+)["']/g),
    ...source.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g),
    ...source.matchAll(/\bimport\s*["']([^"']+)["']/g),
    ...source.matchAll(/\brequire\s*\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1]!);
  const builtins = /^(node:|fs$|path$|os$|crypto$|zlib$|stream$|child_process$|worker_threads$|url$|util$|buffer$|module$)/;
  return specifiers.filter((s) => builtins.test(s));
}
