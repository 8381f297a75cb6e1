// The stored events as the apply-job's queue (a JobTable for platform/queue): a pending event is a
// job. Ingest writes each event already leased to the worker of the process that received it (see
// storeEvents and DbJobQueue.reserve), which applies it from memory: one row written per event, and
// one update (its outcome) when it has been applied. Events nobody holds — written beyond the local
// worker's room, by reconcile, replayed, retried after a failure, or left by a worker that stopped
// (its lease is `run_at`) — are claimed from the table with FOR UPDATE SKIP LOCKED like any job.
import type Stripe from 'stripe';
import { type StatsRow, toQueueStats } from '../platform/queue/db/jobs-table.js';
import type { JobTable } from '../platform/queue/db/table.js';
import type { Job } from '../platform/queue/types.js';

/** The kind of job that applies one stored event. */
export const APPLY_EVENT_JOB = 'stripe_event';

/** What an apply-job returns: the event's outcome, written when the job completes. */
export interface EventResult {
  status: 'processed' | 'ignored';
  reason: string | null;
}

/**
 * The apply-job of a stored event (its id is the row's `seq`, its key the event id). `event` is the
 * event, or its body as received, parsed when the job first reads it (the database has checked it is
 * JSON when it stored it).
 */
export function eventJob(
  seq: number,
  eventId: string,
  event: Stripe.Event | Buffer,
  attempts: number,
  maxAttempts: number,
): Job {
  let parsed = Buffer.isBuffer(event) ? undefined : event;
  return {
    id: seq,
    kind: APPLY_EVENT_JOB,
    key: eventId,
    payload: {
      event_id: eventId,
      get event(): Stripe.Event {
        parsed ??= JSON.parse((event as Buffer).toString('utf8')) as Stripe.Event;
        return parsed;
      },
    },
    attempts,
    maxAttempts,
    createdAt: new Date(),
  };
}

const lease = `now() + ($2::int * interval '1 millisecond')`;

export const eventTable: JobTable = {
  async claim(db, _kind, limit, worker, leaseMs) {
    // An event whose last attempt's lease ran out (its worker stopped) is dead here, not run again.
    const r = await db.query<{
      seq: string;
      id: string;
      payload: Stripe.Event;
      attempts: number;
      max_attempts: number;
      status: string;
    }>(
      // The due ids as an array (not a join): the statement is kept prepared, and its generic plan
      // then looks each one up by the primary key, where a join was planned as a hash over the
      // whole table (every claim a scan of it).
      `UPDATE stripe_events e
       SET attempts = e.attempts + CASE WHEN e.attempts < e.max_attempts THEN 1 ELSE 0 END,
           locked_by = CASE WHEN e.attempts < e.max_attempts THEN $1 END,
           run_at = ${lease},
           status = CASE WHEN e.attempts < e.max_attempts THEN 'pending' ELSE 'failed' END,
           status_reason = CASE WHEN e.attempts < e.max_attempts THEN NULL
                                ELSE COALESCE(e.last_error, 'lease expired: the worker stopped while applying it') END,
           processed_at = CASE WHEN e.attempts < e.max_attempts THEN NULL ELSE now() END
       WHERE e.id = ANY(ARRAY(
         SELECT id FROM stripe_events
         WHERE status = 'pending' AND run_at <= now()
         ORDER BY run_at, seq
         LIMIT $3
         FOR UPDATE SKIP LOCKED
       ))
       RETURNING e.seq, e.id, e.status, e.attempts, e.max_attempts,
                 CASE WHEN e.status = 'pending' THEN e.payload END AS payload`,
      [worker, leaseMs, limit],
    );
    return r.rows
      .filter((row) => row.status === 'pending')
      .map((row) => eventJob(Number(row.seq), row.id, row.payload, row.attempts, row.max_attempts))
      .sort((a, b) => a.id - b.id);
  },

  async complete(db, done, worker) {
    const outcomes = done.map((d) => ({ id: d.job.key as string, ...(d.result as EventResult) }));
    await db.query(
      `UPDATE stripe_events AS e
       SET status = u.status, status_reason = u.reason, processed_at = now(), locked_by = NULL, last_error = NULL
       FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, status, reason)
       WHERE e.id = u.id AND e.status = 'pending' AND e.locked_by = $4`,
      [outcomes.map((o) => o.id), outcomes.map((o) => o.status), outcomes.map((o) => o.reason), worker],
    );
  },

  async fail(db, job, worker, error, retryAt) {
    await db.query(
      `UPDATE stripe_events
       SET locked_by = NULL, last_error = $3, run_at = COALESCE($4, run_at),
           status = CASE WHEN $4::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
           status_reason = CASE WHEN $4::timestamptz IS NULL THEN $3 END,
           processed_at = CASE WHEN $4::timestamptz IS NULL THEN now() END
       WHERE id = $1 AND locked_by = $2 AND status = 'pending'`,
      [job.key, worker, error.slice(0, 4000), retryAt ?? null],
    );
  },

  async renew(db, worker, leaseMs) {
    await db.query(`UPDATE stripe_events SET run_at = ${lease} WHERE status = 'pending' AND locked_by = $1`, [
      worker,
      leaseMs,
    ]);
  },

  async release(db, whose) {
    // 'expired': nothing to do here, a claim takes an event whose lease ran out (it is due again).
    if (whose === 'expired') return 0;
    const r = await db.query(
      `UPDATE stripe_events SET locked_by = NULL, run_at = now()
       WHERE status = 'pending' AND locked_by IS NOT NULL AND ($1::text IS NULL OR locked_by = $1)`,
      [whose === 'all' ? null : whose],
    );
    return r.rowCount;
  },

  async pending(db, kinds, horizonMs) {
    if (kinds && !kinds.includes(APPLY_EVENT_JOB)) return 0;
    const r = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM stripe_events
       WHERE status = 'pending' AND (locked_by IS NOT NULL OR run_at <= now() + ($1::int * interval '1 millisecond'))`,
      [horizonMs],
    );
    return r.rows[0]?.n ?? 0;
  },

  async stats(db) {
    const r = await db.query<StatsRow>(
      `SELECT count(*) FILTER (WHERE locked_by IS NULL)::int AS queued,
              count(*) FILTER (WHERE locked_by IS NOT NULL)::int AS running,
              count(*) FILTER (WHERE locked_by IS NULL AND attempts > 0)::int AS retrying,
              (SELECT count(*)::int FROM stripe_events WHERE status = 'failed') AS dead,
              extract(epoch FROM now() - min(run_at) FILTER (WHERE locked_by IS NULL AND run_at <= now()))::float8 AS oldest
       FROM stripe_events WHERE status = 'pending'`,
    );
    return toQueueStats(r.rows[0]);
  },
};
