import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam, resourceMissing } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import { newId } from '../core/ids.js';
import { allOf, paginate, rangeFilter } from '../core/list.js';
import { applyMetadata } from '../core/metadata.js';
import { bool, decimalStr, emptyableStr, int, obj, oneOf, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { planOf } from './billing/subscription-model.js';
import { readTiers, storeTiers, tiersOf } from './price-tiers.js';
import type { Price } from './prices.js';
import { createProduct } from './products.js';

/**
 * Plans (`/v1/plans`): Stripe's older name for a recurring price. There is one object behind both: a
 * plan is stored as a recurring `price` with the same id, so a plan id works wherever a price id does
 * (`items[0][price]`, Checkout, quotes), and every recurring price answers `GET /v1/plans/:id`. Plan
 * routes announce both names: `plan.created` then `price.created` (`updated`, `deleted` alike).
 */
export type Plan = Wire<Stripe.Plan>;

const INTERVALS = ['day', 'week', 'month', 'year'] as const;
const MAX_INTERVAL: Record<(typeof INTERVALS)[number], number> = { day: 1095, week: 156, month: 36, year: 3 };
const ID_PATTERN = /^[a-zA-Z0-9_\-.:]{1,200}$/;

/** The recurring price behind a plan id (404, or 400 naming `param`, "No such plan"). */
function requirePlanPrice(ctx: Ctx, id: string, param?: string): Price {
  const price = ctx.store.c('price').get(id);
  if (price === undefined || price.recurring === null) throw resourceMissing('plan', id, param);
  return price;
}

function create(ctx: Ctx): Plan {
  const p = ctx.params;
  const customId = str(p, 'id');
  if (customId !== undefined) {
    if (!ID_PATTERN.test(customId)) throw invalidRequest('Invalid plan id.', 'id');
    if (ctx.store.c('price').has(customId)) {
      throw invalidRequest('Plan already exists.', 'id', 'resource_already_exists');
    }
  }
  const currency = str(p, 'currency');
  if (!currency) throw missingParam('currency');
  const interval = oneOf(p, 'interval', INTERVALS);
  if (interval === undefined) throw missingParam('interval');
  const count = int(p, 'interval_count') ?? 1;
  if (count < 1 || count > MAX_INTERVAL[interval]) {
    throw invalidRequest(
      `The maximum billing interval is ${MAX_INTERVAL[interval]} ${interval}s; interval_count must be between 1 and that.`,
      'interval_count',
    );
  }
  const billingScheme = oneOf(p, 'billing_scheme', ['per_unit', 'tiered'] as const) ?? 'per_unit';
  if (p.transform_usage !== undefined) {
    throw invalidRequest('The emulator does not support transform_usage on plans yet.', 'transform_usage');
  }
  const tiered = readTiers(p, billingScheme === 'tiered');
  const amount = int(p, 'amount');
  const amountDecimal = decimalStr(p, 'amount_decimal');
  if (amount !== undefined && amountDecimal !== undefined) {
    throw invalidRequest('You may only specify one of these parameters: amount, amount_decimal.', 'amount');
  }
  if (tiered !== undefined && (amount !== undefined || amountDecimal !== undefined)) {
    throw invalidRequest(
      'amount may not be set when billing_scheme is tiered: the tiers set the amounts.',
      amount !== undefined ? 'amount' : 'amount_decimal',
    );
  }
  if (tiered === undefined && amount === undefined && amountDecimal === undefined) {
    throw invalidRequest(
      'Plans require an `amount` parameter to be set when `billing_scheme=per_unit`.',
      'amount',
    );
  }
  if (amount !== undefined && amount < 0) {
    throw invalidRequest('This value must be greater than or equal to 0.', 'amount');
  }
  let product: string;
  const productData = typeof p.product === 'object' ? obj(p, 'product') : undefined;
  if (productData !== undefined) product = createProduct(ctx, productData, 'product').id;
  else {
    const productId = str(p, 'product');
    if (productId === undefined) throw missingParam('product');
    product = ctx.store.c('product').require(productId, 'product').id;
  }
  const price: Price = {
    id: customId ?? newId('price'),
    object: 'price',
    active: bool(p, 'active') ?? true,
    billing_scheme: billingScheme,
    created: ctx.now(),
    currency: currency.toLowerCase(),
    custom_unit_amount: null,
    livemode: false,
    lookup_key: null,
    metadata: applyMetadata({}, p),
    nickname: str(p, 'nickname') ?? null,
    product,
    recurring: {
      interval,
      interval_count: count,
      meter: str(p, 'meter') ?? null,
      trial_period_days: int(p, 'trial_period_days') ?? null,
      usage_type: oneOf(p, 'usage_type', ['licensed', 'metered'] as const) ?? 'licensed',
    },
    tax_behavior: 'unspecified',
    tiers_mode: tiered?.mode ?? null,
    transform_quantity: null,
    type: 'recurring',
    unit_amount: amount ?? (amountDecimal !== undefined ? Math.round(Number(amountDecimal)) : null),
    unit_amount_decimal: amountDecimal ?? (amount !== undefined ? String(amount) : null),
  };
  ctx.store.c('price').insert(price);
  if (tiered !== undefined) storeTiers(ctx.store, price.id, tiered.tiers);
  const plan = planOf(price);
  ctx.emit('plan.created', plan);
  ctx.emit('price.created', price);
  return plan;
}

function update(ctx: Ctx): Plan {
  const price = requirePlanPrice(ctx, ctx.args.id!);
  const before = structuredClone(price);
  const planBefore = planOf(before);
  const p = ctx.params;
  const active = bool(p, 'active');
  if (active !== undefined) price.active = active;
  const nickname = emptyableStr(p, 'nickname');
  if (nickname !== undefined) price.nickname = nickname;
  const trial = int(p, 'trial_period_days');
  if (trial !== undefined) price.recurring = { ...price.recurring!, trial_period_days: trial };
  const product = str(p, 'product');
  if (product !== undefined) price.product = ctx.store.c('product').require(product, 'product').id;
  price.metadata = applyMetadata(price.metadata, p);
  const plan = planOf(price);
  const prev = diffPrevious(planBefore, plan);
  if (Object.keys(prev).length > 0) {
    ctx.emit('plan.updated', plan, prev);
    ctx.emit('price.updated', price, diffPrevious(before, price));
  }
  return plan;
}

function remove(ctx: Ctx): Stripe.DeletedPlan {
  const price = requirePlanPrice(ctx, ctx.args.id!);
  ctx.store.c('price').delete(price.id);
  ctx.emit('plan.deleted', planOf(price));
  ctx.emit('price.deleted', price);
  return { id: price.id, object: 'plan', deleted: true };
}

function list(ctx: Ctx) {
  const p = ctx.params;
  const active = bool(p, 'active');
  const product = str(p, 'product');
  const created = rangeFilter(p, 'created');
  const page = paginate(
    ctx.store.c('price'),
    p,
    '/v1/plans',
    allOf<Price>(
      (x) => x.recurring !== null,
      active !== undefined && ((x) => x.active === active),
      product !== undefined && ((x) => x.product === product),
      created && ((x) => created(x.created)),
    ),
  );
  return { ...page, data: page.data.map(planOf) };
}

export const plans = defineResource('plans', (api) => {
  api.post('/v1/plans', create);
  api.get('/v1/plans', list);
  api.get('/v1/plans/:id', (ctx) => planOf(requirePlanPrice(ctx, ctx.args.id!)));
  api.post('/v1/plans/:id', update);
  api.del('/v1/plans/:id', remove);
  api.expandable('plan', 'product', (id) => api.store.c('product').get(id));
  // A tiered plan's tiers come only with expand[]=tiers, as for prices.
  api.includable('plan', 'tiers', (o) =>
    o.billing_scheme === 'tiered' ? tiersOf(api.store, String(o.id)) : undefined,
  );
});
