import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

test('products: create, update, default_price, archive, delete rules', async () => {
  const prod = await t.stripe.products.create({
    name: 'Pro plan',
    default_price_data: { currency: 'usd', unit_amount: 2000, recurring: { interval: 'month' } },
  });
  assert.match(prod.id, /^prod_/);
  assert.equal(prod.active, true);
  assert.match(String(prod.default_price), /^price_/);
  const expanded = await t.stripe.products.retrieve(prod.id, { expand: ['default_price'] });
  const dp = expanded.default_price as Stripe.Price;
  assert.equal(dp.unit_amount, 2000);
  assert.equal(dp.recurring?.interval, 'month');

  const archived = await t.stripe.products.update(prod.id, { active: false, description: 'old' });
  assert.equal(archived.active, false);
  assert.equal((await t.stripe.products.list({ active: false })).data[0]!.id, prod.id);

  const refused = await stripeError(t.stripe.products.del(prod.id));
  assert.equal(refused.statusCode, 400);
  const bare = await t.stripe.products.create({ name: 'no prices', id: 'my_product' });
  assert.equal(bare.id, 'my_product');
  assert.equal((await t.stripe.products.del(bare.id)).deleted, true);

  const missing = await stripeError(t.stripe.products.create({} as Stripe.ProductCreateParams));
  assert.equal(missing.param, 'name');
  assert.equal(missing.code, 'parameter_missing');
});

test('prices: one-time and recurring, product_data, expand product', async () => {
  const prod = await t.stripe.products.create({ name: 'Credits' });
  const once = await t.stripe.prices.create({ currency: 'eur', unit_amount: 999, product: prod.id });
  assert.equal(once.type, 'one_time');
  assert.equal(once.recurring, null);
  assert.equal(once.unit_amount_decimal?.toString(), '999');
  const rec = await t.stripe.prices.create({
    currency: 'usd',
    unit_amount: 1500,
    recurring: { interval: 'year', interval_count: 1 },
    product_data: { name: 'Yearly' },
    expand: ['product'],
  });
  assert.equal(rec.type, 'recurring');
  assert.equal((rec.product as Stripe.Product).name, 'Yearly');

  const list = await t.stripe.prices.list({ product: prod.id, type: 'one_time' });
  assert.deepEqual(
    list.data.map((p) => p.id),
    [once.id],
  );
  const withProducts = await t.stripe.prices.list({ limit: 2, expand: ['data.product'] });
  assert.equal(typeof withProducts.data[0]!.product, 'object');

  const noProduct = await stripeError(t.stripe.prices.create({ currency: 'usd', unit_amount: 1 }));
  assert.equal(noProduct.param, 'product');
  const badProduct = await stripeError(
    t.stripe.prices.create({ currency: 'usd', unit_amount: 1, product: 'prod_nope' }),
  );
  assert.equal(badProduct.statusCode, 400);
  assert.equal(badProduct.param, 'product');
  const noInterval = await stripeError(
    t.stripe.prices.create({
      currency: 'usd',
      unit_amount: 1,
      product: prod.id,
      recurring: { interval_count: 1 } as Stripe.PriceCreateParams.Recurring,
    }),
  );
  assert.equal(noInterval.param, 'recurring[interval]');
});

test('prices: lookup_key is unique unless transferred; lookup_keys[] filter; price.updated', async () => {
  const prod = await t.stripe.products.create({ name: 'LK' });
  const a = await t.stripe.prices.create({
    currency: 'usd',
    unit_amount: 100,
    product: prod.id,
    lookup_key: 'std',
  });
  const clash = await stripeError(
    t.stripe.prices.create({ currency: 'usd', unit_amount: 200, product: prod.id, lookup_key: 'std' }),
  );
  assert.equal(clash.param, 'lookup_key');
  const b = await t.stripe.prices.create({
    currency: 'usd',
    unit_amount: 200,
    product: prod.id,
    lookup_key: 'std',
    transfer_lookup_key: true,
  });
  assert.equal((await t.stripe.prices.retrieve(a.id)).lookup_key, null);
  const found = await t.stripe.prices.list({ lookup_keys: ['std', 'other'] });
  assert.deepEqual(
    found.data.map((p) => p.id),
    [b.id],
  );

  await t.stripe.prices.update(b.id, { active: false, nickname: 'old' });
  const ev = await t.stripe.events.list({ type: 'price.updated', limit: 1 });
  assert.deepEqual(ev.data[0]!.data.previous_attributes, { active: true, nickname: null });
  assert.equal((await t.stripe.prices.list({ active: false, product: prod.id })).data.length, 1);
});

test('coupons: percent and amount, durations, validation, delete', async () => {
  const pct = await t.stripe.coupons.create({
    percent_off: 25,
    duration: 'repeating',
    duration_in_months: 3,
  });
  assert.equal(pct.percent_off, 25);
  assert.equal(pct.duration_in_months, 3);
  const amt = await t.stripe.coupons.create({
    id: 'TENOFF',
    amount_off: 1000,
    currency: 'usd',
    duration: 'forever',
  });
  assert.equal(amt.id, 'TENOFF');
  assert.equal(amt.valid, true);

  assert.equal((await stripeError(t.stripe.coupons.create({ duration: 'once' }))).statusCode, 400);
  assert.equal((await stripeError(t.stripe.coupons.create({ amount_off: 5 }))).param, 'currency');
  assert.equal(
    (await stripeError(t.stripe.coupons.create({ percent_off: 5, duration: 'repeating' }))).param,
    'duration_in_months',
  );
  assert.equal((await stripeError(t.stripe.coupons.create({ percent_off: 150 }))).param, 'percent_off');

  const del = await t.stripe.coupons.del('TENOFF');
  assert.equal(del.deleted, true);
  assert.equal((await stripeError(t.stripe.coupons.retrieve('TENOFF'))).code, 'resource_missing');
  const types = (await t.stripe.events.list({ types: ['coupon.created', 'coupon.deleted'] })).data.map(
    (e) => e.type,
  );
  assert.deepEqual(types, ['coupon.deleted', 'coupon.created', 'coupon.created']);
});
