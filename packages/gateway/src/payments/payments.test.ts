import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authSuite } from '../testing/auth-suite.js';
import { useTestApp } from '../testing/setup.js';

const t = useTestApp();

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
type Json = Record<string, unknown>;
const json = (r: { body: string }) => JSON.parse(r.body) as Json;
const errorOf = (r: { body: string }) => json(r).error as { code: string; details?: Json; message: string };

async function customerOf(token: string): Promise<string> {
  const r = await t.app.inject({ method: 'POST', url: '/v1/customers', headers: auth(token), payload: {} });
  return json(r).id as string;
}

describe('POST /v1/payment_intents', () => {
  test('a pack × quantity at the catalog amount → id and client_secret', async () => {
    const key = await t.apiKey(['read', 'write']);
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/payment_intents',
      headers: auth(key),
      payload: { pack: 'credits-1000', quantity: 2, currency: 'usd' },
    });
    assert.equal(r.statusCode, 201, r.body);
    const pi = json(r);
    assert.match(String(pi.id), /^pi_/);
    assert.match(String(pi.client_secret), /^pi_.+_secret_/);
    assert.match(String(pi.paydesk_id), /^pir_/);
    assert.equal(pi.amount, 8000);
    const stripePi = await t.stripe.paymentIntents.retrieve(String(pi.id));
    assert.equal(stripePi.amount, 8000);
    assert.equal(stripePi.metadata.paydesk_instance, 'default');
    assert.equal(stripePi.metadata.paydesk_payment_intent_id, pi.paydesk_id);
    assert.equal(stripePi.metadata.paydesk_item, 'pack:credits-1000');
  });

  test('explicit amounts need custom_amounts; amounts never override a pack', async () => {
    const plain = await t.apiKey(['read', 'write']);
    const denied = await t.app.inject({
      method: 'POST',
      url: '/v1/payment_intents',
      headers: auth(plain),
      payload: { amount: 1, currency: 'usd' },
    });
    assert.equal(denied.statusCode, 403);
    assert.equal(errorOf(denied).code, 'forbidden');
    const both = await t.app.inject({
      method: 'POST',
      url: '/v1/payment_intents',
      headers: auth(plain),
      payload: { pack: 'credits-100', amount: 1, currency: 'usd' },
    });
    assert.equal(both.statusCode, 400, 'a pack with an amount is refused, not charged at 1');
    const scoped = await t.apiKey(['write', 'custom_amounts']);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/v1/payment_intents',
      headers: auth(scoped),
      payload: { amount: 1999, currency: 'eur' },
    });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(json(ok).amount, 1999);
    assert.equal(json(ok).currency, 'eur');
  });

  test('Idempotency-Key: the same request twice makes one payment intent; a changed body is 409', async () => {
    const key = await t.apiKey(['read', 'write']);
    const send = (payload: Json, idem = 'order-42') =>
      t.app.inject({
        method: 'POST',
        url: '/v1/payment_intents',
        headers: { ...auth(key), 'idempotency-key': idem },
        payload,
      });
    const first = await send({ pack: 'credits-100', quantity: 4 });
    const second = await send({ pack: 'credits-100', quantity: 4 });
    assert.equal(first.statusCode, 201, first.body);
    assert.equal(second.statusCode, 200, second.body);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(json(second).id, json(first).id);
    const concurrent = await Promise.all(
      [1, 2, 3].map(() => send({ pack: 'credits-100', quantity: 5 }, 'order-43')),
    );
    assert.equal(
      new Set(concurrent.map((r) => json(r).id)).size,
      1,
      'concurrent retries: one payment intent',
    );
    const changed = await send({ pack: 'credits-100', quantity: 9 });
    assert.equal(changed.statusCode, 409);
    assert.equal(errorOf(changed).code, 'conflict');
    const other = await t.apiKey(['read', 'write']);
    const otherKey = await t.app.inject({
      method: 'POST',
      url: '/v1/payment_intents',
      headers: { ...auth(other), 'idempotency-key': 'order-42' },
      payload: { pack: 'credits-100', quantity: 4 },
    });
    assert.equal(otherKey.statusCode, 201, 'keys are scoped to the API key');
    assert.notEqual(json(otherKey).id, json(first).id);
    const noKey = await Promise.all([1, 2].map(() => send({ pack: 'credits-100' }, '')));
    assert.equal(noKey[0]!.statusCode, 400, 'an empty Idempotency-Key is invalid');
  });

  test('confirming with a card: success records the payment; a decline is 402 with its decline code', async () => {
    const key = await t.apiKey(['read', 'write']);
    const customer = await customerOf(await t.userToken('pi-payer'));
    const paid = await t.app.inject({
      method: 'POST',
      url: '/v1/payment_intents',
      headers: auth(key),
      payload: { pack: 'credits-100', currency: 'usd', customer, payment_method: 'pm_card_visa' },
    });
    assert.equal(paid.statusCode, 201, paid.body);
    assert.equal(json(paid).status, 'succeeded');
    const declined = await t.app.inject({
      method: 'POST',
      url: '/v1/payment_intents',
      headers: auth(key),
      payload: { pack: 'credits-100', currency: 'usd', customer, payment_method: 'pm_card_chargeDeclined' },
    });
    assert.equal(declined.statusCode, 402, declined.body);
    const e = errorOf(declined);
    assert.equal(e.code, 'card_declined');
    assert.equal(e.details?.decline_code, 'generic_decline');
    assert.match(String(e.details?.payment_intent), /^pi_/);
    const insufficient = await t.app.inject({
      method: 'POST',
      url: '/v1/payment_intents',
      headers: auth(key),
      payload: { pack: 'credits-100', payment_method: 'pm_card_chargeDeclinedInsufficientFunds' },
    });
    assert.equal(insufficient.statusCode, 402);
    assert.equal(errorOf(insufficient).details?.decline_code, 'insufficient_funds');

    const list = json(
      await t.app.inject({ method: 'GET', url: `/v1/payments?customer=${customer}`, headers: auth(key) }),
    );
    const data = list.data as Json[];
    assert.equal(data.length, 1, 'only the succeeded payment is in the history');
    assert.equal(data[0]!.payment_intent, json(paid).id);
    assert.equal(data[0]!.source, 'payment_intent');
    const declinedRead = await t.app.inject({
      method: 'GET',
      url: `/v1/payment_intents/${String(e.details?.payment_intent)}`,
      headers: auth(key),
    });
    assert.equal(declinedRead.statusCode, 200, declinedRead.body);
    assert.equal((json(declinedRead).last_payment_error as Json).decline_code, 'generic_decline');
  });

  test('validation', async () => {
    const key = await t.apiKey(['write', 'custom_amounts']);
    for (const payload of [
      {},
      { pack: 'credits-100', quantity: 0 },
      { amount: 100 },
      { amount: -5, currency: 'usd' },
      { amount: 10.5, currency: 'usd' },
      { amount: 100, currency: 'usd', quantity: 2 },
      { pack: 'credits-100', currency: 'gbp' },
      { pack: 'credits-100', payment_method: 'card_4242' },
      { pack: 'credits-100', metadata: { paydesk_instance: 'x' } },
      { pack: 'credits-100', price: 'price_1' },
    ]) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/v1/payment_intents',
        headers: auth(key),
        payload,
      });
      assert.equal(r.statusCode, 400, `${JSON.stringify(payload)}: ${r.body}`);
      assert.equal(errorOf(r).code, 'validation_failed');
    }
  });

  test('a pack total below Stripe’s minimum charge is a 400 naming quantity, before Stripe is asked', async () => {
    const key = await t.apiKey(['write']);
    const before = (await t.stripe.paymentIntents.list({ limit: 100 })).data.length;
    // The one-credit pack costs 5 cents: fewer than 10 are below Stripe's 50-cent minimum.
    for (const [url, payload, total] of [
      ['/v1/payment_intents', { pack: 'credit' }, 5],
      ['/v1/payment_intents', { pack: 'credit', quantity: 9, currency: 'eur' }, 45],
      ['/payment-intent', { pack: 'credit' }, 5],
    ] as const) {
      const r = await t.app.inject({ method: 'POST', url, headers: auth(key), payload });
      assert.equal(r.statusCode, 400, `${url} ${JSON.stringify(payload)}: ${r.body}`);
      const e = errorOf(r);
      assert.equal(e.code, 'validation_failed');
      assert.match(e.message, /^Invalid quantity: /);
      assert.equal(e.details?.amount, total);
    }
    assert.equal(
      (await t.stripe.paymentIntents.list({ limit: 100 })).data.length,
      before,
      'Stripe was not asked',
    );
    const ten = await t.app.inject({
      method: 'POST',
      url: '/v1/payment_intents',
      headers: auth(key),
      payload: { pack: 'credit', quantity: 10 },
    });
    assert.equal(ten.statusCode, 201, ten.body);
    assert.equal(json(ten).amount, 50);
  });
});

describe('GET /v1/payment_intents/:id and /v1/payments: users see only their own', () => {
  test('user A can read neither B’s payment intents nor B’s payments', async () => {
    const key = await t.apiKey(['read', 'write']);
    const a = await t.userToken('pay-a');
    const b = await t.userToken('pay-b');
    const ca = await customerOf(a);
    const cb = await customerOf(b);
    const mk = async (customer: string) =>
      json(
        await t.app.inject({
          method: 'POST',
          url: '/v1/payment_intents',
          headers: auth(key),
          payload: { pack: 'credits-100', customer, payment_method: 'pm_card_visa' },
        }),
      );
    const pa = await mk(ca);
    const pb = await mk(cb);
    for (const ref of [pb.id, pb.paydesk_id]) {
      const r = await t.app.inject({ method: 'GET', url: `/v1/payment_intents/${ref}`, headers: auth(a) });
      assert.equal(r.statusCode, 404, `B's ${ref} is not found for A`);
    }
    const own = await t.app.inject({ method: 'GET', url: `/v1/payment_intents/${pa.id}`, headers: auth(a) });
    assert.equal(own.statusCode, 200, own.body);
    assert.equal(json(own).customer, ca);

    const mine = json(await t.app.inject({ method: 'GET', url: '/v1/payments', headers: auth(a) }));
    assert.deepEqual(
      (mine.data as Json[]).map((p) => p.payment_intent),
      [pa.id],
    );
    const theirs = await t.app.inject({
      method: 'GET',
      url: `/v1/payments?customer=${cb}`,
      headers: auth(a),
    });
    assert.equal(theirs.statusCode, 404);
    const stranger = json(
      await t.app.inject({
        method: 'GET',
        url: '/v1/payments',
        headers: auth(await t.userToken('pay-nobody')),
      }),
    );
    assert.deepEqual(stranger.data, [], 'a user with no customer has no payments');
    const all = json(
      await t.app.inject({ method: 'GET', url: '/v1/payments?limit=100', headers: auth(key) }),
    );
    const ids = (all.data as Json[]).map((p) => p.payment_intent);
    assert.ok(ids.includes(pa.id) && ids.includes(pb.id), 'an API key sees every customer’s payments');
  });

  test('a payment intent made outside paydesk is not found', async () => {
    const key = await t.apiKey(['read']);
    const direct = await t.stripe.paymentIntents.create(
      { amount: 500, currency: 'usd' },
      { idempotencyKey: `pd:test:${Date.now()}` },
    );
    const r = await t.app.inject({
      method: 'GET',
      url: `/v1/payment_intents/${direct.id}`,
      headers: auth(key),
    });
    assert.equal(r.statusCode, 404);
    const missing = await t.app.inject({
      method: 'GET',
      url: '/v1/payment_intents/pi_nope',
      headers: auth(key),
    });
    assert.equal(missing.statusCode, 404);
  });

  test('pagination: newest first, cursor pages cover everything once; bad cursors are 400', async () => {
    const key = await t.apiKey(['read', 'write']);
    const token = await t.userToken('pager');
    const customer = await customerOf(token);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/v1/payment_intents',
        headers: auth(key),
        payload: { pack: 'credits-100', customer, payment_method: 'pm_card_visa' },
      });
      made.push(String(json(r).id));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/payments?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = json(await t.app.inject({ method: 'GET', url, headers: auth(token) }));
      seen.push(...(page.data as Json[]).map((p) => String(p.payment_intent)));
      cursor = page.next_cursor as string | null;
      assert.equal(page.has_more, cursor !== null);
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...made].reverse(), 'newest first, each once');
    const bad = await t.app.inject({
      method: 'GET',
      url: '/v1/payments?cursor=pay_nope',
      headers: auth(token),
    });
    assert.equal(bad.statusCode, 400);
    for (const q of ['limit=0', 'limit=101', 'limit=x', 'foo=1']) {
      const r = await t.app.inject({ method: 'GET', url: `/v1/payments?${q}`, headers: auth(key) });
      assert.equal(r.statusCode, 400, q);
    }
  });
});

describe('authentication', () => {
  authSuite(
    () => t,
    [
      {
        method: 'POST',
        url: '/v1/payment_intents',
        payload: { pack: 'credits-100' },
        allow: ['api_key'],
        scopes: ['write'],
      },
      { method: 'GET', url: '/v1/payment_intents/pi_x', allow: ['api_key', 'user'], scopes: ['read'] },
      { method: 'GET', url: '/v1/payments', allow: ['api_key', 'user'], scopes: ['read'] },
    ],
  );
});
