// What the overview reads. Revenue and credits add up closed hours once into console_*_hours (by when
// rows were written: a closed hour gets no new rows) and only the rows written since live;
// subscriptions come from roll-ups a trigger keeps exact, webhook events per minute from closed
// minutes stored once (and computed again when a trigger says an event of theirs changed); the other
// charts read small, indexed ranges. Days are UTC days.
import type { Db, Queryable } from '../platform/db/types.js';

/**
 * An hour is closed (added up for good) ten minutes after it ends, by the database's clock (rows'
 * created_at is the database's time at the start of their transaction; a transaction that writes
 * a payment and commits more than ten minutes later is not expected).
 */
const CLOSE_AFTER = "interval '10 minutes'";

const rollups = {
  payments: `INSERT INTO console_payment_hours (hour, day, currency, amount, payments)
     SELECT date_trunc('hour', created_at), (paid_at AT TIME ZONE 'UTC')::date, currency, sum(amount), count(*)
     FROM payments WHERE created_at >= $1 AND created_at < $2 GROUP BY 1, 2, 3
     ON CONFLICT (hour, day, currency) DO UPDATE
       SET amount = console_payment_hours.amount + excluded.amount,
           payments = console_payment_hours.payments + excluded.payments`,
  credits: `INSERT INTO console_credit_hours (hour, day, granted, consumed)
     SELECT date_trunc('hour', created_at), (created_at AT TIME ZONE 'UTC')::date,
       coalesce(sum(delta) FILTER (WHERE delta > 0), 0), coalesce(-sum(delta) FILTER (WHERE delta < 0), 0)
     FROM credit_ledger WHERE created_at >= $1 AND created_at < $2 GROUP BY 1, 2
     ON CONFLICT (hour, day) DO UPDATE
       SET granted = console_credit_hours.granted + excluded.granted,
           consumed = console_credit_hours.consumed + excluded.consumed`,
} as const;

/**
 * Adds up the hours closed since the last call, once (the row lock makes a second instance wait and
 * then find nothing left to do). Returns the number of hours' rows written.
 */
export async function advanceRollup(db: Db, name: keyof typeof rollups): Promise<number> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ from: Date; to: Date }>(
      `SELECT closed_through AS "from", date_trunc('hour', now() - ${CLOSE_AFTER}) AS "to"
       FROM console_rollups WHERE name = $1 FOR UPDATE`,
      [name],
    );
    const r = rows[0];
    if (!r || new Date(r.from) >= new Date(r.to)) return 0;
    const inserted = await tx.query(rollups[name], [r.from, r.to]);
    await tx.query('UPDATE console_rollups SET closed_through = $2 WHERE name = $1', [name, r.to]);
    return inserted.rowCount;
  });
}

/** A day range: `from` and `to` are UTC days (YYYY-MM-DD), both included. */
export interface DayRange {
  from: string;
  to: string;
}

const utcDay = (d: string) => `($${d}::date)::timestamp AT TIME ZONE 'UTC'`;

export interface RevenueRow {
  day: string;
  currency: string;
  amount: string;
  payments: string;
}

/**
 * Gross revenue (before refunds) per paid day and currency. The live rows are those written since the
 * last closed hour, found by payments_written and only then filtered by paid_at: a kept statement's
 * generic plan would otherwise walk payments_newest over the whole range of paid_at (96 ms for 90
 * days of a million payments).
 */
export async function revenueByDay(db: Queryable, range: DayRange): Promise<RevenueRow[]> {
  const { rows } = await db.query<RevenueRow>(
    `WITH live AS MATERIALIZED (
       SELECT paid_at, currency, amount FROM payments
       WHERE created_at >= (SELECT closed_through FROM console_rollups WHERE name = 'payments')
     )
     SELECT day::text AS day, currency, sum(amount)::text AS amount, sum(n)::text AS payments FROM (
       SELECT day, currency, amount, payments AS n FROM console_payment_hours WHERE day BETWEEN $1::date AND $2::date
       UNION ALL
       SELECT (paid_at AT TIME ZONE 'UTC')::date, currency, amount, 1 FROM live
       WHERE paid_at >= ${utcDay('1')} AND paid_at < ${utcDay('2')} + interval '1 day'
     ) x GROUP BY day, currency ORDER BY day, currency`,
    [range.from, range.to],
  );
  return rows;
}

export interface CreditRow {
  day: string;
  granted: string;
  consumed: string;
}

/** Credits granted (every positive ledger entry) and taken (every negative one) per day. */
export async function creditsByDay(db: Queryable, range: DayRange): Promise<CreditRow[]> {
  const { rows } = await db.query<CreditRow>(
    `SELECT day::text AS day, sum(granted)::text AS granted, sum(consumed)::text AS consumed FROM (
       SELECT day, granted, consumed FROM console_credit_hours WHERE day BETWEEN $1::date AND $2::date
       UNION ALL
       SELECT (created_at AT TIME ZONE 'UTC')::date, greatest(delta, 0), greatest(-delta, 0) FROM credit_ledger
       WHERE created_at >= (SELECT closed_through FROM console_rollups WHERE name = 'credits')
         AND created_at >= ${utcDay('1')} AND created_at < ${utcDay('2')} + interval '1 day'
     ) x GROUP BY day ORDER BY day`,
    [range.from, range.to],
  );
  return rows;
}

export interface SubscriptionDay {
  /** The UTC day, or null for the row of subscriptions already active when the range starts. */
  day: string | null;
  plan: string | null;
  interval: 'month' | 'year' | null;
  currency: string;
  /** Started (created, then paid or trialing) on the day. */
  started: number;
  /** Cancelled on the day. */
  churned: number;
  /** No longer active from the end of the day (cancelled that day, or cancelled before it started). */
  ended: number;
  /** For the null day: active at the start of the range's first day. */
  before: number;
}

/**
 * Subscriptions per plan, interval and currency: those active when the range starts, then what
 * started and ended on each day of it. From the roll-ups console_subscription_days and
 * console_subscription_totals that a trigger keeps as subscriptions change (migration 0018): the
 * active count at the start of the range is today's total less what the days since added.
 */
export async function subscriptionDays(db: Queryable, range: DayRange): Promise<SubscriptionDay[]> {
  const { rows } = await db.query<SubscriptionDay>(
    `WITH since AS (
       SELECT day, plan, interval, currency, started, churned, ended FROM console_subscription_days
       WHERE day >= $1::date
     )
     SELECT day::text AS day, nullif(plan, '') AS plan, nullif(interval, '') AS interval, currency,
       started, churned, ended, 0 AS before
     FROM since WHERE day <= $2::date AND (started <> 0 OR churned <> 0 OR ended <> 0)
     UNION ALL
     SELECT NULL, nullif(plan, ''), nullif(interval, ''), currency, 0, 0, 0, sum(n)::int FROM (
       SELECT plan, interval, currency, active AS n FROM console_subscription_totals
       UNION ALL
       SELECT plan, interval, currency, ended - started FROM since
     ) b GROUP BY plan, interval, currency HAVING sum(n) <> 0`,
    [range.from, range.to],
  );
  return rows;
}

export interface EventMinute {
  minute: Date;
  events: number;
  failed: number;
  p50: number | null;
  p99: number | null;
}

/**
 * Webhook events received per minute in [from, to) (whole minutes), and how long applying them took
 * (ms, p50/p99).
 *
 * A minute's figures are read from console_event_minutes when that holds them (`fresh`), else
 * computed from stripe_events (index stripe_events_received, one minute's range). Once a minute is
 * closed (five minutes after it ends, by the database's clock) and no more than 110 minutes old,
 * what was computed is stored, unless the minute's `version` moved since this statement's snapshot:
 * migration 0018's trigger bumps it, and clears `fresh`, when an event of a minute that may be closed
 * is written, changed or deleted. One statement, so the version and the events are read in one
 * snapshot. Minutes older than two hours are dropped on the way (never read again).
 */
export async function eventsByMinute(db: Queryable, from: Date, to: Date): Promise<EventMinute[]> {
  const { rows } = await db.query<EventMinute>(
    `WITH w AS (
       SELECT g AS minute FROM generate_series($1::timestamptz, $2::timestamptz - interval '1 minute', interval '1 minute') g
     ), r AS (
       SELECT w.minute, m.version, coalesce(m.fresh AND m.minute > now() - interval '110 minutes', false) AS fresh,
         m.events, m.failed, m.p50, m.p99
       FROM w LEFT JOIN console_event_minutes m ON m.minute = w.minute
     ), f AS (
       SELECT r.minute, coalesce(r.version, 0) AS version, x.events, x.failed, x.p50, x.p99
       FROM r CROSS JOIN LATERAL (
         SELECT count(*)::int AS events, (count(*) FILTER (WHERE e.status = 'failed'))::int AS failed,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.processed_at - e.received_at) * 1000)
             FILTER (WHERE e.status IN ('processed', 'ignored')) AS p50,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM e.processed_at - e.received_at) * 1000)
             FILTER (WHERE e.status IN ('processed', 'ignored')) AS p99
         FROM stripe_events e WHERE e.received_at >= r.minute AND e.received_at < r.minute + interval '1 minute'
       ) x
       WHERE NOT r.fresh
     ), stored AS (
       INSERT INTO console_event_minutes AS m (minute, version, fresh, events, failed, p50, p99)
       SELECT minute, version, true, events, failed, p50, p99 FROM f
       WHERE minute + interval '6 minutes' <= now() AND minute > now() - interval '110 minutes'
       ON CONFLICT (minute) DO UPDATE
         SET fresh = true, events = excluded.events, failed = excluded.failed, p50 = excluded.p50, p99 = excluded.p99
         WHERE m.version = excluded.version
     ), pruned AS (
       DELETE FROM console_event_minutes WHERE minute < now() - interval '2 hours'
     )
     SELECT minute, events, failed, p50, p99 FROM r WHERE fresh
     UNION ALL
     SELECT minute, events, failed, p50, p99 FROM f
     ORDER BY minute`,
    [from, to],
  );
  return rows;
}

export interface FailureDay {
  day: string;
  dead_jobs: number;
  failed_events: number;
}

export interface Backlog {
  dead_jobs: number;
  retrying_jobs: number;
  failed_events: number;
  retrying_events: number;
}

export interface Attention {
  /** Jobs that went dead and webhook events that failed for good, per day (days with none left out). */
  failures: FailureDay[];
  /** What needs an operator now: dead jobs and failed events, and those still being retried. */
  backlog: Backlog;
  /** The roll-ups with a closed hour not yet added up (see advanceRollup). */
  due: (keyof typeof rollups)[];
}

/**
 * The failure chart, the backlog tile and the roll-ups' check, in one statement (one round trip: the
 * overview's cost is mostly its statements' and its page's CPU, not their database time). Each count
 * reads a partial index (jobs_dead, jobs_due, stripe_events_failed, stripe_events_due).
 */
export async function attention(db: Queryable, range: DayRange): Promise<Attention> {
  const { rows } = await db.query<
    { day: string | null; dead: number | null; failed: number | null; due: string[] } & Backlog
  >(
    `WITH b AS (
       SELECT (SELECT count(*) FROM jobs WHERE status = 'dead')::int AS dead_jobs,
         (SELECT count(*) FROM jobs WHERE status = 'queued' AND attempts > 0)::int AS retrying_jobs,
         (SELECT count(*) FROM stripe_events WHERE status = 'failed')::int AS failed_events,
         (SELECT count(*) FROM stripe_events WHERE status = 'pending' AND attempts > 0)::int AS retrying_events,
         ARRAY(SELECT name FROM console_rollups
               WHERE closed_through < date_trunc('hour', now() - ${CLOSE_AFTER}) ORDER BY name) AS due
     ), f AS (
       SELECT day::text AS day, sum(dead)::int AS dead, sum(failed)::int AS failed FROM (
         SELECT (updated_at AT TIME ZONE 'UTC')::date AS day, 1 AS dead, 0 AS failed FROM jobs
         WHERE status = 'dead' AND updated_at >= ${utcDay('1')} AND updated_at < ${utcDay('2')} + interval '1 day'
         UNION ALL
         SELECT (processed_at AT TIME ZONE 'UTC')::date, 0, 1 FROM stripe_events
         WHERE status = 'failed' AND processed_at >= ${utcDay('1')} AND processed_at < ${utcDay('2')} + interval '1 day'
       ) x GROUP BY day
     )
     SELECT f.day, f.dead, f.failed, b.* FROM b LEFT JOIN f ON true ORDER BY f.day`,
    [range.from, range.to],
  );
  const first = rows[0]!;
  return {
    failures: rows
      .filter((r) => r.day !== null)
      .map((r) => ({ day: r.day!, dead_jobs: r.dead!, failed_events: r.failed! })),
    backlog: {
      dead_jobs: first.dead_jobs,
      retrying_jobs: first.retrying_jobs,
      failed_events: first.failed_events,
      retrying_events: first.retrying_events,
    },
    due: first.due.filter((n): n is keyof typeof rollups => n in rollups),
  };
}
