// A subscription changed in Stripe: record its state (never older over newer), recompute the
// customer's entitlements, and notify — in one transaction.
import type Stripe from 'stripe';
import type { AppContext } from '../context.js';
import { refreshEntitlements } from '../entitlements/service.js';
import { notify } from '../notifications/service.js';
import { withTransaction } from '../platform/db/tx.js';
import { isOurs, recordSubscriptionState } from './service.js';

export type Applied = { applied: true; customerId: string } | { applied: false; reason: string };

/** Records `sub` as observed at `observedAt` (when paydesk fetched it from Stripe). */
export async function applySubscription(
  s: AppContext,
  sub: Stripe.Subscription,
  observedAt: Date,
): Promise<Applied> {
  if (!isOurs(s, sub))
    return { applied: false, reason: 'the subscription belongs to another paydesk instance or to none' };
  return withTransaction(s, async (tx): Promise<Applied> => {
    const row = await recordSubscriptionState(s, tx, sub, observedAt);
    if (!row) return { applied: false, reason: 'no paydesk customer for this subscription' };
    // Notified per state paydesk stored; a stale write (an older state) changes nothing and says nothing.
    await notify(
      s,
      tx,
      'subscription.updated',
      `${sub.id}:${row.status}:${new Date(row.state_at).toISOString()}`,
      {
        customer: row.customer_id,
        subscription: row.id,
        stripe_subscription: sub.id,
        status: row.status,
        plan: row.plan,
        interval: row.interval,
        cancel_at_period_end: row.cancel_at_period_end,
        current_period_end: row.current_period_end ? new Date(row.current_period_end).toISOString() : null,
      },
    );
    const ent = await refreshEntitlements(s, tx, row.customer_id, observedAt);
    if (ent.changed) {
      await notify(
        s,
        tx,
        'entitlements.updated',
        `${row.customer_id}:${new Date(ent.row.updated_at).toISOString()}`,
        {
          customer: row.customer_id,
          plan: ent.row.plan,
          status: ent.row.status,
          keys: ent.row.keys,
        },
      );
    }
    return { applied: true, customerId: row.customer_id };
  });
}
