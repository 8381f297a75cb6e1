// The console's overview: what happened to the money, at a glance.
import { z } from 'zod';
import type { AppInstance, ConsoleKit } from './kit.js';
import { overview, RANGES, type RangeDays } from './overview.js';
import { overviewView } from './overview-view.js';

export const OVERVIEW_PATH = '/console';

export function overviewRoutes(app: AppInstance, kit: ConsoleKit): void {
  app.get(
    OVERVIEW_PATH,
    {
      schema: {
        hide: true,
        querystring: z.object({
          days: z.enum(RANGES.map(String) as [string, ...string[]], 'expected 7, 30 or 90').optional(),
          currency: z
            .string()
            .regex(/^[a-z]{3}$/, 'expected a three-letter currency code')
            .optional(),
        }),
      },
    },
    async (request, reply) => {
      const session = await kit.viewer(request, reply);
      if (!session) return reply;
      const days = Number(request.query.days ?? 30) as RangeDays;
      const figures = await overview(kit.s, days, request.query.currency);
      return kit.page(reply, 200, {
        title: 'Overview',
        current: OVERVIEW_PATH,
        session,
        charts: true,
        body: overviewView(figures, days, OVERVIEW_PATH),
      });
    },
  );
}
