import type { AppContext } from './context.js';
import { deliverNotificationJob, NOTIFY_JOB } from './notifications/notify.js';
import type { KindOptions } from './platform/queue/types.js';
import { applyEventJob } from './webhooks/apply.js';
import { eventHandlers } from './webhooks/handlers.js';
import { APPLY_EVENT_JOB } from './webhooks/store.js';

/** Every kind of job paydesk runs, with its handler and how many run at once per instance. */
export function jobKinds(ctx: AppContext): Record<string, KindOptions> {
  return {
    // Handlers mostly wait on Stripe and the database; on PostgreSQL many run at once over the pool
    // (claimed in batches of at least half of this, see DbJobQueue).
    [APPLY_EVENT_JOB]: {
      ...applyEventJob(ctx, eventHandlers),
      concurrency: ctx.db.kind === 'postgres' ? 64 : 4,
    },
    [NOTIFY_JOB]: { handler: deliverNotificationJob(ctx), concurrency: 4 },
  };
}
