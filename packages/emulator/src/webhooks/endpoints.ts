import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam } from '../core/errors.js';
import { newId, newSecret } from '../core/ids.js';
import { paginate } from '../core/list.js';
import { applyMetadata } from '../core/metadata.js';
import { bool, emptyableStr, str, strArr } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';

export type WebhookEndpoint = Wire<Stripe.WebhookEndpoint>;

declare module '../core/store.js' {
  interface CollectionTypes {
    webhook_endpoint: WebhookEndpoint;
    /** Signing secrets, kept apart: Stripe returns `secret` only from create. */
    _webhook_secret: { id: string; secret: string };
  }
}

function readEnabledEvents(ctx: Ctx, required: boolean): string[] | undefined {
  const events = strArr(ctx.params, 'enabled_events');
  if (events === undefined) {
    if (required) throw missingParam('enabled_events');
    return undefined;
  }
  if (events.length === 0)
    throw invalidRequest('enabled_events must list at least one event type.', 'enabled_events');
  events.forEach((e, i) => {
    if (e !== '*' && !/^[a-z_]+(\.[a-z_]+)+$/.test(e)) {
      throw invalidRequest(`Invalid event type: ${e}`, `enabled_events[${i}]`);
    }
  });
  return events;
}

function readUrl(ctx: Ctx, required: boolean): string | undefined {
  const url = str(ctx.params, 'url');
  if (url === undefined || url === '') {
    if (required) throw missingParam('url');
    return undefined;
  }
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw invalidRequest('Invalid URL: must be an http(s) URL.', 'url');
  return url;
}

function create(ctx: Ctx): WebhookEndpoint {
  const url = readUrl(ctx, true)!;
  const enabled = readEnabledEvents(ctx, true)!;
  const ep: WebhookEndpoint = {
    id: newId('we'),
    object: 'webhook_endpoint',
    api_version: str(ctx.params, 'api_version') ?? null,
    application: null,
    created: ctx.now(),
    description: emptyableStr(ctx.params, 'description') ?? null,
    enabled_events: enabled,
    livemode: false,
    metadata: applyMetadata({}, ctx.params),
    status: 'enabled',
    url,
  };
  const secret = newSecret('whsec', 32);
  ctx.store.c('webhook_endpoint').insert(ep);
  ctx.store.c('_webhook_secret').insert({ id: ep.id, secret });
  return { ...ep, secret };
}

function update(ctx: Ctx): WebhookEndpoint {
  const ep = ctx.store.c('webhook_endpoint').require(ctx.args.id!);
  const url = readUrl(ctx, false);
  if (url !== undefined) ep.url = url;
  const enabled = readEnabledEvents(ctx, false);
  if (enabled !== undefined) ep.enabled_events = enabled;
  const description = emptyableStr(ctx.params, 'description');
  if (description !== undefined) ep.description = description;
  const disabled = bool(ctx.params, 'disabled');
  if (disabled !== undefined) ep.status = disabled ? 'disabled' : 'enabled';
  ep.metadata = applyMetadata(ep.metadata, ctx.params);
  return ep;
}

function remove(ctx: Ctx): Stripe.DeletedWebhookEndpoint {
  const id = ctx.args.id!;
  ctx.store.c('webhook_endpoint').require(id);
  ctx.store.c('webhook_endpoint').delete(id);
  ctx.store.c('_webhook_secret').delete(id);
  return { id, object: 'webhook_endpoint', deleted: true };
}

/** Whether an endpoint subscribes to an event type. */
export function subscribes(ep: WebhookEndpoint, type: string): boolean {
  return ep.status === 'enabled' && (ep.enabled_events.includes('*') || ep.enabled_events.includes(type));
}

export const webhookEndpoints = defineResource('webhook_endpoints', (api) => {
  api.label('webhook_endpoint', 'webhook endpoint');
  api.post('/v1/webhook_endpoints', create);
  api.get('/v1/webhook_endpoints', (ctx) =>
    paginate(ctx.store.c('webhook_endpoint'), ctx.params, '/v1/webhook_endpoints'),
  );
  api.get('/v1/webhook_endpoints/:id', (ctx) => ctx.store.c('webhook_endpoint').require(ctx.args.id!));
  api.post('/v1/webhook_endpoints/:id', update);
  api.del('/v1/webhook_endpoints/:id', remove);
});
