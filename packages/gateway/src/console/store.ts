// The console's own tables: its sessions and the audit log (migration 0013).
import type { Queryable } from '../platform/db/types.js';

export type ConsoleRole = 'admin' | 'read_only';

export interface ConsoleSessionRow {
  id_hash: string;
  role: ConsoleRole;
  operator: string | null;
  csrf_token: string;
  created_at: Date;
  expires_at: Date;
}

export async function insertConsoleSession(
  db: Queryable,
  row: Omit<ConsoleSessionRow, 'created_at'>,
  now: Date,
) {
  await db.query(
    `INSERT INTO console_sessions (id_hash, role, operator, csrf_token, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [row.id_hash, row.role, row.operator, row.csrf_token, now, row.expires_at],
  );
}

export async function liveConsoleSession(
  db: Queryable,
  idHash: string,
  now: Date,
): Promise<ConsoleSessionRow | undefined> {
  const { rows } = await db.query<ConsoleSessionRow>(
    `SELECT id_hash, role, operator, csrf_token, created_at, expires_at
     FROM console_sessions WHERE id_hash = $1 AND expires_at > $2`,
    [idHash, now],
  );
  return rows[0];
}

export async function deleteConsoleSession(db: Queryable, idHash: string): Promise<void> {
  await db.query('DELETE FROM console_sessions WHERE id_hash = $1', [idHash]);
}

export async function deleteExpiredConsoleSessions(db: Queryable, now: Date): Promise<void> {
  await db.query('DELETE FROM console_sessions WHERE expires_at <= $1', [now]);
}

export interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
}

export async function insertAudit(
  db: Queryable,
  entry: { at: Date; actor: string; action: string; target: string | null; details: Record<string, unknown> },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO audit_log (at, actor, action, target, details) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [entry.at, entry.actor, entry.action, entry.target, JSON.stringify(entry.details)],
  );
  return String(rows[0]!.id);
}

/** Newest first, after the cursor's id; filtered by action (exact) and actor (substring). */
export async function listAudit(
  db: Queryable,
  q: { action?: string | undefined; actor?: string | undefined; before?: string | undefined; limit: number },
): Promise<AuditRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.action) where.push(`action = $${params.push(q.action)}`);
  if (q.actor) where.push(`strpos(lower(actor), lower($${params.push(q.actor)})) > 0`);
  if (q.before) where.push(`id < $${params.push(q.before)}`);
  const { rows } = await db.query<AuditRow>(
    `SELECT id::text AS id, at, actor, action, target, details FROM audit_log
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY id DESC LIMIT $${params.push(q.limit)}`,
    params,
  );
  return rows;
}

export async function auditActions(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ action: string }>(
    'SELECT DISTINCT action FROM audit_log ORDER BY action LIMIT 200',
  );
  return rows.map((r) => r.action);
}
