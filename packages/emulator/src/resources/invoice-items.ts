import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam, stateError } from '../core/errors.js';
import type { Params } from '../core/form.js';
import { newId } from '../core/ids.js';
import { allOf, paginate, rangeFilter } from '../core/list.js';
import { applyMetadata, EMPTY_METADATA } from '../core/metadata.js';
import { bool, decimalStr, emptyableStr, int, obj, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { ctxFor, testClockOf } from './billing/context.js';
import { readDiscounts } from './billing/discounts.js';
import { refreshDraft } from './billing/invoice-engine.js';
import { createPrice, type Price } from './prices.js';
import { readTaxRates } from './tax-rates.js';

export type InvoiceItem = Wire<Stripe.InvoiceItem>;

declare module '../core/store.js' {
  interface CollectionTypes {
    invoiceitem: InvoiceItem;
  }
}

/** What the billing engine needs to create an invoice item (API create and prorations share it). */
export interface InvoiceItemInit {
  customer: string;
  currency: string;
  amount: number;
  quantity: number;
  unitAmountDecimal: string | null;
  price: Price | null;
  description: string | null;
  period: { start: number; end: number };
  proration: boolean;
  subscription: string | null;
  subscriptionItem?: string | undefined;
  invoice: string | null;
  discountable?: boolean;
  discounts?: string[];
  metadata?: Stripe.Metadata;
}

/** Builds, stores and announces an invoice item (`invoiceitem.created`). */
export function createInvoiceItem(ctx: Ctx, init: InvoiceItemInit): InvoiceItem {
  const item: InvoiceItem = {
    id: newId('ii'),
    object: 'invoiceitem',
    amount: init.amount,
    currency: init.currency,
    customer: init.customer,
    customer_account: null,
    date: ctx.now(),
    description: init.description,
    discountable: init.discountable ?? !init.proration,
    discounts: init.discounts ?? [],
    invoice: init.invoice,
    livemode: false,
    metadata: init.metadata ?? EMPTY_METADATA,
    net_amount: init.amount,
    parent:
      init.subscription === null
        ? null
        : {
            type: 'subscription_details',
            subscription_details: {
              subscription: init.subscription,
              ...(init.subscriptionItem ? { subscription_item: init.subscriptionItem } : {}),
            },
          },
    period: init.period,
    pricing: {
      type: 'price_details',
      unit_amount_decimal:
        init.unitAmountDecimal ?? (init.price?.unit_amount_decimal as string | null | undefined) ?? null,
      ...(init.price ? { price_details: { price: init.price.id, product: productId(init.price) } } : {}),
    },
    proration: init.proration,
    proration_details: { credited_items: null, discount_amounts: [] },
    quantity: init.quantity,
    quantity_decimal: String(init.quantity),
    tax_rates: [],
    test_clock: testClockOf(ctx, init.customer),
  };
  ctx.store.c('invoiceitem').insert(item);
  ctx.emit('invoiceitem.created', item);
  return item;
}

export function productId(price: Price): string {
  return typeof price.product === 'string' ? price.product : price.product.id;
}

/** Reads `pricing[price]` / `price`, `price_data`, `amount`, `unit_amount_decimal` and `quantity`. */
function readPricing(
  ctx: Ctx,
  p: Params,
  currencyHint: string | undefined,
): { price: Price | null; amount: number; quantity: number; currency: string; unitDecimal: string | null } {
  const pricing = obj(p, 'pricing');
  const priceId = (pricing && str(pricing, 'price', 'pricing[price]')) || str(p, 'price');
  const priceData = obj(p, 'price_data');
  const amount = int(p, 'amount');
  const unitDecimal = decimalStr(p, 'unit_amount_decimal');
  const quantity = int(p, 'quantity') ?? 1;
  if (quantity < 0) throw invalidRequest('Quantity must be a non-negative integer.', 'quantity');
  const given = [priceId, priceData, amount, unitDecimal].filter((x) => x !== undefined).length;
  if (given > 1) {
    throw invalidRequest(
      'You may only specify one of these parameters: amount, price_data, pricing[price], unit_amount_decimal.',
      'amount',
    );
  }
  if (priceId) {
    const price = ctx.store.c('price').require(priceId, pricing ? 'pricing[price]' : 'price');
    if (price.type !== 'one_time') {
      throw invalidRequest(
        `The price specified (${price.id}) is a recurring price; invoice items take one-time prices.`,
        'pricing[price]',
      );
    }
    return {
      price,
      amount: (price.unit_amount ?? 0) * quantity,
      quantity,
      currency: price.currency,
      unitDecimal: null,
    };
  }
  if (priceData) {
    const product = str(priceData, 'product', 'price_data[product]');
    if (!product) throw missingParam('price_data[product]');
    const price = createPrice(
      ctx,
      priceData,
      ctx.store.c('product').require(product, 'price_data[product]').id,
      'price_data',
    );
    price.active = false;
    return {
      price,
      amount: (price.unit_amount ?? 0) * quantity,
      quantity,
      currency: price.currency,
      unitDecimal: null,
    };
  }
  const currency = str(p, 'currency') ?? currencyHint;
  if (amount !== undefined || unitDecimal !== undefined) {
    if (!currency) throw missingParam('currency');
    if (unitDecimal !== undefined) {
      return {
        price: null,
        amount: Math.round(Number(unitDecimal) * quantity),
        quantity,
        currency: currency.toLowerCase(),
        unitDecimal,
      };
    }
    return { price: null, amount: amount!, quantity: 1, currency: currency.toLowerCase(), unitDecimal: null };
  }
  throw missingParam('amount');
}

function readPeriod(p: Params, now: number): { start: number; end: number } {
  const period = obj(p, 'period');
  if (period === undefined) return { start: now, end: now };
  const start = int(period, 'start', 'period[start]');
  const end = int(period, 'end', 'period[end]');
  if (start === undefined) throw missingParam('period[start]');
  if (end === undefined) throw missingParam('period[end]');
  if (end < start) throw invalidRequest('period[end] must be on or after period[start].', 'period[end]');
  return { start, end };
}

function create(ctx: Ctx): InvoiceItem {
  const p = ctx.params;
  const invoiceId = str(p, 'invoice');
  const invoice = invoiceId ? ctx.store.c('invoice').require(invoiceId, 'invoice') : undefined;
  const customerParam = str(p, 'customer');
  if (!customerParam && !invoice) throw missingParam('customer');
  const customer = customerParam
    ? ctx.store.c('customer').require(customerParam, 'customer').id
    : (invoice!.customer as string);
  if (invoice) {
    if (invoice.status !== 'draft') {
      throw stateError(
        `Invoice ${invoice.id} is not a draft: items can only be added to draft invoices.`,
        'invoice_not_editable',
        'invoice',
      );
    }
    if (invoice.customer !== customer) {
      throw invalidRequest('The invoice belongs to another customer.', 'invoice');
    }
  }
  const subscription = str(p, 'subscription');
  if (subscription) ctx.store.c('subscription').require(subscription, 'subscription');
  const at = ctxFor(ctx, customer);
  const pricing = readPricing(at, p, invoice?.currency);
  if (invoice && pricing.currency !== invoice.currency) {
    throw invalidRequest(
      `The currency ${pricing.currency} differs from the invoice's ${invoice.currency}.`,
      'currency',
    );
  }
  const taxRates = readTaxRates(at, p, 'tax_rates');
  const item = createInvoiceItem(at, {
    customer,
    currency: pricing.currency,
    amount: pricing.amount,
    quantity: pricing.quantity,
    unitAmountDecimal: pricing.unitDecimal,
    price: pricing.price,
    description: str(p, 'description') ?? pricing.price?.nickname ?? null,
    period: readPeriod(p, at.now()),
    proration: false,
    subscription: subscription || null,
    invoice: invoice?.id ?? null,
    discountable: bool(p, 'discountable') ?? true,
    discounts: readDiscounts(at, p, { customer, invoiceItem: null }),
    metadata: applyMetadata({}, p),
  });
  if (taxRates !== undefined) item.tax_rates = taxRates;
  if (invoice) refreshDraft(at, invoice);
  return item;
}

function editable(ctx: Ctx, item: InvoiceItem): void {
  if (item.invoice === null) return;
  const inv = ctx.store.c('invoice').get(item.invoice as string);
  if (inv && inv.status !== 'draft') {
    throw stateError(
      `The invoice item ${item.id} is on invoice ${inv.id}, which is no longer a draft.`,
      'invoice_not_editable',
    );
  }
}

function update(ctx: Ctx): InvoiceItem {
  const item = ctx.store.c('invoiceitem').require(ctx.args.id!);
  editable(ctx, item);
  const p = ctx.params;
  const description = emptyableStr(p, 'description');
  if (description !== undefined) item.description = description;
  const discountable = bool(p, 'discountable');
  if (discountable !== undefined) item.discountable = discountable;
  if (
    p.amount !== undefined ||
    p.price_data !== undefined ||
    p.pricing !== undefined ||
    p.unit_amount_decimal !== undefined
  ) {
    const pricing = readPricing(ctx, p, item.currency);
    item.amount = pricing.amount;
    item.quantity = pricing.quantity;
    item.quantity_decimal = String(pricing.quantity);
    item.net_amount = pricing.amount;
    item.pricing = {
      type: 'price_details',
      unit_amount_decimal:
        pricing.unitDecimal ?? (pricing.price?.unit_amount_decimal as string | null | undefined) ?? null,
      ...(pricing.price
        ? { price_details: { price: pricing.price.id, product: productId(pricing.price) } }
        : {}),
    };
  } else {
    const quantity = int(p, 'quantity');
    if (quantity !== undefined) {
      const unit = item.quantity > 0 ? item.amount / item.quantity : 0;
      item.quantity = quantity;
      item.quantity_decimal = String(quantity);
      item.amount = Math.round(unit * quantity);
      item.net_amount = item.amount;
    }
  }
  if (p.period !== undefined) item.period = readPeriod(p, item.date);
  item.tax_rates = readTaxRates(ctx, p, 'tax_rates') ?? item.tax_rates;
  item.metadata = applyMetadata(item.metadata, p);
  // Stripe has no `invoiceitem.updated` event at this API version: an update is silent.
  if (item.invoice !== null) {
    const inv = ctx.store.c('invoice').get(item.invoice as string);
    if (inv) refreshDraft(ctx, inv);
  }
  return item;
}

function remove(ctx: Ctx): Stripe.DeletedInvoiceItem {
  const id = ctx.args.id!;
  const item = ctx.store.c('invoiceitem').require(id);
  editable(ctx, item);
  ctx.store.c('invoiceitem').delete(id);
  ctx.emit('invoiceitem.deleted', item);
  if (item.invoice !== null) {
    const inv = ctx.store.c('invoice').get(item.invoice as string);
    if (inv) refreshDraft(ctx, inv);
  }
  return { id, object: 'invoiceitem', deleted: true };
}

function list(ctx: Ctx) {
  const p = ctx.params;
  const customer = str(p, 'customer');
  const invoice = str(p, 'invoice');
  const pending = bool(p, 'pending');
  const created = rangeFilter(p, 'created');
  return paginate(
    ctx.store.c('invoiceitem'),
    p,
    '/v1/invoiceitems',
    allOf<InvoiceItem>(
      customer !== undefined && ((i) => i.customer === customer),
      invoice !== undefined && ((i) => i.invoice === invoice),
      pending !== undefined && ((i) => (i.invoice === null) === pending),
      created && ((i) => created(i.date)),
    ),
  );
}

export const invoiceItems = defineResource('invoiceitems', (api) => {
  api.label('invoiceitem', 'invoiceitem');
  api.post('/v1/invoiceitems', create);
  api.get('/v1/invoiceitems', list);
  api.get('/v1/invoiceitems/:id', (ctx) => ctx.store.c('invoiceitem').require(ctx.args.id!));
  api.post('/v1/invoiceitems/:id', update);
  api.del('/v1/invoiceitems/:id', remove);
  api.expandable('invoiceitem', 'customer', (id) => api.store.c('customer').get(id));
  api.expandable('invoiceitem', 'invoice', (id) => api.store.c('invoice').get(id));
  api.expandable('invoiceitem', 'pricing.price_details.price', (id) => api.store.c('price').get(id));
});
