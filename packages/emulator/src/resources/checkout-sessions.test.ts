import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
let oneTime: Stripe.Price;
let monthly: Stripe.Price;
before(async () => {
  t = await testEmulator();
  const product = await t.stripe.products.create({ name: 'Credits' });
  oneTime = await t.stripe.prices.create({ product: product.id, unit_amount: 1500, currency: 'usd' });
  monthly = await t.stripe.prices.create({
    product: product.id,
    unit_amount: 900,
    currency: 'usd',
    recurring: { interval: 'month' },
  });
});
after(() => t.emu.close());

async function eventTypesSince(since: string | undefined): Promise<string[]> {
  const list = await t.stripe.events.list({ limit: 100, ...(since ? { ending_before: since } : {}) });
  return list.data.reverse().map((e) => e.type);
}

async function lastEventId(): Promise<string | undefined> {
  return (await t.stripe.events.list({ limit: 1 })).data[0]?.id;
}

interface PaymentPage {
  id: string;
  amount_total: number;
  status: string;
  line_items: { data: Stripe.LineItem[] };
}

async function pagesGet(id: string): Promise<PaymentPage> {
  const res = await t.raw('GET', `/v1/payment_pages/${id}`);
  assert.equal(res.status, 200);
  return (await res.json()) as PaymentPage;
}

function pagesConfirm(id: string, body: string): Promise<Response> {
  return t.raw('POST', `/v1/payment_pages/${id}/confirm`, body);
}

test('payment mode: create, the page answers, pay through payment_pages, completed after the payment events', async () => {
  const s = await t.stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price: oneTime.id, quantity: 2 }],
    success_url: 'https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://shop.example/cancel',
    client_reference_id: 'order-77',
    allow_promotion_codes: true,
    customer_creation: 'always',
    metadata: { instance: 'a' },
    payment_intent_data: { metadata: { order: '77' } },
  });
  assert.match(s.id, /^cs_test_/);
  assert.equal(s.status, 'open');
  assert.equal(s.payment_status, 'unpaid');
  assert.equal(s.amount_total, 3000);
  assert.equal(s.currency, 'usd');
  assert.equal(s.client_reference_id, 'order-77');
  assert.equal(s.allow_promotion_codes, true);
  assert.equal(s.success_url, 'https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}');
  assert.ok(s.url?.startsWith(t.emu.url));
  const pageRes = await fetch(s.url!);
  assert.equal(pageRes.status, 200);
  assert.match(await pageRes.text(), /\$30\.00/);

  const items = await t.stripe.checkout.sessions.listLineItems(s.id);
  assert.equal(items.data.length, 1);
  assert.equal(items.data[0]!.amount_total, 3000);
  assert.equal(items.data[0]!.quantity, 2);
  assert.equal(items.data[0]!.price?.id, oneTime.id);

  const pg = await pagesGet(s.id);
  assert.equal(pg.amount_total, 3000);
  const wrong = await pagesConfirm(s.id, 'payment_method=pm_card_visa&expected_amount=2999');
  assert.equal(wrong.status, 400);
  assert.equal(((await wrong.json()) as { error: { param: string } }).error.param, 'expected_amount');

  const mark = await lastEventId();
  const pm = await t.stripe.paymentMethods.create({
    type: 'card',
    card: { token: 'tok_visa' },
    billing_details: { email: 'buyer@example.com', name: 'Buyer' },
  });
  const ok = await pagesConfirm(s.id, `payment_method=${pm.id}&expected_amount=3000`);
  assert.equal(ok.status, 200);
  const done = await t.stripe.checkout.sessions.retrieve(s.id, { expand: ['payment_intent', 'customer'] });
  assert.equal(done.status, 'complete');
  assert.equal(done.payment_status, 'paid');
  const pi = done.payment_intent as Stripe.PaymentIntent;
  assert.equal(pi.status, 'succeeded');
  assert.equal(pi.amount, 3000);
  assert.deepEqual(pi.metadata, { order: '77' });
  const customer = done.customer as Stripe.Customer;
  assert.equal(customer.email, 'buyer@example.com');
  assert.equal(done.customer_details?.email, 'buyer@example.com');
  assert.deepEqual(await eventTypesSince(mark), [
    'customer.created',
    'payment_intent.created',
    'payment_intent.succeeded',
    'charge.succeeded',
    'checkout.session.completed',
  ]);
  const again = await pagesConfirm(s.id, `payment_method=pm_card_visa&expected_amount=3000`);
  assert.equal(again.status, 400);
  const expireDone = await stripeError(t.stripe.checkout.sessions.expire(s.id));
  assert.equal(expireDone.statusCode, 400);
});

test('payment mode: a declined card keeps the session open; if_required creates no customer', async () => {
  const s = await t.stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [
      {
        price_data: { currency: 'eur', unit_amount: 700, product_data: { name: 'Pack of 10' } },
        quantity: 1,
      },
    ],
    success_url: 'https://shop.example/ok',
  });
  assert.equal(s.customer_creation, 'if_required');
  assert.equal(s.amount_total, 700);
  const declined = await pagesConfirm(s.id, 'payment_method=pm_card_chargeDeclined&expected_amount=700');
  assert.equal(declined.status, 402);
  const err = (await declined.json()) as { error: { decline_code: string } };
  assert.equal(err.error.decline_code, 'generic_decline');
  assert.equal((await t.stripe.checkout.sessions.retrieve(s.id)).status, 'open');
  const paid = await pagesConfirm(s.id, 'payment_method=pm_card_visa&expected_amount=700');
  assert.equal(paid.status, 200);
  const done = await t.stripe.checkout.sessions.retrieve(s.id);
  assert.equal(done.status, 'complete');
  assert.equal(done.customer, null);
  const items = await t.stripe.checkout.sessions.listLineItems(s.id);
  assert.equal(items.data[0]!.description, 'Pack of 10');
});

test('setup mode: the setup intent succeeds and the card is saved to the customer', async () => {
  const cus = await t.stripe.customers.create({ email: 'setup@example.com' });
  const s = await t.stripe.checkout.sessions.create({
    mode: 'setup',
    currency: 'usd',
    customer: cus.id,
    success_url: 'https://shop.example/ok',
  });
  assert.equal(s.payment_status, 'no_payment_required');
  const res = await pagesConfirm(s.id, 'payment_method=pm_card_visa');
  assert.equal(res.status, 200);
  const done = await t.stripe.checkout.sessions.retrieve(s.id, { expand: ['setup_intent'] });
  assert.equal(done.status, 'complete');
  assert.equal((done.setup_intent as Stripe.SetupIntent).status, 'succeeded');
  const pms = await t.stripe.customers.listPaymentMethods(cus.id);
  assert.equal(pms.data.length, 1);
});

test('subscription mode: a subscription is created, charged and linked', async () => {
  const mark = await lastEventId();
  const s = await t.stripe.checkout.sessions.create({
    mode: 'subscription',
    line_items: [{ price: monthly.id, quantity: 1 }],
    customer_email: 'sub@example.com',
    success_url: 'https://shop.example/ok',
    subscription_data: { metadata: { plan: 'pro' } },
  });
  assert.equal(s.customer_creation, null);
  const res = await pagesConfirm(s.id, 'payment_method=pm_card_visa&expected_amount=900');
  assert.equal(res.status, 200, await res.clone().text());
  const done = await t.stripe.checkout.sessions.retrieve(s.id, { expand: ['subscription'] });
  assert.equal(done.status, 'complete');
  assert.equal(done.payment_status, 'paid');
  const sub = done.subscription as Stripe.Subscription;
  assert.equal(sub.status, 'active');
  assert.deepEqual(sub.metadata, { plan: 'pro' });
  assert.equal(sub.customer, done.customer);
  const types = await eventTypesSince(mark);
  assert.equal(types.at(-1), 'checkout.session.completed');
  assert.ok(types.includes('customer.subscription.created'));
  assert.ok(types.indexOf('invoice.paid') < types.indexOf('checkout.session.completed'));
});

test('validation: mode, success_url, expires_at bounds, recurring prices in payment mode, customer + email', async () => {
  const base = { success_url: 'https://x.example/ok', line_items: [{ price: oneTime.id, quantity: 1 }] };
  const noMode = await stripeError(
    t.stripe.checkout.sessions.create({ ...base } as Stripe.Checkout.SessionCreateParams),
  );
  assert.equal(noMode.param, 'mode');
  const now = Math.floor(Date.now() / 1000);
  const tooSoon = await stripeError(
    t.stripe.checkout.sessions.create({ ...base, mode: 'payment', expires_at: now + 600 }),
  );
  assert.equal(tooSoon.param, 'expires_at');
  const tooLate = await stripeError(
    t.stripe.checkout.sessions.create({ ...base, mode: 'payment', expires_at: now + 25 * 3600 }),
  );
  assert.equal(tooLate.param, 'expires_at');
  const recurring = await stripeError(
    t.stripe.checkout.sessions.create({
      ...base,
      mode: 'payment',
      line_items: [{ price: monthly.id, quantity: 1 }],
    }),
  );
  assert.equal(recurring.param, 'line_items[0][price]');
  const noRecurring = await stripeError(t.stripe.checkout.sessions.create({ ...base, mode: 'subscription' }));
  assert.equal(noRecurring.param, 'line_items');
  const noItems = await stripeError(
    t.stripe.checkout.sessions.create({ mode: 'payment', success_url: 'https://x.example/ok' }),
  );
  assert.equal(noItems.param, 'line_items');
  const cus = await t.stripe.customers.create();
  const both = await stripeError(
    t.stripe.checkout.sessions.create({
      ...base,
      mode: 'payment',
      customer: cus.id,
      customer_email: 'a@b.c',
    }),
  );
  assert.equal(both.statusCode, 400);
  const missingPrice = await stripeError(
    t.stripe.checkout.sessions.create({
      ...base,
      mode: 'payment',
      line_items: [{ price: 'price_nope', quantity: 1 }],
    }),
  );
  assert.equal(missingPrice.statusCode, 400);
  assert.equal(missingPrice.param, 'line_items[0][price]');
  const unknown = await stripeError(t.stripe.checkout.sessions.retrieve('cs_test_nope'));
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.code, 'resource_missing');
});

test('expire by call and by the clock; list filters', async () => {
  const mk = () =>
    t.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: oneTime.id, quantity: 1 }],
      success_url: 'https://x.example/ok',
      expires_at: Math.floor(t.emu.app.clock.now()) + 31 * 60,
    });
  const a = await mk();
  const expired = await t.stripe.checkout.sessions.expire(a.id);
  assert.equal(expired.status, 'expired');
  assert.equal(expired.url, null);
  const ev = await t.stripe.events.list({ type: 'checkout.session.expired', limit: 1 });
  assert.equal((ev.data[0]!.data.object as Stripe.Checkout.Session).id, a.id);
  const twice = await stripeError(t.stripe.checkout.sessions.expire(a.id));
  assert.equal(twice.statusCode, 400);

  const b = await mk();
  t.emu.app.clock.advance(32 * 60);
  try {
    const later = await t.stripe.checkout.sessions.retrieve(b.id);
    assert.equal(later.status, 'expired');
    const evs = await t.stripe.events.list({ type: 'checkout.session.expired', limit: 1 });
    assert.equal((evs.data[0]!.data.object as Stripe.Checkout.Session).id, b.id);
    assert.equal(evs.data[0]!.request?.id, null);
  } finally {
    t.emu.app.clock.advance(-32 * 60);
  }
  const list = await t.stripe.checkout.sessions.list({ status: 'expired', limit: 2 });
  assert.deepEqual(
    list.data.map((s) => s.id),
    [b.id, a.id],
  );
});

test('sessions expire in the order they fall due, whatever order they were made in, and after a restore', async () => {
  const mk = (minutes: number) =>
    t.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: oneTime.id, quantity: 1 }],
      success_url: 'https://x.example/ok',
      expires_at: Math.floor(t.emu.app.clock.now()) + minutes * 60,
    });
  const a = await mk(40);
  const b = await mk(31);
  const c = await mk(120);
  const status = async (s: Stripe.Checkout.Session) =>
    (await t.stripe.checkout.sessions.retrieve(s.id)).status;
  let moved = 0;
  const advance = (minutes: number) => {
    t.emu.app.clock.advance(minutes * 60);
    moved += minutes * 60;
  };
  try {
    advance(35);
    assert.deepEqual([await status(a), await status(b), await status(c)], ['open', 'expired', 'open']);
    advance(10);
    assert.deepEqual([await status(a), await status(c)], ['expired', 'open']);
    const d = await mk(31); // due before c
    advance(32);
    assert.deepEqual([await status(d), await status(c)], ['expired', 'open']);
  } finally {
    t.emu.app.clock.advance(-moved);
  }

  // A restored state brings its own open sessions, as many as there were before it: they expire too.
  const saved = t.emu.app.snapshot();
  const openOnes = (await t.stripe.checkout.sessions.list({ status: 'open', limit: 100 })).data;
  assert.ok(openOnes.some((s) => s.id === c.id));
  t.emu.app.reset();
  for (let i = 0; i < saved.collections['checkout.session']!.length; i++) {
    await t.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        { price_data: { currency: 'usd', unit_amount: 100, product_data: { name: 'x' } }, quantity: 1 },
      ],
      success_url: 'https://x.example/ok',
      expires_at: Math.floor(t.emu.app.clock.now()) + 23 * 3600,
    });
  }
  t.emu.app.restore(saved);
  t.emu.app.clock.advance(121 * 60);
  try {
    assert.equal(await status(c), 'expired');
  } finally {
    t.emu.app.clock.advance(-121 * 60);
  }
});
