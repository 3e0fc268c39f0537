// Runs a node worker script (bench/worker-panini.mjs, bench/lib/worker-js.mjs) with one job, returns its JSON.
import { spawn } from 'node:child_process';

export function runNodeWorker(script, job, { timeoutS = 3600 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => {
      if (err.length < 20_000) err += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop();
      try {
        const r = JSON.parse(last);
        if (r && typeof r === 'object') return resolve(r);
      } catch {
        /* fall through */
      }
      const why = signal ? `killed by ${signal}` : `exit ${code}`;
      resolve({ ok: false, error: `worker ${why}: ${(err || out).trim().slice(-600)}` });
    });
  });
}
