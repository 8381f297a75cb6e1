// The job a succeeded refund with `cancel_subscription: true` queues (in the refund's transaction):
// the subscription the refunded invoice paid for is cancelled now in Stripe (idempotency key derived
// from the refund), and its new state recorded as a webhook would (entitlements, notifications).

import type { AppContext as Services } from '../context.js';
import { callStripe, idempotencyKey } from '../platform/stripe/client.js';
import { applySubscription } from '../subscriptions/apply.js';
import { subscriptionByStripeId } from '../subscriptions/service.js';
import { refundById } from './store.js';

const ENDED: readonly string[] = ['canceled', 'incomplete_expired'];

/** The Stripe subscription a payment intent paid an invoice of, if any. */
export async function subscriptionOfPayment(s: Services, paymentIntentId: string): Promise<string | null> {
  const payments = await callStripe(() =>
    s.stripe.invoicePayments.list({
      payment: { type: 'payment_intent', payment_intent: paymentIntentId },
      limit: 1,
    }),
  );
  const invoiceRef = payments.data[0]?.invoice;
  if (!invoiceRef) return null;
  const invoice = await callStripe(() =>
    s.stripe.invoices.retrieve(typeof invoiceRef === 'string' ? invoiceRef : invoiceRef.id),
  );
  const ref = invoice.parent?.subscription_details?.subscription;
  return ref ? (typeof ref === 'string' ? ref : ref.id) : null;
}

export function cancelSubscriptionJob(
  s: Services,
): (job: { payload: Record<string, unknown> }) => Promise<void> {
  return async (job) => {
    const refund = await refundById(s.db, String(job.payload.refund));
    if (!refund?.cancel_subscription || refund.status !== 'succeeded') return;
    const stripeSubId = await subscriptionOfPayment(s, refund.stripe_payment_intent_id);
    if (!stripeSubId) {
      s.logger.warn(
        { refund: refund.id },
        'refund asked to cancel a subscription, but the payment paid none',
      );
      return;
    }
    const local = await subscriptionByStripeId(s.db, stripeSubId);
    if (!local || ENDED.includes(local.status)) return;
    const observedAt = s.now();
    const sub = await callStripe(() =>
      s.stripe.subscriptions.cancel(
        stripeSubId,
        {},
        { idempotencyKey: idempotencyKey('refund.cancel_subscription', refund.id) },
      ),
    );
    await applySubscription(s, sub, observedAt);
    s.logger.info({ refund: refund.id, subscription: local.id }, 'subscription cancelled by its refund');
  };
}
