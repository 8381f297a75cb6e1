import type Stripe from 'stripe';
import type { Ctx } from '../../core/context.js';
import { invalidRequest } from '../../core/errors.js';
import type { Params } from '../../core/form.js';
import { newId } from '../../core/ids.js';
import { arr, str } from '../../core/params.js';
import type { Wire } from '../../core/wire.js';
import { couponValid } from '../coupons.js';
import { type PromotionCode, promotionCodeProblem } from '../promotion-codes.js';

export type Discount = Wire<Stripe.Discount>;

declare module '../../core/store.js' {
  interface CollectionTypes {
    discount: Discount;
  }
}

export interface DiscountOwner {
  customer: string;
  invoice?: string | null;
  invoiceItem?: string | null;
  subscription?: string | null;
  /** What is being discounted, before discounts (a promotion code's `minimum_amount`). */
  amount?: { value: number; currency: string } | undefined;
}

/**
 * Redeems a coupon: a `discount` object (`di_…`) that invoices and subscriptions point to, and
 * `customer.discount.created`.
 */
export function redeemCoupon(
  ctx: Ctx,
  couponId: string,
  owner: DiscountOwner,
  param: string,
  promo?: PromotionCode,
): Discount {
  const coupon = ctx.store.c('coupon').require(couponId, param);
  if (!couponValid(coupon, ctx.now())) {
    throw invalidRequest(`Coupon ${coupon.id} is no longer valid.`, param, 'coupon_expired');
  }
  coupon.times_redeemed += 1;
  const start = ctx.now();
  const discount: Discount = {
    id: newId('di'),
    object: 'discount',
    checkout_session: null,
    customer: owner.customer,
    customer_account: null,
    end:
      coupon.duration === 'repeating' && coupon.duration_in_months !== null
        ? addMonthsUtc(start, coupon.duration_in_months)
        : null,
    invoice: owner.invoice ?? null,
    invoice_item: owner.invoiceItem ?? null,
    promotion_code: promo?.id ?? null,
    source: { coupon: coupon.id, type: 'coupon' },
    start,
    subscription: owner.subscription ?? null,
    subscription_item: null,
  };
  ctx.store.c('discount').insert(discount);
  ctx.emit('customer.discount.created', discount);
  return discount;
}

/** Redeems a promotion code (400 naming `param` when its restrictions refuse it). */
export function redeemPromotionCode(
  ctx: Ctx,
  promoId: string,
  owner: DiscountOwner,
  param: string,
): Discount {
  const pc = ctx.store.c('promotion_code').require(promoId, param);
  const found = promotionCodeProblem(ctx, pc, {
    amount: owner.amount?.value ?? null,
    currency: owner.amount?.currency ?? '',
    customer: owner.customer,
  });
  if ('problem' in found) throw invalidRequest(found.problem, param);
  pc.times_redeemed += 1;
  return redeemCoupon(ctx, found.coupon.id, owner, param, pc);
}

function addMonthsUtc(t: number, months: number): number {
  const d = new Date(t * 1000);
  d.setUTCMonth(d.getUTCMonth() + months);
  return Math.floor(d.getTime() / 1000);
}

/**
 * Reads `discounts[n][coupon]` / `[promotion_code]` / `[discount]` (and the older `coupon`) into
 * discount ids.
 */
export function readDiscounts(ctx: Ctx, p: Params, owner: DiscountOwner): string[] {
  const out: string[] = [];
  const legacy = str(p, 'coupon');
  if (legacy) out.push(redeemCoupon(ctx, legacy, owner, 'coupon').id);
  const list = arr(p, 'discounts');
  if (list === undefined) return out;
  list.forEach((entry, i) => {
    if (typeof entry === 'string') {
      throw invalidRequest(`Invalid discounts[${i}]: must be a hash.`, `discounts[${i}]`);
    }
    if (Array.isArray(entry)) return;
    const coupon = str(entry, 'coupon', `discounts[${i}][coupon]`);
    const existing = str(entry, 'discount', `discounts[${i}][discount]`);
    if (coupon) out.push(redeemCoupon(ctx, coupon, owner, `discounts[${i}][coupon]`).id);
    else if (existing) out.push(ctx.store.c('discount').require(existing, `discounts[${i}][discount]`).id);
    else {
      const promo = str(entry, 'promotion_code', `discounts[${i}][promotion_code]`);
      if (promo) out.push(redeemPromotionCode(ctx, promo, owner, `discounts[${i}][promotion_code]`).id);
    }
  });
  return out;
}

/** Whether the discount still applies at `at` (repeating coupons end). */
export function discountActive(d: Discount, at: number): boolean {
  return d.end === null || at < d.end;
}

/**
 * The amount each discount takes off `amount` (integer minor units), applied in order: percentages
 * round half up on what is left, fixed amounts never take more than what is left.
 */
export function discountAmounts(
  ctx: Ctx,
  discountIds: readonly string[],
  amount: number,
  currency: string,
  at: number,
): { discount: string; amount: number }[] {
  const out: { discount: string; amount: number }[] = [];
  let left = Math.max(0, amount);
  for (const id of discountIds) {
    const d = ctx.store.c('discount').get(id);
    if (d === undefined || !discountActive(d, at)) continue;
    const couponId = typeof d.source.coupon === 'string' ? d.source.coupon : d.source.coupon?.id;
    const coupon = couponId ? ctx.store.c('coupon').get(couponId) : undefined;
    if (coupon === undefined) continue;
    let off = 0;
    if (coupon.percent_off !== null) off = Math.round((left * coupon.percent_off) / 100);
    else if (coupon.amount_off !== null && coupon.currency === currency)
      off = Math.min(left, coupon.amount_off);
    left -= off;
    out.push({ discount: id, amount: off });
  }
  return out;
}
