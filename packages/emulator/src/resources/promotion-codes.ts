import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import { newId, randomString } from '../core/ids.js';
import { allOf, paginate, rangeFilter } from '../core/list.js';
import { applyMetadata, EMPTY_METADATA } from '../core/metadata.js';
import { bool, int, obj, oneOf, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { formatMoney } from '../pages/money.js';
import { versionBefore } from './billing/discounts.js';
import type { EngineCtx } from './common/engine.js';
import { type Coupon, couponValid } from './coupons.js';

export type PromotionCode = Wire<Stripe.PromotionCode>;

declare module '../core/store.js' {
  interface CollectionTypes {
    promotion_code: PromotionCode;
  }
}

/**
 * Promotion codes: customer-facing codes for a coupon (`promotion[coupon]`), entered on the hosted
 * Checkout page when a session has `allow_promotion_codes`. Create, retrieve, update (`active`,
 * `metadata`) and list. Redeemed in Checkout (`discounts`, or typed on the page when
 * `allow_promotion_codes`), subscriptions and invoices (`discounts[n][promotion_code]`), with its
 * restrictions enforced (`promotionCodeProblem`).
 */
function create(ctx: Ctx): PromotionCode {
  const p = ctx.params;
  const promotion = obj(p, 'promotion');
  // `coupon` is the name before 2025-09-30.clover (the Stripe CLI's fixtures send it).
  if (p.coupon !== undefined && !versionBefore(ctx, '2025-09-30')) {
    throw invalidRequest('Received unknown parameter: coupon', 'coupon', 'parameter_unknown');
  }
  if (promotion === undefined && p.coupon === undefined) throw missingParam('promotion');
  const couponId = (promotion && str(promotion, 'coupon', 'promotion[coupon]')) ?? str(p, 'coupon');
  if (!couponId) throw missingParam('promotion[coupon]');
  if (promotion) oneOf(promotion, 'type', ['coupon'] as const, 'promotion[type]');
  const coupon = ctx.store.c('coupon').require(couponId, 'promotion[coupon]');
  const code = str(p, 'code') ?? randomString(8).toUpperCase();
  if (!/^[A-Za-z0-9_-]{1,500}$/.test(code)) {
    throw invalidRequest('The code may contain only letters, digits, dashes and underscores.', 'code');
  }
  if (ctx.store.c('promotion_code').find((pc) => pc.active && pc.code.toLowerCase() === code.toLowerCase())) {
    throw invalidRequest(
      'An active promotion code with this code already exists.',
      'code',
      'resource_already_exists',
    );
  }
  const customer = str(p, 'customer');
  if (customer) ctx.store.c('customer').require(customer, 'customer');
  const maxRedemptions = int(p, 'max_redemptions');
  if (maxRedemptions !== undefined && maxRedemptions < 1) {
    throw invalidRequest('max_redemptions must be a positive integer.', 'max_redemptions');
  }
  const expiresAt = int(p, 'expires_at');
  if (expiresAt !== undefined && expiresAt <= ctx.now()) {
    throw invalidRequest('expires_at must be in the future.', 'expires_at');
  }
  const r = obj(p, 'restrictions');
  const minimum = r ? int(r, 'minimum_amount', 'restrictions[minimum_amount]') : undefined;
  const minimumCurrency = r
    ? str(r, 'minimum_amount_currency', 'restrictions[minimum_amount_currency]')
    : undefined;
  if (minimum !== undefined && !minimumCurrency) throw missingParam('restrictions[minimum_amount_currency]');
  const pc: PromotionCode = {
    id: newId('promo'),
    object: 'promotion_code',
    active: bool(p, 'active') ?? true,
    code,
    created: ctx.now(),
    customer: customer ?? null,
    customer_account: null,
    expires_at: expiresAt ?? null,
    livemode: false,
    max_redemptions: maxRedemptions ?? null,
    metadata: applyMetadata({}, p),
    promotion: { coupon: coupon.id, type: 'coupon' },
    restrictions: {
      first_time_transaction:
        (r && bool(r, 'first_time_transaction', 'restrictions[first_time_transaction]')) ?? false,
      minimum_amount: minimum ?? null,
      minimum_amount_currency: minimumCurrency?.toLowerCase() ?? null,
    },
    times_redeemed: 0,
  };
  ctx.store.c('promotion_code').insert(pc);
  ctx.emit('promotion_code.created', pc);
  return pc;
}

function update(ctx: Ctx): PromotionCode {
  const pc = ctx.store.c('promotion_code').require(ctx.args.id!, 'promotion_code', 404);
  const before = structuredClone(pc);
  const active = bool(ctx.params, 'active');
  // A code can be reactivated only while its coupon is valid and it is otherwise redeemable.
  if (active === true && !before.active) {
    const found = promotionCodeProblem(
      ctx,
      { ...pc, active: true },
      { amount: null, currency: '', customer: pc.customer as string | null },
    );
    if ('problem' in found) {
      throw invalidRequest(
        'This promotion code cannot be reactivated because it is no longer redeemable.',
        'active',
      );
    }
  }
  if (active !== undefined) pc.active = active;
  pc.metadata = applyMetadata(pc.metadata ?? EMPTY_METADATA, ctx.params);
  const diff = diffPrevious(before, pc);
  if (Object.keys(diff).length > 0) ctx.emit('promotion_code.updated', pc, diff);
  return pc;
}

function list(ctx: Ctx) {
  const p = ctx.params;
  const code = str(p, 'code');
  const active = bool(p, 'active');
  const coupon = str(p, 'coupon');
  const customer = str(p, 'customer');
  const created = rangeFilter(p, 'created');
  return paginate(
    ctx.store.c('promotion_code'),
    p,
    '/v1/promotion_codes',
    allOf<PromotionCode>(
      code !== undefined && ((pc) => pc.code.toLowerCase() === code.toLowerCase()),
      active !== undefined && ((pc) => pc.active === active),
      coupon !== undefined && ((pc) => pc.promotion.coupon === coupon),
      customer !== undefined && ((pc) => pc.customer === customer),
      created && ((pc) => created(pc.created)),
    ),
  );
}

/** Why a promotion code is refused: Stripe's API message, and what the hosted page tells the customer. */
export interface PromotionCodeRefusal {
  api: string;
  page: string;
}

const refusal = (api: string, page: string): { problem: PromotionCodeRefusal } => ({
  problem: { api, page },
});

/**
 * Why `pc` cannot be redeemed now for `amount` in `currency` by `customer`, or undefined when it can:
 * inactive or expired (its own `expires_at` or its coupon's), used up (`max_redemptions`), another
 * customer's, a fixed-amount coupon in another currency, under `restrictions.minimum_amount`, or
 * `restrictions.first_time_transaction` for a customer who has paid (or been invoiced) before.
 */
export function promotionCodeProblem(
  ctx: EngineCtx,
  pc: PromotionCode,
  at: { amount: number | null; currency: string; customer: string | null },
): { problem: PromotionCodeRefusal } | { coupon: Coupon } {
  if (!pc.active) return refusal('This promotion code is inactive.', 'This code is invalid.');
  const coupon = ctx.store.c('coupon').get(String(pc.promotion.coupon));
  const now = ctx.now();
  if (coupon === undefined || !couponValid(coupon, now) || (pc.expires_at !== null && pc.expires_at <= now)) {
    return refusal('This promotion code has expired.', 'This code has expired.');
  }
  if (pc.max_redemptions !== null && pc.times_redeemed >= pc.max_redemptions) {
    return refusal(
      'This promotion code cannot be redeemed because it has been used the maximum number of times.',
      'This code has been used up.',
    );
  }
  if (pc.customer !== null && pc.customer !== at.customer) {
    return refusal(
      'This promotion code cannot be redeemed by this customer because it is restricted to another customer.',
      'This code is invalid.',
    );
  }
  if (
    coupon.amount_off !== null &&
    coupon.currency !== null &&
    at.currency !== '' &&
    coupon.currency !== at.currency
  ) {
    return refusal(
      `This promotion code cannot be redeemed because its coupon is in ${coupon.currency.toUpperCase()}, not ${at.currency.toUpperCase()}.`,
      'This code cannot be used with this currency.',
    );
  }
  const r = pc.restrictions;
  if (
    r.minimum_amount !== null &&
    at.amount !== null &&
    r.minimum_amount_currency === at.currency &&
    at.amount < r.minimum_amount
  ) {
    return refusal(
      `This promotion code cannot be redeemed because the order amount is below its minimum of ${formatMoney(r.minimum_amount, at.currency)}.`,
      'The order total is below the minimum for this code.',
    );
  }
  if (r.first_time_transaction && at.customer !== null && hasPriorTransactions(ctx, at.customer)) {
    return refusal(
      'This promotion code cannot be redeemed because the associated customer has prior transactions.',
      'This code is only for a first purchase.',
    );
  }
  return { coupon };
}

/** A succeeded charge, or a finalized invoice with something to pay (Stripe counts both). */
function hasPriorTransactions(ctx: EngineCtx, customer: string): boolean {
  if (ctx.store.c('charge').find((ch) => ch.customer === customer && ch.status === 'succeeded')) return true;
  return (
    ctx.store
      .c('invoice')
      .find(
        (inv) =>
          inv.customer === customer &&
          inv.total > 0 &&
          (inv.status === 'open' || inv.status === 'paid' || inv.status === 'uncollectible'),
      ) !== undefined
  );
}

/**
 * The promotion code a customer typed, if it can be redeemed now for `amount` in `currency` by
 * `customer`: its coupon, or the reason it cannot (shown on the page).
 */
export function lookupPromotionCode(
  ctx: EngineCtx,
  typed: string,
  at: { amount: number; currency: string; customer: string | null },
): { promo: PromotionCode; coupon: Coupon } | { error: string } {
  const code = typed.trim().toLowerCase();
  const pc = ctx.store.c('promotion_code').find((x) => x.active && x.code.toLowerCase() === code);
  if (pc === undefined) return { error: 'This code is invalid.' };
  const found = promotionCodeProblem(ctx, pc, at);
  return 'problem' in found ? { error: found.problem.page } : { promo: pc, coupon: found.coupon };
}

export const promotionCodes = defineResource('promotion_codes', (api) => {
  api.label('promotion_code', 'promotion code');
  api.post('/v1/promotion_codes', create);
  api.get('/v1/promotion_codes', list);
  api.get('/v1/promotion_codes/:id', (ctx) =>
    ctx.store.c('promotion_code').require(ctx.args.id!, 'promotion_code', 404),
  );
  api.post('/v1/promotion_codes/:id', update);
  api.expandable('promotion_code', 'promotion.coupon', (id) => api.store.c('coupon').get(id));
  api.expandable('promotion_code', 'customer', (id) => api.store.c('customer').get(id));
  // Discounts (expanded from `discounts` or `customer.discount`): their promotion code and coupon.
  api.expandable('discount', 'promotion_code', (id) => api.store.c('promotion_code').get(id));
  api.expandable(
    'discount',
    'source.coupon',
    (id) => api.store.c('coupon').get(id) ?? api.store.c('_deleted_coupon').get(id),
  );
  api.expandable('discount', 'customer', (id) => api.store.c('customer').get(id));
});
