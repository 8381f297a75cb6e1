// A notification's deliveries: the notify jobs that carry it, in the order they were queued.
import type { Queryable } from '../platform/db/types.js';

export interface DeliveryRow {
  id: number;
  key: string | null;
  payload: Record<string, unknown>;
  status: 'queued' | 'running' | 'done' | 'dead';
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

const columns =
  'id, key, payload, status, attempts, max_attempts, last_error, created_at, updated_at, finished_at';

/** Every delivery of notification `id` (ntf_…), oldest first (index jobs_notification). */
export async function deliveriesOf(db: Queryable, kind: string, id: string): Promise<DeliveryRow[]> {
  const r = await db.query<DeliveryRow>(
    `SELECT ${columns} FROM jobs WHERE kind = $1 AND payload -> 'notification' ->> 'id' = $2 ORDER BY id`,
    [kind, id],
  );
  return r.rows.map((d) => ({ ...d, id: Number(d.id) }));
}

export async function deliveryByKey(
  db: Queryable,
  kind: string,
  key: string,
): Promise<DeliveryRow | undefined> {
  const r = await db.query<DeliveryRow>(`SELECT ${columns} FROM jobs WHERE kind = $1 AND key = $2`, [
    kind,
    key,
  ]);
  return r.rows[0] ? { ...r.rows[0], id: Number(r.rows[0].id) } : undefined;
}
