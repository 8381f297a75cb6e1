// The job queue's interface. The database backend (queue/db-queue.ts) implements it; a RabbitMQ
// backend can implement the same interface for scale-out without changing any caller.
import type { Queryable } from '../db/types.js';

export type JobPayload = Record<string, unknown>;

export interface JobSpec {
  kind: string;
  payload?: JobPayload;
  /** Deduplication key: a second job with the same kind and key is dropped (returns undefined). */
  key?: string;
  /** Not before this time (scheduled jobs). */
  runAt?: Date;
  maxAttempts?: number;
}

export interface Job {
  id: number;
  kind: string;
  key: string | null;
  payload: JobPayload;
  attempts: number;
  maxAttempts: number;
  createdAt: Date;
}

/**
 * A handler throws to fail the attempt (retried with backoff, then dead); returns to complete it. What
 * it returns is handed to its kind's `complete`, if any.
 */
export type JobHandler = (job: Job) => Promise<unknown>;

/** A job whose handler returned, with what it returned. */
export interface JobDone {
  job: Job;
  result: unknown;
}

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

export interface KindOptions {
  handler: JobHandler;
  /** Where the jobs are (default: the jobs table). */
  table?: JobTable;
  /** How many handed-off jobs (see HandOff) may wait in memory for a free slot (default 0: none). */
  handOffLimit?: number;
  /** Jobs of this kind running at once in this process (default 1). */
  concurrency?: number;
  /**
   * While this returns true, at most `yieldConcurrency` jobs of the kind run (default 1; 0 pauses
   * the kind): work that can wait gives way to work that cannot (webhook apply-jobs to deliveries
   * waiting to be stored). Checked whenever the worker looks for work: whatever ends the pressure
   * should poke the queue.
   */
  yieldTo?: () => boolean;
  yieldConcurrency?: number;
  /**
   * Writes what finished jobs produced in the same transaction that marks them done (one commit for
   * both, and never one without the other); called with many jobs at once. Throwing fails the attempt
   * of each of them, as a throwing handler would.
   */
  complete?: (tx: Queryable, done: readonly JobDone[]) => Promise<void>;
}

export interface QueueStats {
  queued: number;
  running: number;
  /** Queued again after a failed attempt. */
  retrying: number;
  dead: number;
  /** Seconds since the oldest due, queued job was due (0 when none). */
  oldestAgeSeconds: number;
}

export interface JobQueue {
  /** Enqueues inside the caller's transaction (outbox) when `tx` is given. Returns the id, or undefined when deduplicated. */
  enqueue(spec: JobSpec, tx?: Queryable): Promise<number | undefined>;
  /** Starts working on the given kinds. */
  start(kinds: Readonly<Record<string, KindOptions>>): void;
  /** Tells the local worker there may be new work in a table (after an enqueue that committed). */
  poke(): void;
  /**
   * Tells the local worker to look again at what it holds and may run (a pressure it yields to may
   * be over), without looking in the tables for new work.
   */
  recheck(): void;
  /**
   * Room for `n` jobs of `kind` that the caller is about to write already leased to this worker (see
   * HandOff); every reservation is settled by adopt(), with the jobs that were written.
   */
  reserve(kind: string, n: number): HandOff;
  /** The reserved jobs that were written (committed), to run here; frees the rest of the slots. */
  adopt(kind: string, reserved: HandOff, jobs: readonly Job[]): void;
  /** Stops claiming; waits up to `drainMs` for running jobs; jobs still running are released for others. */
  stop(drainMs?: number): Promise<void>;
  stats(): Promise<QueueStats>;
  /** Waits until no job of these kinds is running or due within the next 2 s (tests, benchmarks). */
  idle(options?: { timeoutMs?: number; kinds?: readonly string[] }): Promise<void>;
}
