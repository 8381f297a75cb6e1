import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import type { Params } from '../core/form.js';
import { newId } from '../core/ids.js';
import { allOf, paginate, paginateArray } from '../core/list.js';
import { applyMetadata } from '../core/metadata.js';
import { arr, bool, emptyableStr, int, obj, oneOf, reqStr, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Store } from '../core/store.js';
import type { Wire } from '../core/wire.js';
import { type LineItem, priceLineItem } from './checkout-sessions.js';
import { baseUrl } from './common/base-url.js';
import type { EngineCtx } from './common/engine.js';
import type { Price } from './prices.js';

/**
 * Payment links (`/v1/payment_links`): a shareable URL that opens a new Checkout Session for its line
 * items each time it is visited (`pages/payment-link-routes.ts`); the session has `payment_link`.
 */
export type PaymentLink = Wire<Stripe.PaymentLink>;

interface PaymentLinkPrivate {
  id: string;
  lineItems: LineItem[];
  /** `payment_intent_data` / `subscription_data` as given, handed to each Checkout Session. */
  sessionParams: Record<string, unknown>;
}

declare module '../core/store.js' {
  interface CollectionTypes {
    payment_link: PaymentLink;
    _payment_link: PaymentLinkPrivate;
  }
}

function readLineItems(ctx: Ctx, raw: Params[], linkCurrency: string | null): LineItem[] {
  const items: LineItem[] = [];
  let currency = linkCurrency;
  raw.forEach((entry, i) => {
    const name = `line_items[${i}]`;
    const priceId = str(entry, 'price', `${name}[price]`);
    if (priceId === undefined) throw missingParam(`${name}[price]`);
    const price: Price = ctx.store.c('price').require(priceId, `${name}[price]`);
    if (!price.active) throw invalidRequest(`The price ${price.id} is not active.`, `${name}[price]`);
    if (price.unit_amount === null) {
      throw invalidRequest(`The price ${price.id} has no unit_amount.`, `${name}[price]`);
    }
    const quantity = int(entry, 'quantity', `${name}[quantity]`);
    if (quantity === undefined) throw missingParam(`${name}[quantity]`);
    if (quantity < 1) throw invalidRequest('Quantity must be at least 1.', `${name}[quantity]`);
    if (currency !== null && price.currency !== currency) {
      throw invalidRequest('All line items must have the same currency.', `${name}[price]`);
    }
    currency = price.currency;
    const adjustable = obj(entry, 'adjustable_quantity', `${name}[adjustable_quantity]`);
    items.push(
      priceLineItem(ctx, price, quantity, price.unit_amount * quantity, {
        adjustable_quantity: adjustable
          ? {
              enabled: bool(adjustable, 'enabled', `${name}[adjustable_quantity][enabled]`) ?? false,
              maximum: int(adjustable, 'maximum', `${name}[adjustable_quantity][maximum]`) ?? null,
              minimum: int(adjustable, 'minimum', `${name}[adjustable_quantity][minimum]`) ?? null,
            }
          : null,
      }),
    );
  });
  return items;
}

function readAfterCompletion(p: Params): PaymentLink['after_completion'] | undefined {
  const ac = obj(p, 'after_completion');
  if (ac === undefined) return undefined;
  const type = oneOf(ac, 'type', ['hosted_confirmation', 'redirect'] as const, 'after_completion[type]');
  if (type === undefined) throw missingParam('after_completion[type]');
  if (type === 'redirect') {
    const redirect = obj(ac, 'redirect', 'after_completion[redirect]');
    if (redirect === undefined) throw missingParam('after_completion[redirect]');
    const url = reqStr(redirect, 'url', 'after_completion[redirect][url]');
    if (!/^https?:\/\/[^\s]+$/.test(url)) {
      throw invalidRequest('Not a valid URL', 'after_completion[redirect][url]', 'url_invalid');
    }
    return { type, redirect: { url } };
  }
  const hosted = obj(ac, 'hosted_confirmation', 'after_completion[hosted_confirmation]');
  return {
    type,
    hosted_confirmation: {
      custom_message: hosted
        ? (str(hosted, 'custom_message', 'after_completion[hosted_confirmation][custom_message]') ?? null)
        : null,
    },
  };
}

/** What each visit hands to `POST /v1/checkout/sessions` besides line items and URLs. */
function readSessionParams(p: Params): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['payment_intent_data', 'subscription_data'] as const) {
    const v = obj(p, k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** Parameters Stripe takes that the emulator does not model: refused rather than ignored. */
const UNSUPPORTED = [
  'application_fee_amount',
  'application_fee_percent',
  'consent_collection',
  'custom_fields',
  'custom_text',
  'managed_payments',
  'name_collection',
  'on_behalf_of',
  'optional_items',
  'payment_method_options',
  'restrictions',
  'shipping_address_collection',
  'shipping_options',
  'transfer_data',
] as const;

function refuseUnsupported(p: Params): void {
  const unsupported = (name: string) =>
    invalidRequest(`The emulator does not support ${name} on payment links yet.`, name);
  for (const n of UNSUPPORTED) if (p[n] !== undefined && p[n] !== '') throw unsupported(n);
  for (const n of [
    'automatic_tax',
    'invoice_creation',
    'phone_number_collection',
    'tax_id_collection',
  ] as const) {
    const o = obj(p, n);
    if (o !== undefined && bool(o, 'enabled', `${n}[enabled]`)) throw unsupported(`${n}[enabled]`);
  }
  const types = p.payment_method_types;
  if (Array.isArray(types) && types.some((t) => t !== 'card')) throw unsupported('payment_method_types');
  if (p.payment_method_collection === 'if_required') throw unsupported('payment_method_collection');
}

function create(ctx: Ctx): PaymentLink {
  const p = ctx.params;
  refuseUnsupported(p);
  const raw = arr(p, 'line_items');
  if (raw === undefined || raw.length === 0) throw missingParam('line_items');
  const entries = raw.map((e, i) => {
    if (typeof e !== 'object' || Array.isArray(e)) {
      throw invalidRequest(`Invalid line_items[${i}]: must be a hash.`, `line_items[${i}]`);
    }
    return e as Params;
  });
  const lineItems = readLineItems(ctx, entries, str(p, 'currency')?.toLowerCase() ?? null);
  const recurring = lineItems.some((li) => li.price?.type === 'recurring');
  const pid = obj(p, 'payment_intent_data');
  if (pid !== undefined && recurring) {
    throw invalidRequest(
      'payment_intent_data can only be used with one-time prices (this link has a recurring price).',
      'payment_intent_data',
    );
  }
  const sd = obj(p, 'subscription_data');
  if (sd !== undefined && !recurring) {
    throw invalidRequest(
      'subscription_data can only be used when the payment link has at least one recurring price.',
      'subscription_data',
    );
  }
  const id = newId('plink');
  const link: PaymentLink = {
    id,
    object: 'payment_link',
    active: true,
    after_completion: readAfterCompletion(p) ?? {
      type: 'hosted_confirmation',
      hosted_confirmation: { custom_message: null },
    },
    allow_promotion_codes: bool(p, 'allow_promotion_codes') ?? false,
    application: null,
    application_fee_amount: null,
    application_fee_percent: null,
    automatic_tax: { enabled: false, liability: null },
    billing_address_collection:
      oneOf(p, 'billing_address_collection', ['auto', 'required'] as const) ?? 'auto',
    consent_collection: null,
    currency: lineItems[0]!.currency,
    custom_fields: [],
    custom_text: {
      after_submit: null,
      shipping_address: null,
      submit: null,
      terms_of_service_acceptance: null,
    },
    customer_creation: oneOf(p, 'customer_creation', ['always', 'if_required'] as const) ?? 'if_required',
    inactive_message: str(p, 'inactive_message') ?? null,
    invoice_creation: recurring ? null : { enabled: false, invoice_data: null },
    livemode: false,
    managed_payments: null,
    metadata: applyMetadata({}, p),
    on_behalf_of: null,
    payment_intent_data: pid
      ? {
          capture_method:
            oneOf(
              pid,
              'capture_method',
              ['automatic', 'automatic_async', 'manual'] as const,
              'payment_intent_data[capture_method]',
            ) ?? null,
          description: str(pid, 'description', 'payment_intent_data[description]') ?? null,
          metadata: applyMetadata({}, pid),
          setup_future_usage:
            oneOf(
              pid,
              'setup_future_usage',
              ['on_session', 'off_session'] as const,
              'payment_intent_data[setup_future_usage]',
            ) ?? null,
          statement_descriptor: null,
          statement_descriptor_suffix: null,
          transfer_group: null,
        }
      : null,
    payment_method_collection: 'always',
    payment_method_options: null,
    payment_method_types: null,
    phone_number_collection: { enabled: false },
    restrictions: null,
    shipping_address_collection: null,
    shipping_options: [],
    submit_type: oneOf(p, 'submit_type', ['auto', 'book', 'donate', 'pay', 'subscribe'] as const) ?? 'auto',
    subscription_data: sd
      ? {
          description: str(sd, 'description', 'subscription_data[description]') ?? null,
          invoice_settings: {
            account_tax_ids: null,
            custom_fields: null,
            description: null,
            footer: null,
            issuer: { type: 'self' },
          },
          metadata: applyMetadata({}, sd),
          trial_period_days: int(sd, 'trial_period_days', 'subscription_data[trial_period_days]') ?? null,
          trial_settings: null,
        }
      : null,
    tax_id_collection: { enabled: false, required: 'never' },
    transfer_data: null,
    url: `${baseUrl(ctx.app)}/b/${id}`,
  };
  ctx.store.c('payment_link').insert(link);
  ctx.store.c('_payment_link').insert({ id, lineItems, sessionParams: readSessionParams(p) });
  ctx.emit('payment_link.created', link);
  return link;
}

function update(ctx: Ctx): PaymentLink {
  const link = ctx.store.c('payment_link').require(ctx.args.id!);
  const priv = ctx.store.c('_payment_link').get(link.id)!;
  const before = structuredClone(link);
  const p = ctx.params;
  refuseUnsupported(p);
  const active = bool(p, 'active');
  if (active !== undefined) link.active = active;
  const ac = readAfterCompletion(p);
  if (ac !== undefined) link.after_completion = ac;
  const promo = bool(p, 'allow_promotion_codes');
  if (promo !== undefined) link.allow_promotion_codes = promo;
  const inactive = emptyableStr(p, 'inactive_message');
  if (inactive !== undefined) link.inactive_message = inactive;
  const billing = oneOf(p, 'billing_address_collection', ['auto', 'required'] as const);
  if (billing !== undefined) link.billing_address_collection = billing;
  const raw = arr(p, 'line_items');
  if (raw !== undefined) {
    // Existing line items are updated by id (quantity, adjustable_quantity); none is added or removed.
    raw.forEach((e, i) => {
      const entry = e as Params;
      const name = `line_items[${i}]`;
      const id = reqStr(entry, 'id', `${name}[id]`);
      const item = priv.lineItems.find((li) => li.id === id);
      if (item === undefined) {
        throw invalidRequest(`No such line item: '${id}'`, `${name}[id]`, 'resource_missing');
      }
      const quantity = int(entry, 'quantity', `${name}[quantity]`);
      if (quantity !== undefined) {
        if (quantity < 1) throw invalidRequest('Quantity must be at least 1.', `${name}[quantity]`);
        const unit = item.price?.unit_amount ?? 0;
        Object.assign(item, {
          quantity,
          amount_subtotal: unit * quantity,
          amount_total: unit * quantity,
        });
      }
    });
  }
  link.metadata = applyMetadata(link.metadata, p);
  const prev = diffPrevious(before, link);
  if (Object.keys(prev).length > 0 || raw !== undefined) ctx.emit('payment_link.updated', link, prev);
  return link;
}

function lineItemsOf(store: Store, link: PaymentLink): LineItem[] {
  return store.c('_payment_link').get(link.id)?.lineItems ?? [];
}

/** The Checkout Session params a visit of `link` sends (line items, mode, URLs, copied metadata). */
export function sessionParamsOf(
  ctx: EngineCtx,
  link: PaymentLink,
  completeUrl: string,
): Record<string, unknown> {
  const priv = ctx.store.c('_payment_link').get(link.id)!;
  const recurring = priv.lineItems.some((li) => li.price?.type === 'recurring');
  const ac = link.after_completion;
  return {
    mode: recurring ? 'subscription' : 'payment',
    line_items: priv.lineItems.map((li) => ({ price: li.price!.id, quantity: li.quantity })),
    success_url: ac.type === 'redirect' && ac.redirect ? ac.redirect.url : completeUrl,
    ...(link.allow_promotion_codes ? { allow_promotion_codes: true } : {}),
    ...(link.billing_address_collection === 'required' ? { billing_address_collection: 'required' } : {}),
    ...(!recurring && link.customer_creation === 'always' ? { customer_creation: 'always' } : {}),
    ...(Object.keys(link.metadata).length > 0 ? { metadata: link.metadata } : {}),
    ...priv.sessionParams,
  };
}

export const paymentLinks = defineResource('payment_links', (api) => {
  api.post('/v1/payment_links', create);
  api.get('/v1/payment_links', (ctx) => {
    const active = bool(ctx.params, 'active');
    return paginate(
      ctx.store.c('payment_link'),
      ctx.params,
      '/v1/payment_links',
      allOf<PaymentLink>(active !== undefined && ((l) => l.active === active)),
    );
  });
  api.get('/v1/payment_links/:id', (ctx) => ctx.store.c('payment_link').require(ctx.args.id!));
  api.post('/v1/payment_links/:id', update);
  api.get('/v1/payment_links/:id/line_items', (ctx) => {
    const link = ctx.store.c('payment_link').require(ctx.args.id!);
    return paginateArray(lineItemsOf(ctx.store, link), ctx.params, `/v1/payment_links/${link.id}/line_items`);
  });
  api.includable('payment_link', 'line_items', (link) => {
    const l = link as unknown as PaymentLink;
    return paginateArray(lineItemsOf(api.store, l), {}, `/v1/payment_links/${l.id}/line_items`);
  });
  api.expandable('checkout.session', 'payment_link', (id) => api.store.c('payment_link').get(id));
});
