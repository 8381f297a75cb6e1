import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { customerByExternalId } from '../customers/service.js';
import { authSuite } from '../testing/auth-suite.js';
import { useTestApp } from '../testing/setup.js';

const t = useTestApp();

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

interface Session {
  id: string;
  url: string;
  return_url: string;
}

async function open(token: string, payload: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: '/v1/portal/sessions', headers: auth(token), payload });
}

/** The portal session as Stripe created it, from its billing_portal.session.created event. */
async function sessionInStripe(id: string): Promise<{ customer: string; return_url: string | null }> {
  const events = await t.stripe.events.list({ type: 'billing_portal.session.created', limit: 100 });
  const found = events.data.find((e) => (e.data.object as { id: string }).id === id);
  assert.ok(found, `no billing_portal.session.created for ${id}`);
  return found.data.object as unknown as { customer: string; return_url: string | null };
}

describe('POST /v1/portal/sessions', () => {
  test('a user opens their portal; the return URL defaults to PAYDESK_PUBLIC_URL', async () => {
    const token = await t.userToken('portal-user');
    await t.app.inject({ method: 'POST', url: '/v1/customers', headers: auth(token), payload: {} });
    const r = await open(token, {});
    assert.equal(r.statusCode, 201, r.body);
    const s = JSON.parse(r.body) as Session;
    assert.match(s.id, /^bps_/);
    assert.match(s.url, /^https?:\/\//);
    assert.equal(s.return_url, 'http://paydesk.test');
    const customer = await customerByExternalId(t.context.db, 'portal-user');
    const stored = await sessionInStripe(s.id);
    assert.equal(stored.customer, customer?.stripe_customer_id);
    assert.equal(stored.return_url, 'http://paydesk.test');
  });

  test('an API key opens a named customer’s portal with an allowed return URL', async () => {
    const key = await t.apiKey();
    const c = JSON.parse(
      (
        await t.app.inject({
          method: 'POST',
          url: '/v1/customers',
          headers: auth(key),
          payload: { external_id: 'portal-key' },
        })
      ).body,
    ) as { id: string; stripe_customer_id: string };
    const r = await open(key, { customer: c.id, return_url: 'https://app.example.com/account?tab=billing' });
    assert.equal(r.statusCode, 201, r.body);
    const s = JSON.parse(r.body) as Session;
    assert.equal(s.return_url, 'https://app.example.com/account?tab=billing');
    const stored = await sessionInStripe(s.id);
    assert.equal(stored.customer, c.stripe_customer_id);
    const missing = await open(key, {});
    assert.equal(missing.statusCode, 400, 'an API key must name the customer');
    const unknown = await open(key, { customer: 'cust_nope' });
    assert.equal(unknown.statusCode, 404);
  });

  test('open-redirect attempts in return_url are refused', async () => {
    const token = await t.userToken('portal-redirect');
    await t.app.inject({ method: 'POST', url: '/v1/customers', headers: auth(token), payload: {} });
    for (const return_url of [
      'https://evil.example.com/',
      '//evil.example.com/',
      '/relative/path',
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'https:\\\\evil.example.com',
      'https://app.example.com\\@evil.example.com',
      'https://app.example.com@evil.example.com/',
      'https://app.example.com.evil.example.com/',
      'http://app.example.com/',
      'https:%2F%2Fevil.example.com',
      '%2F%2Fevil.example.com',
      ' https://evil.example.com',
    ]) {
      const r = await open(token, { return_url });
      assert.equal(r.statusCode, 400, `${return_url}: ${r.body}`);
      const err = (JSON.parse(r.body) as { error: { code: string; message: string } }).error;
      assert.equal(err.code, 'invalid_redirect', return_url);
      assert.match(err.message, /return_url/);
    }
  });

  test('user B cannot open user A’s portal; a user without a customer gets 404', async () => {
    const a = await t.userToken('portal-a');
    const b = await t.userToken('portal-b');
    const ca = JSON.parse(
      (await t.app.inject({ method: 'POST', url: '/v1/customers', headers: auth(a), payload: {} })).body,
    ) as { id: string };
    await t.app.inject({ method: 'POST', url: '/v1/customers', headers: auth(b), payload: {} });
    const cross = await open(b, { customer: ca.id });
    assert.equal(cross.statusCode, 404, cross.body);
    const own = await open(a, { customer: ca.id });
    assert.equal(own.statusCode, 201);
    const stranger = await open(await t.userToken('portal-nobody'), {});
    assert.equal(stranger.statusCode, 404);
  });

  test('unknown fields are refused', async () => {
    const token = await t.userToken('portal-fields');
    const r = await open(token, { return_url: 'https://app.example.com/', flow: 'payment_method_update' });
    assert.equal(r.statusCode, 400);
    assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'validation_failed');
  });
});

describe('authentication', () => {
  authSuite(
    () => t,
    [
      {
        method: 'POST',
        url: '/v1/portal/sessions',
        payload: { return_url: 'https://app.example.com/' },
        allow: ['api_key', 'user'],
        scopes: ['write'],
      },
    ],
  );
});
