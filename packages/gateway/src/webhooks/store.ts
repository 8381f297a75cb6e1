import type Stripe from 'stripe';
import { binaryArray } from '../platform/db/binary-array.js';
import type { Queryable } from '../platform/db/types.js';
import type { HandOff } from '../platform/queue/db/table.js';
import type { Job } from '../platform/queue/types.js';
import type { EventHead } from './event-head.js';
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
 * An event as a delivery brings it: the fields its row needs (read from the body without parsing it,
 * webhooks/event-head.ts) and the body as received, which is stored as it is.
 */
export interface ReceivedEvent {
  head: EventHead;
  raw: Buffer;
}

/** `event` as a delivery would bring it (its body serialised once). */
export function receivedEvent(event: Stripe.Event): ReceivedEvent {
  return { head: headOf(event), raw: Buffer.from(JSON.stringify(event)) };
}

function isReceived(e: Stripe.Event | ReceivedEvent): e is ReceivedEvent {
  return 'head' in e && 'raw' in e && Buffer.isBuffer(e.raw);
}

function headOf(e: Stripe.Event): EventHead {
  const object = e.data.object as { id?: unknown };
  return {
    id: e.id,
    type: e.type,
    created: e.created,
    livemode: e.livemode,
    api_version: e.api_version ?? null,
    object_id: typeof object.id === 'string' ? object.id : null,
  };
}

/**
 * Stores a batch of events in one statement (its own transaction when called outside one): each new
 * event is a pending row, its own apply-job (webhooks/event-queue.ts). With `hold`, the first
 * `hold.slots` of the batch are written already leased to `hold.worker` (DbJobQueue.reserve), and come
 * back in `held` for it to apply from memory; the others wait in the table for any worker. A received
 * event's body is stored as it came (the database checks that it is JSON: a body that is not fails
 * the statement with a data exception, SQLSTATE class 22); an event object is serialised. Returns
 * the ids that were new (the others had been stored before: a redelivery).
 */
export async function storeEvents(
  db: Queryable,
  events: readonly (Stripe.Event | ReceivedEvent)[],
  source: EventSource,
  options: { hold?: HandOff } = {},
): Promise<StoredBatch> {
  if (events.length === 0) return { fresh: new Set(), held: [] };
  const { hold } = options;
  const unique = new Map<string, Stripe.Event | Buffer>();
  const ids: string[] = [];
  const types: string[] = [];
  const created: number[] = [];
  const livemode: boolean[] = [];
  const apiVersions: (string | null)[] = [];
  const objectIds: (string | null)[] = [];
  const payloads: (Buffer | string)[] = [];
  for (const e of events) {
    const received = isReceived(e);
    const head = received ? e.head : headOf(e);
    if (unique.has(head.id)) continue; // the same event twice in one batch
    unique.set(head.id, received ? e.raw : e);
    ids.push(head.id);
    types.push(head.type);
    created.push(head.created);
    livemode.push(head.livemode);
    apiVersions.push(head.api_version);
    objectIds.push(head.object_id);
    payloads.push(received ? e.raw : JSON.stringify(e));
  }
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
      held.push(
        eventJob(Number(r.seq), r.id, unique.get(r.id) as Stripe.Event | Buffer, r.attempts, r.max_attempts),
      );
  }
  return { fresh: new Set(inserted.rows.map((r) => r.id)), held };
}

export async function eventById(db: Queryable, id: string): Promise<StoredEvent | undefined> {
  return (await db.query<StoredEvent>('SELECT * FROM stripe_events WHERE id = $1', [id])).rows[0];
}
