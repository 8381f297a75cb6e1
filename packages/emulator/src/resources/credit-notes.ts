import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam, resourceMissing, stateError } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import type { Param, Params } from '../core/form.js';
import { newId } from '../core/ids.js';
import { allOf, paginate, paginateArray, rangeFilter } from '../core/list.js';
import { applyMetadata, EMPTY_METADATA } from '../core/metadata.js';
import { arr, decimalStr, emptyableStr, int, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { markPaid } from './billing/collect.js';
import { ctxFor } from './billing/context.js';
import { emitUpdated, type Invoice, type InvoiceLine, invoiceState } from './billing/invoice-engine.js';
import { taxesFor } from './billing/taxes.js';
import type { Charge } from './charges.js';
import { adjustBalance } from './customer-balance.js';
import { createRefundInternal, type Refund } from './refunds.js';
import { readTaxRates, type TaxRate } from './tax-rates.js';

export type CreditNote = Wire<Stripe.CreditNote>;
export type CreditNoteLine = Wire<Stripe.CreditNoteLineItem>;

declare module '../core/store.js' {
  interface CollectionTypes {
    credit_note: CreditNote;
  }
}

/**
 * Credit notes on finalized invoices, as Stripe issues them: the credit first lowers what is still
 * due on the invoice (`pre_payment_amount`, down to 0), the rest (`post_payment_amount`) must be
 * split exactly between a new refund of the invoice's charge (`refund_amount`), existing refunds
 * (`refunds`), a credit to the customer's balance (`credit_amount`) and money given back outside
 * Stripe (`out_of_band_amount`). All credit notes of an invoice together credit at most its total.
 */

interface Plan {
  note: CreditNote;
  invoice: Invoice;
  pre: number;
  post: number;
  refundAmount: number;
  charge: Charge | undefined;
  linked: { refund: Refund; amount: number }[];
  creditAmount: number;
}

function issuedNotes(ctx: Ctx, invoiceId: string): CreditNote[] {
  return [...ctx.store.c('credit_note').values()].filter((n) => n.invoice === invoiceId);
}

/** How much of an invoice line earlier (non-void) credit notes already credited. */
function creditedOfLine(notes: CreditNote[], lineId: string): number {
  let sum = 0;
  for (const n of notes) {
    if (n.status === 'void') continue;
    for (const l of n.lines.data) if (l.invoice_line_item === lineId) sum += l.amount;
  }
  return sum;
}

function ratesOfLine(ctx: Ctx, line: InvoiceLine): TaxRate[] {
  const out: TaxRate[] = [];
  for (const t of line.taxes ?? []) {
    const id = t.tax_rate_details?.tax_rate;
    const rate = id ? ctx.store.c('tax_rate').get(id) : undefined;
    if (rate) out.push(rate);
  }
  return out;
}

function readLine(ctx: Ctx, inv: Invoice, notes: CreditNote[], e: Params, i: number): CreditNoteLine {
  const name = `lines[${i}]`;
  const type = str(e, 'type', `${name}[type]`);
  if (!type) throw missingParam(`${name}[type]`);
  if (e.tax_amounts !== undefined) {
    throw invalidRequest(
      'The emulator computes credit note taxes from tax rates; tax_amounts is not supported.',
      `${name}[tax_amounts]`,
    );
  }
  const quantity = int(e, 'quantity', `${name}[quantity]`);
  if (quantity !== undefined && quantity < 1) {
    throw invalidRequest('Quantity must be a positive integer.', `${name}[quantity]`);
  }
  const base = {
    id: newId('cnli'),
    object: 'credit_note_line_item' as const,
    livemode: false,
    metadata: applyMetadata(EMPTY_METADATA, e),
    pretax_credit_amounts: [],
  };
  // Each kind of line takes its own parameters; the other kind's are refused, not ignored.
  const onlyFor = (keys: readonly string[], kind: string) => {
    const bad = keys.find((k) => e[k] !== undefined);
    if (bad) {
      throw invalidRequest(`${name}[${bad}] is only valid when ${name}[type] is ${kind}.`, `${name}[${bad}]`);
    }
  };
  if (type === 'custom_line_item') {
    onlyFor(['amount', 'invoice_line_item'], 'invoice_line_item');
    const unitInt = int(e, 'unit_amount', `${name}[unit_amount]`);
    const unitDecimal = decimalStr(e, 'unit_amount_decimal', `${name}[unit_amount_decimal]`);
    if (unitInt !== undefined && unitDecimal !== undefined) {
      throw invalidRequest(
        `You may only specify one of these parameters: ${name}[unit_amount], ${name}[unit_amount_decimal].`,
        `${name}[unit_amount]`,
      );
    }
    const unit = unitInt ?? (unitDecimal === undefined ? undefined : Number(unitDecimal));
    if (unit === undefined) throw missingParam(`${name}[unit_amount]`);
    if (unit < 0) throw invalidRequest('unit_amount must be non-negative.', `${name}[unit_amount]`);
    const description = str(e, 'description', `${name}[description]`);
    if (!description) throw missingParam(`${name}[description]`);
    const qty = quantity ?? 1;
    const rates = readTaxRates(ctx, e, 'tax_rates', `${name}[tax_rates]`) ?? [];
    const amount = Math.round(unit * qty);
    return {
      ...base,
      amount,
      description,
      discount_amount: 0,
      discount_amounts: [],
      quantity: qty,
      tax_rates: rates,
      taxes: taxesFor(amount, rates),
      type: 'custom_line_item',
      unit_amount: unitInt ?? null,
      unit_amount_decimal: unitDecimal ?? String(unit),
    };
  }
  if (type !== 'invoice_line_item') {
    throw invalidRequest(
      `Invalid ${name}[type]: must be one of custom_line_item or invoice_line_item`,
      `${name}[type]`,
    );
  }
  onlyFor(['unit_amount', 'unit_amount_decimal', 'description', 'tax_rates'], 'custom_line_item');
  const lineId = str(e, 'invoice_line_item', `${name}[invoice_line_item]`);
  if (!lineId) throw missingParam(`${name}[invoice_line_item]`);
  const line = inv.lines.data.find((l) => l.id === lineId);
  if (line === undefined) throw resourceMissing('invoice line item', lineId, `${name}[invoice_line_item]`);
  const amountParam = int(e, 'amount', `${name}[amount]`);
  if (amountParam !== undefined && quantity !== undefined) {
    throw invalidRequest(
      `You may only specify one of these parameters: ${name}[amount], ${name}[quantity].`,
      `${name}[amount]`,
    );
  }
  const lineQty = line.quantity ?? 1;
  const unit = lineQty > 0 ? line.amount / lineQty : line.amount;
  if (quantity !== undefined && quantity > lineQty) {
    throw invalidRequest(
      `The quantity to credit (${quantity}) exceeds the invoice line item's quantity (${lineQty}).`,
      `${name}[quantity]`,
    );
  }
  const left = line.amount - creditedOfLine(notes, line.id);
  const amount = amountParam ?? (quantity !== undefined ? Math.round(unit * quantity) : left);
  if (amount < 0) throw invalidRequest('Amount must be non-negative.', `${name}[amount]`);
  if (amount > left) {
    throw invalidRequest(
      `The amount to credit (${amount}) exceeds what is left to credit on invoice line item ${line.id} (${left}).`,
      amountParam !== undefined ? `${name}[amount]` : `${name}[quantity]`,
    );
  }
  // The line's discounts, in proportion to the part credited.
  const discountAmounts = (line.discount_amounts ?? []).map((d) => ({
    amount: line.amount === 0 ? 0 : Math.round((d.amount * amount) / line.amount),
    discount: d.discount,
  }));
  const discount = discountAmounts.reduce((s, d) => s + d.amount, 0);
  const rates = ratesOfLine(ctx, line);
  return {
    ...base,
    amount,
    description: line.description,
    discount_amount: discount,
    discount_amounts: discountAmounts,
    invoice_line_item: line.id,
    quantity: quantity ?? lineQty,
    tax_rates: rates,
    taxes: taxesFor(amount - discount, rates),
    type: 'invoice_line_item',
    unit_amount: quantity !== undefined || amountParam === undefined ? Math.round(unit) : null,
    unit_amount_decimal: quantity !== undefined || amountParam === undefined ? String(unit) : null,
  };
}

function asHash(e: Param, name: string): Params {
  if (typeof e === 'string' || Array.isArray(e)) {
    throw invalidRequest(`Invalid object: ${name} must be a hash.`, name);
  }
  return e;
}

function chargeOf(ctx: Ctx, inv: Invoice): Charge | undefined {
  const pi = invoiceState(ctx, inv).payment_intent;
  const intent = pi ? ctx.store.c('payment_intent').get(pi) : undefined;
  const ch = intent?.latest_charge;
  if (!ch || intent?.status !== 'succeeded') return undefined;
  return ctx.store.c('charge').get(typeof ch === 'string' ? ch : ch.id);
}

/** Reads and checks a credit note request (create, preview) without changing anything. */
function plan(ctx: Ctx): Plan {
  const p = ctx.params;
  const invoiceId = str(p, 'invoice');
  if (!invoiceId) throw missingParam('invoice');
  const inv = ctx.store.c('invoice').require(invoiceId, 'invoice');
  if (inv.status === 'draft' || inv.status === 'void') {
    throw stateError(
      `Credit notes can only be issued for finalized invoices that are not void; invoice ${inv.id} is ${inv.status}.`,
      'invoice_not_editable',
      'invoice',
    );
  }
  if (p.shipping_cost !== undefined) {
    throw invalidRequest('The emulator does not model shipping costs on credit notes.', 'shipping_cost');
  }
  const notes = issuedNotes(ctx, inv.id);
  const lineParams = arr(p, 'lines') ?? [];
  const lines = lineParams.map((e, i) => {
    return readLine(ctx, inv, notes, asHash(e, `lines[${i}]`), i);
  });
  const amountParam = int(p, 'amount');
  if (lines.length === 0 && amountParam === undefined) {
    throw invalidRequest(
      'You must pass one of amount, lines or shipping_cost.',
      'amount',
      'parameter_missing',
    );
  }
  const taxes = new Map<string, NonNullable<CreditNoteLine['taxes']>[number]>();
  let exclusive = 0;
  let inclusive = 0;
  for (const l of lines) {
    for (const t of l.taxes ?? []) {
      if (t.tax_behavior === 'inclusive') inclusive += t.amount;
      else exclusive += t.amount;
      const id = t.tax_rate_details!.tax_rate;
      const sum = taxes.get(id);
      if (sum === undefined) taxes.set(id, { ...t, tax_rate_details: { tax_rate: id } });
      else {
        sum.amount += t.amount;
        sum.taxable_amount = (sum.taxable_amount ?? 0) + (t.taxable_amount ?? 0);
      }
    }
  }
  const subtotal = lines.length > 0 ? lines.reduce((s, l) => s + l.amount, 0) : amountParam!;
  const discount = lines.reduce((s, l) => s + l.discount_amount, 0);
  const total = subtotal - discount + exclusive;
  if (lines.length > 0 && amountParam !== undefined && amountParam !== total) {
    throw invalidRequest(
      `The amount (${amountParam}) must equal the total of the credit note's lines (${total}).`,
      'amount',
    );
  }
  if (total <= 0) throw invalidRequest('The credit note total must be greater than 0.', 'amount');
  const creditedBefore = notes.filter((n) => n.status !== 'void').reduce((s, n) => s + n.total, 0);
  const creditable = inv.total - creditedBefore;
  if (total > creditable) {
    throw invalidRequest(
      `The credit note total (${total}) exceeds the invoice's remaining creditable amount (${creditable}).`,
      lines.length > 0 ? 'lines' : 'amount',
    );
  }
  const pre = inv.status === 'paid' ? 0 : Math.min(total, inv.amount_remaining);
  const post = total - pre;

  const refundAmount = int(p, 'refund_amount') ?? 0;
  const creditAmount = int(p, 'credit_amount') ?? 0;
  const outOfBand = int(p, 'out_of_band_amount');
  for (const [k, v] of [
    ['refund_amount', refundAmount],
    ['credit_amount', creditAmount],
    ['out_of_band_amount', outOfBand ?? 0],
  ] as const) {
    if (v < 0) throw invalidRequest(`${k} must be a non-negative integer.`, k);
  }
  const charge = chargeOf(ctx, inv);
  const linked = (arr(p, 'refunds') ?? []).map((e, i) => {
    const name = `refunds[${i}]`;
    const h = asHash(e, name);
    if (h.payment_record_refund !== undefined || h.type === 'payment_record_refund') {
      throw invalidRequest(
        'The emulator has no payment records: link refunds with refunds[n][refund].',
        h.payment_record_refund !== undefined ? `${name}[payment_record_refund]` : `${name}[type]`,
      );
    }
    const id = str(h, 'refund', `${name}[refund]`);
    if (!id) throw missingParam(`${name}[refund]`);
    const refund = ctx.store.c('refund').require(id, `${name}[refund]`);
    if (charge === undefined || refund.charge !== charge.id) {
      throw invalidRequest(`Refund ${id} is not a refund of this invoice's payment.`, `${name}[refund]`);
    }
    const amount = int(h, 'amount_refunded', `${name}[amount_refunded]`) ?? refund.amount;
    if (amount < 1 || amount > refund.amount) {
      throw invalidRequest(
        `amount_refunded must be between 1 and the refund's amount (${refund.amount}).`,
        `${name}[amount_refunded]`,
      );
    }
    return { refund, amount };
  });
  const linkedSum = linked.reduce((s, l) => s + l.amount, 0);
  const sum = refundAmount + creditAmount + (outOfBand ?? 0) + linkedSum;
  if (sum !== post) {
    throw invalidRequest(
      post === 0
        ? `Invoice ${inv.id} is not paid: the credit note lowers its amount due (${pre}), so refund_amount, credit_amount, out_of_band_amount and refunds must be 0 (they add up to ${sum}).`
        : `The sum of refund_amount, credit_amount, out_of_band_amount and refunds (${sum}) must equal the credit note's post-payment amount (${post}).`,
      refundAmount > 0 ? 'refund_amount' : creditAmount > 0 ? 'credit_amount' : 'out_of_band_amount',
    );
  }
  if (refundAmount > 0) {
    if (charge === undefined) {
      throw invalidRequest(
        `Invoice ${inv.id} was not paid through Stripe: there is no charge to refund.`,
        'refund_amount',
      );
    }
    const left = charge.amount_captured - charge.amount_refunded;
    if (refundAmount > left) {
      throw invalidRequest(
        `refund_amount (${refundAmount}) is greater than the unrefunded amount of the invoice's charge (${left}).`,
        'refund_amount',
      );
    }
  }
  const now = ctx.now();
  const id = newId('cn');
  const note: CreditNote = {
    id,
    object: 'credit_note',
    amount: total,
    amount_shipping: 0,
    created: now,
    currency: inv.currency,
    customer: inv.customer as string,
    customer_account: null,
    customer_balance_transaction: null,
    discount_amount: discount,
    discount_amounts: aggregateDiscounts(lines),
    effective_at: int(p, 'effective_at') ?? now,
    invoice: inv.id,
    lines: { object: 'list', data: lines, has_more: false, url: `/v1/credit_notes/${id}/lines` },
    livemode: false,
    memo: str(p, 'memo') ?? null,
    metadata: applyMetadata(EMPTY_METADATA, p),
    number: `${inv.number ?? inv.id}-CN-${String(notes.length + 1).padStart(2, '0')}`,
    out_of_band_amount: outOfBand ?? null,
    pdf: `https://pay.stripe.com/credit_notes/emulator/${id}/pdf`,
    post_payment_amount: post,
    pre_payment_amount: pre,
    pretax_credit_amounts: [],
    reason: (str(p, 'reason') as CreditNote['reason'] | undefined) ?? null,
    refunds: [],
    shipping_cost: null,
    status: 'issued',
    subtotal,
    subtotal_excluding_tax: subtotal - inclusive,
    total,
    total_excluding_tax: total - exclusive - inclusive,
    total_taxes: [...taxes.values()],
    type: pre > 0 && post > 0 ? 'mixed' : post > 0 ? 'post_payment' : 'pre_payment',
    voided_at: null,
  };
  return { note, invoice: inv, pre, post, refundAmount, charge, linked, creditAmount };
}

function aggregateDiscounts(lines: CreditNoteLine[]): CreditNote['discount_amounts'] {
  const by = new Map<string, number>();
  for (const l of lines) {
    for (const d of l.discount_amounts) {
      const key = typeof d.discount === 'string' ? d.discount : d.discount.id;
      by.set(key, (by.get(key) ?? 0) + d.amount);
    }
  }
  return [...by].map(([discount, amount]) => ({ amount, discount }));
}

function create(base: Ctx): CreditNote {
  const first = plan(base);
  const ctx = ctxFor(base, first.invoice.customer as string);
  const { note, invoice: inv, pre, post } = first;
  ctx.store.c('credit_note').insert(note);
  ctx.emit('credit_note.created', note);
  if (first.refundAmount > 0) {
    const refund = createRefundInternal(ctx, { charge: first.charge!.id, amount: first.refundAmount });
    note.refunds.push({
      amount_refunded: refund.amount,
      payment_record_refund: null,
      refund: refund.id,
      type: 'refund',
    });
  }
  for (const l of first.linked) {
    note.refunds.push({
      amount_refunded: l.amount,
      payment_record_refund: null,
      refund: l.refund.id,
      type: 'refund',
    });
  }
  if (first.creditAmount > 0) {
    const customer = ctx.store.c('customer').require(inv.customer as string, 'customer');
    const txn = adjustBalance(ctx, customer, {
      amount: -first.creditAmount,
      currency: note.currency,
      type: 'credit_note',
      creditNote: note.id,
      invoice: inv.id,
    });
    note.customer_balance_transaction = txn.id;
  }
  const before = structuredClone(inv);
  inv.pre_payment_credit_notes_amount += pre;
  inv.post_payment_credit_notes_amount += post;
  if (pre > 0) {
    inv.amount_due -= pre;
    inv.amount_remaining -= pre;
    resizePayment(ctx, inv);
  }
  emitUpdated(ctx, inv, before);
  // A credit note that leaves nothing due settles the invoice.
  if (pre > 0 && inv.amount_remaining === 0 && (inv.status === 'open' || inv.status === 'uncollectible')) {
    markPaid(ctx, inv, { outOfBand: true });
  }
  return note;
}

/** The invoice's unpaid PaymentIntent follows the amount still due. */
function resizePayment(ctx: Ctx, inv: Invoice): void {
  const piId = invoiceState(ctx, inv).payment_intent;
  const pi = piId ? ctx.store.c('payment_intent').get(piId) : undefined;
  if (!pi || pi.status === 'succeeded' || pi.status === 'canceled' || inv.amount_remaining <= 0) return;
  pi.amount = inv.amount_remaining;
  for (const pay of ctx.store.c('invoice_payment').values()) {
    if (pay.invoice === inv.id && pay.status === 'open') pay.amount_requested = inv.amount_remaining;
  }
}

function requireNote(ctx: Ctx): CreditNote {
  return ctx.store.c('credit_note').require(ctx.args.id!);
}

function voidNote(base: Ctx): CreditNote {
  const note = requireNote(base);
  if (note.status === 'void') {
    throw stateError(`Credit note ${note.id} is already void.`, 'credit_note_already_voided' as string);
  }
  const inv = base.store.c('invoice').require(note.invoice as string, 'invoice');
  if (note.pre_payment_amount > 0 && inv.status === 'paid' && inv.amount_paid === 0) {
    throw stateError(
      `Credit note ${note.id} settled invoice ${inv.id}; it can't be voided.`,
      'resource_state_unexpected',
    );
  }
  const ctx = ctxFor(base, inv.customer as string);
  const before = structuredClone(note);
  note.status = 'void';
  note.voided_at = ctx.now();
  if (typeof note.customer_balance_transaction === 'string') {
    const txn = ctx.store.c('customer_balance_transaction').get(note.customer_balance_transaction);
    const customer = ctx.store.c('customer').get(inv.customer as string);
    if (txn && customer) {
      adjustBalance(ctx, customer, {
        amount: -txn.amount,
        currency: txn.currency,
        type: 'credit_note',
        creditNote: note.id,
        invoice: inv.id,
      });
    }
  }
  ctx.emit('credit_note.voided', note, diffPrevious(before, note));
  const invBefore = structuredClone(inv);
  inv.pre_payment_credit_notes_amount -= note.pre_payment_amount;
  inv.post_payment_credit_notes_amount -= note.post_payment_amount;
  if (note.pre_payment_amount > 0 && (inv.status === 'open' || inv.status === 'uncollectible')) {
    inv.amount_due += note.pre_payment_amount;
    inv.amount_remaining += note.pre_payment_amount;
    resizePayment(ctx, inv);
  }
  emitUpdated(ctx, inv, invBefore);
  return note;
}

function update(ctx: Ctx): CreditNote {
  const note = requireNote(ctx);
  const before = structuredClone(note);
  const memo = emptyableStr(ctx.params, 'memo');
  if (memo !== undefined) note.memo = memo;
  note.metadata = applyMetadata(note.metadata, ctx.params);
  const prev = diffPrevious(before, note);
  if (Object.keys(prev).length > 0) ctx.emit('credit_note.updated', note, prev);
  return note;
}

function list(ctx: Ctx) {
  const p = ctx.params;
  const customer = str(p, 'customer');
  const invoice = str(p, 'invoice');
  const account = str(p, 'customer_account');
  const created = rangeFilter(p, 'created');
  return paginate(
    ctx.store.c('credit_note'),
    p,
    '/v1/credit_notes',
    allOf<CreditNote>(
      customer !== undefined && ((n) => n.customer === customer),
      invoice !== undefined && ((n) => n.invoice === invoice),
      account !== undefined && ((n) => n.customer_account === account),
      created && ((n) => created(n.created)),
    ),
  );
}

/** The preview's own pagination parameters are not part of the credit note it describes. */
function previewLines(ctx: Ctx) {
  const paging: Params = {};
  const rest: Params = {};
  for (const [k, v] of Object.entries(ctx.params)) {
    if (v === undefined) continue;
    if (k === 'limit' || k === 'starting_after' || k === 'ending_before') paging[k] = v;
    else rest[k] = v;
  }
  const { note } = plan({ ...ctx, params: rest });
  return paginateArray(note.lines.data, paging, '/v1/credit_notes/preview/lines');
}

export const creditNotes = defineResource('credit_notes', (api) => {
  api.label('credit_note', 'credit_note');
  api.get('/v1/credit_notes/preview', (ctx) => plan(ctx).note);
  api.get('/v1/credit_notes/preview/lines', previewLines);
  api.post('/v1/credit_notes', create);
  api.get('/v1/credit_notes', list);
  api.get('/v1/credit_notes/:id', requireNote);
  api.post('/v1/credit_notes/:id', update);
  api.post('/v1/credit_notes/:id/void', voidNote);
  api.get('/v1/credit_notes/:id/lines', (ctx) => {
    const note = requireNote(ctx);
    return paginateArray(note.lines.data, ctx.params, `/v1/credit_notes/${note.id}/lines`);
  });
  api.expandable('credit_note', 'invoice', (id) => api.store.c('invoice').get(id));
  api.expandable('credit_note', 'customer', (id) => api.store.c('customer').get(id));
  api.expandable('credit_note', 'customer_balance_transaction', (id) =>
    api.store.c('customer_balance_transaction').get(id),
  );
  api.expandable('credit_note', 'lines', () => undefined);
});
