import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { API_VERSION } from '../core/version.js';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

test('events carry the object snapshot, api_version and the request', async () => {
  const c = await t.stripe.customers.create({ name: 'Before' }, { idempotencyKey: 'ev-1' });
  await t.stripe.customers.update(c.id, { name: 'After' });
  const created = (await t.stripe.events.list({ type: 'customer.created', limit: 1 })).data[0]!;
  assert.match(created.id, /^evt_/);
  assert.equal(created.api_version, API_VERSION);
  assert.equal(created.livemode, false);
  assert.equal((created.data.object as { name: string }).name, 'Before', 'snapshot, not the live object');
  assert.equal(created.request?.idempotency_key, 'ev-1');
  const again = await t.stripe.events.retrieve(created.id);
  assert.deepEqual(again.data, created.data);
});

test('type wildcards, types[] and created filters', async () => {
  await t.stripe.products.create({ name: 'E' });
  const customer = await t.stripe.events.list({ type: 'customer.*' });
  assert.ok(customer.data.length >= 2);
  assert.ok(customer.data.every((e) => e.type.startsWith('customer.')));
  const many = await t.stripe.events.list({ types: ['product.created', 'customer.updated'] });
  assert.deepEqual(new Set(many.data.map((e) => e.type)), new Set(['product.created', 'customer.updated']));
  const future = await t.stripe.events.list({ created: { gt: Math.floor(Date.now() / 1000) + 3600 } });
  assert.equal(future.data.length, 0);
  const err = await stripeError(t.stripe.events.retrieve('evt_nope'));
  assert.equal(err.code, 'resource_missing');
});
