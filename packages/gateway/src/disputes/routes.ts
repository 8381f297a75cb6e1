import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { getDispute, isOpen, listDisputes } from './service.js';
import type { DisputeRow } from './store.js';

export const disputeSchema = z.object({
  id: z.string().describe("Stripe's dispute id (dp_…)."),
  object: z.literal('dispute'),
  status: z.string().describe("Stripe's status: needs_response, under_review, won, lost, warning_…"),
  open: z.boolean().describe('Not decided yet.'),
  amount: z.number().int().describe('Disputed amount, minor units.'),
  currency: z.string(),
  reason: z.string().describe("Stripe's reason (fraudulent, product_not_received, …)."),
  evidence_due_by: z.string().nullable().describe('Respond in Stripe (evidence) before this time.'),
  funds_withdrawn: z.boolean(),
  payment: z.string().nullable().describe('paydesk payment id (pay_…).'),
  payment_intent: z.string().nullable(),
  charge: z.string(),
  customer: z.string().nullable(),
  credits: z
    .object({
      mode: z.enum(['freeze', 'clawback']),
      held: z.number().int().describe('Credits held (freeze) or taken back (clawback) for this dispute.'),
      shortfall: z.number().int().describe('Of those, how many the balance could not cover.'),
      released: z.boolean().describe('Held credits given back (the dispute was won).'),
    })
    .nullable(),
  access_suspended: z.boolean().describe("The customer's entitlements are suspended by this dispute."),
  created: z.string().describe('When Stripe opened it.'),
  updated: z.string(),
});

export function disputeView(d: DisputeRow): z.infer<typeof disputeSchema> {
  return {
    id: d.id,
    object: 'dispute',
    status: d.status,
    open: isOpen(d.status),
    amount: d.amount,
    currency: d.currency,
    reason: d.reason,
    evidence_due_by: d.evidence_due_by ? new Date(d.evidence_due_by).toISOString() : null,
    funds_withdrawn: d.funds_withdrawn,
    payment: d.payment_id,
    payment_intent: d.stripe_payment_intent_id,
    charge: d.stripe_charge_id,
    customer: d.customer_id,
    credits:
      d.credits_mode !== 'off' && d.credits_held > 0
        ? {
            mode: d.credits_mode,
            held: d.credits_held,
            shortfall: d.credits_shortfall,
            released: d.credits_released,
          }
        : null,
    access_suspended: d.access_suspended,
    created: new Date(d.stripe_created_at).toISOString(),
    updated: new Date(d.updated_at).toISOString(),
  };
}

const readers = { auth: { allow: ['api_key', 'admin'] as const, scopes: ['read'] as const } };

export function disputeRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/disputes',
      {
        config: readers,
        schema: {
          tags: ['disputes'],
          summary: 'Disputes (chargebacks), newest first, with their evidence due dates (cursor pagination).',
          security: [{ bearer: [] }],
          querystring: z.strictObject({
            limit: z.coerce.number().int().min(1).max(100).default(20),
            cursor: z.string().min(1).max(100).optional(),
            status: z
              .string()
              .regex(/^[a-z_]{1,40}$/, "expected one of Stripe's dispute statuses")
              .optional(),
            payment: z
              .string()
              .min(1)
              .max(255)
              .optional()
              .describe('paydesk payment id or Stripe payment intent id.'),
            customer: z.string().min(1).max(100).optional().describe('paydesk customer id.'),
          }),
          response: {
            200: z.object({
              object: z.literal('list'),
              data: z.array(disputeSchema),
              has_more: z.boolean(),
              next_cursor: z.string().nullable(),
            }),
          },
        },
      },
      async (request) => {
        const page = await listDisputes(s, request.query);
        return {
          object: 'list' as const,
          data: page.data.map(disputeView),
          has_more: page.has_more,
          next_cursor: page.next_cursor,
        };
      },
    );

    app.get(
      '/v1/disputes/:id',
      {
        config: readers,
        schema: {
          tags: ['disputes'],
          summary: 'A dispute, by Stripe id (dp_…).',
          security: [{ bearer: [] }],
          params: z.object({ id: z.string().min(1).max(255) }),
          response: { 200: disputeSchema },
        },
      },
      async (request) => disputeView(await getDispute(s, request.params.id)),
    );
  };
}
