// The jobs table as an operator sees it: listed by status and kind, a dead job queued again.
import type { Queryable } from '../platform/db/types.js';

export const jobStatuses = ['queued', 'running', 'done', 'dead'] as const;
export type JobStatus = (typeof jobStatuses)[number];

export interface JobRow {
  id: number;
  kind: string;
  key: string | null;
  payload: Record<string, unknown>;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  run_at: Date;
  created_at: Date;
  updated_at: Date;
}

const columns =
  'id, kind, key, payload, status, attempts, max_attempts, last_error, run_at, created_at, updated_at';

/** Newest first; `before` is the id of the last job of the previous page. */
export async function listJobRows(
  db: Queryable,
  q: {
    status?: JobStatus | undefined;
    /** Only jobs whose last attempt failed and that will be tried again (queued, attempts > 0). */
    retrying?: boolean | undefined;
    kind?: string | undefined;
    before?: number | undefined;
    limit: number;
  },
): Promise<JobRow[]> {
  const r = await db.query<JobRow>(
    `SELECT ${columns} FROM jobs
     WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR kind = $2) AND ($3::bigint IS NULL OR id < $3)
       AND (NOT $5::boolean OR (status = 'queued' AND attempts > 0))
     ORDER BY id DESC LIMIT $4`,
    [q.status ?? null, q.kind ?? null, q.before ?? null, q.limit, q.retrying === true],
  );
  return r.rows.map((j) => ({ ...j, id: Number(j.id) }));
}

export async function jobById(db: Queryable, id: number): Promise<JobRow | undefined> {
  const r = await db.query<JobRow>(`SELECT ${columns} FROM jobs WHERE id = $1`, [id]);
  return r.rows[0] ? { ...r.rows[0], id: Number(r.rows[0].id) } : undefined;
}
