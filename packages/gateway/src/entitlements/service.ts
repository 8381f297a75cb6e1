// Entitlements: what a customer may use, derived from their subscription's status and plan.
// active and trialing grant the plan's keys; past_due grants them for PAYDESK_GRACE_PERIOD_DAYS after
// it began; unpaid, canceled, incomplete, incomplete_expired and paused grant nothing.

import type { AppContext } from '../context.js';
import { accessSuspended } from '../disputes/service.js';
import type { Queryable } from '../platform/db/types.js';
import {
  type EntitlementRow,
  entitlementOf,
  type SubscriptionFacts,
  subscriptionFactsOf,
  upsertEntitlement,
} from './store.js';

export type { EntitlementRow };
export { entitlementOf };

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
  const subs = await subscriptionFactsOf(tx, customerId);
  const before = await entitlementOf(tx, customerId);
  const sub = decisive(subs);
  const plan = sub?.plan ? s.catalog.plan(sub.plan) : undefined;
  const status = sub?.status ?? null;
  // An open (or lost) dispute of one of the customer's subscription payments suspends their access
  // (PAYDESK_DISPUTE_ACCESS, disputes/service.ts).
  const suspended = await accessSuspended(tx, customerId);
  const keys =
    !suspended && (status === 'active' || status === 'trialing' || status === 'past_due')
      ? [...(plan?.entitlements ?? [])]
      : [];
  const pastDueSince =
    status === 'past_due'
      ? before?.status === 'past_due' && before.past_due_since
        ? before.past_due_since
        : at
      : null;
  const row = await upsertEntitlement(tx, {
    customer_id: customerId,
    subscription_id: sub?.id ?? null,
    plan: sub?.plan ?? null,
    status,
    keys,
    current_period_end: sub?.current_period_end ?? null,
    past_due_since: pastDueSince,
  });
  const grace = s.config.gracePeriodDays;
  const changed =
    !before ||
    before.status !== row.status ||
    before.plan !== row.plan ||
    activeKeys(before, grace, at).join(',') !== activeKeys(row, grace, at).join(',');
  return { row, changed };
}
