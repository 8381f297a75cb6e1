// The card a customer pays with, as the billing pages show it: the Stripe customer's default payment
// method, or where it has none the one its subscription's first payment saved. Read from Stripe
// whenever paydesk sees it change (the customer.updated webhook, a card saved or a first payment made
// through the pages, a return from the customer portal) and stored, so showing it asks Stripe nothing.
import type Stripe from 'stripe';
import type { Queryable } from '../platform/db/types.js';
import { cardOf, deleteCustomerCard, upsertCard } from './store.js';

export interface CardSummary {
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

type PaymentMethodRef = string | Stripe.PaymentMethod | null | undefined;

/**
 * Records the Stripe customer's default payment method (expanded) as read at `observedAt`; none (or
 * one that is not a card) forgets the stored default. An id that was not expanded says nothing.
 */
export async function recordDefaultCard(
  db: Queryable,
  customerId: string,
  pm: PaymentMethodRef,
  observedAt: Date,
): Promise<void> {
  if (typeof pm === 'string') return;
  if (!pm?.card) {
    await deleteCustomerCard(db, customerId, observedAt);
    return;
  }
  await upsertCard(db, rowOf(customerId, 'customer', pm, pm.card, observedAt));
}

/** Records the card a subscription pays with (expanded), kept only while the customer has no default. */
export async function recordSubscriptionCard(
  db: Queryable,
  customerId: string,
  pm: PaymentMethodRef,
  observedAt: Date,
): Promise<void> {
  if (!pm || typeof pm === 'string' || !pm.card) return;
  await upsertCard(db, rowOf(customerId, 'subscription', pm, pm.card, observedAt));
}

function rowOf(
  customerId: string,
  source: 'customer' | 'subscription',
  pm: Stripe.PaymentMethod,
  card: Stripe.PaymentMethod.Card,
  observedAt: Date,
) {
  return {
    customer_id: customerId,
    source,
    payment_method: pm.id,
    brand: card.brand,
    last4: card.last4,
    exp_month: card.exp_month,
    exp_year: card.exp_year,
    observed_at: observedAt,
  };
}

export async function customerCard(db: Queryable, customerId: string): Promise<CardSummary | undefined> {
  const row = await cardOf(db, customerId);
  return row
    ? { brand: row.brand, last4: row.last4, expMonth: row.exp_month, expYear: row.exp_year }
    : undefined;
}
