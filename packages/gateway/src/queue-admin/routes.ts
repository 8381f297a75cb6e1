import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { listJobs, retryJob } from './service.js';
import { type JobRow, jobStatuses } from './store.js';

export const jobSchema = z.object({
  id: z.number().int(),
  kind: z.string(),
  key: z.string().nullable(),
  status: z.enum(jobStatuses),
  attempts: z.number().int(),
  max_attempts: z.number().int(),
  last_error: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()),
  run_at: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});

export function jobView(j: JobRow): z.infer<typeof jobSchema> {
  return {
    id: j.id,
    kind: j.kind,
    key: j.key,
    status: j.status,
    attempts: j.attempts,
    max_attempts: j.max_attempts,
    last_error: j.last_error,
    payload: j.payload,
    run_at: new Date(j.run_at).toISOString(),
    created_at: new Date(j.created_at).toISOString(),
    updated_at: new Date(j.updated_at).toISOString(),
  };
}

const admin = { auth: { allow: ['admin'] as const } };

export function queueAdminRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/admin/jobs',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          summary:
            'Jobs of the queue (refunds, notifications, …), newest first; `status=dead` for the dead ones.',
          description:
            'Webhook apply-jobs are the stored events themselves (see /admin/webhooks). Pass `next_before` back as `before`.',
          security: [{ bearer: [] }],
          querystring: z.strictObject({
            status: z.enum(jobStatuses).optional(),
            kind: z.string().min(1).max(100).optional(),
            before: z.coerce.number().int().min(1).optional(),
            limit: z.coerce.number().int().min(1).max(500).default(50),
          }),
          response: {
            200: z.object({
              object: z.literal('list'),
              data: z.array(jobSchema),
              has_more: z.boolean(),
              next_before: z.number().int().nullable(),
            }),
          },
        },
      },
      async (request) => {
        const page = await listJobs(s, request.query);
        return { object: 'list' as const, ...page, data: page.data.map(jobView) };
      },
    );

    app.post(
      '/admin/jobs/:id/retry',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          summary: 'Run a dead job again, with a fresh set of attempts.',
          description:
            'A refund job goes through its refund: 409 if the amount is no longer refundable or Stripe already made it.',
          security: [{ bearer: [] }],
          params: z.object({ id: z.coerce.number().int().min(1) }),
          response: { 200: jobSchema },
        },
      },
      async (request) => jobView(await retryJob(s, request.params.id)),
    );
  };
}
