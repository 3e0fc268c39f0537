// GET /api/metrics: the queue's state in the Prometheus text exposition format (version 0.0.4): per metric a
// `# HELP` and a `# TYPE` line, then its samples `name{label="value"} number`, label values escaped (\\, \", \n).
import { JOB_STATES, TASK_STATES, type JobStatus, type WorkerInfo } from '../pipeline/types.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface Metric {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: { labels?: Record<string, string>; value: number }[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** The exposition text of `metrics`; throws on a name or label name the format does not allow (a bug here). */
export function formatMetrics(metrics: readonly Metric[]): string {
  const lines: string[] = [];
  for (const m of metrics) {
    if (!NAME.test(m.name)) throw new Error(`invalid metric name ${JSON.stringify(m.name)}`);
    lines.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`);
    for (const s of m.samples) {
      const labels = Object.entries(s.labels ?? {});
      for (const [k] of labels) if (!LABEL.test(k) || k.startsWith('__')) throw new Error(`invalid label name ${JSON.stringify(k)}`);
      const l = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}` : '';
      lines.push(`${m.name}${l} ${formatValue(s.value)}`);
    }
  }
  return lines.join('\n') + '\n';
}

export interface MetricsInput {
  jobs: readonly JobStatus[];
  workers: readonly WorkerInfo[];
  /** failed attempts (to `retrying` or `failed`) recorded in the queue's transitions */
  taskFailures: number;
  /** input bytes verified per second over the last minute */
  throughput: number;
}

export function queueMetrics(i: MetricsInput): Metric[] {
  const tasks = Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<string, number>;
  const jobs = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<string, number>;
  let bytesIn = 0;
  let bytesOut = 0;
  for (const j of i.jobs) {
    jobs[j.state] = (jobs[j.state] ?? 0) + 1;
    for (const s of TASK_STATES) tasks[s]! += j.counts[s] ?? 0;
    bytesIn += j.bytesIn;
    bytesOut += j.bytesOut;
  }
  const byState = (counts: Record<string, number>) => Object.entries(counts).map(([state, value]) => ({ labels: { state }, value }));
  return [
    { name: 'panini_tasks', help: 'Tasks in each state, summed over the jobs in the queue.', type: 'gauge', samples: byState(tasks) },
    { name: 'panini_jobs', help: 'Jobs in each state.', type: 'gauge', samples: byState(jobs) },
    { name: 'panini_workers', help: 'Workers seen within the last 30 seconds.', type: 'gauge', samples: [{ value: i.workers.length }] },
    { name: 'panini_bytes_in_total', help: 'Input bytes of verified tasks.', type: 'counter', samples: [{ value: bytesIn }] },
    { name: 'panini_bytes_out_total', help: 'Output bytes of verified tasks.', type: 'counter', samples: [{ value: bytesOut }] },
    { name: 'panini_task_failures_total', help: 'Failed task attempts (retried or final).', type: 'counter', samples: [{ value: i.taskFailures }] },
    {
      name: 'panini_throughput_bytes_per_second',
      help: 'Input bytes verified per second over the last minute.',
      type: 'gauge',
      samples: [{ value: Math.round(i.throughput) }],
    },
  ];
}
