// What the API answers for a subscription and a plan-change preview.
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { firstPaymentSecret, planOf, type SubscriptionDetails } from './service.js';

const iso = z.string().describe('ISO 8601 time');

export const subscriptionSchema = z.object({
  id: z.string().describe('paydesk subscription id (psub_…)'),
  customer: z.string().describe('paydesk customer id (cust_…)'),
  stripe_subscription_id: z.string(),
  status: z
    .string()
    .describe(
      'Stripe’s status: incomplete, active, trialing, past_due, unpaid, paused, canceled, incomplete_expired',
    ),
  plan: z.string().nullable().describe('catalog plan id (null for a price that is not in the catalog)'),
  interval: z.enum(['month', 'year']).nullable(),
  currency: z.string(),
  amount: z.number().int().nullable().describe('price per interval, in the currency’s minor unit'),
  current_period_end: iso.nullable(),
  cancel_at_period_end: z.boolean(),
  cancel_at: iso.nullable(),
  canceled_at: iso.nullable(),
  trial_end: iso.nullable(),
  client_secret: z
    .string()
    .nullable()
    .describe(
      'While the first payment is due (status incomplete): the client secret to confirm it with Stripe.js / the Payment Element.',
    ),
  created_at: iso,
});

export type SubscriptionView = z.infer<typeof subscriptionSchema>;

const time = (seconds: number | null | undefined) =>
  seconds === null || seconds === undefined ? null : new Date(seconds * 1000).toISOString();

export function subscriptionView(s: AppContext, d: SubscriptionDetails): SubscriptionView {
  const sub = d.subscription;
  const { plan, interval, amount } = planOf(s, sub);
  return {
    id: d.record.id,
    customer: d.record.customer_id,
    stripe_subscription_id: sub.id,
    status: sub.status,
    plan,
    interval,
    currency: sub.currency,
    amount,
    current_period_end: time(sub.items.data[0]?.current_period_end),
    cancel_at_period_end: sub.cancel_at_period_end,
    cancel_at: time(sub.cancel_at),
    canceled_at: time(sub.canceled_at),
    trial_end: time(sub.trial_end),
    client_secret: firstPaymentSecret(sub),
    created_at: time(sub.created) ?? new Date(d.record.created_at).toISOString(),
  };
}

export const previewSchema = z.object({
  subscription: z.string(),
  plan: z.string(),
  interval: z.enum(['month', 'year']),
  currency: z.string(),
  proration_behavior: z.enum(['create_prorations', 'always_invoice']),
  proration_date: z
    .number()
    .int()
    .describe(
      'Unix seconds the proration is computed at; send it with the change to be charged exactly this.',
    ),
  proration_amount: z
    .number()
    .int()
    .describe('Sum of the proration lines, minor units (negative: a credit for unused time).'),
  amount_due: z
    .number()
    .int()
    .describe(
      'always_invoice: the invoice the change creates now; create_prorations: the next renewal invoice.',
    ),
  subtotal: z.number().int(),
  total: z.number().int(),
  lines: z.array(
    z.object({
      description: z.string().nullable(),
      amount: z.number().int(),
      proration: z.boolean(),
      period_start: z.number().int(),
      period_end: z.number().int(),
    }),
  ),
});
