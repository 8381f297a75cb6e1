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

export interface KindOptions {
  handler: JobHandler;
  /** Jobs of this kind running at once in this process (default 1). */
  concurrency?: number;
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
  /** Tells the local worker there may be new work (after an enqueue that committed). */
  poke(): void;
  /** Stops claiming; waits up to `drainMs` for running jobs; jobs still running are released for others. */
  stop(drainMs?: number): Promise<void>;
  stats(): Promise<QueueStats>;
  /** Waits until no job of these kinds is running or due within the next 2 s (tests, benchmarks). */
  idle(options?: { timeoutMs?: number; kinds?: readonly string[] }): Promise<void>;
}
