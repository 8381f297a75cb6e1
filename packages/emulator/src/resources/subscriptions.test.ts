import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

const T0 = Date.UTC(2026, 0, 1) / 1000; // 2026-01-01T00:00:00Z
const DAY = 86_400;

async function price(amount: number, interval: Stripe.PriceCreateParams.Recurring.Interval = 'month') {
  const product = await t.stripe.products.create({ name: `Plan ${amount}` });
  return t.stripe.prices.create({
    product: product.id,
    unit_amount: amount,
    currency: 'usd',
    recurring: { interval },
  });
}

async function customer(pm: string | null, clock?: string) {
  const c = await t.stripe.customers.create({
    email: 's@example.com',
    ...(clock ? { test_clock: clock } : {}),
  });
  if (pm) {
    const attached = await t.stripe.paymentMethods.attach(pm, { customer: c.id });
    await t.stripe.customers.update(c.id, { invoice_settings: { default_payment_method: attached.id } });
    return { c, pm: attached.id };
  }
  return { c, pm: null };
}

async function eventTypes(since: string | undefined, prefixes?: string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const e of t.stripe.events.list({ limit: 100 })) {
    if (e.id === since) break;
    out.push(e.type);
  }
  out.reverse();
  return prefixes ? out.filter((x) => prefixes.some((p) => x.startsWith(p))) : out;
}

async function mark(): Promise<string | undefined> {
  return (await t.stripe.events.list({ limit: 1 })).data[0]?.id;
}

async function advance(clock: string, to: number): Promise<void> {
  const c = await t.stripe.testHelpers.testClocks.advance(clock, { frozen_time: to });
  assert.equal(c.status, 'advancing');
  for (let i = 0; i < 200; i++) {
    const now = await t.stripe.testHelpers.testClocks.retrieve(clock);
    if (now.status === 'ready') {
      assert.equal(now.frozen_time, to);
      return;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('test clock did not become ready');
}

const PAYMENT = ['payment_intent.succeeded', 'charge.succeeded'];

test('a paid subscription: events in order, active, latest_invoice paid; expand works', async () => {
  const pr = await price(1500);
  const { c } = await customer('pm_card_visa');
  const m = await mark();
  const sub = await t.stripe.subscriptions.create({
    customer: c.id,
    items: [{ price: pr.id, quantity: 2 }],
    expand: ['latest_invoice.confirmation_secret', 'items.data.price.product', 'customer'],
  });
  assert.equal(sub.status, 'active');
  const inv = sub.latest_invoice as Stripe.Invoice;
  assert.equal(inv.status, 'paid');
  assert.equal(inv.amount_paid, 3000);
  assert.equal(inv.billing_reason, 'subscription_create');
  assert.match(inv.confirmation_secret?.client_secret ?? '', /_secret_/);
  assert.equal((sub.items.data[0]!.price.product as Stripe.Product).name, 'Plan 1500');
  assert.equal((sub.customer as Stripe.Customer).id, c.id);
  const item = sub.items.data[0]!;
  assert.equal(item.current_period_end - item.current_period_start >= 28 * DAY, true);
  const types = await eventTypes(m, ['customer.subscription', 'invoice.', 'payment_intent.', 'charge.']);
  const pay = types.filter((x) => PAYMENT.includes(x));
  assert.deepEqual(types, [
    'customer.subscription.created',
    'invoice.created',
    'invoice.finalized',
    'payment_intent.created',
    ...pay,
    'invoice.paid',
    'invoice.payment_succeeded',
    'customer.subscription.updated',
  ]);
  assert.equal(pay.length, 2);
});

test('default_incomplete: incomplete until the client confirms the PI; the PM becomes the default', async () => {
  const pr = await price(900);
  const { c } = await customer(null);
  const sub = await t.stripe.subscriptions.create({
    customer: c.id,
    items: [{ price: pr.id }],
    payment_behavior: 'default_incomplete',
    payment_settings: { save_default_payment_method: 'on_subscription' },
    expand: ['latest_invoice.confirmation_secret'],
  });
  assert.equal(sub.status, 'incomplete');
  const inv = sub.latest_invoice as Stripe.Invoice;
  assert.equal(inv.status, 'open');
  const secret = inv.confirmation_secret!.client_secret;
  const piId = secret.split('_secret_')[0]!;
  const pm = await t.stripe.paymentMethods.create({
    type: 'card',
    card: { token: 'tok_visa' },
  } as Stripe.PaymentMethodCreateParams);
  await t.stripe.paymentIntents.confirm(piId, { payment_method: pm.id });
  const after = await t.stripe.subscriptions.retrieve(sub.id);
  assert.equal(after.status, 'active');
  assert.equal(after.default_payment_method, pm.id);
  assert.equal((await t.stripe.invoices.retrieve(inv.id)).status, 'paid');
});

test('error_if_incomplete with a declining card → 402 and nothing left behind; allow_incomplete → incomplete', async () => {
  const pr = await price(1200);
  const { c } = await customer('pm_card_chargeCustomerFail');
  const err = await stripeError(
    t.stripe.subscriptions.create({
      customer: c.id,
      items: [{ price: pr.id }],
      payment_behavior: 'error_if_incomplete',
    }),
  );
  assert.equal(err.statusCode, 402);
  assert.equal(err.type, 'StripeCardError');
  assert.equal((await t.stripe.subscriptions.list({ customer: c.id, status: 'all' })).data.length, 0);
  assert.equal((await t.stripe.invoices.list({ customer: c.id })).data.length, 0);
  const sub = await t.stripe.subscriptions.create({ customer: c.id, items: [{ price: pr.id }] });
  assert.equal(sub.status, 'incomplete');
});

test('errors: missing customer and items, unknown price, unknown subscription', async () => {
  assert.equal(
    (await stripeError(t.stripe.subscriptions.create({} as Stripe.SubscriptionCreateParams))).param,
    'customer',
  );
  const { c } = await customer(null);
  assert.equal((await stripeError(t.stripe.subscriptions.create({ customer: c.id }))).param, 'items');
  const bad = await stripeError(
    t.stripe.subscriptions.create({ customer: c.id, items: [{ price: 'price_nope' }] }),
  );
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.param, 'items[0][price]');
  const missing = await stripeError(t.stripe.subscriptions.retrieve('sub_nope'));
  assert.equal(missing.code, 'resource_missing');
});

test('mid-period upgrade: prorations by the second, on the preview and on the next invoice', async () => {
  const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: T0 });
  const basic = await price(1000);
  const pro = await price(2000);
  const { c } = await customer('pm_card_visa', clock.id);
  const sub = await t.stripe.subscriptions.create({ customer: c.id, items: [{ price: basic.id }] });
  assert.equal(sub.created, T0);
  assert.equal(sub.items.data[0]!.current_period_end, Date.UTC(2026, 1, 1) / 1000);
  await advance(clock.id, T0 + 10 * DAY);
  const at = T0 + 10 * DAY;
  // 21 of 31 days remain: -1000 × 21/31 = -677.42 → -677; 2000 × 21/31 = 1354.84 → 1355.
  const preview = await t.stripe.invoices.createPreview({
    customer: c.id,
    subscription: sub.id,
    subscription_details: { items: [{ id: sub.items.data[0]!.id, price: pro.id }], proration_date: at },
  });
  const prorated = preview.lines.data.filter((l) => l.parent?.invoice_item_details?.proration);
  assert.deepEqual(
    prorated.map((l) => l.amount),
    [-677, 1355],
  );
  assert.equal(preview.amount_due, -677 + 1355 + 2000);
  const updated = await t.stripe.subscriptions.update(sub.id, {
    items: [{ id: sub.items.data[0]!.id, price: pro.id }],
    proration_date: at,
  });
  assert.equal(updated.items.data[0]!.price.id, pro.id);
  const pending = await t.stripe.invoiceItems.list({ customer: c.id, pending: true });
  assert.deepEqual(
    pending.data.map((i) => i.amount).sort((a, b) => a - b),
    [-677, 1355],
  );
  await advance(clock.id, Date.UTC(2026, 1, 1, 2) / 1000);
  const invs = await t.stripe.invoices.list({ subscription: sub.id, limit: 1 });
  const renewal = invs.data[0]!;
  assert.equal(renewal.billing_reason, 'subscription_cycle');
  assert.equal(renewal.status, 'paid');
  assert.equal(renewal.amount_paid, 2000 - 677 + 1355);
});

test('always_invoice charges the proration now; cancel at period end; cancel now', async () => {
  const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: T0 });
  const basic = await price(3100);
  const pro = await price(6200);
  const { c } = await customer('pm_card_visa', clock.id);
  const sub = await t.stripe.subscriptions.create({ customer: c.id, items: [{ price: basic.id }] });
  await advance(clock.id, T0 + 15 * DAY);
  const up = await t.stripe.subscriptions.update(sub.id, {
    items: [{ id: sub.items.data[0]!.id, price: pro.id }],
    proration_behavior: 'always_invoice',
    expand: ['latest_invoice'],
  });
  const inv = up.latest_invoice as Stripe.Invoice;
  assert.equal(inv.billing_reason, 'subscription_update');
  assert.equal(inv.status, 'paid');
  // 16 of 31 days remain: -3100 × 16/31 = -1600, 6200 × 16/31 = 3200.
  assert.equal(inv.amount_paid, 1600);
  const cape = await t.stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
  assert.equal(cape.cancel_at, Date.UTC(2026, 1, 1) / 1000);
  await advance(clock.id, Date.UTC(2026, 1, 1, 1) / 1000);
  const ended = await t.stripe.subscriptions.retrieve(sub.id);
  assert.equal(ended.status, 'canceled');
  assert.equal(ended.ended_at, Date.UTC(2026, 1, 1) / 1000);

  const other = await t.stripe.subscriptions.create({ customer: c.id, items: [{ price: basic.id }] });
  const canceled = await t.stripe.subscriptions.cancel(other.id);
  assert.equal(canceled.status, 'canceled');
  assert.equal(canceled.cancellation_details?.reason, 'cancellation_requested');
  const listed = await t.stripe.subscriptions.list({ customer: c.id });
  assert.equal(listed.data.length, 0);
  const all = await t.stripe.subscriptions.list({ customer: c.id, status: 'all', limit: 1 });
  assert.equal(all.data.length, 1);
  assert.equal(all.has_more, true);
});
