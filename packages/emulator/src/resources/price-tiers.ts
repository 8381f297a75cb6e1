import type Stripe from 'stripe';
import { invalidRequest, missingParam } from '../core/errors.js';
import type { Params } from '../core/form.js';
import { arr, decimalStr, int, str } from '../core/params.js';
import type { Store } from '../core/store.js';
import type { Wire } from '../core/wire.js';
import type { Price } from './prices.js';

/**
 * Tiered prices and plans (`billing_scheme=tiered`, `tiers_mode` `graduated` or `volume`, `tiers`).
 * The tiers are kept beside the price (Stripe answers them only with `expand[]=tiers`), and
 * `priceAmount` is what a quantity of any price costs.
 */
export type Tier = Wire<Stripe.Price.Tier>;
export type TiersMode = 'graduated' | 'volume';

interface PriceTiers {
  id: string;
  tiers: Tier[];
}

declare module '../core/store.js' {
  interface CollectionTypes {
    _price_tiers: PriceTiers;
  }
}

/**
 * Reads `tiers` and `tiers_mode` for a price or plan. `tiered` says whether `billing_scheme` is
 * `tiered`; `name` turns a parameter name into its full name in errors (`price_data[tiers]`…).
 * Returns undefined for a per-unit price (refusing tiers then).
 */
export function readTiers(
  p: Params,
  tiered: boolean,
  name: (k: string) => string = (k) => k,
): { mode: TiersMode; tiers: Tier[] } | undefined {
  const list = arr(p, 'tiers', name('tiers'));
  const modeRaw = str(p, 'tiers_mode', name('tiers_mode'));
  if (!tiered) {
    if (list !== undefined) {
      throw invalidRequest('Tiers may only be set when billing_scheme is tiered.', name('tiers'));
    }
    if (modeRaw !== undefined) {
      throw invalidRequest('tiers_mode may only be set when billing_scheme is tiered.', name('tiers_mode'));
    }
    return undefined;
  }
  if (modeRaw === undefined) throw missingParam(name('tiers_mode'));
  if (modeRaw !== 'graduated' && modeRaw !== 'volume') {
    throw invalidRequest(`Invalid tiers_mode: must be one of graduated or volume`, name('tiers_mode'));
  }
  if (list === undefined || list.length === 0) throw missingParam(name('tiers'));
  let previous = 0;
  const tiers = list.map((entry, i): Tier => {
    const n = (k: string) => `${name('tiers')}[${i}][${k}]`;
    if (typeof entry !== 'object' || Array.isArray(entry)) {
      throw invalidRequest(`Invalid ${name('tiers')}[${i}]`, `${name('tiers')}[${i}]`);
    }
    const e = entry as Params;
    const upToRaw = str(e, 'up_to', n('up_to'));
    if (upToRaw === undefined) throw missingParam(n('up_to'));
    const last = i === list.length - 1;
    let upTo: number | null;
    if (upToRaw === 'inf') {
      if (!last) {
        throw invalidRequest('Only the last tier may have up_to=inf.', n('up_to'));
      }
      upTo = null;
    } else {
      upTo = int(e, 'up_to', n('up_to'))!;
      if (last) throw invalidRequest('The last tier must have up_to=inf.', n('up_to'));
      if (upTo <= previous) {
        throw invalidRequest('Each tier must have an up_to greater than the previous tier.', n('up_to'));
      }
      previous = upTo;
    }
    const unit = int(e, 'unit_amount', n('unit_amount'));
    const unitDecimal = decimalStr(e, 'unit_amount_decimal', n('unit_amount_decimal'));
    const flat = int(e, 'flat_amount', n('flat_amount'));
    const flatDecimal = decimalStr(e, 'flat_amount_decimal', n('flat_amount_decimal'));
    if (unit !== undefined && unitDecimal !== undefined) {
      throw invalidRequest(
        `You may only specify one of these parameters: ${n('unit_amount')}, ${n('unit_amount_decimal')}.`,
        n('unit_amount'),
      );
    }
    if (flat !== undefined && flatDecimal !== undefined) {
      throw invalidRequest(
        `You may only specify one of these parameters: ${n('flat_amount')}, ${n('flat_amount_decimal')}.`,
        n('flat_amount'),
      );
    }
    if (unit === undefined && unitDecimal === undefined && flat === undefined && flatDecimal === undefined) {
      throw invalidRequest(
        'Each tier must have a unit_amount, unit_amount_decimal, flat_amount or flat_amount_decimal.',
        n('unit_amount'),
      );
    }
    for (const [v, k] of [
      [unit, 'unit_amount'],
      [flat, 'flat_amount'],
    ] as const) {
      if (v !== undefined && v < 0)
        throw invalidRequest('This value must be greater than or equal to 0.', n(k));
    }
    return {
      flat_amount: flat ?? (flatDecimal !== undefined ? Math.round(Number(flatDecimal)) : null),
      flat_amount_decimal: flatDecimal ?? (flat !== undefined ? String(flat) : null),
      unit_amount: unit ?? (unitDecimal !== undefined ? Math.round(Number(unitDecimal)) : null),
      unit_amount_decimal: unitDecimal ?? (unit !== undefined ? String(unit) : null),
      up_to: upTo,
    };
  });
  return { mode: modeRaw, tiers };
}

export function storeTiers(store: Store, priceId: string, tiers: Tier[]): void {
  store.c('_price_tiers').insert({ id: priceId, tiers });
}

/** A tiered price's tiers (an empty list for any other price). */
export function tiersOf(store: Store, priceId: string): Tier[] {
  return store.c('_price_tiers').get(priceId)?.tiers ?? [];
}

function unitOf(t: Tier): number {
  return Number(t.unit_amount_decimal ?? t.unit_amount ?? 0);
}

function flatOf(t: Tier): number {
  return Number(t.flat_amount_decimal ?? t.flat_amount ?? 0);
}

/** The tier (index) a quantity falls in: the first whose `up_to` is at or above it. */
export function tierIndex(tiers: Tier[], quantity: number): number {
  const i = tiers.findIndex((t) => t.up_to === null || quantity <= t.up_to);
  return i === -1 ? tiers.length - 1 : i;
}

/**
 * What `quantity` units of a tiered price cost. Volume: every unit at the rate of the tier the whole
 * quantity falls in, plus that tier's flat amount. Graduated: each tier's units at its own rate, plus
 * the flat amount of every tier reached. Zero units cost nothing.
 */
export function tieredAmount(tiers: Tier[], mode: TiersMode, quantity: number): number {
  if (quantity <= 0 || tiers.length === 0) return 0;
  if (mode === 'volume') {
    const t = tiers[tierIndex(tiers, quantity)]!;
    return Math.round(unitOf(t) * quantity + flatOf(t));
  }
  let total = 0;
  let below = 0;
  for (const t of tiers) {
    const top = t.up_to === null ? quantity : Math.min(quantity, t.up_to);
    const units = top - below;
    if (units <= 0) break;
    total += unitOf(t) * units + flatOf(t);
    below = top;
  }
  return Math.round(total);
}

/** What `quantity` of a price costs (per unit, or by its tiers). */
export function priceAmount(store: Store, price: Price, quantity: number): number {
  if (price.billing_scheme === 'tiered') {
    return tieredAmount(tiersOf(store, price.id), (price.tiers_mode ?? 'volume') as TiersMode, quantity);
  }
  return (price.unit_amount ?? 0) * quantity;
}
