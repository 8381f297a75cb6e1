import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { type TestEmulator, testEmulator } from '../../testing.js';
import { configureBilling, DEFAULT_BILLING_SETTINGS } from './settings.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

const DAY = 86_400;
const JAN_1 = Date.UTC(2031, 0, 1) / 1000;

async function monthly(clock: string, extra: Partial<Stripe.SubscriptionCreateParams> = {}) {
  const customer = await t.stripe.customers.create({
    test_clock: clock,
    payment_method: 'pm_card_visa',
    invoice_settings: { default_payment_method: 'pm_card_visa' },
  });
  const price = await t.stripe.prices.create({
    currency: 'usd',
    unit_amount: 1200,
    recurring: { interval: 'month' },
    product_data: { name: 'upcoming' },
  });
  return t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], ...extra });
}

async function advance(clock: string, to: number) {
  await t.stripe.testHelpers.testClocks.advance(clock, { frozen_time: to });
}

const upcoming = async (sub: string) =>
  (await t.stripe.events.list({ type: 'invoice.upcoming', limit: 100 })).data.filter(
    (e) => (e.data.object as Stripe.Invoice).parent?.subscription_details?.subscription === sub,
  );

test('invoice.upcoming: once per period, the configured days before an automatic renewal, with the renewal preview', async () => {
  const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: JAN_1 });
  const sub = await monthly(clock.id);
  const renewal = Date.UTC(2031, 1, 1) / 1000;
  await advance(clock.id, renewal - 3 * DAY - 60);
  assert.equal((await upcoming(sub.id)).length, 0, 'not before the configured day');
  await advance(clock.id, renewal - 3 * DAY + 60);
  const [event, ...more] = await upcoming(sub.id);
  assert.equal(more.length, 0);
  assert.equal(event!.created, renewal - 3 * DAY);
  const inv = event!.data.object as Stripe.Invoice;
  assert.equal(inv.billing_reason, 'upcoming');
  assert.equal(inv.amount_due, 1200);
  assert.equal(inv.lines.data[0]!.period.start, renewal, 'the line is the next period');
  await advance(clock.id, renewal - DAY);
  assert.equal((await upcoming(sub.id)).length, 1, 'sent once per period');
  assert.equal((await t.stripe.invoices.list({ subscription: sub.id })).data.length, 1, 'nothing stored');
});

test('invoice.upcoming: none for a subscription canceling at period end or sent invoices; setting null turns it off', async () => {
  const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: JAN_1 });
  const ending = await monthly(clock.id, { cancel_at_period_end: true });
  const invoiced = await monthly(clock.id, { collection_method: 'send_invoice', days_until_due: 30 });
  const renewal = Date.UTC(2031, 1, 1) / 1000;
  await advance(clock.id, renewal - DAY);
  assert.equal((await upcoming(ending.id)).length, 0);
  assert.equal((await upcoming(invoiced.id)).length, 0);

  configureBilling(t.emu.app, { upcomingRenewalDays: null });
  try {
    const clock2 = await t.stripe.testHelpers.testClocks.create({ frozen_time: JAN_1 });
    const quiet = await monthly(clock2.id);
    await advance(clock2.id, renewal - DAY);
    assert.equal((await upcoming(quiet.id)).length, 0);
  } finally {
    configureBilling(t.emu.app, { upcomingRenewalDays: DEFAULT_BILLING_SETTINGS.upcomingRenewalDays });
  }
});
