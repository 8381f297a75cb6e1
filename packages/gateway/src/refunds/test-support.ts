// What the refund and dispute tests share: paying through paydesk's own API (a direct payment intent
// confirmed with a test card, or a pack through Checkout with its credits), and reading the emulator.
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import type { TestApp } from '../testing/app.js';

export const auth = (token: string) => ({ authorization: `Bearer ${token}` });
export type Json = Record<string, unknown>;
export const json = (r: { body: string }) => JSON.parse(r.body) as Json;
export const errorOf = (r: { body: string }) =>
  json(r).error as { code: string; message: string; details?: Json };

export async function newCustomer(t: TestApp, key: string, externalId: string): Promise<string> {
  const r = await t.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: auth(key),
    payload: { external_id: externalId },
  });
  assert.equal(r.statusCode, 201, r.body);
  return json(r).id as string;
}

export interface Paid {
  customer: string;
  paymentIntent: string;
  payment: string;
  amount: number;
}

/** The paydesk payment (pay_…) recorded for a Stripe payment intent. */
export async function paymentIdOf(t: TestApp, paymentIntent: string): Promise<string> {
  const r = await t.context.db.query<{ id: string }>(
    'SELECT id FROM payments WHERE stripe_payment_intent_id = $1',
    [paymentIntent],
  );
  assert.ok(r.rows[0], `a payment recorded for ${paymentIntent}`);
  return r.rows[0].id;
}

/** A pack paid at once through POST /v1/payment_intents with a test card (no credits granted here). */
export async function payDirect(
  t: TestApp,
  key: string,
  options: { customer?: string; quantity?: number; card?: string } = {},
): Promise<Paid> {
  const customer =
    options.customer ?? (await newCustomer(t, key, `buyer-${Math.random().toString(36).slice(2)}`));
  const r = await t.app.inject({
    method: 'POST',
    url: '/v1/payment_intents',
    headers: auth(key),
    payload: {
      pack: 'credits-100',
      quantity: options.quantity ?? 2,
      currency: 'usd',
      customer,
      payment_method: options.card ?? 'pm_card_visa',
    },
  });
  assert.equal(r.statusCode, 201, r.body);
  const pi = json(r);
  assert.equal(pi.status, 'succeeded');
  return {
    customer,
    paymentIntent: pi.id as string,
    payment: await paymentIdOf(t, pi.id as string),
    amount: pi.amount as number,
  };
}

/** The buyer's side of Stripe (the hosted page): a plain SDK client against the emulator. */
export function buyerOf(t: TestApp): Stripe {
  return new Stripe('sk_test_buyer', {
    host: '127.0.0.1',
    port: t.emulator.port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });
}

/**
 * A pack of `quantity` × 100 credits bought through Checkout by the customer and paid with `card`;
 * paydesk verifies the session (as the return page does), which records the payment and grants credits.
 */
export async function buyPack(
  t: TestApp,
  key: string,
  customer: string,
  quantity: number,
  card = 'pm_card_visa',
): Promise<Paid> {
  const r = await t.app.inject({
    method: 'POST',
    url: '/v1/checkout/sessions',
    headers: auth(key),
    payload: { pack: 'credits-100', quantity, currency: 'usd', customer },
  });
  assert.equal(r.statusCode, 201, r.body);
  const session = json(r) as { id: string };
  await buyerOf(t).rawRequest('POST', `/v1/payment_pages/${session.id}/confirm`, {
    payment_method: card,
    expected_amount: 500 * quantity,
  });
  const check = await t.app.inject({
    method: 'GET',
    url: `/v1/checkout/sessions/${session.id}`,
    headers: auth(key),
  });
  assert.equal(check.statusCode, 200, check.body);
  const cs = await t.stripe.checkout.sessions.retrieve(session.id);
  const pi = cs.payment_intent as string;
  return { customer, paymentIntent: pi, payment: await paymentIdOf(t, pi), amount: 500 * quantity };
}

export async function creditsOf(t: TestApp, key: string, customer: string): Promise<number> {
  const r = await t.app.inject({
    method: 'GET',
    url: `/v1/customers/${customer}/entitlements`,
    headers: auth(key),
  });
  assert.equal(r.statusCode, 200, r.body);
  return json(r).credits as number;
}

/** The refunds the emulator holds for a payment intent (what Stripe actually did). */
export async function stripeRefundsOf(t: TestApp, paymentIntent: string): Promise<Stripe.Refund[]> {
  const out: Stripe.Refund[] = [];
  for await (const r of t.stripe.refunds.list({ payment_intent: paymentIntent, limit: 100 })) out.push(r);
  return out;
}
