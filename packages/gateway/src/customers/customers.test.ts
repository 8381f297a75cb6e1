import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authSuite } from '../testing/auth-suite.js';
import { useTestApp } from '../testing/setup.js';

const t = useTestApp();

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

describe('POST /v1/customers', () => {
  test('an API key registers a customer: Stripe customer created with paydesk metadata; 201 then 200', async () => {
    const key = await t.apiKey();
    const first = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: auth(key),
      payload: { external_id: 'user-1', email: 'ada@example.com', name: 'Ada' },
    });
    assert.equal(first.statusCode, 201, first.body);
    const c = JSON.parse(first.body) as { id: string; stripe_customer_id: string; external_id: string };
    assert.match(c.id, /^cust_/);
    assert.match(c.stripe_customer_id, /^cus_/);
    const sc = await t.stripe.customers.retrieve(c.stripe_customer_id);
    assert.ok(!sc.deleted);
    assert.equal(sc.email, 'ada@example.com');
    assert.deepEqual(sc.metadata, {
      paydesk_instance: 'default',
      paydesk_customer_id: c.id,
      external_id: 'user-1',
    });

    const again = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: auth(key),
      payload: { external_id: 'user-1' },
    });
    assert.equal(again.statusCode, 200);
    assert.equal((JSON.parse(again.body) as { id: string }).id, c.id);
    const all = await t.stripe.customers.list({ email: 'ada@example.com' });
    assert.equal(all.data.length, 1, 'one Stripe customer per external_id');
  });

  test('a customer without a name changes its email: Stripe gets the new email, and no empty name', async () => {
    const key = await t.apiKey();
    const register = (email: string) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/customers',
        headers: auth(key),
        payload: { external_id: 'nameless-1', email },
      });
    const first = await register('first@example.com');
    assert.equal(first.statusCode, 201, first.body);
    const changed = await register('second@example.com');
    assert.equal(changed.statusCode, 200, changed.body);
    const c = JSON.parse(changed.body) as { stripe_customer_id: string; email: string; name: string | null };
    assert.equal(c.email, 'second@example.com');
    assert.equal(c.name, null);
    const sc = await t.stripe.customers.retrieve(c.stripe_customer_id);
    assert.ok(!sc.deleted);
    assert.equal(sc.email, 'second@example.com');
    assert.equal(sc.name, null);
  });

  test('concurrent registrations of one external_id make one customer and one Stripe customer', async () => {
    const key = await t.apiKey();
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.app.inject({
          method: 'POST',
          url: '/v1/customers',
          headers: auth(key),
          payload: { external_id: 'racer', email: 'racer@example.com' },
        }),
      ),
    );
    const ids = new Set(results.map((r) => (JSON.parse(r.body) as { id: string }).id));
    assert.equal(ids.size, 1);
    assert.equal(results.filter((r) => r.statusCode === 201).length, 1);
    assert.equal((await t.stripe.customers.list({ email: 'racer@example.com' })).data.length, 1);
  });

  test('a user registers themselves from their token; another external_id is refused', async () => {
    const token = await t.userToken('user-77', { email: 'u77@example.com' });
    const r = await t.app.inject({ method: 'POST', url: '/v1/customers', headers: auth(token), payload: {} });
    assert.equal(r.statusCode, 201, r.body);
    const c = JSON.parse(r.body) as { external_id: string; email: string };
    assert.equal(c.external_id, 'user-77');
    assert.equal(c.email, 'u77@example.com');
    const other = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: auth(token),
      payload: { external_id: 'user-78' },
    });
    assert.equal(other.statusCode, 403);
  });

  test('validation: an API key must name external_id; bad email; unknown fields', async () => {
    const key = await t.apiKey();
    for (const payload of [
      {},
      { external_id: 'x', email: 'not-an-email' },
      { external_id: 'x', plan: 'pro' },
      { external_id: '' },
    ]) {
      const r = await t.app.inject({ method: 'POST', url: '/v1/customers', headers: auth(key), payload });
      assert.equal(r.statusCode, 400, JSON.stringify(payload));
      assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'validation_failed');
    }
  });
});

describe('GET /v1/customers/:id', () => {
  test('a user reads their own customer (by id or me) and never another user’s', async () => {
    const a = await t.userToken('owner-a');
    const b = await t.userToken('owner-b');
    const ca = JSON.parse(
      (await t.app.inject({ method: 'POST', url: '/v1/customers', headers: auth(a), payload: {} })).body,
    ) as { id: string };
    const cb = JSON.parse(
      (await t.app.inject({ method: 'POST', url: '/v1/customers', headers: auth(b), payload: {} })).body,
    ) as { id: string };
    for (const ref of [ca.id, 'me']) {
      const r = await t.app.inject({ method: 'GET', url: `/v1/customers/${ref}`, headers: auth(a) });
      assert.equal(r.statusCode, 200);
      assert.equal((JSON.parse(r.body) as { id: string }).id, ca.id);
    }
    const cross = await t.app.inject({ method: 'GET', url: `/v1/customers/${cb.id}`, headers: auth(a) });
    assert.equal(cross.statusCode, 404, 'another user’s customer is not found, not forbidden');
    const key = await t.apiKey(['read']);
    assert.equal(
      (await t.app.inject({ method: 'GET', url: `/v1/customers/${cb.id}`, headers: auth(key) })).statusCode,
      200,
    );
    assert.equal(
      (await t.app.inject({ method: 'GET', url: '/v1/customers/cust_nope', headers: auth(key) })).statusCode,
      404,
    );
  });
});

describe('authentication', () => {
  authSuite(
    () => t,
    [
      {
        method: 'POST',
        url: '/v1/customers',
        payload: { external_id: 'auth-x' },
        allow: ['api_key', 'user'],
        scopes: ['write'],
      },
      { method: 'GET', url: '/v1/customers/me', allow: ['api_key', 'user'], scopes: ['read'] },
      { method: 'POST', url: '/admin/api-keys', payload: { name: 'x' }, allow: ['admin'] },
      { method: 'GET', url: '/admin/api-keys', allow: ['admin'] },
    ],
  );
});
