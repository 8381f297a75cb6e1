// A made-up history for the console's overview (its browser test and bench/pages/console.ts): customers,
// payments in three currencies, subscriptions started and cancelled, credits granted and used, webhook
// events of the last hour and dead jobs, spread over the last `days` days before the database's now().
// Rows are written with the times they would have had (created_at = when paid), as the live
// service writes them. Deterministic: the same sizes give the same rows.
import type { Queryable } from '../platform/db/types.js';

export interface HistorySize {
  customers: number;
  payments: number;
  subscriptions: number;
  ledger: number;
  /** Webhook events received over the last hour. */
  events: number;
  deadJobs: number;
  /** Jobs that finished (kept, as paydesk keeps them), over the days; none unless given. */
  doneJobs?: number;
  days: number;
}

/** Currency of row g: 70% usd, 20% eur, 10% jpy. */
const currencyOf = (g: string) =>
  `(CASE WHEN ${g} % 10 < 7 THEN 'usd' WHEN ${g} % 10 < 9 THEN 'eur' ELSE 'jpy' END)`;

export async function seedHistory(db: Queryable, size: HistorySize): Promise<void> {
  const { customers, payments, subscriptions, ledger, events, deadJobs, doneJobs = 0, days } = size;
  const customerOf = (g: string) =>
    `'cust_seed' || lpad((1 + (${g}::bigint * 7919) % ${customers})::text, 8, '0')`;
  await db.query(
    `INSERT INTO customers (id, external_id, email)
     SELECT 'cust_seed' || lpad(g::text, 8, '0'), 'seed-' || g, 'seed' || g || '@example.com'
     FROM generate_series(1, $1::int) g`,
    [customers],
  );
  // Payments: evenly over the days, pack prices of the currency, written when paid.
  await db.query(
    `INSERT INTO payments (id, stripe_payment_intent_id, customer_id, amount, currency, source, item_kind, item_id,
       quantity, description, paid_at, created_at)
     SELECT 'pay_seed' || g, 'pi_seed' || g, ${customerOf('g')},
       CASE ${currencyOf('g')} WHEN 'usd' THEN 500 WHEN 'eur' THEN 450 ELSE 750 END * (1 + g % 3),
       ${currencyOf('g')}, 'checkout', 'pack', 'credits-100', 1 + g % 3, 'credits', t, t
     FROM generate_series(1, $1::int) g,
       LATERAL (SELECT now() - make_interval(secs => (g::float8 * $2::int * 86400) / $1::int)) AS x(t)`,
    [payments, days],
  );
  // Subscriptions: started over the days (and 30 before), one in five cancelled 1 to 40 days later
  // (if that is past);
  // starter and pro, monthly with every fifth yearly.
  await db.query(
    `INSERT INTO subscriptions (id, customer_id, stripe_subscription_id, status, plan, interval, currency,
       current_period_end, state_at, created_at, updated_at)
     SELECT 'psub_seed' || g, ${customerOf('g')}, 'sub_seed' || g,
       CASE WHEN cancelled THEN 'canceled' ELSE 'active' END,
       CASE WHEN g % 3 = 0 THEN 'pro' ELSE 'starter' END,
       CASE WHEN g % 5 = 0 THEN 'year' ELSE 'month' END,
       ${currencyOf('g')}, now() + interval '20 days',
       CASE WHEN cancelled THEN t + make_interval(days => 1 + g % 40) ELSE t END,
       t, t
     FROM generate_series(1, $1::int) g,
       LATERAL (SELECT now() - make_interval(secs => (g::float8 * ($2::int + 30) * 86400) / $1::int)) AS x(t),
       LATERAL (SELECT g % 5 = 1 AND t + make_interval(days => 1 + g % 40) < now()) AS y(cancelled)`,
    [subscriptions, days],
  );
  // Credits: two grants of 100 for every use of 1 to 49.
  await db.query(
    `INSERT INTO credit_ledger (customer_id, delta, balance, reason, cause, note, created_at)
     SELECT ${customerOf('g')}, d, 1000, CASE WHEN d > 0 THEN 'pack_purchase' ELSE 'consume' END, 'seed:' || g, null, t
     FROM generate_series(1, $1::int) g,
       LATERAL (SELECT CASE WHEN g % 3 = 0 THEN -(1 + g % 49) ELSE 100 END,
                       now() - make_interval(secs => (g::float8 * $2::int * 86400) / $1::int)) AS x(d, t)`,
    [ledger, days],
  );
  // Webhook events of the last hour, applied in 5 to 44 ms (one in 50 failed for good).
  await db.query(
    `INSERT INTO stripe_events (id, type, created, livemode, payload, received_at, status, processed_at, attempts)
     SELECT 'evt_seed' || g, 'invoice.paid', t, false, '{}'::json, t,
       CASE WHEN g % 50 = 0 THEN 'failed' ELSE 'processed' END,
       t + make_interval(secs => (5 + g % 40) / 1000.0), 1
     FROM generate_series(1, $1::int) g,
       LATERAL (SELECT now() - make_interval(secs => (g::float8 * 3540) / $1::int)) AS x(t)`,
    [events],
  );
  await db.query(
    `INSERT INTO jobs (kind, payload, status, attempts, max_attempts, last_error, created_at, updated_at, finished_at)
     SELECT 'notify', '{}'::jsonb, 'dead', 12, 12, 'the product answered 500', t, t, t
     FROM generate_series(1, $1::int) g,
       LATERAL (SELECT now() - make_interval(secs => (g::float8 * $2::int * 86400) / ($1::int + 1))) AS x(t)`,
    [deadJobs, days],
  );
  await db.query(
    `INSERT INTO jobs (kind, payload, status, attempts, max_attempts, created_at, updated_at, finished_at)
     SELECT 'notify', '{}'::jsonb, 'done', 1, 12, t, t, t
     FROM generate_series(1, $1::int) g,
       LATERAL (SELECT now() - make_interval(secs => (g::float8 * $2::int * 86400) / ($1::int + 1))) AS x(t)`,
    [doneJobs, days],
  );
}
