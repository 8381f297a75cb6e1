// Billing-page sessions (migration 0009): only the sha256 of the cookie's session id is stored.
import type { Queryable } from '../platform/db/types.js';

export interface PageSessionRow {
  id_hash: string;
  customer_id: string;
  external_id: string;
  email: string | null;
  csrf_token: string;
  created_at: Date;
  expires_at: Date;
}

const columns = 'id_hash, customer_id, external_id, email, csrf_token, created_at, expires_at';

export async function insertSession(db: Queryable, row: Omit<PageSessionRow, 'created_at'>): Promise<void> {
  await db.query(
    'INSERT INTO page_sessions (id_hash, customer_id, external_id, email, csrf_token, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
    [row.id_hash, row.customer_id, row.external_id, row.email, row.csrf_token, row.expires_at],
  );
}

/** The session if it exists and has not expired at `now`. */
export async function liveSession(
  db: Queryable,
  idHash: string,
  now: Date,
): Promise<PageSessionRow | undefined> {
  const r = await db.query<PageSessionRow>(
    `SELECT ${columns} FROM page_sessions WHERE id_hash = $1 AND expires_at > $2`,
    [idHash, now],
  );
  return r.rows[0];
}

export async function deleteSession(db: Queryable, idHash: string): Promise<void> {
  await db.query('DELETE FROM page_sessions WHERE id_hash = $1', [idHash]);
}

/** Deletes sessions that expired before `now` (called on sign-in, so the table stays small). */
export async function deleteExpiredSessions(db: Queryable, now: Date): Promise<number> {
  const r = await db.query('DELETE FROM page_sessions WHERE expires_at <= $1', [now]);
  return r.rowCount;
}
