import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { migrationStatus } from '../platform/db/migrate.js';
import { AppError } from '../platform/errors.js';
import type { Metrics } from '../platform/http/metrics.js';

const READY_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function opsRoutes(ctx: AppContext, metrics: Metrics): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          tags: ['operations'],
          summary: 'Liveness: the process is up and serving HTTP.',
          response: { 200: z.object({ status: z.literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          tags: ['operations'],
          summary: 'Readiness: the database answers and every migration is applied; 503 otherwise.',
          response: {
            200: z.object({ status: z.literal('ready'), database: z.string(), migration: z.number().int() }),
          },
        },
      },
      async (request) => {
        if (ctx.started && !ctx.started()) throw new AppError('not_ready', 'paydesk is still starting.');
        let status: Awaited<ReturnType<typeof migrationStatus>>;
        try {
          status = await withTimeout(
            migrationStatus(ctx.db, ctx.migrations),
            READY_TIMEOUT_MS,
            'database check',
          );
        } catch (err) {
          request.log.warn({ err }, 'readiness check failed: database');
          throw new AppError('not_ready', 'The database is unreachable.');
        }
        if (status.pending > 0) {
          throw new AppError(
            'not_ready',
            `The database is at migration ${status.current}; ${status.pending} pending (run paydesk migrate).`,
          );
        }
        return { status: 'ready' as const, database: ctx.db.kind, migration: status.current };
      },
    );

    app.get(
      '/metrics',
      {
        schema: {
          tags: ['operations'],
          summary: 'Prometheus metrics (text exposition format).',
          hide: false,
        },
      },
      async (_request, reply) => {
        reply.type(metrics.registry.contentType);
        return metrics.registry.metrics();
      },
    );
  };
}
