import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Stripe from 'stripe';
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

/** A finalized invoice of two items (3000 + 2000); paid by card when `pay`. */
async function invoice(
  pay: boolean,
  collection: 'charge_automatically' | 'send_invoice' = 'charge_automatically',
) {
  const c = await t.stripe.customers.create({ email: 'cn@example.com', payment_method: 'pm_card_visa' });
  const pm = (await t.stripe.customers.listPaymentMethods(c.id)).data[0]!.id;
  await t.stripe.invoiceItems.create({ customer: c.id, amount: 3000, currency: 'usd', description: 'Seats' });
  await t.stripe.invoiceItems.create({ customer: c.id, amount: 2000, currency: 'usd', description: 'Setup' });
  const draft = await t.stripe.invoices.create({
    customer: c.id,
    pending_invoice_items_behavior: 'include',
    collection_method: collection,
    ...(collection === 'send_invoice' ? { days_until_due: 30 } : {}),
  });
  const open = await t.stripe.invoices.finalizeInvoice(draft.id);
  const inv = pay ? await t.stripe.invoices.pay(open.id, { payment_method: pm }) : open;
  return { customer: c, pm, inv, seats: inv.lines.data.find((l) => l.description === 'Seats')! };
}

test('paid invoice: preview, then a credit note with refund_amount refunds the charge; events in order', async () => {
  const { inv, seats, customer } = await invoice(true);
  assert.equal(inv.status, 'paid');
  const params: Stripe.CreditNoteCreateParams = {
    invoice: inv.id,
    lines: [{ type: 'invoice_line_item', invoice_line_item: seats.id, amount: 1000 }],
    refund_amount: 1000,
    reason: 'product_unsatisfactory',
    memo: 'Two seats unused',
  };
  const preview = await t.stripe.creditNotes.preview(params);
  assert.deepEqual([preview.total, preview.post_payment_amount, preview.pre_payment_amount], [1000, 1000, 0]);
  const previewLines = await t.stripe.creditNotes.listPreviewLineItems({ ...params, limit: 1 });
  assert.deepEqual(
    previewLines.data.map((l) => [l.type, l.invoice_line_item, l.amount]),
    [['invoice_line_item', seats.id, 1000]],
  );
  assert.equal((await t.stripe.creditNotes.list({ invoice: inv.id })).data.length, 0);

  const mark = await lastEventId();
  const cn = await t.stripe.creditNotes.create(params);
  assert.match(cn.id, /^cn_/);
  assert.deepEqual(
    [cn.object, cn.status, cn.type, cn.amount, cn.total, cn.subtotal, cn.currency, cn.customer, cn.invoice],
    ['credit_note', 'issued', 'post_payment', 1000, 1000, 1000, 'usd', customer.id, inv.id],
  );
  assert.equal(cn.number, `${inv.number}-CN-01`);
  assert.deepEqual(
    [cn.memo, cn.reason, cn.out_of_band_amount],
    ['Two seats unused', 'product_unsatisfactory', null],
  );
  assert.equal(cn.refunds.length, 1);
  const refund = await t.stripe.refunds.retrieve(cn.refunds[0]!.refund as string);
  assert.deepEqual([refund.amount, refund.status, cn.refunds[0]!.amount_refunded], [1000, 'succeeded', 1000]);
  const charge = await t.stripe.charges.retrieve(refund.charge as string);
  assert.equal(charge.amount_refunded, 1000);
  const after1 = await t.stripe.invoices.retrieve(inv.id);
  assert.deepEqual(
    [after1.post_payment_credit_notes_amount, after1.pre_payment_credit_notes_amount],
    [1000, 0],
  );
  assert.deepEqual(await typesSince(mark), [
    'credit_note.created',
    'refund.created',
    'charge.refunded',
    'invoice.updated',
  ]);

  const got = await t.stripe.creditNotes.retrieve(cn.id, { expand: ['invoice'] });
  assert.equal((got.invoice as Stripe.Invoice).id, inv.id);
  const lines = await t.stripe.creditNotes.listLineItems(cn.id);
  assert.deepEqual(
    lines.data.map((l) => [l.object, l.amount, l.description]),
    [['credit_note_line_item', 1000, 'Seats']],
  );
  const updated = await t.stripe.creditNotes.update(cn.id, { memo: 'Seat refund', metadata: { k: 'v' } });
  assert.deepEqual([updated.memo, updated.metadata], ['Seat refund', { k: 'v' }]);
  const listed = await t.stripe.creditNotes.list({ customer: customer.id });
  assert.deepEqual(
    listed.data.map((n) => n.id),
    [cn.id],
  );
});

test('paid invoice: credit_amount credits the customer balance, out_of_band_amount is recorded; void reverses the credit', async () => {
  const { inv, customer } = await invoice(true);
  const cn = await t.stripe.creditNotes.create({
    invoice: inv.id,
    lines: [{ type: 'custom_line_item', unit_amount: 700, quantity: 2, description: 'Goodwill' }],
    credit_amount: 1000,
    out_of_band_amount: 400,
  });
  assert.deepEqual([cn.total, cn.out_of_band_amount, cn.refunds.length], [1400, 400, 0]);
  assert.match(String(cn.customer_balance_transaction), /^cbtxn_/);
  const txn = await t.stripe.customers.retrieveBalanceTransaction(
    customer.id,
    cn.customer_balance_transaction as string,
  );
  assert.deepEqual(
    [txn.type, txn.amount, txn.ending_balance, txn.credit_note],
    ['credit_note', -1000, -1000, cn.id],
  );
  assert.equal(((await t.stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance, -1000);

  const mark = await lastEventId();
  const voided = await t.stripe.creditNotes.voidCreditNote(cn.id);
  assert.equal(voided.status, 'void');
  assert.equal(typeof voided.voided_at, 'number');
  assert.equal(((await t.stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance, 0);
  assert.deepEqual(await typesSince(mark), ['customer.updated', 'credit_note.voided', 'invoice.updated']);
  const again = await stripeError(t.stripe.creditNotes.voidCreditNote(cn.id));
  assert.equal(again.statusCode, 400);
  assert.equal(again.rawType, 'invalid_request_error');
});

test('open invoice: a credit note lowers what is due (pre_payment); the rest is paid by card', async () => {
  const { inv, pm } = await invoice(false);
  assert.equal(inv.amount_due, 5000);
  const cn = await t.stripe.creditNotes.create({ invoice: inv.id, amount: 1500 });
  assert.deepEqual([cn.type, cn.pre_payment_amount, cn.post_payment_amount], ['pre_payment', 1500, 0]);
  const open = await t.stripe.invoices.retrieve(inv.id);
  assert.deepEqual(
    [open.status, open.amount_due, open.amount_remaining, open.pre_payment_credit_notes_amount],
    ['open', 3500, 3500, 1500],
  );
  const paid = await t.stripe.invoices.pay(inv.id, { payment_method: pm, expand: ['payments'] });
  assert.deepEqual([paid.status, paid.amount_paid], ['paid', 3500]);
  const pi = paid.payments?.data[0]?.payment.payment_intent as string;
  assert.equal((await t.stripe.paymentIntents.retrieve(pi)).amount_received, 3500);
  // Crediting the rest of the total is now post-payment.
  const rest = await t.stripe.creditNotes.create({ invoice: inv.id, amount: 3500, refund_amount: 3500 });
  assert.deepEqual([rest.type, rest.post_payment_amount], ['post_payment', 3500]);
  const over = await stripeError(
    t.stripe.creditNotes.create({ invoice: inv.id, amount: 1, refund_amount: 1 }),
  );
  assert.deepEqual([over.statusCode, over.rawType, over.param], [400, 'invalid_request_error', 'amount']);
});

test('a credit note for the whole amount due settles an open invoice', async () => {
  const { inv } = await invoice(false);
  const mark = await lastEventId();
  await t.stripe.creditNotes.create({ invoice: inv.id, amount: 5000 });
  const settled = await t.stripe.invoices.retrieve(inv.id);
  assert.deepEqual([settled.status, settled.amount_remaining, settled.amount_paid], ['paid', 0, 0]);
  assert.deepEqual(await typesSince(mark), [
    'credit_note.created',
    'invoice.updated',
    'payment_intent.canceled',
    'invoice.paid',
  ]);
});

test('credit note errors: amounts checked against the invoice, Stripe status, code and param', async () => {
  const { inv, seats } = await invoice(true);
  const draftCustomer = await t.stripe.customers.create({});
  const draft = await t.stripe.invoices.create({ customer: draftCustomer.id });
  const cases: [Promise<unknown>, number, string | undefined, string][] = [
    [t.stripe.creditNotes.create({ invoice: 'in_nope', amount: 100 }), 400, 'resource_missing', 'invoice'],
    [t.stripe.creditNotes.create({ invoice: draft.id, amount: 100 }), 400, 'invoice_not_editable', 'invoice'],
    [t.stripe.creditNotes.create({ invoice: inv.id }), 400, 'parameter_missing', 'amount'],
    // Paid invoice: the credit must go somewhere (refund, balance or out of band), exactly.
    [t.stripe.creditNotes.create({ invoice: inv.id, amount: 1000 }), 400, undefined, 'out_of_band_amount'],
    [
      t.stripe.creditNotes.create({ invoice: inv.id, amount: 1000, refund_amount: 900 }),
      400,
      undefined,
      'refund_amount',
    ],
    [
      t.stripe.creditNotes.create({ invoice: inv.id, amount: 6000, credit_amount: 6000 }),
      400,
      undefined,
      'amount',
    ],
    [
      t.stripe.creditNotes.create({
        invoice: inv.id,
        lines: [{ type: 'invoice_line_item', invoice_line_item: seats.id, amount: 3001 }],
        credit_amount: 3001,
      }),
      400,
      undefined,
      'lines[0][amount]',
    ],
    [
      t.stripe.creditNotes.create({
        invoice: inv.id,
        lines: [{ type: 'invoice_line_item', invoice_line_item: 'il_nope', amount: 1 }],
        credit_amount: 1,
      }),
      400,
      'resource_missing',
      'lines[0][invoice_line_item]',
    ],
    [
      t.stripe.creditNotes.create({
        invoice: inv.id,
        lines: [{ type: 'custom_line_item', unit_amount: 100 }],
        credit_amount: 100,
      }),
      400,
      'parameter_missing',
      'lines[0][description]',
    ],
    [
      t.stripe.creditNotes.create({
        invoice: inv.id,
        amount: 100,
        credit_amount: 100,
        colour: 'red',
      } as never),
      400,
      'parameter_unknown',
      'colour',
    ],
    [
      t.stripe.creditNotes.create({
        invoice: inv.id,
        lines: [{ type: 'invoice_line_item', invoice_line_item: seats.id, unit_amount: 5 }],
        credit_amount: 5,
      }),
      400,
      undefined,
      'lines[0][unit_amount]',
    ],
    [
      t.stripe.creditNotes.create({
        invoice: inv.id,
        lines: [{ type: 'custom_line_item', description: 'x', unit_amount: 5, invoice_line_item: seats.id }],
        credit_amount: 5,
      }),
      400,
      undefined,
      'lines[0][invoice_line_item]',
    ],
    [t.stripe.creditNotes.retrieve('cn_nope'), 404, 'resource_missing', 'id'],
    [t.stripe.creditNotes.voidCreditNote('cn_nope'), 404, 'resource_missing', 'id'],
  ];
  for (const [p, status, code, param] of cases) {
    const err = await stripeError(p);
    assert.deepEqual(
      [err.statusCode, err.rawType, err.code, err.param],
      [status, 'invalid_request_error', code, param],
      err.message,
    );
  }
  // A custom line within the total, credited out of band.
  const ok = await t.stripe.creditNotes.create({
    invoice: inv.id,
    lines: [{ type: 'invoice_line_item', invoice_line_item: seats.id, quantity: 1 }],
    out_of_band_amount: 3000,
  });
  assert.deepEqual([ok.total, ok.out_of_band_amount], [3000, 3000]);
  const decimal = await t.stripe.creditNotes.create({
    invoice: inv.id,
    lines: [
      {
        type: 'custom_line_item',
        description: 'Fraction',
        unit_amount_decimal: Stripe.Decimal.from('12.5'),
        quantity: 4,
      },
    ],
    credit_amount: 50,
  });
  assert.deepEqual(
    [decimal.total, decimal.lines.data[0]!.unit_amount, String(decimal.lines.data[0]!.unit_amount_decimal)],
    [50, null, '12.5'],
  );
  const seatsAgain = await stripeError(
    t.stripe.creditNotes.create({
      invoice: inv.id,
      lines: [{ type: 'invoice_line_item', invoice_line_item: seats.id, amount: 1 }],
      credit_amount: 1,
    }),
  );
  assert.equal(seatsAgain.param, 'lines[0][amount]');
});

test('credit notes carry the invoice line taxes (exclusive tax credited on top)', async () => {
  const rate = await t.stripe.taxRates.create({ display_name: 'Sales', inclusive: false, percentage: 10 });
  const c = await t.stripe.customers.create({ payment_method: 'pm_card_visa' });
  const pm = (await t.stripe.customers.listPaymentMethods(c.id)).data[0]!.id;
  await t.stripe.invoiceItems.create({ customer: c.id, amount: 2000, currency: 'usd', tax_rates: [rate.id] });
  const draft = await t.stripe.invoices.create({ customer: c.id, pending_invoice_items_behavior: 'include' });
  await t.stripe.invoices.finalizeInvoice(draft.id);
  const inv = await t.stripe.invoices.pay(draft.id, { payment_method: pm });
  assert.equal(inv.amount_paid, 2200);
  const cn = await t.stripe.creditNotes.create({
    invoice: inv.id,
    lines: [{ type: 'invoice_line_item', invoice_line_item: inv.lines.data[0]!.id, amount: 1000 }],
    refund_amount: 1100,
  });
  assert.deepEqual([cn.subtotal, cn.total, cn.total_excluding_tax], [1000, 1100, 1000]);
  assert.deepEqual(
    cn.total_taxes?.map((x) => [x.amount, x.tax_behavior, x.tax_rate_details?.tax_rate]),
    [[100, 'exclusive', rate.id]],
  );
  assert.deepEqual(
    cn.lines.data[0]!.tax_rates.map((r) => r.id),
    [rate.id],
  );
});

test('invoice send: send_invoice invoices, a draft finalized first; invoice.sent; errors otherwise', async () => {
  const { inv } = await invoice(false, 'send_invoice');
  const mark = await lastEventId();
  const sent = await t.stripe.invoices.sendInvoice(inv.id);
  assert.equal(sent.id, inv.id);
  assert.deepEqual(await typesSince(mark), ['invoice.sent']);
  const auto = await invoice(false);
  const notSend = await stripeError(t.stripe.invoices.sendInvoice(auto.inv.id));
  assert.deepEqual([notSend.statusCode, notSend.code], [400, 'invoice_not_editable']);
  const c = await t.stripe.customers.create({});
  const draft = await t.stripe.invoices.create({
    customer: c.id,
    collection_method: 'send_invoice',
    days_until_due: 7,
  });
  await t.stripe.invoiceItems.create({ customer: c.id, invoice: draft.id, amount: 500, currency: 'usd' });
  const draftMark = await lastEventId();
  const sentDraft = await t.stripe.invoices.sendInvoice(draft.id);
  assert.equal(sentDraft.status, 'open');
  assert.equal(sentDraft.amount_due, 500);
  assert.deepEqual(await typesSince(draftMark), [
    'invoice.finalized',
    'payment_intent.created',
    'invoice.sent',
  ]);
  const missing = await stripeError(t.stripe.invoices.sendInvoice('in_nope'));
  assert.deepEqual([missing.statusCode, missing.code], [404, 'resource_missing']);
  await t.stripe.invoices.voidInvoice(inv.id);
  const voided = await stripeError(t.stripe.invoices.sendInvoice(inv.id));
  assert.equal(voided.code, 'invoice_not_editable');
});
