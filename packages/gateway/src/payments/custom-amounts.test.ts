// Amounts a caller chooses (the custom_amounts scope) are checked against Stripe's rules before Stripe
// sees them: a currency Stripe charges in, its minimum and maximum charge; 400 with the limit in
// `details`. And when Stripe does refuse a request, the log says what Stripe said (type, code, param,
// request id), never a key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { callStripe, idempotencyKey } from '../platform/stripe/client.js';
import { createTestApp, type TestApp } from '../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { EMULATOR_KEY_FOR_TESTS } from '../testing/stripe.js';

let tdb: TestDatabase;
let t: TestApp;
let key: string;
let probe = 0;

before(async () => {
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open(), {
    plugins: [
      (app) => {
        // A request Stripe refuses (below its minimum), sent the way paydesk's services send theirs.
        app.post('/probe/stripe-refusal', async () => {
          probe++;
          return callStripe(() =>
            t.stripe.paymentIntents.create(
              { amount: 10, currency: 'usd' },
              { idempotencyKey: idempotencyKey('probe-refusal', probe, Date.now()) },
            ),
          );
        });
      },
    ],
  });
  key = await t.apiKey(['read', 'write', 'custom_amounts']);
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
});

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };
const errorOf = (r: { body: string }) => (JSON.parse(r.body) as ErrorBody).error;

function intent(payload: Record<string, unknown>) {
  return t.app.inject({
    method: 'POST',
    url: '/v1/payment_intents',
    headers: { authorization: `Bearer ${key}` },
    payload,
  });
}

function session(lines: { currency: string; unit_amount: number; quantity: number }[]) {
  return t.app.inject({
    method: 'POST',
    url: '/v1/checkout/sessions',
    headers: { authorization: `Bearer ${key}` },
    payload: {
      customer_email: 'custom@example.com',
      line_items: lines.map((l) => ({
        quantity: l.quantity,
        price_data: { currency: l.currency, unit_amount: l.unit_amount, product_data: { name: 'Service' } },
      })),
    },
  });
}

describe('custom amounts: payment intents', () => {
  test('a currency that does not exist (xyz) → 400 naming body.currency', async () => {
    const r = await intent({ amount: 5000, currency: 'xyz' });
    assert.equal(r.statusCode, 400, r.body);
    const e = errorOf(r);
    assert.equal(e.code, 'validation_failed');
    assert.match(e.message, /body\.currency.*xyz/);
    assert.equal(e.details?.currency, 'xyz');
  });

  test('below Stripe’s minimum (49 usd, 29 gbp, 1499 czk) → 400 with the minimum in details', async () => {
    for (const [currency, amount, minimum] of [
      ['usd', 49, 50],
      ['gbp', 29, 30],
      ['czk', 1499, 1500],
      ['jpy', 49, 50],
    ] as const) {
      const r = await intent({ amount, currency });
      assert.equal(r.statusCode, 400, `${amount} ${currency}: ${r.body}`);
      const e = errorOf(r);
      assert.equal(e.code, 'validation_failed');
      assert.match(e.message, /body\.amount/);
      assert.equal(e.details?.minimum, minimum, currency);
      assert.equal(e.details?.currency, currency);
      assert.equal(e.details?.maximum, 99_999_999);
    }
  });

  test('exactly the minimum is accepted and reaches Stripe', async () => {
    const r = await intent({ amount: 50, currency: 'usd' });
    assert.equal(r.statusCode, 201, r.body);
    const pi = await t.stripe.paymentIntents.retrieve((JSON.parse(r.body) as { id: string }).id);
    assert.equal(pi.amount, 50);
  });

  test('a supported currency without a published fixed minimum (ngn) passes the 1-unit floor', async () => {
    const r = await intent({ amount: 100_000, currency: 'ngn' });
    assert.notEqual(errorOf(r)?.code, 'validation_failed', r.body);
  });
});

describe('custom amounts: Checkout line items', () => {
  test('a total below the minimum → 400 with the limit; the same lines above it → 201', async () => {
    const low = await session([{ currency: 'gbp', unit_amount: 10, quantity: 2 }]);
    assert.equal(low.statusCode, 400, low.body);
    assert.equal(errorOf(low).details?.minimum, 30);
    assert.equal(errorOf(low).details?.amount, 20);
    const ok = await session([{ currency: 'gbp', unit_amount: 10, quantity: 3 }]);
    assert.equal(ok.statusCode, 201, ok.body);
  });

  test('a total above Stripe’s maximum → 400 with the maximum; an unknown currency → 400', async () => {
    const high = await session([{ currency: 'usd', unit_amount: 60_000_000, quantity: 2 }]);
    assert.equal(high.statusCode, 400, high.body);
    assert.equal(errorOf(high).details?.maximum, 99_999_999);
    const unknown = await session([{ currency: 'abc', unit_amount: 5000, quantity: 1 }]);
    assert.equal(unknown.statusCode, 400, unknown.body);
    assert.match(errorOf(unknown).message, /abc/);
  });
});

describe('Stripe errors in the log', () => {
  test('a 502 stripe_error logs Stripe’s type, code, param and request id, and no key', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/probe/stripe-refusal' });
    assert.equal(r.statusCode, 502, r.body);
    assert.equal(errorOf(r).code, 'stripe_error');
    const requestId = r.headers['request-id'];
    const line = t.logs
      .records()
      .find((l) => l.request_id === requestId && typeof l.stripe === 'object' && l.stripe !== null);
    assert.ok(line, 'a log line with the Stripe error');
    const stripe = line.stripe as Record<string, unknown>;
    assert.equal(stripe.type, 'invalid_request_error');
    assert.equal(stripe.code, 'amount_too_small');
    assert.equal(stripe.param, 'amount');
    assert.equal(stripe.status, 400);
    assert.equal(line.level, 'error', 'logged as an error');
    assert.ok('request_id' in stripe && 'request_log_url' in stripe && 'decline_code' in stripe);
    assert.ok(!t.logs.text.includes(EMULATOR_KEY_FOR_TESTS), 'the secret key never reaches the log');
  });
});
