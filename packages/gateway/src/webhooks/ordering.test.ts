// Events arriving in the worst order: a refund before anything about the payment it refunds.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import Stripe from 'stripe';
import { jobKinds } from '../jobs.js';
import { TEST_WEBHOOK_SECRET } from '../testing/app.js';
import { useTestApp } from '../testing/setup.js';

const t = useTestApp();
let buyer: Stripe;

before(async () => {
  await t.ready;
  buyer = new Stripe('sk_test_buyer', {
    host: '127.0.0.1',
    port: t.emulator.port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });
  t.context.queue.start(jobKinds(t.context));
});

async function deliver(event: Stripe.Event) {
  const payload = JSON.stringify(event);
  const r = await t.app.inject({
    method: 'POST',
    url: '/webhooks/stripe',
    headers: {
      'content-type': 'application/json',
      'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: TEST_WEBHOOK_SECRET }),
    },
    payload,
  });
  assert.equal(r.statusCode, 200, r.body);
  await t.context.queue.idle();
}

describe('a refund that arrives before its payment was recorded', () => {
  test('the payment is recorded from Stripe first, then the refund and the credit clawback apply', async () => {
    const token = await t.userToken('early-refund');
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/checkout/sessions',
      headers: { authorization: `Bearer ${token}` },
      payload: { pack: 'credits-100', quantity: 2, currency: 'usd' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const session = JSON.parse(created.body) as { id: string };
    // Paid and half refunded in Stripe; paydesk has heard of neither (their events were lost).
    await buyer.rawRequest('POST', `/v1/payment_pages/${session.id}/confirm`, {
      payment_method: 'pm_card_visa',
      expected_amount: 1000,
    });
    const pi = (await buyer.checkout.sessions.retrieve(session.id)).payment_intent as string;
    await buyer.refunds.create({ payment_intent: pi, amount: 500 });
    const refunded = (await buyer.events.list({ type: 'charge.refunded', limit: 1 })).data[0]!;
    assert.equal(
      (await t.context.db.query('SELECT 1 FROM payments WHERE stripe_payment_intent_id = $1', [pi])).rowCount,
      0,
    );

    await deliver(refunded);

    const payment = await t.context.db.query<{ amount: number; amount_refunded: number }>(
      'SELECT amount, amount_refunded FROM payments WHERE stripe_payment_intent_id = $1',
      [pi],
    );
    assert.deepEqual(payment.rows[0], { amount: 1000, amount_refunded: 500 });
    const ent = await t.app.inject({
      method: 'GET',
      url: '/v1/customers/me/entitlements',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal((JSON.parse(ent.body) as { credits: number }).credits, 100, '200 granted, half taken back');
    const status = await t.context.db.query<{ status: string }>(
      'SELECT status FROM stripe_events WHERE id = $1',
      [refunded.id],
    );
    assert.equal(status.rows[0]?.status, 'processed');
  });
});
