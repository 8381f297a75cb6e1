// Compat: the payment microservice's routes, for server-to-server callers with an API key. Its
// clients speak camelCase JSON and expect `{sessionId, url}` and `{clientSecret}`; everything behind
// these routes is paydesk's own checkout and payment-intent services (amounts from the catalog, the
// same records, the same idempotency, the same errors).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type Stripe from 'stripe';
import { z } from 'zod';
import { intervals } from '../catalog/schema.js';
import { MAX_AMOUNT } from '../checkout/items.js';
import { metadataSchema } from '../checkout/routes.js';
import {
  type CheckoutItem,
  type CheckoutResult,
  createCheckoutSession,
  getCheckoutSession,
} from '../checkout/service.js';
import type { AppContext } from '../context.js';
import { createPaymentIntent, getPaymentIntent, type IntentResult } from '../payments/intents.js';
import { principalOf } from '../platform/auth/plugin.js';
import type { Principal } from '../platform/auth/principal.js';
import { AppError } from '../platform/errors.js';
import { frontendRelative } from './frontend-url.js';
import { catalogPriceForId, itemForPrice, priceIdPattern } from './price-id.js';

const currency = z.string().regex(/^[a-z]{3}$/, 'expected a lowercase ISO 4217 code such as usd');
const url = z.string().min(1).max(2048);
const customerId = z.string().min(1).max(100).describe('paydesk customer id (cust_…).');

const lineItemSchema = z.strictObject({
  price_data: z
    .strictObject({
      currency: z
        .string()
        .regex(/^[A-Za-z]{3}$/, 'expected a three-letter ISO 4217 code such as usd')
        .transform((c) => c.toLowerCase()),
      product_data: z.strictObject({
        name: z.string().min(1).max(250),
        description: z.string().min(1).max(1000).optional(),
      }),
      unit_amount: z.number().int().min(1).max(MAX_AMOUNT).describe('Minor units.'),
      recurring: z.strictObject({ interval: z.enum(intervals) }).optional(),
    })
    .optional()
    .describe(
      'As Stripe’s: custom_amounts keys may send any amount; other keys must match a catalog item (name, currency, amount).',
    ),
  price: z
    .string()
    .regex(priceIdPattern, 'expected a Stripe price id (price_…)')
    .optional()
    .describe('A Stripe price of this paydesk’s catalog, instead of price_data.'),
  quantity: z.number().int().min(1).max(1000).default(1),
});

export const createSessionBody = z.strictObject({
  line_items: z
    .array(lineItemSchema)
    .min(1)
    .max(20)
    .optional()
    .describe('The original’s request: Stripe-shaped lines (price_data or price, and quantity).'),
  mode: z
    .enum(['payment', 'subscription'])
    .optional()
    .describe('With line_items: must agree with the item (a recurring line is a subscription).'),
  success_url: url
    .optional()
    .describe('Allowed origins only (a path joins PAYDESK_FRONTEND_URL); may contain {CHECKOUT_SESSION_ID}.'),
  cancel_url: url.optional().describe('Allowed origins only (a path joins PAYDESK_FRONTEND_URL).'),
  customer_email: z.email().max(320).optional().describe('Prefills the email when there is no customer.'),
  priceId: z
    .string()
    .regex(priceIdPattern, 'expected a Stripe price id (price_…)')
    .optional()
    .describe('A Stripe price of this paydesk’s catalog (a pack, or a plan at its interval).'),
  pack: z.string().min(1).max(40).optional().describe('A credit pack id from the catalog.'),
  plan: z.string().min(1).max(40).optional().describe('A plan id from the catalog (subscription).'),
  interval: z.enum(intervals).optional().describe('With plan: month or year.'),
  quantity: z.number().int().min(1).max(1000).optional().describe('Packs only (default 1).'),
  currency: currency.optional().describe('With pack, plan or amount; default: the item’s first currency.'),
  amount: z
    .number()
    .int()
    .min(1)
    .max(MAX_AMOUNT)
    .optional()
    .describe(
      'An ad-hoc amount in minor units, with `currency` and `productName`: custom_amounts keys only.',
    ),
  productName: z.string().min(1).max(250).optional().describe('The ad-hoc line’s name (with amount).'),
  customerId: customerId.optional(),
  customerEmail: z.email().max(320).optional().describe('Prefills the email when there is no customer.'),
  successUrl: url.optional().describe('Allowed origins only; may contain {CHECKOUT_SESSION_ID}.'),
  cancelUrl: url.optional().describe('Allowed origins only.'),
  metadata: metadataSchema.optional(),
});

type CreateSessionBody = z.infer<typeof createSessionBody>;
type LineItem = z.infer<typeof lineItemSchema>;

function invalid(path: string, message: string): AppError {
  return new AppError('validation_failed', `Invalid body.${path}: ${message}`, {
    issues: [{ in: 'body', path, message }],
  });
}

const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * The catalog item a Stripe-shaped line stands for, for keys without custom_amounts: its `price` (a
 * catalog price id), or a `price_data` whose name, currency, amount (and interval) are a catalog
 * item's. The amount is then the catalog's; a line that matches nothing is a 400 listing what does.
 */
async function catalogItemOfLine(s: AppContext, line: LineItem, path: string): Promise<CheckoutItem> {
  if (line.price !== undefined) {
    const price = await catalogPriceForId(s, line.price, { in: 'body', path: `${path}.price` });
    if (price.kind === 'plan' && line.quantity !== 1)
      throw invalid(`${path}.quantity`, 'a plan is bought once');
    return itemForPrice(price, line.quantity);
  }
  const data = line.price_data!;
  const interval = data.recurring?.interval ?? null;
  const kind = interval ? 'plan' : 'pack';
  const nameOf = (itemId: string) =>
    (kind === 'pack' ? s.catalog.pack(itemId)?.name : s.catalog.plan(itemId)?.name) ?? itemId;
  const sold = s.catalog.prices.filter(
    (p) => p.kind === kind && p.currency === data.currency && p.interval === interval,
  );
  const match = sold.find(
    (p) => p.amount === data.unit_amount && sameName(nameOf(p.itemId), data.product_data.name),
  );
  if (!match) {
    const offer = sold.map((p) => `"${nameOf(p.itemId)}" at ${p.amount}`).join(', ') || 'nothing';
    throw invalid(
      `${path}.price_data`,
      `matches no catalog item (${data.currency}${interval ? ` per ${interval}` : ''}: ${offer}); ad-hoc amounts need an API key with the custom_amounts scope`,
    );
  }
  if (kind === 'plan' && line.quantity !== 1) throw invalid(`${path}.quantity`, 'a plan is bought once');
  return itemForPrice(match, line.quantity);
}

/** The item of a Stripe-shaped `line_items` request. */
async function itemOfLines(
  s: AppContext,
  principal: Principal,
  lines: readonly LineItem[],
  mode: 'payment' | 'subscription' | undefined,
): Promise<CheckoutItem> {
  lines.forEach((line, i) => {
    if ((line.price === undefined) === (line.price_data === undefined))
      throw invalid(`line_items.${i}`, 'send exactly one of price_data or price');
  });
  const custom = principal.kind === 'api_key' && principal.scopes.includes('custom_amounts');
  let item: CheckoutItem;
  if (custom && lines.every((l) => l.price_data !== undefined && l.price_data.recurring === undefined)) {
    item = {
      kind: 'custom',
      lines: lines.map((l) => ({
        name: l.price_data!.product_data.name,
        currency: l.price_data!.currency,
        unit_amount: l.price_data!.unit_amount,
        quantity: l.quantity,
      })),
    };
  } else {
    if (lines.length !== 1) {
      throw invalid(
        'line_items',
        custom
          ? 'recurring or catalog lines are bought one at a time'
          : 'one line of a catalog item per session (several ad-hoc lines need the custom_amounts scope)',
      );
    }
    item = await catalogItemOfLine(s, lines[0]!, 'line_items.0');
  }
  const itemMode = item.kind === 'plan' ? 'subscription' : 'payment';
  if (mode !== undefined && mode !== itemMode)
    throw invalid('mode', `the line is a ${itemMode === 'payment' ? 'one-time payment' : 'subscription'}`);
  return item;
}

/** Exactly one of line_items, priceId, pack, plan or amount, with only the fields that go with it. */
async function itemOf(s: AppContext, principal: Principal, b: CreateSessionBody): Promise<CheckoutItem> {
  const chosen = [b.line_items, b.priceId, b.pack, b.plan, b.amount].filter((v) => v !== undefined).length;
  if (chosen !== 1)
    throw invalid('line_items', 'send exactly one of line_items, priceId, pack, plan or amount');
  if (b.mode !== undefined && b.line_items === undefined) throw invalid('mode', 'only with line_items');
  if (b.line_items !== undefined) {
    if (b.quantity !== undefined || b.currency !== undefined)
      throw invalid(b.quantity !== undefined ? 'quantity' : 'currency', 'goes inside line_items');
    return itemOfLines(s, principal, b.line_items, b.mode);
  }
  if (b.interval !== undefined && b.plan === undefined) throw invalid('interval', 'only with plan');
  if (b.productName !== undefined && b.amount === undefined) throw invalid('productName', 'only with amount');
  if (b.priceId !== undefined) {
    if (b.currency !== undefined) throw invalid('currency', 'a price has its own currency');
    const price = await catalogPriceForId(s, b.priceId, { in: 'body', path: 'priceId' });
    if (price.kind === 'plan' && b.quantity !== undefined) throw invalid('quantity', 'only with packs');
    return itemForPrice(price, b.quantity ?? 1);
  }
  if (b.pack !== undefined)
    return { kind: 'pack', pack: b.pack, quantity: b.quantity ?? 1, currency: b.currency };
  if (b.plan !== undefined) {
    if (b.quantity !== undefined) throw invalid('quantity', 'only with packs');
    if (b.interval === undefined) throw invalid('interval', 'required with plan (month or year)');
    return { kind: 'plan', plan: b.plan, interval: b.interval, currency: b.currency };
  }
  if (b.currency === undefined) throw invalid('currency', 'required with amount');
  if (b.productName === undefined) throw invalid('productName', 'required with amount');
  return {
    kind: 'custom',
    lines: [{ name: b.productName, currency: b.currency, unit_amount: b.amount!, quantity: b.quantity ?? 1 }],
  };
}

/** One of the camelCase and snake_case spellings of a field (both at once is a 400). */
function either<T>(
  b: CreateSessionBody,
  camel: keyof CreateSessionBody,
  snake: keyof CreateSessionBody,
): T | undefined {
  if (b[camel] !== undefined && b[snake] !== undefined)
    throw invalid(snake, `send ${snake} or ${camel}, not both`);
  return (b[camel] ?? b[snake]) as T | undefined;
}

export const createdSessionSchema = z.object({
  sessionId: z.string().describe("Stripe's Checkout Session id (cs_…)."),
  url: z.string().nullable().describe("Stripe's hosted payment page: send the browser here."),
  expiresAt: z.number().int().describe('Unix seconds.'),
  amountTotal: z.number().int().describe('Minor units, from the catalog.'),
  currency: z.string(),
});

export const sessionStatusSchema = z.object({
  id: z.string(),
  status: z.string().nullable().describe('open, complete or expired.'),
  paymentStatus: z.string().describe('paid, unpaid or no_payment_required.'),
  mode: z.string(),
  amountTotal: z.number().int().nullable(),
  currency: z.string().nullable(),
  customerId: z.string().nullable().describe('paydesk customer id.'),
  customerEmail: z.string().nullable(),
  paymentIntentId: z.string().nullable(),
  subscriptionId: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
});

function idOf(v: string | { id: string } | null): string | null {
  return v === null ? null : typeof v === 'string' ? v : v.id;
}

function sessionStatusView(r: CheckoutResult): z.infer<typeof sessionStatusSchema> {
  const session: Stripe.Checkout.Session = r.session;
  return {
    id: session.id,
    status: session.status,
    paymentStatus: session.payment_status,
    mode: session.mode,
    amountTotal: session.amount_total,
    currency: session.currency,
    customerId: r.record.customer_id,
    customerEmail: r.customerEmail,
    paymentIntentId: idOf(session.payment_intent),
    subscriptionId: idOf(session.subscription),
    metadata: session.metadata ?? {},
  };
}

export const createIntentBody = z.strictObject({
  pack: z
    .string()
    .min(1)
    .max(40)
    .optional()
    .describe('A credit pack id: the amount is the catalog’s × quantity.'),
  quantity: z.number().int().min(1).max(1000).optional(),
  amount: z
    .number()
    .int()
    .min(1)
    .max(MAX_AMOUNT)
    .optional()
    .describe('Minor units: custom_amounts keys only.'),
  currency: currency.optional().describe('Required with amount; with pack default its first currency.'),
  customerId: customerId.optional(),
  paymentMethodId: z
    .string()
    .regex(/^(pm|tok)_[A-Za-z0-9_]+$/, 'expected a payment method id (pm_…)')
    .optional()
    .describe('Confirm at once; a decline answers 402 card_declined.'),
  description: z.string().min(1).max(500).optional(),
  metadata: metadataSchema.optional(),
});

export const intentStatusSchema = z.object({
  id: z.string().describe("Stripe's payment intent id (pi_…)."),
  clientSecret: z.string().nullable().describe('For Stripe.js confirmPayment / the Payment Element.'),
  status: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  customerId: z.string().nullable(),
  description: z.string().nullable(),
  lastPaymentError: z
    .object({
      code: z.string().nullable(),
      declineCode: z.string().nullable(),
      message: z.string().nullable(),
    })
    .nullable(),
  created: z.number().int().describe('Unix seconds.'),
});

function intentStatusView(r: IntentResult): z.infer<typeof intentStatusSchema> {
  const pi = r.intent;
  const err = pi.last_payment_error;
  return {
    id: pi.id,
    clientSecret: pi.client_secret,
    status: pi.status,
    amount: pi.amount,
    currency: pi.currency,
    customerId: r.record?.customer_id ?? pi.metadata?.paydesk_customer_id ?? null,
    description: pi.description,
    lastPaymentError: err
      ? { code: err.code ?? null, declineCode: err.decline_code ?? null, message: err.message ?? null }
      : null,
    created: pi.created,
  };
}

const security = [{ bearer: [] }];

export function paymentServiceRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/create-checkout-session',
      {
        config: { auth: { allow: ['api_key'], scopes: ['write'] } },
        schema: {
          tags: ['compat'],
          summary: 'Payment microservice: open a Checkout session → {sessionId, url}.',
          description:
            'The original’s Stripe-shaped body (`line_items` with `price_data` or `price`, `success_url`, ' +
            '`cancel_url`), or paydesk’s camelCase one: a catalog `priceId`, `pack`, `plan` + `interval`, or ' +
            '(custom_amounts keys) an `amount` with `currency` and `productName`. Without custom_amounts a ' +
            '`price_data` line must match a catalog item.',
          security,
          body: createSessionBody,
          response: { 200: createdSessionSchema },
        },
      },
      async (request) => {
        const b = request.body;
        const principal = principalOf(request);
        const successUrl = either<string>(b, 'successUrl', 'success_url');
        const cancelUrl = either<string>(b, 'cancelUrl', 'cancel_url');
        const r = await createCheckoutSession(s, principal, {
          item: await itemOf(s, principal, b),
          customer: b.customerId,
          customerEmail: either<string>(b, 'customerEmail', 'customer_email'),
          successUrl: frontendRelative(s.config, successUrl),
          cancelUrl: frontendRelative(s.config, cancelUrl),
          metadata: b.metadata,
        });
        return {
          sessionId: r.session.id,
          url: r.session.url,
          expiresAt: r.session.expires_at,
          amountTotal: r.session.amount_total ?? r.record.amount_total,
          currency: r.session.currency ?? r.record.currency,
        };
      },
    );

    app.get(
      '/checkout-session',
      {
        config: { auth: { allow: ['api_key'], scopes: ['read'] } },
        schema: {
          tags: ['compat'],
          summary: 'Payment microservice: a Checkout session paydesk opened, verified with Stripe.',
          security,
          querystring: z.strictObject({
            session_id: z.string().min(1).max(200).describe('cs_… (or paydesk’s chk_…).'),
          }),
          response: { 200: sessionStatusSchema },
        },
      },
      async (request) =>
        sessionStatusView(await getCheckoutSession(s, principalOf(request), request.query.session_id)),
    );

    app.post(
      '/payment-intent',
      {
        config: { auth: { allow: ['api_key'], scopes: ['write'] } },
        schema: {
          tags: ['compat'],
          summary: 'Payment microservice: create a payment intent → {clientSecret, …}.',
          description:
            'Same as POST /v1/payment_intents in camelCase; send Idempotency-Key to make retries safe ' +
            '(200 with `idempotent-replayed: true` for a replay, else 201).',
          security,
          headers: z.object({
            'idempotency-key': z
              .string()
              .min(1)
              .max(255)
              .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
              .optional(),
          }),
          body: createIntentBody,
          response: { 200: intentStatusSchema, 201: intentStatusSchema },
        },
      },
      async (request, reply) => {
        const b = request.body;
        if ((b.pack === undefined) === (b.amount === undefined))
          throw invalid('pack', 'send exactly one of pack or amount');
        if (b.amount !== undefined && b.quantity !== undefined) throw invalid('quantity', 'only with pack');
        if (b.amount !== undefined && b.currency === undefined)
          throw invalid('currency', 'required with amount');
        const r = await createPaymentIntent(s, principalOf(request), {
          amount:
            b.pack !== undefined
              ? { kind: 'pack', pack: b.pack, quantity: b.quantity ?? 1, currency: b.currency }
              : { kind: 'custom', amount: b.amount!, currency: b.currency! },
          customer: b.customerId,
          paymentMethod: b.paymentMethodId,
          description: b.description,
          metadata: b.metadata,
          idempotencyKey: request.headers['idempotency-key'],
        });
        if (r.replayed) reply.header('idempotent-replayed', 'true');
        return reply.code(r.replayed ? 200 : 201).send(intentStatusView(r));
      },
    );

    app.get(
      '/payment-intent/:id',
      {
        config: { auth: { allow: ['api_key'], scopes: ['read'] } },
        schema: {
          tags: ['compat'],
          summary: 'Payment microservice: a payment intent paydesk made, verified with Stripe.',
          security,
          params: z.object({ id: z.string().min(1).max(200).describe('pi_… (or paydesk’s pir_…).') }),
          response: { 200: intentStatusSchema },
        },
      },
      async (request) => intentStatusView(await getPaymentIntent(s, principalOf(request), request.params.id)),
    );
  };
}
