// The panini-fs job dashboard: one ES module, no build step. It fetches the job list and the workers once, then
// follows GET /api/events (a WebSocket) for everything else, reconnecting with {since: seq} so that no transition
// is missed. Every string from the server goes into the page through textContent or attributes, never as HTML.

const token = new URLSearchParams(location.search).get('token');
const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';

/** jobId → JobView (the server's JobStatus plus throughput, eta, progress) */
const jobs = new Map();
/** jobId → its list item and the parts updated in place */
const rows = new Map();
let workers = [];
let selected = null;
let lastSeq = 0;
let socket = null;
let retryDelay = 500;
/** [{at, bytes}] total verified input bytes over all jobs, one sample a second */
const samples = [];

// ---------------------------------------------------------------- helpers

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function bytes(n) {
  if (!Number.isFinite(n) || n < 0) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 2 : 1)} ${units[i]}`;
}

function seconds(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return 'unknown';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

function ago(ms) {
  const s = Math.max(0, (Date.now() - ms) / 1000);
  return s < 2 ? 'just now' : `${seconds(s)} ago`;
}

function percent(job) {
  return Math.floor((job.progress ?? 0) * 100);
}

async function api(path, init = {}) {
  const headers = { ...(init.headers ?? {}) };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, { ...init, headers });
  const type = res.headers.get('content-type') ?? '';
  const body = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) {
    const e = body && body.error ? body.error : { code: String(res.status), message: String(body) };
    const err = new Error(`${e.code}: ${e.message}`);
    err.code = e.code;
    throw err;
  }
  return body;
}

function withToken(path) {
  return token ? `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : path;
}

// ---------------------------------------------------------------- job list

function jobTitle(job) {
  return job.label ? job.label : `${job.type} ${job.input.join(', ')}`;
}

function rowFor(job) {
  let r = rows.get(job.id);
  if (r) return r;
  const title = h('span', { class: 'job-title' });
  const badge = h('span', { class: 'badge' });
  const bar = h('progress', { max: 100, value: 0, 'aria-label': `progress of job ${job.id}` });
  const pct = h('span', { class: 'pct' });
  const info = h('span', { class: 'job-info' });
  const button = h('button', { type: 'button', class: 'job-open', onclick: () => select(job.id) }, title, badge);
  const li = h('li', { class: 'job', 'data-job-id': job.id }, button, h('div', { class: 'progress-row' }, bar, pct), info);
  r = { li, title, badge, bar, pct, info, button };
  rows.set(job.id, r);
  return r;
}

function renderRow(job) {
  const r = rowFor(job);
  r.li.dataset.state = job.state;
  r.title.textContent = jobTitle(job);
  r.badge.textContent = job.state;
  r.badge.dataset.state = job.state;
  const p = percent(job);
  r.bar.value = p;
  r.pct.textContent = `${p} %`;
  const c = job.counts ?? {};
  const parts = [`${c.verified ?? 0}/${job.total} tasks`];
  if (c.failed) parts.push(`${c.failed} failed`);
  if (job.state === 'running' || job.state === 'queued') parts.push(`${bytes(job.throughput)}/s`, `ETA ${seconds(job.eta)}`);
  if (job.bytesIn > 0) parts.push(`ratio ${job.ratio.toFixed(3)}`);
  r.info.textContent = parts.join(' · ');
  r.button.setAttribute('aria-pressed', String(job.id === selected));
  r.li.classList.toggle('selected', job.id === selected);
}

function renderList() {
  const list = $('job-list');
  const sorted = [...jobs.values()].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  sorted.forEach((job, i) => {
    renderRow(job);
    const li = rows.get(job.id).li;
    if (list.children[i] !== li) list.insertBefore(li, list.children[i] ?? null);
  });
  $('jobs-empty').hidden = jobs.size > 0;
  const byState = {};
  for (const j of jobs.values()) byState[j.state] = (byState[j.state] ?? 0) + 1;
  $('totals').textContent = Object.entries(byState)
    .map(([s, n]) => `${n} ${s}`)
    .join(' · ');
}

// ---------------------------------------------------------------- selected job

function select(id) {
  selected = id;
  $('action-error').textContent = '';
  renderList();
  renderDetail();
  loadFiles();
}

function renderDetail() {
  const job = selected ? jobs.get(selected) : undefined;
  $('detail').hidden = !job;
  if (!job) return;
  $('detail-id').textContent = job.id;
  $('detail-label').textContent = jobTitle(job);
  $('detail-state').textContent = job.state;
  $('detail-state').dataset.state = job.state;
  $('detail-type').textContent = job.type;
  const p = percent(job);
  $('detail-progress').value = p;
  $('detail-progress-text').textContent = `${p} % · ${job.state}`;
  const facts = $('detail-facts');
  const entries = [
    ['Input', job.input.join('\n')],
    ['Bytes', `${bytes(job.bytesIn)} of ${bytes(job.bytesTotal)} verified`],
    ['Output', bytes(job.bytesOut)],
    ['Ratio', job.bytesIn > 0 ? job.ratio.toFixed(4) : '–'],
    ['Throughput', `${bytes(job.throughput)}/s`],
    ['ETA', job.state === 'running' || job.state === 'queued' ? seconds(job.eta) : job.state === 'pending' ? 'unknown' : '–'],
    ['Store', job.store],
  ];
  facts.replaceChildren(...entries.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]));
  const counts = $('detail-counts');
  counts.replaceChildren(
    ...Object.entries(job.counts ?? {})
      .filter(([, n]) => n > 0)
      .map(([s, n]) => h('li', { 'data-state': s }, h('span', { class: 'badge', 'data-state': s, text: s }), ` ${n}`)),
  );
  const terminal = ['verified', 'failed', 'cancelled'].includes(job.state);
  $('cancel-btn').disabled = terminal;
  $('retry-btn').disabled = !(job.state === 'failed' || job.state === 'cancelled');
  renderDhatu(job);
  const failures = $('failures');
  failures.replaceChildren(
    ...(job.errors ?? []).map((e) =>
      h('li', { class: 'failure' }, h('code', { class: 'failure-code', text: e.code }), ' ', h('span', { class: 'failure-task', text: `task ${e.taskKey}: ` }), h('span', { class: 'failure-message', text: e.message })),
    ),
  );
  $('failures-empty').hidden = (job.errors ?? []).length > 0;
}

function renderDhatu(job) {
  const chart = $('dhatu-chart');
  const entries = Object.entries(job.dhatu ?? {}).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  $('dhatu-empty').hidden = entries.length > 0;
  const total = entries.reduce((s, [, n]) => s + n, 0);
  const rowH = 22;
  chart.setAttribute('height', String(entries.length * rowH));
  chart.setAttribute('viewBox', `0 0 400 ${Math.max(1, entries.length * rowH)}`);
  const max = entries.length ? entries[0][1] : 1;
  const nodes = [];
  entries.forEach(([name, n], i) => {
    const y = i * rowH;
    const w = Math.max(1, (n / max) * 230);
    const g = svg('g', { class: 'bar', 'data-primitive': name });
    const title = svg('title');
    title.textContent = `${name}: ${bytes(n)} (${((n / total) * 100).toFixed(1)} %)`;
    const label = svg('text', { x: 0, y: y + 15, class: 'bar-label' });
    label.textContent = name;
    const rect = svg('rect', { x: 100, y: y + 3, width: w.toFixed(1), height: rowH - 6, rx: 2 });
    const value = svg('text', { x: 106 + w, y: y + 15, class: 'bar-value' });
    value.textContent = `${((n / total) * 100).toFixed(1)} %`;
    g.append(title, label, rect, value);
    nodes.push(g);
  });
  chart.replaceChildren(...nodes);
}

async function loadFiles() {
  const job = selected ? jobs.get(selected) : undefined;
  const list = $('files');
  list.replaceChildren();
  if (!job || !['verified', 'failed', 'cancelled'].includes(job.state)) return;
  try {
    const r = await api(`/api/jobs/${encodeURIComponent(job.id)}/result`);
    if (selected !== job.id) return;
    list.replaceChildren(
      ...r.files.map((f) => h('li', {}, h('a', { href: withToken(`/api/jobs/${encodeURIComponent(job.id)}/files/${encodeURIComponent(f.name)}`), target: '_blank', rel: 'noopener', text: f.name }), ` (${f.type})`)),
    );
    if (!r.files.length) list.append(h('li', { class: 'empty', text: 'none' }));
  } catch (e) {
    list.replaceChildren(h('li', { class: 'form-error', text: e.message }));
  }
}

async function act(kind) {
  const id = selected;
  if (!id) return;
  $('action-error').textContent = '';
  try {
    const status = await api(`/api/jobs/${encodeURIComponent(id)}/${kind}`, { method: 'POST' });
    update(status);
  } catch (e) {
    $('action-error').textContent = e.message;
  }
}

// ---------------------------------------------------------------- throughput

function sample() {
  let total = 0;
  for (const j of jobs.values()) total += j.bytesIn ?? 0;
  const now = Date.now();
  samples.push({ at: now, bytes: total });
  while (samples.length > 121) samples.shift();
  renderThroughput();
}

function rates() {
  const out = [];
  for (let i = 1; i < samples.length; i++) {
    const dt = (samples[i].at - samples[i - 1].at) / 1000;
    out.push(dt > 0 ? Math.max(0, (samples[i].bytes - samples[i - 1].bytes) / dt) : 0);
  }
  return out;
}

function renderThroughput() {
  const r = rates();
  const chart = $('tp-chart');
  const recent = r.slice(-5);
  const now = recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : 0;
  $('tp-now').textContent = `${bytes(now)}/s (last 5 s), peak ${bytes(Math.max(0, ...r))}/s`;
  const max = Math.max(1, ...r);
  const n = 120;
  const pts = r.slice(-n).map((v, i, a) => `${((i + (n - a.length)) * 300) / (n - 1)},${(78 - (v / max) * 74).toFixed(1)}`);
  const nodes = [svg('line', { x1: 0, y1: 78, x2: 300, y2: 78, class: 'axis' })];
  if (pts.length > 1) nodes.push(svg('polyline', { points: pts.join(' '), class: 'tp' }));
  chart.replaceChildren(...nodes);
}

// ---------------------------------------------------------------- workers

function renderWorkers() {
  $('workers-empty').hidden = workers.length > 0;
  $('workers-table').hidden = workers.length === 0;
  $('workers-body').replaceChildren(
    ...workers.map((w) =>
      h(
        'tr',
        { 'data-worker-id': w.id },
        h('td', { text: `${w.id} (${w.host}, pid ${w.pid})` }),
        h('td', {}, h('span', { class: 'device', 'data-device': w.device, text: String(w.device).toUpperCase() })),
        h('td', { text: String(w.concurrency) }),
        h('td', { text: String(w.done) }),
        h('td', { text: ago(w.lastSeen) }),
      ),
    ),
  );
}

// ---------------------------------------------------------------- events

function update(status) {
  const known = jobs.get(status.id);
  if (known && known.updatedAt > status.updatedAt) return;
  const wasTerminal = known && ['verified', 'failed', 'cancelled'].includes(known.state);
  jobs.set(status.id, status);
  renderList();
  if (status.id === selected) {
    renderDetail();
    const isTerminal = ['verified', 'failed', 'cancelled'].includes(status.state);
    if (isTerminal && !wasTerminal) loadFiles();
  }
}

const fetching = new Set();
async function fetchJob(id) {
  if (fetching.has(id)) return;
  fetching.add(id);
  try {
    update(await api(`/api/jobs/${encodeURIComponent(id)}`));
  } catch {
    // the next job event brings it
  } finally {
    fetching.delete(id);
  }
}

function setConn(state, text) {
  const el = $('conn');
  el.dataset.state = state;
  el.textContent = text;
}

function connect() {
  const url = new URL(withToken('/api/events'), location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url);
  socket = ws;
  ws.addEventListener('message', (ev) => {
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      return;
    }
    switch (msg.type) {
      case 'hello':
        setConn('live', 'live');
        retryDelay = 500;
        if (lastSeq > 0 && msg.seq > lastSeq) ws.send(JSON.stringify({ since: lastSeq }));
        else lastSeq = Math.max(lastSeq, msg.seq);
        break;
      case 'transition':
        if (msg.seq <= lastSeq) break;
        lastSeq = msg.seq;
        if (!jobs.has(msg.jobId)) fetchJob(msg.jobId);
        break;
      case 'job':
        update(msg.status);
        break;
      case 'workers':
        workers = msg.workers;
        renderWorkers();
        break;
      case 'error':
        setConn('error', `event stream: ${msg.error.message}`);
        break;
    }
  });
  ws.addEventListener('close', () => {
    if (socket !== ws) return;
    setConn('offline', `disconnected; reconnecting in ${Math.round(retryDelay / 100) / 10} s`);
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10_000);
  });
}

// ---------------------------------------------------------------- forms

async function submitJob(ev) {
  ev.preventDefault();
  $('submit-error').textContent = '';
  $('submit-ok').textContent = '';
  const input = $('job-input')
    .value.split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  let options;
  try {
    options = JSON.parse($('job-options').value.trim() || '{}');
  } catch (e) {
    $('submit-error').textContent = `Options are not valid JSON: ${e.message}`;
    return;
  }
  if (!input.length) {
    $('submit-error').textContent = 'Give at least one input path.';
    return;
  }
  const body = { type: $('job-type').value, input, options };
  const label = $('job-label').value.trim();
  if (label) body.label = label;
  $('submit-btn').disabled = true;
  try {
    const { id } = await api('/api/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    $('submit-ok').textContent = `Job ${id} submitted.`;
    await fetchJob(id);
    select(id);
  } catch (e) {
    $('submit-error').textContent = e.message;
  } finally {
    $('submit-btn').disabled = false;
  }
}

async function upload(ev) {
  ev.preventDefault();
  $('upload-error').textContent = '';
  $('upload-ok').textContent = '';
  const file = $('upload-file').files[0];
  if (!file) {
    $('upload-error').textContent = 'Choose a file first.';
    return;
  }
  $('upload-btn').disabled = true;
  try {
    const r = await api(`/api/uploads?name=${encodeURIComponent(file.name)}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: file });
    const area = $('job-input');
    area.value = `${area.value.trim() ? `${area.value.trim()}\n` : ''}${r.path}`;
    $('upload-ok').textContent = `Uploaded ${bytes(r.size)} to ${r.path} (added to the inputs).`;
  } catch (e) {
    $('upload-error').textContent = e.message;
  } finally {
    $('upload-btn').disabled = false;
  }
}

// ---------------------------------------------------------------- start

async function start() {
  $('submit-form').addEventListener('submit', submitJob);
  $('upload-form').addEventListener('submit', upload);
  $('cancel-btn').addEventListener('click', () => act('cancel'));
  $('retry-btn').addEventListener('click', () => act('retry'));
  connect();
  try {
    const [list, ws] = await Promise.all([api('/api/jobs'), api('/api/workers')]);
    for (const j of list) if (!jobs.has(j.id)) jobs.set(j.id, j);
    workers = ws;
    renderList();
    renderWorkers();
  } catch (e) {
    setConn('error', e.message);
  }
  sample();
  // redraws the throughput chart and the workers' "last seen" once a second from what the events brought
  setInterval(() => {
    sample();
    renderWorkers();
  }, 1000);
}

start();
