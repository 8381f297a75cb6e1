import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam, resourceMissing, stateError } from '../core/errors.js';
import { allOf, paginate, paginateArray, rangeFilter } from '../core/list.js';
import { applyMetadata } from '../core/metadata.js';
import { bool, emptyableStr, int, obj, oneOf, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import {
  attemptPayment,
  finalizeInvoice,
  markPaid,
  markUncollectible,
  voidInvoice,
} from './billing/collect.js';
import { ctxFor, systemCtx } from './billing/context.js';
import './billing/payments-wiring.js';
import { readDiscounts } from './billing/discounts.js';
import {
  computeTotals,
  createDraftInvoice,
  deletedInvoice,
  emitUpdated,
  type Invoice,
  subscriptionOf,
} from './billing/invoice-engine.js';
import { invoicePayments } from './billing/payments-port.js';
import { createPreview } from './billing/preview.js';
import { touchBilling } from './billing/scheduler.js';
import { readTaxRates } from './tax-rates.js';
import { requireCustomerSource } from './tokens.js';

export type { Invoice } from './billing/invoice-engine.js';

const STATUSES = ['draft', 'open', 'paid', 'uncollectible', 'void'] as const;
const COLLECTION = ['charge_automatically', 'send_invoice'] as const;

function requireInvoice(ctx: Ctx): Invoice {
  const id = ctx.args.id!;
  const inv = ctx.store.c('invoice').get(id);
  if (inv === undefined) throw resourceMissing('invoice', id);
  return inv;
}

function create(ctx: Ctx): Invoice {
  const p = ctx.params;
  const customerId = str(p, 'customer');
  const subscriptionId = str(p, 'subscription');
  const sub = subscriptionId
    ? ctx.store.c('subscription').require(subscriptionId, 'subscription')
    : undefined;
  if (!customerId && !sub) throw missingParam('customer');
  const customer = customerId ?? (sub!.customer as string);
  ctx.store.c('customer').require(customer, 'customer');
  const collection = oneOf(p, 'collection_method', COLLECTION) ?? 'charge_automatically';
  const days = int(p, 'days_until_due');
  if (collection === 'send_invoice' && days === undefined && int(p, 'due_date') === undefined) {
    throw invalidRequest(
      'days_until_due or due_date is required when collection_method is send_invoice.',
      'days_until_due',
    );
  }
  if (collection === 'charge_automatically' && days !== undefined) {
    throw invalidRequest(
      'days_until_due can only be set when collection_method is send_invoice.',
      'days_until_due',
    );
  }
  const behavior = oneOf(p, 'pending_invoice_items_behavior', ['include', 'exclude'] as const) ?? 'exclude';
  const pm = str(p, 'default_payment_method');
  if (pm) ctx.store.c('payment_method').require(pm, 'default_payment_method');
  const source = str(p, 'default_source');
  if (source) requireCustomerSource(ctx, customer, source);
  const at = ctxFor(ctx, customer);
  const currency = str(p, 'currency')?.toLowerCase();
  const inv = createDraftInvoice(at, {
    customer,
    currency,
    billingReason: 'manual',
    collectionMethod: collection,
    daysUntilDue: days,
    autoAdvance: bool(p, 'auto_advance') ?? false,
    includePending: behavior === 'include',
    subscription: sub?.id ?? null,
    subscriptionMetadata: sub?.metadata,
    description: str(p, 'description') ?? null,
    metadata: applyMetadata({}, p),
    discounts: [],
    defaultPaymentMethod: pm ?? null,
  });
  if (source) inv.default_source = source;
  // Without `discounts` an invoice inherits the customer's discount (`discounts=''`: none).
  const inherited = p.discounts === undefined ? at.store.c('customer').get(customer)?.discount : undefined;
  const discounts = inherited ? [inherited.id] : readDiscounts(at, p, { customer, invoice: inv.id });
  if (discounts.length > 0) {
    inv.discounts = discounts;
    computeTotals(at, inv);
  }
  const dueDate = int(p, 'due_date');
  if (dueDate !== undefined) inv.due_date = dueDate;
  const rates = readTaxRates(at, p, 'default_tax_rates');
  if (rates !== undefined) {
    inv.default_tax_rates = rates;
    computeTotals(at, inv);
  }
  touchBilling(ctx.app);
  return inv;
}

function update(ctx: Ctx): Invoice {
  const inv = requireInvoice(ctx);
  const p = ctx.params;
  const before = structuredClone(inv);
  const draftOnly = [
    'collection_method',
    'days_until_due',
    'discounts',
    'default_payment_method',
    'default_source',
    'currency',
    'default_tax_rates',
  ];
  if (inv.status !== 'draft') {
    const bad = draftOnly.find((k) => p[k] !== undefined);
    if (bad) throw stateError(`You can only update ${bad} on a draft invoice.`, 'invoice_not_editable', bad);
    if (inv.status === 'paid' || inv.status === 'void') {
      const allowed = new Set(['metadata', 'expand', 'description', 'footer']);
      const other = Object.keys(p).find((k) => !allowed.has(k));
      if (other)
        throw stateError(
          `You can't update ${other} on a ${inv.status} invoice.`,
          'invoice_not_editable',
          other,
        );
    }
  }
  const at = ctxFor(ctx, inv.customer as string);
  const description = emptyableStr(p, 'description');
  if (description !== undefined) inv.description = description;
  const footer = emptyableStr(p, 'footer');
  if (footer !== undefined) inv.footer = footer;
  const auto = bool(p, 'auto_advance');
  if (auto !== undefined) {
    inv.auto_advance = auto;
    if (inv.status === 'draft') inv.automatically_finalizes_at = auto ? at.now() + 3600 : null;
  }
  const collection = oneOf(p, 'collection_method', COLLECTION);
  if (collection !== undefined) inv.collection_method = collection;
  const days = int(p, 'days_until_due');
  if (days !== undefined) ctx.store.c('_invoice_days').insert({ id: inv.id, days });
  const pm = emptyableStr(p, 'default_payment_method');
  if (pm) ctx.store.c('payment_method').require(pm, 'default_payment_method');
  if (pm !== undefined) inv.default_payment_method = pm;
  const source = emptyableStr(p, 'default_source');
  if (source) requireCustomerSource(ctx, inv.customer as string, source);
  if (source !== undefined) inv.default_source = source;
  if (p.discounts !== undefined) {
    inv.discounts = readDiscounts(at, p, { customer: inv.customer as string, invoice: inv.id });
    computeTotals(at, inv);
  }
  const rates = readTaxRates(at, p, 'default_tax_rates');
  if (rates !== undefined) {
    inv.default_tax_rates = rates;
    computeTotals(at, inv);
  }
  inv.metadata = applyMetadata(inv.metadata, p);
  emitUpdated(at, inv, before);
  touchBilling(ctx.app);
  return inv;
}

function remove(ctx: Ctx): Stripe.DeletedInvoice {
  const inv = requireInvoice(ctx);
  if (inv.status !== 'draft') {
    throw stateError('You can only delete draft invoices.', 'invoice_not_editable');
  }
  if (subscriptionOf(inv) !== null && inv.billing_reason !== 'manual') {
    throw stateError("You can't delete the draft invoice of a subscription: void it once finalized instead.");
  }
  for (const ii of ctx.store.c('invoiceitem').values()) if (ii.invoice === inv.id) ii.invoice = null;
  ctx.store.c('invoice').delete(inv.id);
  ctx.store.c('_deleted_invoice').insert({ id: inv.id });
  ctxFor(ctx, inv.customer as string).emit('invoice.deleted', inv);
  return { id: inv.id, object: 'invoice', deleted: true };
}

function finalize(ctx: Ctx): Invoice {
  const inv = requireInvoice(ctx);
  const at = ctxFor(ctx, inv.customer as string);
  finalizeInvoice(at, inv, { autoAdvance: bool(ctx.params, 'auto_advance') });
  touchBilling(ctx.app);
  return inv;
}

function pay(ctx: Ctx): Invoice {
  const inv = requireInvoice(ctx);
  const p = ctx.params;
  const at = ctxFor(ctx, inv.customer as string);
  if (inv.status === 'paid') throw stateError('Invoice is already paid.', 'invoice_already_paid');
  if (inv.status === 'void')
    throw stateError('This invoice has been voided and cannot be paid.', 'invoice_not_editable');
  const outOfBand = bool(p, 'paid_out_of_band') ?? false;
  const pm = str(p, 'payment_method');
  if (pm) ctx.store.c('payment_method').require(pm, 'payment_method');
  if (outOfBand && pm) {
    throw invalidRequest(
      'You may only specify one of these parameters: paid_out_of_band, payment_method.',
      'payment_method',
    );
  }
  if (inv.status === 'draft') finalizeInvoice(at, inv);
  touchBilling(ctx.app);
  if (inv.status === 'paid') return inv;
  if (outOfBand) {
    markPaid(at, inv, { outOfBand: true });
    return inv;
  }
  attemptPayment(at, inv, {
    paymentMethod: pm,
    offSession: bool(p, 'off_session') ?? true,
    automatic: false,
    throwOnDecline: true,
  });
  return inv;
}

/**
 * `POST /v1/invoices/:id/send`: emails a send_invoice invoice (no email in test mode, as on Stripe) and
 * emits `invoice.sent`; a draft is finalized first, as Stripe does. Paid invoices can be sent again (a
 * receipt-like copy).
 */
function send(ctx: Ctx): Invoice {
  const inv = requireInvoice(ctx);
  if (inv.collection_method !== 'send_invoice') {
    throw stateError(
      `Invoice ${inv.id} is charged automatically: only invoices with collection_method=send_invoice can be sent.`,
      'invoice_not_editable',
    );
  }
  if (inv.status === 'void')
    throw stateError(`Invoice ${inv.id} is void and can't be sent.`, 'invoice_not_editable');
  const at = ctxFor(ctx, inv.customer as string);
  // "Stripe automatically finalizes drafts before sending" (API reference, Finalize an invoice).
  if (inv.status === 'draft') {
    finalizeInvoice(at, inv);
    touchBilling(ctx.app);
  }
  at.emit('invoice.sent', inv);
  return inv;
}

function list(ctx: Ctx) {
  const p = ctx.params;
  const customer = str(p, 'customer');
  const subscription = str(p, 'subscription');
  const status = oneOf(p, 'status', STATUSES);
  const collection = oneOf(p, 'collection_method', COLLECTION);
  const created = rangeFilter(p, 'created');
  const due = rangeFilter(p, 'due_date');
  return paginate(
    ctx.store.c('invoice'),
    p,
    '/v1/invoices',
    allOf<Invoice>(
      customer !== undefined && ((i) => i.customer === customer),
      subscription !== undefined && ((i) => subscriptionOf(i) === subscription),
      status !== undefined && ((i) => i.status === status),
      collection !== undefined && ((i) => i.collection_method === collection),
      created && ((i) => created(i.created)),
      due && ((i) => due(i.due_date)),
    ),
  );
}

function retrieve(ctx: Ctx): Invoice | Stripe.DeletedInvoice {
  const id = ctx.args.id!;
  if (deletedInvoice(ctx, id)) return { id, object: 'invoice', deleted: true };
  return requireInvoice(ctx);
}

export const invoices = defineResource('invoices', (api) => {
  api.label('invoice', 'invoice');
  api.post('/v1/invoices', create);
  api.get('/v1/invoices', list);
  api.post('/v1/invoices/create_preview', createPreview);
  api.get('/v1/invoices/:id', retrieve);
  api.post('/v1/invoices/:id', update);
  api.del('/v1/invoices/:id', remove);
  api.get('/v1/invoices/:id/lines', (ctx) => {
    const inv = requireInvoice(ctx);
    return paginateArray(inv.lines.data, ctx.params, `/v1/invoices/${inv.id}/lines`);
  });
  api.post('/v1/invoices/:id/finalize', finalize);
  api.post('/v1/invoices/:id/pay', pay);
  api.post('/v1/invoices/:id/void', (ctx) => {
    const inv = requireInvoice(ctx);
    voidInvoice(ctxFor(ctx, inv.customer as string), inv);
    touchBilling(ctx.app);
    return inv;
  });
  api.post('/v1/invoices/:id/send', send);
  api.post('/v1/invoices/:id/mark_uncollectible', (ctx) => {
    const inv = requireInvoice(ctx);
    markUncollectible(ctxFor(ctx, inv.customer as string), inv);
    touchBilling(ctx.app);
    return inv;
  });
  api.get('/v1/invoice_payments', (ctx) => {
    const invoice = str(ctx.params, 'invoice');
    const status = str(ctx.params, 'status');
    // `payment[type]=payment_intent&payment[payment_intent]=pi_…`: the invoice payments of one intent.
    const payment = obj(ctx.params, 'payment');
    const paymentIntent = payment ? str(payment, 'payment_intent', 'payment[payment_intent]') : undefined;
    return paginate(
      ctx.store.c('invoice_payment'),
      ctx.params,
      '/v1/invoice_payments',
      allOf(
        invoice !== undefined && ((x) => x.invoice === invoice),
        status !== undefined && ((x) => x.status === status),
        paymentIntent !== undefined &&
          ((x) => {
            const pi = x.payment.payment_intent;
            return (typeof pi === 'string' ? pi : pi?.id) === paymentIntent;
          }),
      ),
    );
  });
  api.get('/v1/invoice_payments/:id', (ctx) => ctx.store.c('invoice_payment').require(ctx.args.id!));

  api.expandable('invoice', 'customer', (id) => api.store.c('customer').get(id));
  api.expandable('invoice', 'default_payment_method', (id) => api.store.c('payment_method').get(id));
  api.expandable('invoice', 'parent.subscription_details.subscription', (id) =>
    api.store.c('subscription').get(id),
  );
  api.expandable('invoice', 'test_clock', (id) => api.store.c('test_helpers.test_clock').get(id));
  api.expandable('invoice', 'lines', () => undefined);
  api.expandable('line_item', 'pricing.price_details.price', (id) => api.store.c('price').get(id));
  api.expandable('invoice_payment', 'payment.payment_intent', (id) => api.store.c('payment_intent').get(id));
  api.includable('invoice', 'discounts', (inv) =>
    (inv as Invoice).discounts.map((d) =>
      typeof d === 'string' ? (api.store.c('discount').get(d) ?? d) : d,
    ),
  );
  api.expandable('discount', 'source.coupon', (id) => api.store.c('coupon').get(id));
  api.includable('invoice', 'confirmation_secret', (o) => {
    const state = api.store.c('_invoice_state').get(o.id as string);
    if (!state?.payment_intent) return null;
    const port = invoicePayments(api.app);
    const secret = port?.clientSecret(systemCtxLite(api.app), state.payment_intent) ?? null;
    return secret === null ? null : { client_secret: secret, type: 'payment_intent' };
  });
  api.includable('invoice', 'payments', (o) => {
    const data = [...api.store.c('invoice_payment').newestFirst()].filter((x) => x.invoice === o.id);
    return { object: 'list', data, has_more: false, url: `/v1/invoice_payments?invoice=${o.id as string}` };
  });
});

function systemCtxLite(app: Parameters<typeof systemCtx>[0]): Ctx {
  return systemCtx(app, app.clock.now());
}
