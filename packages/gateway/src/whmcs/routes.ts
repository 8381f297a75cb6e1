import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { AppError } from '../platform/errors.js';
import {
  bridgeOf,
  invoiceUrl,
  listWhmcsPending,
  retryWhmcsPayment,
  retryWhmcsPending,
  startWhmcsPayment,
  syncWhmcsSession,
} from './service.js';
import { pendingWhmcsPayments, type WhmcsPaymentRow, whmcsStatuses } from './store.js';

const admin = { auth: { allow: ['admin'] as const } };

export const whmcsPaymentSchema = z.object({
  session: z.string(),
  invoice: z.number().int(),
  client: z.number().int(),
  email: z.string(),
  currency: z.string(),
  amount: z.string().describe('Minor units, as a string (the balance when the session opened).'),
  amount_paid: z.string().nullable(),
  status: z.enum(whmcsStatuses),
  charge: z.string().nullable(),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  created: z.string(),
  updated: z.string(),
});

export function whmcsPaymentView(r: WhmcsPaymentRow): z.infer<typeof whmcsPaymentSchema> {
  return {
    session: r.stripe_session_id,
    invoice: r.invoice_id,
    client: r.client_id,
    email: r.email,
    currency: r.currency,
    amount: r.amount.toString(),
    amount_paid: r.amount_paid === null ? null : r.amount_paid.toString(),
    status: r.status,
    charge: r.stripe_charge_id,
    attempts: r.attempts,
    last_error: r.last_error,
    created: new Date(r.created_at).toISOString(),
    updated: new Date(r.updated_at).toISOString(),
  };
}

export const whmcsPendingSchema = z.object({
  kind: z.enum(['payment', 'refund', 'dispute']),
  id: z
    .string()
    .describe('cs_… for a payment; for a refund or dispute, the WHMCS transaction id it is written under.'),
  invoice: z.number().int(),
  currency: z.string(),
  amount: z.string().describe('Minor units, as a string.'),
  status: z.enum(['waiting', 'mismatch', 'dead']),
  charge: z.string().nullable(),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  created: z.string(),
  updated: z.string(),
});

/** What `paydesk whmcs retry` and the retry route take. */
export const WHMCS_PENDING_ID = /^(cs|re|rf|du|dp)_[A-Za-z0-9_]{1,250}(-reversed|-reinstated)?$/;

const field = (max: number) => z.string().max(max);

const payBody = z.object({
  invoice_id: field(20),
  amount: field(40),
  currency: field(10),
  email: field(320),
  return_url: field(2000),
  timestamp: field(20),
  signature: field(128),
});

export function whmcsRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    // Public: the client's browser posts the WHMCS module's signed form; the signature is the auth.
    app.post(
      '/whmcs/pay',
      {
        schema: {
          tags: ['whmcs'],
          summary: 'Pay a WHMCS invoice: the WHMCS module’s signed Pay form; 303 to Stripe Checkout.',
          description:
            'Checks the HMAC signature and its timestamp, re-reads the invoice (Unpaid, balance > 0, currency) and the ' +
            'client (the email must be theirs) through the WHMCS API, and opens a Checkout session for the balance, ' +
            'open 30 minutes. See docs/whmcs.md.',
          body: payBody,
        },
      },
      async (request, reply) => {
        const { signature, ...form } = request.body;
        const url = await startWhmcsPayment(s, form, signature);
        return reply.code(303).header('cache-control', 'no-store').header('location', url).send();
      },
    );

    app.get(
      '/whmcs/return',
      {
        schema: {
          tags: ['whmcs'],
          summary: 'Where Checkout sends the client back: records the payment, 303 to the WHMCS invoice.',
          querystring: z.object({
            session_id: z.string().regex(/^cs_[A-Za-z0-9_]{1,250}$/, 'expected a Checkout session id (cs_…)'),
          }),
        },
      },
      async (request, reply) => {
        const b = bridgeOf(s);
        const outcome = await syncWhmcsSession(s, request.query.session_id);
        if (!outcome) throw new AppError('not_found', 'No WHMCS payment of this paydesk has this session.');
        const location = invoiceUrl(
          b,
          outcome.row.invoice_id,
          outcome.paid ? 'paymentsuccess' : 'paymentfailed',
        );
        return reply.code(303).header('cache-control', 'no-store').header('location', location).send();
      },
    );

    app.get(
      '/admin/whmcs/payments',
      {
        config: admin,
        schema: {
          tags: ['whmcs'],
          summary:
            'WHMCS payments paid in Stripe but not on their invoice: waiting (paid), mismatch, or dead.',
          security: [{ bearer: [] }],
          response: { 200: z.object({ data: z.array(whmcsPaymentSchema) }) },
        },
      },
      async () => ({ data: (await pendingWhmcsPayments(s.db)).map(whmcsPaymentView) }),
    );

    app.get(
      '/admin/whmcs/pending',
      {
        config: admin,
        schema: {
          tags: ['whmcs'],
          summary:
            'Payments, refunds and chargebacks of bridged payments not (yet) on their WHMCS invoice: waiting, mismatch, dead.',
          security: [{ bearer: [] }],
          response: { 200: z.object({ data: z.array(whmcsPendingSchema) }) },
        },
      },
      async () => ({ data: await listWhmcsPending(s) }),
    );

    app.post(
      '/admin/whmcs/pending/:id/retry',
      {
        config: admin,
        schema: {
          tags: ['whmcs'],
          summary:
            'Write a dead (or mismatched) payment, refund or chargeback on its WHMCS invoice again (once only).',
          security: [{ bearer: [] }],
          params: z.object({
            id: z
              .string()
              .regex(WHMCS_PENDING_ID, 'expected a cs_…, re_… or du_… id from GET /admin/whmcs/pending'),
          }),
          response: { 200: z.object({ id: z.string(), queued: z.literal(true) }) },
        },
      },
      async (request) => {
        if (!(await retryWhmcsPending(s, request.params.id))) {
          throw new AppError('conflict', 'Nothing dead or mismatched for WHMCS has this id.');
        }
        return { id: request.params.id, queued: true as const };
      },
    );

    app.post(
      '/admin/whmcs/payments/:session/retry',
      {
        config: admin,
        schema: {
          tags: ['whmcs'],
          summary: 'Record a dead or mismatched WHMCS payment again (a new job; still once only).',
          security: [{ bearer: [] }],
          params: z.object({
            session: z.string().regex(/^cs_[A-Za-z0-9_]{1,250}$/, 'expected a Checkout session id'),
          }),
          response: { 200: z.object({ session: z.string(), queued: z.literal(true) }) },
        },
      },
      async (request) => {
        if (!(await retryWhmcsPayment(s, request.params.session))) {
          throw new AppError('conflict', 'No dead or mismatched WHMCS payment has this session.');
        }
        return { session: request.params.session, queued: true as const };
      },
    );
  };
}
