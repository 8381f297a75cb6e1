// Compat: the plans & tokens backend's routes (Django-style paths with a trailing slash, snake_case
// JSON). Token packages are paydesk's credit packs; monthly and yearly plans are paydesk's plans at
// that interval. Users call with their JWT; each only ever reaches their own customer.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Catalog } from '../catalog/catalog.js';
import { type Interval, planTypeSchema } from '../catalog/schema.js';
import type { ItemRequest } from '../checkout/items.js';
import { createCheckoutSession } from '../checkout/service.js';
import type { AppContext } from '../context.js';
import { customerFor } from '../customers/access.js';
import { listPayments, type PaymentRow } from '../payments/service.js';
import { principalOf } from '../platform/auth/plugin.js';
import { AppError } from '../platform/errors.js';
import { createPortalSession } from '../portal/service.js';
import { frontendRelative } from './frontend-url.js';

/** The plan types every catalog has; the catalog's `compat.plans_backend` may add more (`full`). */
export const builtinPlanTypes = ['token', 'monthly', 'yearly'] as const;

const intervalOf: Record<string, Interval> = { monthly: 'month', yearly: 'year' };

const currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'expected a three-letter ISO 4217 code such as usd')
  .transform((c) => c.toLowerCase());
const url = z.string().min(1).max(2048);

/** Every plan type this catalog serves: the built-in ones and those its rows name. */
export function planTypesOf(catalog: Catalog): string[] {
  return [...new Set<string>([...builtinPlanTypes, ...catalog.plansBackend.map((r) => r.type)])];
}

export const checkoutBody = z.strictObject({
  plan_type: planTypeSchema.describe(
    'token: a token package (one-time); monthly / yearly: a plan; or a type the catalog names (full).',
  ),
  plan_id: z
    .union([z.number().int().min(1).max(2_147_483_647), z.string().min(1).max(40)])
    .describe(
      'The plan’s numeric id (the catalog’s compat.plans_backend) or its catalog id, as GET /billing/plans/:type/ lists.',
    ),
  quantity: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe('Packages only (token): how many (default 1).'),
  currency: currency.optional().describe('One the item is sold in; default its first.'),
  success_url: url
    .optional()
    .describe(
      'Allowed origins only (a path resolves against PAYDESK_FRONTEND_URL); may contain {CHECKOUT_SESSION_ID}.',
    ),
  cancel_url: url.optional().describe('Allowed origins only (a path resolves against PAYDESK_FRONTEND_URL).'),
});

function invalid(path: string, message: string): AppError {
  return new AppError('validation_failed', `Invalid body.${path}: ${message}.`, {
    issues: [{ in: 'body', path, message }],
  });
}

/** The catalog item a (plan_type, plan_id) pair names: a numeric id through the catalog's rows. */
export function rowFor(
  catalog: Catalog,
  type: string,
  planId: number | string,
): { kind: 'pack' | 'plan'; itemId: string; interval: Interval | null } {
  const types = planTypesOf(catalog);
  if (!types.includes(type)) {
    throw invalid('plan_type', `unknown plan type ${type} (this catalog's: ${types.join(', ')})`);
  }
  const rows = catalog.plansBackend.filter((r) => r.type === type);
  const numeric = typeof planId === 'number' ? planId : /^\d+$/.test(planId) ? Number(planId) : undefined;
  if (numeric !== undefined) {
    const row = rows.find((r) => r.id === numeric);
    if (!row) {
      const ids = rows.map((r) => r.id).join(', ') || 'none';
      throw invalid('plan_id', `no ${type} plan with id ${numeric} (ids: ${ids})`);
    }
    return row;
  }
  const itemId = String(planId);
  if (type === 'token') return { kind: 'pack', itemId, interval: null };
  const interval = intervalOf[type];
  if (interval) return { kind: 'plan', itemId, interval };
  const row = rows.find((r) => r.itemId === itemId);
  if (!row) {
    throw invalid(
      'plan_id',
      `no ${type} plan ${planId} (${type} plans: ${rows.map((r) => r.id).join(', ')})`,
    );
  }
  return row;
}

export function itemFor(catalog: Catalog, b: z.infer<typeof checkoutBody>): ItemRequest {
  const row = rowFor(catalog, b.plan_type, b.plan_id);
  if (row.kind === 'pack') {
    return { kind: 'pack', pack: row.itemId, quantity: b.quantity ?? 1, currency: b.currency };
  }
  if (b.quantity !== undefined) throw invalid('quantity', 'only for token packages');
  return { kind: 'plan', plan: row.itemId, interval: row.interval ?? 'month', currency: b.currency };
}

const priceSchema = z.object({
  currency: z.string(),
  amount: z.number().int().describe('Minor units (cents; yen for jpy).'),
  lookup_key: z.string().describe('The Stripe lookup key of this price.'),
});

export const planEntrySchema = z.object({
  id: z
    .union([z.number().int(), z.string()])
    .describe(
      'plan_id for POST /billing/stripe/checkout-session/: the numeric id when the catalog maps one.',
    ),
  catalog_id: z.string().describe('The catalog item’s id (also accepted as plan_id).'),
  plan_type: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  tokens: z.number().int().describe('Packages: tokens per package; plans: tokens per period.'),
  entitlements: z.array(z.string()),
  trial_days: z.number().int().nullable(),
  interval: z.enum(['month', 'year']).nullable().describe('Plans: the billing interval; packages: null.'),
  prices: z.array(priceSchema),
});

type PlanEntry = z.infer<typeof planEntrySchema>;

/** The catalog's items of one type, with their prices (in one currency if given). */
export function plansOfType(catalog: Catalog, type: string, currencyFilter?: string): PlanEntry[] {
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
  const rows = catalog.plansBackend.filter((r) => r.type === type);
  const numericId = (kind: 'pack' | 'plan', itemId: string, interval: Interval | null) =>
    rows.find((r) => r.kind === kind && r.itemId === itemId && r.interval === interval)?.id ?? itemId;
  const packEntry = (id: string): PlanEntry[] => {
    const pack = catalog.pack(id);
    if (!pack) return [];
    return [
      {
        id: numericId('pack', pack.id, null),
        catalog_id: pack.id,
        plan_type: type,
        name: pack.name,
        description: pack.description ?? null,
        tokens: pack.credits,
        entitlements: [],
        trial_days: null,
        interval: null,
        prices: pricesOf('pack', pack.id, null),
      },
    ];
  };
  const planEntry = (id: string, interval: Interval): PlanEntry[] => {
    const plan = catalog.plan(id);
    if (!plan) return [];
    return [
      {
        id: numericId('plan', plan.id, interval),
        catalog_id: plan.id,
        plan_type: type,
        name: plan.name,
        description: plan.description ?? null,
        tokens: plan.credits,
        entitlements: [...plan.entitlements],
        trial_days: plan.trial_days ?? null,
        interval,
        prices: pricesOf('plan', plan.id, interval),
      },
    ];
  };
  let entries: PlanEntry[];
  if (type === 'token') entries = catalog.packs.flatMap((p) => packEntry(p.id));
  else if (intervalOf[type]) entries = catalog.plans.flatMap((p) => planEntry(p.id, intervalOf[type]!));
  else
    entries = rows.flatMap((r) =>
      r.kind === 'pack' ? packEntry(r.itemId) : planEntry(r.itemId, r.interval),
    );
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
          item: itemFor(s.catalog, b),
          successUrl: frontendRelative(s.config, b.success_url),
          cancelUrl: frontendRelative(s.config, b.cancel_url),
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
        const session = await createPortalSession(
          s,
          customer,
          frontendRelative(s.config, request.body?.return_url),
        );
        return { url: session.url };
      },
    );

    app.get(
      '/billing/plans/:type/',
      {
        schema: {
          tags: ['compat'],
          summary: 'Plans & tokens backend: the token packages, monthly or yearly plans (public).',
          params: z.object({
            type: planTypeSchema.describe('token, monthly, yearly or a catalog type (full).'),
          }),
          querystring: z.strictObject({
            currency: currency.optional().describe('Only items sold in this currency, with only its prices.'),
          }),
          response: { 200: z.array(planEntrySchema) },
        },
      },
      async (request, reply) => {
        const types = planTypesOf(s.catalog);
        if (!types.includes(request.params.type)) {
          const message = `unknown plan type (this catalog's: ${types.join(', ')})`;
          throw new AppError('validation_failed', `Invalid params.type: ${message}.`, {
            issues: [{ in: 'params', path: 'type', message }],
          });
        }
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
