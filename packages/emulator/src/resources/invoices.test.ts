import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

async function customerWithCard(pm = 'pm_card_visa'): Promise<{ customer: Stripe.Customer; pm: string }> {
  const customer = await t.stripe.customers.create({ email: 'inv@example.com' });
  const attached = await t.stripe.paymentMethods.attach(pm, { customer: customer.id });
  return { customer, pm: attached.id };
}

async function typesSince(eventId: string | undefined): Promise<string[]> {
  const out: string[] = [];
  for await (const e of t.stripe.events.list({ limit: 100 })) {
    if (e.id === eventId) break;
    out.push(e.type);
  }
  return out.reverse();
}

async function lastEventId(): Promise<string | undefined> {
  return (await t.stripe.events.list({ limit: 1 })).data[0]?.id;
}

test('invoice items stay pending until an invoice includes them; exclude leaves them', async () => {
  const c = await t.stripe.customers.create({});
  const ii = await t.stripe.invoiceItems.create({
    customer: c.id,
    amount: 1500,
    currency: 'usd',
    description: 'Setup',
  });
  assert.equal(ii.invoice, null);
  assert.equal(ii.amount, 1500);
  const product = await t.stripe.products.create({ name: 'Widget' });
  const price = await t.stripe.prices.create({ product: product.id, unit_amount: 250, currency: 'usd' });
  const ii2 = await t.stripe.invoiceItems.create({
    customer: c.id,
    pricing: { price: price.id },
    quantity: 3,
  });
  assert.equal(ii2.amount, 750);
  const excluded = await t.stripe.invoices.create({
    customer: c.id,
    pending_invoice_items_behavior: 'exclude',
  });
  assert.equal(excluded.total, 0);
  assert.equal(excluded.lines.data.length, 0);
  const inv = await t.stripe.invoices.create({ customer: c.id, pending_invoice_items_behavior: 'include' });
  assert.equal(inv.status, 'draft');
  assert.equal(inv.subtotal, 2250);
  assert.equal(inv.amount_due, 2250);
  assert.deepEqual(inv.lines.data.map((l) => l.amount).sort(), [1500, 750].sort());
  assert.equal((await t.stripe.invoiceItems.retrieve(ii.id)).invoice, inv.id);
  const pending = await t.stripe.invoiceItems.list({ customer: c.id, pending: true });
  assert.equal(pending.data.length, 0);
  const lines = await t.stripe.invoices.listLineItems(inv.id, { limit: 1 });
  assert.equal(lines.data.length, 1);
  assert.equal(lines.has_more, true);
});

test('finalize → open with a number and a PaymentIntent; pay with a card → paid, events in order', async () => {
  const { customer, pm } = await customerWithCard();
  await t.stripe.invoiceItems.create({ customer: customer.id, amount: 2000, currency: 'usd' });
  const draft = await t.stripe.invoices.create({
    customer: customer.id,
    pending_invoice_items_behavior: 'include',
  });
  const mark = await lastEventId();
  const open = await t.stripe.invoices.finalizeInvoice(draft.id, {
    expand: ['confirmation_secret', 'payments'],
  });
  assert.equal(open.status, 'open');
  assert.match(open.number ?? '', /^[A-Z0-9]+-0001$/);
  assert.match(open.confirmation_secret?.client_secret ?? '', /^pi_.+_secret_/);
  assert.equal(open.payments?.data[0]?.status, 'open');
  const plain = await t.stripe.invoices.retrieve(draft.id);
  assert.equal(plain.confirmation_secret, undefined);
  const again = await stripeError(t.stripe.invoices.finalizeInvoice(draft.id));
  assert.equal(again.statusCode, 400);

  const paid = await t.stripe.invoices.pay(draft.id, { payment_method: pm });
  assert.equal(paid.status, 'paid');
  assert.equal(paid.amount_paid, 2000);
  assert.equal(paid.amount_remaining, 0);
  assert.ok(paid.status_transitions.paid_at);
  const types = await typesSince(mark);
  assert.deepEqual(
    types.filter(
      (x) => x.startsWith('invoice.') || x.startsWith('payment_intent.') || x.startsWith('charge.'),
    ),
    [
      'invoice.finalized',
      'payment_intent.created',
      ...types.filter((x) => x === 'payment_intent.succeeded' || x === 'charge.succeeded'),
      'invoice.paid',
      'invoice.payment_succeeded',
    ],
  );
  assert.ok(types.includes('payment_intent.succeeded'));
  const withPayments = await t.stripe.invoices.retrieve(draft.id, { expand: ['payments'] });
  assert.equal(withPayments.payments?.data[0]?.status, 'paid');
  assert.equal(withPayments.payments?.data[0]?.amount_paid, 2000);
  // invoice_payment.paid: the invoice's payment is paid, just before invoice.paid.
  const payment = withPayments.payments!.data[0]!;
  assert.deepEqual(types.filter((x) => x.startsWith('invoice')).slice(-3), [
    'invoice_payment.paid',
    'invoice.paid',
    'invoice.payment_succeeded',
  ]);
  const paidEvent = (await t.stripe.events.list({ type: 'invoice_payment.paid', limit: 1 })).data[0]!;
  const delivered = paidEvent.data.object as Stripe.InvoicePayment;
  assert.deepEqual(
    [
      delivered.id,
      delivered.status,
      delivered.amount_paid,
      delivered.invoice,
      delivered.status_transitions.paid_at,
    ],
    [payment.id, 'paid', 2000, draft.id, paid.status_transitions.paid_at],
  );
  const fetched = await t.stripe.invoicePayments.retrieve(payment.id);
  assert.deepEqual(
    [fetched.object, fetched.status, fetched.amount_requested],
    ['invoice_payment', 'paid', 2000],
  );
  const listed = await t.stripe.invoicePayments.list({ invoice: draft.id, status: 'paid' });
  assert.deepEqual(
    listed.data.map((x) => x.id),
    [payment.id],
  );
  const err = await stripeError(t.stripe.invoices.pay(draft.id));
  assert.equal(err.statusCode, 400);
});

test('a declining card → 402 card_error and invoice.payment_failed; the invoice stays open', async () => {
  const { customer, pm } = await customerWithCard('pm_card_chargeCustomerFail');
  await t.stripe.invoiceItems.create({ customer: customer.id, amount: 2000, currency: 'usd' });
  const inv = await t.stripe.invoices.create({
    customer: customer.id,
    pending_invoice_items_behavior: 'include',
  });
  const mark = await lastEventId();
  const err = await stripeError(t.stripe.invoices.pay(inv.id, { payment_method: pm }));
  assert.equal(err.statusCode, 402);
  assert.equal(err.type, 'StripeCardError');
  assert.equal(err.code, 'card_declined');
  const after = await t.stripe.invoices.retrieve(inv.id);
  assert.equal(after.status, 'open');
  assert.equal(after.attempt_count, 1);
  assert.equal(after.attempted, true);
  const types = await typesSince(mark);
  assert.ok(types.includes('invoice.payment_failed'));
  assert.ok(!types.includes('invoice.paid'));
});

test('paid out of band, void, mark uncollectible, delete drafts, wrong states → 400', async () => {
  const c = await t.stripe.customers.create({});
  const mk = async () => {
    await t.stripe.invoiceItems.create({ customer: c.id, amount: 900, currency: 'usd' });
    return t.stripe.invoices.create({ customer: c.id, pending_invoice_items_behavior: 'include' });
  };
  const a = await mk();
  const oob = await t.stripe.invoices.pay(a.id, { paid_out_of_band: true });
  assert.equal(oob.status, 'paid');
  assert.equal(oob.amount_paid, 900);

  const b = await mk();
  await t.stripe.invoices.finalizeInvoice(b.id);
  const voided = await t.stripe.invoices.voidInvoice(b.id);
  assert.equal(voided.status, 'void');
  assert.equal((await stripeError(t.stripe.invoices.pay(b.id))).statusCode, 400);
  assert.equal((await stripeError(t.stripe.invoices.voidInvoice(b.id))).statusCode, 400);

  const d = await mk();
  await t.stripe.invoices.finalizeInvoice(d.id);
  const unc = await t.stripe.invoices.markUncollectible(d.id);
  assert.equal(unc.status, 'uncollectible');
  const paidLater = await t.stripe.invoices.pay(d.id, { paid_out_of_band: true });
  assert.equal(paidLater.status, 'paid');

  const e = await mk();
  const del = await t.stripe.invoices.del(e.id);
  assert.equal(del.deleted, true);
  const gone = await t.stripe.invoices.retrieve(e.id);
  assert.equal(gone.deleted, true);
  assert.equal((await stripeError(t.stripe.invoices.del(a.id))).statusCode, 400);

  const list = await t.stripe.invoices.list({ customer: c.id, status: 'paid' });
  assert.deepEqual(list.data.map((i) => i.id).sort(), [a.id, d.id].sort());
});

test('errors: missing customer, unknown id, send_invoice needs days_until_due', async () => {
  const missing = await stripeError(t.stripe.invoices.create({}));
  assert.equal(missing.param, 'customer');
  const unknown = await stripeError(t.stripe.invoices.retrieve('in_nope'));
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.code, 'resource_missing');
  const c = await t.stripe.customers.create({});
  const e = await stripeError(
    t.stripe.invoices.create({ customer: c.id, collection_method: 'send_invoice' }),
  );
  assert.equal(e.param, 'days_until_due');
  const ii = await stripeError(t.stripe.invoiceItems.create({ customer: c.id }));
  assert.equal(ii.param, 'amount');
  const inv = await t.stripe.invoices.create({
    customer: c.id,
    collection_method: 'send_invoice',
    days_until_due: 14,
  });
  await t.stripe.invoiceItems.create({ customer: c.id, invoice: inv.id, amount: 500, currency: 'usd' });
  const fin = await t.stripe.invoices.finalizeInvoice(inv.id);
  assert.equal(fin.due_date, (fin.status_transitions.finalized_at ?? 0) + 14 * 86_400);
  assert.equal(fin.amount_due, 500);
});

test('a coupon discounts the invoice; idempotent create replays', async () => {
  const c = await t.stripe.customers.create({});
  const coupon = await t.stripe.coupons.create({ percent_off: 25, duration: 'once' });
  await t.stripe.invoiceItems.create({ customer: c.id, amount: 1001, currency: 'usd' });
  const inv = await t.stripe.invoices.create(
    { customer: c.id, pending_invoice_items_behavior: 'include', discounts: [{ coupon: coupon.id }] },
    { idempotencyKey: `inv-${c.id}` },
  );
  assert.equal(inv.subtotal, 1001);
  assert.equal(inv.total_discount_amounts?.[0]?.amount, 250);
  assert.equal(inv.total, 751);
  const replay = await t.stripe.invoices.create(
    { customer: c.id, pending_invoice_items_behavior: 'include', discounts: [{ coupon: coupon.id }] },
    { idempotencyKey: `inv-${c.id}` },
  );
  assert.equal(replay.id, inv.id);
});
