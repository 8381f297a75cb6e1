// Operator actions on the job queue: listing jobs (the dead ones above all) and retrying a dead one.
// A dead refund job is retried through its refund (refunds/service.ts retryRefund), which first checks
// that the amount is still refundable and queues the refund again with the same request_id.
import type { AppContext } from '../context.js';
import { type Tx, withTransaction } from '../platform/db/tx.js';
import { AppError } from '../platform/errors.js';
import { REFUND_JOB, retryRefund } from '../refunds/service.js';
import { type JobRow, type JobStatus, jobById, listJobRows } from './store.js';

export async function listJobs(
  s: AppContext,
  q: {
    status?: JobStatus | undefined;
    /** Only jobs that failed and will be tried again (queued after a failed attempt). */
    retrying?: boolean | undefined;
    kind?: string | undefined;
    before?: number | undefined;
    limit: number;
  },
): Promise<{ data: JobRow[]; has_more: boolean; next_before: number | null }> {
  const rows = await listJobRows(s.db, { ...q, limit: q.limit + 1 });
  const data = rows.slice(0, q.limit);
  const hasMore = rows.length > q.limit;
  return { data, has_more: hasMore, next_before: hasMore ? data[data.length - 1]!.id : null };
}

export async function retryJob(s: AppContext, id: number): Promise<JobRow> {
  const job = await jobById(s.db, id);
  if (!job) throw new AppError('not_found', `No such job: ${id}.`);
  if (job.status !== 'dead') {
    throw new AppError('conflict', `Job ${id} is ${job.status}, not dead: nothing to retry.`, {
      status: job.status,
    });
  }
  // The job as the retry left it, read in its transaction: once that commits, a worker may take it at
  // once, and a read after the commit could find it running (or done) already.
  let row = job;
  const requeue = async (tx: Tx): Promise<boolean> => {
    const requeued = await s.queue.requeue(tx, id);
    row = (await jobById(tx, id)) ?? row;
    return requeued;
  };
  if (job.kind === REFUND_JOB && typeof job.payload.refund === 'string') {
    await retryRefund(s, job.payload.refund, requeue);
  } else {
    await withTransaction(s, async (tx) => {
      if (!(await requeue(tx))) throw new AppError('conflict', `Job ${id} is no longer dead.`);
    });
  }
  return row;
}
