// report.html: one self-contained page (inline SVG, CSS and a little JS; nothing fetched) that opens from disk.
// Per item a ratio-vs-compression-speed chart (x: MB/s, log scale; y: ratio), every point labelled, the Pareto front
// drawn, then the tables of report.md.
import { bestPerTool, headline, items, paretoFront } from './analysis.mjs';
import { fmtBytes, fmtNum, fmtRatio, fmtRss, fmtSpeed } from './format.mjs';
import { countable, PANINI } from './rows.mjs';

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const PALETTE = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#ff7f0e', '#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173'];
const PANINI_COLOR = '#d62728';

function colorMap(rows) {
  const m = new Map([[PANINI, PANINI_COLOR]]);
  for (const r of rows) if (!m.has(r.tool)) m.set(r.tool, PALETTE[(m.size - 1) % PALETTE.length]);
  return m;
}

function niceStep(span, target) {
  const raw = span / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

const textWidth = (s, size = 11) => s.length * size * 0.58;

/** The chart of one item, as an SVG string. */
export function chartSvg(it, colors, { width = 760, height = 430 } = {}) {
  const pts = it.rows.filter((r) => countable(r) && r.compressMBps > 0);
  if (pts.length === 0) return '<p class="muted">no measured points</p>';
  const M = { l: 62, r: 24, t: 22, b: 48 };
  const W = width - M.l - M.r;
  const H = height - M.t - M.b;
  const lx = pts.map((r) => Math.log10(r.compressMBps));
  let x0 = Math.floor(Math.min(...lx) - 0.05);
  let x1 = Math.ceil(Math.max(...lx) + 0.05);
  if (x1 - x0 < 1) x1 = x0 + 1;
  const rs = pts.map((r) => r.ratio);
  const span = Math.max(...rs) - Math.min(...rs) || Math.max(...rs) * 0.2 || 1;
  const step = niceStep(span * 1.2, 6);
  const y0 = Math.max(0, Math.floor((Math.min(...rs) - span * 0.08) / step) * step);
  const y1 = Math.ceil((Math.max(...rs) + span * 0.1) / step) * step;
  const X = (v) => M.l + ((Math.log10(v) - x0) / (x1 - x0)) * W;
  const Y = (v) => M.t + H - ((v - y0) / (y1 - y0)) * H;
  const s = [];
  s.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(it.item)}: ratio against compression speed">`);
  s.push(`<rect x="${M.l}" y="${M.t}" width="${W}" height="${H}" class="plot"/>`);
  // x grid: 1, 2, 5 per decade
  for (let d = x0; d <= x1; d++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** d;
      const lv = Math.log10(v);
      if (lv < x0 - 1e-9 || lv > x1 + 1e-9) continue;
      const x = X(v).toFixed(1);
      s.push(`<line x1="${x}" x2="${x}" y1="${M.t}" y2="${M.t + H}" class="${m === 1 ? 'grid major' : 'grid'}"/>`);
      s.push(`<text x="${x}" y="${M.t + H + 16}" class="tick" text-anchor="middle">${fmtNum(v)}</text>`);
    }
  }
  for (let v = y0; v <= y1 + step / 1e6; v += step) {
    const y = Y(v).toFixed(1);
    s.push(`<line x1="${M.l}" x2="${M.l + W}" y1="${y}" y2="${y}" class="grid"/>`);
    s.push(`<text x="${M.l - 6}" y="${(+y + 4).toFixed(1)}" class="tick" text-anchor="end">${fmtRatio(Number(v.toPrecision(6)))}</text>`);
  }
  s.push(`<text x="${M.l + W / 2}" y="${height - 10}" class="axis" text-anchor="middle">compression speed, MB/s (log scale) →</text>`);
  s.push(`<text transform="translate(16 ${M.t + H / 2}) rotate(-90)" class="axis" text-anchor="middle">ratio (original / compressed) →</text>`);
  // Pareto front
  const front = paretoFront(pts);
  if (front.length > 1) {
    const path = front.map((r, i) => `${i ? 'L' : 'M'}${X(r.compressMBps).toFixed(1)},${Y(r.ratio).toFixed(1)}`).join(' ');
    s.push(`<path d="${path}" class="front"><title>Pareto front: no other point is both faster and smaller</title></path>`);
  }
  // points, then labels placed greedily where they overlap nothing placed before
  const placed = [];
  const boxes = pts.map((r) => ({ x: X(r.compressMBps) - 5, y: Y(r.ratio) - 5, w: 10, h: 10 }));
  const overlaps = (b) => [...placed, ...boxes].some((o) => b.x < o.x + o.w && o.x < b.x + b.w && b.y < o.y + o.h && o.y < b.y + b.h);
  const inside = (b) => b.x >= M.l && b.x + b.w <= M.l + W && b.y >= M.t && b.y + b.h <= M.t + H;
  const onFront = new Set(front);
  const order = [...pts].sort((a, b) => (a.tool === PANINI ? -1 : b.tool === PANINI ? 1 : 0) || (onFront.has(b) ? 1 : 0) - (onFront.has(a) ? 1 : 0));
  const labels = [];
  for (const r of order) {
    const px = X(r.compressMBps);
    const py = Y(r.ratio);
    const text = `${r.tool} ${r.variant}`;
    const w = textWidth(text);
    const h = 12;
    const cands = [
      [8, -4],
      [-8 - w, -4],
      [8, 12],
      [-8 - w, 12],
      [-w / 2, -10],
      [-w / 2, 20],
      [8, -16],
      [-8 - w, -16],
      [8, 24],
      [-8 - w, 24],
      [-w / 2, -22],
      [-w / 2, 32],
    ];
    let pick = null;
    for (const [dx, dy] of cands) {
      const b = { x: px + dx, y: py + dy - h + 2, w, h };
      if (inside(b) && !overlaps(b)) {
        pick = { dx, dy, b };
        break;
      }
    }
    const leader = !pick;
    if (!pick) {
      // no free spot nearby: go further out along the vertical, with a leader line
      for (let k = 3; k < 12 && !pick; k++) {
        for (const sgn of [-1, 1]) {
          const dy = sgn * 12 * k;
          const dx = px + 8 + w > M.l + W ? -8 - w : 8;
          const b = { x: px + dx, y: py + dy - h + 2, w, h };
          if (inside(b) && !overlaps(b)) {
            pick = { dx, dy, b };
            break;
          }
        }
      }
    }
    pick ??= { dx: 8, dy: -4, b: { x: px + 8, y: py - 14, w, h } };
    placed.push(pick.b);
    labels.push({ r, px, py, text, pick, leader });
  }
  for (const r of pts) {
    const x = X(r.compressMBps).toFixed(1);
    const y = Y(r.ratio).toFixed(1);
    const c = colors.get(r.tool);
    const tip = `${r.tool} ${r.variant}\nratio ${fmtRatio(r.ratio)} · ${fmtBytes(r.compressedBytes)}\ncompress ${fmtSpeed(r.compressMBps)} MB/s · decompress ${fmtSpeed(r.decompressMBps)} MB/s\npeak RSS ${fmtRss(r.peakRssBytes)}`;
    if (r.tool === PANINI) {
      s.push(`<path d="M${x},${(+y - 7).toFixed(1)} l7,7 l-7,7 l-7,-7 z" fill="${c}" stroke="#fff" stroke-width="1"><title>${esc(tip)}</title></path>`);
    } else {
      s.push(`<circle cx="${x}" cy="${y}" r="4.5" fill="${c}" stroke="#fff" stroke-width="1"><title>${esc(tip)}</title></circle>`);
    }
  }
  for (const l of labels) {
    const c = colors.get(l.r.tool);
    if (l.leader) s.push(`<line x1="${l.px.toFixed(1)}" y1="${l.py.toFixed(1)}" x2="${(l.pick.b.x + (l.pick.dx < 0 ? l.pick.b.w : 0)).toFixed(1)}" y2="${(l.pick.b.y + 6).toFixed(1)}" stroke="${c}" stroke-width="0.6" opacity="0.6"/>`);
    s.push(`<text x="${l.pick.b.x.toFixed(1)}" y="${(l.pick.b.y + l.pick.b.h - 2).toFixed(1)}" class="lbl${l.r.tool === PANINI ? ' pn' : ''}" fill="${c}">${esc(l.text)}</text>`);
  }
  s.push('</svg>');
  return s.join('\n');
}

function htmlTable(head, body, { numeric = [] } = {}) {
  const th = head.map((h, i) => `<th${numeric.includes(i) ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const trs = body
    .map((row) => `<tr${row.cls ? ` class="${row.cls}"` : ''}>${row.cells.map((c, i) => `<td${numeric.includes(i) ? ' class="num"' : ''}${c && typeof c === 'object' && 'sort' in c ? ` data-sort="${esc(c.sort)}"` : ''}>${c && typeof c === 'object' ? c.html : esc(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table class="sortable"><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

const num = (v, f) => ({ html: esc(f(v)), sort: v ?? '' });
const toolCell = (r, colors) => ({ html: `<span class="sw" style="background:${colors.get(r.tool)}"></span>${r.tool === PANINI ? `<b>${esc(r.tool)}</b>` : esc(r.tool)}`, sort: r.tool });
const verifiedCell = (r) =>
  r.status !== 'ok' ? { html: `<span class="bad">failed</span> <small>${esc(r.error)}</small>`, sort: 0 } : r.verified === true ? { html: r.verifiedScope === 'last-version' ? '✔ last version' : '✔', sort: 2 } : r.verified === false ? { html: '<span class="bad">✘ not bit-perfect</span>', sort: 0 } : { html: '–', sort: 1 };

function detailTable(it, colors) {
  const rows = [...it.rows].sort((a, b) => (countable(b) ? b.ratio : -1) - (countable(a) ? a.ratio : -1));
  return htmlTable(
    ['tool', 'variant', 'size', 'ratio', 'compress MB/s', 'decompress MB/s', 'peak RSS', 'runs c/d', 'verified'],
    rows.map((r) => ({
      cls: r.tool === PANINI ? 'pn' : '',
      cells: [
        toolCell(r, colors),
        r.variant,
        num(r.compressedBytes, fmtBytes),
        num(r.ratio, fmtRatio),
        num(r.compressMBps, fmtSpeed),
        num(r.decompressMBps, fmtSpeed),
        num(r.peakRssBytes, fmtRss),
        `${r.runs ?? '–'}/${r.decompressRuns ?? '–'}`,
        verifiedCell(r),
      ],
    })),
    { numeric: [2, 3, 4, 5, 6] },
  );
}

function headlineTable(rows, colors) {
  const q = (x) => (x == null ? '–' : `${x.toFixed(3)}×`);
  const lab = (r) => (r ? { html: `<span class="sw" style="background:${colors.get(r.tool)}"></span>${esc(`${r.tool} ${r.variant}`)}`, sort: r.tool } : '–');
  return htmlTable(
    ['item', 'size', 'panini-fs best', 'ratio', 'c MB/s', 'd MB/s', 'best anchor', 'ratio', 'c MB/s', 'd MB/s', 'panini / anchor ratio', 'best anchor at ≥ panini-fs speed', 'ratio', 'panini / it'],
    headline(rows).map((x) => ({
      cells: [
        { html: `<a href="#${esc(anchorId(x))}">${esc(x.item)}</a>`, sort: x.item },
        num(x.originalBytes, fmtBytes),
        x.panini ? x.panini.variant : x.failedPanini ? { html: '<span class="bad">failed</span>', sort: '' } : 'not run',
        num(x.panini?.ratio, fmtRatio),
        num(x.panini?.compressMBps, fmtSpeed),
        num(x.panini?.decompressMBps, fmtSpeed),
        lab(x.anchor),
        num(x.anchor?.ratio, fmtRatio),
        num(x.anchor?.compressMBps, fmtSpeed),
        num(x.anchor?.decompressMBps, fmtSpeed),
        { html: `<b class="${x.quotient == null ? '' : x.quotient >= 1 ? 'good' : 'bad'}">${q(x.quotient)}</b>`, sort: x.quotient ?? '' },
        lab(x.asFast),
        num(x.asFast?.ratio, fmtRatio),
        { html: `<span class="${x.quotientAsFast == null ? '' : x.quotientAsFast >= 1 ? 'good' : 'bad'}">${q(x.quotientAsFast)}</span>`, sort: x.quotientAsFast ?? '' },
      ],
    })),
    { numeric: [1, 3, 4, 5, 7, 8, 9, 10, 12, 13] },
  );
}

function bestOfTable(rows, section, colors) {
  const its = items(rows, section);
  const tools = [];
  for (const it of its) for (const r of it.rows) if (!tools.includes(r.tool)) tools.push(r.tool);
  tools.sort((a, b) => (a === PANINI ? -1 : b === PANINI ? 1 : 0));
  return htmlTable(
    ['item', ...tools],
    its.map((it) => {
      const best = new Map(bestPerTool(it.rows).map((r) => [r.tool, r]));
      const top = Math.max(...[...best.values()].map((r) => r.ratio));
      return {
        cells: [
          it.item,
          ...tools.map((t) => {
            const r = best.get(t);
            if (!r) return '–';
            return { html: `<span class="${r.ratio === top ? 'top' : ''}">${esc(fmtRatio(r.ratio))}</span> <small>${esc(r.variant)} · ${esc(fmtSpeed(r.compressMBps))} MB/s</small>`, sort: r.ratio };
          }),
        ],
      };
    }),
    { numeric: tools.map((_, i) => i + 1) },
  );
}

function coreTable(rows, colors) {
  const body = [];
  for (const it of items(rows, 'core')) {
    const fastest = Math.max(...it.rows.map((r) => r.throughputMBps ?? 0));
    for (const r of [...it.rows].sort((a, b) => (b.throughputMBps ?? 0) - (a.throughputMBps ?? 0))) {
      const pct = fastest && r.throughputMBps ? r.throughputMBps / fastest : 0;
      body.push({
        cls: r.tool === PANINI ? 'pn' : '',
        cells: [
          it.item,
          toolCell(r, colors),
          r.variant,
          r.status === 'ok' ? num(r.throughputMBps, fmtNum) : { html: `<span class="bad">failed</span> ${esc(r.error)}`, sort: 0 },
          { html: `<span class="bar" style="width:${(pct * 160).toFixed(0)}px;background:${colors.get(r.tool)}"></span> ${(pct * 100).toFixed(0)}%`, sort: pct },
          r.runs ?? '–',
        ],
      });
    }
  }
  return htmlTable(['operation', 'tool', 'variant', 'MB/s', 'of fastest', 'runs'], body, { numeric: [3, 5] });
}

const shortVersion = (v) => (v ? (/v?(\d+\.\d+(?:\.\d+)?)/.exec(v)?.[1] ?? v) : '?');

const anchorId = (it) => `item-${it.section}-${it.item}`.replace(/[^A-Za-z0-9_.-]+/g, '-');

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1b1f24;background:#fafafa}
main{max-width:1280px;margin:0 auto;padding:20px 28px 60px}
h1{font-size:24px;margin:8px 0 6px}h2{font-size:19px;margin:34px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:16px;margin:22px 0 6px}
ul.meta{margin:6px 0 0;padding-left:18px;color:#444}ul.meta li{margin:1px 0}
.quick{background:#fff3cd;border:1px solid #e0c36a;padding:6px 10px;border-radius:4px;display:inline-block;margin-top:8px}
table{border-collapse:collapse;margin:6px 0 12px;background:#fff;font-size:13px}
th,td{border:1px solid #d8dce0;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#eef1f4;cursor:pointer;user-select:none;white-space:nowrap}th:hover{background:#e1e6ea}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.pn td{background:#fff5f5}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.bar{display:inline-block;height:9px;border-radius:2px;vertical-align:0}
.bad{color:#b00020;font-weight:600}.good{color:#137333}.top{font-weight:700}
small{color:#555}.muted{color:#777}
.item{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
.chart{background:#fff;border:1px solid #d8dce0;border-radius:4px;padding:4px}
svg .plot{fill:#fff;stroke:#bbb}svg .grid{stroke:#eceff2;stroke-width:1}svg .grid.major{stroke:#d5d9de}
svg .tick{font-size:11px;fill:#555}svg .axis{font-size:12px;fill:#333}
svg .front{fill:none;stroke:#444;stroke-width:1.3;stroke-dasharray:5 4;opacity:.75}
svg .lbl{font-size:11px;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}svg .lbl.pn{font-weight:700}
.legend{font-size:12px;margin:2px 0 0}.legend span{margin-right:12px;white-space:nowrap}
code{background:#f0f2f4;padding:0 3px;border-radius:3px}
`;

const JS = `
document.querySelectorAll('table.sortable').forEach(function(t){
  t.querySelectorAll('th').forEach(function(th,i){
    th.addEventListener('click',function(){
      var tb=t.tBodies[0],rows=[].slice.call(tb.rows),asc=th.dataset.dir!=='asc';
      t.querySelectorAll('th').forEach(function(h){delete h.dataset.dir});th.dataset.dir=asc?'asc':'desc';
      var key=function(r){var c=r.cells[i];var s=c.dataset.sort!==undefined?c.dataset.sort:c.textContent;var n=parseFloat(s);return s!==''&&!isNaN(n)&&/^[-0-9.e+]+$/i.test(s)?n:s.toLowerCase()};
      rows.sort(function(a,b){var x=key(a),y=key(b);if(x===y)return 0;var o=(typeof x===typeof y)?(x<y?-1:1):(typeof x==='number'?-1:1);return asc?o:-o});
      rows.forEach(function(r){tb.appendChild(r)});
    });
  });
});
`;

export function renderHtml({ meta, rows }) {
  const colors = colorMap(rows);
  const m = meta.machine;
  const g = meta.git;
  const out = [];
  out.push('<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">');
  out.push(`<title>panini-fs benchmark ${esc(meta.startedAt.slice(0, 10))}</title><style>${CSS}</style></head><body><main>`);
  out.push('<h1>panini-fs benchmark</h1><ul class="meta">');
  out.push(`<li>${esc(meta.startedAt)} · wall time ${meta.wallSeconds.toFixed(0)} s · git <code>${esc(g.commit ? g.commit.slice(0, 12) : '?')}</code>${g.dirty ? ` (dirty: ${g.dirtyFiles} files)` : ''} · panini-fs ${esc(meta.versions['panini-fs'])}</li>`);
  out.push(`<li>${esc(m.cpuModel)} · ${m.cores} cores · ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB · ${esc(m.osName ?? m.os)} · load ${esc(m.loadAverageStart.map((x) => x.toFixed(2)).join(' '))} → ${esc(m.loadAverageEnd.map((x) => x.toFixed(2)).join(' '))}</li>`);
  out.push(`<li>node ${esc(meta.versions.node)} · fflate ${esc(meta.versions.fflate)} · zlib ${esc(meta.versions.zlib)} · ${Object.entries(meta.tools).filter(([, v]) => v.path).map(([k, v]) => `${esc(k)} ${esc(shortVersion(v.version))}`).join(' · ')}</li>`);
  out.push(`<li>runs ≤ ${meta.options.runs} (median; fewer once a measurement's runs took ${meta.options.budgetS} s) · threads ${meta.options.threads}${meta.options.filter ? ` · filter <code>${esc(meta.options.filter)}</code>` : ''} · corpus <code>${esc(meta.corpus.dir)}</code></li>`);
  out.push('<li>ratio = original / compressed (higher is better) · MB/s = 10<sup>6</sup> bytes of original data per second · only bit-perfect round trips are plotted or ranked</li></ul>');
  if (meta.options.quick) out.push('<div class="quick"><b>--quick</b>: one run, fastest settings only: a smoke run, not numbers to quote.</div>');
  if (meta.skippedTools.length) out.push(`<p class="muted">Not installed, skipped: ${esc(meta.skippedTools.join(', '))}.</p>`);

  const sections = [...new Set(rows.map((r) => r.section))];
  const comp = sections.filter((s) => s !== 'core');
  const title = (s) => meta.sections.find((x) => x.name === s)?.title ?? s;
  if (comp.length) {
    out.push('<h2>panini-fs vs the best anchor</h2>');
    out.push('<p>Best ratio of panini-fs on each item against the best ratio of any other tool, with speeds; on the right, the best anchor that compresses at least as fast as that panini-fs setting.</p>');
    out.push(headlineTable(rows, colors));
    out.push('<h2>Best of each tool</h2><p>Best ratio of each tool on each item (its setting, its compression MB/s); the item\'s best in bold.</p>');
    for (const s of comp) out.push(`<h3>${esc(title(s))}</h3>`, bestOfTable(rows, s, colors));
  }
  for (const s of comp) {
    out.push(`<h2>${esc(title(s))}</h2>`);
    for (const it of items(rows, s)) {
      const first = it.rows[0];
      const extra = it.itemKind === 'file' ? '' : `, ${first.files} files${first.versions > 1 ? `, ${first.versions} versions` : ''}`;
      const tools = [...new Set(it.rows.map((r) => r.tool))];
      out.push(`<h3 id="${esc(anchorId(it))}">${esc(it.item)} <small>(${esc(fmtBytes(it.originalBytes))}${esc(extra)})</small></h3>`);
      out.push('<div class="item"><div class="chart">', chartSvg(it, colors));
      out.push(`<div class="legend">${tools.map((t) => `<span><span class="sw" style="background:${colors.get(t)}"></span>${esc(t)}</span>`).join('')}<span>- - Pareto front</span></div></div>`);
      out.push(`<div>${detailTable(it, colors)}</div></div>`);
    }
  }
  if (sections.includes('core')) out.push('<h2>Core: hashing and chunking throughput</h2>', coreTable(rows, colors));
  const failed = rows.filter((r) => r.status !== 'ok' || r.verified === false);
  if (meta.notes.length || failed.length) {
    out.push('<h2>Notes</h2><ul>');
    for (const n of meta.notes) out.push(`<li>${esc(n)}</li>`);
    for (const r of failed) out.push(`<li class="bad">${esc(r.key)}: ${esc(r.status !== 'ok' ? `failed: ${r.error}` : 'round trip not bit-perfect: not counted')}</li>`);
    out.push('</ul>');
  }
  out.push(`<p class="muted">results.json holds every run and the full setting. Generated by bench/run.mjs.</p></main><script>${JS}</script></body></html>`);
  return `${out.join('\n')}\n`;
}
