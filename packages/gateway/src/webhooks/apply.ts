// Applies one stored event: the job handler behind every stored webhook. Handlers are registered per
// event type; a type without a handler is marked ignored (it stays stored for the record).
import type Stripe from 'stripe';
import type { Job } from '../platform/queue/types.js';
import type { Services } from '../services.js';
import { eventById, setEventStatus } from './store.js';

export type EventOutcome = { status: 'processed' } | { status: 'ignored'; reason: string };

export type EventHandler = (s: Services, event: Stripe.Event) => Promise<EventOutcome>;

export type EventHandlers = Readonly<Partial<Record<string, EventHandler>>>;

/** The job handler for APPLY_EVENT_JOB. Throws to retry (the event stays pending meanwhile). */
export function applyEventJob(s: Services, handlers: EventHandlers): (job: Job) => Promise<void> {
  return async (job) => {
    const id = String(job.payload.event_id);
    const stored = await eventById(s.db, id);
    if (!stored) throw new Error(`stored event ${id} not found`);
    if (stored.status === 'processed' || stored.status === 'ignored') return;
    const handler = handlers[stored.type];
    if (!handler) {
      await setEventStatus(s.db, id, 'ignored', `no handler for ${stored.type}`);
      return;
    }
    const outcome = await handler(s, stored.payload);
    await setEventStatus(s.db, id, outcome.status, outcome.status === 'ignored' ? outcome.reason : null);
  };
}
