// A subscription invoice was paid: the payment goes into the history and the plan's credits for the
// period are reset (or added), once per invoice, with notifications, in one transaction.
import type Stripe from 'stripe';
import type { AppContext } from '../context.js';
import { grantCredits, resetCredits } from '../credits/service.js';
import { recordPaymentAndNotify } from '../payments/service.js';
import { withTransaction } from '../platform/db/tx.js';
import { callStripe } from '../platform/stripe/client.js';
import { subscriptionByStripeId } from './store.js';

export function invoiceSubscriptionId(invoice: Stripe.Invoice): string | null {
  const ref = invoice.parent?.subscription_details?.subscription;
  if (!ref) return null;
  return typeof ref === 'string' ? ref : ref.id;
}

/** The payment intent that paid the invoice (through its `payments` list), expanded. */
export async function invoicePaymentIntent(
  s: AppContext,
  invoice: Stripe.Invoice,
): Promise<Stripe.PaymentIntent | null> {
  const payments = invoice.payments?.data ?? [];
  const paid = payments.find((p) => p.status === 'paid') ?? payments[0];
  const ref = paid?.payment?.payment_intent;
  if (!ref) return null;
  if (typeof ref !== 'string') return ref;
  return callStripe(() => s.stripe.paymentIntents.retrieve(ref, { expand: ['latest_charge'] }));
}

export type InvoiceOutcome = { applied: true } | { applied: false; reason: string };

export async function applyPaidInvoice(s: AppContext, invoice: Stripe.Invoice): Promise<InvoiceOutcome> {
  if (invoice.status !== 'paid')
    return { applied: false, reason: `the invoice is ${invoice.status}, not paid` };
  const stripeSubId = invoiceSubscriptionId(invoice);
  if (!stripeSubId) return { applied: false, reason: 'not a subscription invoice' };
  const sub = await subscriptionByStripeId(s.db, stripeSubId);
  if (!sub) return { applied: false, reason: 'not a subscription of this paydesk instance' };
  const pi = await invoicePaymentIntent(s, invoice);
  const plan = sub.plan ? s.catalog.plan(sub.plan) : undefined;
  await withTransaction(s, async (tx) => {
    if (pi) {
      await recordPaymentAndNotify(
        s,
        tx,
        pi,
        {
          source: 'invoice',
          customer_id: sub.customer_id,
          item_kind: 'plan',
          item_id: sub.plan,
          quantity: 1,
          description: invoice.number ? `Invoice ${invoice.number}` : null,
        },
        { invoice: invoice.id, subscription: sub.id },
      );
    }
    if (plan && plan.credits > 0) {
      const cause = `invoice:${invoice.id}`;
      const note = `plan ${plan.id}`;
      const context = { invoice: invoice.id };
      if (plan.credits_mode === 'reset')
        await resetCredits(s, tx, { customerId: sub.customer_id, to: plan.credits, cause, note }, context);
      else
        await grantCredits(
          s,
          tx,
          { customerId: sub.customer_id, amount: plan.credits, reason: 'period_grant', cause, note },
          context,
        );
    }
  });
  return { applied: true };
}
