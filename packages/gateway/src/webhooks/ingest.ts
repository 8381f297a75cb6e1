// Stores verified events with group commit (platform/batcher.ts): concurrent deliveries share one
// statement (its own transaction: one row per event, which is also its apply-job), and each caller is
// answered only after the statement holding its event committed, so a 2xx always means "stored
// durably". The events are written leased to this process's worker as far as it has room
// (DbJobQueue.reserve) and handed to it once committed, so it applies them without claiming or
// reading them back: this hand-off is the database backend's, which is why the ingestor names it.
import { Batcher } from '../platform/batcher.js';
import type { Db } from '../platform/db/types.js';
import type { DbJobQueue } from '../platform/queue/db/queue.js';
import { APPLY_EVENT_JOB } from './event-queue.js';
import { type EventSource, type ReceivedEvent, storeEvents } from './store.js';

/**
 * Deliveries waiting on storage (queued for a batch or in one being written) from which ingest
 * counts as pressed, and below which it no longer does. By Little's law that count is the arrival
 * rate times the time to store: a few at a steady 2,000/s (a commit takes milliseconds), dozens to
 * hundreds in a burst the database cannot keep up with.
 */
export const PRESSED_AT = 32;
export const RELIEVED_BELOW = 8;

/** What became of a delivered event: stored now, stored before, or refused by the database. */
export type IngestOutcome = 'new' | 'duplicate' | 'invalid';

/** A data exception (SQLSTATE class 22): the database refused a value, here a body that is not JSON. */
function isDataException(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('22');
}

export class EventIngestor {
  private readonly batcher: Batcher<ReceivedEvent, IngestOutcome>;
  private isPressed = false;

  constructor(
    private readonly db: Db,
    private readonly queue: DbJobQueue,
    private readonly source: EventSource = 'webhook',
  ) {
    this.batcher = new Batcher(
      async (events) => {
        try {
          return await this.store(events);
        } catch (err) {
          // One body the database refuses fails its whole statement: store the others one by one,
          // so that only the delivery at fault is refused (400) and none of the rest waits for
          // Stripe's retry.
          if (!isDataException(err)) throw err;
          if (events.length === 1) return ['invalid'];
          const outcomes: IngestOutcome[] = [];
          for (const e of events) {
            outcomes.push(
              await this.store([e]).then(
                ([o]) => o as IngestOutcome,
                (single) => {
                  if (isDataException(single)) return 'invalid';
                  throw single;
                },
              ),
            );
          }
          return outcomes;
        }
      },
      // PostgreSQL: three batches commit at once over the pool, overlapping their disk flushes (at
      // 100 concurrent deliveries 2 and 3 stored alike, 8,700-9,000/s; 4 made batches too small),
      // and while one is being written the next waits for 16 deliveries (or for the others to end).
      // PGlite has one connection: one batch at a time.
      { maxBatch: 500, maxInFlight: db.kind === 'postgres' ? 3 : 1, minBatchWhileBusy: 16 },
    );
  }

  /** Stores a batch, leased as far as the local worker has room, and hands those to it. */
  private async store(events: ReceivedEvent[]): Promise<IngestOutcome[]> {
    const { queue } = this;
    const hold = queue.reserve(APPLY_EVENT_JOB, events.length);
    let stored: Awaited<ReturnType<typeof storeEvents>>;
    try {
      stored = await storeEvents(this.db, events, this.source, { hold });
    } catch (err) {
      queue.adopt(APPLY_EVENT_JOB, hold, []);
      throw err;
    }
    queue.adopt(APPLY_EVENT_JOB, hold, stored.held);
    // Once this batch is settled the worker looks again: the pressure may be over, and events it
    // had no room for wait in the table.
    if (stored.fresh.size > stored.held.length) setImmediate(() => queue.poke());
    else if (stored.fresh.size > 0) setImmediate(() => queue.recheck());
    // An event id twice in one batch: the first is new, later ones are duplicates.
    const claimed = new Set<string>();
    return events.map(({ head: { id } }) => {
      const isNew = stored.fresh.has(id) && !claimed.has(id);
      if (isNew) claimed.add(id);
      return isNew ? 'new' : 'duplicate';
    });
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

  /** A verified delivery: stored (with its apply-job) once this resolves, unless it is 'invalid'. */
  submit(event: ReceivedEvent): Promise<IngestOutcome> {
    return this.batcher.submit(event);
  }

  /** Resolves once every delivery submitted so far is stored (or refused). */
  close(): Promise<void> {
    return this.batcher.settled();
  }
}
