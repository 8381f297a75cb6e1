import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

async function paid(amount: number, pm = 'pm_card_visa'): Promise<Stripe.PaymentIntent> {
  return t.stripe.paymentIntents.create({
    amount,
    currency: 'usd',
    payment_method: pm,
    confirm: true,
    allowed_payment_method_types: ['card'],
  });
}

async function eventTypes(ids: string[], since: string | undefined): Promise<string[]> {
  const list = await t.stripe.events.list({ limit: 100, ...(since ? { ending_before: since } : {}) });
  return list.data
    .filter((e) => ids.includes((e.data.object as { id?: string }).id ?? ''))
    .reverse()
    .map((e) => e.type);
}

test('partial then full refund by payment intent: charge totals and exact events', async () => {
  const pi = await paid(3000);
  const chId = String(pi.latest_charge);
  const mark = (await t.stripe.events.list({ limit: 1 })).data[0]!.id;
  const r1 = await t.stripe.refunds.create({
    payment_intent: pi.id,
    amount: 1000,
    reason: 'requested_by_customer',
    metadata: { n: '1' },
  });
  assert.match(r1.id, /^re_/);
  assert.equal(r1.status, 'succeeded');
  assert.equal(r1.amount, 1000);
  assert.equal(r1.charge, chId);
  assert.equal(r1.payment_intent, pi.id);
  assert.equal(r1.reason, 'requested_by_customer');
  let ch = await t.stripe.charges.retrieve(chId);
  assert.equal(ch.amount_refunded, 1000);
  assert.equal(ch.refunded, false);

  const tooMuch = await stripeError(t.stripe.refunds.create({ charge: chId, amount: 2500 }));
  assert.equal(tooMuch.statusCode, 400);
  assert.equal(tooMuch.code, 'amount_too_large');
  assert.equal(tooMuch.param, 'amount');

  const r2 = await t.stripe.refunds.create({ charge: chId });
  assert.equal(r2.amount, 2000);
  ch = await t.stripe.charges.retrieve(chId, { expand: ['refunds'] });
  assert.equal(ch.amount_refunded, 3000);
  assert.equal(ch.refunded, true);
  assert.deepEqual(
    ch.refunds?.data.map((r) => r.id),
    [r2.id, r1.id],
  );
  const again = await stripeError(t.stripe.refunds.create({ payment_intent: pi.id }));
  assert.equal(again.code, 'charge_already_refunded');

  const up = await t.stripe.refunds.update(r1.id, { metadata: { order_id: '6735' } });
  assert.deepEqual(up.metadata, { n: '1', order_id: '6735' });
  assert.deepEqual(await eventTypes([r1.id, r2.id, chId], mark), [
    'refund.created',
    'charge.refunded',
    'refund.created',
    'charge.refunded',
    'charge.refund.updated',
    'refund.updated',
  ]);
  const listed = await t.stripe.refunds.list({ payment_intent: pi.id });
  assert.deepEqual(
    listed.data.map((r) => r.id),
    [r2.id, r1.id],
  );
  const byChargeRes = await t.raw('GET', `/v1/charges/${chId}/refunds?limit=1`);
  const byCharge = (await byChargeRes.json()) as Stripe.ApiList<Stripe.Refund>;
  assert.deepEqual(
    byCharge.data.map((r) => r.id),
    [r2.id],
  );
  assert.equal(byCharge.has_more, true);
  const expanded = await t.stripe.refunds.retrieve(r1.id, { expand: ['charge', 'payment_intent'] });
  assert.equal((expanded.charge as Stripe.Charge).id, chId);
  assert.equal((expanded.payment_intent as Stripe.PaymentIntent).id, pi.id);
});

test('errors: no target, unknown ids, unpaid intent, uncaptured charge', async () => {
  const none = await stripeError(t.stripe.refunds.create({}));
  assert.equal(none.statusCode, 400);
  assert.equal(none.param, 'payment_intent');
  const missing = await stripeError(t.stripe.refunds.create({ charge: 'ch_nope' }));
  assert.equal(missing.statusCode, 400);
  assert.equal(missing.param, 'charge');
  const unpaid = await t.stripe.paymentIntents.create({
    amount: 1000,
    currency: 'usd',
    allowed_payment_method_types: ['card'],
  });
  const notPaid = await stripeError(t.stripe.refunds.create({ payment_intent: unpaid.id }));
  assert.equal(notPaid.code, 'charge_not_refundable');
  const held = await t.stripe.paymentIntents.create({
    amount: 1000,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    capture_method: 'manual',
    confirm: true,
    allowed_payment_method_types: ['card'],
  });
  const uncaptured = await stripeError(t.stripe.refunds.create({ charge: String(held.latest_charge) }));
  assert.equal(uncaptured.statusCode, 400);
  const noRefund = await stripeError(t.stripe.refunds.retrieve('re_nope'));
  assert.equal(noRefund.statusCode, 404);
  assert.equal(noRefund.code, 'resource_missing');
});

test('refund failures: the refundFail card, and the control endpoint', async () => {
  const pi = await paid(2000, 'pm_card_refundFail');
  const r = await t.stripe.refunds.create({ payment_intent: pi.id });
  assert.equal(r.status, 'failed');
  assert.equal(r.failure_reason, 'declined');
  const ch = await t.stripe.charges.retrieve(String(pi.latest_charge));
  assert.equal(ch.amount_refunded, 0);
  assert.equal(ch.refunded, false);
  assert.deepEqual(await eventTypes([r.id], undefined), [
    'refund.created',
    'refund.failed',
    'charge.refund.updated',
    'refund.updated',
  ]);

  const pi2 = await paid(2000);
  const r2 = await t.stripe.refunds.create({ payment_intent: pi2.id, amount: 500 });
  const res = await fetch(`${t.emu.url}/_emulator/refunds/${r2.id}/fail`, { method: 'POST' });
  assert.equal(res.status, 200);
  const failed = await t.stripe.refunds.retrieve(r2.id);
  assert.equal(failed.status, 'failed');
  assert.equal((await t.stripe.charges.retrieve(String(pi2.latest_charge))).amount_refunded, 0);
  const twice = await fetch(`${t.emu.url}/_emulator/refunds/${r2.id}/fail`, { method: 'POST' });
  assert.equal(twice.status, 400);
});
