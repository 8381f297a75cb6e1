import type { Ctx } from '../../core/context.js';
import { invalidRequest, missingParam } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { EMPTY_METADATA } from '../../core/metadata.js';
import { arr, bool, int, obj, oneOf, str } from '../../core/params.js';
import type { InvoiceItem } from '../invoice-items.js';
import { readTaxRates } from '../tax-rates.js';
import { ctxFor, testClockOf } from './context.js';
import { subscriptionInvoiceDiscounts } from './discounts.js';
import { createDraftInvoice, type Invoice } from './invoice-engine.js';
import { type ItemChange, prorationItems } from './proration.js';
import {
  cycleLines,
  periodEndFrom,
  periodOf,
  readItemPrice,
  readQuantity,
  type Subscription,
} from './subscription-model.js';
import { withPreviewedSubscription } from './taxes.js';

/**
 * `POST /v1/invoices/create_preview`: the next invoice of a customer or subscription, optionally
 * with `subscription_details` changes applied (items, `proration_behavior`, `proration_date`). Nothing
 * is stored; with `proration_behavior=always_invoice` the preview is the invoice the change would
 * create now, otherwise the next renewal with the prorations on it.
 */
export function createPreview(base: Ctx): Invoice {
  const p = base.params;
  const subId = str(p, 'subscription');
  const sub = subId ? base.store.c('subscription').require(subId, 'subscription') : undefined;
  const customerId = str(p, 'customer') ?? (sub?.customer as string | undefined);
  if (!customerId) throw missingParam('customer');
  base.store.c('customer').require(customerId, 'customer');
  if (sub && sub.customer !== customerId)
    throw invalidRequest('The subscription belongs to another customer.', 'subscription');
  const ctx = ctxFor(base, customerId);
  const details = obj(p, 'subscription_details') ?? {};
  const behavior =
    oneOf(
      details,
      'proration_behavior',
      ['create_prorations', 'none', 'always_invoice'] as const,
      'subscription_details[proration_behavior]',
    ) ?? 'create_prorations';
  const now = ctx.now();
  const at = int(details, 'proration_date', 'subscription_details[proration_date]') ?? now;
  if (!sub) {
    return createDraftInvoice(ctx, {
      customer: customerId,
      billingReason: 'upcoming',
      collectionMethod: 'charge_automatically',
      autoAdvance: false,
      includePending: true,
      preview: { items: [] },
    });
  }
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
    throw invalidRequest(
      'No upcoming invoices for a canceled subscription.',
      'subscription',
      'invoice_upcoming_none',
    );
  }
  // Work on a copy: the preview must not change the subscription.
  const draft: Subscription = structuredClone(sub);
  const period = periodOf(draft);
  const changes: ItemChange[] = [];
  const items = arr(details, 'items', 'subscription_details[items]') ?? [];
  items.forEach((e, i) => {
    const name = `subscription_details[items][${i}]`;
    if (typeof e === 'string' || Array.isArray(e)) throw invalidRequest(`Invalid ${name}`, name);
    const id = str(e, 'id', `${name}[id]`);
    if (id) {
      const item = draft.items.data.find((x) => x.id === id);
      if (!item)
        throw invalidRequest(`No such subscription item: '${id}'`, `${name}[id]`, 'resource_missing');
      const oldPrice = item.price;
      const oldQty = item.quantity ?? 1;
      if (bool(e, 'deleted', `${name}[deleted]`)) {
        draft.items.data = draft.items.data.filter((x) => x.id !== id);
        changes.push({ itemId: id, oldPrice, oldQty, newPrice: null, newQty: 0 });
        return;
      }
      if (e.price !== undefined || e.price_data !== undefined) item.price = readPreviewPrice(ctx, e, name);
      const q = readQuantity(e, name);
      if (q !== undefined) item.quantity = q;
      item.tax_rates = readTaxRates(ctx, e, 'tax_rates', `${name}[tax_rates]`) ?? item.tax_rates;
      changes.push({ itemId: id, oldPrice, oldQty, newPrice: item.price, newQty: item.quantity ?? 1 });
    } else {
      const price = readPreviewPrice(ctx, e, name);
      const qty = readQuantity(e, name) ?? 1;
      const itemId = newId('si', 14);
      const taxRates = readTaxRates(ctx, e, 'tax_rates', `${name}[tax_rates]`) ?? [];
      draft.items.data.push({
        ...structuredClone(draft.items.data[0]!),
        id: itemId,
        price,
        quantity: qty,
        tax_rates: taxRates,
      });
      changes.push({ itemId, oldPrice: null, oldQty: 0, newPrice: price, newQty: qty });
    }
  });
  draft.default_tax_rates =
    readTaxRates(ctx, details, 'default_tax_rates', 'subscription_details[default_tax_rates]') ??
    draft.default_tax_rates;
  const prorations =
    behavior === 'none' || draft.status === 'trialing' ? [] : prorationItems(ctx, draft, changes, period, at);
  const previewItems: InvoiceItem[] = prorations.map((init) => ({
    id: newId('ii'),
    object: 'invoiceitem',
    amount: init.amount,
    currency: init.currency,
    customer: init.customer,
    customer_account: null,
    date: now,
    description: init.description,
    discountable: false,
    discounts: [],
    invoice: null,
    livemode: false,
    metadata: EMPTY_METADATA,
    parent: { type: 'subscription_details', subscription_details: { subscription: sub.id } },
    period: init.period,
    pricing: {
      type: 'price_details',
      unit_amount_decimal: init.price?.unit_amount_decimal ?? null,
      ...(init.price
        ? { price_details: { price: init.price.id, product: init.price.product as string } }
        : {}),
    },
    proration: true,
    quantity: init.quantity,
    quantity_decimal: String(init.quantity),
    tax_rates: [],
    test_clock: testClockOf(ctx, customerId),
  }));
  const discounts = subscriptionInvoiceDiscounts(ctx, draft, period.start, true);
  if (behavior === 'always_invoice') {
    return withPreviewedSubscription(draft, () =>
      createDraftInvoice(ctx, {
        customer: customerId,
        currency: draft.currency,
        billingReason: 'subscription_update',
        collectionMethod: 'charge_automatically',
        autoAdvance: false,
        includePending: true,
        subscription: sub.id,
        subscriptionMetadata: sub.metadata,
        discounts,
        periodStart: at,
        periodEnd: at,
        preview: { items: previewItems },
      }),
    );
  }
  const nextStart = period.end;
  const next = { start: nextStart, end: periodEndFrom(draft, nextStart) };
  return withPreviewedSubscription(draft, () =>
    createDraftInvoice(ctx, {
      customer: customerId,
      currency: draft.currency,
      billingReason: 'upcoming',
      collectionMethod: draft.collection_method === 'send_invoice' ? 'send_invoice' : 'charge_automatically',
      autoAdvance: false,
      includePending: true,
      subscription: sub.id,
      subscriptionMetadata: sub.metadata,
      subscriptionLines: cycleLines(ctx, draft, next, false),
      discounts,
      periodStart: period.start,
      periodEnd: period.end,
      preview: { items: previewItems },
    }),
  );
}

function readPreviewPrice(ctx: Ctx, e: Parameters<typeof readItemPrice>[1], name: string) {
  if (e.price_data !== undefined) {
    throw invalidRequest(
      'price_data is not supported in previews by the emulator; create the price first.',
      `${name}[price_data]`,
    );
  }
  return readItemPrice(ctx, e, name);
}
