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
let shirt: Stripe.Price;
let monthly: Stripe.Price;
before(async () => {
  t = await testEmulator();
  const product = await t.stripe.products.create({ name: 'T-shirt' });
  shirt = await t.stripe.prices.create({ product: product.id, unit_amount: 2500, currency: 'usd' });
  const club = await t.stripe.products.create({ name: 'Club' });
  monthly = await t.stripe.prices.create({
    product: club.id,
    unit_amount: 900,
    currency: 'usd',
    recurring: { interval: 'month' },
  });
});
after(() => t.emu.close());

const mark = () => eventMark(t.stripe);
const eventsSince = (since: string) => eventsSinceOf(t.stripe, since);

const CARD = {
  action: 'pay',
  card_number: '4242 4242 4242 4242',
  card_expiry: '12 / 34',
  card_cvc: '123',
  card_name: 'Ada Lovelace',
  email: 'ada@example.com',
};

function post(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

test('create, retrieve, list line items; the url opens a Checkout Session with payment_link; paying it', async () => {
  const since = await mark();
  const link = await t.stripe.paymentLinks.create({
    line_items: [{ price: shirt.id, quantity: 2 }],
    metadata: { campaign: 'spring' },
    after_completion: {
      type: 'hosted_confirmation',
      hosted_confirmation: { custom_message: 'See you soon!' },
    },
  });
  assert.match(link.id, /^plink_/);
  assert.equal(link.object, 'payment_link');
  assert.equal(link.active, true);
  assert.equal(link.currency, 'usd');
  assert.deepEqual(link.metadata, { campaign: 'spring' });
  assert.equal(link.after_completion.type, 'hosted_confirmation');
  assert.equal(link.after_completion.hosted_confirmation?.custom_message, 'See you soon!');
  assert.equal(link.url, `${t.emu.url}/b/${link.id}`);
  assert.equal(link.line_items, undefined, 'line_items only when expanded');
  assert.deepEqual(
    (await eventsSince(since)).map((e) => e.type),
    ['payment_link.created'],
  );

  const items = await t.stripe.paymentLinks.listLineItems(link.id);
  assert.equal(items.data.length, 1);
  assert.equal(items.data[0]!.price?.id, shirt.id);
  assert.equal(items.data[0]!.quantity, 2);
  assert.equal(items.data[0]!.amount_total, 5000);
  assert.equal(items.data[0]!.description, 'T-shirt');
  const expanded = await t.stripe.paymentLinks.retrieve(link.id, { expand: ['line_items'] });
  assert.equal(expanded.line_items?.data[0]?.id, items.data[0]!.id);

  const visit = await fetch(link.url, { redirect: 'manual' });
  assert.equal(visit.status, 303);
  const location = visit.headers.get('location')!;
  const sessionId = /\/c\/pay\/(cs_test_[A-Za-z0-9]+)$/.exec(location)?.[1];
  assert.ok(sessionId, location);
  const session = await t.stripe.checkout.sessions.retrieve(sessionId!, { expand: ['payment_link'] });
  assert.equal((session.payment_link as Stripe.PaymentLink).id, link.id);
  assert.equal(session.mode, 'payment');
  assert.equal(session.amount_total, 5000);
  assert.deepEqual(session.metadata, { campaign: 'spring' });

  const paid = await post(location, CARD);
  assert.equal(paid.status, 303);
  const done = paid.headers.get('location')!;
  assert.equal(done, `${t.emu.url}/b/${link.id}/complete?session_id=${sessionId}`);
  const page = await fetch(done);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /See you soon!/);
  const completed = (await eventsSince(since)).find((e) => e.type === 'checkout.session.completed');
  assert.equal((completed!.data.object as Stripe.Checkout.Session).payment_link, link.id);

  // Each visit is a new session; listing by payment_link finds the link's sessions only.
  await t.stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price: shirt.id, quantity: 1 }],
    success_url: 'https://shop.example/ok',
  });
  const second = await fetch(link.url, { redirect: 'manual' });
  const secondId = /(cs_test_[A-Za-z0-9]+)$/.exec(second.headers.get('location')!)![1];
  assert.notEqual(secondId, sessionId);
  const sessions = await t.stripe.checkout.sessions.list({ payment_link: link.id });
  assert.deepEqual(
    sessions.data.map((s) => s.id),
    [secondId, sessionId],
  );
});

test('a recurring price makes subscription sessions; redirect after completion', async () => {
  const link = await t.stripe.paymentLinks.create({
    line_items: [{ price: monthly.id, quantity: 1 }],
    after_completion: {
      type: 'redirect',
      redirect: { url: 'https://shop.example/thanks?cs={CHECKOUT_SESSION_ID}' },
    },
    subscription_data: { trial_period_days: 14 },
  });
  assert.equal(link.subscription_data?.trial_period_days, 14);
  const visit = await fetch(link.url, { redirect: 'manual' });
  const location = visit.headers.get('location')!;
  const sessionId = /(cs_test_[A-Za-z0-9]+)$/.exec(location)![1]!;
  const session = await t.stripe.checkout.sessions.retrieve(sessionId);
  assert.equal(session.mode, 'subscription');
  assert.equal(session.success_url, 'https://shop.example/thanks?cs={CHECKOUT_SESSION_ID}');
  assert.equal(session.payment_link, link.id);
  const paid = await post(location, CARD);
  assert.equal(paid.status, 303);
  assert.equal(paid.headers.get('location'), `https://shop.example/thanks?cs=${sessionId}`);
  const sub = await t.stripe.subscriptions.retrieve(
    String((await t.stripe.checkout.sessions.retrieve(sessionId)).subscription),
  );
  assert.equal(sub.status, 'trialing');
});

test('update (active, metadata, line item quantity), deactivated page, list by active, errors', async () => {
  const link = await t.stripe.paymentLinks.create({ line_items: [{ price: shirt.id, quantity: 1 }] });
  const [item] = (await t.stripe.paymentLinks.listLineItems(link.id)).data;
  let since = await mark();
  const updated = await t.stripe.paymentLinks.update(link.id, {
    active: false,
    inactive_message: 'Sold out.',
    metadata: { k: 'v' },
  });
  assert.equal(updated.active, false);
  const events = await eventsSince(since);
  assert.deepEqual(
    events.map((e) => e.type),
    ['payment_link.updated'],
  );
  assert.deepEqual(events[0]!.data.previous_attributes, {
    active: true,
    inactive_message: null,
    metadata: { k: null },
  });
  const closed = await fetch(link.url, { redirect: 'manual' });
  assert.equal(closed.status, 410);
  assert.match(await closed.text(), /Sold out\./);

  const inactive = await t.stripe.paymentLinks.list({ active: false });
  assert.ok(inactive.data.some((l) => l.id === link.id));
  assert.ok(!(await t.stripe.paymentLinks.list({ active: true })).data.some((l) => l.id === link.id));
  const page = await t.stripe.paymentLinks.list({ limit: 1 });
  assert.equal(page.data.length, 1);
  assert.equal(page.has_more, true);

  since = await mark();
  await t.stripe.paymentLinks.update(link.id, { active: true, line_items: [{ id: item!.id, quantity: 3 }] });
  const items = await t.stripe.paymentLinks.listLineItems(link.id);
  assert.equal(items.data[0]!.quantity, 3);
  assert.equal(items.data[0]!.amount_total, 7500);

  let err = await stripeError(t.stripe.paymentLinks.create({} as Stripe.PaymentLinkCreateParams));
  assert.equal(err.code, 'parameter_missing');
  assert.equal(err.param, 'line_items');
  assert.equal(err.message, 'Missing required param: line_items.');
  err = await stripeError(
    t.stripe.paymentLinks.create({ line_items: [{ price: 'price_nope', quantity: 1 }] }),
  );
  assert.equal(err.code, 'resource_missing');
  assert.equal(err.param, 'line_items[0][price]');
  assert.equal(err.message, "No such price: 'price_nope'");
  err = await stripeError(t.stripe.paymentLinks.retrieve('plink_nope'));
  assert.equal(err.statusCode, 404);
  assert.equal(err.message, "No such payment_link: 'plink_nope'");
  err = await stripeError(
    t.stripe.paymentLinks.create({
      line_items: [{ price: shirt.id, quantity: 1 }],
      after_completion: { type: 'redirect' },
    }),
  );
  assert.equal(err.code, 'parameter_missing');
  assert.equal(err.param, 'after_completion[redirect]');
  err = await stripeError(
    t.stripe.paymentLinks.create({
      line_items: [{ price: shirt.id, quantity: 1 }],
      shipping_address_collection: { allowed_countries: ['US'] },
    }),
  );
  assert.equal(err.statusCode, 400);
  assert.equal(err.param, 'shipping_address_collection');
  err = await stripeError(
    t.stripe.paymentLinks.create({ line_items: [{ price: shirt.id, quantity: 1 }], currency: 'eur' }),
  );
  assert.equal(err.param, 'line_items[0][price]');
  const unknown = await fetch(`${t.emu.url}/b/plink_nope`);
  assert.equal(unknown.status, 404);
});
