// Compat: the plans & tokens backend's routes (Django-style paths with a trailing slash, snake_case
// JSON). Token packages are paydesk's credit packs; monthly and yearly plans are paydesk's plans at
// that interval. Users call with their JWT; each only ever reaches their own customer.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Catalog } from '../catalog/catalog.js';
import type { Interval } from '../catalog/schema.js';
import type { ItemRequest } from '../checkout/items.js';
import { createCheckoutSession } from '../checkout/service.js';
import type { AppContext } from '../context.js';
import { customerFor } from '../customers/access.js';
import { listPayments, type PaymentRow } from '../payments/service.js';
import { principalOf } from '../platform/auth/plugin.js';
import { AppError } from '../platform/errors.js';
import { createPortalSession } from '../portal/service.js';

export const planTypes = ['token', 'monthly', 'yearly'] as const;
export type PlanType = (typeof planTypes)[number];

const intervalOf: Record<Exclude<PlanType, 'token'>, Interval> = { monthly: 'month', yearly: 'year' };

const currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'expected a three-letter ISO 4217 code such as usd')
  .transform((c) => c.toLowerCase());
const url = z.string().min(1).max(2048);

export const checkoutBody = z.strictObject({
  plan_type: z.enum(planTypes).describe('token: a token package (one-time); monthly / yearly: a plan.'),
  plan_id: z.string().min(1).max(40).describe('The package or plan id, as GET /billing/plans/:type/ lists.'),
  quantity: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe('token only: how many packages (default 1).'),
  currency: currency.optional().describe('One the item is sold in; default its first.'),
  success_url: url.optional().describe('Allowed origins only; may contain {CHECKOUT_SESSION_ID}.'),
  cancel_url: url.optional().describe('Allowed origins only.'),
});

export function itemFor(b: z.infer<typeof checkoutBody>): ItemRequest {
  if (b.plan_type === 'token') {
    return { kind: 'pack', pack: b.plan_id, quantity: b.quantity ?? 1, currency: b.currency };
  }
  if (b.quantity !== undefined) {
    throw new AppError('validation_failed', 'Invalid body.quantity: only with plan_type token.', {
      issues: [{ in: 'body', path: 'quantity', message: 'only with plan_type token' }],
    });
  }
  return { kind: 'plan', plan: b.plan_id, interval: intervalOf[b.plan_type], currency: b.currency };
}

const priceSchema = z.object({
  currency: z.string(),
  amount: z.number().int().describe('Minor units (cents; yen for jpy).'),
  lookup_key: z.string().describe('The Stripe lookup key of this price.'),
});

export const planEntrySchema = z.object({
  id: z.string().describe('plan_id for POST /billing/stripe/checkout-session/.'),
  plan_type: z.enum(planTypes),
  name: z.string(),
  description: z.string().nullable(),
  tokens: z.number().int().describe('token: tokens per package; monthly/yearly: tokens per period.'),
  entitlements: z.array(z.string()),
  trial_days: z.number().int().nullable(),
  prices: z.array(priceSchema),
});

type PlanEntry = z.infer<typeof planEntrySchema>;

/** The catalog's items of one type, with their prices (in one currency if given). */
export function plansOfType(catalog: Catalog, type: PlanType, currencyFilter?: string): PlanEntry[] {
  const pricesOf = (kind: 'pack' | 'plan', id: string, interval: Interval | null) =>
    catalog.prices
      .filter(
        (p) =>
          p.kind === kind &&
          p.itemId === id &&
          p.interval === interval &&
          (currencyFilter === undefined || p.currency === currencyFilter),
      )
      .map((p) => ({ currency: p.currency, amount: p.amount, lookup_key: p.lookupKey }));
  const entries: PlanEntry[] =
    type === 'token'
      ? catalog.packs.map((pack) => ({
          id: pack.id,
          plan_type: type,
          name: pack.name,
          description: pack.description ?? null,
          tokens: pack.credits,
          entitlements: [],
          trial_days: null,
          prices: pricesOf('pack', pack.id, null),
        }))
      : catalog.plans.map((plan) => ({
          id: plan.id,
          plan_type: type,
          name: plan.name,
          description: plan.description ?? null,
          tokens: plan.credits,
          entitlements: [...plan.entitlements],
          trial_days: plan.trial_days ?? null,
          prices: pricesOf('plan', plan.id, intervalOf[type]),
        }));
  return entries.filter((e) => e.prices.length > 0);
}

export const historyEntrySchema = z.object({
  id: z.string().describe('paydesk payment id (pay_…).'),
  amount: z.number().int().describe('Minor units.'),
  currency: z.string(),
  status: z.literal('succeeded'),
  plan_type: z
    .enum(['token', 'subscription'])
    .nullable()
    .describe('token for a token package, subscription for a plan payment (first or renewal).'),
  plan_id: z.string().nullable(),
  quantity: z.number().int().nullable(),
  tokens: z
    .number()
    .int()
    .nullable()
    .describe('Tokens the payment bought: per package × quantity, or per period.'),
  stripe_payment_intent_id: z.string(),
  description: z.string().nullable(),
  created_at: z.string().describe('When it was paid (ISO 8601).'),
});

function historyEntry(catalog: Catalog, p: PaymentRow): z.infer<typeof historyEntrySchema> {
  const kind = p.item_kind === 'pack' ? 'token' : p.item_kind === 'plan' ? 'subscription' : null;
  let tokens: number | null = null;
  if (kind === 'token' && p.item_id) {
    const pack = catalog.pack(p.item_id);
    tokens = pack ? pack.credits * (p.quantity ?? 1) : null;
  } else if (kind === 'subscription' && p.item_id) {
    tokens = catalog.plan(p.item_id)?.credits ?? null;
  }
  return {
    id: p.id,
    amount: p.amount,
    currency: p.currency,
    status: 'succeeded',
    plan_type: kind,
    plan_id: p.item_id,
    quantity: p.quantity,
    tokens,
    stripe_payment_intent_id: p.stripe_payment_intent_id,
    description: p.description,
    created_at: new Date(p.paid_at).toISOString(),
  };
}

const security = [{ bearer: [] }];

export function plansBackendRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/billing/stripe/checkout-session/',
      {
        config: { auth: { allow: ['user'] } },
        schema: {
          tags: ['compat'],
          summary: 'Plans & tokens backend: open Checkout for a token package or a monthly/yearly plan.',
          description:
            'The signed-in user checks out as themselves. Amounts come from the catalog; success_url and ' +
            'cancel_url must be on allowed origins (default: paydesk’s own return and cancel pages).',
          security,
          body: checkoutBody,
          response: {
            200: z.object({
              session_id: z.string().describe("Stripe's Checkout Session id (cs_…)."),
              url: z.string().nullable().describe('Send the browser here.'),
              checkout_url: z.string().nullable().describe('The same URL, under the older name.'),
              expires_at: z.number().int().describe('Unix seconds.'),
            }),
          },
        },
      },
      async (request) => {
        const b = request.body;
        const r = await createCheckoutSession(s, principalOf(request), {
          item: itemFor(b),
          successUrl: b.success_url,
          cancelUrl: b.cancel_url,
        });
        return {
          session_id: r.session.id,
          url: r.session.url,
          checkout_url: r.session.url,
          expires_at: r.session.expires_at,
        };
      },
    );

    app.post(
      '/billing/stripe/customer-portal/',
      {
        config: { auth: { allow: ['user'] } },
        schema: {
          tags: ['compat'],
          summary: 'Plans & tokens backend: a Stripe customer portal URL for the signed-in user.',
          description:
            '404 until the user has a customer (their first checkout makes it). return_url must be on an ' +
            'allowed origin (default PAYDESK_PUBLIC_URL).',
          security,
          body: z.strictObject({ return_url: url.optional() }).nullish(),
          response: { 200: z.object({ url: z.string() }) },
        },
      },
      async (request) => {
        const customer = await customerFor(s, principalOf(request), undefined);
        const session = await createPortalSession(s, customer, request.body?.return_url);
        return { url: session.url };
      },
    );

    app.get(
      '/billing/plans/:type/',
      {
        schema: {
          tags: ['compat'],
          summary: 'Plans & tokens backend: the token packages, monthly or yearly plans (public).',
          params: z.object({ type: z.enum(planTypes) }),
          querystring: z.strictObject({
            currency: currency.optional().describe('Only items sold in this currency, with only its prices.'),
          }),
          response: { 200: z.array(planEntrySchema) },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'public, max-age=60');
        return plansOfType(s.catalog, request.params.type, request.query.currency);
      },
    );

    app.get(
      '/billing/payments/',
      {
        config: { auth: { allow: ['user'] } },
        schema: {
          tags: ['compat'],
          summary: 'Plans & tokens backend: the signed-in user’s payment history, newest first.',
          description: 'Cursor pagination: follow `next` (null on the last page).',
          security,
          querystring: z.strictObject({
            page_size: z.coerce.number().int().min(1).max(100).default(20),
            cursor: z.string().min(1).max(100).optional(),
          }),
          response: {
            200: z.object({
              next: z.string().nullable().describe('The next page’s path, or null.'),
              previous: z.null(),
              results: z.array(historyEntrySchema),
            }),
          },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const q = request.query;
        let customerId: string;
        try {
          customerId = (await customerFor(s, principal, undefined)).id;
        } catch (err) {
          // A user with no customer yet has paid nothing.
          if (err instanceof AppError && err.code === 'not_found')
            return { next: null, previous: null, results: [] };
          throw err;
        }
        const page = await listPayments(s, { customerId, cursor: q.cursor, limit: q.page_size });
        const next = page.next_cursor
          ? `/billing/payments/?${new URLSearchParams({ page_size: String(q.page_size), cursor: page.next_cursor })}`
          : null;
        return { next, previous: null, results: page.data.map((p) => historyEntry(s.catalog, p)) };
      },
    );
  };
}
