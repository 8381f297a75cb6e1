import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { version } from '../../version.js';

/**
 * The OpenAPI 3 document is generated from the routes' zod schemas and served at /docs/json, with
 * Swagger UI at /docs. The UI's files come from the installed package: no CDN.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'paydesk',
        version,
        description:
          'Self-hosted billing service beside your product. Errors share one body shape: see docs/errors.md.',
      },
      tags: [
        { name: 'operations', description: 'Health, readiness and metrics.' },
        { name: 'catalog', description: 'The public catalog: credit packs and plans with their prices.' },
        {
          name: 'customers',
          description: 'Customers of the host product, each linked to a Stripe customer.',
        },
        {
          name: 'subscriptions',
          description: 'Subscriptions to catalog plans: subscribe, preview and change plan, cancel, resume.',
        },
        { name: 'portal', description: 'The Stripe customer portal.' },
        {
          name: 'checkout',
          description: 'Stripe Checkout for credit packs and plans, and the link flow for signed-in users.',
        },
        { name: 'payments', description: 'Payment intents and the payment history.' },
        {
          name: 'refunds',
          description: 'Refunds, synchronous or queued, kept current from Stripe, with their effects.',
        },
        { name: 'disputes', description: 'Disputes (chargebacks) and their evidence due dates.' },
        { name: 'admin', description: 'Operator actions, authenticated with the admin key.' },
        { name: 'entitlements', description: 'What a customer may use, from their subscription.' },
        { name: 'credits', description: 'The credits ledger: balance, history, consume, adjust.' },
        {
          name: 'webhooks',
          description: 'Stripe webhook ingestion: verified, stored, then applied by jobs.',
        },
        {
          name: 'compat',
          description:
            'The routes of the systems paydesk replaces, as thin adapters over the same services (docs/compat.md).',
        },
      ],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API key (pdk_…) for server-to-server calls, a user JWT, or the admin key, per route.',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { validatorUrl: null, deepLinking: true },
    staticCSP: true,
    // Served over plain http on localhost too, where upgrading subresources to https would break it.
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
  });
}
