import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { missingParam } from '../core/errors.js';
import type { Params } from '../core/form.js';
import { paginateArray } from '../core/list.js';
import { reqStr } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import { findItem, type SubscriptionItem, updateSubscriptionHandler } from './subscriptions.js';

/**
 * `/v1/subscription_items`: each call is the matching subscription update (`items[0][…]`), so
 * prorations, events and invoices follow the same rules.
 */
function viaSubscription(ctx: Ctx, subId: string, item: Params, extra: Params): void {
  const params: Params = { ...extra, items: [item] };
  updateSubscriptionHandler({ ...ctx, params, args: { id: subId } });
}

function passThrough(p: Params): Params {
  const out: Params = {};
  for (const k of ['proration_behavior', 'proration_date', 'payment_behavior'] as const) {
    if (p[k] !== undefined) out[k] = p[k];
  }
  return out;
}

function create(ctx: Ctx): SubscriptionItem {
  const p = ctx.params;
  const subId = reqStr(p, 'subscription');
  const sub = ctx.store.c('subscription').require(subId, 'subscription');
  if (p.price === undefined && p.price_data === undefined && p.plan === undefined)
    throw missingParam('price');
  const known = new Set(sub.items.data.map((i) => i.id));
  const item: Params = {};
  for (const k of ['price', 'price_data', 'plan', 'quantity', 'metadata', 'tax_rates'] as const)
    if (p[k] !== undefined) item[k] = p[k];
  viaSubscription(ctx, subId, item, passThrough(p));
  return sub.items.data.find((i) => !known.has(i.id))!;
}

function update(ctx: Ctx): SubscriptionItem {
  const { sub, item } = findItem(ctx, ctx.args.id!);
  const p = ctx.params;
  const change: Params = { id: item.id };
  for (const k of ['price', 'price_data', 'plan', 'quantity', 'metadata', 'tax_rates'] as const)
    if (p[k] !== undefined) change[k] = p[k];
  viaSubscription(ctx, sub.id, change, passThrough(p));
  return sub.items.data.find((i) => i.id === item.id)!;
}

function remove(ctx: Ctx): Stripe.DeletedSubscriptionItem {
  const { sub, item } = findItem(ctx, ctx.args.id!);
  viaSubscription(ctx, sub.id, { id: item.id, deleted: 'true' }, passThrough(ctx.params));
  return { id: item.id, object: 'subscription_item', deleted: true };
}

export const subscriptionItems = defineResource('subscription_items', (api) => {
  api.post('/v1/subscription_items', create);
  api.get('/v1/subscription_items', (ctx) => {
    const subId = reqStr(ctx.params, 'subscription');
    const sub = ctx.store.c('subscription').require(subId, 'subscription');
    return paginateArray([...sub.items.data].reverse(), ctx.params, '/v1/subscription_items');
  });
  api.get('/v1/subscription_items/:id', (ctx) => findItem(ctx, ctx.args.id!).item);
  api.post('/v1/subscription_items/:id', update);
  api.del('/v1/subscription_items/:id', remove);
});
