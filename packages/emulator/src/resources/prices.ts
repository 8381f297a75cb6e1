import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import type { Params } from '../core/form.js';
import { newId } from '../core/ids.js';
import { allOf, paginate, rangeFilter } from '../core/list.js';
import { applyMetadata } from '../core/metadata.js';
import { bool, decimalStr, emptyableStr, int, obj, oneOf, str, strArr } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { readTiers, storeTiers, tiersOf } from './price-tiers.js';
import { createProduct } from './products.js';

export type Price = Wire<Stripe.Price>;

declare module '../core/store.js' {
  interface CollectionTypes {
    price: Price;
  }
}

const INTERVALS = ['day', 'week', 'month', 'year'] as const;
const MAX_INTERVAL: Record<(typeof INTERVALS)[number], number> = { day: 1095, week: 156, month: 36, year: 3 };

function readRecurring(p: Params, prefix: string): Price['recurring'] {
  const r = obj(p, 'recurring', `${prefix}recurring`);
  if (r === undefined) return null;
  const name = (k: string) => `${prefix}recurring[${k}]`;
  const interval = oneOf(r, 'interval', INTERVALS, name('interval'));
  if (interval === undefined) throw missingParam(name('interval'));
  const count = int(r, 'interval_count', name('interval_count')) ?? 1;
  if (count < 1 || count > MAX_INTERVAL[interval]) {
    throw invalidRequest(
      `The maximum billing interval is ${MAX_INTERVAL[interval]} ${interval}s; interval_count must be between 1 and that.`,
      name('interval_count'),
    );
  }
  const usage = oneOf(r, 'usage_type', ['licensed', 'metered'] as const, name('usage_type')) ?? 'licensed';
  return {
    interval,
    interval_count: count,
    meter: str(r, 'meter', name('meter')) ?? null,
    trial_period_days: int(r, 'trial_period_days', name('trial_period_days')) ?? null,
    usage_type: usage,
  };
}

/** Frees `key` from any other price (transfer) or refuses it when it is taken. */
function claimLookupKey(ctx: Ctx, key: string, transfer: boolean, self: string | null): void {
  const holder = ctx.store.c('price').find((pr) => pr.lookup_key === key && pr.id !== self);
  if (holder === undefined) return;
  if (!transfer) {
    throw invalidRequest(
      `A price (\`${holder.id}\`) already uses that lookup key. Set transfer_lookup_key=true to move it.`,
      'lookup_key',
    );
  }
  const before = { ...holder };
  holder.lookup_key = null;
  ctx.emit('price.updated', holder, diffPrevious(before, holder));
}

/**
 * Builds, stores and announces a price. `productId` is given when the caller already knows the
 * product (`default_price_data`, `price_data` in other resources); otherwise `product` or
 * `product_data` is read from `p`. `prefix` names nested params in errors.
 */
export function createPrice(ctx: Ctx, p: Params, productId?: string, prefix = ''): Price {
  const name = (k: string) => (prefix ? `${prefix}[${k}]` : k);
  const currency = str(p, 'currency', name('currency'));
  if (!currency) throw missingParam(name('currency'));
  if (!/^[a-zA-Z]{3}$/.test(currency))
    throw invalidRequest(`Invalid currency: ${currency}`, name('currency'));

  let product = productId;
  if (product === undefined) {
    const given = str(p, 'product', name('product'));
    const data = obj(p, 'product_data', name('product_data'));
    if (given !== undefined && data !== undefined) {
      throw invalidRequest(
        'You may only specify one of these parameters: product, product_data.',
        name('product'),
      );
    }
    if (given !== undefined) product = ctx.store.c('product').require(given, name('product')).id;
    else if (data !== undefined) product = createProduct(ctx, data, name('product_data')).id;
    else throw missingParam(name('product'));
  }

  const billingScheme =
    oneOf(p, 'billing_scheme', ['per_unit', 'tiered'] as const, name('billing_scheme')) ?? 'per_unit';
  const unitAmount = int(p, 'unit_amount', name('unit_amount'));
  const unitAmountDecimal = decimalStr(p, 'unit_amount_decimal', name('unit_amount_decimal'));
  if (unitAmount !== undefined && unitAmountDecimal !== undefined) {
    throw invalidRequest(
      'You may only specify one of these parameters: unit_amount, unit_amount_decimal.',
      name('unit_amount'),
    );
  }
  const custom = obj(p, 'custom_unit_amount', name('custom_unit_amount'));
  const tiered = readTiers(p, billingScheme === 'tiered', name);
  if (tiered !== undefined && (unitAmount !== undefined || unitAmountDecimal !== undefined)) {
    throw invalidRequest(
      'unit_amount may not be set when billing_scheme is tiered: the tiers set the amounts.',
      name(unitAmount !== undefined ? 'unit_amount' : 'unit_amount_decimal'),
    );
  }
  if (
    billingScheme === 'per_unit' &&
    unitAmount === undefined &&
    unitAmountDecimal === undefined &&
    !custom
  ) {
    throw missingParam(name('unit_amount'));
  }
  if (unitAmount !== undefined && unitAmount < 0) {
    throw invalidRequest('This value must be greater than or equal to 0.', name('unit_amount'));
  }
  const recurring = readRecurring(p, prefix ? `${prefix}[` : '');
  if (tiered !== undefined && recurring === null) {
    throw invalidRequest('Tiered pricing is only supported for recurring prices.', name('billing_scheme'));
  }
  const lookupKey = str(p, 'lookup_key', name('lookup_key'));
  if (lookupKey !== undefined && lookupKey.length > 200) {
    throw invalidRequest('lookup_key can be at most 200 characters long.', name('lookup_key'));
  }
  if (lookupKey) claimLookupKey(ctx, lookupKey, bool(p, 'transfer_lookup_key') ?? false, null);

  const price: Price = {
    id: newId('price'),
    object: 'price',
    active: bool(p, 'active', name('active')) ?? true,
    billing_scheme: billingScheme,
    created: ctx.now(),
    currency: currency.toLowerCase(),
    custom_unit_amount: custom
      ? {
          maximum: int(custom, 'maximum') ?? null,
          minimum: int(custom, 'minimum') ?? null,
          preset: int(custom, 'preset') ?? null,
        }
      : null,
    livemode: false,
    lookup_key: lookupKey || null,
    metadata: applyMetadata({}, p),
    nickname: str(p, 'nickname', name('nickname')) ?? null,
    product,
    recurring,
    tax_behavior:
      oneOf(p, 'tax_behavior', ['inclusive', 'exclusive', 'unspecified'] as const, name('tax_behavior')) ??
      'unspecified',
    tiers_mode: tiered?.mode ?? null,
    transform_quantity: null,
    type: recurring ? 'recurring' : 'one_time',
    unit_amount:
      unitAmount ?? (unitAmountDecimal !== undefined ? Math.round(Number(unitAmountDecimal)) : null),
    unit_amount_decimal: unitAmountDecimal ?? (unitAmount !== undefined ? String(unitAmount) : null),
  };
  ctx.store.c('price').insert(price);
  if (tiered !== undefined) storeTiers(ctx.store, price.id, tiered.tiers);
  ctx.emit('price.created', price);
  return price;
}

function update(ctx: Ctx): Price {
  const price = ctx.store.c('price').require(ctx.args.id!);
  const before = structuredClone(price);
  const p = ctx.params;
  const active = bool(p, 'active');
  if (active !== undefined) price.active = active;
  const nickname = emptyableStr(p, 'nickname');
  if (nickname !== undefined) price.nickname = nickname;
  const tax = oneOf(p, 'tax_behavior', ['inclusive', 'exclusive', 'unspecified'] as const);
  if (tax !== undefined) price.tax_behavior = tax;
  const lookupKey = str(p, 'lookup_key');
  if (lookupKey !== undefined) {
    if (lookupKey) claimLookupKey(ctx, lookupKey, bool(p, 'transfer_lookup_key') ?? false, price.id);
    price.lookup_key = lookupKey || null;
  }
  price.metadata = applyMetadata(price.metadata, p);
  const prev = diffPrevious(before, price);
  if (Object.keys(prev).length > 0) ctx.emit('price.updated', price, prev);
  return price;
}

function list(ctx: Ctx) {
  const p = ctx.params;
  const active = bool(p, 'active');
  const currency = str(p, 'currency');
  const product = str(p, 'product');
  const type = oneOf(p, 'type', ['one_time', 'recurring'] as const);
  const lookupKeys = strArr(p, 'lookup_keys');
  if (lookupKeys !== undefined && lookupKeys.length > 10) {
    throw invalidRequest('You can pass at most 10 lookup_keys.', 'lookup_keys');
  }
  const recurring = obj(p, 'recurring');
  const interval = recurring ? str(recurring, 'interval', 'recurring[interval]') : undefined;
  const created = rangeFilter(p, 'created');
  return paginate(
    ctx.store.c('price'),
    p,
    '/v1/prices',
    allOf<Price>(
      active !== undefined && ((x) => x.active === active),
      currency !== undefined && ((x) => x.currency === currency.toLowerCase()),
      product !== undefined && ((x) => x.product === product),
      type !== undefined && ((x) => x.type === type),
      lookupKeys !== undefined && ((x) => x.lookup_key !== null && lookupKeys.includes(x.lookup_key)),
      interval !== undefined && ((x) => x.recurring?.interval === interval),
      created && ((x) => created(x.created)),
    ),
  );
}

export const prices = defineResource('prices', (api) => {
  api.post('/v1/prices', (ctx) => createPrice(ctx, ctx.params));
  api.get('/v1/prices', list);
  api.get('/v1/prices/:id', (ctx) => ctx.store.c('price').require(ctx.args.id!));
  api.post('/v1/prices/:id', update);
  api.expandable('price', 'product', (id) => api.store.c('product').get(id));
  // A tiered price's tiers come only with expand[]=tiers, as Stripe answers them.
  api.includable('price', 'tiers', (o) =>
    o.billing_scheme === 'tiered' ? tiersOf(api.store, String(o.id)) : undefined,
  );
});
