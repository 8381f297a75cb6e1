import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

const at = (m: number, d: number, h = 0) => Date.UTC(2026, m - 1, d, h) / 1000;
const DAY = 86_400;
const HOUR = 3600;

async function advance(clock: string, to: number): Promise<void> {
  const c = await t.stripe.testHelpers.testClocks.advance(clock, { frozen_time: to });
  assert.equal(c.status, 'advancing');
  for (let i = 0; i < 400; i++) {
    const now = await t.stripe.testHelpers.testClocks.retrieve(clock);
    if (now.status === 'ready') return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('test clock did not become ready');
}

async function mark(): Promise<string | undefined> {
  return (await t.stripe.events.list({ limit: 1 })).data[0]?.id;
}

async function eventsSince(since: string | undefined, prefixes: string[]): Promise<Stripe.Event[]> {
  const out: Stripe.Event[] = [];
  for await (const e of t.stripe.events.list({ limit: 100 })) {
    if (e.id === since) break;
    out.push(e);
  }
  return out.reverse().filter((e) => prefixes.some((p) => e.type.startsWith(p)));
}

const types = (es: Stripe.Event[]) => es.map((e) => e.type);

async function setup(frozen: number) {
  const product = await t.stripe.products.create({ name: 'Trial plan' });
  const price = await t.stripe.prices.create({
    product: product.id,
    unit_amount: 1200,
    currency: 'usd',
    recurring: { interval: 'month' },
  });
  const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: frozen });
  const customer = await t.stripe.customers.create({ email: 'trial@example.com', test_clock: clock.id });
  return { price, clock, customer };
}

type Missing = Stripe.SubscriptionCreateParams.TrialSettings.EndBehavior.MissingPaymentMethod;

async function trialWithoutCard(missing: Missing, days = 7) {
  const T0 = at(1, 1);
  const { price, clock, customer } = await setup(T0);
  const sub = await t.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    trial_period_days: days,
    trial_settings: { end_behavior: { missing_payment_method: missing } },
  });
  assert.equal(sub.status, 'trialing');
  assert.equal(sub.trial_settings?.end_behavior.missing_payment_method, missing);
  return { T0, sub, clock, customer, price };
}

test('trial ends without a payment method, missing_payment_method=pause: paused, no invoice; resume', async () => {
  const { T0, sub, clock, customer } = await trialWithoutCard('pause');
  const invoicesBefore = (await t.stripe.invoices.list({ customer: customer.id })).data.length;
  const m = await mark();
  await advance(clock.id, T0 + 7 * DAY + 2 * HOUR);
  const paused = await t.stripe.subscriptions.retrieve(sub.id);
  assert.equal(paused.status, 'paused');
  assert.equal((await t.stripe.invoices.list({ customer: customer.id })).data.length, invoicesBefore);
  const es = await eventsSince(m, ['customer.subscription.', 'invoice.']);
  // invoice.upcoming is the emulator's renewal notice (BillingSettings.upcomingRenewalDays, 3 days).
  assert.deepEqual(types(es), [
    'customer.subscription.trial_will_end',
    'invoice.upcoming',
    'customer.subscription.updated',
    'customer.subscription.paused',
  ]);
  assert.equal(es[0]!.created, T0 + 4 * DAY);
  assert.deepEqual(es[2]!.data.previous_attributes, { status: 'trialing' });
  assert.equal(es[3]!.created, T0 + 7 * DAY);
  // Nothing more happens while paused, even a month on.
  const m2 = await mark();
  await advance(clock.id, T0 + 40 * DAY);
  assert.deepEqual(types(await eventsSince(m2, ['customer.subscription.', 'invoice.'])), []);

  const card = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  await t.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: card.id } });
  const m3 = await mark();
  const resumed = await t.stripe.subscriptions.resume(sub.id, { expand: ['latest_invoice'] });
  assert.equal(resumed.status, 'active');
  assert.equal((resumed.latest_invoice as Stripe.Invoice).status, 'paid');
  const rs = types(await eventsSince(m3, ['customer.subscription.']));
  assert.deepEqual(rs.slice(0, 2), ['customer.subscription.updated', 'customer.subscription.resumed']);
  const again = await stripeError(t.stripe.subscriptions.resume(sub.id));
  assert.equal(again.statusCode, 400);
});

test('missing_payment_method=cancel: the subscription is canceled when the trial ends', async () => {
  const { T0, sub, clock } = await trialWithoutCard('cancel');
  const m = await mark();
  await advance(clock.id, T0 + 7 * DAY + HOUR);
  const canceled = await t.stripe.subscriptions.retrieve(sub.id);
  assert.equal(canceled.status, 'canceled');
  assert.equal(canceled.ended_at, T0 + 7 * DAY);
  assert.deepEqual(types(await eventsSince(m, ['customer.subscription.', 'invoice.'])), [
    'customer.subscription.trial_will_end',
    'invoice.upcoming',
    'customer.subscription.deleted',
  ]);
});

test('missing_payment_method=create_invoice: the invoice is created and fails; past_due', async () => {
  const { T0, sub, clock } = await trialWithoutCard('create_invoice');
  const m = await mark();
  await advance(clock.id, T0 + 7 * DAY + 2 * HOUR);
  const due = await t.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
  assert.equal(due.status, 'past_due');
  const inv = due.latest_invoice as Stripe.Invoice;
  assert.equal(inv.status, 'open');
  assert.equal(inv.amount_due, 1200);
  assert.equal(inv.billing_reason, 'subscription_cycle');
  assert.deepEqual(types(await eventsSince(m, ['customer.subscription.', 'invoice.'])), [
    'customer.subscription.trial_will_end',
    'invoice.upcoming',
    'invoice.created',
    'customer.subscription.updated',
    'invoice.finalized',
    'invoice.payment_failed',
    'customer.subscription.updated',
  ]);
});

test('trial_will_end: three days before a longer trial ends; at once for a shorter one, and for trial_end=now', async () => {
  const T0 = at(1, 1);
  const { price, customer } = await setup(T0);
  const card = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  await t.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: card.id } });

  let m = await mark();
  const short = await t.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    trial_end: T0 + 2 * DAY,
  });
  let es = await eventsSince(m, ['customer.subscription.']);
  assert.deepEqual(types(es), ['customer.subscription.created', 'customer.subscription.trial_will_end']);
  assert.equal(es[1]!.created, T0);
  assert.equal((es[1]!.data.object as Stripe.Subscription).id, short.id);

  m = await mark();
  const long = await t.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    trial_period_days: 3,
  });
  // Exactly three days: due now, so at once too.
  assert.equal(long.status, 'trialing');
  assert.deepEqual(types(await eventsSince(m, ['customer.subscription.'])), [
    'customer.subscription.created',
    'customer.subscription.trial_will_end',
  ]);

  m = await mark();
  const month = await t.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    trial_period_days: 30,
  });
  assert.deepEqual(types(await eventsSince(m, ['customer.subscription.'])), [
    'customer.subscription.created',
  ]);
  m = await mark();
  const ended = await t.stripe.subscriptions.update(month.id, { trial_end: 'now' });
  assert.equal(ended.status, 'active');
  es = await eventsSince(m, ['customer.subscription.']);
  assert.ok(types(es).includes('customer.subscription.trial_will_end'), types(es).join());
});

test('a renewal that needs 3-D Secure: requires_action, invoice.payment_failed + invoice.payment_action_required, past_due; authenticating pays it', async () => {
  const T0 = at(1, 1);
  const { price, clock, customer } = await setup(T0);
  const visa = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: customer.id });
  await t.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: visa.id } });
  const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
  assert.equal(sub.status, 'active');
  const sca = await t.stripe.paymentMethods.attach('pm_card_authenticationRequired', {
    customer: customer.id,
  });
  await t.stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: sca.id } });

  const m = await mark();
  await advance(clock.id, at(2, 1) + 2 * HOUR);
  const due = await t.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice.payments'] });
  assert.equal(due.status, 'past_due');
  const inv = due.latest_invoice as Stripe.Invoice;
  assert.equal(inv.status, 'open');
  assert.equal(inv.attempted, true);
  assert.equal(inv.attempt_count, 1);
  assert.equal(inv.amount_remaining, 1200);
  const pi = await t.stripe.paymentIntents.retrieve(inv.payments?.data[0]?.payment.payment_intent as string);
  assert.equal(pi.status, 'requires_action');
  assert.equal(pi.next_action?.type, 'use_stripe_sdk');
  assert.equal(pi.payment_method, sca.id);
  assert.equal(pi.latest_charge, null, 'no charge is attempted before authentication');
  const es = await eventsSince(m, ['customer.subscription.', 'invoice.', 'payment_intent.']);
  assert.deepEqual(types(es), [
    'invoice.upcoming',
    'invoice.created',
    'customer.subscription.updated',
    'invoice.finalized',
    'payment_intent.created',
    'payment_intent.requires_action',
    'invoice.payment_failed',
    'invoice.payment_action_required',
    'customer.subscription.updated',
  ]);
  const actionInvoice = es[7]!.data.object as Stripe.Invoice;
  assert.equal(actionInvoice.id, inv.id);
  assert.equal(actionInvoice.status, 'open');

  // The customer authenticates (the hosted invoice page's 3-D Secure step): paid, active again.
  const m2 = await mark();
  const done = await fetch(`${t.emu.url}/_emulator/payment_intents/${pi.id}/authenticate`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'outcome=succeed',
  });
  assert.equal(done.status, 200);
  assert.equal((await t.stripe.invoices.retrieve(inv.id)).status, 'paid');
  assert.equal((await t.stripe.subscriptions.retrieve(sub.id)).status, 'active');
  const after2 = types(await eventsSince(m2, ['customer.subscription.', 'invoice.', 'payment_intent.']));
  assert.deepEqual(after2, [
    'payment_intent.succeeded',
    'invoice.paid',
    'invoice.payment_succeeded',
    'customer.subscription.updated',
  ]);
});

test('trial_end=now without a payment method follows missing_payment_method: pause, or cancel', async () => {
  const { sub, customer } = await trialWithoutCard('pause');
  const invoices = (await t.stripe.invoices.list({ customer: customer.id })).data.length;
  let m = await mark();
  const paused = await t.stripe.subscriptions.update(sub.id, { trial_end: 'now' });
  assert.equal(paused.status, 'paused');
  assert.equal(paused.trial_end, at(1, 1));
  assert.equal((await t.stripe.invoices.list({ customer: customer.id })).data.length, invoices);
  assert.deepEqual(types(await eventsSince(m, ['customer.subscription.', 'invoice.'])), [
    'customer.subscription.trial_will_end',
    'customer.subscription.updated',
    'customer.subscription.paused',
  ]);

  const other = await trialWithoutCard('cancel');
  m = await mark();
  const canceled = await t.stripe.subscriptions.update(other.sub.id, { trial_end: 'now' });
  assert.equal(canceled.status, 'canceled');
  assert.deepEqual(types(await eventsSince(m, ['customer.subscription.', 'invoice.'])), [
    'customer.subscription.trial_will_end',
    'customer.subscription.deleted',
  ]);
});

test('paying an invoice through the API with a card that needs 3-D Secure: 402 invoice_payment_intent_requires_action', async () => {
  const customer = await t.stripe.customers.create({ email: 'sca@example.com' });
  await t.stripe.invoiceItems.create({ customer: customer.id, amount: 2000, currency: 'usd' });
  const draft = await t.stripe.invoices.create({
    customer: customer.id,
    pending_invoice_items_behavior: 'include',
  });
  const sca = await t.stripe.paymentMethods.attach('pm_card_authenticationRequired', {
    customer: customer.id,
  });
  const m = await mark();
  const err = await stripeError(t.stripe.invoices.pay(draft.id, { payment_method: sca.id }));
  assert.equal(err.statusCode, 402);
  assert.equal(err.type, 'StripeCardError');
  assert.equal(err.code, 'invoice_payment_intent_requires_action');
  const inv = await t.stripe.invoices.retrieve(draft.id, { expand: ['payments'] });
  assert.equal(inv.status, 'open');
  const piId = inv.payments?.data[0]?.payment.payment_intent as string;
  assert.equal((err.raw as { payment_intent?: { id: string } }).payment_intent?.id, piId);
  assert.equal((await t.stripe.paymentIntents.retrieve(piId)).status, 'requires_action');
  assert.deepEqual(types(await eventsSince(m, ['invoice.payment_', 'payment_intent.requires_action'])), [
    'payment_intent.requires_action',
    'invoice.payment_failed',
    'invoice.payment_action_required',
  ]);
});
