// The entitlements table: one row per customer, what their decisive subscription grants.
import type { Queryable } from '../platform/db/types.js';

export interface EntitlementRow {
  customer_id: string;
  subscription_id: string | null;
  plan: string | null;
  status: string | null;
  keys: string[];
  current_period_end: Date | null;
  past_due_since: Date | null;
  updated_at: Date;
}

/** What entitlements need to know of a customer's subscriptions. */
export interface SubscriptionFacts {
  id: string;
  status: string;
  plan: string | null;
  current_period_end: Date | null;
  created_at: Date;
}

export async function entitlementOf(db: Queryable, customerId: string): Promise<EntitlementRow | undefined> {
  return (await db.query<EntitlementRow>('SELECT * FROM entitlements WHERE customer_id = $1', [customerId]))
    .rows[0];
}

/** The customer's subscriptions paydesk knows the state of (not those still being created). */
export async function subscriptionFactsOf(db: Queryable, customerId: string): Promise<SubscriptionFacts[]> {
  const r = await db.query<SubscriptionFacts>(
    `SELECT id, status, plan, current_period_end, created_at FROM subscriptions WHERE customer_id = $1 AND status <> 'pending'`,
    [customerId],
  );
  return r.rows;
}

export async function upsertEntitlement(
  db: Queryable,
  row: Omit<EntitlementRow, 'updated_at'>,
): Promise<EntitlementRow> {
  const r = await db.query<EntitlementRow>(
    `INSERT INTO entitlements (customer_id, subscription_id, plan, status, keys, current_period_end, past_due_since, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now())
     ON CONFLICT (customer_id) DO UPDATE SET subscription_id = excluded.subscription_id, plan = excluded.plan,
       status = excluded.status, keys = excluded.keys, current_period_end = excluded.current_period_end,
       past_due_since = excluded.past_due_since, updated_at = now()
     RETURNING *`,
    [
      row.customer_id,
      row.subscription_id,
      row.plan,
      row.status,
      row.keys,
      row.current_period_end,
      row.past_due_since,
    ],
  );
  return r.rows[0]!;
}
