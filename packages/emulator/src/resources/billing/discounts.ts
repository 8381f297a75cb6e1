import type Stripe from 'stripe';
import type { Ctx } from '../../core/context.js';
import { invalidRequest, resourceMissing } from '../../core/errors.js';
import { diffPrevious } from '../../core/events.js';
import type { Params } from '../../core/form.js';
import { newId } from '../../core/ids.js';
import { arr, str } from '../../core/params.js';
import type { Wire } from '../../core/wire.js';
import type { EngineCtx } from '../common/engine.js';
import { type Coupon, couponValid } from '../coupons.js';
import type { Customer } from '../customers.js';
import { type PromotionCode, promotionCodeProblem } from '../promotion-codes.js';

export type Discount = Wire<Stripe.Discount>;

declare module '../../core/store.js' {
  interface CollectionTypes {
    discount: Discount;
    /** Deleted coupons, kept for the discounts already made from them (which go on applying). */
    _deleted_coupon: Coupon;
  }
}

export interface DiscountOwner {
  customer: string;
  invoice?: string | null;
  invoiceItem?: string | null;
  subscription?: string | null;
  /** What is being discounted, before discounts (a promotion code's `minimum_amount`). */
  amount?: { value: number; currency: string } | undefined;
  /** An update of an existing subscription: a `minimum_amount` promotion code is refused there. */
  update?: boolean;
}

/** The coupon a discount was made from (deleting the coupon does not end its discounts). */
export function couponOf(ctx: EngineCtx, d: Discount): Coupon | undefined {
  const id = typeof d.source.coupon === 'string' ? d.source.coupon : d.source.coupon?.id;
  if (id === undefined) return undefined;
  return ctx.store.c('coupon').get(id) ?? ctx.store.c('_deleted_coupon').get(id);
}

/**
 * Redeems a coupon: a `discount` object (`di_…`) that invoices and subscriptions point to, and
 * `customer.discount.created` (`emit: false` when the caller emits in its own order).
 */
export function redeemCoupon(
  ctx: Ctx,
  couponId: string,
  owner: DiscountOwner,
  param: string,
  promo?: PromotionCode,
  emit = true,
): Discount {
  const coupon = ctx.store.c('coupon').require(couponId, param);
  if (!couponValid(coupon, ctx.now())) {
    throw invalidRequest(`Coupon expired: ${coupon.id}`, param, 'coupon_expired');
  }
  coupon.times_redeemed += 1;
  const start = ctx.now();
  const discount: Discount = {
    id: newId('di'),
    object: 'discount',
    checkout_session: null,
    customer: owner.customer,
    customer_account: null,
    end: discountEnd(coupon, start),
    invoice: owner.invoice ?? null,
    invoice_item: owner.invoiceItem ?? null,
    promotion_code: promo?.id ?? null,
    source: { coupon: coupon.id, type: 'coupon' },
    start,
    subscription: owner.subscription ?? null,
    subscription_item: null,
  };
  ctx.store.c('discount').insert(discount);
  if (emit) ctx.emit('customer.discount.created', discount);
  return discount;
}

function discountEnd(coupon: Coupon, start: number): number | null {
  return coupon.duration === 'repeating' && coupon.duration_in_months !== null
    ? addMonthsUtc(start, coupon.duration_in_months)
    : null;
}

/** The promotion code to redeem, or Stripe's 400 naming `param` when its restrictions refuse it. */
function checkPromotionCode(ctx: Ctx, promoId: string, owner: DiscountOwner, param: string) {
  const pc = ctx.store.c('promotion_code').require(promoId, param);
  if (owner.update && pc.restrictions.minimum_amount !== null) {
    throw invalidRequest(
      'This promotion code cannot be redeemed on a subscription update because it uses the ' +
        '`minimum_amount` restriction and the amount may change.',
      param,
    );
  }
  const found = promotionCodeProblem(ctx, pc, {
    amount: owner.amount?.value ?? null,
    currency: owner.amount?.currency ?? '',
    customer: owner.customer,
  });
  if ('problem' in found) throw invalidRequest(found.problem.api, param);
  return { pc, coupon: found.coupon };
}

/** Redeems a promotion code (400 naming `param` when its restrictions refuse it). */
export function redeemPromotionCode(
  ctx: Ctx,
  promoId: string,
  owner: DiscountOwner,
  param: string,
  emit = true,
): Discount {
  const { pc, coupon } = checkPromotionCode(ctx, promoId, owner, param);
  const discount = redeemCoupon(ctx, coupon.id, owner, param, pc, emit);
  pc.times_redeemed += 1;
  return discount;
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

/**
 * After `discounts` replaced a subscription's or invoice's list: the discounts it no longer names
 * end (`customer.discount.deleted`), as on Stripe.
 */
export function endReplacedDiscounts(
  ctx: Ctx,
  before: readonly (string | { id: string })[],
  after: readonly string[],
) {
  const kept = new Set(after);
  for (const ref of before) {
    const id = typeof ref === 'string' ? ref : ref.id;
    if (kept.has(id)) continue;
    const d = ctx.store.c('discount').get(id);
    if (d === undefined || d.invoice !== null || d.invoice_item !== null) continue;
    ctx.emit('customer.discount.deleted', d);
  }
}

/** Whether the discount still applies at `at` (repeating coupons end). */
export function discountActive(d: Discount, at: number): boolean {
  return d.end === null || at < d.end;
}

/** A line a discount may apply to: its amount and the product of its price (`applies_to`). */
export interface DiscountableLine {
  amount: number;
  product: string | null;
}

/** Whether a coupon applies to a line of `product` (`applies_to[products]`; none: every line). */
export function couponAppliesTo(coupon: Coupon, product: string | null): boolean {
  const only = coupon.applies_to?.products;
  return only === undefined || (product !== null && only.includes(product));
}

/** What a coupon takes off `base` in `currency`: a percentage (rounded half up) or its fixed amount. */
export function couponOff(coupon: Coupon, base: number, currency: string): number {
  if (coupon.percent_off !== null) return Math.round((base * coupon.percent_off) / 100);
  if (coupon.amount_off !== null && coupon.currency === currency) return Math.min(base, coupon.amount_off);
  return 0;
}

/** What a coupon takes off a set of lines (Checkout): only the lines it applies to count. */
export function couponTakes(coupon: Coupon, lines: readonly DiscountableLine[], currency: string): number {
  const base = lines.reduce((s, l) => s + (couponAppliesTo(coupon, l.product) ? l.amount : 0), 0);
  return couponOff(coupon, Math.max(0, base), currency);
}

// Ended discounts stay stored: the invoices that used them keep showing (and recomputing) them.

/**
 * The amount each discount takes off, applied in order to the lines it applies to (a coupon's
 * `applies_to[products]` restricts it to those products' lines): percentages round half up on what
 * is left, fixed amounts never take more than what is left. `lines` is a plain amount when every
 * line is eligible (no product known).
 */
export function discountAmounts(
  ctx: Ctx,
  discountIds: readonly string[],
  lines: number | readonly DiscountableLine[],
  currency: string,
  at: number,
): { discount: string; amount: number }[] {
  const list: readonly DiscountableLine[] =
    typeof lines === 'number' ? [{ amount: lines, product: null }] : lines;
  const left = list.map((l) => l.amount);
  const out: { discount: string; amount: number }[] = [];
  for (const id of discountIds) {
    const d = ctx.store.c('discount').get(id);
    if (d === undefined || !discountActive(d, at)) continue;
    const coupon = couponOf(ctx, d);
    if (coupon === undefined) continue;
    const eligible = list.map((l) => couponAppliesTo(coupon, l.product));
    // Credits (negative lines) lower the base; what is taken comes off the positive lines.
    const base = Math.max(
      0,
      left.reduce((s, v, i) => s + (eligible[i] ? v : 0), 0),
    );
    const off = couponOff(coupon, base, currency);
    const positive = left.reduce((s, v, i) => s + (eligible[i] && v > 0 ? v : 0), 0);
    let rest = off;
    let last = -1;
    left.forEach((v, i) => {
      if (eligible[i] && v > 0) last = i;
    });
    for (let i = 0; i < list.length; i++) {
      if (!eligible[i] || left[i]! <= 0) continue;
      const share = i === last ? rest : Math.min(rest, Math.round((off * left[i]!) / Math.max(1, positive)));
      left[i]! -= share;
      rest -= share;
    }
    out.push({ discount: id, amount: off });
  }
  return out;
}

// ---- Subscriptions and customers: which discounts an invoice gets, and when they end ----

/**
 * The discounts a subscription's next invoice (for the period starting at `at`) carries: the
 * subscription's own, after ending those whose `repeating` coupon ran out (`customer.discount.deleted`,
 * the subscription loses them); with none, the customer's discount, as on Stripe.
 */
export function subscriptionInvoiceDiscounts(
  ctx: Ctx,
  sub: { id: string; customer: string | { id: string }; discounts: (string | { id: string })[] },
  at: number,
  /** A preview (`create_preview`): ends nothing. */
  preview = false,
): string[] {
  const ids: string[] = [];
  let changed = false;
  for (const ref of sub.discounts) {
    const id = typeof ref === 'string' ? ref : ref.id;
    const d = ctx.store.c('discount').get(id);
    if (d !== undefined && !discountActive(d, at)) {
      if (preview) continue;
      ctx.emit('customer.discount.deleted', d);
      changed = true;
      continue;
    }
    ids.push(id);
  }
  if (changed) sub.discounts = [...ids];
  if (ids.length > 0) return ids;
  const customerId = typeof sub.customer === 'string' ? sub.customer : sub.customer.id;
  const customer = ctx.store.c('customer').get(customerId);
  const own = customer?.discount;
  if (own) {
    if (discountActive(own, at)) return [own.id];
    if (!preview) removeCustomerDiscount(ctx, customer!);
  }
  return [];
}

/**
 * After an invoice used its discounts: a `once` coupon's discount has been spent, so it ends (on the
 * subscription or the customer: `customer.discount.deleted`). An invoice that took nothing off (a
 * trial's $0 invoice) spends nothing. Returns whether the subscription's list changed.
 */
export function spendOnceDiscounts(
  ctx: Ctx,
  sub: { discounts: (string | { id: string })[] } | null,
  inv: {
    customer: string | { id: string } | null;
    total_discount_amounts: { discount: string | { id: string }; amount: number }[] | null;
  },
): boolean {
  let changed = false;
  for (const a of inv.total_discount_amounts ?? []) {
    if (a.amount <= 0) continue;
    const id = typeof a.discount === 'string' ? a.discount : a.discount.id;
    const d = ctx.store.c('discount').get(id);
    if (d === undefined || couponOf(ctx, d)?.duration !== 'once') continue;
    if (d.invoice !== null || d.invoice_item !== null || d.checkout_session !== null) continue;
    if (sub && d.subscription !== null) {
      sub.discounts = sub.discounts.filter((x) => (typeof x === 'string' ? x : x.id) !== id);
      ctx.emit('customer.discount.deleted', d);
      changed = true;
    } else if (d.subscription === null) {
      const customerId = typeof d.customer === 'string' ? d.customer : d.customer?.id;
      const customer = customerId ? ctx.store.c('customer').get(customerId) : undefined;
      if (customer?.discount?.id === id) removeCustomerDiscount(ctx, customer);
    }
  }
  return changed;
}

/**
 * Whether the request speaks an API version before `date` (`YYYY-MM-DD`): its `Stripe-Version`, or,
 * without one, the account's default version, which for the emulator's account predates the
 * parameters removed in 2025 (as for accounts created before then; the Stripe CLI sends none).
 */
export function versionBefore(ctx: Ctx, date: string): boolean {
  return ctx.stripeVersion === undefined || ctx.stripeVersion < date;
}

/**
 * Versions before 2025-03-31.basil set a customer's discount with `coupon` / `promotion_code` on
 * customers.create and update; later ones refuse both as unknown parameters (`Stripe-Version`).
 */
const CUSTOMER_COUPON_REMOVED = '2025-03-31';

/**
 * `coupon` / `promotion_code` on customers.create and update (older API versions): the customer's
 * discount, `customer.discount.created` (or `.updated` when it replaces one). Call after the
 * customer is stored; returns whether the discount changed.
 */
export function applyCustomerDiscount(ctx: Ctx, customer: Customer): boolean {
  const p = ctx.params;
  if (p.coupon === undefined && p.promotion_code === undefined) return false;
  prepareCustomerDiscount(ctx);
  const couponId = str(p, 'coupon');
  const promoId = str(p, 'promotion_code');
  if (!couponId && !promoId) {
    // `coupon=''` removes the customer's discount.
    if (p.coupon !== '' || !customer.discount) return false;
    removeCustomerDiscount(ctx, customer);
    return true;
  }
  const owner: DiscountOwner = { customer: customer.id };
  const fresh = couponId
    ? redeemCoupon(ctx, couponId, owner, 'coupon', undefined, false)
    : redeemPromotionCode(ctx, promoId!, owner, 'promotion_code', false);
  const old = customer.discount ?? null;
  if (old === null) {
    customer.discount = fresh;
    ctx.emit('customer.discount.created', fresh);
    return true;
  }
  // Switching coupons: a new discount replaces the old one (invoices that took the old one keep it).
  customer.discount = fresh;
  ctx.emit('customer.discount.updated', fresh, diffPrevious(old, fresh));
  return true;
}

/**
 * Refuses `coupon` / `promotion_code` on customers as Stripe does for the request's API version, and
 * a coupon or promotion code that cannot be redeemed (before anything is stored).
 */
export function prepareCustomerDiscount(ctx: Ctx): void {
  const p = ctx.params;
  const param = p.coupon !== undefined ? 'coupon' : 'promotion_code';
  if (!versionBefore(ctx, CUSTOMER_COUPON_REMOVED)) {
    throw invalidRequest(`Received unknown parameter: ${param}`, param, 'parameter_unknown');
  }
  const couponId = str(p, 'coupon');
  if (couponId) {
    const coupon = ctx.store.c('coupon').require(couponId, 'coupon');
    if (!couponValid(coupon, ctx.now())) {
      throw invalidRequest(`Coupon expired: ${coupon.id}`, 'coupon', 'coupon_expired');
    }
  }
}

/** Ends the customer's discount (`customer.discount.deleted`); the caller emits `customer.updated`. */
export function removeCustomerDiscount(ctx: Ctx, customer: Customer): Discount {
  const d = customer.discount;
  if (!d) throw resourceMissing('discount', `${customer.id}/discount`, 'id');
  customer.discount = null;
  ctx.emit('customer.discount.deleted', d);
  return d;
}
