import type { Ctx } from '../core/context.js';
import { invalidRequest } from '../core/errors.js';
import { type StoredEvent, toStripeEvent } from '../core/events.js';
import { allOf, paginate, rangeFilter } from '../core/list.js';
import { bool, str, strArr } from '../core/params.js';
import { defineResource } from '../core/resource.js';

/** `customer.*` style patterns, as Stripe's `type` filter accepts. */
function typeMatcher(pattern: string): (type: string) => boolean {
  if (!pattern.includes('*')) return (t) => t === pattern;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return (t) => re.test(t);
}

function list(ctx: Ctx) {
  const p = ctx.params;
  const type = str(p, 'type');
  const types = strArr(p, 'types');
  if (type !== undefined && types !== undefined) {
    throw invalidRequest('You may only specify one of these parameters: type, types.', 'types');
  }
  if (types !== undefined && types.length > 20) {
    throw invalidRequest('You can pass at most 20 event types in types.', 'types');
  }
  const one = type !== undefined ? typeMatcher(type) : undefined;
  const many = types?.map(typeMatcher);
  const created = rangeFilter(p, 'created');
  const deliverySuccess = bool(p, 'delivery_success');
  const page = paginate(
    ctx.store.c('event'),
    p,
    '/v1/events',
    allOf<StoredEvent>(
      one && ((e) => one(e.type)),
      many && ((e) => many.some((m) => m(e.type))),
      created && ((e) => created(e.created)),
      deliverySuccess !== undefined && ((e) => (e.pending_webhooks === 0) === deliverySuccess),
    ),
  );
  return { ...page, data: page.data.map(toStripeEvent) };
}

export const events = defineResource('events', (api) => {
  api.label('event', 'event');
  api.get('/v1/events', list);
  api.get('/v1/events/:id', (ctx) => toStripeEvent(ctx.store.c('event').require(ctx.args.id!)));
});
