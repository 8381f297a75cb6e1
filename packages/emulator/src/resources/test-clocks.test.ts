import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

const at = (m: number, d: number, h = 0) => Date.UTC(2026, m - 1, d, h) / 1000;
const DAY = 86_400;

async function advance(clock: string, to: number): Promise<void> {
  const c = await t.stripe.testHelpers.testClocks.advance(clock, { frozen_time: to });
  assert.equal(c.status, 'advancing');
  for (let i = 0; i < 400; i++) {
    const now = await t.stripe.testHelpers.testClocks.retrieve(clock);
    if (now.status === 'ready') return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('test clock did not become ready');
}

/** Event types since `since` (exclusive), oldest first, with their `created` times. */
async function eventsSince(since: string | undefined): Promise<{ type: string; created: number }[]> {
  const out: { type: string; created: number }[] = [];
  for await (const e of t.stripe.events.list({ limit: 100 })) {
    if (e.id === since) break;
    out.push({ type: e.type, created: e.created });
  }
  return out.reverse();
}

const BILLING = ['customer.subscription.', 'invoice.', 'payment_intent.', 'charge.', 'test_helpers.'];
const billing = (es: { type: string }[]) =>
  es.map((e) => e.type).filter((x) => BILLING.some((p) => x.startsWith(p)));

test('lifecycle on a test clock: trial → first charge → 3 renewals → failing card → past_due → retries → canceled', async () => {
  const T0 = at(1, 1);
  const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: T0, name: 'lifecycle' });
  const product = await t.stripe.products.create({ name: 'Pro' });
  const price = await t.stripe.prices.create({
    product: product.id,
    unit_amount: 1000,
    currency: 'usd',
    recurring: { interval: 'month' },
  });
  const customer = await t.stripe.customers.create({ email: 'life@example.com', test_clock: clock.id });
  assert.equal(customer.created, T0);
  const card = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  await t.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: card.id } });
  const start = (await t.stripe.events.list({ limit: 1 })).data[0]!.id;

  const sub = await t.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    trial_period_days: 14,
  });
  assert.equal(sub.status, 'trialing');
  assert.equal(sub.trial_end, T0 + 14 * DAY);

  // The trial ends on Jan 15; its invoice finalizes and is charged an hour later.
  await advance(clock.id, at(1, 16));
  let s = await t.stripe.subscriptions.retrieve(sub.id);
  assert.equal(s.status, 'active');
  assert.equal(s.items.data[0]!.current_period_start, at(1, 15));
  assert.equal(s.items.data[0]!.current_period_end, at(2, 15));
  let inv = await t.stripe.invoices.retrieve(s.latest_invoice as string);
  assert.equal(inv.status, 'paid');
  assert.equal(inv.amount_paid, 1000);
  assert.equal(inv.created, at(1, 15));

  // Three renewals: Feb 15, Mar 15, Apr 15.
  await advance(clock.id, at(3, 16));
  await advance(clock.id, at(4, 16));
  s = await t.stripe.subscriptions.retrieve(sub.id);
  assert.equal(s.status, 'active');
  assert.equal(s.items.data[0]!.current_period_end, at(5, 15));
  const paid = await t.stripe.invoices.list({ subscription: sub.id, status: 'paid', limit: 100 });
  assert.deepEqual(
    paid.data.map((i) => i.amount_paid),
    [1000, 1000, 1000, 1000, 0],
  );

  // The card starts failing.
  const failing = await t.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', {
    customer: customer.id,
  });
  await t.stripe.subscriptions.update(sub.id, { default_payment_method: failing.id });
  await advance(clock.id, at(5, 16));
  s = await t.stripe.subscriptions.retrieve(sub.id);
  assert.equal(s.status, 'past_due');
  inv = await t.stripe.invoices.retrieve(s.latest_invoice as string);
  assert.equal(inv.status, 'open');
  assert.equal(inv.attempt_count, 1);
  assert.equal(inv.next_payment_attempt, at(5, 15, 1) + 3 * DAY);

  // Retries 3, 5 and 7 days apart, then the subscription is canceled (the default setting).
  await advance(clock.id, at(5, 20));
  inv = await t.stripe.invoices.retrieve(inv.id);
  assert.equal(inv.attempt_count, 2);
  assert.equal((await t.stripe.subscriptions.retrieve(sub.id)).status, 'past_due');
  await advance(clock.id, at(6, 10));
  s = await t.stripe.subscriptions.retrieve(sub.id);
  assert.equal(s.status, 'canceled');
  assert.equal(s.cancellation_details?.reason, 'payment_failed');
  assert.equal(s.ended_at, at(5, 15, 1) + 15 * DAY);
  inv = await t.stripe.invoices.retrieve(inv.id);
  assert.equal(inv.attempt_count, 4);
  assert.equal(inv.next_payment_attempt, null);

  const events = await eventsSince(start);
  const advancing = 'test_helpers.test_clock.advancing';
  const ready = 'test_helpers.test_clock.ready';
  // invoice.upcoming 3 days before each renewal (the default "upcoming renewal events" setting).
  const renewalInvoice = [
    'invoice.upcoming',
    'invoice.created',
    'customer.subscription.updated',
    'invoice.finalized',
    'payment_intent.created',
  ];
  const charged = [
    'payment_intent.succeeded',
    'charge.succeeded',
    'invoice.paid',
    'invoice.payment_succeeded',
  ];
  const declined = ['payment_intent.payment_failed', 'charge.failed', 'invoice.payment_failed'];
  assert.deepEqual(billing(events), [
    // create, in trial: a $0 invoice, paid at once
    'customer.subscription.created',
    'invoice.created',
    'invoice.finalized',
    'invoice.paid',
    'invoice.payment_succeeded',
    // → Jan 16: trial_will_end (Jan 12), trial ends (Jan 15), first charge an hour later
    advancing,
    'customer.subscription.trial_will_end',
    ...renewalInvoice,
    ...charged,
    ready,
    // → Mar 16: two renewals
    advancing,
    ...renewalInvoice,
    ...charged,
    ...renewalInvoice,
    ...charged,
    ready,
    // → Apr 16: the third renewal
    advancing,
    ...renewalInvoice,
    ...charged,
    ready,
    // the failing card becomes the subscription's default
    'customer.subscription.updated',
    // → May 16: the renewal fails, the subscription goes past_due
    advancing,
    ...renewalInvoice,
    ...declined,
    'customer.subscription.updated',
    ready,
    // → May 20: first retry (3 days later) fails
    advancing,
    ...declined,
    ready,
    // → Jun 10: second (5 days) and last (7 days) retries fail; the subscription is canceled
    advancing,
    ...declined,
    ...declined,
    'customer.subscription.deleted',
    ready,
  ]);
  const updates = events.filter((e) => e.type === 'customer.subscription.updated');
  assert.equal(updates.at(-1)!.created, at(5, 15, 1));
  const billingTimes = events.filter((e) => BILLING.some((p) => e.type.startsWith(p))).map((e) => e.created);
  assert.deepEqual(
    [...billingTimes].sort((a, b) => a - b),
    billingTimes,
    'billing events carry the simulated time, in order',
  );
  assert.equal(billingTimes.at(-1), at(6, 10));
});

test('advance must move forward and at most two intervals; delete removes the clock and its customers', async () => {
  const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: at(1, 1) });
  const back = await stripeError(
    t.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: at(1, 1) - 1 }),
  );
  assert.equal(back.param, 'frozen_time');
  const product = await t.stripe.products.create({ name: 'Daily' });
  const price = await t.stripe.prices.create({
    product: product.id,
    unit_amount: 100,
    currency: 'usd',
    recurring: { interval: 'day' },
  });
  const c = await t.stripe.customers.create({ test_clock: clock.id });
  await t.stripe.subscriptions.create({
    customer: c.id,
    items: [{ price: price.id }],
    payment_behavior: 'default_incomplete',
  });
  const far = await stripeError(t.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: at(1, 4) }));
  assert.equal(far.statusCode, 400);
  const missing = await stripeError(t.stripe.testHelpers.testClocks.create({} as { frozen_time: number }));
  assert.equal(missing.param, 'frozen_time');
  const list = await t.stripe.testHelpers.testClocks.list({ limit: 1 });
  assert.equal(list.data[0]!.id, clock.id);
  const del = await t.stripe.testHelpers.testClocks.del(clock.id);
  assert.equal(del.deleted, true);
  assert.equal((await t.stripe.customers.retrieve(c.id)).deleted, true);
  assert.equal((await stripeError(t.stripe.testHelpers.testClocks.retrieve(clock.id))).statusCode, 404);
});
