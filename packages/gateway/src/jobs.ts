import type { AppContext } from './context.js';
import { deliverNotificationJob, NOTIFY_JOB } from './notifications/notify.js';
import type { KindOptions } from './platform/queue/types.js';
import { applyEventJob } from './webhooks/apply.js';
import { eventHandlers } from './webhooks/handlers.js';
import { APPLY_EVENT_JOB } from './webhooks/store.js';

/** Every kind of job paydesk runs, with its handler and how many run at once per instance. */
export function jobKinds(ctx: AppContext): Record<string, KindOptions> {
  return {
    [APPLY_EVENT_JOB]: { handler: applyEventJob(ctx, eventHandlers), concurrency: 4 },
    [NOTIFY_JOB]: { handler: deliverNotificationJob(ctx), concurrency: 4 },
  };
}
