// Section "trees": whole directories. Each corpus/tree/NAME is one item; corpus/versions/* together is the item
// "versions": panini-fs and tar+compressor take the versions folder as one tree, the backup tools (zpaq, borg,
// restic) add the versions to one repository one after the other, in order, as a user would, and the repository's
// size on disk at the end is their compressed size. Files of a package tarball all carry the same mtime, so the
// tools are told to read every file whatever its date (zpaq -force, restic --force, borg --files-cache=disabled):
// otherwise a changed file with an unchanged date and size is taken as unchanged. Round trips: panini-fs and tar extract everything and the
// result is compared file by file (SHA-256); the backup tools restore the last version, which is compared.
import { mkdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { runNodeWorker } from '../lib/child.mjs';
import { makeRow, PANINI } from '../lib/rows.mjs';
import { runChecked } from '../lib/tools.mjs';
import { errorMessage, repeat, rmrf, sameTree, treeBytes } from '../lib/util.mjs';
import { PANINI_WORKER } from './single.mjs';

function paniniTreeVariants(threads, codecs = []) {
  const v = (level, quick = false, codec = null) => ({
    variant: `L${level} cdc${codec ? ` ${codec}` : ''}`,
    options: { level, strategy: 'cdc', workers: threads, ...(codec ? { codec } : {}) },
    quick,
  });
  const out = [v(1, true), v(6), v(9)];
  if (codecs.includes('plz')) out.push(v(6, false, 'plz'), v(9, false, 'plz'));
  if (codecs.includes('dhatu')) out.push(v(1, true, 'dhatu'), v(6, false, 'dhatu'), v(9, false, 'dhatu'));
  return out;
}

function tarCreateArgs(ctx, root) {
  const det = ctx.gnuTar ? ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0'] : [];
  return ['-c', ...det, '-f', '-', '-C', dirname(root), basename(root)];
}

const sh = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

function tarVariants(threads) {
  return [
    {
      tool: 'tar+zstd',
      needs: ['tar', 'zstd'],
      variants: [
        { variant: '-3', c: `zstd -q -c -3 -T${threads}`, quick: true },
        { variant: '-19 --long=27', c: `zstd -q -c -19 --long=27 -T${threads}` },
      ],
      d: 'zstd -d -q -c --memory=2048MB',
    },
    {
      tool: 'tar+xz',
      needs: ['tar', 'xz'],
      variants: [{ variant: '-9e', c: `xz -c -9e -T${threads}`, quick: true }],
      d: 'xz -d -c',
    },
  ];
}

/** Backup tools: init(repo), add(repo, versionDir, i), restore(repo, outDir, lastIndex). */
function backupTools(ctx) {
  const T = String(ctx.threads);
  const tmp = ctx.tmp;
  const borgEnv = {
    ...process.env,
    BORG_BASE_DIR: join(tmp, 'borg-home'),
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
    BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
    BORG_PASSPHRASE: '',
  };
  const resticEnv = {
    ...process.env,
    RESTIC_PASSWORD: 'panini-bench',
    RESTIC_CACHE_DIR: join(tmp, 'restic-cache'),
    GOMAXPROCS: T,
  };
  return [
    {
      tool: 'zpaq',
      variants: [
        { variant: '-method 1', m: '1', quick: true },
        { variant: '-method 3', m: '3' },
      ],
      threads: true,
      init: async () => {},
      add: (v, repo, dir) => runChecked(ctx.tools.zpaq, ['add', join(repo, 'a.zpaq'), '.', '-method', v.m, '-threads', T, '-force'], { cwd: dir }),
      restore: (v, repo, out) => runChecked(ctx.tools.zpaq, ['extract', join(repo, 'a.zpaq'), '-to', out, '-threads', T]),
      command: (v) => `cd VERSION && zpaq add REPO/a.zpaq . -method ${v.m} -threads ${T} -force`,
    },
    {
      tool: 'borg',
      variants: [
        { variant: 'zstd,3', c: 'zstd,3', quick: true },
        { variant: 'lzma,9', c: 'lzma,9' },
      ],
      threads: false,
      init: (v, repo) => runChecked(ctx.tools.borg, ['init', '--encryption=none', repo], { env: borgEnv }),
      add: (v, repo, dir, i) =>
        runChecked(ctx.tools.borg, ['create', '--compression', v.c, '--files-cache=disabled', `${repo}::v${i}`, '.'], {
          cwd: dir,
          env: borgEnv,
        }),
      restore: (v, repo, out, i) => runChecked(ctx.tools.borg, ['extract', `${repo}::v${i}`], { cwd: out, env: borgEnv }),
      command: (v) => `borg init --encryption=none REPO; cd VERSION && borg create --compression ${v.c} --files-cache=disabled REPO::vN .`,
    },
    {
      tool: 'restic',
      variants: [
        { variant: '--compression auto', c: 'auto', quick: true },
        { variant: '--compression max', c: 'max' },
      ],
      threads: true,
      init: (v, repo) => runChecked(ctx.tools.restic, ['init', '--repo', repo, '--repository-version', '2'], { env: resticEnv }),
      add: (v, repo, dir) =>
        runChecked(ctx.tools.restic, ['--repo', repo, 'backup', '--compression', v.c, '--force', '--host', 'bench', '--quiet', '.'], {
          cwd: dir,
          env: resticEnv,
        }),
      restore: (v, repo, out) =>
        runChecked(ctx.tools.restic, ['--repo', repo, 'restore', 'latest', '--target', out, '--quiet'], { env: resticEnv }),
      command: (v) => `restic init --repository-version 2; cd VERSION && restic backup --compression ${v.c} --force . (GOMAXPROCS=${T})`,
    },
  ];
}

const maxRss = (a, b) => (b == null ? a : Math.max(a ?? 0, b));

async function measurePanini(ctx, base, item, v) {
  const packed = join(ctx.tmp, 'tree.pnz');
  const out = join(ctx.tmp, 'tree-out');
  const common = { options: v.options, runs: ctx.runs, budgetS: ctx.budgetS };
  try {
    const c = await runNodeWorker(PANINI_WORKER, { op: 'compressTree', input: item.root, output: packed, ...common });
    if (!c.ok) throw new Error(`compressTree: ${c.error}`);
    const d = await runNodeWorker(PANINI_WORKER, { op: 'extractTree', input: packed, output: out, original: item.root, ...common, options: { workers: ctx.threads } });
    if (!d.ok) throw new Error(`extractTree: ${d.error}`);
    return makeRow({
      ...base,
      compressedBytes: c.bytesOut,
      compressTimes: c.times,
      decompressTimes: d.times,
      compressPeakRssBytes: c.peakRssBytes,
      decompressPeakRssBytes: d.peakRssBytes,
      verified: d.verified === true,
      verifiedScope: 'tree',
    });
  } catch (e) {
    return makeRow({ ...base, error: errorMessage(e) });
  } finally {
    await rmrf(packed);
    await rmrf(out);
  }
}

async function measureTar(ctx, base, item, t, v) {
  const packed = join(ctx.tmp, 'tree.tar.x');
  const out = join(ctx.tmp, 'tree-out');
  const tarC = ['tar', ...tarCreateArgs(ctx, item.root)].map(sh).join(' ');
  const cLine = `${tarC} | ${v.c}`;
  const dLine = `${t.d} ${sh(packed)} | tar -x -f - -C ${sh(out)}`;
  let cRss = null;
  let dRss = null;
  try {
    const cTimes = await repeat(ctx.runs, ctx.budgetS, async () => {
      const r = await runChecked('bash', ['-o', 'pipefail', '-c', cLine], { stdout: packed });
      cRss = maxRss(cRss, r.peakRssBytes);
      return r.seconds;
    });
    const { size } = await stat(packed);
    const dTimes = await repeat(ctx.runs, ctx.budgetS, async () => {
      await rmrf(out);
      await mkdir(out, { recursive: true });
      const r = await runChecked('bash', ['-o', 'pipefail', '-c', dLine]);
      dRss = maxRss(dRss, r.peakRssBytes);
      return r.seconds;
    });
    const verified = await sameTree(item.root, join(out, basename(item.root)));
    return makeRow({
      ...base,
      compressedBytes: size,
      compressTimes: cTimes,
      decompressTimes: dTimes,
      compressPeakRssBytes: cRss,
      decompressPeakRssBytes: dRss,
      verified,
      verifiedScope: 'tree',
      command: `tar ${tarCreateArgs(ctx, 'DIR').join(' ')} | ${v.c}`,
    });
  } catch (e) {
    return makeRow({ ...base, error: errorMessage(e) });
  } finally {
    await rmrf(packed);
    await rmrf(out);
  }
}

async function measureBackup(ctx, base, item, b, v) {
  const repo = join(ctx.tmp, 'repo');
  const out = join(ctx.tmp, 'restore-out');
  const last = item.versions.length - 1;
  let cRss = null;
  let dRss = null;
  let size = null;
  try {
    const cTimes = await repeat(ctx.runs, ctx.budgetS, async () => {
      await rmrf(repo);
      await rmrf(join(ctx.tmp, 'borg-home'));
      await rmrf(join(ctx.tmp, 'restic-cache'));
      await mkdir(repo, { recursive: true });
      let seconds = 0;
      if (b.tool !== 'zpaq') await rmrf(repo); // borg and restic want to create the folder themselves
      const r0 = await b.init(v, repo);
      if (r0) seconds += r0.seconds;
      for (let i = 0; i < item.versions.length; i++) {
        const r = await b.add(v, repo, item.versions[i].path, i);
        seconds += r.seconds;
        cRss = maxRss(cRss, r.peakRssBytes);
      }
      size = await treeBytes(repo);
      return seconds;
    });
    const dTimes = await repeat(ctx.runs, ctx.budgetS, async () => {
      await rmrf(out);
      await mkdir(out, { recursive: true });
      const r = await b.restore(v, repo, out, last);
      dRss = maxRss(dRss, r.peakRssBytes);
      return r.seconds;
    });
    const verified = await sameTree(item.versions[last].path, out);
    return makeRow({
      ...base,
      compressedBytes: size,
      compressTimes: cTimes,
      decompressTimes: dTimes,
      compressPeakRssBytes: cRss,
      decompressPeakRssBytes: dRss,
      restoredBytes: item.versions[last].bytes,
      verified,
      verifiedScope: item.versions.length > 1 ? 'last-version' : 'tree',
      command: b.command(v),
    });
  } catch (e) {
    return makeRow({ ...base, error: errorMessage(e) });
  } finally {
    await rmrf(repo);
    await rmrf(out);
  }
}

export default {
  name: 'trees',
  title: 'Trees and version series',
  async run(ctx) {
    const rows = [];
    const items = [];
    for (const t of ctx.corpus.trees) {
      items.push({ item: `tree/${t.name}`, itemKind: 'tree', root: t.path, versions: [t], bytes: t.bytes, files: t.files });
    }
    if (ctx.corpus.versions.length > 0) {
      const vs = ctx.corpus.versions;
      items.push({
        item: 'versions',
        itemKind: 'versions',
        root: ctx.corpus.versionsDir,
        versions: vs,
        bytes: vs.reduce((n, v) => n + v.bytes, 0),
        files: vs.reduce((n, v) => n + v.files, 0),
      });
    }
    if (items.length === 0) ctx.note('trees: the corpus has no tree/ or versions/ folders');
    const panini = await ctx.panini();
    for (const item of items) {
      const base = {
        section: 'trees',
        item: item.item,
        itemKind: item.itemKind,
        originalBytes: item.bytes,
        files: item.files,
        versions: item.versions.length,
      };
      const jobs = [];
      if (panini.tree) {
        for (const v of paniniTreeVariants(ctx.threads, panini.codecs)) {
          if (ctx.quick && !v.quick) continue;
          jobs.push({ base: { ...base, tool: PANINI, variant: v.variant, threads: ctx.threads }, run: (b) => measurePanini(ctx, b, item, v) });
        }
      }
      for (const t of tarVariants(ctx.threads)) {
        if (!t.needs.every((n) => ctx.tools[n])) continue;
        for (const v of t.variants) {
          if (ctx.quick && !v.quick) continue;
          jobs.push({ base: { ...base, tool: t.tool, variant: v.variant, threads: ctx.threads }, run: (b) => measureTar(ctx, b, item, t, v) });
        }
      }
      for (const bt of backupTools(ctx)) {
        if (!ctx.tools[bt.tool]) continue;
        for (const v of bt.variants) {
          if (ctx.quick && !v.quick) continue;
          jobs.push({
            base: { ...base, tool: bt.tool, variant: v.variant, threads: bt.threads ? ctx.threads : null },
            run: (b) => measureBackup(ctx, b, item, bt, v),
          });
        }
      }
      for (const job of jobs) {
        if (!ctx.want(`trees/${item.item}/${job.base.tool}/${job.base.variant}`)) continue;
        const row = await job.run(job.base);
        ctx.report(row);
        rows.push(row);
      }
    }
    return rows;
  },
};
