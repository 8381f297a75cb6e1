import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type Stripe from 'stripe';
import { z } from 'zod';
import { intervals } from '../catalog/schema.js';
import type { AppContext } from '../context.js';
import { principalOf } from '../platform/auth/plugin.js';
import { AppError } from '../platform/errors.js';
import { MAX_AMOUNT } from './items.js';
import {
  type CheckoutItem,
  type CheckoutResult,
  createCheckoutSession,
  getCheckoutSession,
} from './service.js';

const currency = z.string().regex(/^[a-z]{3}$/, 'expected a lowercase ISO 4217 code such as usd');
const itemId = z.string().min(1).max(40);
const url = z.string().min(1).max(2048);
export const metadataSchema = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((m) => Object.keys(m).length <= 20, 'at most 20 keys')
  .describe(
    'Your own key/value pairs, copied onto the Stripe session. Keys starting with paydesk_ are reserved.',
  );

export const checkoutBody = z.strictObject({
  pack: itemId.optional().describe('A credit pack id from the catalog (one-time payment).'),
  quantity: z.number().int().min(1).max(1000).optional().describe('How many packs (default 1).'),
  plan: itemId.optional().describe('A plan id from the catalog (subscription).'),
  interval: z.enum(intervals).optional().describe('Billing interval of the plan (required with plan).'),
  currency: currency
    .optional()
    .describe('One of the currencies the item is sold in; default: the first the catalog declares.'),
  line_items: z
    .array(
      z.strictObject({
        quantity: z.number().int().min(1).max(1000).default(1),
        price_data: z.strictObject({
          currency,
          unit_amount: z.number().int().min(1).max(MAX_AMOUNT).describe('Minor units (cents).'),
          product_data: z.strictObject({ name: z.string().min(1).max(250) }),
        }),
      }),
    )
    .min(1)
    .max(20)
    .optional()
    .describe('Ad-hoc lines with their own amounts: API keys with the custom_amounts scope only.'),
  customer: z.string().min(1).max(100).optional().describe('API keys: the paydesk customer (cust_…) paying.'),
  customer_email: z.email().max(320).optional().describe('Prefills the email when there is no customer.'),
  success_url: url
    .optional()
    .describe(
      'Default: PAYDESK_PUBLIC_URL/checkout/return?session_id={CHECKOUT_SESSION_ID}. Allowed origins only.',
    ),
  cancel_url: url
    .optional()
    .describe('Default: PAYDESK_PUBLIC_URL/checkout/cancelled. Allowed origins only.'),
  redirect: url
    .optional()
    .describe('Where /checkout/return sends the browser after payment. Allowed origins only.'),
  metadata: metadataSchema.optional(),
});

type CheckoutBody = z.infer<typeof checkoutBody>;

function invalid(path: string, message: string): AppError {
  return new AppError('validation_failed', `Invalid body.${path}: ${message}`, {
    issues: [{ in: 'body', path, message }],
  });
}

/** Exactly one of pack, plan or line_items, with only the fields that go with it. */
export function itemFromBody(
  b: Pick<CheckoutBody, 'pack' | 'quantity' | 'plan' | 'interval' | 'currency' | 'line_items'>,
): CheckoutItem {
  const chosen = [b.pack !== undefined, b.plan !== undefined, b.line_items !== undefined].filter(
    Boolean,
  ).length;
  if (chosen !== 1) throw invalid('pack', 'send exactly one of pack, plan or line_items');
  if (b.pack !== undefined) {
    if (b.interval !== undefined) throw invalid('interval', 'only with plan');
    return { kind: 'pack', pack: b.pack, quantity: b.quantity ?? 1, currency: b.currency };
  }
  if (b.quantity !== undefined) throw invalid('quantity', 'only with pack or inside line_items');
  if (b.plan !== undefined) {
    if (b.interval === undefined) throw invalid('interval', 'required with plan (month or year)');
    return { kind: 'plan', plan: b.plan, interval: b.interval, currency: b.currency };
  }
  if (b.currency !== undefined) throw invalid('currency', 'line_items carry their own currency');
  return {
    kind: 'custom',
    lines: (b.line_items ?? []).map((l) => ({
      name: l.price_data.product_data.name,
      currency: l.price_data.currency,
      unit_amount: l.price_data.unit_amount,
      quantity: l.quantity,
    })),
  };
}

export const createdSchema = z.object({
  id: z.string().describe("Stripe's Checkout Session id (cs_…); GET /v1/checkout/sessions/:id accepts it."),
  paydesk_id: z.string().describe("paydesk's own record id (chk_…), also in the session's metadata."),
  object: z.literal('checkout.session'),
  url: z.string().nullable().describe("Stripe's hosted payment page: send the browser here."),
  expires_at: z.string().describe('ISO 8601; PAYDESK_CHECKOUT_EXPIRY_MINUTES after creation.'),
  mode: z.enum(['payment', 'subscription']),
  amount_total: z.number().int().describe('Minor units, from the catalog.'),
  currency: z.string(),
  customer: z.string().nullable().describe('paydesk customer id (cust_…), if any.'),
});

export const sessionSchema = z.object({
  id: z.string().describe("Stripe's Checkout Session id (cs_…)."),
  paydesk_id: z.string(),
  object: z.literal('checkout.session'),
  status: z.string().nullable().describe('open, complete or expired (Stripe).'),
  payment_status: z.string().describe('paid, unpaid or no_payment_required (Stripe).'),
  mode: z.string(),
  amount_total: z.number().int().nullable(),
  currency: z.string().nullable(),
  customer: z.string().nullable().describe('paydesk customer id.'),
  customer_email: z.string().nullable(),
  payment_intent: z.string().nullable(),
  subscription: z.string().nullable(),
  url: z.string().nullable(),
  expires_at: z.string(),
  metadata: z.record(z.string(), z.string()),
});

function idOf(v: string | { id: string } | null): string | null {
  return v === null ? null : typeof v === 'string' ? v : v.id;
}

export function createdView(r: CheckoutResult): z.infer<typeof createdSchema> {
  return {
    id: r.session.id,
    paydesk_id: r.record.id,
    object: 'checkout.session',
    url: r.session.url,
    expires_at: new Date(r.session.expires_at * 1000).toISOString(),
    mode: r.record.mode,
    amount_total: r.session.amount_total ?? r.record.amount_total,
    currency: r.session.currency ?? r.record.currency,
    customer: r.record.customer_id,
  };
}

export function sessionView(r: CheckoutResult): z.infer<typeof sessionSchema> {
  const s: Stripe.Checkout.Session = r.session;
  return {
    id: s.id,
    paydesk_id: r.record.id,
    object: 'checkout.session',
    status: s.status,
    payment_status: s.payment_status,
    mode: s.mode,
    amount_total: s.amount_total,
    currency: s.currency,
    customer: r.record.customer_id,
    customer_email: r.customerEmail,
    payment_intent: idOf(s.payment_intent),
    subscription: idOf(s.subscription),
    url: s.url,
    expires_at: new Date(s.expires_at * 1000).toISOString(),
    metadata: s.metadata ?? {},
  };
}

export function checkoutRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/checkout/sessions',
      {
        config: { auth: { allow: ['api_key', 'user'], scopes: ['write'] } },
        schema: {
          tags: ['checkout'],
          summary:
            'Open a Stripe Checkout session for a credit pack, a plan, or (custom_amounts keys) ad-hoc lines.',
          description:
            'Amounts always come from the catalog; a body with an amount or a Stripe price is refused. ' +
            'Users check out as themselves (their customer is created on first use).',
          security: [{ bearer: [] }],
          body: checkoutBody,
          response: { 201: createdSchema },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const result = await createCheckoutSession(s, principalOf(request), {
          item: itemFromBody(b),
          customer: b.customer,
          customerEmail: b.customer_email,
          successUrl: b.success_url,
          cancelUrl: b.cancel_url,
          redirect: b.redirect,
          metadata: b.metadata,
        });
        return reply.code(201).send(createdView(result));
      },
    );

    app.get(
      '/v1/checkout/sessions/:id',
      {
        config: { auth: { allow: ['api_key', 'user'], scopes: ['read'] } },
        schema: {
          tags: ['checkout'],
          summary: 'A Checkout session paydesk opened (by cs_… or chk_…), verified with Stripe.',
          security: [{ bearer: [] }],
          params: z.object({ id: z.string().min(1).max(200) }),
          response: { 200: sessionSchema },
        },
      },
      async (request) => sessionView(await getCheckoutSession(s, principalOf(request), request.params.id)),
    );
  };
}
