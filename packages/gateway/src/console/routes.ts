// The operator console's HTTP layer, one plugin: its error handler (errors become console pages),
// its assets, sign-in, the overview, the audit log, every view in console/views/, and a console 404
// page for any other path under /console/.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import type { PageAssets } from '../pages/assets.js';
import { hide } from '../pages/kit.js';
import { errorTitle, messageView } from '../pages/views/message.js';
import { AppError } from '../platform/errors.js';
import { toAppError } from '../platform/http/error-handler.js';
import { loadConsoleAssets, registerConsoleAssets } from './assets.js';
import { AUDIT_PATH, auditRoutes } from './audit-routes.js';
import { type ConsoleView, createConsoleKit, type NavEntry } from './kit.js';
import { OVERVIEW_PATH, overviewRoutes } from './overview-routes.js';
import { consoleSessionOf } from './session.js';
import { signInRoutes } from './sign-in-routes.js';
import { consoleViews } from './views/index.js';

export interface ConsoleOptions {
  pageAssets: PageAssets;
  /** The table views (default: console/views/index.ts); tests may add their own. */
  views?: readonly ConsoleView[];
}

export function consoleRoutes(s: AppContext, options: ConsoleOptions): FastifyPluginAsyncZod {
  const views = options.views ?? consoleViews;
  const nav: NavEntry[] = [
    { path: OVERVIEW_PATH, label: 'Overview' },
    ...views.flatMap((v) => (v.nav ? [v.nav] : [])),
    { path: AUDIT_PATH, label: 'Audit log' },
  ];
  const kit = createConsoleKit(
    s,
    { productName: s.config.productName, pageAssets: options.pageAssets, assets: loadConsoleAssets() },
    () => nav,
  );
  return async (app) => {
    app.setErrorHandler(async (error, request, reply) => {
      const e = toAppError(error);
      if (e.status >= 500) request.log.error({ err: error }, 'console page failed');
      else request.log.info({ code: e.code, reason: e.message }, 'console request refused');
      const title = errorTitle(e.status);
      const session =
        e.status === 401 ? undefined : await consoleSessionOf(s, request).catch(() => undefined);
      const action = session
        ? { href: OVERVIEW_PATH, label: 'Back to the overview' }
        : { href: '/console/sign-in', label: 'Sign in' };
      return kit.page(reply, e.status, { title, session, body: messageView(title, e.message, action) });
    });
    registerConsoleAssets(app, kit.env.assets);
    signInRoutes(app, kit);
    overviewRoutes(app, kit);
    for (const view of views) view.register(app, kit);
    auditRoutes(app, kit);
    // Any other GET under /console/ is a console page that does not exist: the sign-in form first
    // (as for every page), then a 404 in the console's layout (the error handler above), not the API's JSON.
    app.get('/console/*', { schema: hide }, async (request, reply) => {
      const session = await kit.viewer(request, reply);
      if (!session) return reply;
      const path = request.url.split('?')[0]!;
      throw new AppError('not_found', `There is no console page at ${path}.`);
    });
  };
}
