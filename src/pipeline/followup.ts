/**
 * Work a job gets once its first tasks are done: a compress job whose `options.container` names a `.pnz` gets an
 * `assemble` task when every chunk is verified (docs/PIPELINE.md "One container"). Adding it is idempotent — the
 * task's key is fixed, so a second add is refused by the queue and ignored here — and so it is safe from any number
 * of workers at once, and again after a crash (the server's start and each worker's start look for jobs that missed it).
 */
import { PaniniError } from '../errors.js';
import type { JobQueue, JobStatus, TaskSpec } from './types.js';

/** The assemble task of a compress job with a container output, or undefined for any other job. */
export function assembleTaskOf(job: Pick<JobStatus, 'type' | 'options' | 'store'>): TaskSpec | undefined {
  const { container, recipes } = job.options;
  if (job.type !== 'compress' || typeof container !== 'string' || !Array.isArray(recipes) || recipes.length !== 1 || typeof recipes[0] !== 'string') return undefined;
  return { key: 'assemble', kind: 'assemble', size: 0, payload: { output: container, recipe: recipes[0], store: job.store, within: true } };
}

/** Adds and queues the job's follow-up task when it is due; true when this call added it. */
export async function followUp(queue: JobQueue, jobId: string): Promise<boolean> {
  const job = await queue.job(jobId);
  if (!job || job.state !== 'verified') return false;
  const task = assembleTaskOf(job);
  if (!task) return false;
  try {
    await queue.addTasks(jobId, [task]);
  } catch (e) {
    if (e instanceof PaniniError && e.code === 'OPTION') return false; // added before: its key exists
    throw e;
  }
  await queue.enqueue(jobId);
  return true;
}

/** Follow-ups a crash may have missed: verified jobs that are due one (the newest `limit` jobs are looked at). */
export async function followUpAll(queue: JobQueue, limit = 10_000): Promise<string[]> {
  const added: string[] = [];
  for (const job of await queue.jobs({ limit })) if (job.state === 'verified' && assembleTaskOf(job) && (await followUp(queue, job.id))) added.push(job.id);
  return added;
}
