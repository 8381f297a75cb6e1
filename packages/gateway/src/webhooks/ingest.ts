// Stores verified events with group commit (platform/batcher.ts): concurrent deliveries share one
// transaction, and each caller is answered only after the transaction holding its event committed,
// so a 2xx always means "stored durably".
import type Stripe from 'stripe';
import { Batcher } from '../platform/batcher.js';
import type { Db } from '../platform/db/types.js';
import { type EventSource, storeEvents } from './store.js';

export class EventIngestor {
  private readonly batcher: Batcher<Stripe.Event, 'new' | 'duplicate'>;

  constructor(db: Db, onStored: () => void, source: EventSource = 'webhook') {
    this.batcher = new Batcher(
      async (events) => {
        const fresh = await db.transaction((tx) => storeEvents(tx, events, source));
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

  submit(event: Stripe.Event): Promise<'new' | 'duplicate'> {
    return this.batcher.submit(event);
  }
}
