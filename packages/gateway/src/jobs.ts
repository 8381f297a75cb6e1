import type { AppContext } from './context.js';
import { deliverNotificationJob, NOTIFY_JOB } from './notifications/service.js';
import type { KindOptions } from './platform/queue/types.js';
import { cancelSubscriptionJob } from './refunds/cancel-subscription.js';
import { CANCEL_SUBSCRIPTION_JOB } from './refunds/effects.js';
import { REFUND_JOB, refundJob } from './refunds/service.js';
import { applyEventJob } from './webhooks/apply.js';
import { APPLY_EVENT_JOB } from './webhooks/event-queue.js';
import { eventHandlers } from './webhooks/handlers.js';
import { recordWhmcsDocumentJob, WHMCS_DOCUMENT_JOB } from './whmcs/documents.js';
import { recordWhmcsPaymentJob, WHMCS_RECORD_JOB } from './whmcs/service.js';

/** Every kind of job paydesk runs, with its handler and how many run at once per instance. */
export function jobKinds(ctx: AppContext): Record<string, KindOptions> {
  return {
    // Handlers mostly wait on Stripe and the database; on PostgreSQL many run at once over the pool
    // (claimed in batches of at least half of this, see DbJobQueue).
    [APPLY_EVENT_JOB]: {
      ...applyEventJob(ctx, eventHandlers),
      concurrency: ctx.db.kind === 'postgres' ? 64 : 4,
      // A burst of deliveries is acknowledged first: while they wait on storage, no event is applied
      // (they are stored; nothing is lost by applying them a moment later). Only the holder of the
      // webhook secret can cause that pressure: a delivery that fails verification never waits on
      // storage. Applying resumes at full concurrency as soon as the deliveries are stored.
      yieldTo: () => ctx.ingestor.pressed(),
      yieldConcurrency: 0,
    },
    [NOTIFY_JOB]: { handler: deliverNotificationJob(ctx), concurrency: 4 },
    [WHMCS_RECORD_JOB]: { handler: recordWhmcsPaymentJob(ctx), concurrency: 2 },
    [WHMCS_DOCUMENT_JOB]: { handler: recordWhmcsDocumentJob(ctx), concurrency: 2 },
    // Each waits on Stripe; the request_id-derived idempotency key makes a repeated attempt harmless.
    [REFUND_JOB]: { handler: refundJob(ctx), concurrency: ctx.db.kind === 'postgres' ? 16 : 4 },
    [CANCEL_SUBSCRIPTION_JOB]: { handler: cancelSubscriptionJob(ctx), concurrency: 2 },
  };
}
