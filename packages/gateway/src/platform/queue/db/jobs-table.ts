// The jobs table's SQL. Claiming uses FOR UPDATE SKIP LOCKED, so any number of workers on
// PostgreSQL take disjoint jobs; on PGlite (one connection) the same statement is simply serial.
import type { Queryable } from '../../db/types.js';
import type { Job, JobPayload, JobSpec, QueueStats } from '../types.js';
import type { JobTable } from './table.js';

/** A jobs row as the claims return it. */
export interface JobRow {
  id: number;
  kind: string;
  key: string | null;
  payload: JobPayload;
  attempts: number;
  max_attempts: number;
  created_at: Date;
}

export function toJob(r: JobRow): Job {
  return {
    id: Number(r.id),
    kind: r.kind,
    key: r.key,
    payload: r.payload,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    createdAt: r.created_at,
  };
}

export async function insertJob(
  db: Queryable,
  spec: JobSpec,
  defaultMaxAttempts: number,
): Promise<number | undefined> {
  const r = await db.query<{ id: number }>(
    `INSERT INTO jobs (kind, key, payload, run_at, max_attempts)
     VALUES ($1, $2, $3, COALESCE($4, now()), $5)
     ON CONFLICT (kind, key) WHERE key IS NOT NULL DO NOTHING
     RETURNING id`,
    [
      spec.kind,
      spec.key ?? null,
      JSON.stringify(spec.payload ?? {}),
      spec.runAt ?? null,
      spec.maxAttempts ?? defaultMaxAttempts,
    ],
  );
  return r.rows[0] ? Number(r.rows[0].id) : undefined;
}

export async function claimJobs(
  db: Queryable,
  kind: string,
  limit: number,
  worker: string,
  leaseMs: number,
): Promise<Job[]> {
  // The due ids as an array, not `IN (subquery)`: kept prepared, its generic plan looks each up by
  // the primary key instead of joining against the whole table.
  const r = await db.query<JobRow>(
    `UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $3,
            locked_until = now() + ($4::int * interval '1 millisecond'), updated_at = now()
     WHERE id = ANY(ARRAY(
       SELECT id FROM jobs
       WHERE status = 'queued' AND kind = $1 AND run_at <= now()
       ORDER BY run_at, id
       LIMIT $2
       FOR UPDATE SKIP LOCKED
     ))
     RETURNING id, kind, key, payload, attempts, max_attempts, created_at`,
    [kind, limit, worker, leaseMs],
  );
  return r.rows.map(toJob).sort((a, b) => a.id - b.id);
}

/** A dead job due again now with a fresh set of attempts; its kind, or undefined when it is not dead. */
export async function requeueDeadJob(db: Queryable, id: number): Promise<string | undefined> {
  const r = await db.query<{ kind: string }>(
    `UPDATE jobs SET status = 'queued', attempts = 0, run_at = now(), locked_by = NULL, locked_until = NULL,
       updated_at = now() WHERE id = $1 AND status = 'dead' RETURNING kind`,
    [id],
  );
  return r.rows[0]?.kind;
}

/** Marks jobs done (one statement for a batch of them). */
export async function completeJobs(db: Queryable, ids: readonly number[], worker: string): Promise<void> {
  await db.query(
    `UPDATE jobs SET status = 'done', locked_by = NULL, locked_until = NULL, finished_at = now(), updated_at = now(), last_error = NULL
     WHERE id = ANY($1::bigint[]) AND locked_by = $2 AND status = 'running'`,
    [ids, worker],
  );
}

export async function failJob(
  db: Queryable,
  id: number,
  worker: string,
  error: string,
  retryAt: Date | undefined,
): Promise<void> {
  await db.query(
    `UPDATE jobs SET status = $3, run_at = COALESCE($4, run_at), last_error = $5,
            locked_by = NULL, locked_until = NULL, updated_at = now(),
            finished_at = CASE WHEN $3 = 'dead' THEN now() ELSE NULL END
     WHERE id = $1 AND locked_by = $2 AND status = 'running'`,
    [id, worker, retryAt ? 'queued' : 'dead', retryAt ?? null, error.slice(0, 4000)],
  );
}

/** Extends the leases of this worker's running jobs (it is alive and still working on them). */
export async function renewLeases(db: Queryable, worker: string, leaseMs: number): Promise<void> {
  await db.query(
    `UPDATE jobs SET locked_until = now() + ($2::int * interval '1 millisecond')
     WHERE status = 'running' AND locked_by = $1`,
    [worker, leaseMs],
  );
}

/**
 * Hands jobs back to the queue: this worker's own (on stop), every running one ('all': PGlite, which
 * only this process opens, so they were left by a process that died), or anyone's whose lease ran out
 * (a crashed worker).
 */
export async function releaseJobs(db: Queryable, whose: string | 'all' | 'expired'): Promise<number> {
  const r =
    whose === 'expired'
      ? await db.query(
          `UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,
                  last_error = COALESCE(last_error, 'lease expired: the worker stopped while running this job'),
                  locked_by = NULL, locked_until = NULL, updated_at = now()
           WHERE status = 'running' AND locked_until < now()`,
        )
      : await db.query(
          `UPDATE jobs SET status = 'queued', locked_by = NULL, locked_until = NULL, updated_at = now()
           WHERE status = 'running' AND ($1::text IS NULL OR locked_by = $1)`,
          [whose === 'all' ? null : whose],
        );
  return r.rowCount;
}

/** The counts a stats query returns, as QueueStats (an empty result counts nothing). */
export interface StatsRow {
  queued: number;
  running: number;
  retrying: number;
  dead: number;
  oldest: number | null;
}

export function toQueueStats(row: StatsRow | undefined): QueueStats {
  return {
    queued: row?.queued ?? 0,
    running: row?.running ?? 0,
    retrying: row?.retrying ?? 0,
    dead: row?.dead ?? 0,
    oldestAgeSeconds: Math.max(0, row?.oldest ?? 0),
  };
}

export async function queueStats(db: Queryable): Promise<QueueStats> {
  const r = await db.query<StatsRow>(
    `SELECT count(*) FILTER (WHERE status = 'queued')::int AS queued,
            count(*) FILTER (WHERE status = 'running')::int AS running,
            count(*) FILTER (WHERE status = 'queued' AND attempts > 0)::int AS retrying,
            count(*) FILTER (WHERE status = 'dead')::int AS dead,
            extract(epoch FROM now() - min(run_at) FILTER (WHERE status = 'queued' AND run_at <= now()))::float8 AS oldest
     FROM jobs WHERE status <> 'done'`,
  );
  return toQueueStats(r.rows[0]);
}

/** Jobs running, or queued and due within `horizonMs` (a retry scheduled a moment ahead counts). */
export async function pendingCount(
  db: Queryable,
  kinds: readonly string[] | undefined,
  horizonMs = 0,
): Promise<number> {
  const r = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM jobs
     WHERE (status = 'running' OR (status = 'queued' AND run_at <= now() + ($2::int * interval '1 millisecond')))
       AND ($1::text[] IS NULL OR kind = ANY($1))`,
    [kinds ?? null, horizonMs],
  );
  return r.rows[0]!.n;
}

/** The jobs table as a JobTable: where every kind's jobs live unless the kind names another table. */
export const jobsTable: JobTable = {
  claim: claimJobs,
  complete: (db, done, worker) =>
    completeJobs(
      db,
      done.map((d) => d.job.id),
      worker,
    ),
  fail: (db, job, worker, error, retryAt) => failJob(db, job.id, worker, error, retryAt),
  renew: renewLeases,
  release: releaseJobs,
  pending: pendingCount,
  stats: queueStats,
};
