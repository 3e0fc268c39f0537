// The browser demo page (examples/browser/index.html), driven as a person would: pick a file, compress, read the
// result, download the container; then give the page a container to verify and restore, and a damaged one.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Server } from 'node:http';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decompress, init, inspect } from '../src/index.js';
import { startServer } from '../examples/serve.mjs';
import { CHROMIUM_ARGS, requireChromium } from './helpers/browser.js';
import { prngBytes } from './helpers/prng.mjs';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('examples/browser demo page', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    await init();
    server = (await startServer(0)) as Server;
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /** Chromium on the demo page, its core loaded; page errors collected. The caller closes the browser. */
  async function openDemo() {
    const browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${base}/`);
      await page.waitForFunction(() => document.getElementById('core')?.textContent?.includes('loaded'));
      return { browser, page, errors };
    } catch (e) {
      await browser.close();
      throw e;
    }
  }

  it('compresses a picked file bit-perfectly, offers the container, and verifies / restores / rejects containers', async () => {
    const text = new TextEncoder().encode('The quick brown fox jumps over the lazy dog.\n'.repeat(20000));
    const input = new Uint8Array(text.length + 100_000);
    input.set(text, 0);
    input.set(prngBytes(42, 100_000), text.length);
    const { browser, page, errors } = await openDemo();
    try {
      await page.setInputFiles('#file', { name: 'sample.txt', mimeType: 'text/plain', buffer: Buffer.from(input) });
      await page.selectOption('#strategy', 'adaptive');
      await page.click('#go');
      await page.waitForSelector('#dl-pnz', { timeout: 60_000 });
      const resultText = await page.textContent('#result');
      expect(resultText).toContain('bit-perfect');
      expect(resultText).toContain(sha(input));
      if (process.env.PANINI_SCREENSHOT) await page.screenshot({ path: process.env.PANINI_SCREENSHOT, fullPage: true });
      // the container the page offers for download is a valid one that Node decodes to the input
      const pnzB64 = await page.evaluate(async () => {
        const a = document.getElementById('dl-pnz') as HTMLAnchorElement;
        const b = new Uint8Array(await (await fetch(a.href)).arrayBuffer());
        let s = '';
        for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
        return btoa(s);
      });
      const pnz = new Uint8Array(Buffer.from(pnzB64, 'base64'));
      expect(sha(await decompress(pnz))).toBe(sha(input));
      // give it back to the page: verified and restored
      await page.setInputFiles('#pnz', { name: 'sample.txt.pnz', mimeType: 'application/octet-stream', buffer: Buffer.from(pnz) });
      await page.waitForSelector('#dl-out');
      expect(await page.textContent('#restore')).toContain('intact');
      // a damaged container is reported, with the error code
      const bad = Buffer.from(pnz);
      bad[bad.length >> 1] = bad[bad.length >> 1]! ^ 4;
      await page.setInputFiles('#pnz', { name: 'bad.pnz', mimeType: 'application/octet-stream', buffer: bad });
      await page.waitForFunction(() => document.getElementById('restore')?.textContent?.includes('not intact'));
      expect(await page.textContent('#restore')).toMatch(/CHECKSUM|FORMAT/);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
  it('compresses a picked folder with the dhātu codec: chunk map with hover details, distribution and gzip charts, restore as a zip', async () => {
    // a real folder on disk, picked through the directory input as a person would
    const dir = mkdtempSync(join(tmpdir(), 'panini-demo-'));
    const tree = join(dir, 'project');
    const files: Record<string, Uint8Array> = {
      'project/README.md': new TextEncoder().encode('# project\n\n' + 'A line of prose about compression and grammar.\n'.repeat(3000)),
      'project/data/records.json': new TextEncoder().encode(JSON.stringify(Array.from({ length: 4000 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b', String(i % 7)] })))),
      'project/data/noise.bin': prngBytes(9, 150_000),
      'project/src/main.js': new TextEncoder().encode('export function f(x) {\n  return x * 2 + 1;\n}\n'.repeat(2500)),
    };
    for (const [p, b] of Object.entries(files)) {
      mkdirSync(join(dir, p, '..'), { recursive: true });
      writeFileSync(join(dir, p), b);
    }
    const { browser, page, errors } = await openDemo();
    try {
      expect(await page.inputValue('#codec')).toBe('dhatu'); // the default
      await page.setInputFiles('#dir', tree);
      await page.waitForFunction(() => document.getElementById('picked')?.textContent?.includes('4 files'));
      await page.click('#go');
      await page.waitForSelector('#dl-pnz', { timeout: 120_000 });
      expect(await page.textContent('#result')).toContain('bit-perfect');
      expect(await page.textContent('#progress-text')).toBe('done');
      // the whole input's SHA-256 the page shows is node:crypto's of the files concatenated in path order
      const order = Object.keys(files).sort();
      const all = Buffer.concat(order.map((p) => files[p]!));
      expect(await page.textContent('#sha')).toBe(sha(all));
      // gzip measured in the page: CompressionStream's ratio is near node:zlib's (different deflaters, same format)
      const gzipRatio = Number(await page.textContent('#gzip-ratio'));
      const ratio = Number(await page.textContent('#ratio'));
      expect(gzipRatio).toBeGreaterThan(0.05);
      expect(ratio).toBeGreaterThan(0);
      expect(ratio).toBeLessThan(gzipRatio);
      // the chart and map elements: present, sized, not empty
      for (const sel of ['#map', '#dist-chart', '#vs-chart']) {
        const box = await page.locator(sel).boundingBox();
        expect(box, sel).not.toBeNull();
        expect(box!.width, sel).toBeGreaterThan(300);
        expect(box!.height, sel).toBeGreaterThan(30);
      }
      expect(await page.locator('#dist-chart rect.bar').count()).toBeGreaterThan(0);
      expect(await page.locator('#vs-chart rect.bar').count()).toBe(2);
      const colours = () => page.evaluate(() => {
        const c = document.getElementById('map') as HTMLCanvasElement;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const seen = new Set<number>();
        for (let i = 0; i < d.length; i += 4 * 7) if (d[i + 3] && !(d[i] === 255 && d[i + 1] === 255 && d[i + 2] === 255)) seen.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
        return seen.size;
      });
      expect(await colours()).toBeGreaterThanOrEqual(1); // by dhātu: the records' primitives
      await page.selectOption('#color-by', 'format');
      expect(await colours()).toBe(4); // by format region: the four files (text, json, generic, js), one colour each
      expect(await page.textContent('#legend')).toMatch(/json/);
      await page.selectOption('#color-by', 'dhatu');
      expect(await page.textContent('#legend')).toMatch(/CODER|COMM|TOKEN|SPLIT|TRANS|ITER|REFLATE/);
      // hover: the record under the pointer, with offset, size, stage chain and ratio
      const box = (await page.locator('#map').boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.1, box.y + box.height / 2);
      const tip = (await page.textContent('#map-tip'))!;
      expect(tip).toMatch(/record \d+/);
      expect(tip).toMatch(/offset [\d,]+/);
      expect(tip).toContain('stage chain:');
      expect(tip).toMatch(/ratio \d/);
      for (const by of ['record', 'format']) {
        await page.selectOption('#color-by', by);
        expect(await page.textContent('#legend')).not.toBe('');
      }
      if (process.env.PANINI_SCREENSHOT) await page.screenshot({ path: process.env.PANINI_SCREENSHOT.replace(/(\.png)?$/, '-tree.png'), fullPage: true });
      // the container made in the page is a tree container that Node's decoder reads, file for file
      const fetchB64 = (id: string) => page.evaluate(async (id) => {
        const a = document.getElementById(id) as HTMLAnchorElement;
        const b = new Uint8Array(await (await fetch(a.href)).arrayBuffer());
        let s = '';
        for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
        return btoa(s);
      }, id);
      const pnz = new Uint8Array(Buffer.from(await fetchB64('dl-pnz'), 'base64'));
      const info = await inspect(pnz);
      expect(info.manifest?.root).toBe('tree');
      expect(info.manifest?.entries.filter((e) => e.type === 'file').map((e) => e.path)).toEqual(order);
      expect(sha(await decompress(pnz))).toBe(sha(all));
      // verify and restore in the page: the tree comes back as a zip, each file equal to the one on disk
      await page.click('#use-last');
      await page.waitForSelector('#dl-zip');
      expect(await page.textContent('#restore')).toContain('intact');
      const zip = unzipSync(new Uint8Array(Buffer.from(await fetchB64('dl-zip'), 'base64')));
      expect(Object.keys(zip).sort()).toEqual(order);
      for (const p of order) expect(sha(zip[p]!), p).toBe(sha(readFileSync(join(dir, p))));
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
