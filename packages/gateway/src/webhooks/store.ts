import type Stripe from 'stripe';
import { binaryArray } from '../platform/db/binary-array.js';
import type { Queryable } from '../platform/db/types.js';
import type { HandOff, Job } from '../platform/queue/types.js';
import { eventJob } from './event-queue.js';

export type EventSource = 'webhook' | 'reconcile' | 'replay';
export type EventStatus = 'pending' | 'processed' | 'ignored' | 'failed';

export interface StoredEvent {
  id: string;
  type: string;
  created: Date;
  livemode: boolean;
  object_id: string | null;
  payload: Stripe.Event;
  source: EventSource;
  received_at: Date;
  status: EventStatus;
  status_reason: string | null;
  processed_at: Date | null;
  /** The apply-job's columns (webhooks/event-queue.ts). */
  seq: string;
  attempts: number;
  max_attempts: number;
  run_at: Date;
  locked_by: string | null;
  last_error: string | null;
}

export { APPLY_EVENT_JOB } from './event-queue.js';

/** Events a batch stored for the first time, and the apply-jobs of those the local worker holds. */
export interface StoredBatch {
  fresh: Set<string>;
  held: Job[];
}

/**
 * storeEvents' statement. The rows arrive as arrays (platform/db/binary-array.ts), so its text is the
 * same for any number of events: PostgreSQL parses and plans it once per connection, not per batch.
 * Row n (from 1) is held by the worker ($2, for $3 ms) when n <= $4.
 */
const INSERT_EVENTS = `INSERT INTO stripe_events (id, type, created, livemode, api_version, object_id, payload, source, attempts, locked_by, run_at)
  SELECT v.id, v.type, to_timestamp(v.created), v.livemode, v.api_version, v.object_id, v.payload, $1,
         CASE WHEN v.n <= $4 THEN 1 ELSE 0 END, CASE WHEN v.n <= $4 THEN $2 END,
         CASE WHEN v.n <= $4 THEN now() + ($3::int * interval '1 millisecond') ELSE now() END
  FROM unnest($5::text[], $6::text[], $7::int8[], $8::bool[], $9::text[], $10::text[], $11::json[])
       WITH ORDINALITY AS v(id, type, created, livemode, api_version, object_id, payload, n)
  ON CONFLICT (id) DO NOTHING
  RETURNING seq, id, attempts, max_attempts`;

/**
 * Stores a batch of events in one statement (its own transaction when called outside one): each new
 * event is a pending row, its own apply-job (webhooks/event-queue.ts). With `hold`, the first
 * `hold.slots` of the batch are written already leased to `hold.worker` (JobQueue.reserve), and come
 * back in `held` for it to apply from memory; the others wait in the table for any worker. `raw`, when
 * given, holds each event's body as received (verified JSON of the same event): it is stored as it is
 * instead of serialising the event again. Returns the ids that were new (the others had been stored
 * before: a redelivery).
 */
export async function storeEvents(
  db: Queryable,
  events: readonly Stripe.Event[],
  source: EventSource,
  options: { raw?: readonly Buffer[]; hold?: HandOff } = {},
): Promise<StoredBatch> {
  if (events.length === 0) return { fresh: new Set(), held: [] };
  const { raw, hold } = options;
  const unique = new Map<string, Stripe.Event>();
  const ids: string[] = [];
  const types: string[] = [];
  const created: number[] = [];
  const livemode: boolean[] = [];
  const apiVersions: (string | null)[] = [];
  const objectIds: (string | null)[] = [];
  const payloads: (Buffer | string)[] = [];
  events.forEach((e, i) => {
    if (unique.has(e.id)) return; // the same event twice in one batch
    unique.set(e.id, e);
    const object = e.data.object as { id?: unknown };
    ids.push(e.id);
    types.push(e.type);
    created.push(e.created);
    livemode.push(e.livemode);
    apiVersions.push(e.api_version ?? null);
    objectIds.push(typeof object.id === 'string' ? object.id : null);
    payloads.push(raw?.[i] ?? JSON.stringify(e));
  });
  const inserted = await db.query<{ seq: string; id: string; attempts: number; max_attempts: number }>(
    INSERT_EVENTS,
    [
      source,
      hold?.worker ?? null,
      hold?.leaseMs ?? 0,
      hold?.slots ?? 0,
      binaryArray('text', ids),
      binaryArray('text', types),
      binaryArray('int8', created),
      binaryArray('bool', livemode),
      binaryArray('text', apiVersions),
      binaryArray('text', objectIds),
      binaryArray('json', payloads),
    ],
  );
  const held: Job[] = [];
  for (const r of inserted.rows) {
    if (r.attempts > 0)
      held.push(eventJob(Number(r.seq), unique.get(r.id) as Stripe.Event, r.attempts, r.max_attempts));
  }
  return { fresh: new Set(inserted.rows.map((r) => r.id)), held };
}

export async function eventById(db: Queryable, id: string): Promise<StoredEvent | undefined> {
  return (await db.query<StoredEvent>('SELECT * FROM stripe_events WHERE id = $1', [id])).rows[0];
}
