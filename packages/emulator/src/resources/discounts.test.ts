import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
let price: Stripe.Price;
before(async () => {
  t = await testEmulator();
  price = await t.stripe.prices.create({
    currency: 'usd',
    unit_amount: 2000,
    recurring: { interval: 'month' },
    product_data: { name: 'Pro' },
  });
});
after(() => t.emu.close());

const subscribe = (customer: string, promotion_code: string) =>
  t.stripe.subscriptions.create({
    customer,
    items: [{ price: price.id }],
    collection_method: 'send_invoice',
    days_until_due: 30,
    discounts: [{ promotion_code }],
    expand: ['latest_invoice'],
  });

test('a promotion code on a subscription: the discount, its first invoice, redemptions and events', async () => {
  const coupon = await t.stripe.coupons.create({ percent_off: 25, duration: 'forever' });
  const promo = await t.stripe.promotionCodes.create({
    promotion: { type: 'coupon', coupon: coupon.id },
    code: 'QUARTER',
    max_redemptions: 1,
  });
  const customer = await t.stripe.customers.create({ email: 'promo@example.com' });
  const sub = await subscribe(customer.id, promo.id);
  assert.equal(sub.discounts.length, 1);
  const discount = await t.stripe.subscriptions.retrieve(sub.id, { expand: ['discounts'] });
  const d = discount.discounts[0] as Stripe.Discount;
  assert.equal(d.promotion_code, promo.id);
  assert.equal(d.subscription, sub.id);
  assert.equal(d.customer, customer.id);
  assert.equal((sub.latest_invoice as Stripe.Invoice).total, 1500);
  assert.equal((await t.stripe.promotionCodes.retrieve(promo.id)).times_redeemed, 1);

  const events = (await t.stripe.events.list({ limit: 20 })).data.map((e) => e.type).reverse();
  assert.ok(events.indexOf('customer.discount.created') < events.indexOf('customer.subscription.created'));
  assert.ok(events.includes('coupon.created'));
  assert.ok(events.includes('promotion_code.created'));

  const other = await t.stripe.customers.create({});
  const usedUp = await stripeError(subscribe(other.id, promo.id));
  assert.deepEqual(
    [usedUp.statusCode, usedUp.param, usedUp.message],
    [
      400,
      'discounts[0][promotion_code]',
      'This promotion code cannot be redeemed because it has been used the maximum number of times.',
    ],
  );

  const removed = await t.stripe.subscriptions.deleteDiscount(sub.id);
  assert.equal(removed.deleted, true);
  assert.equal(removed.id, d.id);
  assert.deepEqual((await t.stripe.subscriptions.retrieve(sub.id)).discounts, []);
  const deleted = await t.stripe.events.list({ type: 'customer.discount.deleted', limit: 1 });
  assert.equal((deleted.data[0]!.data.object as Stripe.Discount).id, d.id);
  const again = await stripeError(t.stripe.subscriptions.deleteDiscount(sub.id));
  assert.equal(again.statusCode, 404);
});

test('promotion-code restrictions: customer, expiry, minimum amount, first transaction', async () => {
  const coupon = await t.stripe.coupons.create({ amount_off: 500, currency: 'usd', duration: 'once' });
  const jane = await t.stripe.customers.create({ email: 'jane@example.com' });
  const john = await t.stripe.customers.create({ email: 'john@example.com' });
  const promotion = { type: 'coupon' as const, coupon: coupon.id };

  const janes = await t.stripe.promotionCodes.create({ promotion, code: 'JANE', customer: jane.id });
  const notJohn = await stripeError(subscribe(john.id, janes.id));
  assert.equal(notJohn.param, 'discounts[0][promotion_code]');
  assert.equal(
    notJohn.message,
    'This promotion code cannot be redeemed by this customer because it is restricted to another customer.',
  );

  const big = await t.stripe.promotionCodes.create({
    promotion,
    code: 'BIG',
    restrictions: { minimum_amount: 5000, minimum_amount_currency: 'usd' },
  });
  const small = await stripeError(subscribe(john.id, big.id));
  assert.equal(
    small.message,
    'This promotion code cannot be redeemed because the order amount is below its minimum of $50.00.',
  );

  const clock = t.emu.app.clock;
  const soon = await t.stripe.promotionCodes.create({
    promotion,
    code: 'SOON',
    expires_at: clock.now() + 3600,
  });
  clock.set(clock.now() + 7200);
  const expired = await stripeError(subscribe(john.id, soon.id));
  assert.equal(expired.message, 'This promotion code has expired.');
  clock.useRealTime();

  const first = await t.stripe.promotionCodes.create({
    promotion,
    code: 'WELCOME',
    restrictions: { first_time_transaction: true },
  });
  await t.stripe.paymentIntents.create({
    amount: 1000,
    currency: 'usd',
    customer: john.id,
    payment_method: 'pm_card_visa',
    confirm: true,
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
  });
  const returning = await stripeError(subscribe(john.id, first.id));
  assert.equal(
    returning.message,
    'This promotion code cannot be redeemed because the associated customer has prior transactions.',
  );
  const welcomed = await subscribe(jane.id, first.id);
  assert.equal((welcomed.latest_invoice as Stripe.Invoice).total, 1500);

  const missing = await stripeError(subscribe(jane.id, 'promo_nope'));
  assert.deepEqual([missing.statusCode, missing.code], [400, 'resource_missing']);
});

test('a promotion code on an invoice, and a coupon in Checkout', async () => {
  const coupon = await t.stripe.coupons.create({ percent_off: 10, duration: 'once' });
  const promo = await t.stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: coupon.id } });
  const customer = await t.stripe.customers.create({});
  const inv = await t.stripe.invoices.create({
    customer: customer.id,
    collection_method: 'send_invoice',
    days_until_due: 10,
    discounts: [{ promotion_code: promo.id }],
  });
  await t.stripe.invoiceItems.create({
    customer: customer.id,
    invoice: inv.id,
    amount: 3000,
    currency: 'usd',
  });
  const withItem = await t.stripe.invoices.retrieve(inv.id);
  assert.equal(withItem.subtotal, 3000);
  assert.equal(withItem.total, 2700);

  const session = await t.stripe.checkout.sessions.create({
    mode: 'payment',
    success_url: 'https://example.com/ok',
    line_items: [
      { price_data: { currency: 'usd', unit_amount: 4000, product_data: { name: 'Box' } }, quantity: 1 },
    ],
    discounts: [{ coupon: coupon.id }],
  });
  assert.equal(session.amount_total, 3600);
  assert.equal(session.total_details?.amount_discount, 400);
});
