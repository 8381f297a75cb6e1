import type { Queryable } from '../platform/db/types.js';

export interface SubscriptionRow {
  id: string;
  customer_id: string;
  stripe_subscription_id: string | null;
  status: string;
  plan: string | null;
  interval: 'month' | 'year' | null;
  currency: string;
  cancel_at_period_end: boolean;
  cancel_at: Date | null;
  current_period_end: Date | null;
  /** The price per period in minor units, as Stripe bills it (null until Stripe has the subscription). */
  amount: number | null;
  trial_end: Date | null;
  ended_at: Date | null;
  state_at: Date;
  revision: number;
  created_at: Date;
  updated_at: Date;
}

/** The state of a subscription as Stripe reported it at `state_at`. */
export interface SubscriptionState {
  id: string;
  customer_id: string;
  stripe_subscription_id: string;
  status: string;
  plan: string | null;
  interval: 'month' | 'year' | null;
  currency: string;
  cancel_at_period_end: boolean;
  cancel_at: Date | null;
  current_period_end: Date | null;
  /** The price per period in minor units, as Stripe bills it (null until Stripe has the subscription). */
  amount: number | null;
  trial_end: Date | null;
  ended_at: Date | null;
  state_at: Date;
}

const columns = `id, customer_id, stripe_subscription_id, status, plan, interval, currency, cancel_at_period_end,
  cancel_at, current_period_end, amount::float8 AS amount, trial_end, ended_at, state_at, revision, created_at,
  updated_at`;

/**
 * Records that a subscription is about to be created in Stripe. Undefined when another one of this
 * customer is already being created (one pending row per customer).
 */
export async function insertPending(
  db: Queryable,
  row: {
    id: string;
    customer_id: string;
    plan: string;
    interval: 'month' | 'year';
    currency: string;
    state_at: Date;
  },
): Promise<SubscriptionRow | undefined> {
  const r = await db.query<SubscriptionRow>(
    `INSERT INTO subscriptions (id, customer_id, status, plan, interval, currency, state_at)
     VALUES ($1, $2, 'pending', $3, $4, $5, $6)
     ON CONFLICT (customer_id) WHERE status = 'pending' DO NOTHING
     RETURNING ${columns}`,
    [row.id, row.customer_id, row.plan, row.interval, row.currency, row.state_at],
  );
  return r.rows[0];
}

export async function subscriptionById(db: Queryable, id: string): Promise<SubscriptionRow | undefined> {
  return (await db.query<SubscriptionRow>(`SELECT ${columns} FROM subscriptions WHERE id = $1`, [id]))
    .rows[0];
}

/** A customer's subscriptions as last recorded, newest first (index subscriptions_customer). */
export async function subscriptionsOfCustomer(
  db: Queryable,
  customerId: string,
  limit: number,
): Promise<SubscriptionRow[]> {
  return (
    await db.query<SubscriptionRow>(
      `SELECT ${columns} FROM subscriptions WHERE customer_id = $1 ORDER BY created_at DESC LIMIT $2`,
      [customerId, limit],
    )
  ).rows;
}

export async function subscriptionByStripeId(
  db: Queryable,
  stripeId: string,
): Promise<SubscriptionRow | undefined> {
  return (
    await db.query<SubscriptionRow>(
      `SELECT ${columns} FROM subscriptions WHERE stripe_subscription_id = $1`,
      [stripeId],
    )
  ).rows[0];
}

export async function pendingForCustomer(
  db: Queryable,
  customerId: string,
): Promise<SubscriptionRow | undefined> {
  return (
    await db.query<SubscriptionRow>(
      `SELECT ${columns} FROM subscriptions WHERE customer_id = $1 AND status = 'pending'`,
      [customerId],
    )
  ).rows[0];
}

/**
 * Stores a state seen in Stripe, unless the row already holds a newer one (`state_at`). A pending row
 * always takes its first Stripe state. Returns the row as stored afterwards.
 */
export async function upsertState(db: Queryable, s: SubscriptionState): Promise<SubscriptionRow> {
  const r = await db.query<SubscriptionRow>(
    `INSERT INTO subscriptions (id, customer_id, stripe_subscription_id, status, plan, interval, currency,
       cancel_at_period_end, cancel_at, current_period_end, amount, trial_end, ended_at, state_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
     ON CONFLICT (id) DO UPDATE SET
       stripe_subscription_id = EXCLUDED.stripe_subscription_id,
       status = EXCLUDED.status,
       plan = EXCLUDED.plan,
       interval = EXCLUDED.interval,
       currency = EXCLUDED.currency,
       cancel_at_period_end = EXCLUDED.cancel_at_period_end,
       cancel_at = EXCLUDED.cancel_at,
       current_period_end = EXCLUDED.current_period_end,
       amount = EXCLUDED.amount,
       trial_end = EXCLUDED.trial_end,
       ended_at = EXCLUDED.ended_at,
       state_at = EXCLUDED.state_at,
       updated_at = now()
     WHERE subscriptions.status = 'pending' OR subscriptions.state_at <= EXCLUDED.state_at
     RETURNING ${columns}`,
    [
      s.id,
      s.customer_id,
      s.stripe_subscription_id,
      s.status,
      s.plan,
      s.interval,
      s.currency,
      s.cancel_at_period_end,
      s.cancel_at,
      s.current_period_end,
      s.amount,
      s.trial_end,
      s.ended_at,
      s.state_at,
    ],
  );
  if (r.rows[0]) return r.rows[0];
  const kept = await subscriptionById(db, s.id);
  if (!kept) throw new Error(`subscription ${s.id} vanished during upsert`);
  return kept;
}

/** Takes the next revision of a subscription: the operation id of one change paydesk asks Stripe for. */
export async function nextRevision(db: Queryable, id: string): Promise<number> {
  const r = await db.query<{ revision: number }>(
    'UPDATE subscriptions SET revision = revision + 1, updated_at = now() WHERE id = $1 RETURNING revision',
    [id],
  );
  const row = r.rows[0];
  if (!row) throw new Error(`subscription ${id} vanished`);
  return row.revision;
}

/** Drops a pending row whose Stripe creation failed before anything was created. */
export async function deletePending(db: Queryable, id: string): Promise<void> {
  await db.query(`DELETE FROM subscriptions WHERE id = $1 AND status = 'pending'`, [id]);
}
