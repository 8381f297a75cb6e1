// Every route the app registers, as registered (method, URL pattern, config), kept on the app so that
// tests can check that each one is documented or listed, and exercise them all (the fuzz suite).
import type { FastifyInstance } from 'fastify';

export interface InventoryRoute {
  method: string;
  url: string;
  /** Left out of the OpenAPI document (`schema.hide`). */
  hidden: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The routes registered so far (see platform/http/route-inventory.ts). */
    routeInventory: readonly InventoryRoute[];
  }
}

/** Starts recording; routes registered after this call are listed in `app.routeInventory`. */
export function registerRouteInventory(app: FastifyInstance): void {
  const routes: InventoryRoute[] = [];
  app.decorate('routeInventory', routes);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const hidden = Boolean((route.schema as { hide?: boolean } | undefined)?.hide);
    for (const method of methods) {
      // HEAD is added by Fastify for every GET; it answers as the GET does.
      if (method === 'HEAD' && methods.length === 1 && route.url !== '*') continue;
      routes.push({ method: method.toUpperCase(), url: route.url, hidden });
    }
  });
}
