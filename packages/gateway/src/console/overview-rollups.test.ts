// The overview's roll-ups (migration 0018) against plain SQL over the rows they count: subscriptions
// (kept by a trigger as rows are inserted, updated and deleted) and webhook events per minute (closed
// minutes stored once, computed again when one of their events changes).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Queryable } from '../platform/db/types.js';
import { createTestApp, type TestApp } from '../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { type Overview, overview } from './overview.js';

let tdb: TestDatabase;
let t: TestApp;

before(async () => {
  tdb = await createTestDatabase();
  // The overview's days and minutes by the database's clock, so that plain SQL's now() agrees.
  t = await createTestApp(await tdb.open(), { syncCatalog: false });
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
});

const STARTED = `('active', 'trialing', 'past_due', 'unpaid', 'paused', 'canceled')`;

/** New, churned and active (all currencies), and active and MRR in `currency`, per day of the overview's range. */
async function subscriptionTruth(db: Queryable, o: Overview, currency: string) {
  const { rows } = await db.query<{
    day: string;
    started: number;
    churned: number;
    active: number;
  }>(
    `SELECT d::date::text AS day,
       (SELECT count(*) FROM subscriptions WHERE status IN ${STARTED} AND (created_at AT TIME ZONE 'UTC')::date = d::date)::int AS started,
       (SELECT count(*) FROM subscriptions WHERE status = 'canceled' AND (state_at AT TIME ZONE 'UTC')::date = d::date)::int AS churned,
       (SELECT count(*) FROM subscriptions WHERE status IN ${STARTED} AND (created_at AT TIME ZONE 'UTC')::date <= d::date
          AND NOT (status = 'canceled' AND (state_at AT TIME ZONE 'UTC')::date <= d::date))::int AS active
     FROM generate_series($1::date, $2::date, interval '1 day') d ORDER BY d`,
    [o.range.from, o.range.to],
  );
  const { rows: live } = await db.query<{
    day: string;
    plan: string | null;
    interval: string | null;
    n: number;
  }>(
    `SELECT d::date::text AS day, plan, interval, count(*)::int AS n
     FROM generate_series($1::date, $2::date, interval '1 day') d
     JOIN subscriptions s ON s.currency = $3 AND s.status IN ${STARTED} AND (s.created_at AT TIME ZONE 'UTC')::date <= d::date
       AND NOT (s.status = 'canceled' AND (s.state_at AT TIME ZONE 'UTC')::date <= d::date)
     GROUP BY 1, 2, 3`,
    [o.range.from, o.range.to, currency],
  );
  const mrr = rows.map(() => 0);
  const active = rows.map(() => 0);
  const unpriced = rows.map(() => 0);
  for (const r of live) {
    const i = o.range.days.indexOf(r.day);
    const price = t.catalog.prices.find(
      (p) => p.kind === 'plan' && p.itemId === r.plan && p.interval === r.interval && p.currency === currency,
    );
    active[i]! += r.n;
    if (price) mrr[i]! += (price.amount * r.n) / (r.interval === 'year' ? 12 : 1);
    else unpriced[i]! += r.n;
  }
  return {
    subscriptions: {
      newPerDay: rows.map((r) => r.started),
      churnedPerDay: rows.map((r) => r.churned),
      activePerDay: rows.map((r) => r.active),
    },
    mrr: { perDay: mrr.map(Math.round), activePerDay: active, unpriced: Math.max(0, ...unpriced) },
  };
}

/** The roll-up tables as a fresh count over subscriptions would make them (as migration 0018 fills them). */
async function rollupsMatchSubscriptions(db: Queryable): Promise<void> {
  const { rows: kept } = await db.query(
    `SELECT day::text, plan, interval, currency, started, churned, ended FROM console_subscription_days
     WHERE started <> 0 OR churned <> 0 OR ended <> 0 ORDER BY 1, 2, 3, 4`,
  );
  const { rows: counted } = await db.query(
    `SELECT day::text, plan, interval, currency, sum(s)::int AS started, sum(c)::int AS churned, sum(e)::int AS ended FROM (
       SELECT (created_at AT TIME ZONE 'UTC')::date AS day, coalesce(plan, '') AS plan, coalesce(interval, '') AS interval,
         currency, 1 AS s, 0 AS c, 0 AS e FROM subscriptions WHERE status IN ${STARTED}
       UNION ALL
       SELECT (state_at AT TIME ZONE 'UTC')::date, coalesce(plan, ''), coalesce(interval, ''), currency, 0, 1, 0
       FROM subscriptions WHERE status = 'canceled'
       UNION ALL
       SELECT (greatest(created_at, state_at) AT TIME ZONE 'UTC')::date, coalesce(plan, ''), coalesce(interval, ''), currency, 0, 0, 1
       FROM subscriptions WHERE status = 'canceled'
     ) x GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
  );
  assert.deepEqual(kept, counted, 'console_subscription_days');
  const { rows: totals } = await db.query(
    'SELECT plan, interval, currency, active FROM console_subscription_totals WHERE active <> 0 ORDER BY 1, 2, 3',
  );
  const { rows: truth } = await db.query(
    `SELECT coalesce(plan, '') AS plan, coalesce(interval, '') AS interval, currency, count(*)::int AS active
     FROM subscriptions WHERE status IN ('active', 'trialing', 'past_due', 'unpaid', 'paused') GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
  );
  assert.deepEqual(totals, truth, 'console_subscription_totals');
}

async function checkSubscriptions(currency: string): Promise<void> {
  const db = t.context.db;
  await rollupsMatchSubscriptions(db);
  for (const days of [7, 30, 90] as const) {
    const o = await overview(t.context, days, currency);
    assert.equal(o.currency, currency);
    const truth = await subscriptionTruth(db, o, currency);
    assert.deepEqual(o.subscriptions, truth.subscriptions, `subscriptions over ${days} days`);
    assert.deepEqual(o.mrr, truth.mrr, `MRR over ${days} days`);
  }
}

/** The overview's events chart against the same figures computed from stripe_events. */
async function checkEvents(): Promise<Overview['events']> {
  const o = await overview(t.context, 7, undefined);
  const { rows } = await t.context.db.query<{
    minute: Date;
    events: number;
    failed: number;
    p50: number | null;
    p99: number | null;
  }>(
    `SELECT date_trunc('minute', received_at) AS minute, count(*)::int AS events,
       (count(*) FILTER (WHERE status = 'failed'))::int AS failed,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at) * 1000)
         FILTER (WHERE status IN ('processed', 'ignored')) AS p50,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at) * 1000)
         FILTER (WHERE status IN ('processed', 'ignored')) AS p99
     FROM stripe_events WHERE received_at >= $1 AND received_at < $2 GROUP BY 1 ORDER BY 1`,
    [o.events.minutes[0], new Date(o.events.minutes.at(-1)!.getTime() + 60_000)],
  );
  const byMinute = new Map(rows.map((r) => [new Date(r.minute).getTime(), r]));
  const expected = {
    minutes: o.events.minutes,
    counts: o.events.minutes.map((m) => byMinute.get(m.getTime())?.events ?? 0),
    failed: o.events.minutes.map((m) => byMinute.get(m.getTime())?.failed ?? 0),
    p50: o.events.minutes.map((m) => byMinute.get(m.getTime())?.p50 ?? null),
    p99: o.events.minutes.map((m) => byMinute.get(m.getTime())?.p99 ?? null),
  };
  assert.deepEqual(o.events, expected);
  return o.events;
}

describe(`overview roll-ups (${process.env.PAYDESK_TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  test('subscriptions: the roll-ups follow inserts, updates and deletes, and the charts equal plain SQL', async () => {
    const db = t.context.db;
    await db.query(
      `INSERT INTO customers (id, external_id, email)
       SELECT 'cust_roll' || g, 'roll-' || g, 'roll' || g || '@example.com' FROM generate_series(1, 40) g`,
    );
    // Started over the last 100 days (some before every range), in usd and eur, on catalog plans, on
    // a price outside the catalog (no plan), one in six cancelled days later, one trialing, and some
    // that never started (pending, incomplete).
    await db.query(
      `INSERT INTO subscriptions (id, customer_id, stripe_subscription_id, status, plan, interval, currency, state_at, created_at)
       SELECT 'psub_roll' || g, 'cust_roll' || (1 + g % 40), 'sub_roll' || g,
         CASE WHEN g % 6 = 0 AND t + make_interval(days => g % 9) < now() THEN 'canceled'
              WHEN g % 11 = 0 THEN 'incomplete' WHEN g % 13 = 0 THEN 'trialing' ELSE 'active' END,
         CASE WHEN g % 7 = 0 THEN NULL WHEN g % 2 = 0 THEN 'pro' ELSE 'starter' END,
         CASE WHEN g % 7 = 0 THEN NULL WHEN g % 5 = 0 THEN 'year' ELSE 'month' END,
         CASE WHEN g % 4 = 0 THEN 'eur' ELSE 'usd' END,
         CASE WHEN g % 6 = 0 AND t + make_interval(days => g % 9) < now() THEN t + make_interval(days => g % 9) ELSE t END,
         t
       FROM generate_series(1, 240) g, LATERAL (SELECT now() - make_interval(hours => g * 10)) AS x(t)`,
    );
    await db.query(
      `INSERT INTO subscriptions (id, customer_id, status, plan, interval, currency)
       VALUES ('psub_rollpending', 'cust_roll1', 'pending', 'pro', 'month', 'usd')`,
    );
    await checkSubscriptions('usd');

    // Changes as the service and Stripe's events make them: cancellations (one before it started:
    // a late event), a pending one that became active, a plan change, a reactivation, a move of a
    // cancellation day, and a change that counts for nothing (a new period end).
    await db.query(
      `UPDATE subscriptions SET status = 'canceled', state_at = now() - interval '2 days'
       WHERE id IN ('psub_roll1', 'psub_roll3', 'psub_roll29', 'psub_roll57', 'psub_roll200')`,
    );
    await db.query(
      `UPDATE subscriptions SET status = 'canceled', state_at = created_at - interval '3 days' WHERE id = 'psub_roll5'`,
    );
    await db.query(
      `UPDATE subscriptions SET status = 'active', stripe_subscription_id = 'sub_rollpending', state_at = now()
       WHERE id = 'psub_rollpending'`,
    );
    await db.query(
      `UPDATE subscriptions SET plan = 'pro', interval = 'year' WHERE id IN ('psub_roll2', 'psub_roll9')`,
    );
    await db.query(`UPDATE subscriptions SET status = 'active', state_at = now() WHERE id = 'psub_roll6'`);
    await db.query(
      `UPDATE subscriptions SET state_at = state_at - interval '1 day' WHERE status = 'canceled' AND id = 'psub_roll12'`,
    );
    await db.query(
      `UPDATE subscriptions SET current_period_end = now() + interval '30 days', revision = revision + 1`,
    );
    await db.query(`UPDATE subscriptions SET currency = 'eur' WHERE id = 'psub_roll10'`);
    await db.query(`DELETE FROM subscriptions WHERE id IN ('psub_roll4', 'psub_roll18', 'psub_roll22')`);
    await checkSubscriptions('usd');
    await checkSubscriptions('eur');

    // A transaction rolled back leaves the roll-ups as they were.
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query(
          `UPDATE subscriptions SET status = 'canceled', state_at = now() WHERE id = 'psub_roll7'`,
        );
        throw new Error('rolled back');
      }),
      /rolled back/,
    );
    await checkSubscriptions('usd');
  });

  test('webhook events: closed minutes are stored once and computed again when one of their events changes', async () => {
    const db = t.context.db;
    // Events over the last 70 minutes, applied in 3 to 30 ms; some failed, some still pending.
    await db.query(
      `INSERT INTO stripe_events (id, type, created, livemode, payload, received_at, status, processed_at, attempts)
       SELECT 'evt_roll' || g, 'invoice.paid', t, false, '{}'::json, t,
         CASE WHEN g % 17 = 0 THEN 'failed' WHEN g % 23 = 0 THEN 'pending' WHEN g % 5 = 0 THEN 'ignored' ELSE 'processed' END,
         CASE WHEN g % 23 = 0 THEN NULL ELSE t + make_interval(secs => (3 + g % 28) / 1000.0) END, 1
       FROM generate_series(1, 700) g, LATERAL (SELECT now() - make_interval(secs => g * 6)) AS x(t)`,
    );
    const first = await checkEvents();
    assert.ok(first.counts.reduce((a, b) => a + b, 0) > 500);
    const stored = async () =>
      (
        await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM console_event_minutes WHERE fresh AND minute > now() - interval '1 hour'`,
        )
      ).rows[0]!.n;
    assert.ok((await stored()) >= 50, 'the closed minutes of the hour are stored');
    await checkEvents();

    // A pending event applied late, a failed one replayed and applied, a processed one that failed on
    // a retry, events deleted, and one inserted into a closed minute.
    await db.query(
      `UPDATE stripe_events SET status = 'processed', processed_at = received_at + interval '2 seconds' WHERE id = 'evt_roll230'`,
    );
    await db.query(
      `UPDATE stripe_events SET status = 'pending', processed_at = NULL, attempts = 0 WHERE id = 'evt_roll340'`,
    );
    await db.query(
      `UPDATE stripe_events SET status = 'failed', processed_at = now() WHERE id = 'evt_roll301'`,
    );
    await db.query(`DELETE FROM stripe_events WHERE id IN ('evt_roll400', 'evt_roll401', 'evt_roll402')`);
    await db.query(
      `INSERT INTO stripe_events (id, type, created, livemode, payload, received_at, status, processed_at, attempts)
       VALUES ('evt_rolllate', 'invoice.paid', now(), false, '{}'::json, now() - interval '20 minutes', 'processed',
         now() - interval '20 minutes' + interval '900 milliseconds', 1)`,
    );
    await checkEvents();
    // Claiming and leasing touch no column the figures use: the stored minutes stay fresh.
    const before = await stored();
    await db.query(`UPDATE stripe_events SET run_at = now(), locked_by = 'w1' WHERE id = 'evt_roll230'`);
    assert.equal(await stored(), before);
    await checkEvents();
  });
});
