import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { AppError } from '../platform/errors.js';
import { bridgeOf, invoiceUrl, startWhmcsPayment, syncWhmcsSession } from './service.js';

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
  };
}
