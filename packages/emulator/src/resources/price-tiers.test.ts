import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Stripe from 'stripe';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
let product: Stripe.Product;
before(async () => {
  t = await testEmulator();
  product = await t.stripe.products.create({ name: 'Seats' });
});
after(() => t.emu.close());

async function customer(): Promise<Stripe.Customer> {
  return t.stripe.customers.create({
    payment_method: 'pm_card_visa',
    invoice_settings: { default_payment_method: 'pm_card_visa' },
  });
}

async function firstInvoice(price: string, quantity: number): Promise<Stripe.Invoice> {
  const c = await customer();
  const sub = await t.stripe.subscriptions.create({
    customer: c.id,
    items: [{ price, quantity }],
    expand: ['latest_invoice'],
  });
  assert.equal(sub.status, 'active');
  return sub.latest_invoice as Stripe.Invoice;
}

test('a graduated price: tiers only with expand[]=tiers; each tier bills its own units', async () => {
  const price = await t.stripe.prices.create({
    product: product.id,
    currency: 'usd',
    recurring: { interval: 'month' },
    billing_scheme: 'tiered',
    tiers_mode: 'graduated',
    tiers: [
      { up_to: 5, unit_amount: 1000 },
      { up_to: 10, unit_amount: 800, flat_amount: 300 },
      { up_to: 'inf', unit_amount_decimal: Stripe.Decimal.from('500') },
    ],
  });
  assert.equal(price.billing_scheme, 'tiered');
  assert.equal(price.tiers_mode, 'graduated');
  assert.equal(price.unit_amount, null);
  assert.equal(price.tiers, undefined);
  const expanded = await t.stripe.prices.retrieve(price.id, { expand: ['tiers'] });
  // (The SDK turns the *_decimal strings into Decimal objects: compared as strings.)
  const plain = expanded.tiers?.map((tier) => ({
    ...tier,
    flat_amount_decimal: tier.flat_amount_decimal === null ? null : String(tier.flat_amount_decimal),
    unit_amount_decimal: tier.unit_amount_decimal === null ? null : String(tier.unit_amount_decimal),
  }));
  assert.deepEqual(plain, [
    {
      flat_amount: null,
      flat_amount_decimal: null,
      unit_amount: 1000,
      unit_amount_decimal: '1000',
      up_to: 5,
    },
    { flat_amount: 300, flat_amount_decimal: '300', unit_amount: 800, unit_amount_decimal: '800', up_to: 10 },
    {
      flat_amount: null,
      flat_amount_decimal: null,
      unit_amount: 500,
      unit_amount_decimal: '500',
      up_to: null,
    },
  ]);
  // 12 seats: 5 × 10.00 + (5 × 8.00 + 3.00) + 2 × 5.00.
  const inv = await firstInvoice(price.id, 12);
  assert.equal(inv.amount_due, 5000 + 4300 + 1000);
  assert.equal(inv.status, 'paid');
  assert.equal(inv.lines.data[0]!.quantity, 12);
  assert.equal(inv.lines.data[0]!.amount, 10300);
  // 4 seats stay in the first tier.
  assert.equal((await firstInvoice(price.id, 4)).amount_due, 4000);
});

test('a volume price: every unit at the rate of the tier the quantity reaches, plus its flat amount', async () => {
  const price = await t.stripe.prices.create({
    product: product.id,
    currency: 'usd',
    recurring: { interval: 'month' },
    billing_scheme: 'tiered',
    tiers_mode: 'volume',
    tiers: [
      { up_to: 10, unit_amount: 1000, flat_amount: 2000 },
      { up_to: 'inf', unit_amount: 700, flat_amount: 1000 },
    ],
  });
  assert.equal((await firstInvoice(price.id, 3)).amount_due, 3 * 1000 + 2000);
  assert.equal((await firstInvoice(price.id, 10)).amount_due, 10 * 1000 + 2000);
  const eleven = await firstInvoice(price.id, 11);
  assert.equal(eleven.amount_due, 11 * 700 + 1000);
  assert.equal(eleven.lines.data[0]!.description, '11 × Seats (Tier 2 at $7.00 / month)');

  // The renewal bills the quantity then in force.
  const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: Date.UTC(2026, 3, 1) / 1000 });
  const c = await t.stripe.customers.create({
    test_clock: clock.id,
    payment_method: 'pm_card_visa',
    invoice_settings: { default_payment_method: 'pm_card_visa' },
  });
  const sub = await t.stripe.subscriptions.create({
    customer: c.id,
    items: [{ price: price.id, quantity: 2 }],
  });
  await t.stripe.subscriptions.update(sub.id, {
    items: [{ id: sub.items.data[0]!.id, quantity: 20 }],
    proration_behavior: 'none',
  });
  await t.stripe.testHelpers.testClocks.advance(clock.id, {
    frozen_time: sub.items.data[0]!.current_period_end + 60,
  });
  for (let i = 0; i < 400; i++) {
    if ((await t.stripe.testHelpers.testClocks.retrieve(clock.id)).status === 'ready') break;
    await new Promise((r) => setTimeout(r, 5));
  }
  // A quantity change at the clock's time is prorated from the tiered amounts (the whole period left).
  const other = await t.stripe.subscriptions.create({
    customer: c.id,
    items: [{ price: price.id, quantity: 2 }],
  });
  await t.stripe.subscriptions.update(other.id, {
    items: [{ id: other.items.data[0]!.id, quantity: 20 }],
    proration_behavior: 'create_prorations',
  });
  const pending = await t.stripe.invoiceItems.list({ customer: c.id, pending: true });
  assert.deepEqual(
    pending.data.map((ii) => ii.amount).sort((a, b) => a - b),
    [-(2 * 1000 + 2000), 20 * 700 + 1000],
  );
  await t.stripe.subscriptions.cancel(other.id);
  const renewed = await t.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
  const renewal = renewed.latest_invoice as Stripe.Invoice;
  assert.equal(renewal.billing_reason, 'subscription_cycle');
  assert.equal(renewal.amount_due, 20 * 700 + 1000);
});

test('a tiered plan: created with tiers, expand[]=tiers, billed by its tiers', async () => {
  const since = (await t.stripe.events.list({ limit: 1 })).data[0]!.id;
  const plan = await t.stripe.plans.create({
    product: product.id,
    currency: 'usd',
    interval: 'month',
    billing_scheme: 'tiered',
    tiers_mode: 'graduated',
    tiers: [
      { up_to: 2, flat_amount: 5000 },
      { up_to: 'inf', unit_amount: 1500 },
    ],
  });
  assert.equal(plan.billing_scheme, 'tiered');
  assert.equal(plan.tiers_mode, 'graduated');
  assert.equal(plan.amount, null);
  assert.equal(plan.tiers, undefined);
  const expanded = await t.stripe.plans.retrieve(plan.id, { expand: ['tiers'] });
  assert.equal(expanded.tiers?.length, 2);
  assert.equal(expanded.tiers?.[0]?.flat_amount, 5000);
  assert.equal(expanded.tiers?.[1]?.up_to, null);
  const asPrice = await t.stripe.prices.retrieve(plan.id, { expand: ['tiers'] });
  assert.equal(asPrice.tiers?.length, 2);
  const types = (await t.stripe.events.list({ ending_before: since })).data.map((e) => e.type).reverse();
  assert.deepEqual(types, ['plan.created', 'price.created']);
  // 5 seats: the first tier's flat 50.00, then 3 × 15.00.
  assert.equal((await firstInvoice(plan.id, 5)).amount_due, 5000 + 4500);
});

test('tiered price and plan errors: Stripe-shaped 400s naming the parameter', async () => {
  const base = { product: product.id, currency: 'usd', recurring: { interval: 'month' as const } };
  let err = await stripeError(
    t.stripe.prices.create({ ...base, billing_scheme: 'tiered', tiers: [{ up_to: 'inf', unit_amount: 1 }] }),
  );
  assert.equal(err.statusCode, 400);
  assert.equal(err.param, 'tiers_mode');
  assert.equal(err.message, 'Missing required param: tiers_mode.');
  err = await stripeError(
    t.stripe.prices.create({ ...base, billing_scheme: 'tiered', tiers_mode: 'volume' }),
  );
  assert.equal(err.param, 'tiers');
  err = await stripeError(
    t.stripe.prices.create({
      ...base,
      billing_scheme: 'tiered',
      tiers_mode: 'volume',
      tiers: [{ up_to: 5, unit_amount: 1 }],
    }),
  );
  assert.equal(err.param, 'tiers[0][up_to]');
  err = await stripeError(
    t.stripe.prices.create({
      ...base,
      billing_scheme: 'tiered',
      tiers_mode: 'volume',
      tiers: [{ up_to: 'inf' }],
    }),
  );
  assert.equal(err.param, 'tiers[0][unit_amount]');
  err = await stripeError(
    t.stripe.prices.create({
      ...base,
      billing_scheme: 'tiered',
      tiers_mode: 'volume',
      unit_amount: 100,
      tiers: [{ up_to: 'inf', unit_amount: 1 }],
    }),
  );
  assert.equal(err.param, 'unit_amount');
  err = await stripeError(
    t.stripe.prices.create({ ...base, unit_amount: 100, tiers: [{ up_to: 'inf', unit_amount: 1 }] }),
  );
  assert.equal(err.param, 'tiers');
  err = await stripeError(
    t.stripe.prices.create({
      product: product.id,
      currency: 'usd',
      billing_scheme: 'tiered',
      tiers_mode: 'volume',
      tiers: [{ up_to: 'inf', unit_amount: 1 }],
    }),
  );
  assert.equal(err.param, 'billing_scheme');
  err = await stripeError(
    t.stripe.plans.create({
      product: product.id,
      currency: 'usd',
      interval: 'month',
      billing_scheme: 'tiered',
      tiers_mode: 'graduated',
      amount: 100,
      tiers: [{ up_to: 'inf', unit_amount: 1 }],
    }),
  );
  assert.equal(err.param, 'amount');
  err = await stripeError(
    t.stripe.plans.create({
      product: product.id,
      currency: 'usd',
      interval: 'month',
      billing_scheme: 'tiered',
      tiers_mode: 'graduated',
      tiers: [
        { up_to: 5, unit_amount: 1 },
        { up_to: 3, unit_amount: 1 },
        { up_to: 'inf', unit_amount: 1 },
      ],
    }),
  );
  assert.equal(err.param, 'tiers[1][up_to]');
});

test('a quote with a tiered price: its amounts by the tiers, and the accepted subscription bills the same', async () => {
  const price = await t.stripe.prices.create({
    product: product.id,
    currency: 'usd',
    recurring: { interval: 'month' },
    billing_scheme: 'tiered',
    tiers_mode: 'graduated',
    tiers: [
      { up_to: 10, unit_amount: 900 },
      { up_to: 'inf', unit_amount: 600 },
    ],
  });
  const c = await customer();
  const q = await t.stripe.quotes.create({ customer: c.id, line_items: [{ price: price.id, quantity: 15 }] });
  assert.equal(q.amount_total, 10 * 900 + 5 * 600);
  assert.equal(q.computed.recurring?.amount_total, 10 * 900 + 5 * 600);
  await t.stripe.quotes.finalizeQuote(q.id);
  const accepted = await t.stripe.quotes.accept(q.id, { expand: ['subscription.latest_invoice'] });
  const sub = accepted.subscription as Stripe.Subscription;
  assert.equal((sub.latest_invoice as Stripe.Invoice).amount_due, 12000);
});
