// Applies one stored event: the job handler behind every stored webhook. Handlers are registered per
// event type; a type without a handler is marked ignored (it stays stored for the record). The jobs
// are the pending events themselves (webhooks/event-queue.ts): each carries its event, so applying
// one reads nothing back, and its outcome is written when the job completes.
import type Stripe from 'stripe';
import type { AppContext } from '../context.js';
import { AppError } from '../platform/errors.js';
import type { Job, KindOptions } from '../platform/queue/types.js';
import type { EventResult } from './event-queue.js';

export type EventOutcome = { status: 'processed' } | { status: 'ignored'; reason: string };

export type EventHandler = (s: AppContext, event: Stripe.Event) => Promise<EventOutcome>;

export type EventHandlers = Readonly<Partial<Record<string, EventHandler>>>;

/**
 * The job kind APPLY_EVENT_JOB: the handler applies one event and throws to retry (the event stays
 * pending meanwhile, with the error); the outcomes of many are written in one statement.
 */
export function applyEventJob(s: AppContext, handlers: EventHandlers): Pick<KindOptions, 'handler'> {
  const tally = s.applied;
  const handler = async (job: Job): Promise<EventResult> => {
    const result = await apply(job);
    tally[result.status]++;
    return result;
  };
  const apply = async (job: Job): Promise<EventResult> => {
    const event = job.payload.event as Stripe.Event;
    const handle = handlers[event.type];
    if (!handle) return { status: 'ignored', reason: `no handler for ${event.type}` };
    let outcome: EventOutcome;
    try {
      outcome = await handle(s, event);
    } catch (err) {
      // Stripe says the object does not exist (another account's, or deleted for good): retrying
      // cannot help, so the event is kept as ignored with the reason instead of failing for days.
      if (!(err instanceof AppError && err.code === 'not_found')) throw err;
      outcome = { status: 'ignored', reason: `the object is not in Stripe: ${err.message}` };
    }
    return { status: outcome.status, reason: outcome.status === 'ignored' ? outcome.reason : null };
  };
  return { handler };
}

/** The outcomes of the events this process applied, by status (a context member, for /metrics). */
export type EventTally = Record<EventResult['status'], number>;

export function newEventTally(): EventTally {
  return { processed: 0, ignored: 0 };
}
