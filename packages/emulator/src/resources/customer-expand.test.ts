import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

test('customer: test_clock and invoice_settings.default_payment_method expand, on retrieve and in lists', async () => {
  const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: 1_900_000_000 });
  const created = await t.stripe.customers.create({
    test_clock: clock.id,
    payment_method: 'pm_card_visa',
    invoice_settings: { default_payment_method: 'pm_card_visa' },
  });
  const pmId = created.invoice_settings.default_payment_method as string;
  assert.match(pmId, /^pm_/);
  const c = await t.stripe.customers.retrieve(created.id, {
    expand: ['test_clock', 'invoice_settings.default_payment_method'],
  });
  assert.ok(!c.deleted);
  const expandedClock = c.test_clock as Stripe.TestHelpers.TestClock;
  assert.equal(expandedClock.object, 'test_helpers.test_clock');
  assert.equal(expandedClock.id, clock.id);
  const pm = c.invoice_settings.default_payment_method as Stripe.PaymentMethod;
  assert.equal(pm.object, 'payment_method');
  assert.equal(pm.id, pmId);

  const listed = await t.stripe.customers.list({ test_clock: clock.id, expand: ['data.test_clock'] });
  assert.equal((listed.data[0]!.test_clock as Stripe.TestHelpers.TestClock).id, clock.id);

  const plain = await t.stripe.customers.create({});
  const noClock = await t.stripe.customers.retrieve(plain.id, { expand: ['test_clock'] });
  assert.ok(!noClock.deleted);
  assert.equal(noClock.test_clock, null);
  const bad = await stripeError(t.stripe.customers.retrieve(plain.id, { expand: ['description'] }));
  assert.equal(bad.param, 'expand');
});
