// What a payment intent paydesk created directly (POST /v1/payment_intents, the payment microservice's
// POST /payment-intent) gives once it succeeded: the payment in the history, its notification and,
// for a credit pack bought for a customer, the pack's credits — in one transaction, once (keyed by the
// payment intent record), driven by Stripe's `payment_intent.succeeded` webhook.
import type Stripe from 'stripe';
import type { AppContext } from '../context.js';
import { grantPackCredits } from '../credits/service.js';
import { customerByStripeId } from '../customers/service.js';
import { notify } from '../notifications/service.js';
import { withTransaction } from '../platform/db/tx.js';
import { callStripe } from '../platform/stripe/client.js';
import { invoicePaymentIntent, invoiceSubscriptionId } from '../subscriptions/invoice.js';
import { recordSucceededPayment } from './service.js';
import type { PaymentIntentRow } from './store.js';

export async function fulfilPaymentIntent(
  s: AppContext,
  record: PaymentIntentRow,
  pi: Stripe.PaymentIntent,
): Promise<void> {
  if (pi.status !== 'succeeded') return;
  await withTransaction(s, async (tx) => {
    const payment = await recordSucceededPayment(tx, pi, {
      source: 'payment_intent',
      customer_id: record.customer_id,
      payment_intent_record_id: record.id,
      item_kind: record.kind,
      item_id: record.item_id,
      quantity: record.quantity,
    });
    if (payment) {
      await notify(s, tx, 'payment.succeeded', pi.id, {
        payment: payment.id,
        customer: record.customer_id,
        amount: Number(payment.amount),
        currency: payment.currency,
        source: 'payment_intent',
      });
    }
    if (record.kind === 'pack' && record.item_id && record.customer_id) {
      await grantPackCredits(
        s,
        tx,
        {
          customerId: record.customer_id,
          packId: record.item_id,
          quantity: record.quantity,
          cause: `payment_intent:${record.id}`,
        },
        { payment_intent: pi.id },
      );
    }
  });
}

/** The credit packs an invoice's lines sell (lines whose price carries a pack lookup key of this catalog). */
async function packLines(
  s: AppContext,
  invoiceId: string,
): Promise<{ lineId: string; packId: string; quantity: number }[]> {
  const lines = await callStripe(() => s.stripe.invoices.listLineItems(invoiceId, { limit: 100 }));
  const prices = new Map<string, Stripe.Price>();
  const out: { lineId: string; packId: string; quantity: number }[] = [];
  for (const line of lines.data) {
    const ref = line.pricing?.price_details?.price;
    const priceId = typeof ref === 'string' ? ref : ref?.id;
    if (!priceId) continue;
    let price = prices.get(priceId);
    if (!price) {
      price = await callStripe(() => s.stripe.prices.retrieve(priceId));
      prices.set(priceId, price);
    }
    const item = price.lookup_key ? s.catalog.byLookupKey(price.lookup_key) : undefined;
    if (item?.kind === 'pack')
      out.push({ lineId: line.id, packId: item.itemId, quantity: line.quantity ?? 1 });
  }
  return out;
}

/**
 * A paid invoice with credit-pack lines (an invoice made in Stripe for a paydesk customer with the
 * catalog's pack prices) grants each line's credits once (keyed by invoice and line); an invoice
 * outside a subscription also goes into the payment history. False when there is nothing to apply.
 */
export async function fulfilPackInvoice(s: AppContext, invoice: Stripe.Invoice): Promise<boolean> {
  if (invoice.status !== 'paid' || !invoice.id) return false;
  const invoiceId = invoice.id;
  const stripeCustomer = typeof invoice.customer === 'string' ? invoice.customer : invoice.customer?.id;
  const customer = stripeCustomer ? await customerByStripeId(s.db, stripeCustomer) : undefined;
  if (!customer) return false;
  const packs = await packLines(s, invoiceId);
  if (packs.length === 0) return false;
  const pi = invoiceSubscriptionId(invoice) ? null : await invoicePaymentIntent(s, invoice);
  await withTransaction(s, async (tx) => {
    if (pi) {
      const only = packs.length === 1 ? packs[0] : undefined;
      const payment = await recordSucceededPayment(tx, pi, {
        source: 'invoice',
        customer_id: customer.id,
        item_kind: only ? 'pack' : null,
        item_id: only?.packId ?? null,
        quantity: only?.quantity ?? null,
        description: invoice.number ? `Invoice ${invoice.number}` : null,
      });
      if (payment) {
        await notify(s, tx, 'payment.succeeded', pi.id, {
          payment: payment.id,
          customer: customer.id,
          amount: Number(payment.amount),
          currency: payment.currency,
          source: 'invoice',
          invoice: invoiceId,
        });
      }
    }
    for (const line of packs) {
      await grantPackCredits(
        s,
        tx,
        {
          customerId: customer.id,
          packId: line.packId,
          quantity: line.quantity,
          cause: `invoice:${invoiceId}:${line.lineId}`,
        },
        { invoice: invoiceId },
      );
    }
  });
  return true;
}
