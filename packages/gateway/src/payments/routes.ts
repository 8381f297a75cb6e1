import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_AMOUNT } from '../checkout/items.js';
import { metadataSchema } from '../checkout/routes.js';
import type { AppContext } from '../context.js';
import { customerFor } from '../customers/access.js';
import { principalOf } from '../platform/auth/plugin.js';
import { AppError } from '../platform/errors.js';
import { refundSummaries } from '../refunds/service.js';
import { createPaymentIntent, getPaymentIntent, type IntentAmount, type IntentResult } from './intents.js';
import { listPayments, type PaymentRow } from './service.js';

const currency = z.string().regex(/^[a-z]{3}$/, 'expected a lowercase ISO 4217 code such as usd');

const intentBody = z.strictObject({
  pack: z
    .string()
    .min(1)
    .max(40)
    .optional()
    .describe('A credit pack id: the amount is the catalog’s × quantity.'),
  quantity: z.number().int().min(1).max(1000).optional(),
  currency: currency
    .optional()
    .describe('With pack: default the first the catalog declares. Required with amount.'),
  amount: z
    .number()
    .int()
    .min(1)
    .max(MAX_AMOUNT)
    .optional()
    .describe('Minor units; API keys with the custom_amounts scope only.'),
  customer: z.string().min(1).max(100).optional().describe('paydesk customer id (cust_…).'),
  payment_method: z
    .string()
    .regex(/^(pm|tok)_[A-Za-z0-9_]+$/, 'expected a payment method id (pm_…)')
    .optional()
    .describe('Confirm at once with this payment method; a decline answers 402 card_declined.'),
  description: z.string().min(1).max(500).optional(),
  metadata: metadataSchema.optional(),
});

const idempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .optional()
    .describe(
      'Makes a retry the same operation: the same key (per API key) returns the same payment intent; ' +
        'the same key with a different body answers 409.',
    ),
});

export const intentSchema = z.object({
  id: z.string().describe("Stripe's payment intent id (pi_…)."),
  paydesk_id: z.string().nullable().describe("paydesk's record id (pir_…); null for a Checkout payment."),
  object: z.literal('payment_intent'),
  status: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  client_secret: z.string().nullable().describe('For Stripe.js / the Payment Element.'),
  customer: z.string().nullable().describe('paydesk customer id.'),
  description: z.string().nullable(),
  last_payment_error: z
    .object({
      code: z.string().nullable(),
      decline_code: z.string().nullable(),
      message: z.string().nullable(),
    })
    .nullable(),
  created: z.string(),
});

export function intentView(r: IntentResult): z.infer<typeof intentSchema> {
  const pi = r.intent;
  const err = pi.last_payment_error;
  return {
    id: pi.id,
    paydesk_id: r.record?.id ?? null,
    object: 'payment_intent',
    status: pi.status,
    amount: pi.amount,
    currency: pi.currency,
    client_secret: pi.client_secret,
    customer: r.record?.customer_id ?? pi.metadata?.paydesk_customer_id ?? null,
    description: pi.description,
    last_payment_error: err
      ? { code: err.code ?? null, decline_code: err.decline_code ?? null, message: err.message ?? null }
      : null,
    created: new Date(pi.created * 1000).toISOString(),
  };
}

export const paymentSchema = z.object({
  id: z.string().describe('paydesk payment id (pay_…).'),
  object: z.literal('payment'),
  amount: z.number().int().describe('Minor units.'),
  currency: z.string(),
  customer: z.string().nullable().describe('paydesk customer id.'),
  source: z.enum(['checkout', 'payment_intent', 'invoice']),
  payment_intent: z.string().describe("Stripe's payment intent id."),
  checkout_session: z
    .string()
    .nullable()
    .describe('paydesk checkout record (chk_…), if paid through Checkout.'),
  item: z
    .object({ kind: z.string(), id: z.string().nullable(), quantity: z.number().int().nullable() })
    .nullable(),
  description: z.string().nullable(),
  paid_at: z.string(),
  amount_refunded: z.number().int().describe('Refunded so far (pending and succeeded refunds), minor units.'),
  refund_status: z
    .enum(['none', 'partial', 'full'])
    .describe('Whether the payment has been refunded: not, in part, or in full.'),
  refunds: z
    .array(z.object({ id: z.string(), amount: z.number().int(), status: z.string() }))
    .describe('Its refunds (rf_…), oldest first, whatever their status (GET /v1/refunds/:id for details).'),
  dispute_status: z
    .string()
    .nullable()
    .describe("Stripe's status of the payment's dispute (chargeback), if any (GET /v1/disputes)."),
});

export type PaymentRefunds = { id: string; amount: number; status: string }[];

export function paymentView(p: PaymentRow, refunds: PaymentRefunds = []): z.infer<typeof paymentSchema> {
  const refunded = Number(p.amount_refunded ?? 0);
  return {
    id: p.id,
    object: 'payment',
    amount: p.amount,
    currency: p.currency,
    customer: p.customer_id,
    source: p.source,
    payment_intent: p.stripe_payment_intent_id,
    checkout_session: p.checkout_session_id,
    item: p.item_kind ? { kind: p.item_kind, id: p.item_id, quantity: p.quantity } : null,
    description: p.description,
    paid_at: new Date(p.paid_at).toISOString(),
    amount_refunded: refunded,
    refund_status: refunded <= 0 ? 'none' : refunded >= Number(p.amount) ? 'full' : 'partial',
    refunds,
    dispute_status: p.dispute_status ?? null,
  };
}

function invalid(path: string, message: string): AppError {
  return new AppError('validation_failed', `Invalid body.${path}: ${message}`, {
    issues: [{ in: 'body', path, message }],
  });
}

function amountFromBody(b: z.infer<typeof intentBody>): IntentAmount {
  if ((b.pack === undefined) === (b.amount === undefined))
    throw invalid('pack', 'send exactly one of pack or amount');
  if (b.pack !== undefined)
    return { kind: 'pack', pack: b.pack, quantity: b.quantity ?? 1, currency: b.currency };
  if (b.quantity !== undefined) throw invalid('quantity', 'only with pack');
  if (b.currency === undefined) throw invalid('currency', 'required with amount');
  return { kind: 'custom', amount: b.amount!, currency: b.currency };
}

export function paymentRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/payment_intents',
      {
        config: { auth: { allow: ['api_key'], scopes: ['write'] } },
        schema: {
          tags: ['payments'],
          summary:
            'Create a payment intent: a catalog pack × quantity, or (custom_amounts) an explicit amount.',
          description:
            'Send an Idempotency-Key header to make retries safe: paydesk derives the Stripe idempotency key ' +
            'from it and the API key, so the same key never creates a second payment intent. ' +
            '201 when created, 200 (with `idempotent-replayed: true`) when an earlier request made it.',
          security: [{ bearer: [] }],
          headers: idempotencyHeader,
          body: intentBody,
          response: { 200: intentSchema, 201: intentSchema },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const result = await createPaymentIntent(s, principalOf(request), {
          amount: amountFromBody(b),
          customer: b.customer,
          paymentMethod: b.payment_method,
          description: b.description,
          metadata: b.metadata,
          idempotencyKey: request.headers['idempotency-key'],
        });
        if (result.replayed) reply.header('idempotent-replayed', 'true');
        return reply.code(result.replayed ? 200 : 201).send(intentView(result));
      },
    );

    app.get(
      '/v1/payment_intents/:id',
      {
        config: { auth: { allow: ['api_key', 'user'], scopes: ['read'] } },
        schema: {
          tags: ['payments'],
          summary: 'A payment intent (pi_… or pir_…), verified with Stripe; users see only their own.',
          security: [{ bearer: [] }],
          params: z.object({ id: z.string().min(1).max(200) }),
          response: { 200: intentSchema },
        },
      },
      async (request) => intentView(await getPaymentIntent(s, principalOf(request), request.params.id)),
    );

    app.get(
      '/v1/payments',
      {
        config: { auth: { allow: ['api_key', 'user'], scopes: ['read'] } },
        schema: {
          tags: ['payments'],
          summary: 'Payment history, newest first, from paydesk’s own records (cursor pagination).',
          description:
            'Users see their own payments; API keys every customer’s, or one with `customer`. ' +
            'Pass `next_cursor` back as `cursor` for the next page.',
          security: [{ bearer: [] }],
          querystring: z.strictObject({
            limit: z.coerce.number().int().min(1).max(100).default(20),
            cursor: z.string().min(1).max(100).optional(),
            customer: z
              .string()
              .min(1)
              .max(100)
              .optional()
              .describe('paydesk customer id; users may say me.'),
          }),
          response: {
            200: z.object({
              object: z.literal('list'),
              data: z.array(paymentSchema),
              has_more: z.boolean(),
              next_cursor: z.string().nullable(),
            }),
          },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const q = request.query;
        let customerId: string | undefined;
        if (principal.kind === 'user') {
          try {
            customerId = (await customerFor(s, principal, q.customer)).id;
          } catch (err) {
            // A user with no customer yet has paid nothing; another user's customer stays not found.
            const noCustomerYet = err instanceof AppError && err.code === 'not_found';
            if (noCustomerYet && (q.customer === undefined || q.customer === 'me')) {
              return { object: 'list' as const, data: [], has_more: false, next_cursor: null };
            }
            throw err;
          }
        } else if (q.customer !== undefined) {
          customerId = (await customerFor(s, principal, q.customer)).id;
        }
        const page = await listPayments(s, { customerId, cursor: q.cursor, limit: q.limit });
        const refunds = await refundSummaries(
          s.db,
          page.data.map((p) => p.id),
        );
        return {
          object: 'list' as const,
          data: page.data.map((p) => paymentView(p, refunds.get(p.id))),
          has_more: page.has_more,
          next_cursor: page.next_cursor,
        };
      },
    );
  };
}
