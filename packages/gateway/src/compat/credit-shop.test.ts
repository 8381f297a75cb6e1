import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authSuite } from '../testing/auth-suite.js';
import { useTestApp } from '../testing/setup.js';
import {
  auth,
  errorOf,
  hostileUrls,
  type Json,
  json,
  once,
  paySession,
  priceIdOf,
  sessionIdOf,
} from './testing.js';

// The shop's front end lives on the allowed origin; its relative redirects resolve there.
const t = useTestApp({ env: { PAYDESK_FRONTEND_URL: 'https://app.example.com' } });

const link = (token: string, query: string) =>
  t.app.inject({ method: 'GET', url: `/api/checkout/session?${query}`, headers: auth(token) });

async function balance(token: string): Promise<number> {
  const r = await t.app.inject({
    method: 'GET',
    url: '/v1/customers/me/credits/ledger',
    headers: auth(token),
  });
  assert.equal(r.statusCode, 200, r.body);
  return json(r).balance as number;
}

describe('credit shop: GET /api/checkout/session', () => {
  test('journey: the documented ?qty=12 buys 12 credits (not 12 packs) and returns to the relative default redirect', async () => {
    const token = await t.userToken('shop-buyer', { email: 'buyer@example.com' });
    const res = await link(token, 'qty=12&redirect=/front/checkout/success');
    assert.equal(res.statusCode, 303, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const location = String(res.headers.location);
    assert.ok(location.startsWith(t.emulator.url), location);
    const id = sessionIdOf(location);
    const session = await t.stripe.checkout.sessions.retrieve(id, { expand: ['line_items'] });
    assert.equal(session.mode, 'payment');
    // The catalog's one-credit pack in its first currency, × 12.
    assert.equal(session.amount_total, 60);
    assert.equal(session.line_items?.data[0]?.price?.lookup_key, 'paydesk:default:pack:credit:usd');
    assert.equal(session.line_items?.data[0]?.quantity, 12);

    await paySession(t, id, 60);
    const back = await t.app.inject({ method: 'GET', url: `/checkout/return?session_id=${id}` });
    assert.equal(back.statusCode, 303, back.body);
    assert.equal(back.headers.location, 'https://app.example.com/front/checkout/success');
    assert.equal(await balance(token), 12, '12 credits, as the shop documents qty');
  });

  test('qty=300 with an absolute redirect: 300 credits', async () => {
    const token = await t.userToken('shop-buyer-300');
    const res = await link(
      token,
      `qty=300&redirect=${encodeURIComponent('https://app.example.com/credits?bought=1')}`,
    );
    assert.equal(res.statusCode, 303, res.body);
    const id = sessionIdOf(String(res.headers.location));
    await paySession(t, id, 1500);
    const back = await t.app.inject({ method: 'GET', url: `/checkout/return?session_id=${id}` });
    assert.equal(back.headers.location, 'https://app.example.com/credits?bought=1');
    assert.equal(await balance(token), 300);
  });

  test('pack= and currency= choose another pack; the link works with ?token= for a browser', async () => {
    const token = await t.userToken('shop-pack');
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/checkout/session?qty=2000&pack=credits-1000&currency=eur&token=${token}`,
    });
    assert.equal(res.statusCode, 303, res.body);
    const id = sessionIdOf(String(res.headers.location));
    const session = await t.stripe.checkout.sessions.retrieve(id);
    assert.equal(session.amount_total, 7200);
    assert.equal(session.currency, 'eur');
    await paySession(t, id, 7200);
    const back = await t.app.inject({ method: 'GET', url: `/checkout/return?session_id=${id}` });
    assert.equal(back.statusCode, 200, 'no redirect given: the "payment received" page');
    assert.equal(await balance(token), 2000);
    assert.ok(!t.logs.text.includes(token), 'the token in the query is never logged');
  });

  test('journey: ?price_id= of a catalog plan subscribes at the catalog price', async () => {
    const token = await t.userToken('shop-subscriber');
    const priceId = await priceIdOf(t, 'paydesk:default:plan:starter:month:usd');
    const res = await link(token, `price_id=${priceId}`);
    assert.equal(res.statusCode, 303, res.body);
    const id = sessionIdOf(String(res.headers.location));
    const session = await t.stripe.checkout.sessions.retrieve(id);
    assert.equal(session.mode, 'subscription');
    assert.equal(session.amount_total, 900);
    await paySession(t, id, 900);
    const read = json(
      await t.app.inject({ method: 'GET', url: `/v1/checkout/sessions/${id}`, headers: auth(token) }),
    );
    assert.equal(read.status, 'complete');
    assert.match(String(read.subscription), /^sub_/);
    const sub = await t.stripe.subscriptions.retrieve(String(read.subscription));
    assert.equal(sub.items.data[0]?.price.id, priceId);
    assert.equal(sub.metadata.paydesk_instance, 'default');
  });

  test('any price_id that is not a plan of this catalog → 400', async () => {
    const token = await t.userToken('shop-bad-price');
    const product = await t.stripe.products.create({ name: 'Elsewhere' }, once());
    const foreign = await t.stripe.prices.create(
      { product: product.id, currency: 'usd', unit_amount: 1, recurring: { interval: 'month' } },
      once(),
    );
    const borrowed = await t.stripe.prices.create(
      {
        product: product.id,
        currency: 'usd',
        unit_amount: 1,
        recurring: { interval: 'month' },
        lookup_key: 'paydesk:another-instance:plan:pro:month:usd',
      },
      once(),
    );
    const packPrice = await priceIdOf(t, 'paydesk:default:pack:credits-100:usd');
    for (const priceId of [foreign.id, borrowed.id, packPrice, 'price_unknown123', 'prod_123', '1']) {
      const res = await link(token, `price_id=${priceId}`);
      assert.equal(res.statusCode, 400, `${priceId}: ${res.body}`);
      assert.equal(errorOf(res).code, 'validation_failed', priceId);
      assert.match(errorOf(res).message, /price_id/, priceId);
    }
  });

  test('each validation error answers 400 in the catalog’s shape', async () => {
    const token = await t.userToken('shop-validation');
    const priceId = await priceIdOf(t, 'paydesk:default:plan:pro:month:usd');
    for (const [query, message] of [
      ['', /qty/],
      [`qty=1&price_id=${priceId}`, /qty/],
      ['qty=0', /qty/],
      ['qty=1000001', /qty/],
      ['qty=150&pack=credits-100', /multiple of 100/],
      ['qty=abc', /qty/],
      ['qty=1.5', /qty/],
      ['qty=1&currency=chf', /currency/],
      ['qty=1&currency=USD', /currency/],
      [`price_id=${priceId}&pack=credits-100`, /pack/],
      [`price_id=${priceId}&currency=usd`, /currency/],
      ['qty=1&amount=1', /amount|Unrecognized/i],
    ] as [string, RegExp][]) {
      const res = await link(token, query);
      assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
      const err = errorOf(res);
      assert.equal(err.code, 'validation_failed', query);
      assert.match(err.message, message, query);
      assert.match(err.request_id, /\S/);
    }
    // 9 credits at 5 cents is 45 cents, below Stripe's 50-cent minimum: refused before Stripe is asked.
    const sessionsBefore = (await t.stripe.checkout.sessions.list({ limit: 100 })).data.length;
    const small = await link(token, 'qty=9');
    assert.equal(small.statusCode, 400, small.body);
    assert.equal(errorOf(small).code, 'validation_failed');
    assert.match(errorOf(small).message, /below Stripe’s minimum charge \(50 minor units\)/);
    const details = (JSON.parse(small.body) as { error: { details: { minimum: number; amount: number } } })
      .error.details;
    assert.deepEqual([details.minimum, details.amount], [50, 45]);
    assert.equal((await t.stripe.checkout.sessions.list({ limit: 100 })).data.length, sessionsBefore);
    const unknownPack = await link(token, 'qty=1&pack=credits-5');
    assert.equal(unknownPack.statusCode, 404);
    assert.equal(errorOf(unknownPack).code, 'not_found');
  });

  test('open-redirect attempts in redirect are refused, and no session is opened', async () => {
    const token = await t.userToken('shop-redirect');
    const before = (await t.stripe.checkout.sessions.list({ limit: 100 })).data.length;
    for (const hostile of hostileUrls) {
      const res = await link(token, `qty=10&redirect=${encodeURIComponent(hostile)}`);
      assert.equal(res.statusCode, 400, `${hostile}: ${res.body}`);
      assert.equal(errorOf(res).code, 'invalid_redirect', hostile);
      assert.equal(res.headers.location, undefined);
    }
    assert.equal((await t.stripe.checkout.sessions.list({ limit: 100 })).data.length, before);
  });

  test('each user buys for themselves: B never sees A’s session or credits', async () => {
    const a = await t.userToken('shop-a');
    const b = await t.userToken('shop-b');
    const res = await link(a, 'qty=100');
    const id = sessionIdOf(String(res.headers.location));
    await paySession(t, id, 500);
    await t.app.inject({ method: 'GET', url: `/checkout/return?session_id=${id}` });
    assert.equal(await balance(a), 100);
    const asB = await t.app.inject({ method: 'GET', url: `/v1/checkout/sessions/${id}`, headers: auth(b) });
    assert.equal(asB.statusCode, 404, asB.body);
    const bLedger = await t.app.inject({
      method: 'GET',
      url: '/v1/customers/me/credits/ledger',
      headers: auth(b),
    });
    assert.ok(bLedger.statusCode === 404 || (json(bLedger).balance as number) === 0, bLedger.body);
    const session = await t.stripe.checkout.sessions.retrieve(id);
    const customerA = json(await t.app.inject({ method: 'GET', url: '/v1/customers/me', headers: auth(a) }));
    assert.equal(session.customer, customerA.stripe_customer_id as string);
  });

  test('documented in OpenAPI under compat', async () => {
    const doc = json(await t.app.inject({ method: 'GET', url: '/docs/json' })) as {
      paths: Record<string, Record<string, { tags?: string[]; parameters?: Json[] }>>;
    };
    const op = doc.paths['/api/checkout/session']?.get;
    assert.deepEqual(op?.tags, ['compat']);
    const names = (op?.parameters ?? []).map((p) => p.name);
    for (const name of ['qty', 'pack', 'price_id', 'redirect']) assert.ok(names.includes(name), name);
  });
});

describe('authentication', () => {
  authSuite(() => t, [{ method: 'GET', url: '/api/checkout/session?qty=1', allow: ['user'] }]);
});
