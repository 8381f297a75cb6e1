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
let setup: Stripe.Price;
let monthly: Stripe.Price;
let customer: Stripe.Customer;
before(async () => {
  t = await testEmulator();
  const product = await t.stripe.products.create({ name: 'Onboarding' });
  setup = await t.stripe.prices.create({ product: product.id, unit_amount: 50000, currency: 'usd' });
  const seats = await t.stripe.products.create({ name: 'Seats' });
  monthly = await t.stripe.prices.create({
    product: seats.id,
    unit_amount: 1000,
    currency: 'usd',
    recurring: { interval: 'month' },
  });
  customer = await t.stripe.customers.create({
    email: 'buyer@example.com',
    payment_method: 'pm_card_visa',
    invoice_settings: { default_payment_method: 'pm_card_visa' },
  });
});
after(() => t.emu.close());

const mark = () => eventMark(t.stripe);
const eventsSince = (since: string) => eventsSinceOf(t.stripe, since);

test('a one-time quote: create, update while draft, finalize, accept → a draft invoice; events in order', async () => {
  let since = await mark();
  const q = await t.stripe.quotes.create({
    customer: customer.id,
    line_items: [{ price: setup.id, quantity: 1 }],
    description: 'Setup',
    metadata: { deal: '42' },
  });
  assert.match(q.id, /^qt_/);
  assert.equal(q.status, 'draft');
  assert.equal(q.number, null);
  assert.equal(q.amount_total, 50000);
  assert.equal(q.currency, 'usd');
  assert.equal(q.collection_method, 'charge_automatically');
  assert.equal(q.computed.recurring, null);
  assert.equal(q.computed.upfront.amount_total, 50000);
  assert.equal(q.expires_at - q.created, 30 * 86_400);
  assert.deepEqual(
    (await eventsSince(since)).map((e) => e.type),
    ['quote.created'],
  );

  const updated = await t.stripe.quotes.update(q.id, {
    line_items: [{ price: setup.id, quantity: 2 }],
    header: 'Our offer',
  });
  assert.equal(updated.amount_total, 100000);
  assert.equal(updated.header, 'Our offer');
  const items = await t.stripe.quotes.listLineItems(q.id);
  assert.equal(items.data.length, 1);
  assert.equal(items.data[0]!.quantity, 2);
  assert.equal(items.data[0]!.price?.id, setup.id);
  assert.equal(items.data[0]!.description, 'Onboarding');
  // Updating by id keeps the line; a line not listed is removed.
  await t.stripe.quotes.update(q.id, {
    line_items: [
      { id: items.data[0]!.id, quantity: 3 },
      { price: setup.id, quantity: 1 },
    ],
  });
  let lines = (await t.stripe.quotes.listLineItems(q.id)).data;
  assert.deepEqual(
    lines.map((li) => [li.id === items.data[0]!.id, li.quantity]),
    [
      [true, 3],
      [false, 1],
    ],
  );
  await t.stripe.quotes.update(q.id, { line_items: [{ id: items.data[0]!.id, quantity: 2 }] });
  lines = (await t.stripe.quotes.listLineItems(q.id)).data;
  assert.equal(lines.length, 1);
  const badLine = await stripeError(t.stripe.quotes.update(q.id, { line_items: [{ id: 'li_nope' }] }));
  assert.equal(badLine.param, 'line_items[0][id]');
  assert.equal(badLine.code, 'resource_missing');

  since = await mark();
  const open = await t.stripe.quotes.finalizeQuote(q.id);
  assert.equal(open.status, 'open');
  assert.match(String(open.number), /^QT-[A-Z0-9]{8}-0001$/);
  assert.equal(typeof open.status_transitions.finalized_at, 'number');
  const notEditable = await stripeError(t.stripe.quotes.update(q.id, { description: 'late' }));
  assert.equal(notEditable.statusCode, 400);
  assert.equal(notEditable.type, 'StripeInvalidRequestError');

  const accepted = await t.stripe.quotes.accept(q.id, { expand: ['invoice'] });
  assert.equal(accepted.status, 'accepted');
  assert.equal(typeof accepted.status_transitions.accepted_at, 'number');
  const invoice = accepted.invoice as Stripe.Invoice;
  assert.equal(invoice.status, 'draft');
  assert.equal(invoice.customer, customer.id);
  assert.equal(invoice.billing_reason, 'quote_accept');
  assert.equal(invoice.total, 100000);
  assert.equal(invoice.parent?.quote_details?.quote, q.id);
  assert.equal(accepted.subscription, null);
  const types = (await eventsSince(since)).map((e) => e.type);
  assert.equal(types[0], 'quote.finalized');
  assert.equal(types.at(-1), 'quote.accepted');
  assert.ok(types.includes('invoice.created'));
  assert.ok(types.indexOf('invoice.created') < types.indexOf('quote.accepted'));

  const again = await stripeError(t.stripe.quotes.accept(q.id));
  assert.equal(again.statusCode, 400);
  const cancel = await stripeError(t.stripe.quotes.cancel(q.id));
  assert.equal(cancel.statusCode, 400);
});

test('a recurring quote: accept creates the subscription, one-time lines on its first invoice', async () => {
  const q = await t.stripe.quotes.create({
    customer: customer.id,
    line_items: [
      { price: monthly.id, quantity: 5 },
      { price: setup.id, quantity: 1 },
    ],
    subscription_data: { description: 'Team plan' },
  });
  assert.equal(q.computed.recurring?.amount_total, 5000);
  assert.equal(q.computed.recurring?.interval, 'month');
  assert.equal(q.computed.upfront.amount_total, 55000);
  const upfront = await t.stripe.quotes.listComputedUpfrontLineItems(q.id);
  assert.equal(upfront.data.length, 2);
  await t.stripe.quotes.finalizeQuote(q.id);
  const since = await mark();
  const accepted = await t.stripe.quotes.accept(q.id, { expand: ['subscription'] });
  const sub = accepted.subscription as Stripe.Subscription;
  assert.equal(sub.status, 'active');
  assert.equal(sub.customer, customer.id);
  assert.equal(sub.items.data[0]!.price.id, monthly.id);
  assert.equal(sub.items.data[0]!.quantity, 5);
  assert.equal(sub.description, 'Team plan');
  const invoice = await t.stripe.invoices.retrieve(String(accepted.invoice));
  assert.equal(invoice.status, 'paid');
  assert.equal(invoice.total, 55000);
  const types = (await eventsSince(since)).map((e) => e.type);
  assert.ok(types.includes('customer.subscription.created'));
  assert.equal(types.at(-1), 'quote.accepted');
});

test('cancel, list filters and pagination, state and parameter errors', async () => {
  const draft = await t.stripe.quotes.create({ line_items: [{ price: setup.id }] });
  const noCustomer = await stripeError(t.stripe.quotes.finalizeQuote(draft.id));
  assert.equal(noCustomer.statusCode, 400);
  assert.equal(noCustomer.param, 'customer');
  const notOpen = await stripeError(t.stripe.quotes.accept(draft.id));
  assert.equal(notOpen.statusCode, 400);
  assert.match(notOpen.message, /status of draft/);

  const since = await mark();
  const canceled = await t.stripe.quotes.cancel(draft.id);
  assert.equal(canceled.status, 'canceled');
  assert.equal(typeof canceled.status_transitions.canceled_at, 'number');
  const events = await eventsSince(since);
  assert.deepEqual(
    events.map((e) => e.type),
    ['quote.canceled'],
  );
  assert.deepEqual(events[0]!.data.previous_attributes, {
    status: 'draft',
    status_transitions: { canceled_at: null },
  });
  const twice = await stripeError(t.stripe.quotes.cancel(draft.id));
  assert.equal(twice.statusCode, 400);

  const other = await t.stripe.customers.create({ email: 'other@example.com' });
  const a = await t.stripe.quotes.create({ customer: other.id, line_items: [{ price: setup.id }] });
  const b = await t.stripe.quotes.create({ customer: other.id, line_items: [{ price: setup.id }] });
  await t.stripe.quotes.finalizeQuote(b.id);
  const mine = await t.stripe.quotes.list({ customer: other.id });
  assert.deepEqual(
    mine.data.map((q) => q.id),
    [b.id, a.id],
  );
  const open = await t.stripe.quotes.list({ customer: other.id, status: 'open' });
  assert.deepEqual(
    open.data.map((q) => q.id),
    [b.id],
  );
  const all: string[] = [];
  for await (const q of t.stripe.quotes.list({ customer: other.id, limit: 1 })) all.push(q.id);
  assert.deepEqual(all, [b.id, a.id]);
  const expanded = await t.stripe.quotes.retrieve(a.id, { expand: ['customer', 'line_items'] });
  assert.equal((expanded.customer as Stripe.Customer).email, 'other@example.com');
  assert.equal(expanded.line_items?.data.length, 1);

  let err = await stripeError(t.stripe.quotes.retrieve('qt_nope'));
  assert.equal(err.statusCode, 404);
  assert.equal(err.message, "No such quote: 'qt_nope'");
  err = await stripeError(t.stripe.quotes.create({ customer: 'cus_nope' }));
  assert.equal(err.code, 'resource_missing');
  assert.equal(err.param, 'customer');
  err = await stripeError(t.stripe.quotes.create({ line_items: [{ price: 'price_nope' }] }));
  assert.equal(err.param, 'line_items[0][price]');
  err = await stripeError(
    t.stripe.quotes.create({
      expires_at: Math.floor(t.emu.app.clock.now()) - 10,
      line_items: [{ price: setup.id }],
    }),
  );
  assert.equal(err.param, 'expires_at');
  const send = await t.stripe.quotes.create({
    customer: other.id,
    collection_method: 'send_invoice',
    line_items: [{ price: setup.id }],
  });
  err = await stripeError(t.stripe.quotes.finalizeQuote(send.id));
  assert.equal(err.param, 'invoice_settings[days_until_due]');
  await t.stripe.quotes.update(send.id, { invoice_settings: { days_until_due: 14 } });
  await t.stripe.quotes.finalizeQuote(send.id);
  const sent = await t.stripe.quotes.accept(send.id, { expand: ['invoice'] });
  assert.equal((sent.invoice as Stripe.Invoice).collection_method, 'send_invoice');

  // An open quote past its expires_at is canceled (quote.canceled) as the emulator clock passes it —
  // the event is there before the quote is read again — and can no longer be accepted.
  const late = await t.stripe.quotes.create({ customer: other.id, line_items: [{ price: setup.id }] });
  await t.stripe.quotes.finalizeQuote(late.id);
  const beforeExpiry = await mark();
  t.emu.app.clock.advance(31 * 86_400);
  try {
    // (Renewals of the subscriptions made above, and the other draft quotes' expiry, come too: only
    // this quote's events are looked at.)
    const ofLate = (await eventsSince(beforeExpiry)).filter(
      (e) => (e.data.object as { id?: string }).id === late.id,
    );
    // quote.will_expire 7 days before (the default quoteWillExpireDays), then quote.canceled.
    const [notice, canceled, ...more] = ofLate;
    assert.equal(more.length, 0);
    assert.deepEqual([notice?.type, notice?.created], ['quote.will_expire', late.expires_at - 7 * 86_400]);
    assert.equal(canceled?.type, 'quote.canceled');
    assert.equal(canceled.created, late.expires_at);
    assert.equal(canceled.request?.id, null);
    assert.equal((canceled.data.object as Stripe.Quote).status, 'canceled');
    assert.equal((canceled.data.previous_attributes as { status?: string }).status, 'open');
    const expired = await stripeError(t.stripe.quotes.accept(late.id));
    assert.equal(expired.statusCode, 400);
    assert.match(expired.message, /status of canceled/);
    const gone = await t.stripe.quotes.retrieve(late.id);
    assert.equal(gone.status, 'canceled');
    assert.equal(gone.status_transitions.canceled_at, late.expires_at);
    assert.deepEqual(
      (await eventsSince(beforeExpiry))
        .filter((e) => (e.data.object as { id?: string }).id === late.id)
        .map((e) => e.type),
      ['quote.will_expire', 'quote.canceled'],
    );
  } finally {
    t.emu.app.clock.advance(-31 * 86_400);
  }
  // What the emulator does not model is refused, never silently ignored.
  err = await stripeError(
    t.stripe.quotes.create({ line_items: [{ price: setup.id }], discounts: [{ coupon: 'x' }] }),
  );
  assert.equal(err.statusCode, 400);
  assert.equal(err.param, 'discounts');
  err = await stripeError(
    t.stripe.quotes.create({
      line_items: [{ price: monthly.id }],
      subscription_data: { effective_date: 'current_period_end' },
    }),
  );
  assert.equal(err.param, 'subscription_data[effective_date]');
  const res = await t.raw('POST', '/v1/quotes', 'colour=red');
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { error: { param: string } }).error.param, 'colour');
});

test("a quote on a test clock: its times are the clock's, and advancing past expires_at cancels it", async () => {
  const T0 = Date.UTC(2026, 0, 1) / 1000;
  const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: T0 });
  const onClock = await t.stripe.customers.create({ test_clock: clock.id });
  const draft = await t.stripe.quotes.create({ customer: onClock.id, line_items: [{ price: setup.id }] });
  assert.equal(draft.test_clock, clock.id);
  assert.equal(draft.created, T0);
  assert.equal(draft.expires_at, T0 + 30 * 86_400);
  const open = await t.stripe.quotes.create({
    customer: onClock.id,
    line_items: [{ price: setup.id }],
    expires_at: T0 + 10 * 86_400,
  });
  await t.stripe.quotes.finalizeQuote(open.id);
  // The emulator clock (far past T0 + 30 days) does not expire them: they live in the clock's time.
  assert.equal((await t.stripe.quotes.retrieve(draft.id)).status, 'draft');
  const since = await mark();
  const advanced = await t.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: T0 + 20 * 86_400 });
  assert.equal(advanced.status, 'advancing');
  for (let i = 0; i < 400; i++) {
    if ((await t.stripe.testHelpers.testClocks.retrieve(clock.id)).status === 'ready') break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const events = (await eventsSince(since)).filter((e) => e.type.startsWith('quote.'));
  assert.deepEqual(
    events.map((e) => [e.type, (e.data.object as Stripe.Quote).id, e.created]),
    [
      // quote.will_expire 7 days before the open quote expires (the default quoteWillExpireDays).
      ['quote.will_expire', open.id, T0 + 3 * 86_400],
      ['quote.canceled', open.id, T0 + 10 * 86_400],
    ],
  );
  const gone = await t.stripe.quotes.retrieve(open.id);
  assert.equal(gone.status, 'canceled');
  assert.equal(gone.status_transitions.canceled_at, T0 + 10 * 86_400);
  assert.equal((await t.stripe.quotes.retrieve(draft.id)).status, 'draft');
  const err = await stripeError(t.stripe.quotes.update(draft.id, { expires_at: T0 + 19 * 86_400 }));
  assert.equal(err.param, 'expires_at');
  assert.equal(err.message, 'expires_at must be in the future.');
});

test('quote.will_expire: quoteWillExpireDays before an open quote expires, once; none when finalized later or null', async () => {
  const T0 = Date.UTC(2026, 2, 1) / 1000;
  const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: T0 });
  const onClock = await t.stripe.customers.create({ test_clock: clock.id });
  const advance = async (to: number) => {
    await t.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: to });
    for (let i = 0; i < 400; i++) {
      if ((await t.stripe.testHelpers.testClocks.retrieve(clock.id)).status === 'ready') return;
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const quote = (expiresAt?: number) =>
    t.stripe.quotes.create({
      customer: onClock.id,
      line_items: [{ price: monthly.id, quantity: 2 }],
      ...(expiresAt ? { expires_at: expiresAt } : {}),
    });
  const open = await quote();
  await t.stripe.quotes.finalizeQuote(open.id);
  const draft = await quote();
  // Finalized 5 days before it expires: already inside the 7 days, no notice.
  const late = await quote(T0 + 5 * 86_400);
  await t.stripe.quotes.finalizeQuote(late.id);
  const since = await mark();
  await advance(T0 + 22 * 86_400);
  assert.deepEqual(
    (await eventsSince(since))
      .filter((e) => e.type.startsWith('quote.'))
      .map((e) => [e.type, (e.data.object as Stripe.Quote).id]),
    [['quote.canceled', late.id]],
  );
  const m2 = await mark();
  await advance(T0 + 29 * 86_400);
  const notices = (await eventsSince(m2)).filter((e) => e.type.startsWith('quote.'));
  assert.deepEqual(
    notices.map((e) => [e.type, (e.data.object as Stripe.Quote).id, e.created]),
    [['quote.will_expire', open.id, T0 + 23 * 86_400]],
  );
  const delivered = notices[0]!.data.object as Stripe.Quote;
  assert.deepEqual([delivered.status, delivered.expires_at], ['open', T0 + 30 * 86_400]);
  assert.equal((await t.stripe.quotes.retrieve(draft.id)).status, 'draft');

  // null: no notice; 2 days: two days before.
  const settings = async (body: object) => {
    const res = await fetch(`${t.emu.url}/_emulator/billing`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200);
  };
  try {
    await settings({ quoteWillExpireDays: null });
    const quiet = await quote(T0 + 40 * 86_400);
    await t.stripe.quotes.finalizeQuote(quiet.id);
    const m3 = await mark();
    await advance(T0 + 41 * 86_400);
    assert.deepEqual(
      (await eventsSince(m3))
        .filter((e) => e.type.startsWith('quote.'))
        .map((e) => [e.type, (e.data.object as Stripe.Quote).id]),
      [
        ['quote.canceled', open.id],
        ['quote.canceled', draft.id],
        ['quote.canceled', quiet.id],
      ],
    );
    await settings({ quoteWillExpireDays: 2 });
    const soon = await quote(T0 + 50 * 86_400);
    await t.stripe.quotes.finalizeQuote(soon.id);
    const m4 = await mark();
    await advance(T0 + 49 * 86_400);
    assert.deepEqual(
      (await eventsSince(m4))
        .filter((e) => e.type.startsWith('quote.'))
        .map((e) => [e.type, (e.data.object as Stripe.Quote).id, e.created]),
      [['quote.will_expire', soon.id, T0 + 48 * 86_400]],
    );
  } finally {
    await settings({ quoteWillExpireDays: 7 });
  }
});
