// Refunds kept current from Stripe (refund.created/updated/failed, charge.refunded,
// charge.refund.updated, and reconcile): the charge is re-read with its refunds, and each refund is
// matched to paydesk's row — by Stripe id, or by the paydesk_refund_id paydesk put in its metadata (a
// refund whose answer paydesk never got) — or recorded as a refund made in Stripe (its dashboard,
// another tool). State moves and their effects go through changeRefund, once each.
import type Stripe from 'stripe';
import type { AppContext as Services } from '../context.js';
import { withTransaction } from '../platform/db/tx.js';
import { callStripe } from '../platform/stripe/client.js';
import { changeRefund } from './effects.js';
import { newRefundId } from './service.js';
import { insertRefund, paymentByRef, refundById, refundByStripeId, updateRefund } from './store.js';
import { statusOf } from './stripe-outcome.js';

export type SyncOutcome = { applied: true } | { applied: false; reason: string };

export const NO_PAYMENT = 'no paydesk payment for this charge';

export function chargeIdOf(object: Stripe.Charge | Stripe.Refund): string | null {
  if (object.object === 'charge') return object.id;
  const ref = object.charge;
  return ref === null ? null : typeof ref === 'string' ? ref : ref.id;
}

/** Re-reads the charge with its refunds and brings paydesk's refunds of it up to date. */
export async function syncChargeRefunds(s: Services, chargeId: string): Promise<SyncOutcome> {
  const charge = await callStripe(() => s.stripe.charges.retrieve(chargeId, { expand: ['refunds'] }));
  const piId = typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id;
  if (!piId) return { applied: false, reason: 'the charge has no payment intent' };
  const refunds = [...(charge.refunds?.data ?? [])].sort(
    (a, b) => a.created - b.created || a.id.localeCompare(b.id),
  );
  const outcome = await withTransaction(s, async (tx): Promise<SyncOutcome> => {
    const payment = await paymentByRef(tx, { paymentIntent: piId }, { lock: true });
    if (!payment) return { applied: false, reason: NO_PAYMENT };
    for (const refund of refunds) {
      let row = await refundByStripeId(tx, refund.id);
      const claimed = refund.metadata?.paydesk_refund_id;
      if (!row && claimed && refund.metadata?.paydesk_instance === s.config.instanceId) {
        const own = await refundById(tx, claimed, { lock: true });
        if (own && own.payment_id === payment.id && own.stripe_refund_id === null) {
          row = await updateRefund(tx, own.id, { stripe_refund_id: refund.id, stripe_charge_id: charge.id });
        }
      }
      if (!row) {
        // Made in Stripe: recorded as it is, then moved to Stripe's status (with its effects).
        row = await insertRefund(tx, {
          id: newRefundId(),
          request_id: `stripe:${refund.id}`,
          request_hash: null,
          origin: 'stripe',
          payment_id: payment.id,
          customer_id: payment.customer_id,
          stripe_payment_intent_id: piId,
          stripe_charge_id: charge.id,
          stripe_refund_id: refund.id,
          amount: refund.amount,
          currency: refund.currency,
          reason: refund.reason ?? null,
          metadata: {},
          status: 'processing',
          async: false,
          cancel_subscription: false,
        });
        if (!row) continue;
      }
      await changeRefund(s, tx, row.id, {
        status: statusOf(refund),
        stripe_refund_id: refund.id,
        stripe_charge_id: charge.id,
        failure_reason: refund.failure_reason ?? null,
      });
    }
    return { applied: true };
  });
  return outcome;
}
