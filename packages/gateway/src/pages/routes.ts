// The billing pages' HTTP layer, one plugin: its own error handler (errors become HTML pages; the
// API's JSON error handler stays for the API), the assets, and the routes of each part.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { toAppError } from '../platform/http/error-handler.js';
import { accountRoutes } from './account-routes.js';
import { registerAssets } from './assets.js';
import { buyRoutes } from './buy-routes.js';
import { createKit, type PagesOptions } from './kit.js';
import { signInRoutes } from './sign-in-routes.js';
import { errorTitle, messageView } from './views/message.js';

export type { PagesOptions };

export function pageRoutes(s: AppContext, options: PagesOptions): FastifyPluginAsyncZod {
  const kit = createKit(s, options);
  return async (app) => {
    app.setErrorHandler((error, request, reply) => {
      const e = toAppError(error);
      if (e.status >= 500) request.log.error({ err: error }, 'page failed');
      else request.log.info({ code: e.code, reason: e.message }, 'page request refused');
      const title = errorTitle(e.status);
      const action =
        e.status === 401
          ? { href: '/sign-in', label: 'Sign in' }
          : { href: '/pricing', label: 'Back to pricing' };
      return kit.page(reply, e.status, { title, body: messageView(title, e.message, action) });
    });
    registerAssets(app, options.assets);
    signInRoutes(app, kit);
    buyRoutes(app, kit);
    accountRoutes(app, kit);
  };
}
