// Compat: the payment microservice's refund routes, for server-to-server callers with an API key
// holding the `refunds` scope. Thin adapters over paydesk's refunds (refunds/service.ts): the same
// checks (ownership, refundable remainder), the same request_id idempotency, the same job queue.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { AppError } from '../platform/errors.js';
import { requestIdSchema } from '../refunds/routes.js';
import { getRefund, refundReasons, refundStatuses, requestRefund } from '../refunds/service.js';

const paymentIntentId = z
  .string()
  .regex(/^pi_[A-Za-z0-9_]+$/, 'expected a payment intent id (pi_…)')
  .max(255)
  .describe("Stripe's payment intent id of a payment this paydesk recorded.");
const amount = z
  .number()
  .int()
  .min(1)
  .max(99_999_999_999)
  .optional()
  .describe('Minor units; default: what is left to refund.');

const refunds = { auth: { allow: ['api_key'] as const, scopes: ['refunds'] as const } };
const security = [{ bearer: [] }];

export function paymentServiceRefundRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/refund',
      {
        config: refunds,
        schema: {
          tags: ['compat'],
          summary: 'Payment microservice: refund now → {success, refund: {id, amount, status}}.',
          description:
            'Same as POST /v1/refunds (synchronous). `refund.id` is Stripe’s refund id (re_…). An amount above ' +
            'the refundable remainder is 409 with the remainder in `details.refundable`.',
          security,
          body: z.strictObject({
            payment_intent_id: paymentIntentId,
            amount,
            reason: z.enum(refundReasons).optional(),
          }),
          response: {
            200: z.object({
              success: z.literal(true),
              refund: z.object({
                id: z.string().describe("Stripe's refund id (re_…)."),
                amount: z.number().int(),
                status: z.enum(refundStatuses),
              }),
            }),
          },
        },
      },
      async (request) => {
        const b = request.body;
        const { refund } = await requestRefund(s, {
          target: { payment_intent: b.payment_intent_id },
          amount: b.amount,
          reason: b.reason,
        });
        return {
          success: true as const,
          refund: { id: refund.stripe_refund_id ?? refund.id, amount: refund.amount, status: refund.status },
        };
      },
    );

    app.post(
      '/refund-async',
      {
        config: refunds,
        schema: {
          tags: ['compat'],
          summary: 'Payment microservice: queue a refund → {success, message, request_id}.',
          description:
            'Same as POST /v1/refunds with `"async": true`: answered at once, carried out by a job with retries. ' +
            'The same request_id never makes a second refund. Poll GET /refund-status/{request_id}.',
          security,
          body: z.strictObject({
            payment_intent_id: paymentIntentId,
            amount,
            request_id: requestIdSchema.optional(),
          }),
          response: {
            202: z.object({ success: z.literal(true), message: z.string(), request_id: z.string() }),
          },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const { refund, replayed } = await requestRefund(s, {
          target: { payment_intent: b.payment_intent_id },
          amount: b.amount,
          requestId: b.request_id,
          async: true,
        });
        return reply.code(202).send({
          success: true as const,
          message: replayed
            ? `Refund request already received (${refund.status}).`
            : 'Refund request queued.',
          request_id: refund.request_id,
        });
      },
    );

    app.get(
      '/refund-status/:request_id',
      {
        config: refunds,
        schema: {
          tags: ['compat'],
          summary:
            'Payment microservice: a refund request’s status → {success, refund_id, status, amount, request_id}.',
          description:
            '`status` is one of queued, processing, pending, succeeded, failed, canceled; `refund_id` is Stripe’s ' +
            'refund id once Stripe made it (null before). With `payment_intent_id`, a request for another payment is 404.',
          security,
          params: z.object({ request_id: requestIdSchema }),
          querystring: z.strictObject({ payment_intent_id: paymentIntentId.optional() }),
          response: {
            200: z.object({
              success: z.literal(true),
              refund_id: z.string().nullable(),
              status: z.enum(refundStatuses),
              amount: z.number().int(),
              request_id: z.string(),
              failure_reason: z.string().nullable(),
            }),
          },
        },
      },
      async (request) => {
        const { request_id: requestId } = request.params;
        const refund = await getRefund(s, requestId).catch((err: unknown) => {
          throw err instanceof AppError && err.code === 'not_found'
            ? new AppError('not_found', `No refund request ${requestId}.`)
            : err;
        });
        const pi = request.query.payment_intent_id;
        if (refund.request_id !== requestId || (pi !== undefined && refund.stripe_payment_intent_id !== pi)) {
          throw new AppError('not_found', `No refund request ${requestId}${pi ? ` for ${pi}` : ''}.`);
        }
        return {
          success: true as const,
          refund_id: refund.stripe_refund_id,
          status: refund.status,
          amount: refund.amount,
          request_id: refund.request_id,
          failure_reason: refund.failure_reason,
        };
      },
    );
  };
}
