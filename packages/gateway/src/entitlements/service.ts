// Entitlements: what a customer may use, derived from their subscription's status and plan.
// active and trialing grant the plan's keys; past_due grants them for PAYDESK_GRACE_PERIOD_DAYS after
// it began; unpaid, canceled, incomplete, incomplete_expired and paused grant nothing.

import type { AppContext } from '../context.js';
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

interface SubscriptionFacts {
  id: string;
  status: string;
  plan: string | null;
  current_period_end: Date | null;
  created_at: Date;
}

const rank: Record<string, number> = {
  active: 0,
  trialing: 0,
  past_due: 1,
  unpaid: 2,
  paused: 2,
  incomplete: 3,
};

/** The subscription that decides a customer's access: the livest one, newest first. */
function decisive(subs: readonly SubscriptionFacts[]): SubscriptionFacts | undefined {
  return [...subs].sort(
    (a, b) =>
      (rank[a.status] ?? 9) - (rank[b.status] ?? 9) || b.created_at.getTime() - a.created_at.getTime(),
  )[0];
}

export function graceUntil(row: Pick<EntitlementRow, 'past_due_since'>, graceDays: number): Date | null {
  return row.past_due_since ? new Date(row.past_due_since.getTime() + graceDays * 86_400_000) : null;
}

/** The keys a stored entitlement grants at `now` (past_due access ends with the grace period). */
export function activeKeys(
  row: Pick<EntitlementRow, 'status' | 'keys' | 'past_due_since'>,
  graceDays: number,
  now: Date,
): string[] {
  if (row.status === 'active' || row.status === 'trialing') return row.keys;
  if (row.status === 'past_due') {
    const until = graceUntil(row, graceDays);
    return until && now < until ? row.keys : [];
  }
  return [];
}

export async function entitlementOf(db: Queryable, customerId: string): Promise<EntitlementRow | undefined> {
  return (await db.query<EntitlementRow>('SELECT * FROM entitlements WHERE customer_id = $1', [customerId]))
    .rows[0];
}

/**
 * Recomputes a customer's entitlement from their subscriptions (inside the caller's transaction) and
 * says whether what they may use changed.
 */
export async function refreshEntitlements(
  s: Pick<AppContext, 'catalog' | 'config'>,
  tx: Queryable,
  customerId: string,
  at: Date,
): Promise<{ row: EntitlementRow; changed: boolean }> {
  const subs = await tx.query<SubscriptionFacts>(
    `SELECT id, status, plan, current_period_end, created_at FROM subscriptions WHERE customer_id = $1 AND status <> 'pending'`,
    [customerId],
  );
  const before = await entitlementOf(tx, customerId);
  const sub = decisive(subs.rows);
  const plan = sub?.plan ? s.catalog.plan(sub.plan) : undefined;
  const status = sub?.status ?? null;
  const keys =
    status === 'active' || status === 'trialing' || status === 'past_due'
      ? [...(plan?.entitlements ?? [])]
      : [];
  const pastDueSince =
    status === 'past_due'
      ? before?.status === 'past_due' && before.past_due_since
        ? before.past_due_since
        : at
      : null;
  const r = await tx.query<EntitlementRow>(
    `INSERT INTO entitlements (customer_id, subscription_id, plan, status, keys, current_period_end, past_due_since, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now())
     ON CONFLICT (customer_id) DO UPDATE SET subscription_id = excluded.subscription_id, plan = excluded.plan,
       status = excluded.status, keys = excluded.keys, current_period_end = excluded.current_period_end,
       past_due_since = excluded.past_due_since, updated_at = now()
     RETURNING *`,
    [
      customerId,
      sub?.id ?? null,
      sub?.plan ?? null,
      status,
      keys,
      sub?.current_period_end ?? null,
      pastDueSince,
    ],
  );
  const row = r.rows[0]!;
  const grace = s.config.gracePeriodDays;
  const changed =
    !before ||
    before.status !== row.status ||
    before.plan !== row.plan ||
    activeKeys(before, grace, at).join(',') !== activeKeys(row, grace, at).join(',');
  return { row, changed };
}
