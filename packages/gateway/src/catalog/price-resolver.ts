import type Stripe from 'stripe';
import { AppError } from '../platform/errors.js';
import { callStripe } from '../platform/stripe/client.js';
import type { CatalogPrice } from './catalog.js';

/**
 * Finds the Stripe price for a catalog price by its lookup key, remembering the answer. Amounts are
 * always the catalog's: a price whose amount differs (the catalog changed and was not synced) is an
 * error, never charged.
 */
export class PriceResolver {
  private readonly cache = new Map<string, Stripe.Price>();

  constructor(private readonly stripe: Stripe) {}

  async resolve(price: CatalogPrice): Promise<Stripe.Price> {
    let found = this.cache.get(price.lookupKey);
    if (!found) {
      const res = await callStripe(() =>
        this.stripe.prices.list({ lookup_keys: [price.lookupKey], active: true, limit: 1 }),
      );
      found = res.data[0];
      if (!found) {
        throw new AppError(
          'conflict',
          `The catalog price ${price.lookupKey} is not in Stripe yet; run paydesk catalog sync.`,
        );
      }
      this.cache.set(price.lookupKey, found);
    }
    if (found.unit_amount !== price.amount || found.currency !== price.currency) {
      this.cache.delete(price.lookupKey);
      throw new AppError(
        'conflict',
        `The Stripe price for ${price.lookupKey} differs from the catalog; run paydesk catalog sync.`,
      );
    }
    return found;
  }

  /** Forget everything (after a catalog sync). */
  clear(): void {
    this.cache.clear();
  }
}
