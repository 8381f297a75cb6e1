// The seed systems name what they sell by Stripe price id. paydesk sells only its catalog, so a price
// id is accepted when Stripe says it carries one of this instance's lookup keys, and is then priced
// from the catalog like any other item: the price id only chooses *what*, never *how much*.
import type { CatalogPrice } from '../catalog/catalog.js';
import type { ItemRequest } from '../checkout/items.js';
import type { AppContext } from '../context.js';
import { AppError } from '../platform/errors.js';
import { callStripe } from '../platform/stripe/client.js';

export const priceIdPattern = /^price_[A-Za-z0-9_]{1,200}$/;

/** Where a price id came from: `body` or `querystring`, and the field's name. */
export interface ParamRef {
  in: 'body' | 'querystring';
  path: string;
}

function refused(param: ParamRef, priceId: string, why: string): AppError {
  return new AppError('validation_failed', `Invalid ${param.in}.${param.path}: ${priceId} ${why}.`, {
    issues: [{ in: param.in, path: param.path, message: why }],
  });
}

/**
 * The catalog price a Stripe price id stands for. Anything else — an unknown id, a price without a
 * lookup key, another instance's or a retired price (its lookup key moved on), an inactive one —
 * is a 400 naming `param`.
 */
export async function catalogPriceForId(
  s: Pick<AppContext, 'stripe' | 'catalog'>,
  priceId: string,
  param: ParamRef,
): Promise<CatalogPrice> {
  let lookupKey: string | null;
  let active: boolean;
  try {
    const price = await callStripe(() => s.stripe.prices.retrieve(priceId));
    lookupKey = price.lookup_key;
    active = price.active;
  } catch (err) {
    if (err instanceof AppError && err.code === 'not_found') throw refused(param, priceId, 'is not a price');
    throw err;
  }
  const found = lookupKey ? s.catalog.byLookupKey(lookupKey) : undefined;
  if (!found || !active) throw refused(param, priceId, 'is not a price of this paydesk’s catalog');
  return found;
}

/** The checkout item for a catalog price: a pack × quantity, or the plan at the price's interval. */
export function itemForPrice(price: CatalogPrice, quantity: number): ItemRequest {
  return price.kind === 'pack'
    ? { kind: 'pack', pack: price.itemId, quantity, currency: price.currency }
    : { kind: 'plan', plan: price.itemId, interval: price.interval ?? 'month', currency: price.currency };
}
