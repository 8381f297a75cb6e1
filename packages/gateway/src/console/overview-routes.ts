// The console's overview: what happened to the money, at a glance.
import { html } from '../pages/html.js';
import type { AppInstance, ConsoleKit } from './kit.js';
import { viewHead } from './ui.js';

export const OVERVIEW_PATH = '/console';

export function overviewRoutes(app: AppInstance, kit: ConsoleKit): void {
  app.get(OVERVIEW_PATH, { schema: { hide: true } }, async (request, reply) => {
    const session = await kit.viewer(request, reply);
    if (!session) return reply;
    return kit.page(reply, 200, {
      title: 'Overview',
      current: OVERVIEW_PATH,
      session,
      body: html`${viewHead('Overview', 'Revenue, subscriptions, credits, webhooks and jobs.')}`,
    });
  });
}
