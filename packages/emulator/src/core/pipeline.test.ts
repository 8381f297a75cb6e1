import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

test('every response carries Request-Id and JSON', async () => {
  const res = await t.raw('GET', '/v1/customers');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('request-id') ?? '', /^req_/);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
});

test('missing, malformed and live keys are refused with 401 in Stripe shape', async () => {
  for (const auth of [
    undefined,
    'Token x',
    'Bearer nope',
    'Bearer sk_live_abc123',
    'Bearer rk_live_abc123',
  ]) {
    const res = await fetch(`${t.emu.url}/v1/customers`, { headers: auth ? { Authorization: auth } : {} });
    assert.equal(res.status, 401, String(auth));
    const body = (await res.json()) as { error: { type: string; message: string } };
    assert.equal(body.error.type, 'invalid_request_error');
    assert.ok(body.error.message.length > 10);
    if (auth?.includes('_live_')) assert.match(body.error.message, /[Ll]ive/);
  }
  const err = await stripeError(t.client('sk_live_123456789012345').customers.list());
  assert.equal(err.statusCode, 401);
  assert.equal(err.type, 'StripeAuthenticationError');
});

test('any test key works, and publishable keys cannot call secret-key endpoints', async () => {
  const c = await t.client('sk_test_anything_goes').customers.create({ name: 'k' });
  assert.match(c.id, /^cus_/);
  const err = await stripeError(t.client('pk_test_abc').customers.list());
  assert.equal(err.statusCode, 401);
});

test('unknown route → 404 invalid_request_error "Unrecognized request URL"', async () => {
  const res = await t.raw('GET', '/v1/nothing_here');
  assert.equal(res.status, 404);
  const body = (await res.json()) as { error: { type: string; message: string } };
  assert.equal(body.error.type, 'invalid_request_error');
  assert.match(body.error.message, /^Unrecognized request URL \(GET: \/v1\/nothing_here\)/);
});

test('idempotency: same key and params replays; different params or path → idempotency_error', async () => {
  const a = await t.stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: 'k-1' });
  const b = await t.stripe.customers.create({ email: 'idem@example.com' }, { idempotencyKey: 'k-1' });
  assert.equal(b.id, a.id);
  assert.equal(b.lastResponse.headers['idempotent-replayed'], 'true');
  assert.equal(a.lastResponse.headers['idempotent-replayed'], undefined);
  const list = await t.stripe.customers.list({ email: 'idem@example.com' });
  assert.equal(list.data.length, 1, 'the replay must not create a second customer');

  const diff = await stripeError(
    t.stripe.customers.create({ email: 'other@example.com' }, { idempotencyKey: 'k-1' }),
  );
  assert.equal(diff.statusCode, 400);
  assert.equal(diff.type, 'StripeIdempotencyError');
  assert.equal((diff.raw as { type: string }).type, 'idempotency_error');

  const path = await stripeError(t.stripe.products.create({ name: 'p' }, { idempotencyKey: 'k-1' }));
  assert.equal((path.raw as { type: string }).type, 'idempotency_error');
});

test('idempotency keys are scoped per API key and expire after 24 h of emulator time', async () => {
  const a = await t.stripe.customers.create({ name: 'scoped' }, { idempotencyKey: 'k-scope' });
  const other = await t
    .client('sk_test_other')
    .customers.create({ name: 'scoped' }, { idempotencyKey: 'k-scope' });
  assert.notEqual(other.id, a.id);
  t.emu.app.clock.advance(24 * 3600 + 1);
  const later = await t.stripe.customers.create({ name: 'scoped' }, { idempotencyKey: 'k-scope' });
  assert.notEqual(later.id, a.id);
  t.emu.app.clock.useRealTime();
});

test('errors are replayed for the same idempotency key too', async () => {
  const first = await stripeError(
    t.stripe.prices.create(
      { currency: 'usd', unit_amount: 5, product: 'prod_missing' },
      { idempotencyKey: 'k-err' },
    ),
  );
  assert.equal(first.statusCode, 400);
  const res = await t.raw('POST', '/v1/prices', 'currency=usd&unit_amount=5&product=prod_missing', {
    'Idempotency-Key': 'k-err',
  });
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('idempotent-replayed'), 'true');
});

test('Stripe-Version is accepted and echoed', async () => {
  const res = await t.raw('GET', '/v1/customers', undefined, { 'Stripe-Version': '2024-06-20' });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('stripe-version'), '2024-06-20');
});

test('snapshot and restore keep objects and their order', async () => {
  const c = await t.stripe.customers.create({ name: 'snap' });
  const snap = t.emu.app.snapshot();
  t.emu.app.reset();
  assert.equal((await stripeError(t.stripe.customers.retrieve(c.id))).statusCode, 404);
  t.emu.app.restore(JSON.parse(JSON.stringify(snap)));
  const back = await t.stripe.customers.retrieve(c.id);
  assert.equal((back as { name?: string | null }).name, 'snap');
  const first = await t.stripe.customers.list({ limit: 1 });
  assert.equal(first.data[0]!.id, c.id);
  // Events are kept in compact form; the snapshot file holds them as plain JSON and they come back.
  const saved = snap.collections.event?.at(-1) as { type?: string; object_json?: string } | undefined;
  assert.equal(saved?.type, 'customer.created');
  assert.equal((JSON.parse(saved?.object_json ?? '{}') as { name?: string }).name, 'snap');
  const [event] = (await t.stripe.events.list({ limit: 1 })).data;
  assert.equal(event?.type, 'customer.created');
  assert.deepEqual(event?.data.object, c);
});

test('an idempotent replay answers byte for byte what the first request answered (kept compactly)', async () => {
  const cus = await t.stripe.customers.create({ name: 'Replay é 日本', metadata: { '2': 'b', '1': 'a' } });
  const body = `amount=1234&currency=usd&customer=${cus.id}&expand[]=customer&metadata[k]=v&description=x%22y`;
  const headers = { 'Idempotency-Key': 'k-bytes', 'Content-Type': 'application/x-www-form-urlencoded' };
  const first = await t.raw('POST', '/v1/payment_intents', body, headers);
  assert.equal(first.status, 200);
  const firstText = await first.text();
  // The stored objects change afterwards; the replay must still be the original answer.
  await t.stripe.customers.update(cus.id, { name: 'Changed' });
  const again = await t.raw('POST', '/v1/payment_intents', body, headers);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(await again.text(), firstText);
  assert.equal((JSON.parse(firstText) as { customer: { name: string } }).customer.name, 'Replay é 日本');
});
