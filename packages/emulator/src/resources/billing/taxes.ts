import type Stripe from 'stripe';
import type { Ctx } from '../../core/context.js';
import type { Wire } from '../../core/wire.js';
import type { TaxRate } from '../tax-rates.js';
import type { Invoice, InvoiceLine } from './invoice-engine.js';

/**
 * Manual tax rates on invoices, as Stripe applies them: a line's own rates (the invoice item's
 * `tax_rates`, or the subscription item's), else the subscription's `default_tax_rates` (subscription
 * lines), else the invoice's `default_tax_rates`. Tax is computed on the line's amount after its
 * discounts. An exclusive rate adds `amount × percentage / 100` to the total; inclusive rates are
 * already in the amount (`amount × percentage / (100 + Σ inclusive percentages)` of it is tax) and
 * add nothing. Each line's `taxes` and the invoice's `total_taxes` list the amounts per rate.
 */

type LineTax = NonNullable<InvoiceLine['taxes']>[number];
type Subscription = Wire<Stripe.Subscription>;

/** A preview's changed copy of a subscription, read instead of the stored one while it is built. */
let previewed: Subscription | undefined;

export function withPreviewedSubscription<T>(sub: Subscription, build: () => T): T {
  previewed = sub;
  try {
    return build();
  } finally {
    previewed = undefined;
  }
}

function subscription(ctx: Ctx, id: string): Subscription | undefined {
  return previewed?.id === id ? previewed : ctx.store.c('subscription').get(id);
}

function ratesOf(ctx: Ctx, inv: Invoice, line: InvoiceLine): TaxRate[] {
  const parent = line.parent;
  if (parent?.type === 'invoice_item_details') {
    const id = parent.invoice_item_details?.invoice_item;
    const item = id ? ctx.store.c('invoiceitem').get(id) : undefined;
    if (item?.tax_rates && item.tax_rates.length > 0) return item.tax_rates;
    const sub = parent.invoice_item_details?.subscription;
    const fromSub = sub ? subscription(ctx, sub)?.default_tax_rates : undefined;
    if (fromSub && fromSub.length > 0) return fromSub;
  } else if (parent?.type === 'subscription_item_details') {
    const d = parent.subscription_item_details!;
    const sub = d.subscription ? subscription(ctx, d.subscription) : undefined;
    const item = sub?.items.data.find((i) => i.id === d.subscription_item);
    if (item?.tax_rates && item.tax_rates.length > 0) return item.tax_rates;
    if (sub?.default_tax_rates && sub.default_tax_rates.length > 0) return sub.default_tax_rates;
  }
  return inv.default_tax_rates;
}

/** The taxes of one amount (after discounts) under `rates`. */
export function taxesFor(amount: number, rates: readonly TaxRate[]): LineTax[] {
  const inclusivePct = rates.filter((r) => r.inclusive).reduce((s, r) => s + r.percentage, 0);
  const inclusiveTax = rates
    .filter((r) => r.inclusive)
    .map((r) => Math.round((amount * r.percentage) / (100 + inclusivePct)));
  const net = amount - inclusiveTax.reduce((s, x) => s + x, 0);
  let i = 0;
  return rates.map((r) => ({
    amount: r.inclusive ? inclusiveTax[i++]! : Math.round((net * r.percentage) / 100),
    tax_behavior: r.inclusive ? 'inclusive' : 'exclusive',
    tax_rate_details: { tax_rate: r.id },
    taxability_reason: 'not_available',
    taxable_amount: net,
    type: 'tax_rate_details',
  }));
}

/** Fills each line's `taxes`, the invoice's `total_taxes`, and the totals that depend on tax. */
export function applyTaxes(ctx: Ctx, inv: Invoice): void {
  // A subscription's invoices take its default_tax_rates as their own.
  const subId = inv.parent?.subscription_details?.subscription;
  if (subId && inv.default_tax_rates.length === 0) {
    const sub = subscription(ctx, typeof subId === 'string' ? subId : subId.id);
    if (sub?.default_tax_rates && sub.default_tax_rates.length > 0) {
      inv.default_tax_rates = sub.default_tax_rates;
    }
  }
  const totals = new Map<string, LineTax>();
  let inclusive = 0;
  let exclusive = 0;
  for (const line of inv.lines.data) {
    const rates = ratesOf(ctx, inv, line);
    if (rates.length === 0) {
      line.taxes = [];
      continue;
    }
    const discounted = line.amount - (line.discount_amounts ?? []).reduce((s, d) => s + d.amount, 0);
    line.taxes = taxesFor(discounted, rates);
    for (const t of line.taxes) {
      if (t.tax_behavior === 'inclusive') inclusive += t.amount;
      else exclusive += t.amount;
      const id = t.tax_rate_details!.tax_rate;
      const sum = totals.get(id);
      if (sum === undefined) totals.set(id, { ...t, tax_rate_details: { tax_rate: id } });
      else {
        sum.amount += t.amount;
        sum.taxable_amount = (sum.taxable_amount ?? 0) + (t.taxable_amount ?? 0);
      }
    }
  }
  inv.total_taxes = [...totals.values()];
  const discount = inv.total_discount_amounts?.reduce((s, d) => s + d.amount, 0) ?? 0;
  const lineInclusive = inclusive;
  inv.subtotal_excluding_tax = inv.subtotal - lineInclusive;
  inv.total = inv.subtotal - discount + exclusive;
  inv.total_excluding_tax = inv.total - exclusive - inclusive;
}
