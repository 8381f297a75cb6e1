// A charge was refunded (fully or in part): the payment records what was refunded, and — when
// PAYDESK_REFUND_CLAWBACK is on — a refunded credit pack takes its credits back in proportion (never
// below a zero balance), once per refund, with notifications, in one transaction.
import type Stripe from 'stripe';
import type { AppContext } from '../context.js';
import { clawbackCredits } from '../credits/service.js';
import { notify } from '../notifications/service.js';
import { withTransaction } from '../platform/db/tx.js';
import { callStripe } from '../platform/stripe/client.js';
import { paymentForUpdate, setAmountRefunded } from './store.js';

/** Credits to have taken back once `refunded` of `amount` is refunded (cumulative, so rounding never drifts). */
export function creditsToTakeBack(credits: number, amount: number, refunded: number): number {
  if (amount <= 0) return 0;
  return Math.floor((credits * Math.min(refunded, amount)) / amount);
}

export type RefundOutcome = { applied: true } | { applied: false; reason: string };

export const NO_PAYMENT = 'no paydesk payment for this charge';

/** Re-reads the charge with its refunds and applies what is new. */
export async function applyChargeRefunds(s: AppContext, chargeId: string): Promise<RefundOutcome> {
  const charge = await callStripe(() => s.stripe.charges.retrieve(chargeId, { expand: ['refunds'] }));
  const piId = typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id;
  if (!piId) return { applied: false, reason: 'the charge has no payment intent' };
  const refunds = [...(charge.refunds?.data ?? [])].sort(
    (a, b) => a.created - b.created || a.id.localeCompare(b.id),
  );
  return withTransaction(s, async (tx): Promise<RefundOutcome> => {
    const payment = await paymentForUpdate(tx, piId);
    if (!payment) return { applied: false, reason: NO_PAYMENT };
    const refunded = Math.max(Number(payment.amount_refunded), charge.amount_refunded);
    await setAmountRefunded(tx, payment.id, refunded);
    for (const refund of refunds) {
      await notify(s, tx, 'refund.updated', `${refund.id}:${refund.status}`, {
        refund: refund.id,
        payment: payment.id,
        customer: payment.customer_id,
        amount: refund.amount,
        currency: refund.currency,
        status: refund.status,
        reason: refund.reason,
      });
    }
    const pack =
      payment.item_kind === 'pack' && payment.item_id ? s.catalog.pack(payment.item_id) : undefined;
    if (!s.config.refundClawback || !pack || !payment.customer_id) return { applied: true };
    const credits = pack.credits * (payment.quantity ?? 1);
    let cumulative = 0;
    for (const refund of refunds) {
      if (refund.status !== 'succeeded') continue;
      const before = creditsToTakeBack(credits, Number(payment.amount), cumulative);
      cumulative += refund.amount;
      const take = creditsToTakeBack(credits, Number(payment.amount), cumulative) - before;
      if (take <= 0) continue;
      await clawbackCredits(
        s,
        tx,
        { customerId: payment.customer_id, amount: take, cause: `refund:${refund.id}` },
        { refund: refund.id },
      );
    }
    return { applied: true };
  });
}

export function chargeIdOf(object: Stripe.Charge | Stripe.Refund): string | null {
  if (object.object === 'charge') return object.id;
  const ref = object.charge;
  return ref === null ? null : typeof ref === 'string' ? ref : ref.id;
}
