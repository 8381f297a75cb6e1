// POST/GET /v1/refunds against the emulator: sync and async, partial then full, over-refund, a
// repeated request_id, Stripe's faults retried to exactly one refund, permanent errors, dead jobs and
// their retry, refunds failing later and refunds made in Stripe's dashboard (through webhooks).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type Stripe from 'stripe';
import { jobKinds } from '../jobs.js';
import { createStripeClient } from '../platform/stripe/client.js';
import { createTestApp, type TestApp } from '../testing/app.js';
import { authSuite } from '../testing/auth-suite.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { EMULATOR_KEY_FOR_TESTS } from '../testing/stripe.js';
import { deliverAndApply, emulatorEvent } from '../testing/webhook-fixtures.js';
import {
  auth,
  buyerOf,
  buyPack,
  creditsOf,
  errorOf,
  type Json,
  json,
  newCustomer,
  payDirect,
  paymentIdOf,
  stripeRefundsOf,
} from './test-support.js';

let tdb: TestDatabase;
let t: TestApp;
let key: string;

before(async () => {
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open());
  key = await t.apiKey(['read', 'write', 'refunds']);
  t.context.queue.start(jobKinds(t.context));
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
});

const refund = (payload: Json, token = key) =>
  t.app.inject({ method: 'POST', url: '/v1/refunds', headers: auth(token), payload });
const getRefund = async (ref: string) => {
  const r = await t.app.inject({
    method: 'GET',
    url: `/v1/refunds/${encodeURIComponent(ref)}`,
    headers: auth(key),
  });
  assert.equal(r.statusCode, 200, r.body);
  return json(r);
};
const settle = () => t.context.queue.idle({ timeoutMs: 60_000 });

async function paymentOf(customer: string, id: string): Promise<Json> {
  const r = await t.app.inject({
    method: 'GET',
    url: `/v1/payments?customer=${customer}`,
    headers: auth(key),
  });
  assert.equal(r.statusCode, 200, r.body);
  const p = (json(r).data as Json[]).find((x) => x.id === id);
  assert.ok(p, `payment ${id} listed`);
  return p;
}

describe('POST /v1/refunds (synchronous)', () => {
  test('partial then the remainder: two refunds in Stripe, the payment history shows them; a third is 409', async () => {
    const paid = await payDirect(t, key);
    assert.equal(paid.amount, 1000);
    const first = await refund({ payment: paid.payment, amount: 300, reason: 'requested_by_customer' });
    assert.equal(first.statusCode, 201, first.body);
    const r1 = json(first);
    assert.equal(r1.status, 'succeeded');
    assert.equal(r1.amount, 300);
    assert.equal(r1.currency, 'usd');
    assert.equal(r1.reason, 'requested_by_customer');
    assert.match(String(r1.id), /^rf_/);
    assert.match(String(r1.stripe_refund), /^re_/);
    assert.equal(r1.attempts, 1);
    let p = await paymentOf(paid.customer, paid.payment);
    assert.deepEqual([p.amount_refunded, p.refund_status], [300, 'partial']);

    const rest = await refund({ payment_intent: paid.paymentIntent });
    assert.equal(rest.statusCode, 201, rest.body);
    assert.equal(json(rest).amount, 700, 'default amount: the refundable remainder');
    p = await paymentOf(paid.customer, paid.payment);
    assert.deepEqual([p.amount_refunded, p.refund_status], [1000, 'full']);
    assert.deepEqual(
      (p.refunds as Json[]).map((x) => [x.id, x.amount, x.status]),
      [
        [r1.id, 300, 'succeeded'],
        [json(rest).id, 700, 'succeeded'],
      ],
    );

    const third = await refund({ payment: paid.payment, amount: 1 });
    assert.equal(third.statusCode, 409, third.body);
    assert.equal(errorOf(third).details?.refundable, 0);
    const inStripe = await stripeRefundsOf(t, paid.paymentIntent);
    assert.deepEqual(
      inStripe.map((r) => r.amount).sort((a, b) => a - b),
      [300, 700],
    );
    const charge = await t.stripe.charges.retrieve(inStripe[0]!.charge as string);
    assert.equal(charge.amount_refunded, 1000);
  });

  test('over-refund → 409 with the remainder in details; nothing refunded', async () => {
    const paid = await payDirect(t, key, { quantity: 1 });
    const r = await refund({ payment: paid.payment, amount: 501 });
    assert.equal(r.statusCode, 409, r.body);
    const e = errorOf(r);
    assert.equal(e.code, 'conflict');
    assert.deepEqual([e.details?.refundable, e.details?.requested, e.details?.currency], [500, 501, 'usd']);
    assert.equal((await stripeRefundsOf(t, paid.paymentIntent)).length, 0);
  });

  test('by charge id; the wrong currency, an unknown payment and a bad body are refused', async () => {
    const paid = await payDirect(t, key, { quantity: 1 });
    const pi = await t.stripe.paymentIntents.retrieve(paid.paymentIntent);
    const byCharge = await refund({
      charge: pi.latest_charge as string,
      amount: 100,
      request_id: 'by-charge-1',
    });
    assert.equal(byCharge.statusCode, 201, byCharge.body);
    assert.equal(json(byCharge).charge, pi.latest_charge);
    const wrongCurrency = await refund({ payment: paid.payment, amount: 100, currency: 'eur' });
    assert.equal(wrongCurrency.statusCode, 400, wrongCurrency.body);
    const unknown = await refund({ payment: 'pay_nope', amount: 1 });
    assert.equal(unknown.statusCode, 404, unknown.body);
    const unknownPi = await refund({ payment_intent: 'pi_unknown123' });
    assert.equal(unknownPi.statusCode, 404, unknownPi.body);
    const two = await refund({ payment: paid.payment, payment_intent: paid.paymentIntent });
    assert.equal(two.statusCode, 400, two.body);
    const none = await refund({ amount: 5 });
    assert.equal(none.statusCode, 400, none.body);
    const badAmount = await refund({ payment: paid.payment, amount: 0 });
    assert.equal(badAmount.statusCode, 400, badAmount.body);
    const badReason = await refund({ payment: paid.payment, reason: 'because' });
    assert.equal(badReason.statusCode, 400, badReason.body);
    const notSub = await refund({ payment: paid.payment, cancel_subscription: true });
    assert.equal(notSub.statusCode, 400, notSub.body);
    assert.match(errorOf(notSub).message, /not a subscription payment/);
  });

  test('a repeated request_id returns the same refund; concurrent repeats make one; another body is 409', async () => {
    const paid = await payDirect(t, key);
    const body = { payment: paid.payment, amount: 250, request_id: 'order-77-refund' };
    const first = await refund(body);
    assert.equal(first.statusCode, 201, first.body);
    const again = await refund(body);
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(json(again).id, json(first).id);
    const concurrent = await Promise.all(
      [1, 2, 3, 4, 5].map(() =>
        refund({ payment: paid.payment, amount: 100, request_id: 'order-78-refund' }),
      ),
    );
    assert.equal(
      new Set(concurrent.map((r) => json(r).id)).size,
      1,
      concurrent.map((r) => r.body).join('\n'),
    );
    const changed = await refund({ ...body, amount: 251 });
    assert.equal(changed.statusCode, 409, changed.body);
    assert.equal(errorOf(changed).details?.refund, json(first).id);
    const inStripe = await stripeRefundsOf(t, paid.paymentIntent);
    assert.deepEqual(
      inStripe.map((r) => r.amount).sort((a, b) => a - b),
      [100, 250],
    );
    assert.equal((await getRefund('order-77-refund')).id, json(first).id, 'GET by request_id');
    assert.equal((await getRefund(String(json(first).stripe_refund))).id, json(first).id, 'GET by Stripe id');
  });

  test('a permanent Stripe error ends failed with the reason; a 500 leaves it queued for a job', async () => {
    const paid = await payDirect(t, key);
    t.emulator.faults.configure({
      routes: [{ method: 'POST', path: '/v1/refunds', errorRate: 1, status: 400 }],
    });
    let r: Awaited<ReturnType<typeof refund>>;
    try {
      r = await refund({ payment: paid.payment, amount: 100, request_id: 'perm-1' });
    } finally {
      t.emulator.faults.clear();
    }
    assert.equal(r.statusCode, 502, r.body);
    assert.equal(errorOf(r).code, 'stripe_error');
    const failed = await getRefund('perm-1');
    assert.deepEqual([failed.status, failed.failure_reason], ['failed', 'invalid_request_error']);
    assert.equal((await paymentOf(paid.customer, paid.payment)).amount_refunded, 0);

    t.emulator.faults.configure({
      routes: [{ method: 'POST', path: '/v1/refunds', errorRate: 1, status: 500 }],
    });
    try {
      r = await refund({ payment: paid.payment, amount: 100, request_id: 'outage-1' });
      assert.equal(r.statusCode, 502, r.body);
      assert.equal(errorOf(r).code, 'stripe_unavailable');
      assert.equal(errorOf(r).details?.status, 'queued');
    } finally {
      t.emulator.faults.clear();
    }
    await settle();
    const done = await getRefund('outage-1');
    assert.equal(done.status, 'succeeded');
    assert.equal((await stripeRefundsOf(t, paid.paymentIntent)).length, 1);
  });
});

describe('async refunds', () => {
  test('202 {request_id} at once, then succeeded by the job', async () => {
    const paid = await payDirect(t, key);
    const r = await refund({ payment: paid.payment, amount: 400, async: true, request_id: 'async-1' });
    assert.equal(r.statusCode, 202, r.body);
    assert.equal(json(r).request_id, 'async-1');
    assert.match(String(json(r).refund), /^rf_/);
    await settle();
    const done = await getRefund('async-1');
    assert.deepEqual([done.status, done.amount, done.attempts, done.async], ['succeeded', 400, 1, true]);
    const replay = await refund({ payment: paid.payment, amount: 400, async: true, request_id: 'async-1' });
    assert.equal(replay.statusCode, 202);
    assert.equal(json(replay).status, 'succeeded');
    const list = await t.app.inject({
      method: 'GET',
      url: `/v1/refunds?payment=${paid.payment}&status=succeeded`,
      headers: auth(key),
    });
    assert.deepEqual(
      (json(list).data as Json[]).map((x) => x.id),
      [json(r).refund],
    );
  });

  for (const fault of [
    { name: 'Stripe 500s', slug: 'e500', route: { errorRate: 0.6, status: 500 } },
    { name: '429s', slug: 'e429', route: { errorRate: 0.6, status: 429 } },
    { name: 'timeouts', slug: 'timeout', route: { latencyMs: 400 }, timeoutMs: 150 },
  ]) {
    test(`${fault.name} are retried to exactly one refund each`, async () => {
      const paid = await Promise.all(Array.from({ length: 6 }, () => payDirect(t, key)));
      const stripe = t.context.stripe;
      // The context's client is read-only for the app; the test swaps it for one with a short timeout.
      const context = t.context as { stripe: Stripe };
      if (fault.timeoutMs) {
        context.stripe = createStripeClient({
          secretKey: EMULATOR_KEY_FOR_TESTS,
          apiBase: t.emulator.url,
          maxNetworkRetries: 0,
          timeoutMs: fault.timeoutMs,
        });
      }
      t.emulator.faults.configure({
        seed: 11,
        routes: [{ method: 'POST', path: '/v1/refunds', ...fault.route }],
      });
      try {
        for (const p of paid) {
          const r = await refund({
            payment: p.payment,
            amount: 300,
            async: true,
            request_id: `${fault.slug}-${p.payment}`,
          });
          assert.equal(r.statusCode, 202, r.body);
        }
        if (fault.timeoutMs) {
          // Every call times out while the fault lasts: let each refund try (and be made in Stripe) a few times.
          for (let i = 0; i < 50; i++) {
            const attempts = await t.context.db.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM refunds WHERE request_id LIKE $1 AND attempts >= 2`,
              [`${fault.slug}-%`],
            );
            if (attempts.rows[0]!.n === paid.length) break;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          // The fault is over: later attempts use the normal client, so a slow but healthy answer on a
          // loaded machine is not taken for another timeout (with 150 ms they could run out of attempts).
          t.emulator.faults.clear();
          context.stripe = stripe;
        }
        await settle();
      } finally {
        t.emulator.faults.clear();
        context.stripe = stripe;
      }
      await settle();
      let retried = 0;
      for (const p of paid) {
        const r = await getRefund(`${fault.slug}-${p.payment}`);
        assert.equal(r.status, 'succeeded', JSON.stringify(r));
        retried += (r.attempts as number) > 1 ? 1 : 0;
        const inStripe = await stripeRefundsOf(t, p.paymentIntent);
        assert.equal(inStripe.length, 1, `exactly one refund in Stripe for ${p.paymentIntent}`);
        assert.equal(inStripe[0]!.id, r.stripe_refund);
        assert.equal(inStripe[0]!.amount, 300);
      }
      assert.ok(retried > 0, 'the fault made some attempts fail');
    });
  }

  test('exhausted retries: the refund fails, its job is dead; retried, it succeeds once', async () => {
    const paid = await payDirect(t, key);
    t.emulator.faults.configure({
      routes: [{ method: 'POST', path: '/v1/refunds', errorRate: 1, status: 503 }],
    });
    try {
      const r = await refund({ payment: paid.payment, amount: 200, async: true, request_id: 'dead-1' });
      assert.equal(r.statusCode, 202, r.body);
      await settle();
    } finally {
      t.emulator.faults.clear();
    }
    const failed = await getRefund('dead-1');
    assert.equal(failed.status, 'failed');
    assert.match(String(failed.failure_reason), /^gave up after 8 attempts: api_error \(503\)/);
    const dead = await t.context.db.query<{ status: string }>(
      `SELECT status FROM jobs WHERE kind = 'refund.execute' AND key = $1`,
      [failed.id],
    );
    assert.deepEqual(dead.rows, [{ status: 'dead' }]);
    const retry = await t.app.inject({ method: 'POST', url: `/v1/refunds/dead-1/retry`, headers: auth(key) });
    assert.equal(retry.statusCode, 200, retry.body);
    assert.equal(json(retry).status, 'queued');
    await settle();
    const done = await getRefund('dead-1');
    assert.equal(done.status, 'succeeded');
    assert.equal((await stripeRefundsOf(t, paid.paymentIntent)).length, 1);
    const again = await t.app.inject({ method: 'POST', url: `/v1/refunds/dead-1/retry`, headers: auth(key) });
    assert.equal(again.statusCode, 409, 'a succeeded refund is not retried');
  });
});

describe('refunds kept current from Stripe', () => {
  test('a refund that fails later (refund.failed): status failed, the refunded amount and the credits come back', async () => {
    const customer = await newCustomer(t, key, 'late-fail');
    const paid = await buyPack(t, key, customer, 2);
    assert.equal(await creditsOf(t, key, customer), 200);
    const r = await refund({ payment: paid.payment, amount: 500 });
    assert.equal(r.statusCode, 201, r.body);
    assert.deepEqual(json(r).credits, { taken: 100, shortfall: 0, restored: false });
    assert.equal(await creditsOf(t, key, customer), 100);
    const res = await fetch(`${t.emulator.url}/_emulator/refunds/${json(r).stripe_refund}/fail`, {
      method: 'POST',
    });
    assert.equal(res.status, 200);
    await deliverAndApply(t, await emulatorEvent(t, 'refund.failed', String(json(r).stripe_refund)));
    const after = await getRefund(String(json(r).id));
    assert.deepEqual([after.status, after.failure_reason], ['failed', 'declined']);
    assert.deepEqual(after.credits, { taken: 100, shortfall: 0, restored: true });
    assert.equal(await creditsOf(t, key, customer), 200);
    assert.equal((await paymentOf(customer, paid.payment)).amount_refunded, 0);
  });

  test("a refund made in Stripe's dashboard is recorded (origin stripe) with its effects", async () => {
    const customer = await newCustomer(t, key, 'dashboard');
    const paid = await buyPack(t, key, customer, 4);
    const made = await t.stripe.refunds.create(
      { payment_intent: paid.paymentIntent, amount: 1000 },
      { idempotencyKey: 'pd:test-dashboard-refund' },
    );
    await deliverAndApply(t, await emulatorEvent(t, 'charge.refunded', made.charge as string));
    const list = await t.app.inject({
      method: 'GET',
      url: `/v1/refunds?payment=${paid.paymentIntent}`,
      headers: auth(key),
    });
    const rows = json(list).data as Json[];
    assert.equal(rows.length, 1);
    assert.deepEqual(
      [rows[0]!.origin, rows[0]!.stripe_refund, rows[0]!.amount, rows[0]!.status, rows[0]!.request_id],
      ['stripe', made.id, 1000, 'succeeded', `stripe:${made.id}`],
    );
    assert.equal(await creditsOf(t, key, customer), 200, 'half of 400 credits taken back');
    const over = await refund({ payment: paid.payment, amount: 1001 });
    assert.equal(over.statusCode, 409);
    assert.equal(
      errorOf(over).details?.refundable,
      1000,
      "the dashboard's refund counts against the remainder",
    );
  });
});

describe('cancel_subscription', () => {
  test('a refunded subscription payment with cancel_subscription cancels the subscription now', async () => {
    const token = await t.userToken('refund-sub', { email: 'refund-sub@example.com' });
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: auth(token),
      payload: { plan: 'starter', interval: 'month', currency: 'usd' },
    });
    assert.equal(r.statusCode, 201, r.body);
    const subscription = json(r).id as string;
    const piId = String(json(r).client_secret).split('_secret_')[0]!;
    await buyerOf(t).paymentIntents.confirm(piId, { payment_method: 'pm_card_visa' });
    const paidEvent = (await t.stripe.events.list({ type: 'invoice.paid', limit: 1 })).data[0]!;
    const invoice = paidEvent.data.object as Stripe.Invoice;
    const stripeSub = String(invoice.parent?.subscription_details?.subscription);
    await deliverAndApply(t, paidEvent);
    const payment = await paymentIdOf(t, piId);
    const refunded = await refund({ payment, cancel_subscription: true, reason: 'requested_by_customer' });
    assert.equal(refunded.statusCode, 201, refunded.body);
    assert.deepEqual([json(refunded).status, json(refunded).cancel_subscription], ['succeeded', true]);
    await settle();
    assert.equal((await t.stripe.subscriptions.retrieve(stripeSub)).status, 'canceled');
    const local = await t.context.db.query<{ status: string }>(
      'SELECT status FROM subscriptions WHERE id = $1',
      [subscription],
    );
    assert.equal(local.rows[0]!.status, 'canceled');
  });
});

describe('credits clawback', () => {
  test('partial refunds take credits back in proportion; spent credits are recorded as a shortfall, never clamped silently', async () => {
    const customer = await newCustomer(t, key, 'clawback');
    const paid = await buyPack(t, key, customer, 3);
    assert.equal(await creditsOf(t, key, customer), 300);
    const first = await refund({ payment: paid.payment, amount: 500 });
    assert.deepEqual(json(first).credits, { taken: 100, shortfall: 0, restored: false });
    assert.equal(await creditsOf(t, key, customer), 200);
    const spend = await t.app.inject({
      method: 'POST',
      url: `/v1/customers/${customer}/credits/consume`,
      headers: auth(key),
      payload: { amount: 150, idempotency_key: 'spend-1' },
    });
    assert.equal(spend.statusCode, 200, spend.body);
    const rest = await refund({ payment: paid.payment });
    assert.equal(rest.statusCode, 201, rest.body);
    assert.deepEqual(json(rest).credits, { taken: 200, shortfall: 150, restored: false });
    assert.equal(await creditsOf(t, key, customer), 0);
    const ledger = await t.app.inject({
      method: 'GET',
      url: `/v1/customers/${customer}/credits/ledger`,
      headers: auth(key),
    });
    const newest = (json(ledger).data as Json[])[0]!;
    assert.deepEqual([newest.reason, newest.delta, newest.balance], ['refund', -50, 0]);
    assert.match(String(newest.note), /shortfall: 150 of 200 credits were already spent/);
    assert.ok(
      t.logs
        .records()
        .some(
          (l) =>
            l.msg ===
              'refund clawback: the balance did not cover the credits to take back; shortfall recorded' &&
            l.shortfall === 150,
        ),
      'the shortfall is logged',
    );
  });
});

describe('auth', () => {
  authSuite(
    () => t,
    [
      {
        method: 'POST',
        url: '/v1/refunds',
        payload: { payment: 'pay_x' },
        allow: ['api_key', 'admin'],
        scopes: ['refunds'],
      },
      { method: 'GET', url: '/v1/refunds', allow: ['api_key', 'admin'], scopes: ['refunds'] },
      { method: 'GET', url: '/v1/refunds/rf_x', allow: ['api_key', 'admin'], scopes: ['refunds'] },
      { method: 'POST', url: '/v1/refunds/rf_x/retry', allow: ['api_key', 'admin'], scopes: ['refunds'] },
    ],
  );
});
