import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { customerFor } from '../customers/access.js';
import { principalOf } from '../platform/auth/plugin.js';
import { createPortalSession } from './service.js';

export function portalRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/portal/sessions',
      {
        config: { auth: { allow: ['api_key', 'user'], scopes: ['write'] } },
        schema: {
          tags: ['portal'],
          summary:
            'Open a Stripe customer portal session; redirect the browser to `url`. return_url must be on an allowed origin (default: PAYDESK_PUBLIC_URL).',
          security: [{ bearer: [] }],
          body: z.strictObject({
            customer: z
              .string()
              .min(1)
              .max(100)
              .optional()
              .describe(
                'paydesk customer id (cust_…). Required with an API key; users may omit it or say `me`.',
              ),
            return_url: z.string().min(1).max(2048).optional(),
          }),
          response: {
            201: z.object({ id: z.string(), url: z.string(), return_url: z.string() }),
          },
        },
      },
      async (request, reply) => {
        const customer = await customerFor(s, principalOf(request), request.body.customer);
        return reply.code(201).send(await createPortalSession(s, customer, request.body.return_url));
      },
    );
  };
}
