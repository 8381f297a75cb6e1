// Applies one stored event: the job handler behind every stored webhook. Handlers are registered per
// event type; a type without a handler is marked ignored (it stays stored for the record).
import type Stripe from 'stripe';
import { Batcher } from '../platform/batcher.js';
import { AppError } from '../platform/errors.js';
import type { Job } from '../platform/queue/types.js';
import type { Services } from '../services.js';
import { type EventStatus, eventById, setEventStatuses } from './store.js';

export type EventOutcome = { status: 'processed' } | { status: 'ignored'; reason: string };

export type EventHandler = (s: Services, event: Stripe.Event) => Promise<EventOutcome>;

export type EventHandlers = Readonly<Partial<Record<string, EventHandler>>>;

/** The job handler for APPLY_EVENT_JOB. Throws to retry (the event stays pending meanwhile). */
export function applyEventJob(s: Services, handlers: EventHandlers): (job: Job) => Promise<void> {
  // Outcomes are recorded together: one statement for many events.
  const statuses = new Batcher<{ id: string; status: EventStatus; reason: string | null }, void>(
    async (outcomes) => {
      await setEventStatuses(s.db, outcomes);
      return outcomes.map(() => undefined);
    },
    { maxBatch: 500, maxInFlight: s.db.kind === 'postgres' ? 2 : 1 },
  );
  const record = (id: string, status: EventStatus, reason: string | null) =>
    statuses.submit({ id, status, reason });
  return async (job) => {
    const id = String(job.payload.event_id);
    const stored = await eventById(s.db, id);
    if (!stored) throw new Error(`stored event ${id} not found`);
    if (stored.status === 'processed' || stored.status === 'ignored') return;
    const handler = handlers[stored.type];
    if (!handler) {
      await record(id, 'ignored', `no handler for ${stored.type}`);
      return;
    }
    let outcome: EventOutcome;
    try {
      outcome = await handler(s, stored.payload);
    } catch (err) {
      // Stripe says the object does not exist (another account's, or deleted for good): retrying
      // cannot help, so the event is kept as ignored with the reason instead of failing for days.
      if (!(err instanceof AppError && err.code === 'not_found')) throw err;
      outcome = { status: 'ignored', reason: `the object is not in Stripe: ${err.message}` };
    }
    await record(id, outcome.status, outcome.status === 'ignored' ? outcome.reason : null);
  };
}
