// The dashboard in Chromium, used as a person would: submit jobs through the form (one input uploaded through the
// page), watch a progress bar go from 0 % to 100 % / verified, read the dhātu chart, see a real failure's code and
// message, cancel a long job. The server runs with no embedded worker: the test starts and stops worker loops so
// that each step is reached for certain, not by timing.
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../src/index.js';
import { startWorker, type WorkerHandle } from '../../src/pipeline/worker.js';
import { submitJob } from '../../src/pipeline/jobs.js';
import { openQueue } from '../../src/pipeline/queue.js';
import type { JobQueue } from '../../src/pipeline/types.js';
import { createServer, type JobServer } from '../../src/server/server.js';
import { CHROMIUM_ARGS, requireChromium } from '../helpers/browser.js';
import { compressibleText, filesUnder, makeTree } from './helpers.js';

let tmp: string;
let data: string;
let root: string;
let queue: JobQueue;
let server: JobServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
let worker: WorkerHandle | undefined;

const runWorker = async () => {
  worker = await startWorker({ queue, device: 'cpu' });
};
const stopWorker = async () => {
  await worker?.stop();
  worker = undefined;
};

beforeAll(async () => {
  delete process.env.PANINI_TOKEN;
  await init();
  tmp = await fsp.mkdtemp(join(tmpdir(), 'panini-dashboard-'));
  data = join(tmp, 'data');
  root = join(tmp, 'root');
  await fsp.mkdir(data, { recursive: true });
  await fsp.mkdir(root, { recursive: true });
  queue = await openQueue(`sqlite:${join(data, 'queue.sqlite')}`);
  server = await createServer({ pipeline: { queue, data, roots: [root], store: join(data, 'store') }, port: 0, workers: 0 });
  browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS, headless: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('pageerror', (e) => pageErrors.push(e.stack ?? e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  await page.goto(`${server.url}/`);
  await page.locator('#conn[data-state="live"]').waitFor({ timeout: 30_000 });
});

afterAll(async () => {
  await stopWorker();
  await browser?.close();
  await server?.close();
  await queue?.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function submit(input: string[], label: string, options = '{}'): Promise<string> {
  await page.getByLabel('Type').selectOption('compress');
  await page.getByLabel('Input paths, one per line').fill(input.join('\n'));
  await page.getByLabel('Options (JSON object)').fill(options);
  await page.getByLabel('Label').fill(label);
  await page.getByRole('button', { name: 'Submit job' }).click();
  const ok = page.locator('#submit-ok');
  await ok.filter({ hasText: /^Job \S+ submitted\.$/ }).waitFor({ timeout: 30_000 });
  const id = /^Job (\S+) submitted\.$/.exec((await ok.textContent()) ?? '')![1]!;
  await row(id).waitFor({ timeout: 30_000 });
  return id;
}

const row = (id: string) => page.locator(`li.job[data-job-id="${id}"]`);
const rowInState = (id: string, state: string, timeout = 120_000) => page.locator(`li.job[data-job-id="${id}"][data-state="${state}"]`).waitFor({ timeout });

describe.sequential('the dashboard in Chromium', () => {
  it('submits a compress job through the form, with an uploaded input, and shows it reach 100 % / verified', async () => {
    const tree = await makeTree(join(root, 'tree'), 11, 96 << 10);
    const local = join(tmp, 'notes.txt');
    await fsp.writeFile(local, compressibleText(99, 20 << 10));
    await page.locator('#upload-file').setInputFiles(local);
    await page.getByRole('button', { name: 'Upload file', exact: true }).click();
    await page.locator('#upload-ok').filter({ hasText: 'Uploaded' }).waitFor({ timeout: 30_000 });
    const uploaded = (await page.getByLabel('Input paths, one per line').inputValue()).trim();
    expect(uploaded.startsWith(join(data, 'uploads'))).toBe(true);
    expect(await fsp.readFile(uploaded, 'utf8')).toBe(await fsp.readFile(local, 'utf8'));

    // no worker yet: the job waits at 0 %
    const id = await submit([tree, uploaded], 'dashboard tree');
    await rowInState(id, 'queued');
    expect(await row(id).locator('.pct').textContent()).toBe('0 %');
    // record every value the bar takes from here on
    await page.evaluate((jobId) => {
      const bar = document.querySelector(`li.job[data-job-id="${jobId}"] progress`) as HTMLProgressElement;
      const seen: number[] = [bar.value];
      (window as unknown as { __seen: number[] }).__seen = seen;
      new MutationObserver(() => seen.push(bar.value)).observe(bar, { attributes: true, attributeFilter: ['value'] });
    }, id);
    await runWorker();
    await rowInState(id, 'verified');
    expect(await row(id).locator('.pct').textContent()).toBe('100 %');
    await page.locator('#detail-progress-text').filter({ hasText: '100 % · verified' }).waitFor({ timeout: 30_000 });
    const seen = await page.evaluate(() => (window as unknown as { __seen: number[] }).__seen);
    expect(seen[0]).toBe(0);
    expect(seen[seen.length - 1]).toBe(100);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
    expect(await page.locator('#detail-state').textContent()).toBe('verified');
    expect(await page.locator('#detail-label').textContent()).toBe('dashboard tree');

    // the dhātu distribution of the verified bytes, one bar per primitive
    const bars = page.locator('#dhatu-chart g.bar');
    await bars.first().waitFor({ timeout: 30_000 });
    const status = (await (await fetch(`${server.url}/api/jobs/${id}`)).json()) as { dhatu: Record<string, number>; ratio: number };
    const primitives = Object.entries(status.dhatu).filter(([, n]) => n > 0);
    expect(await bars.count()).toBe(primitives.length);
    for (let i = 0; i < primitives.length; i++) {
      expect(Number(await bars.nth(i).locator('rect').getAttribute('width'))).toBeGreaterThan(0);
      expect(await bars.nth(i).getAttribute('data-primitive')).toBeTruthy();
    }
    expect(status.ratio).toBeGreaterThan(0);
    expect(status.ratio).toBeLessThan(1);
    // the workers table shows the worker and its device
    await page.locator('#workers-body tr').first().waitFor({ timeout: 30_000 });
    expect(await page.locator('#workers-body .device').first().textContent()).toMatch(/^(CPU|GPU)$/);
    await stopWorker();
  });

  it('shows the code and message of a real failure: chunk objects removed from the store', async () => {
    const store = join(data, 'store');
    const before = new Set(await filesUnder(store));
    const tree = await makeTree(join(root, 'doomed'), 4242, 32 << 10);
    const id = await submit([tree], 'doomed');
    await rowInState(id, 'queued');
    const added = (await filesUnder(store)).filter((f) => !before.has(f) && /[\\/]chunks[\\/]/.test(f));
    expect(added.length).toBeGreaterThan(0);
    for (const f of added) await fsp.rm(f);
    await runWorker();
    await rowInState(id, 'failed');
    await stopWorker();
    const failure = page.locator('#failures li.failure').first();
    await failure.waitFor({ timeout: 30_000 });
    expect(await failure.locator('.failure-code').textContent()).toBe('NOT_FOUND');
    expect(((await failure.locator('.failure-message').textContent()) ?? '').length).toBeGreaterThan(0);
    expect(await page.getByRole('button', { name: 'Retry failed tasks' }).isEnabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Cancel job' }).isDisabled()).toBe(true);
  });

  it('cancels a long job while it runs', async () => {
    const dir = join(root, 'long');
    await fsp.mkdir(dir, { recursive: true });
    // 8 MiB of distinct text in 1 MiB blocks: several tasks of a second or more each
    for (let i = 0; i < 64; i++) await fsp.writeFile(join(dir, `part-${String(i).padStart(3, '0')}.txt`), compressibleText(1000 + i, 128 << 10));
    const id = await submit([dir], 'long job', '{"blockSize": 1048576}');
    await rowInState(id, 'queued');
    const total = Number(/\/(\d+) tasks/.exec((await row(id).locator('.job-info').textContent()) ?? '')?.[1]);
    expect(total).toBeGreaterThanOrEqual(4);
    await runWorker();
    // running, with at least one task verified
    await page.waitForFunction(
      (jobId) => {
        const info = document.querySelector(`li.job[data-job-id="${jobId}"] .job-info`)?.textContent ?? '';
        const m = /^(\d+)\/(\d+) tasks/.exec(info);
        return !!m && Number(m[1]) >= 1;
      },
      id,
      { timeout: 120_000 },
    );
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await rowInState(id, 'cancelled');
    await page.locator('#detail-state').filter({ hasText: 'cancelled' }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('button', { name: 'Cancel job' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Retry failed tasks' }).isEnabled()).toBe(true);
    await stopWorker();
    const job = (await (await fetch(`${server.url}/api/jobs/${id}`)).json()) as { counts: Record<string, number>; total: number };
    expect(job.counts.cancelled).toBeGreaterThan(0);
    expect(job.counts.verified).toBeLessThan(job.total);
  });

  it('reconnects after a server restart and catches up on what happened meanwhile', async () => {
    const port = Number(new URL(server.url).port);
    await server.close();
    await page.locator('#conn[data-state="offline"]').waitFor({ timeout: 30_000 });
    // a job submitted while the dashboard is disconnected
    const tree = await makeTree(join(root, 'while-away'), 555, 4 << 10);
    const { id, ready } = await submitJob({ queue, data, roots: [root], store: join(data, 'store') }, { type: 'compress', input: [tree], label: 'while away' });
    await ready;
    server = await createServer({ pipeline: { queue, data, roots: [root], store: join(data, 'store') }, port, workers: 0 });
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 60_000 });
    await page.locator(`li.job[data-job-id="${id}"][data-state="queued"]`).waitFor({ timeout: 60_000 });
    expect(await row(id).locator('.job-title').textContent()).toBe('while away');
  });

  it('works behind a token given in its URL', async () => {
    const token = 'dashboard-token-42';
    const tdata = join(tmp, 'with-token');
    await fsp.mkdir(tdata, { recursive: true });
    const tqueue = await openQueue(`sqlite:${join(tdata, 'queue.sqlite')}`);
    const tserver = await createServer({ pipeline: { queue: tqueue, data: tdata, roots: [root], store: join(tdata, 'store') }, port: 0, workers: 0, token });
    const other = await browser.newPage();
    try {
      const denied = await other.goto(`${tserver.url}/`);
      expect(denied!.status()).toBe(401);
      await other.goto(`${tserver.url}/?token=${token}`);
      await other.locator('#conn[data-state="live"]').waitFor({ timeout: 30_000 });
      await other.getByLabel('Input paths, one per line').fill(join(root, 'tree'));
      await other.getByRole('button', { name: 'Submit job' }).click();
      await other.locator('#submit-ok').filter({ hasText: /^Job \S+ submitted\.$/ }).waitFor({ timeout: 30_000 });
      await other.locator('li.job[data-state="queued"]').waitFor({ timeout: 60_000 });
      expect((await tqueue.jobs()).length).toBe(1);
    } finally {
      await other.close();
      await tserver.close();
      await tqueue.close();
    }
  });

  it('fits a narrow window, and leaves a screenshot', async () => {
    await page.setViewportSize({ width: 380, height: 900 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    if (process.env.PANINI_SCREENSHOT) await page.screenshot({ path: process.env.PANINI_SCREENSHOT.replace(/(\.png)?$/, '-narrow.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 1000 });
    const shot = join(tmp, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await fsp.stat(shot)).size).toBeGreaterThan(1000);
    if (process.env.PANINI_SCREENSHOT) await fsp.copyFile(shot, process.env.PANINI_SCREENSHOT);
    expect(pageErrors).toEqual([]);
  });
});
