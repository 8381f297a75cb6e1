// The stand-in's routes and the API's answers to browsers: served script and iframe pages, CORS on
// publishable-key calls, and what a publishable key may do.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

const pk = { Authorization: 'Bearer pk_test_browser', 'Content-Type': 'application/x-www-form-urlencoded' };

test('/v3/ and /v3 serve the script that defines Stripe(), loadable from any origin', async () => {
  for (const path of ['/v3/', '/v3']) {
    const res = await fetch(`${t.emu.url}${path}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const text = await res.text();
    assert.match(text, /globalThis\.Stripe = Stripe/);
    assert.doesNotMatch(text, /^import /m, 'a classic script, not a module');
  }
  const frame = await fetch(`${t.emu.url}/v3/elements-frame.js`);
  assert.equal(frame.status, 200);
  assert.equal((await fetch(`${t.emu.url}/v3/elements/iban`)).status, 404);
});

test('element pages may be framed by any origin and run only their own script', async () => {
  for (const type of ['payment', 'card', 'address']) {
    const res = await fetch(`${t.emu.url}/v3/elements/${type}?id=x&origin=http://shop.test`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors \*/);
    assert.match(csp, /script-src 'self'/);
    assert.equal(res.headers.get('x-frame-options'), null);
    assert.match(await res.text(), /<script src="\/v3\/elements-frame\.js"><\/script>/);
  }
  const css = await fetch(`${t.emu.url}/v3/elements-frame.css`);
  assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
});

test('a CORS preflight is answered (it answered 401 before)', async () => {
  const res = await fetch(`${t.emu.url}/v1/payment_intents/pi_123/confirm`, {
    method: 'OPTIONS',
    headers: {
      Origin: 'http://shop.test',
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization,content-type',
    },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
  assert.match(res.headers.get('access-control-allow-headers') ?? '', /Authorization/);
});

test('publishable-key answers are readable cross-origin; secret-key answers are not', async () => {
  const pmRes = await fetch(`${t.emu.url}/v1/payment_methods`, {
    method: 'POST',
    headers: pk,
    body: 'type=card&card[number]=4242424242424242&card[exp_month]=12&card[exp_year]=2034&card[cvc]=123',
  });
  assert.equal(pmRes.status, 200);
  assert.equal(pmRes.headers.get('access-control-allow-origin'), '*');
  const secret = await t.raw('GET', '/v1/customers');
  assert.equal(secret.status, 200);
  assert.equal(secret.headers.get('access-control-allow-origin'), null);
});

test('a publishable key confirms and retrieves only with the client secret, and nothing else', async () => {
  const pi = await t.stripe.paymentIntents.create({
    amount: 1000,
    currency: 'usd',
    automatic_payment_methods: { enabled: true },
  });
  const noSecret = await fetch(`${t.emu.url}/v1/payment_intents/${pi.id}`, { headers: pk });
  assert.equal(noSecret.status, 400);
  assert.equal(((await noSecret.json()) as { error: { param: string } }).error.param, 'client_secret');
  const wrong = await fetch(`${t.emu.url}/v1/payment_intents/${pi.id}/confirm`, {
    method: 'POST',
    headers: pk,
    body: `client_secret=${pi.id}_secret_wrong&payment_method=pm_card_visa`,
  });
  assert.equal(wrong.status, 400);
  assert.equal(
    ((await wrong.json()) as { error: { code: string } }).error.code,
    'payment_intent_invalid_parameter',
  );
  // No return_url needed from the browser: Stripe.js handles any 3-D Secure itself.
  const ok = await fetch(`${t.emu.url}/v1/payment_intents/${pi.id}/confirm`, {
    method: 'POST',
    headers: pk,
    body: `client_secret=${pi.client_secret}&payment_method=pm_card_visa&use_stripe_sdk=true`,
  });
  assert.equal(ok.status, 200);
  assert.equal(((await ok.json()) as { status: string }).status, 'succeeded');

  for (const [method, path] of [
    ['GET', '/v1/customers'],
    ['POST', '/v1/payment_intents'],
    ['GET', `/v1/payment_intents`],
    ['POST', `/v1/payment_intents/${pi.id}/cancel`],
    ['POST', '/v1/refunds'],
  ] as const) {
    const res = await fetch(`${t.emu.url}${path}`, {
      method,
      headers: pk,
      body: method === 'POST' ? '' : undefined,
    });
    assert.equal(res.status, 401, `${method} ${path}`);
    const body = (await res.json()) as { error: { message: string } };
    assert.match(body.error.message, /cannot be made with a publishable API key/);
  }
});

test('use_stripe_sdk: 3-D Secure comes back for Stripe.js even when a return_url is given', async () => {
  const pi = await t.stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
  const res = await fetch(`${t.emu.url}/v1/payment_intents/${pi.id}/confirm`, {
    method: 'POST',
    headers: pk,
    body:
      `client_secret=${pi.client_secret}&payment_method=pm_card_authenticationRequired&use_stripe_sdk=true` +
      `&return_url=${encodeURIComponent('http://shop.test/done')}`,
  });
  const body = (await res.json()) as {
    status: string;
    next_action: { type: string; use_stripe_sdk: { stripe_js: string } };
  };
  assert.equal(body.status, 'requires_action');
  assert.equal(body.next_action.type, 'use_stripe_sdk');
  assert.equal(body.next_action.use_stripe_sdk.stripe_js, `${t.emu.url}/_emulator/3ds/${pi.id}`);

  const si = await t.stripe.setupIntents.create({});
  const siRes = await fetch(`${t.emu.url}/v1/setup_intents/${si.id}/confirm`, {
    method: 'POST',
    headers: pk,
    body:
      `client_secret=${si.client_secret}&payment_method=pm_card_authenticationRequired&use_stripe_sdk=true` +
      `&return_url=${encodeURIComponent('http://shop.test/done')}`,
  });
  assert.equal(
    ((await siRes.json()) as { next_action: { type: string } }).next_action.type,
    'use_stripe_sdk',
  );
});

test('the payment page a publishable key reads carries the session url (redirectToCheckout)', async () => {
  const session = await t.stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [
      { price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'X' } }, quantity: 1 },
    ],
    success_url: 'http://shop.test/ok',
  });
  const res = await fetch(`${t.emu.url}/v1/payment_pages/${session.id}`, { headers: pk });
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { url: string }).url, session.url);
});
