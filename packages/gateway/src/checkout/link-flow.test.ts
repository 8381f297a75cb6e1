import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useTestApp } from '../testing/setup.js';

const t = useTestApp();

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function pay(sessionId: string, expectedAmount: number) {
  const res = await fetch(`${t.emulator.url}/v1/payment_pages/${sessionId}/confirm`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer sk_test_emulator',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ payment_method: 'pm_card_visa', expected_amount: String(expectedAmount) }),
  });
  assert.equal(res.status, 200, await res.clone().text());
}

function sessionIdOf(location: string): string {
  const m = /\/(cs_test_[A-Za-z0-9]+)$/.exec(location);
  assert.ok(m, `a Stripe Checkout URL: ${location}`);
  return m[1]!;
}

function assertPage(
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
  title: RegExp,
) {
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /^text\/html/);
  const csp = String(res.headers['content-security-policy']);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|script-src/);
  assert.equal(res.headers['x-frame-options'], 'DENY');
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.match(res.body, title);
}

describe('GET /checkout (link flow)', () => {
  test('a pack link → 303 to Stripe → paid → /checkout/return 303s to the stored redirect', async () => {
    const token = await t.userToken('link-user-1', { email: 'link1@example.com' });
    const res = await t.app.inject({
      method: 'GET',
      url: '/checkout?pack=credits-100&qty=2&currency=usd&redirect=https%3A%2F%2Fapp.example.com%2Fcredits%3Fok%3D1',
      headers: auth(token),
    });
    assert.equal(res.statusCode, 303, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const location = String(res.headers.location);
    assert.ok(location.startsWith(t.emulator.url), location);
    const id = sessionIdOf(location);
    const session = await t.stripe.checkout.sessions.retrieve(id);
    assert.equal(session.amount_total, 1000);
    assert.equal(session.mode, 'payment');

    const early = await t.app.inject({ method: 'GET', url: `/checkout/return?session_id=${id}` });
    assertPage(early, /Payment not completed/);
    assert.match(early.body, /has not been paid yet/);
    assert.ok(early.body.includes(`href="${location}"`), 'a link back to the checkout');

    await pay(id, 1000);
    const back = await t.app.inject({ method: 'GET', url: `/checkout/return?session_id=${id}` });
    assert.equal(back.statusCode, 303, back.body);
    assert.equal(back.headers.location, 'https://app.example.com/credits?ok=1');

    const payments = JSON.parse(
      (await t.app.inject({ method: 'GET', url: '/v1/payments', headers: auth(token) })).body,
    ) as { data: { amount: number; payment_intent: string }[] };
    assert.equal(payments.data.length, 1, 'the return recorded the payment');
    assert.equal(payments.data[0]!.amount, 1000);
  });

  test('a plan link with ?token= works, and the token never reaches the log', async () => {
    const token = await t.userToken('link-user-2');
    const res = await t.app.inject({
      method: 'GET',
      url: `/checkout?plan=starter&interval=month&currency=eur&token=${token}`,
    });
    assert.equal(res.statusCode, 303, res.body);
    const session = await t.stripe.checkout.sessions.retrieve(sessionIdOf(String(res.headers.location)));
    assert.equal(session.mode, 'subscription');
    assert.equal(session.amount_total, 800);
    assert.ok(!t.logs.text.includes(token), 'the JWT is redacted from every log line');
    assert.ok(!t.logs.text.includes(token.split('.')[2]!), 'not even its signature');
  });

  test('?token= accepts user tokens only; a bad one is 401', async () => {
    const key = await t.apiKey(['read', 'write', 'custom_amounts']);
    const withKey = await t.app.inject({ method: 'GET', url: `/checkout?pack=credits-100&token=${key}` });
    assert.equal(withKey.statusCode, 403, 'an API key in a URL is refused');
    const expired = await t.userToken('link-user-3', { expiresIn: '-1m' });
    const old = await t.app.inject({ method: 'GET', url: `/checkout?pack=credits-100&token=${expired}` });
    assert.equal(old.statusCode, 401);
    const none = await t.app.inject({ method: 'GET', url: '/checkout?pack=credits-100' });
    assert.equal(none.statusCode, 401);
  });

  test('bad links: open redirects, unknown items, unsold currencies, nonsense quantities', async () => {
    const token = await t.userToken('link-user-4');
    for (const redirect of [
      'https://evil.example/',
      '//evil.example',
      'javascript:alert(1)',
      'https:\\\\evil.example',
      'https://app.example.com@evil.example',
    ]) {
      const r = await t.app.inject({
        method: 'GET',
        url: `/checkout?pack=credits-100&redirect=${encodeURIComponent(redirect)}`,
        headers: auth(token),
      });
      assert.equal(r.statusCode, 400, redirect);
      assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'invalid_redirect');
    }
    const cases: [string, number][] = [
      ['/checkout?pack=nope', 404],
      ['/checkout?pack=credits-100&currency=gbp', 400],
      ['/checkout?pack=credits-100&qty=0', 400],
      ['/checkout?pack=credits-100&qty=abc', 400],
      ['/checkout?plan=pro', 400],
      ['/checkout', 400],
      ['/checkout?pack=credits-100&amount=1', 400],
    ];
    for (const [url, status] of cases) {
      const r = await t.app.inject({ method: 'GET', url, headers: auth(token) });
      assert.equal(r.statusCode, status, `${url}: ${r.body}`);
    }
  });
});

describe('GET /checkout/return and /checkout/cancelled', () => {
  test('without a redirect, a paid session shows a small "payment received" page', async () => {
    const token = await t.userToken('return-user');
    const res = await t.app.inject({
      method: 'GET',
      url: '/checkout?pack=credits-1000&currency=jpy',
      headers: auth(token),
    });
    const id = sessionIdOf(String(res.headers.location));
    await pay(id, 6000);
    const page = await t.app.inject({ method: 'GET', url: `/checkout/return?session_id=${id}` });
    assertPage(page, /Payment received/);
    assert.match(page.body, /6000 JPY/, 'zero-decimal currency shown in its own unit');
  });

  test('after a decline the page says the payment failed, with the reason, never "pending"', async () => {
    const token = await t.userToken('declined-user');
    const res = await t.app.inject({
      method: 'GET',
      url: '/checkout?pack=credits-100&currency=usd',
      headers: auth(token),
    });
    const id = sessionIdOf(String(res.headers.location));
    const declined = await fetch(`${t.emulator.url}/v1/payment_pages/${id}/confirm`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer sk_test_emulator',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        payment_method: 'pm_card_chargeDeclinedInsufficientFunds',
        expected_amount: '500',
      }),
    });
    assert.equal(declined.status, 402);
    const page = await t.app.inject({ method: 'GET', url: `/checkout/return?session_id=${id}` });
    assertPage(page, /Payment failed/);
    assert.match(page.body, /Your card has insufficient funds\./);
    assert.doesNotMatch(page.body, /pending/i);
    assert.match(page.body, /Return to checkout/);
  });

  test('unknown or malformed session ids', async () => {
    const unknown = await t.app.inject({ method: 'GET', url: '/checkout/return?session_id=cs_test_unknown' });
    assert.equal(unknown.statusCode, 404);
    for (const url of [
      '/checkout/return',
      '/checkout/return?session_id=chk_abc',
      '/checkout/return?session_id=%3Cscript%3E',
    ]) {
      const r = await t.app.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 400, url);
    }
  });

  test('the cancel page', async () => {
    assertPage(await t.app.inject({ method: 'GET', url: '/checkout/cancelled' }), /Payment cancelled/);
  });
});
