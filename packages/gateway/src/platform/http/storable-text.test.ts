// Text PostgreSQL cannot store (NUL, unpaired surrogates) is refused with 400 validation_failed naming
// the field, wherever it is: JSON string or key, path segment, query, the Idempotency-Key header. One
// check covers every route (a route added later included); valid text (emoji, accents) still passes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../../testing/db.js';
import { findUnstorable, isStorableText } from './storable-text.js';

let tdb: TestDatabase;
let t: TestApp;
let user: string;
let key: string;

before(async () => {
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open(), {
    syncCatalog: false,
    // A route registered after paydesk's own, as a new feature's would be: it gets the check too.
    plugins: [
      (app) => {
        app.post('/probe/echo/:word', async (request) => ({ ok: true, params: request.params }));
      },
    ],
  });
  user = await t.userToken('text-user', { email: 'text@example.com' });
  key = await t.apiKey(['read', 'write', 'custom_amounts']);
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
});

type ErrorBody = {
  error: { code: string; message: string; details?: { issues: { in: string; path: string }[] } };
};

function refused(r: { statusCode: number; body: string }, where: string, path: string) {
  assert.equal(r.statusCode, 400, r.body);
  const body = JSON.parse(r.body) as ErrorBody;
  assert.equal(body.error.code, 'validation_failed');
  const field = path ? `${where}.${path}` : where;
  assert.ok(body.error.message.includes(field), `${body.error.message} names ${field}`);
  assert.deepEqual(body.error.details?.issues[0], { in: where, path, message: 'unstorable character' });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('text PostgreSQL cannot store', () => {
  test('a NUL in a JSON string → 400 naming body.name; nothing stored', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: bearer(user),
      payload: { name: 'Ada\u0000Lovelace' },
    });
    refused(r, 'body', 'name');
    const n = await t.context.db.query<{ n: number }>('SELECT count(*)::int AS n FROM customers');
    assert.equal(n.rows[0]!.n, 0);
  });

  test('a NUL nested in an array and object → the full path', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/checkout/sessions',
      headers: bearer(key),
      payload: {
        customer: 'cust_x',
        line_items: [
          { quantity: 1, price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'ok' } } },
          {
            quantity: 1,
            price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'b\u0000d' } },
          },
        ],
      },
    });
    refused(r, 'body', 'line_items.1.price_data.product_data.name');
  });

  test('a NUL in a JSON key → 400', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: { ...bearer(user), 'content-type': 'application/json' },
      payload: '{"na\\u0000me":"x"}',
    });
    assert.equal(r.statusCode, 400, r.body);
    assert.equal((JSON.parse(r.body) as ErrorBody).error.code, 'validation_failed');
  });

  test('an unpaired surrogate in a JSON string → 400; a real emoji (a surrogate pair) is stored', async () => {
    const bad = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: { ...bearer(user), 'content-type': 'application/json' },
      payload: '{"name":"half \\ud83d of a smile"}',
    });
    refused(bad, 'body', 'name');
    const good = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: bearer(user),
      payload: { name: 'Zoë 😀' },
    });
    assert.equal(good.statusCode, 201, good.body);
    assert.equal((JSON.parse(good.body) as { name: string }).name, 'Zoë 😀');
  });

  test('%00 in a path segment → 400 naming params.id (was a 500)', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/v1/customers/cust_%00x', headers: bearer(key) });
    refused(r, 'params', 'id');
    const ledger = await t.app.inject({
      method: 'GET',
      url: '/v1/customers/%00/credits/ledger',
      headers: bearer(key),
    });
    refused(ledger, 'params', 'id');
  });

  test('%00 in a query parameter → 400 naming it', async () => {
    const r = await t.app.inject({
      method: 'GET',
      url: '/checkout/return?session_id=cs_%00',
    });
    refused(r, 'query', 'session_id');
  });

  test('a form body (application/x-www-form-urlencoded) with %00 → 400', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: { ...bearer(user), 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'name=a%00b',
    });
    refused(r, 'body', 'name');
  });

  test('a route added after paydesk’s own is covered without doing anything', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/probe/echo/%00', payload: {} });
    refused(r, 'params', 'word');
    const ok = await t.app.inject({ method: 'POST', url: '/probe/echo/fine', payload: {} });
    assert.equal(ok.statusCode, 200);
  });

  test('the webhook endpoint has no such hook (raw bytes; the fast path serves it without hooks)', async () => {
    for (const url of ['/webhooks/stripe', '/webhook', '/api/checkout/webhook', '/billing/stripe/webhook/']) {
      const r = await t.app.inject({
        method: 'POST',
        url: `${url}?junk=%00`,
        headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
        payload: '{"a":"\\u0000"}',
      });
      assert.equal(r.statusCode, 400, r.body);
      assert.equal((JSON.parse(r.body) as ErrorBody).error.code, 'invalid_signature', url);
    }
  });
});

describe('findUnstorable', () => {
  test('walks a value nested 200,000 deep without overflowing the stack', () => {
    let v: unknown = 'a\u0000';
    for (let i = 0; i < 200_000; i++) v = [v];
    const path = findUnstorable(v);
    assert.equal(path?.split('.').length, 200_000);
  });

  test('lone low surrogates, high surrogates at the end, and NUL; pairs pass', () => {
    assert.equal(isStorableText('\udc00x'), false);
    assert.equal(isStorableText('x\ud800'), false);
    assert.equal(isStorableText('\u0000'), false);
    assert.equal(isStorableText('\ud83d\ude00'), true);
    assert.equal(isStorableText(''), true);
    // What a header value can hold (latin-1) is storable.
    assert.equal(isStorableText('key-ÿ'), true);
  });
});
