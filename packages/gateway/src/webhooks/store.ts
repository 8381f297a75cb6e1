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

function objectId(event: Stripe.Event): string | null {
  const obj = event.data.object as { id?: unknown };
  return typeof obj.id === 'string' ? obj.id : null;
}

/**
 * Stores a batch of events and, in the same transaction, one apply-job per event that was new.
 * Returns the ids that were new (the others had been stored before: a redelivery).
 */
export async function storeEvents(
  tx: Queryable,
  events: readonly Stripe.Event[],
  source: EventSource,
): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const ids: string[] = [];
  const types: string[] = [];
  const created: string[] = [];
  const livemode: boolean[] = [];
  const apiVersions: (string | null)[] = [];
  const objectIds: (string | null)[] = [];
  const payloads: string[] = [];
  const seen = new Set<string>();
  for (const e of events) {
    if (seen.has(e.id)) continue; // the same event twice in one batch
    seen.add(e.id);
    ids.push(e.id);
    types.push(e.type);
    created.push(new Date(e.created * 1000).toISOString());
    livemode.push(e.livemode);
    apiVersions.push(e.api_version ?? null);
    objectIds.push(objectId(e));
    payloads.push(JSON.stringify(e));
  }
  const inserted = await tx.query<{ id: string }>(
    `INSERT INTO stripe_events (id, type, created, livemode, api_version, object_id, payload, source)
     SELECT u.id, u.type, u.created, u.livemode, u.api_version, u.object_id, u.payload::jsonb, $8
     FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::boolean[], $5::text[], $6::text[], $7::text[])
       AS u(id, type, created, livemode, api_version, object_id, payload)
     ON CONFLICT (id) DO NOTHING
     RETURNING id`,
    [ids, types, created, livemode, apiVersions, objectIds, payloads, source],
  );
  const fresh = inserted.rows.map((r) => r.id);
  if (fresh.length > 0) {
    await tx.query(
      `INSERT INTO jobs (kind, key, payload)
       SELECT $1, id, jsonb_build_object('event_id', id) FROM unnest($2::text[]) AS id
       ON CONFLICT (kind, key) WHERE key IS NOT NULL DO NOTHING`,
      [APPLY_EVENT_JOB, fresh],
    );
  }
  return new Set(fresh);
}

export async function eventById(db: Queryable, id: string): Promise<StoredEvent | undefined> {
  return (await db.query<StoredEvent>('SELECT * FROM stripe_events WHERE id = $1', [id])).rows[0];
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
