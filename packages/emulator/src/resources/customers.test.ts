import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

test('create, retrieve, update and delete a customer, with events', async () => {
  const c = await t.stripe.customers.create({
    email: 'jane@example.com',
    name: 'Jane',
    address: { line1: '1 Main St', country: 'US' },
    metadata: { plan: 'gold' },
  });
  assert.match(c.id, /^cus_/);
  assert.equal(c.object, 'customer');
  assert.equal(c.livemode, false);
  assert.equal(c.address?.line1, '1 Main St');
  assert.equal(c.address?.city, null);
  assert.deepEqual(c.metadata, { plan: 'gold' });

  const got = await t.stripe.customers.retrieve(c.id);
  assert.equal(got.deleted, undefined);

  const up = await t.stripe.customers.update(c.id, { name: 'Jane D', metadata: { plan: '', tier: '2' } });
  assert.equal(up.name, 'Jane D');
  assert.deepEqual(up.metadata, { tier: '2' });

  const updated = await t.stripe.events.list({ type: 'customer.updated', limit: 1 });
  const ev = updated.data[0]!;
  assert.equal((ev.data.object as { id: string }).id, c.id);
  assert.deepEqual(ev.data.previous_attributes, { name: 'Jane', metadata: { plan: 'gold', tier: null } });
  assert.match(ev.request?.id ?? '', /^req_/);

  const del = await t.stripe.customers.del(c.id);
  assert.deepEqual({ id: del.id, deleted: del.deleted }, { id: c.id, deleted: true });
  const again = await t.stripe.customers.retrieve(c.id);
  assert.equal(again.deleted, true);
  const delEv = await t.stripe.events.list({ type: 'customer.deleted', limit: 1 });
  assert.equal((delEv.data[0]!.data.object as { email: string }).email, 'jane@example.com');
  assert.equal((await stripeError(t.stripe.customers.update(c.id, { name: 'x' }))).statusCode, 404);
});

test('unknown id → 404 resource_missing naming the id', async () => {
  const err = await stripeError(t.stripe.customers.retrieve('cus_doesnotexist'));
  assert.equal(err.statusCode, 404);
  assert.equal(err.code, 'resource_missing');
  assert.equal(err.message, "No such customer: 'cus_doesnotexist'");
});

test('bad parameters name the param', async () => {
  const err = await stripeError(t.stripe.customers.create({ balance: 'abc' as unknown as number }));
  assert.equal(err.statusCode, 400);
  assert.equal(err.param, 'balance');
  const meta = await stripeError(t.stripe.customers.create({ metadata: { ['x'.repeat(41)]: 'v' } }));
  assert.equal(meta.param, `metadata[${'x'.repeat(41)}]`);
});

test('list filters by email and pages newest first', async () => {
  const made: string[] = [];
  for (let i = 0; i < 7; i++) made.push((await t.stripe.customers.create({ email: 'page@example.com' })).id);
  const first = await t.stripe.customers.list({ email: 'page@example.com', limit: 3 });
  assert.deepEqual(
    first.data.map((c) => c.id),
    made.slice(-3).reverse(),
  );
  assert.equal(first.has_more, true);
  assert.equal(first.url, '/v1/customers');
  const all: string[] = [];
  for await (const c of t.stripe.customers.list({ email: 'page@example.com', limit: 2 })) all.push(c.id);
  assert.deepEqual(all, [...made].reverse());
  const back = await t.stripe.customers.list({
    email: 'page@example.com',
    limit: 2,
    ending_before: made[2]!,
  });
  assert.deepEqual(
    back.data.map((c) => c.id),
    [made[4], made[3]],
  );
});

test('customers without metadata or locales share nothing that a later update could leak', async () => {
  const a = await t.stripe.customers.create({ name: 'A' });
  const b = await t.stripe.customers.create({ name: 'B' });
  assert.deepEqual(a.metadata, {});
  assert.deepEqual(a.preferred_locales, []);
  await t.stripe.customers.update(a.id, { metadata: { only: 'a' }, preferred_locales: ['fr'] });
  const b2 = await t.stripe.customers.retrieve(b.id);
  assert.equal(b2.deleted, undefined);
  if (b2.deleted) return;
  assert.deepEqual(b2.metadata, {});
  assert.deepEqual(b2.preferred_locales, []);
  const a2 = await t.stripe.customers.retrieve(a.id);
  if (a2.deleted) throw new Error('deleted');
  assert.deepEqual(a2.metadata, { only: 'a' });
  assert.deepEqual(a2.preferred_locales, ['fr']);
  // A third customer still starts empty, and a's created event still shows a's state at creation.
  const c = await t.stripe.customers.create({});
  assert.deepEqual(c.metadata, {});
  const created = (await t.stripe.events.list({ type: 'customer.created', limit: 3 })).data.find(
    (e) => (e.data.object as { id: string }).id === a.id,
  );
  if (created === undefined) throw new Error("a's customer.created event is missing");
  assert.deepEqual((created.data.object as { metadata: unknown }).metadata, {});
});
