// The admin API of notifications: one notification with its deliveries, and a redelivery of it (the
// service the console's Redeliver button uses too).
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { type DeliveryRow, notificationDeliveries, redeliverNotification, redeliveryOf } from './service.js';

const admin = { auth: { allow: ['admin'] as const } };
const notificationId = z.string().regex(/^ntf_[A-Za-z0-9_-]{1,100}$/, 'expected a notification id (ntf_…)');

const deliverySchema = z.object({
  job: z.number().int(),
  redelivery_of: z.number().int().nullable(),
  status: z.enum(['queued', 'running', 'done', 'dead']),
  attempts: z.number().int(),
  max_attempts: z.number().int(),
  last_error: z.string().nullable(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
});

function deliveryView(d: DeliveryRow): z.infer<typeof deliverySchema> {
  return {
    job: d.id,
    redelivery_of: redeliveryOf(d) ?? null,
    status: d.status,
    attempts: d.attempts,
    max_attempts: d.max_attempts,
    last_error: d.last_error,
    created_at: new Date(d.created_at).toISOString(),
    finished_at: d.finished_at ? new Date(d.finished_at).toISOString() : null,
  };
}

const notificationSchema = z.object({
  id: z.string(),
  type: z.string(),
  /** Unix seconds; null for a job written without it (by hand, or by an older version). */
  created: z.number().int().nullable(),
  data: z.record(z.string(), z.unknown()),
  deliveries: z.array(deliverySchema),
});

export function notificationRoutes(s: AppContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/admin/notifications/:id',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          summary: 'A notification sent to the product, with each of its deliveries (oldest first).',
          security: [{ bearer: [] }],
          params: z.object({ id: notificationId }),
          response: { 200: notificationSchema },
        },
      },
      async (request) => {
        const { notification: n, deliveries } = await notificationDeliveries(s, request.params.id);
        return {
          id: n.id,
          type: typeof n.type === 'string' ? n.type : '',
          created: typeof n.created === 'number' && Number.isInteger(n.created) ? n.created : null,
          data: typeof n.data === 'object' && n.data !== null ? n.data : {},
          deliveries: deliveries.map(deliveryView),
        };
      },
    );

    app.post(
      '/admin/notifications/:id/redeliver',
      {
        config: admin,
        schema: {
          tags: ['admin'],
          summary: 'Send a notification to the product again (delivered, failing or dead alike).',
          description:
            'A new delivery beside the earlier ones, with the same notification id. The same `request_id` again answers the delivery it made (200) instead of making another (201).',
          security: [{ bearer: [] }],
          params: z.object({ id: notificationId }),
          body: z
            .strictObject({
              request_id: z
                .string()
                .regex(/^[A-Za-z0-9_.:-]{1,100}$/)
                .optional(),
            })
            .optional(),
          response: { 200: deliverySchema, 201: deliverySchema },
        },
      },
      async (request, reply) => {
        const r = await redeliverNotification(s, request.params.id, request.body?.request_id ?? randomUUID());
        return reply.code(r.created ? 201 : 200).send(deliveryView(r.delivery));
      },
    );
  };
}
