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

const balanceOf = async (id: string) => ((await t.stripe.customers.retrieve(id)) as Stripe.Customer).balance;

test('customer balance transactions: create, retrieve, update, list; customer.updated', async () => {
  const c = await t.stripe.customers.create({});
  const mark = await lastEventId();
  const credit = await t.stripe.customers.createBalanceTransaction(c.id, {
    amount: -1500,
    currency: 'usd',
    description: 'Goodwill',
    metadata: { ticket: '42' },
  });
  assert.match(credit.id, /^cbtxn_/);
  assert.deepEqual(
    [credit.object, credit.type, credit.amount, credit.ending_balance, credit.customer, credit.currency],
    ['customer_balance_transaction', 'adjustment', -1500, -1500, c.id, 'usd'],
  );
  const debit = await t.stripe.customers.createBalanceTransaction(c.id, { amount: 500, currency: 'usd' });
  assert.equal(debit.ending_balance, -1000);
  const customer = (await t.stripe.customers.retrieve(c.id)) as Stripe.Customer;
  assert.deepEqual([customer.balance, customer.currency], [-1000, 'usd']);
  const events = await t.stripe.events.list({ limit: 2 });
  assert.deepEqual(await typesSince(mark), ['customer.updated', 'customer.updated']);
  assert.deepEqual(events.data[0]!.data.previous_attributes, { balance: -1500 });
  const got = await t.stripe.customers.retrieveBalanceTransaction(c.id, credit.id, { expand: ['customer'] });
  assert.equal((got.customer as Stripe.Customer).id, c.id);
  const updated = await t.stripe.customers.updateBalanceTransaction(c.id, credit.id, {
    description: 'Apology',
  });
  assert.equal(updated.description, 'Apology');
  const page = await t.stripe.customers.listBalanceTransactions(c.id, { limit: 1 });
  assert.deepEqual(
    [page.data[0]!.id, page.has_more, page.url],
    [debit.id, true, `/v1/customers/${c.id}/balance_transactions`],
  );
  const next = await t.stripe.customers.listBalanceTransactions(c.id, { limit: 1, starting_after: debit.id });
  assert.equal(next.data[0]!.id, credit.id);
});

test('customer balance transaction errors', async () => {
  const c = await t.stripe.customers.create({});
  const other = await t.stripe.customers.create({});
  await t.stripe.customers.createBalanceTransaction(c.id, { amount: -100, currency: 'usd' });
  const missing = await stripeError(
    t.stripe.customers.createBalanceTransaction(c.id, { currency: 'usd' } as never),
  );
  assert.deepEqual([missing.statusCode, missing.code, missing.param], [400, 'parameter_missing', 'amount']);
  const currency = await stripeError(
    t.stripe.customers.createBalanceTransaction(c.id, { amount: -100, currency: 'eur' }),
  );
  assert.deepEqual([currency.statusCode, currency.param], [400, 'currency']);
  const noCustomer = await stripeError(
    t.stripe.customers.createBalanceTransaction('cus_nope', { amount: 1, currency: 'usd' }),
  );
  assert.deepEqual([noCustomer.statusCode, noCustomer.code], [404, 'resource_missing']);
  const txn = (await t.stripe.customers.listBalanceTransactions(c.id)).data[0]!;
  const wrongOwner = await stripeError(t.stripe.customers.retrieveBalanceTransaction(other.id, txn.id));
  assert.deepEqual([wrongOwner.statusCode, wrongOwner.code], [404, 'resource_missing']);
  const notUpdatable = await stripeError(
    t.stripe.customers.updateBalanceTransaction(c.id, txn.id, { amount: 5 } as never),
  );
  assert.deepEqual([notUpdatable.code, notUpdatable.param], ['parameter_unknown', 'amount']);
});

test('a credit balance is applied to the next invoice at finalization; voiding gives it back', async () => {
  const c = await t.stripe.customers.create({ payment_method: 'pm_card_visa' });
  await t.stripe.customers.createBalanceTransaction(c.id, { amount: -1500, currency: 'usd' });
  await t.stripe.invoiceItems.create({ customer: c.id, amount: 4000, currency: 'usd' });
  const draft = await t.stripe.invoices.create({ customer: c.id, pending_invoice_items_behavior: 'include' });
  assert.equal(draft.amount_due, 4000);
  const open = await t.stripe.invoices.finalizeInvoice(draft.id);
  assert.deepEqual(
    [open.total, open.starting_balance, open.ending_balance, open.amount_due, open.amount_remaining],
    [4000, -1500, 0, 2500, 2500],
  );
  assert.equal(await balanceOf(c.id), 0);
  const applied = (await t.stripe.customers.listBalanceTransactions(c.id, { limit: 1 })).data[0]!;
  assert.deepEqual([applied.type, applied.amount, applied.invoice], ['applied_to_invoice', 1500, open.id]);
  await t.stripe.invoices.voidInvoice(open.id);
  assert.equal(await balanceOf(c.id), -1500);
  const back = (await t.stripe.customers.listBalanceTransactions(c.id, { limit: 1 })).data[0]!;
  assert.deepEqual([back.type, back.amount], ['unapplied_from_invoice', -1500]);
});

test('a credit larger than the invoice pays it and keeps the rest; a debit is added to the amount due', async () => {
  const c = await t.stripe.customers.create({});
  await t.stripe.customers.createBalanceTransaction(c.id, { amount: -5000, currency: 'usd' });
  await t.stripe.invoiceItems.create({ customer: c.id, amount: 3000, currency: 'usd' });
  const draft = await t.stripe.invoices.create({ customer: c.id, pending_invoice_items_behavior: 'include' });
  const paid = await t.stripe.invoices.finalizeInvoice(draft.id);
  assert.deepEqual(
    [paid.status, paid.amount_due, paid.starting_balance, paid.ending_balance],
    ['paid', 0, -5000, -2000],
  );
  assert.equal(await balanceOf(c.id), -2000);

  const d = await t.stripe.customers.create({ balance: 700 });
  await t.stripe.invoiceItems.create({ customer: d.id, amount: 1000, currency: 'usd' });
  const dd = await t.stripe.invoices.create({ customer: d.id, pending_invoice_items_behavior: 'include' });
  const due = await t.stripe.invoices.finalizeInvoice(dd.id);
  assert.deepEqual([due.amount_due, due.starting_balance, due.ending_balance], [1700, 700, 0]);
  assert.equal(await balanceOf(d.id), 0);
  const ledger = await t.stripe.customers.listBalanceTransactions(d.id);
  assert.deepEqual(
    ledger.data.map((x) => [x.type, x.amount, x.ending_balance]),
    [
      ['applied_to_invoice', -700, 0],
      ['initial', 700, 700],
    ],
  );
  await t.stripe.customers.update(d.id, { balance: -250 });
  const adjusted = (await t.stripe.customers.listBalanceTransactions(d.id, { limit: 1 })).data[0]!;
  assert.deepEqual([adjusted.type, adjusted.amount, adjusted.ending_balance], ['adjustment', -250, -250]);
});

test('balance transactions: charges (fee and net) and refunds; retrieve, list filters, expand', async () => {
  const pi = await t.stripe.paymentIntents.create({
    amount: 10000,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    confirm: true,
    allowed_payment_method_types: ['card'],
    expand: ['latest_charge.balance_transaction'],
  });
  const charge = pi.latest_charge as Stripe.Charge;
  const bt = charge.balance_transaction as Stripe.BalanceTransaction;
  assert.match(bt.id, /^txn_/);
  // Stripe's standard card pricing: 2.9 % + 30¢.
  assert.deepEqual(
    [bt.object, bt.type, bt.amount, bt.fee, bt.net, bt.currency, bt.source, bt.status, bt.reporting_category],
    ['balance_transaction', 'charge', 10000, 320, 9680, 'usd', charge.id, 'pending', 'charge'],
  );
  assert.deepEqual(
    bt.fee_details.map((f) => [f.type, f.amount]),
    [['stripe_fee', 320]],
  );
  assert.ok(bt.available_on > bt.created);
  const refund = await t.stripe.refunds.create({
    payment_intent: pi.id,
    amount: 2500,
    expand: ['balance_transaction'],
  });
  const rbt = refund.balance_transaction as Stripe.BalanceTransaction;
  assert.deepEqual(
    [rbt.type, rbt.amount, rbt.fee, rbt.net, rbt.source],
    ['refund', -2500, 0, -2500, refund.id],
  );

  const got = await t.stripe.balanceTransactions.retrieve(bt.id, { expand: ['source'] });
  assert.equal((got.source as Stripe.Charge).id, charge.id);
  const refunds = await t.stripe.balanceTransactions.list({ type: 'refund' });
  assert.deepEqual(
    refunds.data.map((x) => x.id),
    [rbt.id],
  );
  const bySource = await t.stripe.balanceTransactions.list({ source: charge.id });
  assert.deepEqual(
    bySource.data.map((x) => x.id),
    [bt.id],
  );
  const page = await t.stripe.balanceTransactions.list({ limit: 1 });
  assert.deepEqual([page.data[0]!.id, page.has_more], [rbt.id, true]);
  const payout = await stripeError(t.stripe.balanceTransactions.list({ payout: 'po_nope' }));
  assert.deepEqual(
    [payout.statusCode, payout.code, payout.param, payout.message],
    [400, 'resource_missing', 'payout', "No such payout: 'po_nope'"],
  );
  const nope = await stripeError(t.stripe.balanceTransactions.retrieve('txn_nope'));
  assert.deepEqual([nope.statusCode, nope.code, nope.param], [404, 'resource_missing', 'id']);
});

test('a manual capture gets its balance transaction when captured; declined charges get none', async () => {
  const pi = await t.stripe.paymentIntents.create({
    amount: 5000,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    confirm: true,
    capture_method: 'manual',
    allowed_payment_method_types: ['card'],
  });
  const before = await t.stripe.charges.retrieve(pi.latest_charge as string);
  assert.equal(before.balance_transaction, null);
  const captured = await t.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 4000 });
  const ch = await t.stripe.charges.retrieve(captured.latest_charge as string, {
    expand: ['balance_transaction'],
  });
  const bt = ch.balance_transaction as Stripe.BalanceTransaction;
  assert.deepEqual([bt.amount, bt.fee, bt.net], [4000, 146, 3854]);
  const declined = await stripeError(
    t.stripe.paymentIntents.create({
      amount: 5000,
      currency: 'usd',
      payment_method: 'pm_card_chargeDeclined',
      confirm: true,
      allowed_payment_method_types: ['card'],
    }),
  );
  assert.match(declined.charge ?? '', /^ch_/);
  const failed = await t.stripe.charges.retrieve(declined.charge!);
  assert.equal(failed.balance_transaction, null);
});

test('a charge’s funds are pending until available_on on the emulator clock, then available', async () => {
  const pi = await t.stripe.paymentIntents.create({
    amount: 1000,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    confirm: true,
    allowed_payment_method_types: ['card'],
  });
  const ch = await t.stripe.charges.retrieve(pi.latest_charge as string);
  const id = ch.balance_transaction as string;
  const pending = await t.stripe.balanceTransactions.retrieve(id);
  assert.equal(pending.status, 'pending');
  assert.equal(pending.available_on % 86_400, 0);
  assert.ok(pending.available_on - pending.created > 86_400);
  const res = await fetch(`${t.emu.url}/_emulator/clock`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ advance: 3 * 86_400 }),
  });
  assert.equal(res.status, 200);
  assert.equal((await t.stripe.balanceTransactions.retrieve(id)).status, 'available');
  const listed = await t.stripe.balanceTransactions.list({ source: ch.id });
  assert.equal(listed.data[0]!.status, 'available');
});

test('GET /v1/balance: pending until available_on, refunds from available; balance.available when funds become available', async () => {
  const own = await testEmulator();
  try {
    const s = own.stripe;
    const zero = [{ amount: 0, currency: 'usd', source_types: { card: 0 } }];
    assert.deepEqual(await s.balance.retrieve(), {
      object: 'balance',
      available: zero,
      connect_reserved: [{ amount: 0, currency: 'usd' }],
      livemode: false,
      pending: zero,
    });
    const pay = (amount: number, payment_method: string, currency = 'usd') =>
      s.paymentIntents.create({
        amount,
        currency,
        payment_method,
        confirm: true,
        allowed_payment_method_types: ['card'],
      });
    const sum = (amount: number, currency = 'usd') => [{ amount, currency, source_types: { card: amount } }];
    const pi = await pay(2000, 'pm_card_visa');
    const txn = await s.balanceTransactions.retrieve(
      (await s.charges.retrieve(pi.latest_charge as string)).balance_transaction as string,
    );
    let b = await s.balance.retrieve();
    // 2000 less the fee (58 + 30): pending; nothing available, and no balance.available yet.
    assert.deepEqual([b.available, b.pending], [sum(0), sum(1912)]);
    assert.equal((await s.events.list({ type: 'balance.available' })).data.length, 0);

    // The bypass-pending card: available at once (1000 − 59), and balance.available carries the balance.
    await pay(1000, 'pm_card_bypassPending');
    b = await s.balance.retrieve();
    assert.deepEqual([b.available, b.pending], [sum(941), sum(1912)]);
    let events = (await s.events.list({ type: 'balance.available' })).data;
    assert.equal(events.length, 1);
    assert.deepEqual(events[0]!.data.object, b);

    // Another currency gets its own rows, after the default currency's.
    await pay(500, 'pm_card_visa', 'eur');
    b = await s.balance.retrieve();
    assert.deepEqual(b.pending, [...sum(1912), ...sum(500 - 45, 'eur')]);
    assert.deepEqual(b.connect_reserved, [
      { amount: 0, currency: 'usd' },
      { amount: 0, currency: 'eur' },
    ]);

    // A refund leaves the available balance at once (no balance.available for negative amounts).
    await s.refunds.create({ payment_intent: pi.id, amount: 500 });
    b = await s.balance.retrieve();
    assert.deepEqual(b.available, [...sum(441), ...sum(0, 'eur')]);
    assert.equal((await s.events.list({ type: 'balance.available' })).data.length, 1);

    // The clock passes available_on: the charges' funds move to available, one balance.available then.
    own.emu.app.clock.advance(3 * 86_400);
    b = await s.balance.retrieve();
    assert.deepEqual(
      [b.available, b.pending],
      [
        [...sum(441 + 1912), ...sum(455, 'eur')],
        [...sum(0), ...sum(0, 'eur')],
      ],
    );
    events = (await s.events.list({ type: 'balance.available' })).data;
    assert.equal(events.length, 2);
    assert.equal(events[0]!.created, txn.available_on);
    assert.equal(events[0]!.request?.id, null);
    assert.deepEqual(events[0]!.data.object, b);
    assert.equal((await s.balanceTransactions.retrieve(txn.id)).status, 'available');
  } finally {
    await own.emu.close();
  }
});

test('a test-clock customer’s funds wait for the test clock, not the emulator clock', async () => {
  const own = await testEmulator();
  try {
    const s = own.stripe;
    const T0 = Date.UTC(2024, 4, 10, 15) / 1000;
    const clock = await s.testHelpers.testClocks.create({ frozen_time: T0 });
    const c = await s.customers.create({ test_clock: clock.id });
    const pm = await s.paymentMethods.attach('pm_card_visa', { customer: c.id });
    await s.invoiceItems.create({ customer: c.id, amount: 3000, currency: 'usd' });
    const inv = await s.invoices.create({ customer: c.id, pending_invoice_items_behavior: 'include' });
    await s.invoices.pay(inv.id, { payment_method: pm.id });
    const [txn] = (await s.balanceTransactions.list({ type: 'charge' })).data;
    assert.equal(txn!.available_on, Date.UTC(2024, 4, 12) / 1000);
    // The emulator clock is long past available_on; the test clock is not.
    assert.equal(txn!.status, 'pending');
    const fee = Math.round(3000 * 0.029) + 30;
    let b = await s.balance.retrieve();
    assert.deepEqual([b.available[0]!.amount, b.pending[0]!.amount], [0, 3000 - fee]);
    // A PaymentIntent made directly for the same customer lives in real time (the emulator clock).
    const direct = await s.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      customer: c.id,
      payment_method: pm.id,
      confirm: true,
      allowed_payment_method_types: ['card'],
    });
    const directTxn = (await s.balanceTransactions.list({ source: direct.latest_charge as string })).data[0]!;
    assert.ok(directTxn.available_on > Date.UTC(2025, 0, 1) / 1000);
    // A snapshot taken, the state reset and the snapshot loaded: the same balance, rebuilt once.
    const control = (path: string, body?: unknown) =>
      fetch(`${own.emu.url}/_emulator/${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { 'Content-Type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const snapshot = await (await control('snapshot')).json();
    assert.equal((await control('reset', {})).status, 200);
    assert.deepEqual((await s.balance.retrieve()).pending, [
      { amount: 0, currency: 'usd', source_types: { card: 0 } },
    ]);
    assert.equal((await control('snapshot', snapshot)).status, 200);
    b = await s.balance.retrieve();
    assert.deepEqual([b.available[0]!.amount, b.pending[0]!.amount], [0, 3000 - fee + 941]);
    await s.testHelpers.testClocks.advance(clock.id, { frozen_time: T0 + 3 * 86_400 });
    for (let i = 0; i < 400; i++) {
      if ((await s.testHelpers.testClocks.retrieve(clock.id)).status === 'ready') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    b = await s.balance.retrieve();
    assert.deepEqual([b.available[0]!.amount, b.pending[0]!.amount], [3000 - fee, 941]);
    assert.equal((await s.balanceTransactions.retrieve(directTxn.id)).status, 'pending');
    const [event] = (await s.events.list({ type: 'balance.available' })).data;
    assert.equal(event?.created, txn!.available_on);
    assert.equal((await s.balanceTransactions.retrieve(txn!.id)).status, 'available');
  } finally {
    await own.emu.close();
  }
});
