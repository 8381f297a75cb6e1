import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { metadataSchema } from '../checkout/routes.js';
import type { AppContext } from '../context.js';
import { AppError } from '../platform/errors.js';
import {
  getRefund,
  listRefunds,
  type RefundTarget,
  refundReasons,
  requestRefund,
  retryRefund,
} from './service.js';
import { refundStatuses } from './store.js';
import { refundSchema, refundView } from './view.js';

export const requestIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

const refundBody = z.strictObject({
  payment: z.string().min(1).max(100).optional().describe('paydesk payment id (pay_…).'),
  payment_intent: z
    .string()
    .regex(/^pi_[A-Za-z0-9_]+$/, 'expected a payment intent id (pi_…)')
    .max(255)
    .optional(),
  charge: z
    .string()
    .regex(/^(ch|py)_[A-Za-z0-9_]+$/, 'expected a charge id (ch_…)')
    .max(255)
    .optional(),
  amount: z
    .number()
    .int()
    .min(1)
    .max(99_999_999_999)
    .optional()
    .describe('Minor units; default: what is left to refund of the payment.'),
  currency: z
    .string()
    .regex(/^[a-z]{3}$/, 'expected a lowercase ISO 4217 code such as usd')
    .optional()
    .describe('If given, must be the payment’s currency.'),
  reason: z.enum(refundReasons).optional(),
  request_id: requestIdSchema
    .optional()
    .describe(
      'Makes retries safe: the same request_id returns the same refund (never a second one); it derives the Stripe idempotency key. Default: a new one.',
    ),
  metadata: metadataSchema.optional(),
  async: z.boolean().optional().describe('true: answer 202 {request_id} at once; a job carries it out.'),
  cancel_subscription: z
    .boolean()
    .optional()
    .describe('Subscription payments only: once the refund succeeds, cancel the subscription now.'),
});

function targetOf(b: z.infer<typeof refundBody>): RefundTarget {
  const given = [b.payment, b.payment_intent, b.charge].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new AppError(
      'validation_failed',
      'Invalid body.payment: send exactly one of payment, payment_intent or charge.',
      {
        issues: [
          { in: 'body', path: 'payment', message: 'send exactly one of payment, payment_intent or charge' },
        ],
      },
    );
  }
  if (b.payment !== undefined) return { payment: b.payment };
  if (b.payment_intent !== undefined) return { payment_intent: b.payment_intent };
  return { charge: b.charge! };
}

const refunds = { auth: { allow: ['api_key', 'admin'] as const, scopes: ['refunds'] as const } };

export function refundRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/refunds',
      {
        config: refunds,
        schema: {
          tags: ['refunds'],
          summary:
            'Refund a payment, in full or in part (API keys with the refunds scope, or the admin key).',
          description:
            'Synchronous by default: 201 with the refund once Stripe answered (200 with `idempotent-replayed: true` ' +
            'for a repeated request_id). With `"async": true`: 202 {request_id} at once; a job carries it out with ' +
            'retries and backoff. An amount above the refundable remainder is 409 with the remainder in ' +
            '`details.refundable`.',
          security: [{ bearer: [] }],
          body: refundBody,
          response: {
            200: refundSchema,
            201: refundSchema,
            202: z.object({
              object: z.literal('refund_request'),
              request_id: z.string(),
              refund: z.string().describe('paydesk refund id (rf_…), for GET /v1/refunds/:id.'),
              status: z.enum(refundStatuses),
            }),
          },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const result = await requestRefund(s, {
          target: targetOf(b),
          amount: b.amount,
          currency: b.currency,
          reason: b.reason,
          requestId: b.request_id,
          metadata: b.metadata,
          async: b.async,
          cancelSubscription: b.cancel_subscription,
        });
        if (result.replayed) reply.header('idempotent-replayed', 'true');
        if (b.async) {
          return reply.code(202).send({
            object: 'refund_request' as const,
            request_id: result.refund.request_id,
            refund: result.refund.id,
            status: result.refund.status,
          });
        }
        return reply.code(result.replayed ? 200 : 201).send(refundView(result.refund));
      },
    );

    app.get(
      '/v1/refunds/:id',
      {
        config: refunds,
        schema: {
          tags: ['refunds'],
          summary: 'A refund, by paydesk id (rf_…), request_id or Stripe refund id (re_…).',
          security: [{ bearer: [] }],
          params: z.object({ id: z.string().min(1).max(255) }),
          response: { 200: refundSchema },
        },
      },
      async (request) => refundView(await getRefund(s, request.params.id)),
    );

    app.get(
      '/v1/refunds',
      {
        config: refunds,
        schema: {
          tags: ['refunds'],
          summary: 'Refunds, newest first (cursor pagination), by payment and status.',
          description: 'Pass `next_cursor` back as `cursor` for the next page.',
          security: [{ bearer: [] }],
          querystring: z.strictObject({
            limit: z.coerce.number().int().min(1).max(100).default(20),
            cursor: z.string().min(1).max(100).optional(),
            payment: z
              .string()
              .min(1)
              .max(255)
              .optional()
              .describe('paydesk payment id or Stripe payment intent id.'),
            customer: z.string().min(1).max(100).optional().describe('paydesk customer id.'),
            status: z.enum(refundStatuses).optional(),
          }),
          response: {
            200: z.object({
              object: z.literal('list'),
              data: z.array(refundSchema),
              has_more: z.boolean(),
              next_cursor: z.string().nullable(),
            }),
          },
        },
      },
      async (request) => {
        const q = request.query;
        const page = await listRefunds(s, {
          payment: q.payment,
          customer: q.customer,
          status: q.status,
          cursor: q.cursor,
          limit: q.limit,
        });
        return {
          object: 'list' as const,
          data: page.data.map(refundView),
          has_more: page.has_more,
          next_cursor: page.next_cursor,
        };
      },
    );

    app.post(
      '/v1/refunds/:id/retry',
      {
        config: refunds,
        schema: {
          tags: ['refunds'],
          summary: 'Queue a refund that failed before reaching Stripe (or is waiting) again.',
          description:
            'For a refund paydesk gave up on (its job dead) or that Stripe never made: it is queued again with the same ' +
            'request_id, so Stripe still makes it at most once. 409 if it exists in Stripe or the amount is no longer refundable.',
          security: [{ bearer: [] }],
          params: z.object({ id: z.string().min(1).max(255) }),
          response: { 200: refundSchema },
        },
      },
      async (request) => refundView(await retryRefund(s, request.params.id)),
    );
  };
}
