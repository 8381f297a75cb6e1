import type { Ctx } from '../../core/context.js';
import type { InvoiceItemInit } from '../invoice-items.js';
import { priceAmount } from '../price-tiers.js';
import type { Price } from '../prices.js';
import { prorate } from './periods.js';
import { productName, type Subscription } from './subscription-model.js';

/** One item's change at `at`: from `oldQty × oldPrice` to `newQty × newPrice` (qty 0 = absent). */
export interface ItemChange {
  itemId: string;
  oldPrice: Price | null;
  oldQty: number;
  newPrice: Price | null;
  newQty: number;
}

function day(t: number): string {
  const d = new Date(t * 1000);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${String(d.getUTCDate()).padStart(2, '0')} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/**
 * The proration invoice items for a set of item changes at `at` within the current period
 * `[start, end)`: a credit for the unused time on what was there, a charge for the remaining time on
 * what is there now, each prorated by the second as Stripe does.
 */
export function prorationItems(
  ctx: Ctx,
  sub: Subscription,
  changes: readonly ItemChange[],
  period: { start: number; end: number },
  at: number,
): InvoiceItemInit[] {
  const out: InvoiceItemInit[] = [];
  const base = {
    customer: sub.customer as string,
    currency: sub.currency,
    unitAmountDecimal: null,
    period: { start: at, end: period.end },
    proration: true,
    subscription: sub.id,
    invoice: null,
    discountable: false,
  };
  for (const c of changes) {
    const same = c.oldPrice?.id === c.newPrice?.id && c.oldQty === c.newQty;
    if (same) continue;
    if (c.oldPrice && c.oldQty > 0) {
      out.push({
        ...base,
        subscriptionItem: c.itemId,
        amount: -prorate(priceAmount(ctx.store, c.oldPrice, c.oldQty), period.start, period.end, at),
        quantity: c.oldQty,
        price: c.oldPrice,
        description: `Unused time on ${c.oldQty} × ${productName(ctx, c.oldPrice)} after ${day(at)}`,
      });
    }
    if (c.newPrice && c.newQty > 0) {
      out.push({
        ...base,
        subscriptionItem: c.itemId,
        amount: prorate(priceAmount(ctx.store, c.newPrice, c.newQty), period.start, period.end, at),
        quantity: c.newQty,
        price: c.newPrice,
        description: `Remaining time on ${c.newQty} × ${productName(ctx, c.newPrice)} after ${day(at)}`,
      });
    }
  }
  return out;
}
