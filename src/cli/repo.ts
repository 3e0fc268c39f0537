// `panini-fs repo …`: the snapshot repository commands (docs/REPOSITORY.md).
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { PaniniError } from '../errors.js';
import { openStore } from '../store/open.js';
import { check, copy, diff, forget, initRepository, openRepository, prune, TIER_LEVEL, type Repository, type Secret, type Tier } from '../repo/repository.js';
import { validateSnapshot } from '../node/repo.js';
import { ReplicatedStore } from '../store/replicated.js';
import type { Store } from '../store/types.js';
import type { Snapshot } from '../repo/format.js';
import { backup, restore } from '../node/repo.js';
import { CLI_DEFAULT_WORKERS, cliDefaultMemory } from './container.js';
import { argError, numberValue } from './args.js';


type Values = Record<string, string | boolean | string[] | undefined>;

function parse(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        tag: { type: 'string', multiple: true },
        host: { type: 'string' },
        exclude: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        target: { type: 'string' },
        include: { type: 'string', multiple: true },
        force: { type: 'boolean' },
        'keep-last': { type: 'string' },
        'keep-daily': { type: 'string' },
        'keep-weekly': { type: 'string' },
        'keep-monthly': { type: 'string' },
        'dry-run': { type: 'boolean' },
        'read-data': { type: 'boolean' },
        tier: { type: 'string' },
        'no-encryption': { type: 'boolean' },
        'password-file': { type: 'string' },
        'password-file2': { type: 'string' },
        'new-password-file': { type: 'string' },
        'key-file': { type: 'string' },
        replica: { type: 'string', multiple: true },
        quorum: { type: 'string' },
        repair: { type: 'boolean' },
        every: { type: 'string' },
        workers: { type: 'string' },
        memory: { type: 'string' },
        all: { type: 'boolean' },
      },
    });
  } catch (e) {
    throw argError(e as Error, 'repo');
  }
}

async function prompt(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new PaniniError('OPTION', 'no password: set PANINI_PASSWORD, or give --password-file or --key-file', { option: 'password' });
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
  process.stderr.write(question);
  out._writeToOutput = () => undefined;
  try {
    return await new Promise<string>((res) => rl.question('', res));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

function readSecretFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new PaniniError('IO', `cannot read password file ${path}: ${(e as Error).message}`, { path });
  }
}

async function secret(v: Values, env = 'PANINI_PASSWORD', fileFlag = 'password-file', label = 'repository password'): Promise<Secret> {
  if (fileFlag === 'password-file' && typeof v['key-file'] === 'string') {
    try {
      return { keyFile: new Uint8Array(readFileSync(v['key-file'])) };
    } catch (e) {
      throw new PaniniError('IO', `cannot read key file ${v['key-file']}: ${(e as Error).message}`, { path: v['key-file'] });
    }
  }
  if (typeof v[fileFlag] === 'string') return { password: readSecretFile(v[fileFlag] as string) };
  const e = process.env[env];
  if (e) return { password: e };
  return { password: await prompt(`${label}: `) };
}

/** The stores this command opened: runRepo closes them at its end. */
const opened: Store[] = [];

/** REPO, or with --replica LOC... a ReplicatedStore of REPO and those (writes acknowledged by --quorum K, default all). */
async function openRepoStore(location: string, v: Values): Promise<Store> {
  const more = (v.replica as string[] | undefined) ?? [];
  if (more.length === 0 && v.quorum !== undefined) throw new PaniniError('OPTION', '--quorum applies with --replica', { option: 'quorum' });
  const k = int(v.quorum, 'quorum', 1, 64);
  const stores: Store[] = [];
  try {
    for (const l of [location, ...more]) stores.push(await openStore(l));
  } catch (e) {
    for (const st of stores) await st.close().catch(() => undefined);
    throw e;
  }
  // a replicated store's close waits for its background writes, then closes its replicas
  const store = more.length === 0 ? stores[0]! : new ReplicatedStore(stores, k === undefined ? {} : { writeQuorum: k });
  opened.push(store);
  return store;
}

async function openRepo(location: string | undefined, v: Values, env?: string, fileFlag?: string): Promise<Repository> {
  if (!location) throw new PaniniError('OPTION', 'missing REPO', { option: 'REPO' });
  // the destination of copy is one store: --replica names the source's (or the repository's) copies
  const store = await openRepoStore(location, fileFlag === 'password-file2' ? {} : v);
  const cfg = await store.get('config').catch(() => undefined);
  const plain = cfg !== undefined && /"encryption":"none"/.test(new TextDecoder().decode(cfg));
  return openRepository(store, plain ? {} : await secret(v, env, fileFlag));
}

/** `--every 30s|15m|1h|1d` → milliseconds (at least 1 s). */
function duration(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)(s|m|h|d)$/.exec(v);
  const ms = m ? Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'] : NaN;
  if (!(ms >= 1000 && Number.isSafeInteger(ms))) throw new PaniniError('OPTION', `--every must be a duration like 30s, 15m, 1h or 1d, got "${v}"`, { option: 'every' });
  return ms;
}

const int = (v: unknown, flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined => numberValue(v, flag, { min, max });

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const json = (x: unknown) => out(JSON.stringify(x, null, 2));
const snapJson = (s: Snapshot) => ({ id: s.id, time: s.time, host: s.host, tags: s.tags, paths: s.paths, parent: s.parent, summary: s.summary, ...(s.original ? { original: s.original } : {}) });

/** Runs a repo command; its stores are closed at the end (a replicated write finishes on every replica first). */
export async function runRepo(argv: string[]): Promise<number> {
  try {
    return await runRepoCommand(argv);
  } finally {
    for (const st of opened.splice(0)) await st.close().catch(() => undefined);
  }
}

async function runRepoCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values: v, positionals: pos } = parse(rest);
  switch (sub) {
    case 'init': {
      if (pos.length !== 1) throw new PaniniError('OPTION', 'repo init takes exactly one REPO', { option: 'REPO' });
      const tier = (v.tier ?? 'default') as Tier;
      if (!(tier in TIER_LEVEL)) throw new PaniniError('OPTION', '--tier must be fast, default or max', { option: 'tier' });
      const store = await openRepoStore(pos[0]!, v);
      const repo = await initRepository(store, v['no-encryption'] ? { encryption: 'none', tier } : { ...(await secret(v)), tier });
      out(`created repository ${repo.config.id} at ${store.location}${repo.encrypted ? '' : ' (unencrypted)'}`);
      return 0;
    }
    case 'backup': {
      const every = duration(v.every as string | undefined);
      const repo = await openRepo(pos[0], v);
      if (pos.length < 2) throw new PaniniError('OPTION', 'repo backup needs REPO and at least one PATH', { option: 'PATH' });
      const once = async () => {
        const t0 = performance.now();
        const s = await backup(repo, pos.slice(1), { tags: v.tag ?? [], host: v.host, exclude: v.exclude ?? [], workers: int(v.workers, 'workers', 1, 64) ?? CLI_DEFAULT_WORKERS, memory: numberValue(v.memory, 'memory', { sizes: true, min: 1 << 20 }) ?? cliDefaultMemory('dhatu', repo.config.level) });
        const secs = (performance.now() - t0) / 1000;
        if (v.json) out(JSON.stringify({ ...snapJson(s), seconds: secs }, null, every === undefined ? 2 : undefined));
        else out(`${every === undefined ? '' : `${new Date().toISOString()} `}snapshot ${s.id.slice(0, 8)} saved: ${s.summary.files} files, ${s.summary.bytes} bytes; read ${s.summary.filesRead} files, ${s.summary.bytesNew} new bytes in ${s.summary.chunksNew} chunks (${secs.toFixed(1)} s)`);
      };
      if (every === undefined) {
        await once();
        return 0;
      }
      // a backup every interval until SIGINT/SIGTERM; a running backup finishes first (a second signal ends it at once)
      let stop = false;
      let wake: () => void = () => {};
      const onSignal = () => {
        stop = true;
        wake();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      while (!stop) {
        const started = Date.now();
        try {
          await once();
        } catch (e) {
          // what another try cannot mend ends the schedule; a failing store or a held lock waits for the next turn
          if (!(e instanceof PaniniError) || ['OPTION', 'AUTH', 'PATH', 'FORMAT', 'UNSUPPORTED'].includes(e.code)) throw e;
          process.stderr.write(`panini-fs: backup failed (${e.code}): ${e.message}; trying again in ${v.every as string}\n`);
        }
        if (stop) break;
        await new Promise<void>((r) => {
          const t = setTimeout(r, Math.max(0, started + every - Date.now()));
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
      }
      return 0;
    }
    case 'unlock': {
      const repo = await openRepo(pos[0], v);
      const removed = await repo.unlock({ all: v.all === true });
      if (v.json) json(removed);
      else {
        for (const r of removed) out(`removed ${r.key}${r.operation ? ` (${r.operation} on ${r.host}, pid ${r.pid}, since ${new Date(r.time!).toISOString()})` : ' (unreadable)'}`);
        out(`${removed.length} lock${removed.length === 1 ? '' : 's'} removed${v.all ? '' : ' (stale ones only: --all removes live ones too)'}`);
      }
      return 0;
    }
    case 'snapshots': {
      const repo = await openRepo(pos[0], v);
      const all = await repo.snapshots();
      if (v.json) json(all.map(snapJson));
      else for (const s of all) out(`${s.id.slice(0, 8)}  ${s.time}  ${s.host}  ${s.tags.join(',') || '-'}  ${s.paths.join(' ')}`);
      return 0;
    }
    case 'ls': {
      const repo = await openRepo(pos[0], v);
      const s = await repo.findSnapshot(pos[1] ?? 'latest');
      const under = pos[2]?.replace(/^\/+|\/+$/g, '');
      const nodes = (await repo.loadTree(s)).filter((n) => !under || n.path === under || n.path.startsWith(`${under}/`));
      if (v.json) json(nodes.map(({ path, type, mode, mtime, size, sha256, target }) => ({ path, type, mode, mtime, size, sha256, target })));
      else for (const n of nodes) out(`${n.type === 'dir' ? 'd' : n.type === 'symlink' ? 'l' : '-'}${n.mode.toString(8).padStart(4, '0')} ${String(n.size).padStart(12)} ${new Date(n.mtime).toISOString()} ${n.path}${n.target ? ` -> ${n.target}` : ''}`);
      return 0;
    }
    case 'restore': {
      const repo = await openRepo(pos[0], v);
      if (typeof v.target !== 'string') throw new PaniniError('OPTION', 'repo restore needs --target DIR', { option: 'target' });
      const s = await repo.findSnapshot(pos[1] ?? 'latest');
      const t0 = performance.now();
      const r = await restore(repo, s, v.target, { include: v.include, force: v.force === true });
      const secs = (performance.now() - t0) / 1000;
      if (v.json) json({ snapshot: s.id, ...r, seconds: secs });
      else out(`restored snapshot ${s.id.slice(0, 8)}: ${r.files} files, ${r.dirs} directories, ${r.symlinks} symlinks${r.hardLinks ? `, ${r.hardLinks} hard links` : ''}, ${r.bytes} bytes, every chunk and file verified (${secs.toFixed(1)} s)`);
      return 0;
    }
    case 'diff': {
      const repo = await openRepo(pos[0], v);
      if (pos.length !== 3) throw new PaniniError('OPTION', 'repo diff takes REPO SNAP1 SNAP2', { option: 'SNAP' });
      const d = await diff(repo, await repo.findSnapshot(pos[1]!), await repo.findSnapshot(pos[2]!));
      if (v.json) json(d);
      else {
        for (const p of d.added) out(`+ ${p}`);
        for (const p of d.removed) out(`- ${p}`);
        for (const p of d.modified) out(`M ${p}`);
      }
      return 0;
    }
    case 'forget': {
      const repo = await openRepo(pos[0], v);
      const r = await forget(repo, { last: int(v['keep-last'], 'keep-last'), daily: int(v['keep-daily'], 'keep-daily'), weekly: int(v['keep-weekly'], 'keep-weekly'), monthly: int(v['keep-monthly'], 'keep-monthly'), tag: v.tag?.[0], dryRun: v['dry-run'] === true });
      if (v.json) json({ keep: r.keep.map((s) => s.id), remove: r.remove.map((s) => s.id) });
      else out(`${v['dry-run'] ? 'would remove' : 'removed'} ${r.remove.length} snapshots, kept ${r.keep.length}${r.remove.length ? `: ${r.remove.map((s) => s.id.slice(0, 8)).join(' ')}` : ''}`);
      return 0;
    }
    case 'prune': {
      const repo = await openRepo(pos[0], v);
      const r = await prune(repo);
      if (v.json) json(r);
      else out(`deleted ${r.packsDeleted} packs, repacked ${r.packsRepacked}, freed ${r.bytesFreed} bytes`);
      return 0;
    }
    case 'check': {
      const repo = await openRepo(pos[0], v);
      const r = await check(repo, { readData: v['read-data'] === true, repair: v.repair === true });
      if (v.json) json(r);
      else {
        for (const x of r.repaired ?? []) out(`repaired: ${x.key} copied to ${x.copiedTo.join(', ')}`);
        for (const p of r.problems) out(`error: ${p.message} (object ${p.object}; snapshots: ${p.snapshots.map((s) => s.slice(0, 8)).join(' ') || 'none'})`);
        out(`${r.ok ? 'no errors' : `${r.problems.length} problems`}: ${r.snapshots} snapshots, ${r.packs} packs, ${r.chunks} chunks${v['read-data'] ? `, ${r.packsRead} packs read` : ''}`);
      }
      return r.ok ? 0 : 1;
    }
    case 'copy': {
      const src = await openRepo(pos[0], v);
      const dst = await openRepo(pos[1], v, 'PANINI_PASSWORD2', 'password-file2');
      const r = await copy(src, dst, { snapshots: pos.length > 2 ? pos.slice(2) : undefined });
      if (v.json) json({ copied: r.copied.map(snapJson), skipped: r.skipped });
      else out(`copied ${r.copied.length} snapshots, skipped ${r.skipped.length} already there`);
      return 0;
    }
    case 'key': {
      const [op, location, ref] = pos;
      const repo = await openRepo(location, v);
      if (op === 'list') {
        const keys = await repo.listKeys();
        if (v.json) json(keys);
        else for (const k of keys) out(`${k.current ? '*' : ' '} ${k.id.slice(0, 8)}  ${k.created}  ${k.host}`);
        return 0;
      }
      if (op === 'add') {
        const s = await secret(v, 'PANINI_NEW_PASSWORD', 'new-password-file', 'new key password');
        out(`added key ${(await repo.addKey(s)).slice(0, 8)}`);
        return 0;
      }
      if (op === 'remove') {
        if (!ref) throw new PaniniError('OPTION', 'repo key remove needs a key id', { option: 'ID' });
        out(`removed key ${(await repo.removeKey(ref)).slice(0, 8)}`);
        return 0;
      }
      throw new PaniniError('OPTION', 'repo key takes add, list or remove', { option: 'key' });
    }
    default:
      throw new PaniniError('OPTION', `unknown repo command "${sub ?? ''}" (see panini-fs --help)`, { option: 'command' });
  }
}

/** `validate-reconstruction --original PATH --compressed REPO [--snapshot ID] [--path NAME]`: a snapshot against the original */
export async function runRepoValidate(v: Values): Promise<number> {
  const repo = await openRepo(v.compressed as string, v);
  const s = await repo.findSnapshot((v.snapshot as string | undefined) ?? 'latest');
  const r = await validateSnapshot(repo, s, v.original as string, { ...(typeof v.path === 'string' ? { path: v.path } : {}) });
  if (v.json) json(r);
  else
    out(
      `${r.ok ? 'BIT-PERFECT' : 'NOT bit-perfect'}: ${r.original} vs snapshot ${s.id.slice(0, 8)} (${r.path}) of ${v.compressed as string}\n` +
        `  files    ${r.files}, ${r.bytes} bytes, ${r.chunks} chunk reads (${r.uniqueChunks} distinct), every chunk authenticated and compared\n` +
        r.problems.map((x) => `  problem: ${x}\n`).join(''),
    );
  return r.ok ? 0 : 1;
}
