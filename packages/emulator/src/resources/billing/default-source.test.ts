import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import {
  eventMark,
  eventsSince as eventsSinceOf,
  stripeError,
  type TestEmulator,
  testEmulator,
} from '../../testing.js';

/**
 * Invoices of a customer whose only way to pay is a legacy card source (`default_source`, no
 * PaymentMethod): Stripe charges that source, through the invoice's PaymentIntent.
 */

let t: TestEmulator;
let monthly: Stripe.Price;
before(async () => {
  t = await testEmulator();
  const product = await t.stripe.products.create({ name: 'Legacy seats' });
  monthly = await t.stripe.prices.create({
    product: product.id,
    unit_amount: 1500,
    currency: 'usd',
    recurring: { interval: 'month' },
  });
});
after(() => t.emu.close());

const mark = () => eventMark(t.stripe);
const eventsSince = (since: string) => eventsSinceOf(t.stripe, since);

async function advance(clock: string, to: number): Promise<void> {
  await t.stripe.testHelpers.testClocks.advance(clock, { frozen_time: to });
  for (let i = 0; i < 400; i++) {
    if ((await t.stripe.testHelpers.testClocks.retrieve(clock)).status === 'ready') return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('test clock did not become ready');
}

test('a subscription of a customer with only a default_source is paid from that card', async () => {
  const customer = await t.stripe.customers.create({ source: 'tok_visa' });
  const card = customer.default_source as string;
  assert.match(card, /^card_/);
  const since = await mark();
  const sub = await t.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: monthly.id }],
    expand: ['latest_invoice.payments'],
  });
  assert.equal(sub.status, 'active');
  const inv = sub.latest_invoice as Stripe.Invoice;
  assert.equal(inv.status, 'paid');
  assert.equal(inv.amount_paid, 1500);
  const piId = inv.payments!.data[0]!.payment.payment_intent as string;
  const pi = await t.stripe.paymentIntents.retrieve(piId, { expand: ['latest_charge'] });
  assert.equal(pi.status, 'succeeded');
  assert.equal(pi.payment_method, card);
  const ch = pi.latest_charge as Stripe.Charge;
  assert.equal(ch.payment_method, card);
  assert.equal((ch.source as Stripe.Card).id, card);
  assert.equal((ch.source as Stripe.Card).object, 'card');
  assert.equal(ch.customer, customer.id);
  assert.equal(ch.amount_captured, 1500);
  const types: string[] = (await eventsSince(since)).map((e) => e.type);
  for (const type of [
    'charge.succeeded',
    'payment_intent.succeeded',
    'invoice.paid',
    'invoice.payment_succeeded',
  ])
    assert.ok(types.includes(type), `${type} in ${types.join(', ')}`);
  // The source is the customer's already: nothing is attached, no PaymentMethod appears.
  assert.ok(!types.includes('payment_method.attached'));
  assert.equal((await t.stripe.customers.listPaymentMethods(customer.id)).data.length, 0);
  // An invoice paid through the API is charged to the same source.
  await t.stripe.invoiceItems.create({ customer: customer.id, amount: 700, currency: 'usd' });
  const draft = await t.stripe.invoices.create({
    customer: customer.id,
    pending_invoice_items_behavior: 'include',
  });
  await t.stripe.invoices.finalizeInvoice(draft.id);
  const paid = await t.stripe.invoices.pay(draft.id);
  assert.equal(paid.status, 'paid');
  assert.equal(paid.amount_paid, 700);
});

test('a declining default_source: the first invoice fails and the subscription is incomplete', async () => {
  // tok_chargeDeclined is refused when attached (Stripe checks the card then); tok_chargeCustomerFail
  // attaches and declines its charges.
  const refused = await stripeError(t.stripe.customers.create({ source: 'tok_chargeDeclined' }));
  assert.equal(refused.statusCode, 402);
  assert.equal(refused.code, 'card_declined');
  const customer = await t.stripe.customers.create({ source: 'tok_chargeCustomerFail' });
  const card = customer.default_source as string;
  const since = await mark();
  const sub = await t.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: monthly.id }],
    expand: ['latest_invoice.payments'],
  });
  assert.equal(sub.status, 'incomplete');
  const inv = sub.latest_invoice as Stripe.Invoice;
  assert.equal(inv.status, 'open');
  assert.equal(inv.attempted, true);
  assert.equal(inv.attempt_count, 1);
  const piId = inv.payments!.data[0]!.payment.payment_intent as string;
  const pi = await t.stripe.paymentIntents.retrieve(piId, { expand: ['latest_charge'] });
  assert.equal(pi.status, 'requires_payment_method');
  assert.equal(pi.last_payment_error?.code, 'card_declined');
  assert.equal(pi.last_payment_error?.decline_code, 'generic_decline');
  assert.equal(pi.last_payment_error?.payment_method?.id, card);
  const ch = pi.latest_charge as Stripe.Charge;
  assert.equal(ch.status, 'failed');
  assert.equal((ch.source as Stripe.Card).id, card);
  const types: string[] = (await eventsSince(since)).map((e) => e.type);
  for (const type of ['charge.failed', 'payment_intent.payment_failed', 'invoice.payment_failed'])
    assert.ok(types.includes(type), `${type} in ${types.join(', ')}`);
  // Paying it through the API answers the card's 402.
  const err = await stripeError(t.stripe.invoices.pay(inv.id));
  assert.equal(err.statusCode, 402);
  assert.equal(err.type, 'StripeCardError');
  assert.equal(err.code, 'card_declined');
  assert.equal(err.decline_code, 'generic_decline');
  // A working card as the new default source pays it.
  const fixed = await t.stripe.customers.update(customer.id, { source: 'tok_visa' });
  const paid = await t.stripe.invoices.pay(inv.id);
  assert.equal(paid.status, 'paid');
  assert.equal((await t.stripe.subscriptions.retrieve(sub.id)).status, 'active');
  const latest = await t.stripe.paymentIntents.retrieve(piId);
  assert.equal(latest.payment_method, fixed.default_source);
});

test('a renewal charged to a default_source that now declines: payment failed, past_due, retries planned', async () => {
  const T0 = Date.UTC(2026, 2, 1) / 1000;
  const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: T0 });
  const customer = await t.stripe.customers.create({ source: 'tok_visa', test_clock: clock.id });
  const sub = await t.stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }] });
  assert.equal(sub.status, 'active');
  const failing = await t.stripe.customers.update(customer.id, { source: 'tok_chargeCustomerFail' });
  const since = await mark();
  await advance(clock.id, T0 + 32 * 86_400);
  const after = await t.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
  assert.equal(after.status, 'past_due');
  const renewal = after.latest_invoice as Stripe.Invoice;
  assert.equal(renewal.billing_reason, 'subscription_cycle');
  assert.equal(renewal.status, 'open');
  assert.equal(renewal.attempt_count, 1);
  assert.ok(renewal.next_payment_attempt !== null && renewal.next_payment_attempt > T0 + 31 * 86_400);
  const events = await eventsSince(since);
  const failed = events.find((e) => e.type === 'charge.failed');
  assert.ok(failed);
  assert.equal(((failed.data.object as Stripe.Charge).source as Stripe.Card).id, failing.default_source);
  assert.ok(events.some((e) => e.type === 'invoice.payment_failed'));
});

test('default_source on customers, subscriptions and invoices chooses the card charged (Stripe order)', async () => {
  const customer = await t.stripe.customers.create({ source: 'tok_visa' });
  const visa = customer.default_source as string;
  const mastercard = (await t.stripe.customers.createSource(customer.id, {
    source: 'tok_mastercard',
  })) as Stripe.Card;
  const amex = (await t.stripe.customers.createSource(customer.id, { source: 'tok_amex' })) as Stripe.Card;

  // The customer's default source can be another of its cards; any other id is Stripe's 400.
  const since = await mark();
  const updated = await t.stripe.customers.update(customer.id, { default_source: mastercard.id });
  assert.equal(updated.default_source, mastercard.id);
  const [ev] = (await eventsSince(since)).filter((e) => e.type === 'customer.updated');
  assert.deepEqual(ev?.data.previous_attributes, { default_source: visa });
  const other = await t.stripe.customers.create({ source: 'tok_visa' });
  for (const bad of ['card_nope', other.default_source as string]) {
    const err = await stripeError(t.stripe.customers.update(customer.id, { default_source: bad }));
    assert.equal(err.statusCode, 400);
    assert.equal(err.code, 'resource_missing');
    assert.equal(err.param, 'default_source');
    assert.equal(err.message, `No such source: '${bad}'`);
  }
  const badSub = await stripeError(
    t.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: monthly.id }],
      default_source: 'card_nope',
    }),
  );
  assert.equal(badSub.param, 'default_source');

  const chargedCard = async (inv: Stripe.Invoice) => {
    const full = await t.stripe.invoices.retrieve(inv.id, { expand: ['payments'] });
    const pi = await t.stripe.paymentIntents.retrieve(
      full.payments!.data[0]!.payment.payment_intent as string,
    );
    return pi.payment_method;
  };
  // The customer's default source…
  const plain = await t.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: monthly.id }],
  });
  assert.equal(
    await chargedCard(await t.stripe.invoices.retrieve(plain.latest_invoice as string)),
    mastercard.id,
  );
  // …unless the subscription names its own…
  const own = await t.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: monthly.id }],
    default_source: amex.id,
  });
  assert.equal(own.default_source, amex.id);
  assert.equal(await chargedCard(await t.stripe.invoices.retrieve(own.latest_invoice as string)), amex.id);
  // …or the invoice does.
  await t.stripe.invoiceItems.create({ customer: customer.id, amount: 900, currency: 'usd' });
  const draft = await t.stripe.invoices.create({
    customer: customer.id,
    pending_invoice_items_behavior: 'include',
    default_source: visa,
  });
  assert.equal(draft.default_source, visa);
  await t.stripe.invoices.finalizeInvoice(draft.id);
  const paid = await t.stripe.invoices.pay(draft.id);
  assert.equal(paid.status, 'paid');
  assert.equal(await chargedCard(paid), visa);
});

test('a trial ending with only a default_source is not "missing a payment method": the card is charged', async () => {
  const T0 = Date.UTC(2026, 5, 1) / 1000;
  const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: T0 });
  const customer = await t.stripe.customers.create({ source: 'tok_visa', test_clock: clock.id });
  const sub = await t.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: monthly.id }],
    trial_period_days: 3,
    trial_settings: { end_behavior: { missing_payment_method: 'cancel' } },
  });
  assert.equal(sub.status, 'trialing');
  await advance(clock.id, T0 + 4 * 86_400);
  const after = await t.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
  assert.equal(after.status, 'active');
  const inv = after.latest_invoice as Stripe.Invoice;
  assert.equal(inv.status, 'paid');
  assert.equal(inv.amount_paid, 1500);
});
