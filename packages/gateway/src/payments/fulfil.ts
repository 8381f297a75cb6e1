// What a payment intent paydesk created directly (POST /v1/payment_intents, the payment microservice's
// POST /payment-intent) gives once it succeeded: the payment in the history, its notification and,
// for a credit pack bought for a customer, the pack's credits — in one transaction, once (keyed by the
// payment intent record), driven by Stripe's `payment_intent.succeeded` webhook. And what a paid
// invoice with the catalog's pack prices on its lines gives: each line's credits.
import type Stripe from 'stripe';
import type { AppContext } from '../context.js';
import { grantPackCredits } from '../credits/service.js';
import { withTransaction } from '../platform/db/tx.js';
import { callStripe } from '../platform/stripe/client.js';
import { invoicePaymentIntent, invoiceSubscriptionId } from '../subscriptions/invoice.js';
import { recordPaymentAndNotify } from './service.js';
import type { PaymentIntentRow } from './store.js';

export async function fulfilPaymentIntent(
  s: AppContext,
  record: PaymentIntentRow,
  pi: Stripe.PaymentIntent,
): Promise<void> {
  if (pi.status !== 'succeeded') return;
  await withTransaction(s, async (tx) => {
    await recordPaymentAndNotify(s, tx, pi, {
      source: 'payment_intent',
      customer_id: record.customer_id,
      payment_intent_record_id: record.id,
      item_kind: record.kind,
      item_id: record.item_id,
      quantity: record.quantity,
    });
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

type PackLine = { lineId: string; packId: string; quantity: number };

/**
 * Every line of the invoice: the lines it carries (as retrieved, or as in the event), and only when
 * Stripe truncated them (`has_more`) the whole list from Stripe.
 */
async function invoiceLines(s: AppContext, invoice: Stripe.Invoice, invoiceId: string) {
  if (invoice.lines && !invoice.lines.has_more) return invoice.lines.data;
  const out: Stripe.InvoiceLineItem[] = [];
  let startingAfter: string | undefined;
  for (;;) {
    const page = await callStripe(() =>
      s.stripe.invoices.listLineItems(invoiceId, {
        limit: 100,
        ...(startingAfter ? { starting_after: startingAfter } : {}),
      }),
    );
    out.push(...page.data);
    if (!page.has_more || page.data.length === 0) return out;
    startingAfter = page.data.at(-1)!.id;
  }
}

/**
 * The credit packs an invoice's lines sell: lines on a pack's product (catalog sync names them, so
 * this needs no call), confirmed by their price's lookup key being one of this catalog's pack prices.
 * An invoice with no such line (a plan's renewal, any other invoice) costs no I/O here.
 */
async function packLines(s: AppContext, invoice: Stripe.Invoice, invoiceId: string): Promise<PackLine[]> {
  const lines = await invoiceLines(s, invoice, invoiceId);
  const prices = new Map<string, Stripe.Price>();
  const out: PackLine[] = [];
  for (const line of lines) {
    const details = line.pricing?.price_details;
    if (!details || s.catalog.packOfProduct(details.product) === undefined) continue;
    const ref = details.price;
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
 * `invoice` is the invoice as retrieved (with its `payments` expanded).
 */
export async function fulfilPackInvoice(s: AppContext, invoice: Stripe.Invoice): Promise<boolean> {
  if (invoice.status !== 'paid' || !invoice.id) return false;
  const invoiceId = invoice.id;
  const packs = await packLines(s, invoice, invoiceId);
  if (packs.length === 0) return false;
  const stripeCustomer = typeof invoice.customer === 'string' ? invoice.customer : invoice.customer?.id;
  const customer = stripeCustomer ? await s.customers.byStripeId(stripeCustomer) : undefined;
  if (!customer) return false;
  const pi = invoiceSubscriptionId(invoice) ? null : await invoicePaymentIntent(s, invoice);
  await withTransaction(s, async (tx) => {
    if (pi) {
      const only = packs.length === 1 ? packs[0] : undefined;
      await recordPaymentAndNotify(
        s,
        tx,
        pi,
        {
          source: 'invoice',
          customer_id: customer.id,
          item_kind: only ? 'pack' : null,
          item_id: only?.packId ?? null,
          quantity: only?.quantity ?? null,
          description: invoice.number ? `Invoice ${invoice.number}` : null,
        },
        { invoice: invoiceId },
      );
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
