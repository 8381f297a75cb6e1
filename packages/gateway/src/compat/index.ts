// The seed systems' own routes, as thin adapters over paydesk's services: one file per system.
// docs/compat.md maps each route to paydesk's API and says what differs from the original.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { creditShopRoutes } from './credit-shop.js';
import { paymentServiceRoutes } from './payment-service.js';
import { paymentServiceRefundRoutes } from './payment-service-refunds.js';
import { plansBackendRoutes } from './plans-backend.js';

export function compatRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    await app.register(paymentServiceRoutes(s));
    await app.register(paymentServiceRefundRoutes(s));
    await app.register(creditShopRoutes(s));
    await app.register(plansBackendRoutes(s));
  };
}
