import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Clock } from '../../core/clock.js';
import { type TestEmulator, testEmulator } from '../../testing.js';
import { configureBilling } from './settings.js';

let t: TestEmulator;
const clock = new Clock();
const T0 = Date.UTC(2026, 0, 31) / 1000; // Jan 31: monthly periods end on the last day of shorter months
before(async () => {
  clock.set(T0);
  t = await testEmulator({ clock });
});
after(() => t.emu.close());

async function setup(pm: string, interval: 'week' | 'month' = 'month') {
  const product = await t.stripe.products.create({ name: 'Emu clock' });
  const price = await t.stripe.prices.create({
    product: product.id,
    unit_amount: 700,
    currency: 'usd',
    recurring: { interval },
  });
  const c = await t.stripe.customers.create({});
  const card = await t.stripe.paymentMethods.attach(pm, { customer: c.id });
  await t.stripe.customers.update(c.id, { invoice_settings: { default_payment_method: card.id } });
  return { c, price };
}

test('without a test clock, subscriptions follow the emulator clock (month-end anchor clamps to Feb 28)', async () => {
  const { c, price } = await setup('pm_card_visa');
  const sub = await t.stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id }] });
  assert.equal(sub.items.data[0]!.current_period_end, Date.UTC(2026, 1, 28) / 1000);
  clock.set(Date.UTC(2026, 1, 28, 2) / 1000);
  const renewed = await t.stripe.subscriptions.retrieve(sub.id);
  assert.equal(renewed.items.data[0]!.current_period_start, Date.UTC(2026, 1, 28) / 1000);
  assert.equal(renewed.items.data[0]!.current_period_end, Date.UTC(2026, 2, 31) / 1000);
  const inv = await t.stripe.invoices.retrieve(renewed.latest_invoice as string);
  assert.equal(inv.status, 'paid');
  assert.equal(inv.billing_reason, 'subscription_cycle');
});

test('retry schedule and the after-retries outcome are settings: unpaid after two retries', async () => {
  configureBilling(t.emu.app, { retryDays: [1, 2], afterRetries: 'unpaid' });
  const { c, price } = await setup('pm_card_chargeCustomerFail', 'week');
  const sub = await t.stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id }] });
  assert.equal(sub.status, 'incomplete');
  // Pay the first invoice out of band so the subscription starts; renewals then hit the failing card.
  await t.stripe.invoices.pay(sub.latest_invoice as string, { paid_out_of_band: true });
  assert.equal((await t.stripe.subscriptions.retrieve(sub.id)).status, 'active');
  const start = clock.now();
  clock.set(start + 7 * 86_400 + 3600);
  const pastDue = await t.stripe.subscriptions.retrieve(sub.id);
  assert.equal(pastDue.status, 'past_due');
  clock.set(start + 7 * 86_400 + 3600 + 3 * 86_400);
  const unpaid = await t.stripe.subscriptions.retrieve(sub.id);
  assert.equal(unpaid.status, 'unpaid');
  const inv = await t.stripe.invoices.retrieve(unpaid.latest_invoice as string);
  assert.equal(inv.attempt_count, 3);
  assert.equal(inv.next_payment_attempt, null);
});

test('subscription items: add, update quantity, list, delete', async () => {
  configureBilling(t.emu.app, { retryDays: [3, 5, 7], afterRetries: 'cancel' });
  const { c, price } = await setup('pm_card_visa');
  const product = await t.stripe.products.create({ name: 'Seat' });
  const seat = await t.stripe.prices.create({
    product: product.id,
    unit_amount: 300,
    currency: 'usd',
    recurring: { interval: 'month' },
  });
  const sub = await t.stripe.subscriptions.create({ customer: c.id, items: [{ price: price.id }] });
  const added = await t.stripe.subscriptionItems.create({
    subscription: sub.id,
    price: seat.id,
    quantity: 2,
    proration_behavior: 'none',
  });
  assert.equal(added.quantity, 2);
  const up = await t.stripe.subscriptionItems.update(added.id, { quantity: 5, proration_behavior: 'none' });
  assert.equal(up.quantity, 5);
  const list = await t.stripe.subscriptionItems.list({ subscription: sub.id });
  assert.equal(list.data.length, 2);
  const del = await t.stripe.subscriptionItems.del(added.id, { proration_behavior: 'none' });
  assert.equal(del.deleted, true);
  assert.equal((await t.stripe.subscriptions.retrieve(sub.id)).items.data.length, 1);
  const missing = await t.stripe.subscriptionItems
    .retrieve(added.id)
    .catch((e: { statusCode?: number }) => e);
  assert.equal((missing as { statusCode?: number }).statusCode, 404);
});
