import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

async function lastEventId(): Promise<string | undefined> {
  return (await t.stripe.events.list({ limit: 1 })).data[0]?.id;
}

async function typesSince(eventId: string | undefined): Promise<string[]> {
  const out: string[] = [];
  for await (const e of t.stripe.events.list({ limit: 100 })) {
    if (e.id === eventId) break;
    out.push(e.type);
  }
  return out.reverse();
}

const taxOf = (inv: Stripe.Invoice) => (inv.total_taxes ?? []).reduce((s, x) => s + x.amount, 0);

test('tax rates: create, retrieve, update, list with filters; events', async () => {
  const mark = await lastEventId();
  const vat = await t.stripe.taxRates.create({
    display_name: 'VAT',
    inclusive: true,
    percentage: 20,
    country: 'de',
    jurisdiction: 'DE',
    description: 'German VAT',
    tax_type: 'vat',
    metadata: { k: 'v' },
  });
  assert.match(vat.id, /^txr_/);
  assert.equal(vat.object, 'tax_rate');
  assert.deepEqual(
    [vat.active, vat.inclusive, vat.percentage, vat.effective_percentage, vat.country, vat.jurisdiction],
    [true, true, 20, 20, 'DE', 'DE'],
  );
  assert.deepEqual([vat.rate_type, vat.tax_type, vat.flat_amount], ['percentage', 'vat', null]);
  const sales = await t.stripe.taxRates.create({
    display_name: 'Sales tax',
    inclusive: false,
    percentage: 8.25,
  });
  assert.equal((await t.stripe.taxRates.retrieve(sales.id)).percentage, 8.25);
  const updated = await t.stripe.taxRates.update(sales.id, { active: false, display_name: 'CA sales tax' });
  assert.deepEqual([updated.active, updated.display_name], [false, 'CA sales tax']);
  assert.deepEqual(await typesSince(mark), ['tax_rate.created', 'tax_rate.created', 'tax_rate.updated']);
  const inactive = await t.stripe.taxRates.list({ active: false });
  assert.deepEqual(
    inactive.data.map((r) => r.id),
    [sales.id],
  );
  const inclusive = await t.stripe.taxRates.list({ inclusive: true, limit: 1 });
  assert.deepEqual(
    inclusive.data.map((r) => r.id),
    [vat.id],
  );
  const page = await t.stripe.taxRates.list({ limit: 1 });
  assert.equal(page.has_more, true);
  const next = await t.stripe.taxRates.list({ limit: 1, starting_after: page.data[0]!.id });
  assert.equal(next.data[0]!.id, vat.id);
});

test('tax rates: missing, invalid and unknown parameters; unknown id', async () => {
  const missing = await stripeError(t.stripe.taxRates.create({ display_name: 'X', percentage: 5 } as never));
  assert.deepEqual(
    [missing.statusCode, missing.code, missing.param],
    [400, 'parameter_missing', 'inclusive'],
  );
  const range = await stripeError(
    t.stripe.taxRates.create({ display_name: 'X', inclusive: false, percentage: 101 }),
  );
  assert.deepEqual(
    [range.statusCode, range.rawType, range.param],
    [400, 'invalid_request_error', 'percentage'],
  );
  const notUpdatable = await stripeError(
    t.stripe.taxRates.update('txr_x', { percentage: 3 } as Stripe.TaxRateUpdateParams),
  );
  assert.deepEqual([notUpdatable.code, notUpdatable.param], ['parameter_unknown', 'percentage']);
  const nope = await stripeError(t.stripe.taxRates.retrieve('txr_nope'));
  assert.deepEqual([nope.statusCode, nope.code, nope.param], [404, 'resource_missing', 'id']);
  assert.equal(nope.message, "No such tax_rate: 'txr_nope'");
});

test('invoice tax: exclusive adds to the total, inclusive does not; default_tax_rates and item rates', async () => {
  const exclusive = await t.stripe.taxRates.create({
    display_name: 'Sales',
    inclusive: false,
    percentage: 10,
  });
  const inclusive = await t.stripe.taxRates.create({ display_name: 'VAT', inclusive: true, percentage: 25 });
  const c = await t.stripe.customers.create({});
  // One item with its own (inclusive) rate, one falling back to the invoice's default (exclusive).
  const own = await t.stripe.invoiceItems.create({
    customer: c.id,
    amount: 1250,
    currency: 'usd',
    tax_rates: [inclusive.id],
  });
  assert.deepEqual(
    own.tax_rates?.map((r) => r.id),
    [inclusive.id],
  );
  await t.stripe.invoiceItems.create({ customer: c.id, amount: 2000, currency: 'usd' });
  const inv = await t.stripe.invoices.create({
    customer: c.id,
    pending_invoice_items_behavior: 'include',
    default_tax_rates: [exclusive.id],
  });
  assert.deepEqual(
    inv.default_tax_rates.map((r) => r.id),
    [exclusive.id],
  );
  assert.equal(inv.subtotal, 3250);
  // Inclusive: 1250 × 25/125 = 250 is tax inside the amount; exclusive: 2000 × 10 % = 200 on top.
  assert.equal(inv.total, 3450);
  assert.equal(taxOf(inv), 450);
  assert.equal(inv.total_excluding_tax, 3000);
  assert.equal(inv.subtotal_excluding_tax, 3000);
  assert.equal(inv.amount_due, 3450);
  const byRate = Object.fromEntries((inv.total_taxes ?? []).map((x) => [x.tax_rate_details?.tax_rate, x]));
  assert.deepEqual(
    [byRate[inclusive.id]?.amount, byRate[inclusive.id]?.tax_behavior, byRate[inclusive.id]?.taxable_amount],
    [250, 'inclusive', 1000],
  );
  assert.deepEqual(
    [byRate[exclusive.id]?.amount, byRate[exclusive.id]?.tax_behavior, byRate[exclusive.id]?.taxable_amount],
    [200, 'exclusive', 2000],
  );
  const line = inv.lines.data.find((l) => l.amount === 1250)!;
  assert.deepEqual(
    line.taxes?.map((x) => [x.amount, x.type, x.tax_rate_details?.tax_rate]),
    [[250, 'tax_rate_details', inclusive.id]],
  );
  // Removing the default rate on the draft removes its tax.
  const cleared = await t.stripe.invoices.update(inv.id, { default_tax_rates: '' as unknown as string[] });
  assert.deepEqual([cleared.total, taxOf(cleared)], [3250, 250]);
  const finalized = await t.stripe.invoices.finalizeInvoice(inv.id);
  assert.equal(finalized.amount_due, 3250);
  const locked = await stripeError(t.stripe.invoices.update(inv.id, { default_tax_rates: [exclusive.id] }));
  assert.deepEqual([locked.code, locked.param], ['invoice_not_editable', 'default_tax_rates']);
});

test('tax is computed after discounts; unknown and inactive rates are refused naming the param', async () => {
  const rate = await t.stripe.taxRates.create({ display_name: 'Sales', inclusive: false, percentage: 10 });
  const coupon = await t.stripe.coupons.create({ amount_off: 500, currency: 'usd' });
  const c = await t.stripe.customers.create({});
  await t.stripe.invoiceItems.create({ customer: c.id, amount: 3000, currency: 'usd' });
  const inv = await t.stripe.invoices.create({
    customer: c.id,
    pending_invoice_items_behavior: 'include',
    discounts: [{ coupon: coupon.id }],
    default_tax_rates: [rate.id],
  });
  assert.equal(taxOf(inv), 250);
  assert.equal(inv.total, 2750);
  assert.equal(inv.total_excluding_tax, 2500);
  const unknown = await stripeError(
    t.stripe.invoices.create({ customer: c.id, default_tax_rates: ['txr_nope'] }),
  );
  assert.deepEqual(
    [unknown.statusCode, unknown.code, unknown.param, unknown.message],
    [400, 'resource_missing', 'default_tax_rates[0]', "No such tax_rate: 'txr_nope'"],
  );
  const off = await t.stripe.taxRates.create({
    display_name: 'Old',
    inclusive: false,
    percentage: 5,
    active: false,
  });
  const inactive = await stripeError(
    t.stripe.invoiceItems.create({ customer: c.id, amount: 100, currency: 'usd', tax_rates: [off.id] }),
  );
  assert.deepEqual([inactive.statusCode, inactive.param], [400, 'tax_rates[0]']);
});

test('subscriptions: default_tax_rates and item tax_rates reach their invoices', async () => {
  const sales = await t.stripe.taxRates.create({ display_name: 'Sales', inclusive: false, percentage: 5 });
  const vat = await t.stripe.taxRates.create({ display_name: 'VAT', inclusive: true, percentage: 20 });
  const product = await t.stripe.products.create({ name: 'Plan' });
  const a = await t.stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 1200,
    recurring: { interval: 'month' },
  });
  const b = await t.stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 1000,
    recurring: { interval: 'month' },
  });
  const c = await t.stripe.customers.create({ payment_method: 'pm_card_visa' });
  const pm = (await t.stripe.customers.listPaymentMethods(c.id)).data[0]!.id;
  const sub = await t.stripe.subscriptions.create({
    customer: c.id,
    default_payment_method: pm,
    default_tax_rates: [sales.id],
    items: [{ price: a.id, tax_rates: [vat.id] }, { price: b.id }],
    expand: ['latest_invoice'],
  });
  assert.deepEqual(
    sub.default_tax_rates?.map((r) => r.id),
    [sales.id],
  );
  assert.deepEqual(
    sub.items.data[0]!.tax_rates?.map((r) => r.id),
    [vat.id],
  );
  const inv = sub.latest_invoice as Stripe.Invoice;
  assert.deepEqual(
    inv.default_tax_rates.map((r) => r.id),
    [sales.id],
  );
  // 1200 with 20 % inclusive VAT (200 inside) + 1000 with 5 % sales tax (50 on top).
  assert.equal(inv.subtotal, 2200);
  assert.equal(inv.total, 2250);
  assert.equal(taxOf(inv), 250);
  assert.equal(inv.amount_paid, 2250);
  const bad = await stripeError(
    t.stripe.subscriptions.create({ customer: c.id, items: [{ price: a.id, tax_rates: ['txr_nope'] }] }),
  );
  assert.deepEqual([bad.code, bad.param], ['resource_missing', 'items[0][tax_rates][0]']);
});

test('subscriptions: add_invoice_items[n][tax_rates] and subscription item tax_rates updates', async () => {
  const rate = await t.stripe.taxRates.create({ display_name: 'GST', inclusive: false, percentage: 10 });
  const product = await t.stripe.products.create({ name: 'Plan' });
  const monthly = await t.stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 1000,
    recurring: { interval: 'month' },
  });
  const setup = await t.stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 500 });
  const c = await t.stripe.customers.create({ payment_method: 'pm_card_visa' });
  const pm = (await t.stripe.customers.listPaymentMethods(c.id)).data[0]!.id;
  const sub = await t.stripe.subscriptions.create({
    customer: c.id,
    default_payment_method: pm,
    items: [{ price: monthly.id }],
    add_invoice_items: [{ price: setup.id, tax_rates: [rate.id] }],
    expand: ['latest_invoice'],
  });
  const inv = sub.latest_invoice as Stripe.Invoice;
  // Only the one-time item is taxed: 500 × 10 %.
  assert.deepEqual([inv.subtotal, inv.total, taxOf(inv)], [1500, 1550, 50]);
  const item = await t.stripe.subscriptionItems.update(sub.items.data[0]!.id, {
    tax_rates: [rate.id],
    proration_behavior: 'none',
  });
  assert.deepEqual(
    item.tax_rates?.map((r) => r.id),
    [rate.id],
  );
  const cleared = await t.stripe.subscriptionItems.update(item.id, {
    tax_rates: '' as unknown as string[],
    proration_behavior: 'none',
  });
  assert.deepEqual(cleared.tax_rates, []);
});

test('create_preview: the subscription’s rates, and subscription_details[default_tax_rates] / items[n][tax_rates]', async () => {
  const rate = await t.stripe.taxRates.create({ display_name: 'Sales', inclusive: false, percentage: 10 });
  const other = await t.stripe.taxRates.create({ display_name: 'State', inclusive: false, percentage: 5 });
  const product = await t.stripe.products.create({ name: 'Plan' });
  const price = await t.stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: 2000,
    recurring: { interval: 'month' },
  });
  const c = await t.stripe.customers.create({ payment_method: 'pm_card_visa' });
  const pm = (await t.stripe.customers.listPaymentMethods(c.id)).data[0]!.id;
  const sub = await t.stripe.subscriptions.create({
    customer: c.id,
    default_payment_method: pm,
    items: [{ price: price.id }],
    default_tax_rates: [rate.id],
  });
  const next = await t.stripe.invoices.createPreview({ subscription: sub.id });
  assert.deepEqual([next.subtotal, next.total, taxOf(next)], [2000, 2200, 200]);
  const changed = await t.stripe.invoices.createPreview({
    subscription: sub.id,
    subscription_details: {
      default_tax_rates: [other.id],
      items: [{ id: sub.items.data[0]!.id, tax_rates: [rate.id, other.id] }],
      proration_behavior: 'none',
    },
  });
  assert.deepEqual([changed.total, taxOf(changed)], [2300, 300]);
  // The preview changed nothing.
  const again = await t.stripe.subscriptions.retrieve(sub.id);
  assert.deepEqual(
    again.default_tax_rates?.map((r) => r.id),
    [rate.id],
  );
  assert.deepEqual(again.items.data[0]!.tax_rates, []);
});
