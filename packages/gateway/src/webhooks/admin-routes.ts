// The recovery actions on the admin API. `paydesk reconcile`, `paydesk webhooks replay` and
// `paydesk subscriptions check` call them when a running embedded paydesk holds the database; the
// work then runs here, and this process's queue applies the events.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { AppError } from '../platform/errors.js';
import { checkSubscriptions, defaultSince, parseSince, reconcileEvents, replayEvent } from './reconcile.js';

const admin = { auth: { allow: ['admin'] as const } };
const security = [{ bearer: [] }];

const outcomes = {
  processed: z.number(),
  ignored: z.number(),
  failed: z.number(),
  pending: z.number(),
  errors: z.record(z.string(), z.string()),
};

export function recoveryAdminRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/admin/webhooks/reconcile',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          summary: 'Store and apply the events Stripe lists since a time that paydesk missed.',
          security,
          body: z.strictObject({ since: z.string().optional() }),
          response: {
            200: z.object({
              since: z.string(),
              seen: z.number(),
              new: z.number(),
              clippedTo: z.string().nullable(),
              ...outcomes,
            }),
          },
        },
      },
      async (request) => {
        const since = request.body.since ? parseSince(request.body.since, s.now()) : await defaultSince(s);
        if (!since)
          throw new AppError('validation_failed', '`since` is neither an ISO time nor a duration like 3d.');
        const summary = await reconcileEvents(s, { since });
        request.log.info({ ...summary, errors: undefined }, 'reconcile finished');
        return summary;
      },
    );

    app.post(
      '/admin/webhooks/events/:id/replay',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          summary: 'Apply a stored event again (fetched from Stripe when not stored).',
          security,
          params: z.object({ id: z.string().regex(/^evt_[A-Za-z0-9_]+$/) }),
          body: z.strictObject({}).optional(),
          response: {
            200: z.object({
              event_id: z.string(),
              type: z.string(),
              fetched: z.boolean(),
              status: z.enum(['processed', 'ignored', 'failed', 'pending']),
              reason: z.string().nullable(),
              attempts: z.number(),
            }),
          },
        },
      },
      async (request) => replayEvent(s, request.params.id),
    );

    app.post(
      '/admin/subscriptions/check',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          summary: 'Compare local subscriptions with Stripe; fix the drift unless dry_run.',
          security,
          body: z.strictObject({ dry_run: z.boolean().default(false) }),
        },
      },
      async (request) => checkSubscriptions(s, { fix: !request.body.dry_run }),
    );
  };
}
