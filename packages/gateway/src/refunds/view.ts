import { z } from 'zod';
import { type RefundRow, refundStatuses } from './store.js';

export const refundSchema = z.object({
  id: z.string().describe('paydesk refund id (rf_…).'),
  object: z.literal('refund'),
  request_id: z
    .string()
    .describe('The operation: yours, or derived (stripe:re_… for a refund made in Stripe).'),
  status: z.enum(refundStatuses),
  amount: z.number().int().describe('Minor units.'),
  currency: z.string(),
  reason: z.string().nullable(),
  payment: z.string().describe('paydesk payment id (pay_…).'),
  payment_intent: z.string(),
  charge: z.string().nullable(),
  customer: z.string().nullable(),
  stripe_refund: z.string().nullable().describe("Stripe's refund id (re_…), once Stripe made it."),
  failure_reason: z
    .string()
    .nullable()
    .describe('Why it failed; while queued for a retry, the last attempt’s error.'),
  attempts: z.number().int().describe('Calls made to Stripe for it.'),
  origin: z.enum(['api', 'stripe']).describe('stripe: made in Stripe (its dashboard), not through paydesk.'),
  async: z.boolean(),
  cancel_subscription: z.boolean(),
  credits: z
    .object({
      taken: z.number().int().describe('Credits of the refunded pack taken back for this refund.'),
      shortfall: z.number().int().describe('Of those, how many the balance could not cover (already spent).'),
      restored: z.boolean().describe('Given back because the refund failed after succeeding.'),
    })
    .nullable(),
  metadata: z.record(z.string(), z.string()),
  created: z.string(),
  updated: z.string(),
});

export type RefundView = z.infer<typeof refundSchema>;

export function refundView(r: RefundRow): RefundView {
  return {
    id: r.id,
    object: 'refund',
    request_id: r.request_id,
    status: r.status,
    amount: r.amount,
    currency: r.currency,
    reason: r.reason,
    payment: r.payment_id,
    payment_intent: r.stripe_payment_intent_id,
    charge: r.stripe_charge_id,
    customer: r.customer_id,
    stripe_refund: r.stripe_refund_id,
    failure_reason: r.failure_reason,
    attempts: r.attempts,
    origin: r.origin,
    async: r.async,
    cancel_subscription: r.cancel_subscription,
    credits:
      r.credits_taken > 0
        ? { taken: r.credits_taken, shortfall: r.credits_shortfall, restored: r.credits_restored }
        : null,
    metadata: r.metadata,
    created: new Date(r.created_at).toISOString(),
    updated: new Date(r.updated_at).toISOString(),
  };
}
