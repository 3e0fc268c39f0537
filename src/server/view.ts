// A job's status as the server shows it: the queue's JobStatus plus its throughput and estimated time left.
import type { JobStatus } from '../pipeline/types.js';

export interface JobView extends JobStatus {
  /** input bytes verified per second since the first task was claimed (0 before) */
  throughput: number;
  /** seconds until every task is verified at that rate; 0 once the job is over, null while unknown */
  eta: number | null;
  /** verified input bytes / all input bytes, 0..1 */
  progress: number;
}

const TERMINAL = new Set(['verified', 'failed', 'cancelled']);

export function withRates(s: JobStatus, now = Date.now()): JobView {
  const end = s.finishedAt ?? (TERMINAL.has(s.state) ? s.updatedAt : now);
  const elapsed = s.startedAt !== undefined ? (end - s.startedAt) / 1000 : 0;
  const throughput = elapsed > 0 ? s.bytesIn / elapsed : 0;
  const left = Math.max(0, s.bytesTotal - s.bytesIn);
  const eta = TERMINAL.has(s.state) ? 0 : throughput > 0 ? left / throughput : null;
  const progress = s.bytesTotal > 0 ? Math.min(1, s.bytesIn / s.bytesTotal) : s.total > 0 ? s.counts.verified / s.total : 0;
  return { ...s, throughput: Math.round(throughput), eta: eta === null ? null : Math.round(eta * 10) / 10, progress };
}
