import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { principalOf } from '../platform/auth/plugin.js';
import { AppError } from '../platform/errors.js';
import { customerFor } from './access.js';
import { ensureCustomer } from './service.js';
import type { CustomerRow } from './store.js';

export const customerSchema = z.object({
  id: z.string().describe('paydesk customer id (cust_…)'),
  external_id: z.string().describe("the user's id in the host product"),
  email: z.string().nullable(),
  name: z.string().nullable(),
  stripe_customer_id: z.string().nullable(),
  created_at: z.string(),
});

export function customerView(c: CustomerRow): z.infer<typeof customerSchema> {
  return {
    id: c.id,
    external_id: c.external_id,
    email: c.email,
    name: c.name,
    stripe_customer_id: c.stripe_customer_id,
    created_at: new Date(c.created_at).toISOString(),
  };
}

const createBody = z.strictObject({
  external_id: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Required with an API key; with a user token it is the token’s subject and may be omitted.'),
  email: z.email().max(320).optional(),
  name: z.string().min(1).max(256).optional(),
});

export function customerRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/customers',
      {
        config: { auth: { allow: ['api_key', 'user'], scopes: ['write'] } },
        schema: {
          tags: ['customers'],
          summary: 'Register a customer (idempotent by external_id): creates the Stripe customer once.',
          security: [{ bearer: [] }],
          body: createBody,
          response: { 200: customerSchema, 201: customerSchema },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const body = request.body;
        let externalId = body.external_id;
        if (principal.kind === 'user') {
          if (externalId !== undefined && externalId !== principal.externalId) {
            throw new AppError(
              'forbidden',
              'A user can only register themselves (external_id must match the token).',
            );
          }
          externalId = principal.externalId;
        }
        if (!externalId)
          throw new AppError('validation_failed', 'Invalid body.external_id: required with an API key.');
        const { customer, created } = await ensureCustomer(s, {
          external_id: externalId,
          email: body.email ?? (principal.kind === 'user' ? principal.email : undefined),
          name: body.name,
        });
        return reply.code(created ? 201 : 200).send(customerView(customer));
      },
    );

    app.get(
      '/v1/customers/:id',
      {
        config: { auth: { allow: ['api_key', 'user'], scopes: ['read'] } },
        schema: {
          tags: ['customers'],
          summary: 'A customer, by paydesk id; users may say `me`.',
          security: [{ bearer: [] }],
          params: z.object({ id: z.string().min(1).max(100) }),
          response: { 200: customerSchema },
        },
      },
      async (request) => customerView(await customerFor(s, principalOf(request), request.params.id)),
    );
  };
}
