// report.md: the headline (panini-fs vs the best anchor), best-of per tool, every measurement, the setting.
import { bestPerTool, headline, items } from './analysis.mjs';
import { fmtBytes, fmtNum, fmtRatio, fmtRss, fmtSpeed } from './format.mjs';
import { countable, PANINI } from './rows.mjs';

const esc = (s) => String(s ?? '').replace(/\|/g, '\\|');
const table = (head, body) =>
  [`| ${head.join(' | ')} |`, `| ${head.map((h) => (/^(size|ratio|c |d |peak|runs|MB|×|files|orig)/i.test(h) ? '---:' : '---')).join(' | ')} |`, ...body.map((r) => `| ${r.map(esc).join(' | ')} |`)].join(
    '\n',
  );

export const label = (r) => (r ? `${r.tool} ${r.variant}` : '–');
const verifiedMark = (r) => (r.status !== 'ok' ? `FAILED: ${r.error}` : r.verified === true ? (r.verifiedScope === 'last-version' ? 'yes (last version)' : 'yes') : r.verified === false ? '**NO**' : '–');
const q = (x) => (x == null ? '–' : `${x.toFixed(3)}×`);

export function describeRun(meta) {
  const m = meta.machine;
  const g = meta.git;
  const lines = [
    `- date: ${meta.startedAt} · wall time ${meta.wallSeconds.toFixed(0)} s${meta.options.quick ? ' · **--quick** (1 run, fastest settings: a smoke run, not a measurement to quote)' : ''}`,
    `- machine: ${m.cpuModel} · ${m.cores} cores · ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB · ${m.osName ?? m.os} · load average at start ${m.loadAverageStart.map((x) => x.toFixed(2)).join(' ')}, at end ${m.loadAverageEnd.map((x) => x.toFixed(2)).join(' ')}`,
    `- panini-fs ${meta.versions['panini-fs']} · git ${g.commit ? g.commit.slice(0, 12) : '?'}${g.dirty ? ` (working tree dirty: ${g.dirtyFiles} files)` : ''} · node ${meta.versions.node} · fflate ${meta.versions.fflate} · zlib ${meta.versions.zlib} · brotli ${meta.versions.brotliLib}`,
    `- options: runs ≤ ${meta.options.runs} per measurement (median; fewer once a measurement's runs took ${meta.options.budgetS} s), threads ${meta.options.threads}${meta.options.filter ? `, filter /${meta.options.filter}/` : ''}${meta.options.sections ? `, sections ${meta.options.sections.join(',')}` : ''}`,
    `- corpus: ${meta.corpus.dir}${meta.corpus.sha256sumsDigest ? ` (SHA256SUMS digest ${meta.corpus.sha256sumsDigest.slice(0, 16)})` : ''}`,
    `- ratio = original bytes / compressed bytes (higher is better); MB/s = 10^6 bytes per second of original data; peak RSS of each measurement's own process${meta.nodeBaselineRssBytes ? ` (an idle node process: ${fmtRss(meta.nodeBaselineRssBytes)})` : ''}`,
  ];
  return lines.join('\n');
}

function headlineTable(rows) {
  const h = headline(rows);
  if (!h.length) return '_nothing measured_';
  const body = h.map((x) => [
    `${x.item}`,
    fmtBytes(x.originalBytes),
    x.panini ? x.panini.variant : x.failedPanini ? `FAILED (${x.failedPanini})` : 'not run',
    fmtRatio(x.panini?.ratio),
    fmtSpeed(x.panini?.compressMBps),
    fmtSpeed(x.panini?.decompressMBps),
    label(x.anchor),
    fmtRatio(x.anchor?.ratio),
    fmtSpeed(x.anchor?.compressMBps),
    fmtSpeed(x.anchor?.decompressMBps),
    q(x.quotient),
    x.asFast ? `${label(x.asFast)}: ${fmtRatio(x.asFast.ratio)} (${q(x.quotientAsFast)})` : '–',
  ]);
  return table(
    [
      'item',
      'size',
      'panini-fs best',
      'ratio',
      'c MB/s',
      'd MB/s',
      'best anchor',
      'ratio',
      'c MB/s',
      'd MB/s',
      '× panini/anchor ratio',
      'best anchor at ≥ panini-fs speed (×)',
    ],
    body,
  );
}

function bestOfTable(rows, section) {
  const its = items(rows, section);
  const tools = [];
  for (const it of its) for (const r of it.rows) if (!tools.includes(r.tool)) tools.push(r.tool);
  tools.sort((a, b) => (a === PANINI ? -1 : b === PANINI ? 1 : 0));
  const body = its.map((it) => {
    const best = new Map(bestPerTool(it.rows).map((r) => [r.tool, r]));
    return [it.item, ...tools.map((t) => (best.has(t) ? `${fmtRatio(best.get(t).ratio)} (${best.get(t).variant}, ${fmtSpeed(best.get(t).compressMBps)} MB/s)` : '–'))];
  });
  return table(['item', ...tools], body);
}

function detailTable(it) {
  const rows = [...it.rows].sort((a, b) => (countable(b) ? b.ratio : -1) - (countable(a) ? a.ratio : -1));
  const trees = it.itemKind === 'tree' || it.itemKind === 'versions';
  const head = ['tool', 'variant', 'size', 'ratio', 'c MB/s', 'd MB/s', 'peak RSS', 'runs c/d', 'verified'];
  const body = rows.map((r) => [
    r.tool === PANINI ? `**${r.tool}**` : r.tool,
    r.variant,
    fmtBytes(r.compressedBytes),
    fmtRatio(r.ratio),
    fmtSpeed(r.compressMBps),
    fmtSpeed(r.decompressMBps),
    fmtRss(r.peakRssBytes),
    `${r.runs ?? '–'}/${r.decompressRuns ?? '–'}`,
    verifiedMark(r),
  ]);
  const title = trees
    ? `### ${it.item} (${fmtBytes(it.originalBytes)}, ${it.rows[0].files} files${it.rows[0].versions > 1 ? `, ${it.rows[0].versions} versions` : ''})`
    : `### ${it.item} (${fmtBytes(it.originalBytes)})`;
  return `${title}\n\n${table(head, body)}`;
}

function coreTable(rows) {
  const its = items(rows, 'core');
  const body = [];
  for (const it of its) {
    const fastest = Math.max(...it.rows.map((r) => r.throughputMBps ?? 0));
    for (const r of [...it.rows].sort((a, b) => (b.throughputMBps ?? 0) - (a.throughputMBps ?? 0))) {
      body.push([it.item, r.tool === PANINI ? `**${r.tool}**` : r.tool, r.variant, r.status === 'ok' ? fmtNum(r.throughputMBps) : `FAILED: ${r.error}`, fastest && r.throughputMBps ? `${((r.throughputMBps / fastest) * 100).toFixed(0)}%` : '–', r.runs ?? '–']);
    }
  }
  return table(['operation', 'tool', 'variant', 'MB/s', 'of fastest', 'runs'], body);
}

export function renderMarkdown({ meta, rows }) {
  const out = [];
  out.push('# panini-fs benchmark', '', describeRun(meta), '');
  const sections = [...new Set(rows.map((r) => r.section))];
  const compressionSections = sections.filter((s) => s !== 'core');
  if (compressionSections.length) {
    out.push('## panini-fs vs the best anchor', '');
    out.push('Best ratio of panini-fs on each item against the best ratio of any other tool, with their speeds; the last column is the best anchor that compresses at least as fast as that panini-fs setting. Only bit-perfect round trips count.', '');
    out.push(headlineTable(rows), '');
    out.push('## Best of each tool', '', 'Best ratio of each tool on each item (its setting, its compression MB/s).', '');
    for (const s of compressionSections) {
      out.push(`### ${meta.sections.find((x) => x.name === s)?.title ?? s}`, '', bestOfTable(rows, s), '');
    }
  }
  for (const s of compressionSections) {
    out.push(`## ${meta.sections.find((x) => x.name === s)?.title ?? s}: every measurement`, '');
    for (const it of items(rows, s)) out.push(detailTable(it), '');
  }
  if (sections.includes('core')) out.push('## Core: hashing and chunking throughput', '', coreTable(rows), '');
  out.push('## Tools', '');
  out.push(
    table(
      ['tool', 'version', 'path'],
      Object.entries(meta.tools).map(([k, v]) => [k, v.version ?? (v.path ? '?' : 'not installed: skipped'), v.path ?? '–']),
    ),
    '',
  );
  const cmds = new Map();
  for (const r of rows) if (r.command && !cmds.has(`${r.tool} ${r.variant}`)) cmds.set(`${r.tool} ${r.variant}`, r.command);
  if (cmds.size) {
    out.push('Command lines (compression):', '');
    for (const [k, v] of cmds) out.push(`- ${k}: \`${v}\``);
    out.push('');
  }
  const failed = rows.filter((r) => r.status !== 'ok' || r.verified === false);
  if (meta.notes.length || failed.length) {
    out.push('## Notes', '');
    for (const n of meta.notes) out.push(`- ${n}`);
    for (const r of failed) out.push(`- ${r.key}: ${r.status !== 'ok' ? `failed: ${r.error}` : 'round trip NOT bit-perfect: not counted'}`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
