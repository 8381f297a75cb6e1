// Stores verified events with group commit (platform/batcher.ts): concurrent deliveries share one
// statement (its own transaction: one row per event, which is also its apply-job), and each caller is
// answered only after the statement holding its event committed, so a 2xx always means "stored
// durably". The events are written leased to this process's worker as far as it has room
// (JobQueue.reserve) and handed to it once committed, so it applies them without claiming or reading
// them back.
import type Stripe from 'stripe';
import { Batcher } from '../platform/batcher.js';
import type { Db } from '../platform/db/types.js';
import type { JobQueue } from '../platform/queue/types.js';
import type { Services } from '../services.js';
import { APPLY_EVENT_JOB } from './event-queue.js';
import { type EventSource, storeEvents } from './store.js';

/**
 * Deliveries waiting on storage (queued for a batch or in one being written) from which ingest
 * counts as pressed, and below which it no longer does. By Little's law that count is the arrival
 * rate times the time to store: a few at a steady 2,000/s (a commit takes milliseconds), dozens to
 * hundreds in a burst the database cannot keep up with.
 */
export const PRESSED_AT = 32;
export const RELIEVED_BELOW = 8;

export class EventIngestor {
  private readonly batcher: Batcher<{ event: Stripe.Event; raw?: Buffer }, 'new' | 'duplicate'>;
  private isPressed = false;

  constructor(db: Db, queue: JobQueue, source: EventSource = 'webhook') {
    this.batcher = new Batcher(
      async (items) => {
        const events = items.map((i) => i.event);
        const raw = items.every((i) => i.raw) ? items.map((i) => i.raw as Buffer) : undefined;
        const hold = queue.reserve(APPLY_EVENT_JOB, events.length);
        let stored: Awaited<ReturnType<typeof storeEvents>>;
        try {
          stored = await storeEvents(db, events, source, { raw, hold });
        } catch (err) {
          queue.adopt(APPLY_EVENT_JOB, hold, []);
          throw err;
        }
        queue.adopt(APPLY_EVENT_JOB, hold, stored.held);
        // Once this batch is settled the worker looks again: events may wait in the table, and the
        // pressure may be over.
        if (stored.fresh.size > 0) setImmediate(() => queue.poke());
        // An event id twice in one batch: the first is new, later ones are duplicates.
        const claimed = new Set<string>();
        return events.map((e) => {
          const isNew = stored.fresh.has(e.id) && !claimed.has(e.id);
          if (isNew) claimed.add(e.id);
          return isNew ? 'new' : 'duplicate';
        });
      },
      // PostgreSQL: three batches commit at once over the pool, overlapping their disk flushes (at
      // 100 concurrent deliveries 2 and 3 stored alike, 8,700-9,000/s; 4 made batches too small).
      // PGlite has one connection: one batch at a time.
      { maxBatch: 500, maxInFlight: db.kind === 'postgres' ? 3 : 1 },
    );
  }

  /**
   * A burst: PRESSED_AT or more deliveries wait on storage, until fewer than RELIEVED_BELOW do (the
   * gap keeps it from flapping while a burst goes on). The apply-jobs wait meanwhile (jobs.ts), so
   * that deliveries are acknowledged first.
   */
  pressed(): boolean {
    const pending = this.batcher.pending;
    if (pending >= PRESSED_AT) this.isPressed = true;
    else if (pending < RELIEVED_BELOW) this.isPressed = false;
    return this.isPressed;
  }

  /** `raw`: the body the event was verified from, stored as it is (no second serialisation). */
  submit(event: Stripe.Event, raw?: Buffer): Promise<'new' | 'duplicate'> {
    return this.batcher.submit({ event, raw });
  }
}

const ingestors = new WeakMap<Services, EventIngestor>();

/** The one ingestor of a paydesk app (its routes store through it; its queue watches its pressure). */
export function ingestorOf(s: Services): EventIngestor {
  let ingestor = ingestors.get(s);
  if (!ingestor) {
    ingestor = new EventIngestor(s.db, s.queue);
    ingestors.set(s, ingestor);
  }
  return ingestor;
}
