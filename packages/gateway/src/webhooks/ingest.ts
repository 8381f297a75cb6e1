// Stores verified events with group commit: while one batch is being written, new events gather;
// when it commits, the next batch goes at once. Each caller is answered only after the transaction
// holding its event has committed, so a 2xx always means "stored durably".
import type Stripe from 'stripe';
import type { Db } from '../platform/db/types.js';
import { type EventSource, storeEvents } from './store.js';

interface Pending {
  event: Stripe.Event;
  resolve: (stored: 'new' | 'duplicate') => void;
  reject: (err: unknown) => void;
}

export class EventIngestor {
  private waiting: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly db: Db,
    private readonly onStored: () => void,
    private readonly maxBatch = 500,
    private readonly source: EventSource = 'webhook',
  ) {}

  submit(event: Stripe.Event): Promise<'new' | 'duplicate'> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ event, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      try {
        const fresh = await this.db.transaction((tx) =>
          storeEvents(
            tx,
            batch.map((p) => p.event),
            this.source,
          ),
        );
        // An event id twice in one batch: the first is new, later ones are duplicates.
        const claimed = new Set<string>();
        for (const p of batch) {
          const isNew = fresh.has(p.event.id) && !claimed.has(p.event.id);
          if (isNew) claimed.add(p.event.id);
          p.resolve(isNew ? 'new' : 'duplicate');
        }
        if (fresh.size > 0) this.onStored();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.flushing = false;
  }
}
