// What only the database backend has: the tables jobs live in, and jobs handed to the local worker
// already leased (no broker can do either). Callers outside the backend see neither, except the
// webhook ingest, which writes its events as jobs of a table of their own (webhooks/event-queue.ts)
// and so works with this backend by name (DbJobQueue).
import type { Queryable } from '../../db/types.js';
import type { Job, JobDone, QueueStats } from '../types.js';

/**
 * Where a kind's jobs live. The default is the `jobs` table (queue/store.ts); a kind whose work is
 * already a row of its own (a stored webhook event) can keep its jobs there instead, so that no second
 * row is written per job. Every method is one statement.
 */
export interface JobTable {
  /** Takes up to `limit` due jobs for `worker` for `leaseMs` (attempts + 1), oldest first. */
  claim(db: Queryable, kind: string, limit: number, worker: string, leaseMs: number): Promise<Job[]>;
  /** Marks finished jobs done (called inside the completion's transaction when there is one). */
  complete(db: Queryable, done: readonly JobDone[], worker: string): Promise<void>;
  /** A failed attempt: queued again at `retryAt`, or dead without one. */
  fail(db: Queryable, job: Job, worker: string, error: string, retryAt: Date | undefined): Promise<void>;
  /** Extends the leases of the jobs `worker` holds. */
  renew(db: Queryable, worker: string, leaseMs: number): Promise<void>;
  /**
   * Hands jobs back: `worker`'s own (on stop), every held one ('all': a database only this process
   * opens, after a crash), or those whose lease ran out ('expired'). Returns how many.
   */
  release(db: Queryable, whose: string | 'all' | 'expired'): Promise<number>;
  /** Jobs held by a worker, or queued and due within `horizonMs`. */
  pending(db: Queryable, kinds: readonly string[] | undefined, horizonMs: number): Promise<number>;
  stats(db: Queryable): Promise<QueueStats>;
}

/**
 * Jobs this process made itself and holds already (written with a lease of this worker's in the same
 * statement that made them), handed to the local worker so that it needs no claim and no read.
 */
export interface HandOff {
  worker: string;
  leaseMs: number;
  /** How many of the jobs about to be written the local worker takes; write the rest unleased. */
  slots: number;
}
