// The subscription prototype's routes, called as the fixed-price sample's front end calls them (its
// bodies byte for byte, the customer in the `customer` cookie), answering the sample's shapes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig, publishableKeyOf } from '../platform/config.js';
import { createTestApp, type TestApp } from '../testing/app.js';
import { authSuite } from '../testing/auth-suite.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { auth, errorOf, type Json, json, once, priceIdOf } from './testing.js';

let tdb: TestDatabase;
let t: TestApp;

before(async () => {
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open());
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
});

const jsonHeaders = { 'content-type': 'application/json' };

/** POST /create-customer as register.js sends it; returns the cookie the browser would keep. */
async function register(email: string): Promise<{ cookie: string; customer: Json; paydeskId: string }> {
  const r = await t.app.inject({
    method: 'POST',
    url: '/create-customer',
    headers: jsonHeaders,
    payload: `{"email":"${email}"}`,
  });
  assert.equal(r.statusCode, 200, r.body);
  const setCookie = String(r.headers['set-cookie']);
  assert.match(setCookie, /^customer=[A-Za-z0-9._-]+; Max-Age=900; Path=\/; HttpOnly; SameSite=Lax$/);
  const body = json(r);
  return {
    cookie: setCookie.split(';')[0]!,
    customer: body.customer as Json,
    paydeskId: body.paydesk_customer_id as string,
  };
}

const call = (cookie: string, method: 'GET' | 'POST', url: string, payload?: string) =>
  t.app.inject({ method, url, headers: { ...jsonHeaders, cookie }, ...(payload ? { payload } : {}) });

/** Pays the first invoice as the Payment Element would, with the client secret's payment intent. */
async function payFirstInvoice(clientSecret: string): Promise<void> {
  const pi = clientSecret.split('_secret_')[0]!;
  const paid = await t.stripe.paymentIntents.confirm(pi, { payment_method: 'pm_card_visa' }, once());
  assert.equal(paid.status, 'succeeded');
}

describe('subscription prototype: the sample front end’s calls', () => {
  test('GET /config: the publishable key and the catalog’s plan prices with their products', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/config' });
    assert.equal(r.statusCode, 200, r.body);
    const body = json(r) as { publishableKey: string; prices: Json[] };
    assert.equal(body.publishableKey, 'pk_test_paydesk_embedded', 'embedded mode: the emulator’s key');
    // 2 plans × 2 intervals × 3 currencies, in catalog order.
    assert.equal(body.prices.length, 12);
    const first = body.prices[0]!;
    assert.equal(first.object, 'price');
    assert.match(String(first.id), /^price_/);
    assert.equal(first.lookup_key, 'paydesk:default:plan:starter:month:usd');
    assert.equal(first.unit_amount, 900);
    assert.equal(first.currency, 'usd');
    assert.equal((first.recurring as Json).interval, 'month');
    assert.equal((first.product as Json).name, 'Starter', 'the product is expanded, as prices.js reads it');

    const narrowed = json(await t.app.inject({ method: 'GET', url: '/config?currency=EUR&interval=year' }));
    assert.deepEqual(
      (narrowed.prices as Json[]).map((p) => [(p.product as Json).name, p.unit_amount]),
      [
        ['Starter', 8000],
        ['Pro', 26000],
      ],
    );
    const bad = await t.app.inject({ method: 'GET', url: '/config?interval=week' });
    assert.equal(bad.statusCode, 400);
    assert.equal(errorOf(bad).code, 'validation_failed');
  });

  test('journey: register → subscribe → pay → account → preview → change plan → cancel', async () => {
    const { cookie, customer, paydeskId } = await register('jenny.rosen@example.com');
    assert.match(String(customer.id), /^cus_/);
    assert.equal(customer.object, 'customer');
    assert.equal(customer.email, 'jenny.rosen@example.com');
    assert.match(paydeskId, /^cust_/);

    const starter = await priceIdOf(t, 'paydesk:default:plan:starter:month:usd');
    const created = await call(cookie, 'POST', '/create-subscription', `{"priceId":"${starter}"}`);
    assert.equal(created.statusCode, 200, created.body);
    const c = json(created);
    assert.match(String(c.subscriptionId), /^sub_/);
    assert.match(String(c.clientSecret), /^pi_.+_secret_/);
    assert.match(String(c.paydesk_subscription_id), /^psub_/);
    // Asked again before paying (the sample's "Select" clicked twice): the same subscription.
    const again = json(await call(cookie, 'POST', '/create-subscription', `{"priceId":"${starter}"}`));
    assert.equal(again.subscriptionId, c.subscriptionId);

    await payFirstInvoice(String(c.clientSecret));

    const list = await call(cookie, 'GET', '/subscriptions');
    assert.equal(list.statusCode, 200, list.body);
    const subs = json(list).subscriptions as { object: string; data: Json[] };
    assert.equal(subs.object, 'list');
    assert.equal(subs.data.length, 1);
    const sub = subs.data[0]!;
    assert.equal(sub.id, c.subscriptionId);
    assert.equal(sub.status, 'active');
    assert.equal(((sub.default_payment_method as Json).card as Json).last4, '4242', 'account.js shows it');
    assert.equal(typeof sub.current_period_end, 'number');
    // paydesk's own API sees the same subscription for the same customer.
    const key = await t.apiKey();
    const native = json(
      await t.app.inject({
        method: 'GET',
        url: `/v1/subscriptions?customer=${paydeskId}`,
        headers: auth(key),
      }),
    ) as { data: Json[] };
    assert.equal(native.data.length, 1);
    assert.equal(native.data[0]!.status, 'active');
    assert.equal(native.data[0]!.plan, 'starter');

    const pro = 'paydesk:default:plan:pro:month:usd';
    const preview = await call(
      cookie,
      'GET',
      `/invoice-preview?subscriptionId=${c.subscriptionId}&newPriceLookupKey=${encodeURIComponent(pro.toUpperCase())}`,
    );
    assert.equal(preview.statusCode, 200, preview.body);
    const invoice = json(preview).invoice as Json;
    assert.equal(invoice.object, 'invoice');
    assert.equal(invoice.currency, 'usd');
    assert.ok((invoice.lines as { data: Json[] }).data.length > 0);

    const updated = await call(
      cookie,
      'POST',
      '/update-subscription',
      `{"subscriptionId":"${c.subscriptionId}","newPriceLookupKey":"${pro}"}`,
    );
    assert.equal(updated.statusCode, 200, updated.body);
    const u = json(updated).subscription as { items: { data: { price: Json }[] } };
    assert.equal(u.items.data[0]!.price.lookup_key, pro);
    const afterChange = json(
      await t.app.inject({
        method: 'GET',
        url: `/v1/subscriptions?customer=${paydeskId}`,
        headers: auth(key),
      }),
    ) as { data: Json[] };
    assert.equal(afterChange.data[0]!.plan, 'pro');

    const canceled = await call(
      cookie,
      'POST',
      '/cancel-subscription',
      `{"subscriptionId":"${c.subscriptionId}"}`,
    );
    assert.equal(canceled.statusCode, 200, canceled.body);
    assert.equal((json(canceled).subscription as Json).status, 'canceled');
    const ended = json(await call(cookie, 'GET', '/subscriptions')).subscriptions as { data: Json[] };
    assert.equal(ended.data[0]!.status, 'canceled');
  });

  test('a product’s signed-in user: their token instead of the cookie', async () => {
    const token = await t.userToken('proto-product-user', { email: 'ada@example.com' });
    const r = await t.app.inject({
      method: 'POST',
      url: '/create-customer',
      headers: { ...jsonHeaders, ...auth(token) },
      payload: '{"email":"ada@example.com"}',
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.headers['set-cookie'], undefined, 'no cookie: the product signs its users in');
    const me = json(await t.app.inject({ method: 'GET', url: '/v1/customers/me', headers: auth(token) }));
    assert.equal(me.id, json(r).paydesk_customer_id);
    const list = await t.app.inject({ method: 'GET', url: '/subscriptions', headers: auth(token) });
    assert.equal(list.statusCode, 200, list.body);
    assert.deepEqual((json(list).subscriptions as Json).data, []);
  });

  test('refusals: no or forged cookie, another customer’s subscription, one live subscription, bad prices', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/subscriptions' });
    assert.equal(none.statusCode, 401);
    const forged = await call('customer=cus_123', 'GET', '/subscriptions');
    assert.equal(forged.statusCode, 401, 'a Stripe customer id in the cookie is not a sign-in');

    const a = await register('a@example.com');
    const b = await register('b@example.com');
    const starter = await priceIdOf(t, 'paydesk:default:plan:starter:month:usd');
    const subA = json(await call(a.cookie, 'POST', '/create-subscription', `{"priceId":"${starter}"}`));
    await payFirstInvoice(String(subA.clientSecret));
    const second = await call(a.cookie, 'POST', '/create-subscription', `{"priceId":"${starter}"}`);
    assert.equal(second.statusCode, 409, second.body);
    assert.equal(errorOf(second).code, 'conflict');

    for (const [method, url, payload] of [
      ['POST', '/cancel-subscription', `{"subscriptionId":"${subA.subscriptionId}"}`],
      [
        'POST',
        '/update-subscription',
        `{"subscriptionId":"${subA.subscriptionId}","newPriceLookupKey":"pro"}`,
      ],
      ['GET', `/invoice-preview?subscriptionId=${subA.subscriptionId}&newPriceLookupKey=pro`, undefined],
    ] as ['GET' | 'POST', string, string | undefined][]) {
      const r = await call(b.cookie, method, url, payload);
      assert.equal(r.statusCode, 404, `${url}: ${r.body}`);
    }
    const stillActive = json(await call(a.cookie, 'GET', '/subscriptions')).subscriptions as { data: Json[] };
    assert.equal(stillActive.data[0]!.status, 'active');

    const pack = await priceIdOf(t, 'paydesk:default:pack:credits-100:usd');
    for (const [payload, message] of [
      [`{"priceId":"${pack}"}`, /not a plan/],
      ['{"priceId":"price_nope"}', /priceId/],
      ['{"priceId":"sample_basic"}', /priceId/],
      ['{}', /priceId/],
    ] as [string, RegExp][]) {
      const r = await call(b.cookie, 'POST', '/create-subscription', payload);
      assert.equal(r.statusCode, 400, `${payload}: ${r.body}`);
      assert.equal(errorOf(r).code, 'validation_failed');
      assert.match(errorOf(r).message, message);
    }
    for (const key of [
      'paydesk:default:plan:pro:month:eur',
      'paydesk:default:pack:credits-100:usd',
      'sample_premium',
    ]) {
      const r = await call(
        a.cookie,
        'POST',
        '/update-subscription',
        `{"subscriptionId":"${subA.subscriptionId}","newPriceLookupKey":"${key}"}`,
      );
      assert.equal(r.statusCode, 400, `${key}: ${r.body}`);
      assert.match(errorOf(r).message, /newPriceLookupKey/);
    }
    const badEmail = await t.app.inject({
      method: 'POST',
      url: '/create-customer',
      headers: jsonHeaders,
      payload: '{"email":"not an email"}',
    });
    assert.equal(badEmail.statusCode, 400);
    assert.equal(badEmail.headers['set-cookie'], undefined);
  });

  test('publishable key: STRIPE_PUBLISHABLE_KEY with real Stripe, in the same mode as the secret key', () => {
    const real = { STRIPE_SECRET_KEY: 'sk_test_abc', STRIPE_WEBHOOK_SECRET: 'whsec_abc' };
    assert.equal(publishableKeyOf(loadConfig(real)), undefined, 'GET /config answers 503 until it is set');
    const set = loadConfig({ ...real, STRIPE_PUBLISHABLE_KEY: 'pk_test_xyz' });
    assert.equal(publishableKeyOf(set), 'pk_test_xyz');
    assert.equal(publishableKeyOf(loadConfig({})), 'pk_test_paydesk_embedded', 'embedded: the emulator’s');
    assert.throws(
      () => loadConfig({ ...real, STRIPE_PUBLISHABLE_KEY: 'pk_live_xyz' }),
      /STRIPE_PUBLISHABLE_KEY: is not in the same mode/,
    );
    assert.throws(() => loadConfig({ STRIPE_PUBLISHABLE_KEY: 'sk_test_xyz' }), /STRIPE_PUBLISHABLE_KEY/);
  });

  test('documented in OpenAPI under compat', async () => {
    const doc = json(await t.app.inject({ method: 'GET', url: '/docs/json' })) as {
      paths: Record<string, Record<string, { tags?: string[] }>>;
    };
    for (const [path, method] of [
      ['/config', 'get'],
      ['/create-customer', 'post'],
      ['/create-subscription', 'post'],
      ['/invoice-preview', 'get'],
      ['/update-subscription', 'post'],
      ['/cancel-subscription', 'post'],
      ['/subscriptions', 'get'],
    ] as [string, string][]) {
      assert.deepEqual(doc.paths[path]?.[method]?.tags, ['compat'], `${method} ${path}`);
    }
  });
});

describe('authentication', () => {
  authSuite(
    () => t,
    [
      { method: 'POST', url: '/create-subscription', allow: ['user'], payload: { priceId: 'price_x' } },
      { method: 'GET', url: '/invoice-preview?subscriptionId=sub_x&newPriceLookupKey=pro', allow: ['user'] },
      {
        method: 'POST',
        url: '/update-subscription',
        allow: ['user'],
        payload: { subscriptionId: 'sub_x', newPriceLookupKey: 'pro' },
      },
      { method: 'POST', url: '/cancel-subscription', allow: ['user'], payload: { subscriptionId: 'sub_x' } },
      { method: 'GET', url: '/subscriptions', allow: ['user'] },
    ],
  );
});
