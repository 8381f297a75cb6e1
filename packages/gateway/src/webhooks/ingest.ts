// Stores verified events with group commit (platform/batcher.ts): concurrent deliveries share one
// statement (its own transaction: the events and their apply-jobs), and each caller is answered only
// after the statement holding its event committed, so a 2xx always means "stored durably".
import type Stripe from 'stripe';
import { Batcher } from '../platform/batcher.js';
import type { Db } from '../platform/db/types.js';
import { type EventSource, storeEvents } from './store.js';

export class EventIngestor {
  private readonly batcher: Batcher<{ event: Stripe.Event; raw?: Buffer }, 'new' | 'duplicate'>;

  constructor(db: Db, onStored: () => void, source: EventSource = 'webhook') {
    this.batcher = new Batcher(
      async (items) => {
        const events = items.map((i) => i.event);
        const raw = items.every((i) => i.raw) ? items.map((i) => i.raw as Buffer) : undefined;
        const fresh = await storeEvents(db, events, source, raw);
        if (fresh.size > 0) onStored();
        // An event id twice in one batch: the first is new, later ones are duplicates.
        const claimed = new Set<string>();
        return events.map((e) => {
          const isNew = fresh.has(e.id) && !claimed.has(e.id);
          if (isNew) claimed.add(e.id);
          return isNew ? 'new' : 'duplicate';
        });
      },
      // PostgreSQL: several batches commit at once over the pool, overlapping their disk flushes.
      // PGlite has one connection: one batch at a time.
      { maxBatch: 500, maxInFlight: db.kind === 'postgres' ? 4 : 1 },
    );
  }

  /** `raw`: the body the event was verified from, stored as it is (no second serialisation). */
  submit(event: Stripe.Event, raw?: Buffer): Promise<'new' | 'duplicate'> {
    return this.batcher.submit({ event, raw });
  }
}
