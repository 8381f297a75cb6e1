// Applies one stored event: the job handler behind every stored webhook. Handlers are registered per
// event type; a type without a handler is marked ignored (it stays stored for the record).
import type Stripe from 'stripe';
import { Batcher } from '../platform/batcher.js';
import type { Queryable } from '../platform/db/types.js';
import { AppError } from '../platform/errors.js';
import type { Job, JobDone, KindOptions } from '../platform/queue/types.js';
import type { Services } from '../services.js';
import { type EventStatus, eventsByIds, type StoredEvent, setEventStatuses } from './store.js';

export type EventOutcome = { status: 'processed' } | { status: 'ignored'; reason: string };

export type EventHandler = (s: Services, event: Stripe.Event) => Promise<EventOutcome>;

export type EventHandlers = Readonly<Partial<Record<string, EventHandler>>>;

/** What applying one event leaves to record: its outcome (nothing when it had been applied before). */
type Recorded = { id: string; status: EventStatus; reason: string | null } | undefined;

/**
 * The job kind APPLY_EVENT_JOB: the handler applies one event and throws to retry (the event stays
 * pending meanwhile); the outcomes of many are recorded in one statement, in the same transaction
 * that marks their jobs done.
 */
export function applyEventJob(
  s: Services,
  handlers: EventHandlers,
): Required<Pick<KindOptions, 'handler' | 'complete'>> {
  // The jobs of one claim start together: their events are read together too (one statement).
  const reads = new Batcher<string, StoredEvent | undefined>(
    async (ids) => {
      const found = await eventsByIds(s.db, ids);
      return ids.map((id) => found.get(id));
    },
    { maxBatch: 500, maxInFlight: s.db.kind === 'postgres' ? 2 : 1 },
  );
  const handler = async (job: Job): Promise<Recorded> => {
    const id = String(job.payload.event_id);
    const stored = await reads.submit(id);
    if (!stored) throw new Error(`stored event ${id} not found`);
    if (stored.status === 'processed' || stored.status === 'ignored') return undefined;
    const handle = handlers[stored.type];
    if (!handle) return { id, status: 'ignored', reason: `no handler for ${stored.type}` };
    let outcome: EventOutcome;
    try {
      outcome = await handle(s, stored.payload);
    } catch (err) {
      // Stripe says the object does not exist (another account's, or deleted for good): retrying
      // cannot help, so the event is kept as ignored with the reason instead of failing for days.
      if (!(err instanceof AppError && err.code === 'not_found')) throw err;
      outcome = { status: 'ignored', reason: `the object is not in Stripe: ${err.message}` };
    }
    return { id, status: outcome.status, reason: outcome.status === 'ignored' ? outcome.reason : null };
  };
  const complete = async (tx: Queryable, done: readonly JobDone[]) => {
    const outcomes = done.flatMap((d) => (d.result ? [d.result as NonNullable<Recorded>] : []));
    if (outcomes.length > 0) await setEventStatuses(tx, outcomes);
  };
  return { handler, complete };
}
