import type Stripe from 'stripe';
import type { Ctx } from '../../core/context.js';
import { ZERO_DECIMAL } from '../../core/currencies.js';
import { invalidRequest, missingParam } from '../../core/errors.js';
import type { Params } from '../../core/form.js';
import { newId } from '../../core/ids.js';
import { applyMetadata } from '../../core/metadata.js';
import { int, obj, str } from '../../core/params.js';
import type { Wire } from '../../core/wire.js';
import { priceAmount, tierIndex, tiersOf } from '../price-tiers.js';
import { createPrice, type Price } from '../prices.js';
import type { SubscriptionLineInit } from './invoice-engine.js';
import { type Interval, nextBoundary } from './periods.js';

export type Subscription = Wire<Stripe.Subscription>;
export type SubscriptionItem = Wire<Stripe.SubscriptionItem>;

/** Emulator-only facts about a subscription. */
export interface SubscriptionState {
  id: string;
  trial_will_end_sent: boolean;
  /** When an `incomplete` subscription expires. */
  incomplete_expires_at: number | null;
  /** The period end whose `invoice.upcoming` was sent (absent: none yet). */
  upcoming_sent_for?: number;
}

declare module '../../core/store.js' {
  interface CollectionTypes {
    subscription: Subscription;
    _subscription_state: SubscriptionState;
    /** Subscription item id → subscription id (items live inside their subscription). */
    _subscription_item: { id: string; subscription: string };
  }
}

export function subState(ctx: Ctx, sub: Subscription): SubscriptionState {
  const col = ctx.store.c('_subscription_state');
  return (
    col.get(sub.id) ?? col.insert({ id: sub.id, trial_will_end_sent: false, incomplete_expires_at: null })
  );
}

export function planOf(price: Price): Wire<Stripe.Plan> {
  const r = price.recurring!;
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: r.interval,
    interval_count: r.interval_count,
    livemode: false,
    metadata: price.metadata,
    meter: r.meter,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: price.tiers_mode,
    transform_usage: null,
    trial_period_days: r.trial_period_days,
    usage_type: r.usage_type,
  };
}

/** Reads one `items[n]` entry's price: `price` or `price_data` (a new inline price). */
export function readItemPrice(ctx: Ctx, entry: Params, name: string): Price {
  const priceId = str(entry, 'price', `${name}[price]`) || str(entry, 'plan', `${name}[plan]`);
  const data = obj(entry, 'price_data', `${name}[price_data]`);
  let price: Price;
  if (priceId) price = ctx.store.c('price').require(priceId, `${name}[price]`);
  else if (data) {
    const product = str(data, 'product', `${name}[price_data][product]`);
    if (!product) throw missingParam(`${name}[price_data][product]`);
    if (obj(data, 'recurring', `${name}[price_data][recurring]`) === undefined) {
      throw missingParam(`${name}[price_data][recurring]`);
    }
    price = createPrice(
      ctx,
      data,
      ctx.store.c('product').require(product, `${name}[price_data][product]`).id,
      `${name}[price_data]`,
    );
    price.active = false;
  } else throw missingParam(`${name}[price]`);
  if (price.type !== 'recurring' || price.recurring === null) {
    throw invalidRequest(
      `The price specified (${price.id}) is not recurring. Subscriptions take recurring prices; pass one-time prices in add_invoice_items.`,
      `${name}[price]`,
    );
  }
  if (!price.active && priceId) {
    throw invalidRequest(`The price specified (${price.id}) is inactive.`, `${name}[price]`);
  }
  return price;
}

export function newItem(
  ctx: Ctx,
  sub: Subscription,
  price: Price,
  quantity: number,
  entry: Params | undefined,
  period: { start: number; end: number },
): SubscriptionItem {
  const item: SubscriptionItem = {
    id: newId('si', 14),
    object: 'subscription_item',
    billing_thresholds: null,
    created: ctx.now(),
    current_period_end: period.end,
    current_period_start: period.start,
    current_trial: null,
    discounts: [],
    metadata: entry ? applyMetadata({}, entry) : {},
    plan: planOf(price),
    price,
    quantity,
    subscription: sub.id,
    tax_rates: [],
  };
  ctx.store.c('_subscription_item').insert({ id: item.id, subscription: sub.id });
  return item;
}

export function readQuantity(entry: Params, name: string): number | undefined {
  const q = int(entry, 'quantity', `${name}[quantity]`);
  if (q !== undefined && q < 0)
    throw invalidRequest('Quantity must be a non-negative integer.', `${name}[quantity]`);
  return q;
}

export function intervalOf(sub: Subscription): { interval: Interval; count: number } {
  const r = sub.items.data[0]?.price.recurring;
  return { interval: (r?.interval ?? 'month') as Interval, count: r?.interval_count ?? 1 };
}

export function periodOf(sub: Subscription): { start: number; end: number } {
  const item = sub.items.data[0];
  return {
    start: item?.current_period_start ?? sub.start_date,
    end: item?.current_period_end ?? sub.start_date,
  };
}

export function setPeriod(sub: Subscription, start: number, end: number): void {
  for (const i of sub.items.data) {
    i.current_period_start = start;
    i.current_period_end = end;
  }
}

/** The end of the period that starts at `start` for this subscription's anchor. */
export function periodEndFrom(sub: Subscription, start: number): number {
  const { interval, count } = intervalOf(sub);
  return nextBoundary(sub.billing_cycle_anchor, interval, count, start);
}

export function productName(ctx: Ctx, price: Price): string {
  const id = typeof price.product === 'string' ? price.product : price.product.id;
  return ctx.store.c('product').get(id)?.name ?? id;
}

export function money(amount: number, currency: string): string {
  const symbol =
    currency === 'usd'
      ? '$'
      : currency === 'eur'
        ? '€'
        : currency === 'gbp'
          ? '£'
          : `${currency.toUpperCase()} `;
  if (ZERO_DECIMAL.has(currency)) return `${symbol}${amount}`;
  const sign = amount < 0 ? '-' : '';
  const a = Math.abs(amount);
  return `${sign}${symbol}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

/** Invoice lines for every item of the subscription over `[start, end)`; zero during a trial. */
export function cycleLines(
  ctx: Ctx,
  sub: Subscription,
  period: { start: number; end: number },
  trial: boolean,
): SubscriptionLineInit[] {
  return sub.items.data.map((item) => {
    const qty = item.quantity ?? 1;
    const name = productName(ctx, item.price);
    const r = item.price.recurring!;
    const every = r.interval_count === 1 ? r.interval : `every ${r.interval_count} ${r.interval}s`;
    const tiered = item.price.billing_scheme === 'tiered';
    const tiers = tiered ? tiersOf(ctx.store, item.price.id) : [];
    // A tiered price: one line for the item (Stripe splits a graduated price per tier), described by
    // the tier the quantity reaches (volume) or as graduated.
    const at = tiered
      ? item.price.tiers_mode === 'volume'
        ? `Tier ${tierIndex(tiers, qty) + 1} at ${money(tiers[tierIndex(tiers, qty)]?.unit_amount ?? 0, item.price.currency)} / ${every}`
        : `graduated tiers / ${every}`
      : `at ${money(item.price.unit_amount ?? 0, item.price.currency)} / ${every}`;
    return {
      subscription: sub.id,
      subscriptionItem: item.id,
      price: item.price,
      quantity: qty,
      amount: trial ? 0 : priceAmount(ctx.store, item.price, qty),
      description: trial ? `Trial period for ${name}` : `${qty} × ${name} (${at})`,
      period,
    };
  });
}
