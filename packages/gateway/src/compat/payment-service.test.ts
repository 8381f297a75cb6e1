import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authSuite } from '../testing/auth-suite.js';
import { useTestApp } from '../testing/setup.js';
import { auth, errorOf, hostileUrls, type Json, json, once, paySession, priceIdOf } from './testing.js';

const t = useTestApp();

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

const createSession = (key: string, payload: Json) =>
  t.app.inject({ method: 'POST', url: '/create-checkout-session', headers: auth(key), payload });

describe('payment microservice: Checkout', () => {
  test('journey: POST /create-checkout-session → pay on the hosted page → GET /checkout-session says paid', async () => {
    const key = await t.apiKey();
    const customerId = await createCustomer(key, 'ms-journey');
    const created = await createSession(key, {
      pack: 'credits-100',
      quantity: 2,
      currency: 'usd',
      customerId,
      successUrl: 'https://app.example.com/paid?session_id={CHECKOUT_SESSION_ID}',
      cancelUrl: 'https://app.example.com/cart',
      metadata: { orderId: 'order-42' },
    });
    assert.equal(created.statusCode, 200, created.body);
    const c = json(created);
    assert.deepEqual(Object.keys(c).sort(), ['amountTotal', 'currency', 'expiresAt', 'sessionId', 'url']);
    assert.match(String(c.sessionId), /^cs_test_/);
    assert.ok(String(c.url).startsWith(t.emulator.url), String(c.url));
    assert.equal(c.amountTotal, 1000, 'catalog amount × quantity');
    assert.equal(c.currency, 'usd');
    const stripeSession = await t.stripe.checkout.sessions.retrieve(String(c.sessionId));
    assert.equal(stripeSession.success_url, 'https://app.example.com/paid?session_id={CHECKOUT_SESSION_ID}');
    assert.equal(stripeSession.cancel_url, 'https://app.example.com/cart');
    assert.equal(stripeSession.metadata?.orderId, 'order-42');
    assert.equal(stripeSession.metadata?.paydesk_instance, 'default');

    const url = `/checkout-session?session_id=${c.sessionId}`;
    const unpaid = json(await t.app.inject({ method: 'GET', url, headers: auth(key) }));
    assert.equal(unpaid.paymentStatus, 'unpaid');
    assert.equal(unpaid.status, 'open');

    await paySession(t, String(c.sessionId), 1000);
    const read = await t.app.inject({ method: 'GET', url, headers: auth(key) });
    assert.equal(read.statusCode, 200, read.body);
    const r = json(read);
    assert.equal(r.id, c.sessionId);
    assert.equal(r.status, 'complete');
    assert.equal(r.paymentStatus, 'paid');
    assert.equal(r.mode, 'payment');
    assert.equal(r.amountTotal, 1000);
    assert.equal(r.customerId, customerId);
    assert.equal(r.customerEmail, 'ms-journey@example.com');
    assert.match(String(r.paymentIntentId), /^pi_/);
    assert.equal(r.subscriptionId, null);
    assert.equal((r.metadata as Json).orderId, 'order-42');

    // The same payment is in paydesk's own history, once.
    const history = json(
      await t.app.inject({ method: 'GET', url: `/v1/payments?customer=${customerId}`, headers: auth(key) }),
    ).data as Json[];
    assert.equal(history.length, 1);
    assert.equal(history[0]!.payment_intent, r.paymentIntentId);
    assert.equal(history[0]!.amount, 1000);
  });

  test('the documented request, byte for byte: line_items with price_data and snake_case URLs', async () => {
    const documented =
      '{"line_items":[{"price_data":{"currency":"usd","product_data":{"name":"T-shirt"},"unit_amount":2000},"quantity":1}],' +
      '"success_url":"https://app.example.com/success?session_id={CHECKOUT_SESSION_ID}","cancel_url":"https://app.example.com/cancel"}';
    const send = (key: string, body: string) =>
      t.app.inject({
        method: 'POST',
        url: '/create-checkout-session',
        headers: { ...auth(key), 'content-type': 'application/json' },
        payload: body,
      });
    // custom_amounts keys are trusted with the browser's amounts, as the original trusted them.
    const custom = await send(await t.apiKey(['read', 'write', 'custom_amounts']), documented);
    assert.equal(custom.statusCode, 200, custom.body);
    const c = json(custom);
    assert.match(String(c.sessionId), /^cs_test_/);
    assert.ok(String(c.url).startsWith(t.emulator.url));
    assert.equal(c.amountTotal, 2000);
    const session = await t.stripe.checkout.sessions.retrieve(String(c.sessionId), {
      expand: ['line_items'],
    });
    assert.equal(session.success_url, 'https://app.example.com/success?session_id={CHECKOUT_SESSION_ID}');
    assert.equal(session.cancel_url, 'https://app.example.com/cancel');
    assert.equal(session.line_items?.data[0]?.description, 'T-shirt');

    // Other keys: the line must be a catalog item, else a 400 that says what is sold.
    const plainKey = await t.apiKey();
    const refused = await send(plainKey, documented);
    assert.equal(refused.statusCode, 400, refused.body);
    assert.equal(errorOf(refused).code, 'validation_failed');
    assert.match(
      errorOf(refused).message,
      /line_items\.0\.price_data: matches no catalog item \(usd: "100 credits" at 500/,
    );
    assert.match(errorOf(refused).message, /custom_amounts/);

    const catalogLine = documented
      .replace('"name":"T-shirt"', '"name":"100 credits"')
      .replace('"unit_amount":2000},"quantity":1', '"unit_amount":500},"quantity":2');
    const matched = await send(plainKey, catalogLine);
    assert.equal(matched.statusCode, 200, matched.body);
    assert.equal(json(matched).amountTotal, 1000);
    const matchedSession = await t.stripe.checkout.sessions.retrieve(String(json(matched).sessionId), {
      expand: ['line_items'],
    });
    assert.equal(
      matchedSession.line_items?.data[0]?.price?.lookup_key,
      'paydesk:default:pack:credits-100:usd',
      'the catalog’s own price, so paying grants the pack’s credits',
    );
    assert.equal(matchedSession.line_items?.data[0]?.quantity, 2);

    const yearly = await send(
      plainKey,
      '{"mode":"subscription","line_items":[{"price_data":{"currency":"eur","product_data":{"name":"Pro"},"unit_amount":26000,"recurring":{"interval":"year"}},"quantity":1}]}',
    );
    assert.equal(yearly.statusCode, 200, yearly.body);
    const yearlySession = await t.stripe.checkout.sessions.retrieve(String(json(yearly).sessionId));
    assert.equal(yearlySession.mode, 'subscription');

    for (const [body, message] of [
      [catalogLine.replace('"unit_amount":500', '"unit_amount":499'), /matches no catalog item/],
      [
        catalogLine.replace('"success_url"', '"successUrl":"https://app.example.com/x","success_url"'),
        /success_url or successUrl/,
      ],
      [
        catalogLine.replace('{"line_items"', '{"mode":"subscription","line_items"'),
        /mode: the line is a one-time payment/,
      ],
      [catalogLine.replace('{"line_items"', '{"pack":"credits-100","line_items"'), /exactly one/],
      ['{"line_items":[{"quantity":1}]}', /exactly one of price_data or price/],
      ['{"line_items":[]}', /line_items/],
    ] as [string, RegExp][]) {
      const r = await send(plainKey, body);
      assert.equal(r.statusCode, 400, `${body}: ${r.body}`);
      assert.equal(errorOf(r).code, 'validation_failed', body);
      assert.match(errorOf(r).message, message, body);
    }
    const twoLines = await send(
      plainKey,
      catalogLine.replace(
        '"quantity":2}]',
        '"quantity":2},{"price_data":{"currency":"usd","product_data":{"name":"100 credits"},"unit_amount":500},"quantity":1}]',
      ),
    );
    assert.equal(twoLines.statusCode, 400, twoLines.body);
    assert.match(errorOf(twoLines).message, /one line of a catalog item per session/);
  });

  test('a relative successUrl joins PAYDESK_FRONTEND_URL (default the public URL)', async () => {
    const r = await createSession(await t.apiKey(), {
      pack: 'credits-100',
      success_url: '/done',
      cancel_url: '/cart',
    });
    assert.equal(r.statusCode, 200, r.body);
    const session = await t.stripe.checkout.sessions.retrieve(String(json(r).sessionId));
    assert.equal(session.success_url, 'http://paydesk.test/done');
    assert.equal(session.cancel_url, 'http://paydesk.test/cart');
  });

  test('a catalog priceId chooses the item; the amount is still the catalog’s', async () => {
    const key = await t.apiKey();
    const yearly = await priceIdOf(t, 'paydesk:default:plan:pro:year:eur');
    const plan = await createSession(key, { priceId: yearly, customerEmail: 'who@example.com' });
    assert.equal(plan.statusCode, 200, plan.body);
    assert.equal(json(plan).amountTotal, 26000);
    assert.equal(json(plan).currency, 'eur');
    const session = await t.stripe.checkout.sessions.retrieve(String(json(plan).sessionId));
    assert.equal(session.mode, 'subscription');
    assert.equal(session.customer_email, 'who@example.com');

    const pack = await priceIdOf(t, 'paydesk:default:pack:credits-1000:jpy');
    const packs = await createSession(key, { priceId: pack, quantity: 3 });
    assert.equal(packs.statusCode, 200, packs.body);
    assert.equal(json(packs).amountTotal, 18000);
    assert.equal(json(packs).currency, 'jpy');
  });

  test('prices that are not this catalog’s are refused with 400', async () => {
    const key = await t.apiKey();
    const product = await t.stripe.products.create({ name: 'Not in the catalog' }, once());
    const foreign = await t.stripe.prices.create(
      { product: product.id, currency: 'usd', unit_amount: 1 },
      once(),
    );
    const otherInstance = await t.stripe.prices.create(
      {
        product: product.id,
        currency: 'usd',
        unit_amount: 1,
        lookup_key: 'paydesk:other:pack:credits-100:usd',
      },
      once(),
    );
    for (const priceId of [foreign.id, otherInstance.id, 'price_doesnotexist']) {
      const r = await createSession(key, { priceId });
      assert.equal(r.statusCode, 400, `${priceId}: ${r.body}`);
      assert.equal(errorOf(r).code, 'validation_failed');
      assert.match(errorOf(r).message, /priceId/);
    }
  });

  test('each validation error answers 400 in the catalog’s shape', async () => {
    const key = await t.apiKey();
    const priceId = await priceIdOf(t, 'paydesk:default:plan:pro:month:usd');
    const cases: [Json, RegExp][] = [
      [{}, /exactly one/],
      [{ pack: 'credits-100', plan: 'pro', interval: 'month' }, /exactly one/],
      [{ pack: 'credits-100', interval: 'month' }, /interval/],
      [{ plan: 'pro' }, /interval/],
      [{ plan: 'pro', interval: 'week' }, /interval/],
      [{ plan: 'pro', interval: 'month', quantity: 2 }, /quantity/],
      [{ priceId, quantity: 2 }, /quantity/],
      [{ priceId, currency: 'usd' }, /currency/],
      [{ priceId: 'prod_123' }, /priceId/],
      [{ pack: 'credits-100', quantity: 0 }, /quantity/],
      [{ pack: 'credits-100', currency: 'USD' }, /currency/],
      [{ pack: 'credits-100', currency: 'chf' }, /currency/],
      [{ pack: 'credits-100', amount: 1 }, /exactly one/],
      [{ pack: 'credits-100', unitAmount: 1 }, /unitAmount|Unrecognized/i],
      [{ pack: 'credits-100', customerEmail: 'not-an-email' }, /customerEmail/],
      [{ amount: 100, productName: 'x' }, /currency/],
      [{ amount: 100, currency: 'usd' }, /productName/],
    ];
    for (const [payload, message] of cases) {
      const r = await createSession(key, payload);
      assert.equal(r.statusCode, 400, `${JSON.stringify(payload)}: ${r.body}`);
      const err = errorOf(r);
      assert.equal(err.code, 'validation_failed', JSON.stringify(payload));
      assert.match(err.message, message, JSON.stringify(payload));
      assert.match(err.request_id, /\S/);
    }
    const unknown = await createSession(key, { pack: 'credits-7' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(errorOf(unknown).code, 'not_found');
    const noCustomer = await createSession(key, { pack: 'credits-100', customerId: 'cust_nope' });
    assert.equal(noCustomer.statusCode, 404);
  });

  test('an ad-hoc amount needs the custom_amounts scope', async () => {
    const body = { amount: 1234, currency: 'usd', productName: 'Consulting' };
    const plain = await createSession(await t.apiKey(), body);
    assert.equal(plain.statusCode, 403, plain.body);
    assert.equal(errorOf(plain).code, 'forbidden');
    const scoped = await createSession(await t.apiKey(['read', 'write', 'custom_amounts']), body);
    assert.equal(scoped.statusCode, 200, scoped.body);
    assert.equal(json(scoped).amountTotal, 1234);
  });

  test('open-redirect attempts in successUrl and cancelUrl are refused', async () => {
    const key = await t.apiKey();
    for (const field of ['successUrl', 'cancelUrl']) {
      for (const hostile of hostileUrls) {
        const r = await createSession(key, { pack: 'credits-100', [field]: hostile });
        assert.equal(r.statusCode, 400, `${field}=${hostile}: ${r.body}`);
        assert.equal(errorOf(r).code, 'invalid_redirect', `${field}=${hostile}`);
      }
    }
  });

  test('GET /checkout-session: sessions paydesk did not open, and bad ids, are not found or invalid', async () => {
    const key = await t.apiKey();
    const direct = await t.stripe.checkout.sessions.create(
      {
        mode: 'payment',
        line_items: [{ price: await priceIdOf(t, 'paydesk:default:pack:credits-100:usd'), quantity: 1 }],
        success_url: 'https://app.example.com/ok',
      },
      once(),
    );
    const notOurs = await t.app.inject({
      method: 'GET',
      url: `/checkout-session?session_id=${direct.id}`,
      headers: auth(key),
    });
    assert.equal(notOurs.statusCode, 404, notOurs.body);
    const missing = await t.app.inject({ method: 'GET', url: '/checkout-session', headers: auth(key) });
    assert.equal(missing.statusCode, 400);
    assert.equal(errorOf(missing).code, 'validation_failed');
    assert.match(errorOf(missing).message, /session_id/);
  });
});

describe('payment microservice: payment intents', () => {
  const createIntent = (key: string, payload: Json, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/payment-intent', headers: { ...auth(key), ...headers }, payload });

  test('journey: POST /payment-intent → {clientSecret} → confirmed by the browser → GET /payment-intent/:id succeeded', async () => {
    const key = await t.apiKey();
    const customerId = await createCustomer(key, 'ms-intent');
    const created = await createIntent(key, {
      pack: 'credits-100',
      quantity: 3,
      currency: 'eur',
      customerId,
    });
    assert.equal(created.statusCode, 201, created.body);
    const c = json(created);
    assert.match(String(c.id), /^pi_/);
    assert.match(String(c.clientSecret), new RegExp(`^${c.id}_secret_`));
    assert.equal(c.amount, 1350);
    assert.equal(c.currency, 'eur');
    assert.equal(c.status, 'requires_payment_method');
    assert.equal(c.customerId, customerId);

    // What Stripe.js does with the client secret: confirm with the card the customer entered.
    await t.stripe.paymentIntents.confirm(String(c.id), { payment_method: 'pm_card_visa' }, once());

    const read = await t.app.inject({ method: 'GET', url: `/payment-intent/${c.id}`, headers: auth(key) });
    assert.equal(read.statusCode, 200, read.body);
    const r = json(read);
    assert.equal(r.status, 'succeeded');
    assert.equal(r.amount, 1350);
    assert.equal(r.lastPaymentError, null);
    const history = json(
      await t.app.inject({ method: 'GET', url: `/v1/payments?customer=${customerId}`, headers: auth(key) }),
    ).data as Json[];
    assert.deepEqual(
      history.map((p) => [p.payment_intent, p.amount]),
      [[c.id, 1350]],
    );
  });

  test('a declined card answers 402 with the decline code; Idempotency-Key replays the same intent', async () => {
    const key = await t.apiKey();
    const declined = await createIntent(key, {
      pack: 'credits-100',
      paymentMethodId: 'pm_card_chargeDeclined',
    });
    assert.equal(declined.statusCode, 402, declined.body);
    assert.equal(errorOf(declined).code, 'card_declined');

    const first = await createIntent(key, { pack: 'credits-100' }, { 'idempotency-key': 'ms-order-7' });
    const again = await createIntent(key, { pack: 'credits-100' }, { 'idempotency-key': 'ms-order-7' });
    assert.equal(first.statusCode, 201, first.body);
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(json(again).id, json(first).id);
    const other = await createIntent(key, { pack: 'credits-1000' }, { 'idempotency-key': 'ms-order-7' });
    assert.equal(other.statusCode, 409);
    assert.equal(errorOf(other).code, 'conflict');
  });

  test('validation errors, amounts without the scope, and unknown ids', async () => {
    const key = await t.apiKey();
    for (const [payload, message] of [
      [{}, /exactly one/],
      [{ pack: 'credits-100', amount: 5 }, /exactly one/],
      [{ amount: 5 }, /currency/],
      [{ amount: 5, currency: 'usd', quantity: 2 }, /quantity/],
      [{ pack: 'credits-100', paymentMethodId: 'card_123' }, /paymentMethodId/],
      [{ pack: 'credits-100', customer: 'cust_x' }, /customer|Unrecognized/i],
    ] as [Json, RegExp][]) {
      const r = await createIntent(key, payload);
      assert.equal(r.statusCode, 400, `${JSON.stringify(payload)}: ${r.body}`);
      assert.equal(errorOf(r).code, 'validation_failed');
      assert.match(errorOf(r).message, message, JSON.stringify(payload));
    }
    const noScope = await createIntent(key, { amount: 500, currency: 'usd' });
    assert.equal(noScope.statusCode, 403, 'an explicit amount needs custom_amounts');
    const scoped = await createIntent(await t.apiKey(['write', 'custom_amounts']), {
      amount: 500,
      currency: 'usd',
    });
    assert.equal(scoped.statusCode, 201, scoped.body);
    assert.equal(json(scoped).amount, 500);

    const unknown = await t.app.inject({ method: 'GET', url: '/payment-intent/pi_nope', headers: auth(key) });
    assert.equal(unknown.statusCode, 404);
    const foreign = await t.stripe.paymentIntents.create({ amount: 100, currency: 'usd' }, once());
    const notOurs = await t.app.inject({
      method: 'GET',
      url: `/payment-intent/${foreign.id}`,
      headers: auth(key),
    });
    assert.equal(notOurs.statusCode, 404, 'a payment intent paydesk did not make is not found');
  });
});

describe('OpenAPI', () => {
  test('the payment microservice routes are documented under the compat tag', async () => {
    const doc = json(await t.app.inject({ method: 'GET', url: '/docs/json' })) as {
      paths: Record<string, Record<string, { tags?: string[] }>>;
      tags: { name: string }[];
    };
    assert.ok(doc.tags.some((tag) => tag.name === 'compat'));
    for (const [path, method] of [
      ['/create-checkout-session', 'post'],
      ['/checkout-session', 'get'],
      ['/payment-intent', 'post'],
      ['/payment-intent/{id}', 'get'],
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
        url: '/create-checkout-session',
        payload: { pack: 'credits-100' },
        allow: ['api_key'],
        scopes: ['write'],
      },
      { method: 'GET', url: '/checkout-session?session_id=cs_test_x', allow: ['api_key'], scopes: ['read'] },
      {
        method: 'POST',
        url: '/payment-intent',
        payload: { pack: 'credits-100' },
        allow: ['api_key'],
        scopes: ['write'],
      },
      { method: 'GET', url: '/payment-intent/pi_x', allow: ['api_key'], scopes: ['read'] },
    ],
  );
});
