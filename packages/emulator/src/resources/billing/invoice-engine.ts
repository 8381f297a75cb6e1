import type Stripe from 'stripe';
import type { Ctx } from '../../core/context.js';
import { diffPrevious } from '../../core/events.js';
import { newId } from '../../core/ids.js';
import { EMPTY_METADATA } from '../../core/metadata.js';
import type { Wire } from '../../core/wire.js';
import type { InvoiceItem } from '../invoice-items.js';
import { customerTaxIds } from '../tax-ids.js';
import { testClockOf } from './context.js';
import { couponOf, discountAmounts } from './discounts.js';
import { billingSettings } from './settings.js';
import { applyTaxes } from './taxes.js';

export type Invoice = Wire<Stripe.Invoice>;
export type InvoiceLine = Wire<Stripe.InvoiceLineItem>;
export type InvoicePayment = Wire<Stripe.InvoicePayment>;

/** Emulator-only facts about an invoice (the API version reaches its PaymentIntent through `payments`). */
export interface InvoiceState {
  id: string;
  payment_intent: string | null;
  /** Automatic collection attempts that failed so far (drives the retry schedule). */
  failed_attempts: number;
}

declare module '../../core/store.js' {
  interface CollectionTypes {
    invoice: Invoice;
    invoice_payment: InvoicePayment;
    _invoice_state: InvoiceState;
    /** PaymentIntent id → invoice id, so a PI outcome finds its invoice. */
    _invoice_by_pi: { id: string; invoice: string };
    /** Ids of deleted draft invoices. */
    _deleted_invoice: { id: string };
  }
}

export function invoiceState(ctx: Ctx, inv: Invoice): InvoiceState {
  const col = ctx.store.c('_invoice_state');
  return col.get(inv.id) ?? col.insert({ id: inv.id, payment_intent: null, failed_attempts: 0 });
}

export function subscriptionOf(inv: Invoice): string | null {
  const s = inv.parent?.subscription_details?.subscription;
  if (s === undefined || s === null) return null;
  return typeof s === 'string' ? s : s.id;
}

/** A subscription line, built by the subscription engine. */
export interface SubscriptionLineInit {
  subscription: string;
  subscriptionItem: string;
  price: Wire<Stripe.Price>;
  quantity: number;
  amount: number;
  description: string;
  period: { start: number; end: number };
}

export interface NewInvoiceInit {
  customer: string;
  currency?: string | undefined;
  billingReason: Stripe.Invoice.BillingReason;
  collectionMethod: 'charge_automatically' | 'send_invoice';
  daysUntilDue?: number | null | undefined;
  autoAdvance: boolean;
  /** Attach the customer's pending invoice items (only those of `subscription` when given). */
  includePending: boolean;
  subscription?: string | null | undefined;
  subscriptionMetadata?: Stripe.Metadata | null | undefined;
  subscriptionLines?: SubscriptionLineInit[] | undefined;
  description?: string | null | undefined;
  metadata?: Stripe.Metadata | undefined;
  discounts?: string[] | undefined;
  defaultPaymentMethod?: string | null | undefined;
  periodStart?: number | undefined;
  periodEnd?: number | undefined;
  /** Seconds after creation at which the draft finalizes on its own (auto_advance). */
  finalizeAfter?: number | undefined;
  /** Build the invoice without storing it or claiming items (`create_preview`); extra items to show. */
  preview?: { items: InvoiceItem[] } | undefined;
}

/** Builds, stores and announces (`invoice.created`) a draft invoice. */
export function createDraftInvoice(ctx: Ctx, init: NewInvoiceInit): Invoice {
  const customer = ctx.store.c('customer').require(init.customer, 'customer');
  const now = ctx.now();
  const id = init.preview ? `upcoming_${newId('in')}` : newId('in');
  const pending = init.includePending
    ? [...ctx.store.c('invoiceitem').values()].filter(
        (ii) =>
          ii.customer === customer.id &&
          ii.invoice === null &&
          (init.subscription
            ? subscriptionOfItem(ii) === init.subscription
            : subscriptionOfItem(ii) === null) &&
          (init.currency === undefined || ii.currency === init.currency),
      )
    : [];
  const currency =
    init.currency ??
    init.subscriptionLines?.[0]?.price.currency ??
    pending[0]?.currency ??
    customer.currency ??
    'usd';
  const inv: Invoice = {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'paydesk emulator',
    account_tax_ids: null,
    amount_due: 0,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: 0,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: init.autoAdvance,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: init.autoAdvance ? now + (init.finalizeAfter ?? 3600) : null,
    billing_reason: init.billingReason,
    collection_method: init.collectionMethod,
    created: now,
    currency,
    custom_fields: null,
    customer: customer.id,
    customer_account: null,
    customer_address: customer.address ?? null,
    customer_email: customer.email ?? null,
    customer_name: customer.name ?? null,
    customer_phone: customer.phone ?? null,
    customer_shipping: customer.shipping ?? null,
    customer_tax_exempt: customer.tax_exempt ?? 'none',
    customer_tax_ids: customerTaxIds(ctx, customer.id).map((t) => ({ type: t.type, value: t.value })),
    default_payment_method: init.defaultPaymentMethod ?? null,
    default_source: null,
    default_tax_rates: [],
    description: init.description ?? null,
    discounts: init.discounts ?? [],
    due_date: null,
    effective_at: null,
    ending_balance: null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: [], has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: init.metadata ?? EMPTY_METADATA,
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: init.subscription
      ? {
          type: 'subscription_details',
          quote_details: null,
          subscription_details: {
            metadata: init.subscriptionMetadata ?? {},
            subscription: init.subscription,
          },
        }
      : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: init.periodEnd ?? now,
    period_start: init.periodStart ?? now,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: 0,
    subtotal_excluding_tax: 0,
    test_clock: testClockOf(ctx, customer.id),
    total: 0,
    total_discount_amounts: [],
    total_excluding_tax: 0,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: null,
  };
  if (init.collectionMethod === 'send_invoice') {
    inv.due_date = null; // set at finalization from days_until_due
  }
  for (const s of init.subscriptionLines ?? []) inv.lines.data.push(subscriptionLine(inv, s));
  if (init.preview) {
    inv.lines.data = [
      ...[...pending, ...init.preview.items].map((ii) => itemLine(inv, ii)),
      ...inv.lines.data,
    ];
    computeTotals(ctx, inv);
    return inv;
  }
  for (const ii of pending) ii.invoice = id;
  ctx.store.c('invoice').insert(inv);
  invoiceState(ctx, inv);
  if (init.daysUntilDue !== undefined && init.daysUntilDue !== null) {
    ctx.store.c('_invoice_days').insert({ id, days: init.daysUntilDue });
  }
  rebuildLines(ctx, inv);
  ctx.emit('invoice.created', inv);
  return inv;
}

declare module '../../core/store.js' {
  interface CollectionTypes {
    /** `days_until_due` of send_invoice invoices, applied at finalization. */
    _invoice_days: { id: string; days: number };
  }
}

function subscriptionOfItem(ii: InvoiceItem): string | null {
  return ii.parent?.subscription_details?.subscription ?? null;
}

function subscriptionLine(inv: Invoice, s: SubscriptionLineInit): InvoiceLine {
  return {
    id: newId('il'),
    object: 'line_item',
    amount: s.amount,
    currency: s.price.currency,
    description: s.description,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: inv.id,
    livemode: false,
    metadata: EMPTY_METADATA,
    parent: {
      type: 'subscription_item_details',
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: null,
        proration: false,
        proration_details: { credited_items: null },
        subscription: s.subscription,
        subscription_item: s.subscriptionItem,
      },
    },
    period: s.period,
    pretax_credit_amounts: [],
    pricing: {
      type: 'price_details',
      price_details: {
        price: s.price.id,
        product: typeof s.price.product === 'string' ? s.price.product : s.price.product.id,
      },
      unit_amount_decimal: s.price.unit_amount_decimal ?? null,
    },
    quantity: s.quantity,
    quantity_decimal: String(s.quantity),
    subscription: s.subscription,
    subtotal: s.amount,
    taxes: [],
  };
}

function itemLine(inv: Invoice, ii: InvoiceItem): InvoiceLine {
  const sub = subscriptionOfItem(ii);
  return {
    id: `il_${ii.id.slice(3)}`,
    object: 'line_item',
    amount: ii.amount,
    currency: ii.currency,
    description: ii.description,
    discount_amounts: [],
    discountable: ii.discountable,
    discounts: ii.discounts ?? [],
    invoice: inv.id,
    livemode: false,
    metadata: ii.metadata ?? EMPTY_METADATA,
    parent: {
      type: 'invoice_item_details',
      invoice_item_details: {
        invoice_item: ii.id,
        proration: ii.proration,
        proration_details: { credited_items: null },
        subscription: sub,
      },
      subscription_item_details: null,
    },
    period: ii.period,
    pretax_credit_amounts: [],
    pricing: ii.pricing,
    quantity: ii.quantity,
    quantity_decimal: String(ii.quantity),
    subscription: sub,
    subtotal: ii.amount,
    taxes: [],
  };
}

/** Rebuilds the invoice-item lines from the items attached to the invoice, then the totals. */
function rebuildLines(ctx: Ctx, inv: Invoice): void {
  const subLines = inv.lines.data.filter((l) => l.parent?.type === 'subscription_item_details');
  const items = [...ctx.store.c('invoiceitem').values()].filter((ii) => ii.invoice === inv.id);
  // Stripe lists invoice items (prorations first) before the subscription's own lines.
  inv.lines.data = [...items.map((ii) => itemLine(inv, ii)), ...subLines];
  computeTotals(ctx, inv);
}

/** Recomputes subtotal, discounts and amounts from the lines. */
export function computeTotals(ctx: Ctx, inv: Invoice): void {
  const subtotal = inv.lines.data.reduce((s, l) => s + l.amount, 0);
  const ids = inv.discounts.map((d) => (typeof d === 'string' ? d : d.id));
  const amounts = discountAmounts(
    ctx,
    ids,
    inv.lines.data
      .filter((l) => l.discountable)
      .map((l) => ({ amount: l.amount, product: l.pricing?.price_details?.product ?? null })),
    inv.currency,
    inv.period_start, // a repeating coupon covers the invoices of periods that start before it ends
  );
  const totalDiscount = amounts.reduce((s, a) => s + a.amount, 0);
  // Spread each discount over the lines it applies to in proportion (the last line takes the rounding).
  const dLines = inv.lines.data.filter((l) => l.discountable && l.amount > 0);
  for (const l of inv.lines.data) l.discount_amounts = [];
  for (const a of amounts) {
    const d = ctx.store.c('discount').get(a.discount);
    const only = d && couponOf(ctx, d)?.applies_to?.products;
    const mine = dLines.filter((l) => {
      const product = l.pricing?.price_details?.product;
      return only === undefined || only === null || (product !== undefined && only.includes(product));
    });
    const base = mine.reduce((s, l) => s + l.amount, 0);
    let left = a.amount;
    mine.forEach((l, i) => {
      const share = i === mine.length - 1 ? left : Math.round((a.amount * l.amount) / Math.max(1, base));
      left -= share;
      l.discount_amounts!.push({ amount: share, discount: a.discount });
    });
  }
  inv.subtotal = subtotal;
  inv.subtotal_excluding_tax = subtotal;
  inv.total_discount_amounts = amounts;
  inv.total = subtotal - totalDiscount;
  inv.total_excluding_tax = inv.total;
  applyTaxes(ctx, inv);
  inv.amount_due = Math.max(0, inv.total);
  inv.amount_remaining = Math.max(0, inv.amount_due - inv.amount_paid);
}

/** After items of a draft changed (added, updated, deleted). */
export function refreshDraft(ctx: Ctx, inv: Invoice): void {
  if (inv.status !== 'draft') return;
  rebuildLines(ctx, inv);
}

export function deletedInvoice(ctx: Ctx, id: string): boolean {
  return ctx.store.c('_deleted_invoice').has(id);
}

export function emitUpdated(ctx: Ctx, inv: Invoice, before: Invoice): void {
  const prev = diffPrevious(before, inv);
  if (Object.keys(prev).length > 0) ctx.emit('invoice.updated', inv, prev);
}

/** The retry plan for a failed automatic collection attempt: next attempt time, or null when exhausted. */
export function nextRetryAt(ctx: Ctx, failedAttempts: number, at: number): number | null {
  const days = billingSettings(ctx.app).retryDays;
  const d = days[failedAttempts - 1];
  return d === undefined ? null : at + d * 86_400;
}
