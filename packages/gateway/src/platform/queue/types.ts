// The job queue's public interface: what every backend can do. The database backend (db/queue.ts)
// implements it, and keeps what only a database can do (leases handed to the local worker, job
// tables, claims) to itself (db/table.ts); a broker backend implements the same interface.
import type { Tx } from '../db/tx.js';
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

export interface KindOptions {
  handler: JobHandler;
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

/**
 * The job queue, as every backend implements it (the database's, db/queue.ts; a broker's next). Jobs
 * are enqueued inside the transaction of the change that causes them (an outbox): they exist if and
 * only if it commits, and the backend makes them run after the commit (Tx.afterCommit).
 */
export interface JobQueue {
  /** Enqueues inside `tx`. Returns the id, or undefined when deduplicated (same kind and key). */
  enqueue(tx: Tx, spec: JobSpec): Promise<number | undefined>;
  /**
   * Jobs of `kind` were written in `tx` as rows of that kind's own table (stored webhook events are
   * their own apply-jobs): once it commits, the queue runs them like enqueued ones.
   */
  enqueued(tx: Tx, kind: string): void;
  /**
   * A dead job of the jobs table due again now, with a fresh set of attempts, inside `tx` (the
   * operator's retry); it runs once `tx` commits. False when the job is not dead.
   */
  requeue(tx: Tx, id: number): Promise<boolean>;
  /** Starts working on the given kinds, each with its handler. */
  start(kinds: Readonly<Record<string, KindOptions>>): void;
  /** Stops taking jobs; waits up to `drainMs` for running ones; jobs still running go back for others. */
  stop(drainMs?: number): Promise<void>;
  stats(): Promise<QueueStats>;
  /** Waits until no job of these kinds is running or due within the next 2 s (tests, benchmarks). */
  idle(options?: { timeoutMs?: number; kinds?: readonly string[] }): Promise<void>;
}
