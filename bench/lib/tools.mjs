// External tools: finding them, their versions, and running them timed with the peak RSS of the child.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Full path of an executable on $PATH, or null. */
export function which(name) {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    if (!d) continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

const TIME = '/usr/bin/time'; // GNU time: -f %M gives the child's peak RSS in KiB

let timeOk;
/** Whether GNU time works here (so CLI measurements get a peak RSS). */
export function gnuTimeAvailable() {
  if (timeOk === undefined) {
    const out = join(tmpdir(), `panini-bench-time-${process.pid}.txt`);
    try {
      const r = spawnSync(TIME, ['-o', out, '-f', '%M', 'true'], { stdio: 'ignore' });
      timeOk = r.status === 0 && /^\d+\s*$/.test(readFileSync(out, 'utf8'));
    } catch {
      timeOk = false;
    }
    rmSync(out, { force: true });
  }
  return timeOk;
}

/** First line of `cmd args` (stdout or stderr) that looks like a version, or null. */
export function toolVersion(cmd, args = ['--version']) {
  try {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
    const text = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
    const line = text.split('\n').find((l) => /\d+\.\d+/.test(l));
    return line ? line.replace(/\*+/g, '').trim() : null;
  } catch {
    return null;
  }
}

/**
 * Runs a command and waits for it: wall time measured here (performance.now around the child's life), peak RSS
 * of the child (and of its children, for a shell pipeline) from GNU time when present.
 *   opts: { cwd, env, stdin: path|null, stdout: path|null, timeoutS }
 * Returns { seconds, peakRssBytes|null, status, stderr }.
 */
export function runTimed(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const rssFile = gnuTimeAvailable() ? join(tmpdir(), `panini-bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}.txt`) : null;
    const argv = rssFile ? [TIME, '-o', rssFile, '-f', '%M', cmd, ...args] : [cmd, ...args];
    const inFd = opts.stdin ? openSync(opts.stdin, 'r') : 'ignore';
    const outFd = opts.stdout ? openSync(opts.stdout, 'w') : 'ignore';
    let stderr = '';
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [inFd, outFd, 'pipe'],
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      if (stderr.length < 20_000) stderr += d;
    });
    let timer;
    if (opts.timeoutS) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutS * 1000);
    const done = (status, signal, err) => {
      const seconds = (performance.now() - t0) / 1000;
      clearTimeout(timer);
      if (typeof inFd === 'number') closeSync(inFd);
      if (typeof outFd === 'number') closeSync(outFd);
      let peakRssBytes = null;
      if (rssFile) {
        try {
          const kib = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
          if (Number.isFinite(kib) && kib > 0) peakRssBytes = kib * 1024;
        } catch {
          /* no number */
        }
        rmSync(rssFile, { force: true });
      }
      resolve({ seconds, peakRssBytes, status, signal, stderr: err ? `${err.message}\n${stderr}` : stderr });
    };
    child.on('error', (err) => done(-1, null, err));
    child.on('close', (status, signal) => done(status, signal));
  });
}

/** runTimed, throwing with the tool's stderr when it fails. */
export async function runChecked(cmd, args, opts = {}) {
  const r = await runTimed(cmd, args, opts);
  if (r.status !== 0) {
    const why = r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
    throw new Error(`${[cmd, ...args].join(' ')}: ${why}: ${r.stderr.trim().slice(-600)}`);
  }
  return r;
}
