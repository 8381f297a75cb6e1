import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { API_VERSION } from '../core/version.js';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

const at = (m: number, d: number, h = 0) => Date.UTC(2026, m - 1, d, h) / 1000;

async function advance(clock: string, to: number): Promise<void> {
  await t.stripe.testHelpers.testClocks.advance(clock, { frozen_time: to });
  for (let i = 0; i < 400; i++) {
    if ((await t.stripe.testHelpers.testClocks.retrieve(clock)).status === 'ready') return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('test clock did not become ready');
}

/** Event types after the event `since` (exclusive), oldest first, optionally only those about `ids`. */
async function eventsSince(since: string | undefined, ids?: string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const e of t.stripe.events.list({ limit: 100 })) {
    if (e.id === since) break;
    const o = e.data.object as { id?: string; subscription?: string | null; customer?: string | null };
    if (ids && ![o.id, o.subscription, o.customer].some((x) => x && ids.includes(x))) continue;
    out.push(e.type);
  }
  return out.reverse();
}
const lastEvent = async () => (await t.stripe.events.list({ limit: 1 })).data[0]?.id;

async function monthlyPrice(amount: number, name = 'Plan'): Promise<Stripe.Price> {
  return t.stripe.prices.create({
    currency: 'usd',
    unit_amount: amount,
    recurring: { interval: 'month' },
    product_data: { name },
  });
}

const invoicesOf = async (sub: string) =>
  (await t.stripe.invoices.list({ subscription: sub, limit: 10 })).data.reverse().map((i) => i.total);

test('coupon durations across renewals: once, repeating for two months, forever', async () => {
  const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: at(1, 1) });
  const customer = await t.stripe.customers.create({ test_clock: clock.id });
  const price = await monthlyPrice(2000);
  const once = await t.stripe.coupons.create({ percent_off: 50, duration: 'once' });
  const twoMonths = await t.stripe.coupons.create({
    percent_off: 25,
    duration: 'repeating',
    duration_in_months: 2,
  });
  const forever = await t.stripe.coupons.create({ amount_off: 200, currency: 'usd', duration: 'forever' });
  const subscribe = (coupon: string) =>
    t.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      collection_method: 'send_invoice',
      days_until_due: 30,
      discounts: [{ coupon }],
    });
  const mark = await lastEvent();
  const a = await subscribe(once.id);
  // The once coupon is spent by the first invoice: the subscription no longer carries it.
  assert.deepEqual(a.discounts, []);
  const onceEvents = await eventsSince(mark, [a.id]);
  assert.deepEqual(
    onceEvents.filter((e) => e.startsWith('customer.')),
    [
      'customer.discount.created',
      'customer.subscription.created',
      'customer.discount.deleted',
      'customer.subscription.updated',
    ],
  );
  const b = await subscribe(twoMonths.id);
  const repeating = (await t.stripe.subscriptions.retrieve(b.id, { expand: ['discounts'] }))
    .discounts[0] as Stripe.Discount;
  assert.equal(repeating.end, at(3, 1));
  const c = await subscribe(forever.id);

  await advance(clock.id, at(2, 1, 2));
  await advance(clock.id, at(3, 1, 2));
  await advance(clock.id, at(4, 1, 2));
  assert.deepEqual(await invoicesOf(a.id), [1000, 2000, 2000, 2000]);
  assert.deepEqual(await invoicesOf(b.id), [1500, 1500, 2000, 2000]);
  assert.deepEqual(await invoicesOf(c.id), [1800, 1800, 1800, 1800]);
  assert.deepEqual((await t.stripe.subscriptions.retrieve(b.id)).discounts, []);
  assert.equal((await t.stripe.subscriptions.retrieve(c.id)).discounts.length, 1);
  const ended = await t.stripe.events.list({ type: 'customer.discount.deleted', limit: 10 });
  assert.ok(ended.data.some((e) => (e.data.object as Stripe.Discount).id === repeating.id));
  // The invoices that used an ended discount keep it.
  const first = (await t.stripe.invoices.list({ subscription: a.id, limit: 10 })).data.at(-1)!;
  assert.equal(first.total_discount_amounts?.[0]?.amount, 1000);
});

test('applies_to[products]: only the lines of those products are discounted (invoices and Checkout)', async () => {
  const a = await monthlyPrice(2000, 'A');
  const b = await monthlyPrice(3000, 'B');
  const coupon = await t.stripe.coupons.create({
    percent_off: 50,
    duration: 'forever',
    applies_to: { products: [a.product as string] },
  });
  assert.deepEqual(coupon.applies_to?.products, [a.product]);
  const customer = await t.stripe.customers.create({});
  const sub = await t.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: a.id }, { price: b.id }],
    collection_method: 'send_invoice',
    days_until_due: 30,
    discounts: [{ coupon: coupon.id }],
    expand: ['latest_invoice'],
  });
  const inv = sub.latest_invoice as Stripe.Invoice;
  assert.deepEqual([inv.subtotal, inv.total], [5000, 4000]);
  const byProduct = new Map(
    inv.lines.data.map((l) => [l.pricing?.price_details?.product, l.discount_amounts?.[0]?.amount ?? 0]),
  );
  assert.equal(byProduct.get(a.product as string), 1000);
  assert.equal(byProduct.get(b.product as string), 0);

  const session = await t.stripe.checkout.sessions.create({
    mode: 'subscription',
    success_url: 'https://example.com/ok',
    line_items: [
      { price: a.id, quantity: 1 },
      { price: b.id, quantity: 1 },
    ],
    discounts: [{ coupon: coupon.id }],
  });
  assert.equal(session.total_details?.amount_discount, 1000);
  assert.equal(session.amount_total, 4000);
});

test('coupons: redeem_by, max_redemptions, update and delete (events, and existing discounts go on)', async () => {
  const clock = t.emu.app.clock;
  const price = await monthlyPrice(1000);
  const customer = await t.stripe.customers.create({});
  const subscribe = (coupon: string) =>
    t.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      collection_method: 'send_invoice',
      days_until_due: 30,
      discounts: [{ coupon }],
      expand: ['latest_invoice'],
    });
  const single = await t.stripe.coupons.create({ percent_off: 10, duration: 'forever', max_redemptions: 1 });
  await subscribe(single.id);
  const usedUp = await t.stripe.coupons.retrieve(single.id);
  assert.deepEqual([usedUp.times_redeemed, usedUp.valid], [1, false]);
  const again = await stripeError(subscribe(single.id));
  assert.deepEqual(
    [again.statusCode, again.code, again.param, again.message],
    [400, 'coupon_expired', 'discounts[0][coupon]', `Coupon expired: ${single.id}`],
  );

  const soon = await t.stripe.coupons.create({
    percent_off: 10,
    duration: 'once',
    redeem_by: clock.now() + 60,
  });
  clock.set(clock.now() + 120);
  try {
    const late = await stripeError(subscribe(soon.id));
    assert.equal(late.code, 'coupon_expired');
    assert.equal((await t.stripe.coupons.retrieve(soon.id)).valid, false);
  } finally {
    clock.useRealTime();
  }

  const mark = await lastEvent();
  const named = await t.stripe.coupons.create({ id: 'SPRING', percent_off: 20, duration: 'forever' });
  const sub = await subscribe(named.id);
  assert.equal((sub.latest_invoice as Stripe.Invoice).total, 800);
  const renamed = await t.stripe.coupons.update('SPRING', {
    name: 'Spring sale',
    metadata: { campaign: 'q2' },
  });
  assert.deepEqual([renamed.name, renamed.metadata], ['Spring sale', { campaign: 'q2' }]);
  const unknown = await stripeError(
    t.stripe.coupons.update('SPRING', { percent_off: 5 } as Stripe.CouponUpdateParams),
  );
  assert.deepEqual([unknown.code, unknown.param], ['parameter_unknown', 'percent_off']);
  const deleted = await t.stripe.coupons.del('SPRING');
  assert.deepEqual([deleted.id, deleted.deleted], ['SPRING', true]);
  assert.equal((await stripeError(t.stripe.coupons.retrieve('SPRING'))).statusCode, 404);
  const gone = await stripeError(subscribe('SPRING'));
  assert.deepEqual(
    [gone.statusCode, gone.code, gone.param, gone.message],
    [400, 'resource_missing', 'discounts[0][coupon]', "No such coupon: 'SPRING'"],
  );
  // The subscription that redeemed it keeps its discount.
  const preview = await t.stripe.invoices.createPreview({ subscription: sub.id });
  assert.equal(preview.total, 800);
  const updatedEvent = (await t.stripe.events.list({ type: 'coupon.updated', limit: 1 })).data[0]!;
  assert.deepEqual(updatedEvent.data.previous_attributes, { metadata: { campaign: null }, name: null });
  const couponEvents = (await eventsSince(mark)).filter((e) => e.startsWith('coupon.'));
  assert.deepEqual(couponEvents, ['coupon.created', 'coupon.updated', 'coupon.deleted']);
});

test('promotion codes: inactive and reactivated, list filters and pages, expand, update refusals', async () => {
  const coupon = await t.stripe.coupons.create({ percent_off: 15, duration: 'forever' });
  const price = await monthlyPrice(4000);
  const customer = await t.stripe.customers.create({});
  const promotion = { type: 'coupon' as const, coupon: coupon.id };
  const codes: Stripe.PromotionCode[] = [];
  for (const code of ['PAGE1', 'PAGE2', 'PAGE3']) {
    codes.push(await t.stripe.promotionCodes.create({ promotion, code }));
  }
  const first = await t.stripe.promotionCodes.list({ coupon: coupon.id, limit: 2 });
  assert.deepEqual(
    first.data.map((c) => c.code),
    ['PAGE3', 'PAGE2'],
  );
  assert.equal(first.has_more, true);
  const second = await t.stripe.promotionCodes.list({
    coupon: coupon.id,
    limit: 2,
    starting_after: first.data[1]!.id,
  });
  assert.deepEqual([second.data.map((c) => c.code), second.has_more], [['PAGE1'], false]);
  const byCode = await t.stripe.promotionCodes.list({ code: 'page2', expand: ['data.promotion.coupon'] });
  assert.equal(byCode.data.length, 1);
  assert.equal((byCode.data[0]!.promotion.coupon as Stripe.Coupon).percent_off, 15);
  const retrieved = await t.stripe.promotionCodes.retrieve(codes[0]!.id, { expand: ['promotion.coupon'] });
  assert.equal((retrieved.promotion.coupon as Stripe.Coupon).id, coupon.id);
  const missing = await stripeError(t.stripe.promotionCodes.retrieve('promo_missing'));
  assert.deepEqual(
    [missing.statusCode, missing.code, missing.message],
    [404, 'resource_missing', "No such promotion code: 'promo_missing'"],
  );

  const off = await t.stripe.promotionCodes.update(codes[0]!.id, { active: false });
  assert.equal(off.active, false);
  assert.deepEqual((await t.stripe.promotionCodes.list({ coupon: coupon.id, active: false })).data.length, 1);
  const inactive = await stripeError(
    t.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      discounts: [{ promotion_code: codes[0]!.id }],
    }),
  );
  assert.deepEqual(
    [inactive.statusCode, inactive.param, inactive.message],
    [400, 'discounts[0][promotion_code]', 'This promotion code is inactive.'],
  );
  const on = await t.stripe.promotionCodes.update(codes[0]!.id, { active: true });
  assert.equal(on.active, true);
  const updates = await t.stripe.events.list({ type: 'promotion_code.updated', limit: 2 });
  assert.deepEqual(
    updates.data.map((e) => e.data.previous_attributes),
    [{ active: false }, { active: true }],
  );

  // A minimum-amount code on a subscription update is refused, as Stripe does.
  const min = await t.stripe.promotionCodes.create({
    promotion,
    code: 'MIN10',
    restrictions: { minimum_amount: 1000, minimum_amount_currency: 'usd' },
  });
  const sub = await t.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    collection_method: 'send_invoice',
    days_until_due: 30,
  });
  const onUpdate = await stripeError(
    t.stripe.subscriptions.update(sub.id, { discounts: [{ promotion_code: min.id }] }),
  );
  assert.equal(onUpdate.param, 'discounts[0][promotion_code]');
  assert.equal(
    onUpdate.message,
    'This promotion code cannot be redeemed on a subscription update because it uses the `minimum_amount` restriction and the amount may change.',
  );
  // Replacing a subscription's discounts ends the ones it drops.
  const withCode = await t.stripe.subscriptions.update(sub.id, {
    discounts: [{ promotion_code: codes[1]!.id }],
  });
  const dropped = withCode.discounts[0] as string;
  const mark = await lastEvent();
  await t.stripe.subscriptions.update(sub.id, { discounts: [{ coupon: coupon.id }] });
  const swapped = await eventsSince(mark, [sub.id]);
  assert.deepEqual(swapped, [
    'customer.discount.created',
    'customer.discount.deleted',
    'customer.subscription.updated',
  ]);
  const deletedEvent = (await t.stripe.events.list({ type: 'customer.discount.deleted', limit: 1 })).data[0]!;
  assert.equal((deletedEvent.data.object as Stripe.Discount).id, dropped);
  const expanded = await t.stripe.subscriptions.retrieve(sub.id, {
    expand: ['discounts', 'discounts.source.coupon'],
  });
  const d = expanded.discounts[0] as Stripe.Discount;
  assert.equal((d.source.coupon as Stripe.Coupon).percent_off, 15);
});

test('promotion codes in Checkout: restrictions refused with Stripe’s messages, redemptions counted once', async () => {
  const coupon = await t.stripe.coupons.create({ amount_off: 500, currency: 'usd', duration: 'once' });
  const promotion = { type: 'coupon' as const, coupon: coupon.id };
  const price = await monthlyPrice(2000);
  const buyer = await t.stripe.customers.create({ email: 'buyer@example.com' });
  const other = await t.stripe.customers.create({});
  const session = (promotion_code: string, customer?: string, mode: 'payment' | 'subscription' = 'payment') =>
    t.stripe.checkout.sessions.create({
      mode,
      success_url: 'https://example.com/ok',
      ...(customer ? { customer } : {}),
      line_items:
        mode === 'payment'
          ? [
              {
                price_data: { currency: 'usd', unit_amount: 3000, product_data: { name: 'Box' } },
                quantity: 1,
              },
            ]
          : [{ price: price.id, quantity: 1 }],
      discounts: [{ promotion_code }],
    });
  const mine = await t.stripe.promotionCodes.create({ promotion, code: 'BUYER', customer: buyer.id });
  const notMine = await stripeError(session(mine.id, other.id));
  assert.deepEqual(
    [notMine.statusCode, notMine.param, notMine.message],
    [
      400,
      'discounts[0][promotion_code]',
      'This promotion code cannot be redeemed by this customer because it is restricted to another customer.',
    ],
  );
  assert.equal((await session(mine.id, buyer.id)).amount_total, 2500);
  const onInvoice = await stripeError(
    t.stripe.invoices.create({
      customer: other.id,
      collection_method: 'send_invoice',
      days_until_due: 10,
      discounts: [{ promotion_code: mine.id }],
    }),
  );
  assert.deepEqual([onInvoice.statusCode, onInvoice.param], [400, 'discounts[0][promotion_code]']);

  const big = await t.stripe.promotionCodes.create({
    promotion,
    code: 'BIG',
    restrictions: { minimum_amount: 5000, minimum_amount_currency: 'usd' },
  });
  const small = await stripeError(session(big.id));
  assert.equal(
    small.message,
    'This promotion code cannot be redeemed because the order amount is below its minimum of $50.00.',
  );

  const welcome = await t.stripe.promotionCodes.create({
    promotion,
    code: 'WELCOME1',
    restrictions: { first_time_transaction: true },
  });
  // An open invoice counts as a prior transaction, as on Stripe.
  const invoiced = await t.stripe.customers.create({});
  await t.stripe.invoiceItems.create({ customer: invoiced.id, amount: 700, currency: 'usd' });
  const inv = await t.stripe.invoices.create({
    customer: invoiced.id,
    collection_method: 'send_invoice',
    days_until_due: 10,
    pending_invoice_items_behavior: 'include',
  });
  await t.stripe.invoices.finalizeInvoice(inv.id);
  const prior = await stripeError(session(welcome.id, invoiced.id));
  assert.equal(
    prior.message,
    'This promotion code cannot be redeemed because the associated customer has prior transactions.',
  );

  const limited = await t.stripe.promotionCodes.create({ promotion, code: 'ONCEONLY', max_redemptions: 1 });
  const sub = await session(limited.id, buyer.id, 'subscription');
  assert.equal(sub.total_details?.amount_discount, 500);
  const page = await t.stripe.checkout.sessions.retrieve(sub.id);
  assert.deepEqual(page.discounts, [{ coupon: coupon.id, promotion_code: limited.id }]);
  const paid = await fetch(`${t.emu.url}/v1/payment_pages/${sub.id}/confirm`, {
    method: 'POST',
    headers: {
      Authorization: 'Bearer sk_test_emulator',
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: 'payment_method=pm_card_visa&expected_amount=1500',
  });
  assert.equal(paid.status, 200, await paid.clone().text());
  const done = await t.stripe.checkout.sessions.retrieve(sub.id, { expand: ['subscription.discounts'] });
  assert.equal(done.status, 'complete');
  const subDiscount = (done.subscription as Stripe.Subscription).discounts;
  // A once coupon: spent by the first invoice, so the subscription no longer carries it.
  assert.deepEqual(subDiscount, []);
  const redeemed = await t.stripe.promotionCodes.retrieve(limited.id);
  assert.equal(redeemed.times_redeemed, 1);
  const usedUp = await stripeError(session(limited.id, buyer.id));
  assert.equal(
    usedUp.message,
    'This promotion code cannot be redeemed because it has been used the maximum number of times.',
  );
});

test('customer discounts: coupon / promotion_code on customers for older API versions, inherited, deleted', async () => {
  const old = { 'Stripe-Version': '2024-06-20' };
  const forever = await t.stripe.coupons.create({ percent_off: 10, duration: 'forever' });
  const bigger = await t.stripe.coupons.create({ percent_off: 30, duration: 'forever' });
  const promo = await t.stripe.promotionCodes.create({
    promotion: { type: 'coupon', coupon: bigger.id },
    code: 'LOYAL',
  });

  // At the SDK's API version the parameters do not exist.
  const pinned = await t.raw('POST', '/v1/customers', `coupon=${forever.id}`, {
    'Stripe-Version': API_VERSION,
  });
  const refused = (await pinned.json()) as { error: { code: string; param: string; message: string } };
  assert.equal(pinned.status, 400);
  assert.deepEqual(
    [refused.error.code, refused.error.param, refused.error.message],
    ['parameter_unknown', 'coupon', 'Received unknown parameter: coupon'],
  );
  const sdkRefused = await stripeError(
    t.stripe.customers.create({ coupon: forever.id } as Stripe.CustomerCreateParams),
  );
  assert.equal(sdkRefused.code, 'parameter_unknown');

  const mark = await lastEvent();
  const res = await t.raw('POST', '/v1/customers', `email=d%40example.com&coupon=${forever.id}`, old);
  assert.equal(res.status, 200);
  const created = (await res.json()) as Stripe.Customer;
  assert.equal(created.discount?.source.coupon, forever.id);
  assert.equal(created.discount?.customer, created.id);
  assert.deepEqual(await eventsSince(mark, [created.id]), ['customer.created', 'customer.discount.created']);
  const expired = await t.raw('POST', '/v1/customers', 'coupon=nope', old);
  assert.equal(expired.status, 400);
  assert.equal(((await expired.json()) as { error: { param: string } }).error.param, 'coupon');

  // Subscriptions and invoices without discounts of their own inherit it.
  const price = await monthlyPrice(2000);
  const sub = await t.stripe.subscriptions.create({
    customer: created.id,
    items: [{ price: price.id }],
    collection_method: 'send_invoice',
    days_until_due: 30,
    expand: ['latest_invoice'],
  });
  assert.deepEqual(sub.discounts, []);
  assert.equal((sub.latest_invoice as Stripe.Invoice).total, 1800);
  const oneOff = await t.stripe.invoices.create({
    customer: created.id,
    collection_method: 'send_invoice',
    days_until_due: 10,
  });
  assert.deepEqual(oneOff.discounts, [created.discount!.id]);
  const none = await t.stripe.invoices.create({
    customer: created.id,
    collection_method: 'send_invoice',
    days_until_due: 10,
    discounts: '',
  });
  assert.deepEqual(none.discounts, []);

  // Switching to a promotion code updates the discount.
  const mark2 = await lastEvent();
  const upd = await t.raw('POST', `/v1/customers/${created.id}`, `promotion_code=${promo.id}`, old);
  assert.equal(upd.status, 200);
  const switched = (await upd.json()) as Stripe.Customer;
  assert.deepEqual(
    [switched.discount?.source.coupon, switched.discount?.promotion_code],
    [bigger.id, promo.id],
  );
  assert.deepEqual(await eventsSince(mark2, [created.id]), ['customer.discount.updated', 'customer.updated']);
  const updEvent = (await t.stripe.events.list({ type: 'customer.discount.updated', limit: 1 })).data[0]!;
  assert.equal((updEvent.data.previous_attributes as { promotion_code: null }).promotion_code, null);
  assert.equal((await t.stripe.promotionCodes.retrieve(promo.id)).times_redeemed, 1);
  const withPromo = (await t.stripe.customers.retrieve(created.id, {
    expand: ['discount.promotion_code', 'discount.source.coupon'],
  })) as Stripe.Customer;
  const expandedDiscount = withPromo.discount;
  assert.ok(expandedDiscount);
  assert.equal((expandedDiscount.promotion_code as Stripe.PromotionCode).code, 'LOYAL');
  assert.equal((expandedDiscount.source.coupon as Stripe.Coupon).percent_off, 30);
  const invExpanded = await t.stripe.invoices.retrieve(oneOff.id, { expand: ['discounts.source.coupon'] });
  assert.equal(((invExpanded.discounts[0] as Stripe.Discount).source.coupon as Stripe.Coupon).id, forever.id);
  const preview = await t.stripe.invoices.createPreview({ subscription: sub.id });
  assert.equal(preview.total, 1400);

  const mark3 = await lastEvent();
  const removed = await t.stripe.customers.deleteDiscount(created.id);
  assert.deepEqual(
    [removed.deleted, removed.id, removed.customer],
    [true, switched.discount!.id, created.id],
  );
  assert.deepEqual(await eventsSince(mark3, [created.id]), ['customer.discount.deleted', 'customer.updated']);
  assert.equal(((await t.stripe.customers.retrieve(created.id)) as Stripe.Customer).discount, null);
  const twice = await stripeError(t.stripe.customers.deleteDiscount(created.id));
  assert.deepEqual([twice.statusCode, twice.code], [404, 'resource_missing']);

  // Without a Stripe-Version (the Stripe CLI's fixtures), the account's older default applies:
  // `coupon` sets the discount and `coupon=''` removes it.
  const cli = (await (
    await t.raw('POST', '/v1/customers', `coupon=${forever.id}`)
  ).json()) as Stripe.Customer;
  assert.equal(cli.discount?.source.coupon, forever.id);
  const mark4 = await lastEvent();
  const cleared = await t.raw('POST', `/v1/customers/${cli.id}`, 'coupon=');
  assert.equal(((await cleared.json()) as Stripe.Customer).discount, null);
  assert.deepEqual(await eventsSince(mark4, [cli.id]), ['customer.discount.deleted', 'customer.updated']);

  // A once customer coupon is spent by the first invoice that takes it off.
  const once = await t.stripe.coupons.create({ amount_off: 500, currency: 'usd', duration: 'once' });
  const second = (await (
    await t.raw('POST', '/v1/customers', `coupon=${once.id}`, old)
  ).json()) as Stripe.Customer;
  const firstSub = await t.stripe.subscriptions.create({
    customer: second.id,
    items: [{ price: price.id }],
    collection_method: 'send_invoice',
    days_until_due: 30,
    expand: ['latest_invoice'],
  });
  assert.equal((firstSub.latest_invoice as Stripe.Invoice).total, 1500);
  assert.equal(((await t.stripe.customers.retrieve(second.id)) as Stripe.Customer).discount, null);
});

test('a code typed on the hosted page (allow_promotion_codes): refusals shown there, the subscription gets it', async () => {
  const post = (url: string, fields: Record<string, string>) =>
    fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });
  const coupon = await t.stripe.coupons.create({
    percent_off: 20,
    duration: 'repeating',
    duration_in_months: 3,
  });
  const promotion = { type: 'coupon' as const, coupon: coupon.id };
  const regular = await t.stripe.customers.create({ email: 'regular@example.com' });
  await t.stripe.paymentIntents.create({
    amount: 1000,
    currency: 'usd',
    customer: regular.id,
    payment_method: 'pm_card_visa',
    confirm: true,
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
  });
  await t.stripe.promotionCodes.create({
    promotion,
    code: 'NEWHERE',
    restrictions: { first_time_transaction: true },
  });
  const limited = await t.stripe.promotionCodes.create({ promotion, code: 'TYPEDONCE', max_redemptions: 1 });
  const price = await monthlyPrice(2500);
  const session = (customer: string) =>
    t.stripe.checkout.sessions.create({
      mode: 'subscription',
      customer,
      success_url: 'https://shop.example/ok',
      line_items: [{ price: price.id, quantity: 1 }],
      allow_promotion_codes: true,
    });
  const s1 = await session(regular.id);
  const returning = await post(s1.url!, { action: 'apply_promo', promo: 'newhere' });
  assert.equal(returning.status, 400);
  assert.match(await returning.text(), /This code is only for a first purchase\./);

  const ok = await post(s1.url!, { action: 'apply_promo', promo: 'TYPEDONCE' });
  assert.equal(ok.status, 303);
  const applied = await t.stripe.checkout.sessions.retrieve(s1.id);
  assert.deepEqual([applied.amount_total, applied.total_details?.amount_discount], [2000, 500]);
  const paid = await post(s1.url!, {
    action: 'pay',
    card_number: '4242424242424242',
    card_expiry: '12 / 34',
    card_cvc: '123',
    card_name: 'Regular Customer',
  });
  assert.equal(paid.status, 303, await paid.clone().text());
  const done = await t.stripe.checkout.sessions.retrieve(s1.id, {
    expand: ['subscription.discounts', 'subscription.latest_invoice'],
  });
  const sub = done.subscription as Stripe.Subscription;
  const d = sub.discounts[0] as Stripe.Discount;
  assert.deepEqual([d.promotion_code, d.source.coupon], [limited.id, coupon.id]);
  assert.equal((sub.latest_invoice as Stripe.Invoice).total, 2000);
  assert.equal((await t.stripe.promotionCodes.retrieve(limited.id)).times_redeemed, 1);

  const s2 = await session(regular.id);
  const usedUp = await post(s2.url!, { action: 'apply_promo', promo: 'TYPEDONCE' });
  assert.equal(usedUp.status, 400);
  assert.match(await usedUp.text(), /This code has been used up\./);
});

test('promotion codes: `coupon` (before 2025-09-30.clover) is refused at the SDK version, accepted without one', async () => {
  const coupon = await t.stripe.coupons.create({ percent_off: 5 });
  assert.equal(coupon.duration, 'once');
  const refused = await stripeError(
    t.stripe.promotionCodes.create({ coupon: coupon.id } as unknown as Stripe.PromotionCodeCreateParams),
  );
  assert.deepEqual([refused.statusCode, refused.code, refused.param], [400, 'parameter_unknown', 'coupon']);
  const missing = await stripeError(t.stripe.promotionCodes.create({} as Stripe.PromotionCodeCreateParams));
  assert.deepEqual([missing.code, missing.param], ['parameter_missing', 'promotion']);
  const res = await t.raw('POST', '/v1/promotion_codes', `coupon=${coupon.id}`);
  assert.equal(res.status, 200);
  const pc = (await res.json()) as Stripe.PromotionCode;
  assert.equal(pc.promotion.coupon, coupon.id);
});
