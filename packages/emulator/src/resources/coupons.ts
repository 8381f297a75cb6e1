import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import { randomString } from '../core/ids.js';
import { paginate, rangeFilter } from '../core/list.js';
import { applyMetadata } from '../core/metadata.js';
import { emptyableStr, int, num, obj, oneOf, str, strArr } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';

export type Coupon = Wire<Stripe.Coupon>;

declare module '../core/store.js' {
  interface CollectionTypes {
    coupon: Coupon;
  }
}

function create(ctx: Ctx): Coupon {
  const p = ctx.params;
  const percentOff = num(p, 'percent_off');
  const amountOff = int(p, 'amount_off');
  if (percentOff === undefined && amountOff === undefined) {
    throw invalidRequest('You must pass either percent_off or amount_off.', 'percent_off');
  }
  if (percentOff !== undefined && amountOff !== undefined) {
    throw invalidRequest(
      'You may only specify one of these parameters: amount_off, percent_off.',
      'amount_off',
    );
  }
  if (percentOff !== undefined && (percentOff <= 0 || percentOff > 100)) {
    throw invalidRequest('Percent off must be greater than 0 and at most 100.', 'percent_off');
  }
  const currency = str(p, 'currency');
  if (amountOff !== undefined) {
    if (amountOff <= 0) throw invalidRequest('Amount off must be a positive integer.', 'amount_off');
    if (!currency) throw missingParam('currency');
  }
  const duration = oneOf(p, 'duration', ['once', 'repeating', 'forever'] as const) ?? 'once';
  const months = int(p, 'duration_in_months');
  if (duration === 'repeating' && months === undefined) throw missingParam('duration_in_months');
  if (duration !== 'repeating' && months !== undefined) {
    throw invalidRequest(
      'duration_in_months can only be set when duration is repeating.',
      'duration_in_months',
    );
  }
  if (months !== undefined && months < 1) {
    throw invalidRequest('duration_in_months must be a positive integer.', 'duration_in_months');
  }
  const id = str(p, 'id') || randomString(8);
  if (ctx.store.c('coupon').has(id)) {
    throw invalidRequest('Coupon already exists.', 'id', 'resource_already_exists');
  }
  const maxRedemptions = int(p, 'max_redemptions');
  if (maxRedemptions !== undefined && maxRedemptions < 1) {
    throw invalidRequest('max_redemptions must be a positive integer.', 'max_redemptions');
  }
  const redeemBy = int(p, 'redeem_by');
  if (redeemBy !== undefined && redeemBy <= ctx.now()) {
    throw invalidRequest('redeem_by must be in the future.', 'redeem_by');
  }
  const appliesTo = obj(p, 'applies_to');
  const coupon: Coupon = {
    id,
    object: 'coupon',
    amount_off: amountOff ?? null,
    created: ctx.now(),
    currency: currency ? currency.toLowerCase() : null,
    duration,
    duration_in_months: months ?? null,
    livemode: false,
    max_redemptions: maxRedemptions ?? null,
    metadata: applyMetadata({}, p),
    name: str(p, 'name') ?? null,
    percent_off: percentOff ?? null,
    redeem_by: redeemBy ?? null,
    times_redeemed: 0,
    valid: true,
  };
  if (appliesTo !== undefined) {
    coupon.applies_to = { products: strArr(appliesTo, 'products', 'applies_to[products]') ?? [] };
  }
  ctx.store.c('coupon').insert(coupon);
  ctx.emit('coupon.created', coupon);
  return coupon;
}

/** Whether a coupon can still be redeemed (for the billing resources). */
export function couponValid(c: Coupon, now: number): boolean {
  if (c.redeem_by !== null && now > c.redeem_by) return false;
  if (c.max_redemptions !== null && c.times_redeemed >= c.max_redemptions) return false;
  return true;
}

function retrieve(ctx: Ctx): Coupon {
  const c = ctx.store.c('coupon').require(ctx.args.id!);
  c.valid = couponValid(c, ctx.now());
  return c;
}

function update(ctx: Ctx): Coupon {
  const c = ctx.store.c('coupon').require(ctx.args.id!);
  const before = structuredClone(c);
  const name = emptyableStr(ctx.params, 'name');
  if (name !== undefined) c.name = name;
  c.metadata = applyMetadata(c.metadata, ctx.params);
  const prev = diffPrevious(before, c);
  if (Object.keys(prev).length > 0) ctx.emit('coupon.updated', c, prev);
  return c;
}

function remove(ctx: Ctx): Stripe.DeletedCoupon {
  const id = ctx.args.id!;
  const c = ctx.store.c('coupon').require(id);
  ctx.store.c('coupon').delete(id);
  // Discounts already made from it go on applying (it only stops new redemptions).
  ctx.store.c('_deleted_coupon').delete(id);
  ctx.store.c('_deleted_coupon').insert(c);
  ctx.emit('coupon.deleted', c);
  return { id, object: 'coupon', deleted: true };
}

export const coupons = defineResource('coupons', (api) => {
  api.post('/v1/coupons', create);
  api.get('/v1/coupons', (ctx) => {
    const created = rangeFilter(ctx.params, 'created');
    return paginate(ctx.store.c('coupon'), ctx.params, '/v1/coupons', created && ((c) => created(c.created)));
  });
  api.get('/v1/coupons/:id', retrieve);
  api.post('/v1/coupons/:id', update);
  api.del('/v1/coupons/:id', remove);
});
