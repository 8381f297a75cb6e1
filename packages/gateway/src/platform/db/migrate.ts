// Forward-only SQL migrations: files NNNN_name.sql, applied in order, each in its own transaction,
// under an advisory lock so that instances starting together apply each one exactly once.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db, Queryable } from './types.js';

/** The migrations shipped with paydesk (packages/gateway/migrations), from src/ or dist/ alike. */
export const defaultMigrationsDir = fileURLToPath(new URL('../../../migrations/', import.meta.url));

/** pg_advisory_lock key: the first 8 bytes of sha256('paydesk:migrations'), fixed forever. */
export const MIGRATION_LOCK_KEY = createHash('sha256')
  .update('paydesk:migrations')
  .digest()
  .readBigInt64BE(0);

export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
    this.name = 'MigrationError';
  }
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export async function loadMigrations(dir: string = defaultMigrationsDir): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const m = FILE_PATTERN.exec(file);
    if (!m) throw new MigrationError(`migration file name must look like 0001_name.sql: ${file}`, file);
    const sql = await readFile(join(dir, file), 'utf8');
    const version = Number(m[1]);
    const previous = migrations.at(-1);
    if (previous && previous.version === version) {
      throw new MigrationError(`two migrations share version ${m[1]}: ${previous.file}, ${file}`, file);
    }
    migrations.push({
      version,
      name: m[2]!,
      file,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  return migrations;
}

const ensureTable = `CREATE TABLE IF NOT EXISTS paydesk_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

interface Applied {
  version: number;
  name: string;
  checksum: string;
}

async function appliedMigrations(q: Queryable): Promise<Applied[]> {
  const exists = await q.query<{ t: string | null }>(`SELECT to_regclass('paydesk_migrations')::text AS t`);
  if (!exists.rows[0]?.t) return [];
  const r = await q.query<{ version: number; name: string; checksum: string }>(
    'SELECT version, name, checksum FROM paydesk_migrations ORDER BY version',
  );
  return r.rows;
}

function checkHistory(applied: Applied[], available: Migration[]): void {
  const byVersion = new Map(available.map((m) => [m.version, m]));
  for (const a of applied) {
    const m = byVersion.get(a.version);
    if (!m) {
      throw new MigrationError(
        `the database has migration ${a.version} (${a.name}) that this paydesk does not know: is it older than the database?`,
      );
    }
    if (m.checksum !== a.checksum) {
      throw new MigrationError(
        `migration ${m.file} was changed after it was applied; add a new migration instead`,
        m.file,
      );
    }
  }
}

export interface MigrateResult {
  applied: string[];
  current: number;
  /** Every migration this build ships, applied or not. */
  migrations: Migration[];
}

/** Applies every pending migration; throws MigrationError naming the file and the database's error. */
export async function migrate(db: Db, dir: string = defaultMigrationsDir): Promise<MigrateResult> {
  const available = await loadMigrations(dir);
  return db.withAdvisoryLock(MIGRATION_LOCK_KEY, async (conn) => {
    await conn.exec(ensureTable);
    const applied = await appliedMigrations(conn);
    checkHistory(applied, available);
    const done = new Set(applied.map((a) => a.version));
    const names: string[] = [];
    for (const m of available) {
      if (done.has(m.version)) continue;
      try {
        await conn.transaction(async (tx) => {
          await tx.exec(m.sql);
          await tx.query('INSERT INTO paydesk_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
            m.version,
            m.name,
            m.checksum,
          ]);
        });
      } catch (err) {
        throw new MigrationError(`migration ${m.file} failed: ${(err as Error).message}`, m.file);
      }
      names.push(m.file);
    }
    return { applied: names, current: available.at(-1)?.version ?? 0, migrations: available };
  });
}

export interface MigrationStatus {
  current: number;
  latest: number;
  pending: number;
}

/** Compares the database with the shipped migrations, without changing anything (for /readyz). */
export async function migrationStatus(
  db: Queryable,
  available: readonly Migration[],
): Promise<MigrationStatus> {
  const applied = await appliedMigrations(db);
  const done = new Set(applied.map((a) => a.version));
  return {
    current: applied.at(-1)?.version ?? 0,
    latest: available.at(-1)?.version ?? 0,
    pending: available.filter((m) => !done.has(m.version)).length,
  };
}
