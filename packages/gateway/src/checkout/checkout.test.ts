import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authSuite } from '../testing/auth-suite.js';
import { useTestApp } from '../testing/setup.js';
import { createCheckoutSession } from './service.js';
import {
  checkoutByRef,
  insertCheckout,
  markCheckoutCreated,
  recordStripeSession,
  updateCheckoutFromStripe,
} from './store.js';

const t = useTestApp();

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
type Json = Record<string, unknown>;
const json = (r: { body: string }) => JSON.parse(r.body) as Json;
const errorCode = (r: { body: string }) => (json(r).error as { code: string }).code;

/** Pays a session the way Stripe's hosted page does, through the emulator's payment_pages confirm. */
async function pay(sessionId: string, expectedAmount: number, paymentMethod = 'pm_card_visa') {
  const res = await fetch(`${t.emulator.url}/v1/payment_pages/${sessionId}/confirm`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${t.context.config.stripeSecretKey ?? 'sk_test_emulator'}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ payment_method: paymentMethod, expected_amount: String(expectedAmount) }),
  });
  assert.equal(res.status, 200, await res.clone().text());
}

async function createCustomer(key: string, externalId: string): Promise<string> {
  const r = await t.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: auth(key),
    payload: { external_id: externalId, email: `${externalId}@example.com` },
  });
  assert.ok(r.statusCode === 201 || r.statusCode === 200, r.body);
  return json(r).id as string;
}

describe('POST /v1/checkout/sessions', () => {
  test('journey: customer → credit pack through Checkout → paid → appears in /v1/payments', async () => {
    const key = await t.apiKey(['read', 'write']);
    const customer = await createCustomer(key, 'journey-1');
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/checkout/sessions',
      headers: auth(key),
      payload: { pack: 'credits-100', quantity: 3, currency: 'eur', customer },
    });
    assert.equal(created.statusCode, 201, created.body);
    const c = json(created);
    assert.match(String(c.id), /^cs_/);
    assert.match(String(c.paydesk_id), /^chk_/);
    assert.equal(c.amount_total, 3 * 450, 'catalog amount × quantity');
    assert.equal(c.currency, 'eur');
    assert.equal(c.customer, customer);
    assert.match(String(c.url), /^http/);
    const expiresIn = Date.parse(String(c.expires_at)) - Date.now();
    assert.ok(expiresIn > 29 * 60_000 && expiresIn < 32 * 60_000, `expires in ${expiresIn} ms`);

    const session = await t.stripe.checkout.sessions.retrieve(String(c.id), { expand: ['line_items'] });
    assert.equal(session.metadata?.paydesk_instance, 'default');
    assert.equal(session.metadata?.paydesk_checkout_id, c.paydesk_id);
    assert.equal(session.metadata?.paydesk_customer_id, customer);
    assert.equal(session.client_reference_id, c.paydesk_id);
    assert.equal(session.success_url, 'http://paydesk.test/checkout/return?session_id={CHECKOUT_SESSION_ID}');
    assert.equal(session.cancel_url, 'http://paydesk.test/checkout/cancelled');
    assert.equal(session.line_items?.data[0]?.price?.lookup_key, 'paydesk:default:pack:credits-100:eur');
    assert.equal(session.line_items?.data[0]?.quantity, 3);

    const before = await t.app.inject({
      method: 'GET',
      url: `/v1/checkout/sessions/${c.id}`,
      headers: auth(key),
    });
    assert.equal(json(before).payment_status, 'unpaid');

    await pay(String(c.id), 1350);
    const read = await t.app.inject({
      method: 'GET',
      url: `/v1/checkout/sessions/${c.id}`,
      headers: auth(key),
    });
    assert.equal(read.statusCode, 200, read.body);
    const r = json(read);
    assert.equal(r.status, 'complete');
    assert.equal(r.payment_status, 'paid');
    assert.equal(r.amount_total, 1350);
    assert.equal(r.currency, 'eur');
    assert.equal(r.customer_email, 'journey-1@example.com');
    assert.match(String(r.payment_intent), /^pi_/);
    assert.equal((r.metadata as Json).paydesk_checkout_id, c.paydesk_id);
    const pi = await t.stripe.paymentIntents.retrieve(String(r.payment_intent));
    assert.equal(pi.metadata.paydesk_checkout_id, c.paydesk_id, 'payment_intent_data metadata');

    // Read it twice more (and by paydesk id): still one payment.
    await t.app.inject({ method: 'GET', url: `/v1/checkout/sessions/${c.paydesk_id}`, headers: auth(key) });
    const payments = await t.app.inject({
      method: 'GET',
      url: `/v1/payments?customer=${customer}`,
      headers: auth(key),
    });
    assert.equal(payments.statusCode, 200, payments.body);
    const list = json(payments).data as Json[];
    assert.equal(list.length, 1);
    assert.equal(list[0]!.amount, 1350);
    assert.equal(list[0]!.currency, 'eur');
    assert.equal(list[0]!.payment_intent, r.payment_intent);
    assert.equal(list[0]!.checkout_session, c.paydesk_id);
    assert.deepEqual(list[0]!.item, { kind: 'pack', id: 'credits-100', quantity: 3 });
  });

  test('a user buys a plan: subscription mode at the catalog price, their customer made on first use', async () => {
    const token = await t.userToken('plan-user', { email: 'plan@example.com' });
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/checkout/sessions',
      headers: auth(token),
      payload: { plan: 'pro', interval: 'year', currency: 'usd' },
    });
    assert.equal(r.statusCode, 201, r.body);
    const c = json(r);
    assert.equal(c.mode, 'subscription');
    assert.equal(c.amount_total, 29000);
    assert.match(String(c.customer), /^cust_/);
    const session = await t.stripe.checkout.sessions.retrieve(String(c.id), { expand: ['line_items'] });
    assert.equal(session.line_items?.data[0]?.price?.lookup_key, 'paydesk:default:plan:pro:year:usd');
    await pay(String(c.id), 29000);
    const read = json(
      await t.app.inject({ method: 'GET', url: `/v1/checkout/sessions/${c.id}`, headers: auth(token) }),
    );
    assert.equal(read.status, 'complete');
    assert.match(String(read.subscription), /^sub_/);
    const sub = await t.stripe.subscriptions.retrieve(String(read.subscription));
    assert.equal(sub.metadata.paydesk_checkout_id, c.paydesk_id, 'subscription_data metadata');
    assert.equal(sub.metadata.paydesk_customer_id, c.customer);
  });

  test('no way to pay a catalog item at another amount: amounts and prices in the body are refused', async () => {
    const key = await t.apiKey(['read', 'write']);
    for (const payload of [
      { pack: 'credits-100', amount: 1 },
      { pack: 'credits-100', unit_amount: 1 },
      { pack: 'credits-100', price: 'price_123' },
      { pack: 'credits-100', line_items: [{ price: 'price_123', quantity: 1 }] },
      { plan: 'pro', interval: 'month', amount_total: 1 },
    ]) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/v1/checkout/sessions',
        headers: auth(key),
        payload,
      });
      assert.equal(r.statusCode, 400, JSON.stringify(payload));
      assert.equal(errorCode(r), 'validation_failed');
    }
    const adhoc = {
      line_items: [
        {
          quantity: 1,
          price_data: { currency: 'usd', unit_amount: 1, product_data: { name: '100 credits' } },
        },
      ],
    };
    const noScope = await t.app.inject({
      method: 'POST',
      url: '/v1/checkout/sessions',
      headers: auth(key),
      payload: adhoc,
    });
    assert.equal(noScope.statusCode, 403, 'ad-hoc amounts without custom_amounts');
    assert.equal(errorCode(noScope), 'forbidden');
    const user = await t.app.inject({
      method: 'POST',
      url: '/v1/checkout/sessions',
      headers: auth(await t.userToken('adhoc-user')),
      payload: adhoc,
    });
    assert.equal(user.statusCode, 403, 'users never choose amounts');
  });

  test('ad-hoc line_items with the custom_amounts scope', async () => {
    const key = await t.apiKey(['write', 'custom_amounts']);
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/checkout/sessions',
      headers: auth(key),
      payload: {
        customer_email: 'adhoc@example.com',
        line_items: [
          {
            quantity: 2,
            price_data: { currency: 'usd', unit_amount: 1234, product_data: { name: 'Invoice 42' } },
          },
        ],
      },
    });
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(json(r).amount_total, 2468);
    assert.equal(json(r).customer, null);
    const session = await t.stripe.checkout.sessions.retrieve(String(json(r).id));
    assert.equal(session.customer_email, 'adhoc@example.com');
  });

  test('validation: each bad input answers 400 in the catalog shape', async () => {
    const key = await t.apiKey(['read', 'write']);
    const cases: [Json, string, string][] = [
      [{}, 'validation_failed', 'nothing to buy'],
      [{ pack: 'credits-100', plan: 'pro', interval: 'month' }, 'validation_failed', 'two items'],
      [{ pack: 'credits-100', quantity: 0 }, 'validation_failed', 'quantity 0'],
      [{ pack: 'credits-100', quantity: 1.5 }, 'validation_failed', 'fractional quantity'],
      [{ pack: 'credits-100', quantity: 100000 }, 'validation_failed', 'huge quantity'],
      [{ pack: 'credits-100', currency: 'USD' }, 'validation_failed', 'upper-case currency'],
      [{ plan: 'pro' }, 'validation_failed', 'plan without interval'],
      [{ plan: 'pro', interval: 'week' }, 'validation_failed', 'bad interval'],
      [{ pack: 'credits-100', interval: 'month' }, 'validation_failed', 'interval with pack'],
      [{ pack: 'credits-100', customer_email: 'nope' }, 'validation_failed', 'bad email'],
      [{ pack: 'credits-100', metadata: { paydesk_instance: 'other' } }, 'validation_failed', 'reserved key'],
      [{ pack: 'credits-100', success_url: 'https://evil.example/x' }, 'invalid_redirect', 'foreign origin'],
    ];
    for (const [payload, code, why] of cases) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/v1/checkout/sessions',
        headers: auth(key),
        payload,
      });
      assert.equal(r.statusCode, 400, `${why}: ${r.body}`);
      assert.equal(errorCode(r), code, why);
      assert.match(String((json(r).error as Json).request_id), /\S/);
    }
    const gbp = await t.app.inject({
      method: 'POST',
      url: '/v1/checkout/sessions',
      headers: auth(key),
      payload: { pack: 'credits-100', currency: 'gbp' },
    });
    assert.equal(gbp.statusCode, 400);
    assert.match(String((json(gbp).error as Json).message), /currency.*gbp/);
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/v1/checkout/sessions',
      headers: auth(key),
      payload: { pack: 'credits-9999' },
    });
    assert.equal(unknown.statusCode, 404);
  });

  test('open redirects are refused on success_url, cancel_url and redirect', async () => {
    const key = await t.apiKey(['write']);
    const attempts = [
      'https://evil.example/pay',
      '//evil.example/pay',
      'javascript:alert(1)',
      'https:\\\\evil.example',
      '/\\evil.example',
      'https://app.example.com@evil.example/',
      'https://evil.example%2F@app.example.com/',
      'https%3A%2F%2Fevil.example',
      'data:text/html,hi',
      'http://app.example.com/', // allowed host, wrong scheme (https://app.example.com is configured)
    ];
    for (const param of ['success_url', 'cancel_url', 'redirect']) {
      for (const value of attempts) {
        const r = await t.app.inject({
          method: 'POST',
          url: '/v1/checkout/sessions',
          headers: auth(key),
          payload: { pack: 'credits-100', [param]: value },
        });
        assert.equal(r.statusCode, 400, `${param}=${value}: ${r.body}`);
        assert.equal(errorCode(r), 'invalid_redirect', `${param}=${value}`);
      }
    }
    const ok = await t.app.inject({
      method: 'POST',
      url: '/v1/checkout/sessions',
      headers: auth(key),
      payload: {
        pack: 'credits-100',
        success_url: 'https://app.example.com/paid?cs={CHECKOUT_SESSION_ID}',
        cancel_url: 'https://app.example.com/shop',
        redirect: 'https://app.example.com/credits',
      },
    });
    assert.equal(ok.statusCode, 201, ok.body);
    const session = await t.stripe.checkout.sessions.retrieve(String(json(ok).id));
    assert.equal(session.success_url, 'https://app.example.com/paid?cs={CHECKOUT_SESSION_ID}');
  });
});

describe('GET /v1/checkout/sessions/:id', () => {
  test('user A can neither read user B’s session nor use B’s customer; API keys can read both', async () => {
    const a = await t.userToken('owner-a');
    const b = await t.userToken('owner-b');
    const sa = json(
      await t.app.inject({
        method: 'POST',
        url: '/v1/checkout/sessions',
        headers: auth(a),
        payload: { pack: 'credits-100' },
      }),
    );
    const sb = json(
      await t.app.inject({
        method: 'POST',
        url: '/v1/checkout/sessions',
        headers: auth(b),
        payload: { pack: 'credits-100' },
      }),
    );
    for (const ref of [sb.id, sb.paydesk_id]) {
      const r = await t.app.inject({ method: 'GET', url: `/v1/checkout/sessions/${ref}`, headers: auth(a) });
      assert.equal(r.statusCode, 404, 'another user’s session is not found');
    }
    const own = await t.app.inject({
      method: 'GET',
      url: `/v1/checkout/sessions/${sa.id}`,
      headers: auth(a),
    });
    assert.equal(own.statusCode, 200);
    const asB = await t.app.inject({
      method: 'POST',
      url: '/v1/checkout/sessions',
      headers: auth(a),
      payload: { pack: 'credits-100', customer: sb.customer },
    });
    assert.equal(asB.statusCode, 404, 'a user cannot check out as another customer');
    const key = await t.apiKey(['read']);
    assert.equal(
      (await t.app.inject({ method: 'GET', url: `/v1/checkout/sessions/${sb.id}`, headers: auth(key) }))
        .statusCode,
      200,
    );
    assert.equal(
      (await t.app.inject({ method: 'GET', url: '/v1/checkout/sessions/cs_test_nope', headers: auth(key) }))
        .statusCode,
      404,
    );
  });

  test('the record a new session returns is the one stored', async () => {
    for (const input of [
      { item: { kind: 'pack', pack: 'credits-100', quantity: 2, currency: 'usd' } },
      {
        item: { kind: 'plan', plan: 'pro', interval: 'year' },
        customer: await createCustomer(await t.apiKey(['write']), 'stored-record'),
        redirect: 'http://paydesk.test/after',
      },
    ] as const) {
      const result = await createCheckoutSession(
        t.context,
        { kind: 'api_key', keyId: 'test', scopes: ['write'] },
        input,
      );
      assert.equal(result.record.status, 'open');
      assert.equal(result.record.stripe_session_id, result.session.id);
      assert.deepEqual(result.record, await checkoutByRef(t.context.db, result.record.id));
    }
  });

  test('storing the new session never undoes a later state a webhook stored first', async () => {
    const db = t.context.db;
    for (const [i, store] of [recordStripeSession, markCheckoutCreated].entries()) {
      const record = await insertCheckout(db, {
        id: `chk_race_${i}`,
        customer_id: null,
        kind: 'pack',
        item_id: 'credits-100',
        plan_interval: null,
        quantity: 1,
        currency: 'usd',
        amount_total: 1000,
        mode: 'payment',
        redirect_url: null,
        expires_at: new Date(Date.now() + 30 * 60_000),
      });
      // The webhook for the completed session lands before the creating request's own write.
      await updateCheckoutFromStripe(db, record.id, {
        status: 'complete',
        payment_status: 'paid',
        stripe_payment_intent_id: `pi_race_${i}`,
        stripe_subscription_id: null,
      });
      const f = { stripe_session_id: `cs_race_${i}`, url: 'https://checkout.test/cs', status: 'open' };
      const returned =
        store === recordStripeSession
          ? await recordStripeSession(db, record, f)
          : await markCheckoutCreated(db, record.id, f);
      const stored = await checkoutByRef(db, record.id);
      assert.equal(stored?.status, 'complete');
      assert.equal(stored?.payment_status, 'paid');
      assert.equal(stored?.url, null);
      assert.equal(stored?.stripe_session_id, `cs_race_${i}`);
      assert.equal(stored?.stripe_payment_intent_id, `pi_race_${i}`);
      assert.deepEqual(returned, stored);
    }
  });

  test('a session paydesk did not open (made directly in Stripe) is not found', async () => {
    const key = await t.apiKey(['read']);
    const price = await t.context.prices.resolve(t.catalog.price('pack', 'credits-100', 'usd')!);
    const direct = await t.stripe.checkout.sessions.create(
      { mode: 'payment', line_items: [{ price: price.id, quantity: 1 }], success_url: 'https://x.example/' },
      { idempotencyKey: `pd:test:${Date.now()}` },
    );
    const r = await t.app.inject({
      method: 'GET',
      url: `/v1/checkout/sessions/${direct.id}`,
      headers: auth(key),
    });
    assert.equal(r.statusCode, 404);
  });
});

describe('authentication', () => {
  authSuite(
    () => t,
    [
      {
        method: 'POST',
        url: '/v1/checkout/sessions',
        payload: { pack: 'credits-100' },
        allow: ['api_key', 'user'],
        scopes: ['write'],
      },
      { method: 'GET', url: '/v1/checkout/sessions/cs_test_x', allow: ['api_key', 'user'], scopes: ['read'] },
      { method: 'GET', url: '/checkout?pack=credits-100', allow: ['user'] },
    ],
  );
});
