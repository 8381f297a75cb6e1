import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { jobKinds } from '../jobs.js';
import { authSuite } from '../testing/auth-suite.js';
import { useTestApp } from '../testing/setup.js';
import { auth, errorOf, hostileUrls, type Json, json, once, paySession } from './testing.js';

const t = useTestApp();

before(async () => {
  await t.ready;
  // The backend's Stripe webhooks arrive on its own path, as the seed system registered them.
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (t.app.server.address() as AddressInfo).port;
  const endpoint = await t.stripe.webhookEndpoints.create(
    { url: `http://127.0.0.1:${port}/billing/stripe/webhook/`, enabled_events: ['*'] },
    once(),
  );
  t.context.webhookSecrets.push(endpoint.secret!);
  t.context.queue.start(jobKinds(t.context));
});

/** Waits until the emulator has delivered every webhook and paydesk's jobs have applied them. */
async function settle() {
  for (let i = 0; i < 3; i++) {
    await t.emulator.delivery.idle();
    await t.context.queue.idle({ timeoutMs: 30_000 });
    await sleep(20);
  }
}

const checkout = (token: string, payload: Json) =>
  t.app.inject({ method: 'POST', url: '/billing/stripe/checkout-session/', headers: auth(token), payload });

const history = async (token: string, query = '') => {
  const r = await t.app.inject({ method: 'GET', url: `/billing/payments/${query}`, headers: auth(token) });
  assert.equal(r.statusCode, 200, r.body);
  return json(r) as { next: string | null; previous: null; results: Json[] };
};

describe('plans & tokens backend: checkout', () => {
  test('journey: token package → pay → return page → listed in /billing/payments/ with its tokens', async () => {
    const token = await t.userToken('pb-tokens', { email: 'tokens@example.com' });
    const r = await checkout(token, {
      plan_type: 'token',
      plan_id: 'credits-1000',
      quantity: 2,
      currency: 'EUR',
    });
    assert.equal(r.statusCode, 200, r.body);
    const c = json(r);
    assert.match(String(c.session_id), /^cs_test_/);
    assert.ok(String(c.url).startsWith(t.emulator.url));
    assert.equal(c.checkout_url, c.url);
    const session = await t.stripe.checkout.sessions.retrieve(String(c.session_id), {
      expand: ['line_items'],
    });
    assert.equal(session.amount_total, 7200);
    assert.equal(session.line_items?.data[0]?.price?.lookup_key, 'paydesk:default:pack:credits-1000:eur');
    assert.equal(session.success_url, 'http://paydesk.test/checkout/return?session_id={CHECKOUT_SESSION_ID}');
    assert.equal(session.customer_email ?? null, null, 'the user’s customer is attached, not an email');
    assert.match(String(session.customer), /^cus_/);

    assert.deepEqual((await history(token)).results, [], 'nothing paid yet');
    await paySession(t, String(c.session_id), 7200);
    const back = await t.app.inject({ method: 'GET', url: `/checkout/return?session_id=${c.session_id}` });
    assert.equal(back.statusCode, 200, back.body);

    const h = await history(token);
    assert.equal(h.results.length, 1);
    const p = h.results[0]!;
    assert.match(String(p.id), /^pay_/);
    assert.equal(p.amount, 7200);
    assert.equal(p.currency, 'eur');
    assert.equal(p.status, 'succeeded');
    assert.equal(p.plan_type, 'token');
    assert.equal(p.plan_id, 'credits-1000');
    assert.equal(p.quantity, 2);
    assert.equal(p.tokens, 2000);
    const paid = await t.stripe.checkout.sessions.retrieve(String(c.session_id));
    assert.equal(p.stripe_payment_intent_id, paid.payment_intent);
    assert.equal(h.next, null);
  });

  test('journey: yearly plan → subscription at the catalog’s yearly price, with the caller’s URLs', async () => {
    const token = await t.userToken('pb-yearly');
    const r = await checkout(token, {
      plan_type: 'yearly',
      plan_id: 'pro',
      success_url: 'https://app.example.com/billing/success?session_id={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://app.example.com/billing/plans',
    });
    assert.equal(r.statusCode, 200, r.body);
    const id = String(json(r).session_id);
    const session = await t.stripe.checkout.sessions.retrieve(id, { expand: ['line_items'] });
    assert.equal(session.mode, 'subscription');
    assert.equal(session.amount_total, 29000);
    assert.equal(session.line_items?.data[0]?.price?.lookup_key, 'paydesk:default:plan:pro:year:usd');
    assert.equal(
      session.success_url,
      'https://app.example.com/billing/success?session_id={CHECKOUT_SESSION_ID}',
    );
    assert.equal(session.cancel_url, 'https://app.example.com/billing/plans');
    await paySession(t, id, 29000);
    const read = json(
      await t.app.inject({ method: 'GET', url: `/v1/checkout/sessions/${id}`, headers: auth(token) }),
    );
    assert.equal(read.payment_status, 'paid');
    assert.equal(read.status, 'complete');
    const sub = await t.stripe.subscriptions.retrieve(String(read.subscription));
    assert.equal(sub.items.data[0]?.price.lookup_key, 'paydesk:default:plan:pro:year:usd');
    assert.equal(sub.status, 'active');
    // The first invoice's payment reaches the history through the invoice.paid webhook.
    await settle();
    const h = await history(token);
    assert.equal(h.results.length, 1, JSON.stringify(h));
    assert.equal(h.results[0]!.plan_type, 'subscription');
    assert.equal(h.results[0]!.plan_id, 'pro');
    assert.equal(h.results[0]!.amount, 29000);
    assert.equal(h.results[0]!.tokens, 2000);
  });

  test('the documented {"plan_type": "full", "plan_id": 1} and numeric ids map through the catalog', async () => {
    const token = await t.userToken('pb-full');
    const full = await t.app.inject({
      method: 'POST',
      url: '/billing/stripe/checkout-session/',
      headers: { ...auth(token), 'content-type': 'application/json' },
      payload: '{"plan_type": "full", "plan_id": 1}',
    });
    assert.equal(full.statusCode, 200, full.body);
    assert.deepEqual(Object.keys(json(full)).sort(), ['checkout_url', 'expires_at', 'session_id', 'url']);
    const session = await t.stripe.checkout.sessions.retrieve(String(json(full).session_id), {
      expand: ['line_items'],
    });
    assert.equal(session.mode, 'subscription');
    assert.equal(session.line_items?.data[0]?.price?.lookup_key, 'paydesk:default:plan:pro:year:usd');

    const pack = await checkout(await t.userToken('pb-numeric'), {
      plan_type: 'token',
      plan_id: 2,
      quantity: 2,
    });
    assert.equal(pack.statusCode, 200, pack.body);
    const packSession = await t.stripe.checkout.sessions.retrieve(String(json(pack).session_id));
    assert.equal(packSession.amount_total, 8000, 'credits-1000 × 2 in usd');

    const monthly = await checkout(token, { plan_type: 'monthly', plan_id: '2' });
    assert.equal(monthly.statusCode, 200, monthly.body);
    const monthlySession = await t.stripe.checkout.sessions.retrieve(String(json(monthly).session_id));
    assert.equal(monthlySession.amount_total, 2900, 'monthly id 2 is pro');

    for (const [payload, message] of [
      [{ plan_type: 'full', plan_id: 9 }, /no full plan with id 9 \(ids: 1\)/],
      [{ plan_type: 'full', plan_id: 1, quantity: 2 }, /quantity/],
      [{ plan_type: 'token', plan_id: 0 }, /plan_id/],
      [
        { plan_type: 'lifetime', plan_id: 1 },
        /unknown plan type lifetime \(this catalog's: token, monthly, yearly, full\)/,
      ],
    ] as [Json, RegExp][]) {
      const r = await checkout(token, payload);
      assert.equal(r.statusCode, 400, `${JSON.stringify(payload)}: ${r.body}`);
      assert.equal(errorOf(r).code, 'validation_failed');
      assert.match(errorOf(r).message, message);
    }
  });

  test('monthly maps to the plan’s monthly price', async () => {
    const r = await checkout(await t.userToken('pb-monthly'), {
      plan_type: 'monthly',
      plan_id: 'starter',
      currency: 'jpy',
    });
    assert.equal(r.statusCode, 200, r.body);
    const session = await t.stripe.checkout.sessions.retrieve(String(json(r).session_id));
    assert.equal(session.amount_total, 1400);
    assert.equal(session.currency, 'jpy');
  });

  test('each validation error answers 400 in the catalog’s shape; unknown ids 404', async () => {
    const token = await t.userToken('pb-validation');
    for (const [payload, message] of [
      [{}, /plan_type/],
      [{ plan_type: 'weekly', plan_id: 'pro' }, /plan_type/],
      [{ plan_type: 'monthly' }, /plan_id/],
      [{ plan_type: 'monthly', plan_id: 'pro', quantity: 2 }, /quantity/],
      [{ plan_type: 'token', plan_id: 'credits-100', quantity: 0 }, /quantity/],
      [{ plan_type: 'token', plan_id: 'credits-100', currency: 'chf' }, /currency/],
      [{ plan_type: 'token', plan_id: 'credits-100', amount: 1 }, /amount|Unrecognized/i],
      [{ plan_type: 'token', plan_id: 'credits-100', price: 'price_123' }, /price|Unrecognized/i],
    ] as [Json, RegExp][]) {
      const r = await checkout(token, payload);
      assert.equal(r.statusCode, 400, `${JSON.stringify(payload)}: ${r.body}`);
      assert.equal(errorOf(r).code, 'validation_failed', JSON.stringify(payload));
      assert.match(errorOf(r).message, message, JSON.stringify(payload));
    }
    for (const payload of [
      { plan_type: 'token', plan_id: 'pro' },
      { plan_type: 'monthly', plan_id: 'credits-100' },
    ]) {
      const r = await checkout(token, payload);
      assert.equal(r.statusCode, 404, `${JSON.stringify(payload)}: ${r.body}`);
      assert.equal(errorOf(r).code, 'not_found');
    }
    const notJson = await t.app.inject({
      method: 'POST',
      url: '/billing/stripe/checkout-session/',
      headers: { ...auth(token), 'content-type': 'application/json' },
      payload: '{"plan_type":',
    });
    assert.equal(notJson.statusCode, 400);
    assert.equal(errorOf(notJson).code, 'invalid_json');
  });

  test('open-redirect attempts in success_url and cancel_url are refused', async () => {
    const token = await t.userToken('pb-redirect');
    for (const field of ['success_url', 'cancel_url']) {
      for (const hostile of hostileUrls) {
        const r = await checkout(token, { plan_type: 'token', plan_id: 'credits-100', [field]: hostile });
        assert.equal(r.statusCode, 400, `${field}=${hostile}: ${r.body}`);
        assert.equal(errorOf(r).code, 'invalid_redirect');
        assert.match(errorOf(r).message, new RegExp(field));
      }
    }
    // A path joins PAYDESK_FRONTEND_URL (here the default, the public URL).
    const relative = await checkout(token, {
      plan_type: 'token',
      plan_id: 1,
      success_url: '/paid?session_id={CHECKOUT_SESSION_ID}',
      cancel_url: '/cart',
    });
    assert.equal(relative.statusCode, 200, relative.body);
    const session = await t.stripe.checkout.sessions.retrieve(String(json(relative).session_id));
    assert.equal(session.success_url, 'http://paydesk.test/paid?session_id={CHECKOUT_SESSION_ID}');
    assert.equal(session.cancel_url, 'http://paydesk.test/cart');
  });
});

describe('plans & tokens backend: customer portal', () => {
  test('a user who has bought gets their own portal; return_url is checked; no customer yet → 404', async () => {
    const token = await t.userToken('pb-portal');
    const none = await t.app.inject({
      method: 'POST',
      url: '/billing/stripe/customer-portal/',
      headers: auth(token),
    });
    assert.equal(none.statusCode, 404, none.body);
    assert.equal(errorOf(none).code, 'not_found');

    await checkout(token, { plan_type: 'token', plan_id: 'credits-100' });
    const r = await t.app.inject({
      method: 'POST',
      url: '/billing/stripe/customer-portal/',
      headers: auth(token),
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(Object.keys(json(r)), ['url']);
    assert.match(String(json(r).url), /^https?:\/\//);
    const events = await t.stripe.events.list({ type: 'billing_portal.session.created', limit: 100 });
    const created = events.data.map(
      (e) => e.data.object as unknown as { url: string; customer: string; return_url: string },
    );
    const mine = created.find((s) => s.url === json(r).url);
    const me = json(await t.app.inject({ method: 'GET', url: '/v1/customers/me', headers: auth(token) }));
    assert.equal(mine?.customer, me.stripe_customer_id);
    assert.equal(mine?.return_url, 'http://paydesk.test');

    const withReturn = await t.app.inject({
      method: 'POST',
      url: '/billing/stripe/customer-portal/',
      headers: auth(token),
      payload: { return_url: 'https://app.example.com/account' },
    });
    assert.equal(withReturn.statusCode, 200, withReturn.body);
    for (const hostile of hostileUrls) {
      const bad = await t.app.inject({
        method: 'POST',
        url: '/billing/stripe/customer-portal/',
        headers: auth(token),
        payload: { return_url: hostile },
      });
      assert.equal(bad.statusCode, 400, `${hostile}: ${bad.body}`);
      assert.equal(errorOf(bad).code, 'invalid_redirect');
    }
    const otherCustomer = await t.app.inject({
      method: 'POST',
      url: '/billing/stripe/customer-portal/',
      headers: auth(token),
      payload: { customer: 'cust_someone_else' },
    });
    assert.equal(otherCustomer.statusCode, 400, 'a user cannot name another customer');
  });
});

describe('plans & tokens backend: plan listing', () => {
  test('GET /billing/plans/:type/ lists packages, monthly or yearly plans from the catalog (public)', async () => {
    const tokens = await t.app.inject({ method: 'GET', url: '/billing/plans/token/' });
    assert.equal(tokens.statusCode, 200, tokens.body);
    const packs = JSON.parse(tokens.body) as Json[];
    assert.deepEqual(
      packs.map((p) => [p.id, p.catalog_id, p.plan_type, p.tokens]),
      [
        [1, 'credits-100', 'token', 100],
        [2, 'credits-1000', 'token', 1000],
        ['credit', 'credit', 'token', 1],
      ],
    );
    assert.deepEqual(packs[0]!.prices, [
      { currency: 'usd', amount: 500, lookup_key: 'paydesk:default:pack:credits-100:usd' },
      { currency: 'eur', amount: 450, lookup_key: 'paydesk:default:pack:credits-100:eur' },
      { currency: 'jpy', amount: 750, lookup_key: 'paydesk:default:pack:credits-100:jpy' },
    ]);

    const yearly = JSON.parse(
      (await t.app.inject({ method: 'GET', url: '/billing/plans/yearly/?currency=eur' })).body,
    ) as Json[];
    assert.deepEqual(
      yearly.map((p) => [p.id, p.plan_type, p.tokens, p.prices]),
      [
        [
          1,
          'yearly',
          200,
          [{ currency: 'eur', amount: 8000, lookup_key: 'paydesk:default:plan:starter:year:eur' }],
        ],
        [
          2,
          'yearly',
          2000,
          [{ currency: 'eur', amount: 26000, lookup_key: 'paydesk:default:plan:pro:year:eur' }],
        ],
      ],
    );
    const monthly = JSON.parse(
      (await t.app.inject({ method: 'GET', url: '/billing/plans/monthly/' })).body,
    ) as Json[];
    assert.deepEqual(monthly.find((p) => p.catalog_id === 'pro')?.entitlements, [
      'app.basic',
      'app.pro',
      'app.export',
    ]);
    assert.ok(
      monthly.every((p) => (p.prices as Json[]).every((x) => String(x.lookup_key).includes(':month:'))),
    );

    const none = JSON.parse(
      (await t.app.inject({ method: 'GET', url: '/billing/plans/token/?currency=chf' })).body,
    );
    assert.deepEqual(none, []);

    // The catalog's own plan type (compat.plans_backend in demo.yaml): the issue's `full`.
    const full = await t.app.inject({ method: 'GET', url: '/billing/plans/full/' });
    assert.equal(full.statusCode, 200, full.body);
    const fullPlans = JSON.parse(full.body) as Json[];
    assert.deepEqual(
      fullPlans.map((p) => [p.id, p.catalog_id, p.plan_type, p.interval, p.tokens]),
      [[1, 'pro', 'full', 'year', 2000]],
    );
    const bad = await t.app.inject({ method: 'GET', url: '/billing/plans/weekly/' });
    assert.equal(bad.statusCode, 400, bad.body);
    assert.equal(errorOf(bad).code, 'validation_failed');
  });
});

describe('plans & tokens backend: payment history', () => {
  test('pages with next; user B never sees user A’s payments', async () => {
    const a = await t.userToken('pb-history-a');
    const b = await t.userToken('pb-history-b');
    for (const qty of [1, 2, 3]) {
      const r = await checkout(a, { plan_type: 'token', plan_id: 'credits-100', quantity: qty });
      const id = String(json(r).session_id);
      await paySession(t, id, 500 * qty);
      await t.app.inject({ method: 'GET', url: `/checkout/return?session_id=${id}` });
    }
    const first = await history(a, '?page_size=2');
    assert.equal(first.results.length, 2);
    assert.ok(first.next?.startsWith('/billing/payments/?'), String(first.next));
    const second = json(await t.app.inject({ method: 'GET', url: first.next!, headers: auth(a) })) as {
      next: string | null;
      results: Json[];
    };
    assert.equal(second.results.length, 1);
    assert.equal(second.next, null);
    assert.deepEqual([...first.results, ...second.results].map((p) => p.amount).sort(), [1000, 1500, 500]);

    // B has bought nothing; a purchase of B's own never shows A's.
    assert.deepEqual((await history(b)).results, []);
    const rb = await checkout(b, { plan_type: 'token', plan_id: 'credits-1000' });
    await paySession(t, String(json(rb).session_id), 4000);
    await t.app.inject({ method: 'GET', url: `/checkout/return?session_id=${json(rb).session_id}` });
    assert.deepEqual(
      (await history(b)).results.map((p) => p.amount),
      [4000],
    );
    // A's cursor does not open A's list to B.
    // A's cursor does not open A's list to B.
    const cursorA = new URLSearchParams(first.next!.split('?')[1]).get('cursor')!;
    const crossCursor = await t.app.inject({
      method: 'GET',
      url: `/billing/payments/?cursor=${encodeURIComponent(cursorA)}`,
      headers: auth(b),
    });
    assert.equal(crossCursor.statusCode, 400, crossCursor.body);
    assert.doesNotMatch(crossCursor.body, /pay_/);
    const badCursor = await t.app.inject({
      method: 'GET',
      url: '/billing/payments/?cursor=nope',
      headers: auth(a),
    });
    assert.equal(badCursor.statusCode, 400);
    assert.equal(errorOf(badCursor).code, 'validation_failed');
  });

  test('documented in OpenAPI under compat', async () => {
    const doc = json(await t.app.inject({ method: 'GET', url: '/docs/json' })) as {
      paths: Record<string, Record<string, { tags?: string[] }>>;
    };
    for (const [path, method] of [
      ['/billing/stripe/checkout-session/', 'post'],
      ['/billing/stripe/customer-portal/', 'post'],
      ['/billing/plans/{type}/', 'get'],
      ['/billing/payments/', 'get'],
    ] as const) {
      assert.deepEqual(doc.paths[path]?.[method]?.tags, ['compat'], `${method} ${path}`);
    }
  });
});

describe('authentication', () => {
  authSuite(
    () => t,
    [
      {
        method: 'POST',
        url: '/billing/stripe/checkout-session/',
        payload: { plan_type: 'token', plan_id: 'credits-100' },
        allow: ['user'],
      },
      { method: 'POST', url: '/billing/stripe/customer-portal/', payload: {}, allow: ['user'] },
      { method: 'GET', url: '/billing/payments/', allow: ['user'] },
    ],
  );
  test('the plan listing is public', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/billing/plans/token/' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['cache-control'], 'public, max-age=60');
  });
});
