import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { type TestEmulator, testEmulator } from '../testing.js';

// The Customer Portal's forms without a browser: configuration-driven features, cancel now, and
// another customer's subscription out of reach.
let t: TestEmulator;
let price: Stripe.Price;
before(async () => {
  t = await testEmulator();
  const product = await t.stripe.products.create({ name: 'Team' });
  price = await t.stripe.prices.create({
    product: product.id,
    unit_amount: 2500,
    currency: 'eur',
    recurring: { interval: 'year' },
  });
});
after(() => t.emu.close());

async function customerWithSub(email: string) {
  const customer = await t.stripe.customers.create({
    email,
    payment_method: 'pm_card_visa',
    invoice_settings: { default_payment_method: 'pm_card_visa' },
  });
  const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  return { customer, sub };
}

function post(url: string, fields: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

test('cancel immediately per configuration; features that are off are not offered', async () => {
  const { customer, sub } = await customerWithSub('now@example.com');
  const config = await t.stripe.billingPortal.configurations.create({
    features: {
      invoice_history: { enabled: false },
      payment_method_update: { enabled: false },
      subscription_cancel: { enabled: true, mode: 'immediately' },
    },
  });
  const portal = await t.stripe.billingPortal.sessions.create({
    customer: customer.id,
    configuration: config.id,
    return_url: 'https://app.example/account',
  });
  const page = await (await fetch(portal.url)).text();
  assert.match(page, /€25\.00 per year/);
  assert.doesNotMatch(page, /Invoice history/);
  assert.doesNotMatch(page, /id="update-card"/);
  assert.doesNotMatch(page, /id="update-plan"/);
  assert.match(page, /href="https:\/\/app\.example\/account"/);
  const confirm = await (await fetch(`${portal.url}/subscriptions/${sub.id}/cancel`)).text();
  assert.match(confirm, /ends now/);
  const res = await post(`${portal.url}/subscriptions/${sub.id}/cancel`);
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), `/p/session/${portal.id}?done=canceled`);
  const ended = await t.stripe.subscriptions.retrieve(sub.id);
  assert.equal(ended.status, 'canceled');
  const events = await t.stripe.events.list({ type: 'customer.subscription.deleted', limit: 1 });
  assert.equal((events.data[0]!.data.object as Stripe.Subscription).id, sub.id);
  // The card form is not served when the configuration turns it off.
  const card = await post(`${portal.url}/payment-method`, { card_number: '4242424242424242' });
  assert.equal(card.status, 200);
  assert.equal((await t.stripe.paymentMethods.list({ customer: customer.id, type: 'card' })).data.length, 1);
});

test("another customer's subscription cannot be changed through a portal session", async () => {
  const mine = await customerWithSub('mine@example.com');
  const other = await customerWithSub('other@example.com');
  const portal = await t.stripe.billingPortal.sessions.create({
    customer: mine.customer.id,
    return_url: 'https://app.example/account',
  });
  const res = await post(`${portal.url}/subscriptions/${other.sub.id}/cancel`);
  assert.equal(res.status, 404);
  assert.equal((await t.stripe.subscriptions.retrieve(other.sub.id)).cancel_at_period_end, false);
  const missing = await fetch(`${t.emu.url}/p/session/bps_nope`);
  assert.equal(missing.status, 404);
});

test('card form validation errors are inline and nothing is created', async () => {
  const { customer } = await customerWithSub('card@example.com');
  const portal = await t.stripe.billingPortal.sessions.create({
    customer: customer.id,
    return_url: 'https://app.example/account',
  });
  const res = await post(`${portal.url}/payment-method`, {
    card_number: '1234',
    card_expiry: '13 / 40',
    card_cvc: '',
    card_name: 'Ada',
  });
  assert.equal(res.status, 400);
  const body = await res.text();
  assert.match(body, /Your card number is incorrect\./);
  assert.match(body, /expiration month is invalid/);
  assert.match(body, /Enter the card&#39;s security code\./);
  assert.equal((await t.stripe.paymentMethods.list({ customer: customer.id, type: 'card' })).data.length, 1);
});
