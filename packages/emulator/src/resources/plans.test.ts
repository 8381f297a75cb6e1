import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import {
  eventMark,
  eventsSince as eventsSinceOf,
  stripeError,
  type TestEmulator,
  testEmulator,
} from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

const mark = () => eventMark(t.stripe);
const eventsSince = (since: string) => eventsSinceOf(t.stripe, since);

test('create a plan with an inline product and a custom id; plan.created then price.created', async () => {
  const since = await mark();
  const plan = await t.stripe.plans.create({
    id: 'gold-monthly',
    amount: 2000,
    currency: 'usd',
    interval: 'month',
    product: { name: 'Gold' },
    nickname: 'Gold monthly',
    trial_period_days: 7,
    metadata: { tier: 'gold' },
  });
  assert.equal(plan.id, 'gold-monthly');
  assert.equal(plan.object, 'plan');
  assert.equal(plan.amount, 2000);
  assert.equal(plan.amount_decimal?.toString(), '2000');
  assert.equal(plan.interval, 'month');
  assert.equal(plan.interval_count, 1);
  assert.equal(plan.usage_type, 'licensed');
  assert.equal(plan.billing_scheme, 'per_unit');
  assert.equal(plan.trial_period_days, 7);
  assert.equal(plan.active, true);
  assert.deepEqual(plan.metadata, { tier: 'gold' });
  assert.match(String(plan.product), /^prod_/);
  const events = await eventsSince(since);
  assert.deepEqual(
    events.map((e) => e.type),
    ['product.created', 'plan.created', 'price.created'],
  );
  assert.equal((events[1]!.data.object as Stripe.Plan).id, 'gold-monthly');

  // The same object as a price.
  const price = await t.stripe.prices.retrieve('gold-monthly');
  assert.equal(price.type, 'recurring');
  assert.equal(price.unit_amount, 2000);
  assert.equal(price.recurring?.trial_period_days, 7);
  const expanded = await t.stripe.plans.retrieve('gold-monthly', { expand: ['product'] });
  assert.equal((expanded.product as Stripe.Product).name, 'Gold');

  const dup = await stripeError(
    t.stripe.plans.create({
      id: 'gold-monthly',
      amount: 1,
      currency: 'usd',
      interval: 'month',
      product: 'x',
    }),
  );
  assert.equal(dup.statusCode, 400);
  assert.equal(dup.code, 'resource_already_exists');
  assert.equal(dup.param, 'id');
  assert.equal(dup.message, 'Plan already exists.');
});

test('a recurring price is a plan, a one-time price is not; a plan id subscribes like a price', async () => {
  const product = await t.stripe.products.create({ name: 'Silver' });
  const recurring = await t.stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 900,
    recurring: { interval: 'year' },
  });
  const asPlan = await t.stripe.plans.retrieve(recurring.id);
  assert.equal(asPlan.object, 'plan');
  assert.equal(asPlan.interval, 'year');
  assert.equal(asPlan.amount, 900);
  const once = await t.stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 500 });
  const err = await stripeError(t.stripe.plans.retrieve(once.id));
  assert.equal(err.statusCode, 404);
  assert.equal(err.code, 'resource_missing');
  assert.equal(err.message, `No such plan: '${once.id}'`);

  const plan = await t.stripe.plans.create({
    amount: 1500,
    currency: 'usd',
    interval: 'week',
    product: product.id,
  });
  assert.match(plan.id, /^price_/);
  const customer = await t.stripe.customers.create({
    payment_method: 'pm_card_visa',
    invoice_settings: { default_payment_method: 'pm_card_visa' },
  });
  const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: plan.id }] });
  assert.equal(sub.status, 'active');
  assert.equal(sub.items.data[0]!.plan.id, plan.id);
  assert.equal(sub.items.data[0]!.plan.interval, 'week');
  assert.equal(sub.items.data[0]!.price.id, plan.id);
});

test('plan errors: missing interval, amount, product; unknown product', async () => {
  let err = await stripeError(
    t.stripe.plans.create({ amount: 100, currency: 'usd', product: 'prod_x' } as Stripe.PlanCreateParams),
  );
  assert.equal(err.code, 'parameter_missing');
  assert.equal(err.param, 'interval');
  assert.equal(err.message, 'Missing required param: interval.');
  const product = await t.stripe.products.create({ name: 'Bronze' });
  err = await stripeError(t.stripe.plans.create({ currency: 'usd', interval: 'month', product: product.id }));
  assert.equal(err.statusCode, 400);
  assert.equal(err.param, 'amount');
  assert.equal(err.message, 'Plans require an `amount` parameter to be set when `billing_scheme=per_unit`.');
  err = await stripeError(t.stripe.plans.create({ amount: 100, currency: 'usd', interval: 'month' }));
  assert.equal(err.code, 'parameter_missing');
  assert.equal(err.param, 'product');
  err = await stripeError(
    t.stripe.plans.create({ amount: 100, currency: 'usd', interval: 'month', product: 'prod_nope' }),
  );
  assert.equal(err.code, 'resource_missing');
  assert.equal(err.param, 'product');
  assert.equal(err.message, "No such product: 'prod_nope'");
  err = await stripeError(t.stripe.plans.update('plan_nope', { active: false }));
  assert.equal(err.statusCode, 404);
  assert.equal(err.message, "No such plan: 'plan_nope'");
  const res = await t.raw('POST', '/v1/plans', 'amount=1&currency=usd&interval=month&product=x&colour=red');
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { error: { param: string } }).error.param, 'colour');
});

test('update, list with filters and pagination, delete: plan.updated / plan.deleted', async () => {
  const product = await t.stripe.products.create({ name: 'Listed' });
  const other = await t.stripe.products.create({ name: 'Other' });
  const a = await t.stripe.plans.create({
    amount: 100,
    currency: 'usd',
    interval: 'month',
    product: product.id,
  });
  const b = await t.stripe.plans.create({
    amount: 200,
    currency: 'usd',
    interval: 'month',
    product: product.id,
  });
  let since = await mark();
  const updated = await t.stripe.plans.update(a.id, { active: false, nickname: 'old', metadata: { x: '1' } });
  assert.equal(updated.active, false);
  assert.equal(updated.nickname, 'old');
  let events = await eventsSince(since);
  assert.deepEqual(
    events.map((e) => e.type),
    ['plan.updated', 'price.updated'],
  );
  assert.deepEqual(events[0]!.data.previous_attributes, {
    active: true,
    nickname: null,
    metadata: { x: null },
  });

  const mine = await t.stripe.plans.list({ product: product.id });
  assert.deepEqual(
    mine.data.map((p) => p.id),
    [b.id, a.id],
  );
  assert.ok(mine.data.every((p) => p.object === 'plan'));
  const active = await t.stripe.plans.list({ product: product.id, active: true });
  assert.deepEqual(
    active.data.map((p) => p.id),
    [b.id],
  );
  const page = await t.stripe.plans.list({ product: product.id, limit: 1 });
  assert.equal(page.has_more, true);
  const all: string[] = [];
  for await (const p of t.stripe.plans.list({ product: product.id, limit: 1 })) all.push(p.id);
  assert.deepEqual(all, [b.id, a.id]);
  const moved = await t.stripe.plans.update(b.id, { product: other.id });
  assert.equal(moved.product, other.id);

  since = await mark();
  const deleted = await t.stripe.plans.del(a.id);
  assert.deepEqual(deleted, { id: a.id, object: 'plan', deleted: true });
  events = await eventsSince(since);
  assert.deepEqual(
    events.map((e) => e.type),
    ['plan.deleted', 'price.deleted'],
  );
  const gone = await stripeError(t.stripe.plans.retrieve(a.id));
  assert.equal(gone.statusCode, 404);
});
