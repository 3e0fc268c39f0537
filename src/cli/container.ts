// CLI commands over the container: compress, decompress, verify, inspect, validate-reconstruction.
import { promises as fsp } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { EXIT_STATUS, PaniniError } from '../errors.js';
import type { Progress, Strategy } from '../container/options.js';
import { codecName } from '../container/codecs.js';
import type { Inspection } from '../container/api.js';
import { compressFile, compressTree, containerManifest, decompressFile, extractFile, extractTree, inspectFile, verifyFile } from '../node/container.js';
import { decompressStdin, interruptSignal, withStdinFile } from './stdio.js';
import { validateReconstruction } from '../node/validate.js';
import { human, numberFlag, type Parsed } from './args.js';

/** The CLI's worker count when --workers is not given: the CPUs, at most 4 (output bytes never depend on it). */
export const CLI_DEFAULT_WORKERS = Math.max(1, Math.min(4, availableParallelism()));
/** The peak memory compress keeps within when --memory is not given (the worker threads are lowered to fit). */
export const CLI_DEFAULT_MEMORY = 512 << 20;
/** dhātu levels 4–9 code 8–16 MiB records with costlier parsers: their default bound is 1 GiB. */
export const CLI_DEFAULT_MEMORY_STRONG = 1 << 30;
export const cliDefaultMemory = (codec: string | undefined, level: number | undefined): number =>
  (codec === undefined || codec === 'dhatu') && level !== undefined && level >= 4 ? CLI_DEFAULT_MEMORY_STRONG : CLI_DEFAULT_MEMORY;


/** A one-line progress bar on stderr when it is a TTY (and not --json), redrawn at most 10 times a second. */
/**
 * The progress line on stderr: bytes read, bytes written, MB/s and (when the total is known) a bar and the ETA.
 * Drawn on a terminal; with --progress also when stderr is not one (one line a second, so a log stays readable);
 * never with --quiet or --json.
 */
function progressBar(label: string, p: Parsed, allowed = true): { onProgress?: (p: Progress) => void; done(): void } {
  const tty = process.stderr.isTTY === true;
  if (!allowed || p.values.quiet === true || p.values.json === true || !(tty || p.values.progress === true)) return { done() {} };
  let last = 0;
  const t0 = Date.now();
  let drawn = false;
  const every = tty ? 100 : 1000;
  return {
    onProgress(pr) {
      const now = Date.now();
      if (now - last < every) return;
      last = now;
      const frac = pr.total ? Math.min(1, pr.bytesIn / pr.total) : undefined;
      const width = 30;
      const bar = frac === undefined ? '' : `[${'#'.repeat(Math.round(frac * width)).padEnd(width, '.')}] ${(frac * 100).toFixed(0).padStart(3)}% `;
      const speed = pr.bytesIn / Math.max(0.001, (now - t0) / 1000);
      const eta = pr.total && speed > 0 ? `  ETA ${clock((pr.total - pr.bytesIn) / speed)}` : '';
      const line = `${label} ${bar}${human(pr.bytesIn)} → ${human(pr.bytesOut)}  ${(speed / 1e6).toFixed(1)} MB/s${eta}`;
      process.stderr.write(tty ? `\r${line}   ` : `${line}\n`);
      drawn = true;
    },
    done() {
      if (drawn && tty) process.stderr.write('\r\x1b[2K');
    },
  };
}

/** Seconds as m:ss (or h:mm:ss). */
function clock(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function one(p: Parsed, what: string): string {
  if (p.positionals.length !== 1) throw new PaniniError('OPTION', `${what} takes exactly one input, got ${p.positionals.length}`, { option: 'IN' });
  return p.positionals[0]!;
}

const int = (p: Parsed, flag: string, min: number, max: number) => numberFlag(p, flag, { min, max });

const print = (json: boolean, obj: unknown, text: string) => process.stdout.write(json ? `${JSON.stringify(obj, null, 2)}\n` : text);

export async function runCompress(p: Parsed): Promise<number> {
  const input = one(p, 'compress');
  const json = p.values.json === true;
  const out = (p.values.output as string | undefined) ?? (input === '-' ? undefined : `${input.replace(/\/+$/, '')}.pnz`);
  if (!out) throw new PaniniError('OPTION', 'compressing stdin needs -o OUT', { option: 'output' });
  const strategy = p.values.strategy as Strategy | undefined;
  if (strategy !== undefined && !['fixed', 'cdc', 'semantic', 'adaptive'].includes(strategy)) {
    throw new PaniniError('OPTION', `--strategy must be fixed, cdc, semantic or adaptive, got "${strategy}"`, { option: 'strategy' });
  }
  const level = int(p, 'level', 0, 9);
  const codec = p.values.codec as string | undefined;
  if (codec !== undefined && !['deflate', 'plz', 'pfz', 'dhatu'].includes(codec)) throw new PaniniError('OPTION', `--codec must be deflate, plz, pfz or dhatu, got "${codec}"`, { option: 'codec' });
  const planner = p.values.planner as string | undefined;
  if (planner !== undefined && planner !== 'model' && planner !== 'trial') throw new PaniniError('OPTION', `--planner must be model or trial, got "${planner}"`, { option: 'planner' });
  const workers = int(p, 'workers', 1, 64) ?? CLI_DEFAULT_WORKERS;
  const memory = numberFlag(p, 'memory', { sizes: true, min: 1 << 20 }) ?? cliDefaultMemory(codec, level);
  const bar = progressBar('compress', p);
  const quiet = p.values.quiet === true;
  const opts = {
    ...(level !== undefined ? { level } : {}),
    ...(codec ? { codec: codec as 'deflate' | 'plz' | 'pfz' | 'dhatu' } : {}),
    ...(strategy ? { strategy } : {}),
    ...(planner ? { planner: planner as 'model' | 'trial' } : {}),
    workers,
    memory,
    force: p.values.force === true,
    signal: interruptSignal(),
    ...(bar.onProgress ? { onProgress: bar.onProgress } : {}),
  };
  const isDir = input !== '-' && (await fsp.stat(input).catch(() => undefined))?.isDirectory();
  const t0 = performance.now();
  const r = isDir ? await compressTree(input, out, opts) : await compressFile(input, out, opts);
  bar.done();
  const secs = (performance.now() - t0) / 1000;
  const ratio = r.inputBytes ? r.outputBytes / r.inputBytes : 0;
  if (out === '-' || (quiet && !json)) return 0; // the container went to stdout: nothing else may
  print(json, { input, output: out, ...r, ratio, seconds: secs },
    `${input} → ${out}: ${human(r.inputBytes)} → ${human(r.outputBytes)} (${(ratio * 100).toFixed(2)}%), ${r.records} chunks` +
      `${r.dedupBytes ? `, ${human(r.dedupBytes)} deduplicated` : ''}${isDir ? `, ${r.files} files` : ''}, ${(r.inputBytes / 1e6 / Math.max(secs, 1e-6)).toFixed(1)} MB/s\n` +
      r.skipped.map((s) => `skipped: ${s}\n`).join(''));
  return 0;
}

export async function runDecompress(p: Parsed): Promise<number> {
  const input = one(p, 'decompress');
  const json = p.values.json === true;
  let out = p.values.output as string | undefined;
  const workers = int(p, 'workers', 1, 64) ?? CLI_DEFAULT_WORKERS;
  if (input === '-') return decompressStdin(out, p.values.force === true, json);
  const manifest = await containerManifest(input);
  const kind = manifest ? manifest.root : 'stream';
  if (!out) {
    // the stored name of a one-file container, next to it (as the browser demo restores it); else IN without .pnz
    const stored = manifest?.root === 'file' ? manifest.entries[0]!.path : undefined;
    if (stored && !stored.includes('/') && stored !== '.' && stored !== '..') out = join(dirname(input), stored);
    else if (input.endsWith('.pnz')) out = input.slice(0, -4);
    else throw new PaniniError('OPTION', `cannot derive the output name from "${input}" (no .pnz suffix, no stored file name): use -o OUT`, { option: 'output' });
  }
  if (kind === 'tree' && out === '-') throw new PaniniError('OPTION', `${input} holds a tree of ${manifest!.entries.filter((e) => e.type === 'file').length} files: give -o DIR (a tree cannot go to stdout; extract IN PATH -o - writes one file)`, { option: 'output' });
  const bar = progressBar('decompress', p, out !== '-');
  const opts = { force: p.values.force === true, workers, signal: interruptSignal(), ...(bar.onProgress ? { onProgress: bar.onProgress } : {}) };
  const r = kind === 'tree' ? await extractTree(input, out, opts) : await decompressFile(input, out, opts);
  bar.done();
  if (out !== '-' && (json || p.values.quiet !== true)) print(json, r, `${input} → ${r.path}: ${human(r.outputBytes)}${kind === 'tree' ? ` in ${r.files} files` : ''}, verified (SHA-256 ${r.sha256})\n`);
  return 0;
}

export async function runExtract(p: Parsed): Promise<number> {
  if (p.positionals.length !== 2) throw new PaniniError('OPTION', `extract takes a container and a path inside it, got ${p.positionals.length} arguments`, { option: 'argv' });
  const [input, entry] = p.positionals as [string, string];
  const json = p.values.json === true;
  const out = (p.values.output as string | undefined) ?? entry.split('/').pop()!;
  const r = await extractFile(input, entry, out === '-' ? {} : { out, force: p.values.force === true });
  if (out === '-') {
    await new Promise<void>((res, rej) => process.stdout.write(r.data, (e) => (e ? rej(e) : res())));
    return 0;
  }
  const info = { path: out, entry, bytes: r.data.length, decodedBytes: r.decodedBytes, decodedRecords: r.decodedRecords };
  print(json, info, `${input}:${entry} → ${out}: ${human(r.data.length)}, verified (decoded ${r.decodedRecords} records, ${human(r.decodedBytes)})\n`);
  return 0;
}

export async function runVerify(p: Parsed): Promise<number> {
  const input = one(p, 'verify');
  const json = p.values.json === true;
  const bar = progressBar('verify', p);
  const r = await withStdinFile(input, (path) => verifyFile(path, bar.onProgress ? { onProgress: bar.onProgress } : undefined));
  bar.done();
  if (!r.ok) {
    if (json) print(true, { ok: false, code: r.error!.code, message: r.error!.message, where: r.error!.where }, '');
    throw r.error!;
  }
  print(json, r, `${input}: OK — ${human(r.originalSize!)} in ${r.records} chunks${r.files ? `, ${r.files} files` : ''}, SHA-256 ${r.sha256}\n`);
  return 0;
}

export async function runInspect(p: Parsed): Promise<number> {
  const input = one(p, 'inspect');
  const i = await withStdinFile(input, (path) => inspectFile(path));
  if (p.values.json === true) {
    const { manifest, ...rest } = i;
    const files = manifest?.entries.map((e) => ({ ...e, sha256: e.sha256 ? Buffer.from(e.sha256).toString('hex') : undefined }));
    print(true, { ...rest, root: manifest?.root ?? 'stream', files }, '');
    return 0;
  }
  const lines = [
    `container   ${input} (format v${i.version})`,
    `original    ${human(i.originalSize)} (${i.originalSize} bytes), SHA-256 ${i.sha256}`,
    `stored      ${human(i.containerSize)} (${i.containerSize} bytes), ratio ${(i.ratio * 100).toFixed(2)}%`,
    `chunks      ${i.records} (${i.dataRecords} stored, ${i.refRecords} deduplicated = ${human(i.dedupBytes)} saved)`,
    `window      ${i.dedupWindow === 0 ? 'unlimited' : human(i.dedupWindow)}`,
    `overhead    ${human(i.overheadBytes)} (headers, manifest, index, footer)`,
    'codecs:',
    ...i.codecs.map((c) => `  ${String(c.id).padStart(3)} ${codecName(c.id).padEnd(8)} ${String(c.records).padStart(7)} chunks  ${human(c.originalBytes).padStart(10)} → ${human(c.storedBytes).padStart(10)}`),
  ];
  const shareLines = (list: Inspection['shares']) => list.map((d) => `  ${d.primitive.padEnd(12)} ${(d.share * 100).toFixed(1).padStart(6)}%  ${human(d.bytes).padStart(10)}`);
  if (i.shares.length) lines.push('input:      each byte under the first primitive that re-expressed it (the shares add up to 100%)', ...shareLines(i.shares));
  if (i.dhatu.length) {
    lines.push(`coder:      ${human(i.coder.inputBytes)} coded (what the transforms left) → ${human(i.coder.storedBytes)} of dhātu payloads`);
    lines.push('handled:    bytes each primitive processed, as a share of the input (a byte may count for several)', ...shareLines(i.dhatu));
    const rf = i.reflate;
    if (rf.streams) {
      lines.push(`deflate     ${rf.streams} streams re-created on decode (${Object.entries(rf.byKind).map(([k, n]) => `${n} ${k}`).join(', ')}), ${human(rf.rawBytes)} raw stored instead`);
      for (const [k, n] of Object.entries(rf.byParams).sort((a, b) => b[1] - a[1])) lines.push(`  ${String(n).padStart(6)} by zlib ${k}`);
      if (rf.foreign) lines.push(`  ${String(rf.foreign).padStart(6)} from other encoders, with ${human(rf.correctionBytes)} of preflate corrections`);
    }
    lines.push('stages:');
    for (const st of i.stages) lines.push(`  ${st.name.padEnd(14)} ${st.dhatu.padEnd(8)} ${String(st.records).padStart(6)} records  ${human(st.bytes).padStart(10)} handled  ${human(st.paramsBytes).padStart(10)} params`);
  }
  if (i.manifest) {
    const files = i.manifest.entries.filter((e) => e.type === 'file');
    lines.push(`content     ${i.manifest.root === 'tree' ? `tree: ${files.length} files, ${i.manifest.entries.length - files.length} directories/links` : `file: ${i.manifest.entries[0]!.path}`}`);
  } else lines.push('content     a bare byte stream');
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

export async function runValidate(p: Parsed): Promise<number> {
  const original = p.values.original as string | undefined;
  const compressed = p.values.compressed as string | undefined;
  if (!original || !compressed) throw new PaniniError('OPTION', 'validate-reconstruction needs --original PATH and --compressed PNZ', { option: original ? 'compressed' : 'original' });
  const json = p.values.json === true;
  let r;
  try {
    r = await validateReconstruction(original, compressed);
  } catch (e) {
    if (e instanceof PaniniError && ['CHECKSUM', 'FORMAT', 'TRUNCATED', 'UNSUPPORTED', 'LIMIT'].includes(e.code)) {
      print(json, { ok: false, original, compressed, error: { code: e.code, message: e.message, where: e.where } }, `NOT bit-perfect: the container fails verification: ${e.message}\n`);
      return EXIT_STATUS[e.code]; // a damaged container exits as every reader does (3), not as a finding (1)
    }
    throw e;
  }
  print(json, r,
    `${r.ok ? 'BIT-PERFECT' : 'NOT bit-perfect'}: ${r.original} vs ${r.compressed} (${r.kind})\n` +
      `  size     original ${r.originalSize}, reconstructed ${r.reconstructedSize}\n` +
      `  sha256   original ${r.originalSha256}\n           rebuilt  ${r.reconstructedSha256}\n` +
      `  chunks   ${r.chunksMatching}/${r.chunks} identical\n` +
      `  files    ${r.filesMatching}/${r.files} identical\n` +
      (r.firstDifference !== null ? `  first difference at byte ${r.firstDifference}\n` : '') +
      (r.firstDifferentFile ? `  first differing file: ${r.firstDifferentFile}\n` : '') +
      r.problems.map((x) => `  problem: ${x}\n`).join(''));
  return r.ok ? 0 : 1;
}
