import type Stripe from 'stripe';
import type { Queryable } from '../platform/db/types.js';

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
}

/** The kind of job that applies one stored event. */
export const APPLY_EVENT_JOB = 'stripe_event';

/**
 * Stores a batch of events and, in the same statement, one apply-job per event that was new. One
 * statement is its own transaction (no BEGIN/COMMIT round trips when called outside one), and the
 * events and their jobs commit together or not at all. `raw`, when given, holds each event's body as
 * received (verified JSON of the same event): it is stored as it is instead of serialising the event
 * again. The batch travels as one JSON array; PostgreSQL takes the columns out of it. Returns the ids
 * that were new (the others had been stored before: a redelivery).
 */
export async function storeEvents(
  db: Queryable,
  events: readonly Stripe.Event[],
  source: EventSource,
  raw?: readonly Buffer[],
): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const parts: string[] = [];
  const seen = new Set<string>();
  events.forEach((e, i) => {
    if (seen.has(e.id)) return; // the same event twice in one batch
    seen.add(e.id);
    parts.push(raw?.[i]?.toString('utf8') ?? JSON.stringify(e));
  });
  const inserted = await db.query<{ id: string }>(
    `WITH fresh AS (
       INSERT INTO stripe_events (id, type, created, livemode, api_version, object_id, payload, source)
       SELECT e->>'id', e->>'type', to_timestamp((e->>'created')::float8), (e->>'livemode')::boolean,
              e->>'api_version',
              CASE WHEN jsonb_typeof(e->'data'->'object'->'id') = 'string' THEN e->'data'->'object'->>'id' END,
              e, $2
       FROM jsonb_array_elements($1::jsonb) AS u(e)
       ON CONFLICT (id) DO NOTHING
       RETURNING id
     ), jobs AS (
       INSERT INTO jobs (kind, key, payload)
       SELECT $3, id, jsonb_build_object('event_id', id) FROM fresh
       ON CONFLICT (kind, key) WHERE key IS NOT NULL DO NOTHING
     )
     SELECT id FROM fresh`,
    [`[${parts.join(',')}]`, source, APPLY_EVENT_JOB],
  );
  return new Set(inserted.rows.map((r) => r.id));
}

export async function eventById(db: Queryable, id: string): Promise<StoredEvent | undefined> {
  return (await db.query<StoredEvent>('SELECT * FROM stripe_events WHERE id = $1', [id])).rows[0];
}

/** Many stored events in one statement, by id (those not stored are absent). */
export async function eventsByIds(db: Queryable, ids: readonly string[]): Promise<Map<string, StoredEvent>> {
  const r = await db.query<StoredEvent>('SELECT * FROM stripe_events WHERE id = ANY($1::text[])', [ids]);
  return new Map(r.rows.map((e) => [e.id, e]));
}

/** Records the outcome of many events in one statement. */
export async function setEventStatuses(
  db: Queryable,
  outcomes: readonly { id: string; status: EventStatus; reason: string | null }[],
): Promise<void> {
  await db.query(
    `UPDATE stripe_events AS e SET status = u.status, status_reason = u.reason,
            processed_at = CASE WHEN u.status = 'pending' THEN NULL ELSE now() END
     FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, status, reason)
     WHERE e.id = u.id`,
    [outcomes.map((o) => o.id), outcomes.map((o) => o.status), outcomes.map((o) => o.reason)],
  );
}

export async function setEventStatus(
  db: Queryable,
  id: string,
  status: EventStatus,
  reason: string | null,
): Promise<void> {
  await db.query(
    `UPDATE stripe_events SET status = $2, status_reason = $3, processed_at = CASE WHEN $2 = 'pending' THEN NULL ELSE now() END WHERE id = $1`,
    [id, status, reason],
  );
}
