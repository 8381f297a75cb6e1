// What a caller may buy, priced from the catalog: a credit pack × quantity, or a plan at an interval.
// The amount is always the catalog's; a currency the item is not sold in is a 400 that names it.
import type { CatalogPrice } from '../catalog/catalog.js';
import type { Interval } from '../catalog/schema.js';
import type { AppContext } from '../context.js';
import { AppError } from '../platform/errors.js';

/** Stripe's ceiling for one charge, in minor units. */
export const MAX_AMOUNT = 99_999_999;

export type ItemRequest =
  | { kind: 'pack'; pack: string; quantity: number; currency?: string | undefined }
  | { kind: 'plan'; plan: string; interval: Interval; currency?: string | undefined };

export interface PricedItem {
  price: CatalogPrice;
  quantity: number;
  /** amount × quantity, in minor units. */
  total: number;
}

function invalid(param: string, message: string): AppError {
  return new AppError('validation_failed', `Invalid ${param}: ${message}`, {
    issues: [{ in: 'body', path: param, message }],
  });
}

/**
 * Prices an item from the catalog. Without a currency, the first one the catalog declares for the
 * item is used. Unknown items are a 404 (`not_found`), unsold currencies and intervals a 400.
 */
export function priceItem(s: Pick<AppContext, 'catalog'>, item: ItemRequest): PricedItem {
  if (item.kind === 'pack') {
    const pack = s.catalog.pack(item.pack);
    if (!pack) throw new AppError('not_found', `No such pack: ${item.pack}.`);
    const currencies = Object.keys(pack.prices);
    const currency = item.currency ?? currencies[0]!;
    const price = s.catalog.price('pack', pack.id, currency);
    if (!price) {
      throw invalid(
        'currency',
        `pack ${pack.id} is not sold in ${currency} (available: ${currencies.join(', ')})`,
      );
    }
    const total = price.amount * item.quantity;
    if (total > MAX_AMOUNT) throw invalid('quantity', `the total ${total} exceeds ${MAX_AMOUNT}`);
    return { price, quantity: item.quantity, total };
  }
  const plan = s.catalog.plan(item.plan);
  if (!plan) throw new AppError('not_found', `No such plan: ${item.plan}.`);
  const byInterval = plan.prices[item.interval];
  if (!byInterval) throw invalid('interval', `plan ${plan.id} has no ${item.interval}ly price`);
  const currencies = Object.keys(byInterval);
  const currency = item.currency ?? currencies[0]!;
  const price = s.catalog.price('plan', plan.id, currency, item.interval);
  if (!price) {
    throw invalid(
      'currency',
      `plan ${plan.id} is not sold in ${currency} per ${item.interval} (available: ${currencies.join(', ')})`,
    );
  }
  return { price, quantity: 1, total: price.amount };
}
