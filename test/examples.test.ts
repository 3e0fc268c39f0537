// The browser demo page (examples/browser/index.html), driven as a person would: pick a file, compress, read the
// result, download the container; then give the page a container to verify and restore, and a damaged one.
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decompress, init } from '../src/index.js';
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

  it('compresses a picked file bit-perfectly, offers the container, and verifies / restores / rejects containers', async () => {
    const text = new TextEncoder().encode('The quick brown fox jumps over the lazy dog.\n'.repeat(20000));
    const input = new Uint8Array(text.length + 100_000);
    input.set(text, 0);
    input.set(prngBytes(42, 100_000), text.length);
    const browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${base}/`);
      await page.waitForFunction(() => document.getElementById('core')?.textContent?.includes('loaded'));
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
});
