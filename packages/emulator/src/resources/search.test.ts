import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

test('customers.search: email, name~, metadata, created, AND/OR, negation, pages', async () => {
  const clock = t.emu.app.clock;
  clock.set(Date.parse('2026-01-01T00:00:00Z') / 1000);
  const jane = await t.stripe.customers.create({
    email: 'jane@example.com',
    name: 'Jane Doe',
    metadata: { plan: 'gold' },
  });
  clock.set(Date.parse('2026-02-01T00:00:00Z') / 1000);
  const john = await t.stripe.customers.create({
    email: 'john@example.com',
    name: 'John Roe',
    metadata: { plan: 'free' },
  });
  const ids = (r: { data: { id: string }[] }) => r.data.map((c) => c.id);

  const byEmail = await t.stripe.customers.search({ query: 'email:"jane@example.com"' });
  assert.equal(byEmail.object, 'search_result');
  assert.equal(byEmail.url, '/v1/customers/search');
  assert.deepEqual(ids(byEmail), [jane.id]);
  assert.equal(byEmail.has_more, false);
  assert.equal(byEmail.next_page, null);

  assert.deepEqual(ids(await t.stripe.customers.search({ query: "metadata['plan']:'free'" })), [john.id]);
  assert.deepEqual(ids(await t.stripe.customers.search({ query: 'name~"Roe"' })), [john.id]);
  const created = Math.floor(new Date('2026-01-15T00:00:00Z').getTime() / 1000);
  assert.deepEqual(ids(await t.stripe.customers.search({ query: `created>${created}` })), [john.id]);
  assert.deepEqual(
    ids(await t.stripe.customers.search({ query: 'email:"jane@example.com" OR name:"John Roe"' })),
    [john.id, jane.id],
  );
  assert.deepEqual(
    ids(await t.stripe.customers.search({ query: "metadata['plan']:'gold' AND -email:'john@example.com'" })),
    [jane.id],
  );

  const page1 = await t.stripe.customers.search({ query: 'created>0', limit: 1, expand: ['total_count'] });
  assert.deepEqual(ids(page1), [john.id]);
  assert.equal(page1.has_more, true);
  assert.equal(page1.total_count, 2);
  assert.ok(page1.next_page);
  const page2 = await t.stripe.customers.search({ query: 'created>0', limit: 1, page: page1.next_page! });
  assert.deepEqual(ids(page2), [jane.id]);
  assert.equal(page2.next_page, null);
  const all: string[] = [];
  for await (const c of t.stripe.customers.search({ query: 'created>0', limit: 1 })) all.push(c.id);
  assert.deepEqual(all, [john.id, jane.id]);
  clock.useRealTime();
});

test('the other searchable resources', async () => {
  const product = await t.stripe.products.create({ name: 'Pro plan', metadata: { tier: 'pro' } });
  const price = await t.stripe.prices.create({
    currency: 'usd',
    unit_amount: 1500,
    product: product.id,
    lookup_key: 'pro_monthly',
    recurring: { interval: 'month' },
  });
  assert.deepEqual(
    (await t.stripe.products.search({ query: 'name~"Pro" AND active:"true"' })).data.map((p) => p.id),
    [product.id],
  );
  assert.deepEqual(
    (
      await t.stripe.prices.search({ query: `product:"${product.id}" AND lookup_key:"pro_monthly"` })
    ).data.map((p) => p.id),
    [price.id],
  );
  const customer = await t.stripe.customers.create({ email: 'sub@example.com' });
  const sub = await t.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    collection_method: 'send_invoice',
    days_until_due: 30,
    metadata: { order: '42' },
  });
  assert.deepEqual(
    (await t.stripe.subscriptions.search({ query: "status:'active' AND metadata['order']:'42'" })).data.map(
      (s) => s.id,
    ),
    [sub.id],
  );
  const invoices = await t.stripe.invoices.search({ query: `customer:"${customer.id}" AND total>=1500` });
  assert.equal(invoices.data.length, 1);
  assert.equal(invoices.data[0]!.customer, customer.id);
  const pi = await t.stripe.paymentIntents.create({
    amount: 2500,
    currency: 'usd',
    metadata: { cart: 'c1' },
  });
  assert.deepEqual(
    (await t.stripe.paymentIntents.search({ query: "amount:2500 AND metadata['cart']:'c1'" })).data.map(
      (p) => p.id,
    ),
    [pi.id],
  );
  const paid = await t.stripe.paymentIntents.create({
    amount: 3100,
    currency: 'usd',
    confirm: true,
    payment_method: 'pm_card_visa',
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
  });
  const charges = await t.stripe.charges.search({ query: 'amount>3000 AND status:"succeeded"' });
  assert.deepEqual(
    charges.data.map((c) => c.payment_intent),
    [paid.id],
  );
  const withCustomer = await t.stripe.invoices.search({
    query: `customer:"${customer.id}"`,
    expand: ['data.customer'],
  });
  assert.equal((withCustomer.data[0]!.customer as { email: string }).email, 'sub@example.com');
});

test('Stripe’s query errors', async () => {
  const cases: [string, RegExp][] = [
    ['email', /unable to parse your search query/],
    ['email:"a@b.c" AND name:"x" OR phone:"1"', /both AND and OR/],
    ['colour:"red"', /Field 'colour' is an unsupported search field for resource customers/],
    ['name~"ab"', /at least 3 characters/],
    ['created>soon', /must be a number/],
    ['email>3', /operator '>' is not supported/],
  ];
  for (const [query, message] of cases) {
    const err = await stripeError(t.stripe.customers.search({ query }));
    assert.equal(err.statusCode, 400, query);
    assert.equal(err.param, 'query', query);
    assert.equal(err.code, 'search_query_invalid', query);
    assert.match(err.message, message, query);
  }
  const noQuery = await stripeError(t.stripe.customers.search({} as { query: string }));
  assert.deepEqual([noQuery.code, noQuery.param], ['parameter_missing', 'query']);
  const page = await stripeError(t.stripe.customers.search({ query: 'created>0', page: 'nonsense' }));
  assert.equal(page.param, 'page');
});
