// The webhook pipeline's entry points for other features and commands: events fetched from Stripe
// (reconcile, replay, the chaos run) are stored as deliveries are, each with its apply-job.
import type Stripe from 'stripe';
import type { AppContext } from '../context.js';
import { withTransaction } from '../platform/db/tx.js';
import { APPLY_EVENT_JOB } from './event-queue.js';
import { type EventSource, eventById, type StoredEvent, storeEvents } from './store.js';

export type { StoredEvent };
export { eventById };

/**
 * Stores events fetched from Stripe in one transaction; once it commits, the queue applies the new
 * ones. Returns the ids that were new (the others were stored before).
 */
export function storeFetchedEvents(
  s: Pick<AppContext, 'db' | 'queue'>,
  events: readonly Stripe.Event[],
  source: EventSource,
): Promise<Set<string>> {
  return withTransaction(s, async (tx) => {
    const { fresh } = await storeEvents(tx, events, source);
    if (fresh.size > 0) s.queue.enqueued(tx, APPLY_EVENT_JOB);
    return fresh;
  });
}

/** Makes a stored event pending again, with no attempts: its apply-job runs once more. */
export function requeueEvent(s: Pick<AppContext, 'db' | 'queue'>, eventId: string): Promise<void> {
  return withTransaction(s, async (tx) => {
    await tx.query(
      `UPDATE stripe_events
       SET status = 'pending', status_reason = NULL, processed_at = NULL, attempts = 0, run_at = now(),
           locked_by = NULL, last_error = NULL
       WHERE id = $1`,
      [eventId],
    );
    s.queue.enqueued(tx, APPLY_EVENT_JOB);
  });
}
