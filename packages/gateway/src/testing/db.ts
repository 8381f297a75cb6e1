// Test databases: PostgreSQL when PAYDESK_TEST_DATABASE_URL is set (CI), else PGlite. Each test file
// gets a fresh database: on PostgreSQL a new database created for it, on PGlite a copy of a template
// (a file copy, instead of an initdb per file) that already has paydesk's migrations applied, made
// once per set of migrations, so that a test file does not spend seconds of CPU migrating.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import pg from 'pg';
import { loadMigrations, migrate } from '../platform/db/migrate.js';
import { openPglite } from '../platform/db/pglite.js';
import { ensurePgliteTemplate } from '../platform/db/pglite-template.js';
import { openPostgres } from '../platform/db/postgres.js';
import type { Db } from '../platform/db/types.js';

export interface TestDatabase {
  kind: 'pglite' | 'postgres';
  /** Opens a handle on this database: a new pool on PostgreSQL; on PGlite a new instance on the same directory is not possible, so it returns the first. */
  open(): Promise<Db>;
  /** The PostgreSQL URL, or undefined on PGlite. */
  url: string | undefined;
  /** PGlite only: the data directory. */
  dataDir: string | undefined;
  /** Makes the database unreachable under the handles already open, as an outage would. */
  takeDown(): Promise<void>;
  /** Drops the database (PostgreSQL) or removes the directory (PGlite), closing handles first. */
  destroy(): Promise<void>;
}

export const testDatabaseUrl = process.env.PAYDESK_TEST_DATABASE_URL || undefined;

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabaseOptions {
  /**
   * PGlite: start from a copy of the template with paydesk's migrations applied (default), or from
   * the pristine one (false: for tests of migrating itself). PostgreSQL databases start empty either
   * way; the app's migrate() brings them up to date.
   */
  migrated?: boolean;
}

/**
 * The pristine PGlite template with paydesk's migrations applied, beside it in node_modules/.cache,
 * named by a hash of the migrations (a changed or added migration makes a new one; older ones are
 * removed). Safe when several test processes race to make it.
 */
async function migratedPgliteTemplate(pristine: string): Promise<string> {
  const hash = createHash('sha256');
  for (const m of await loadMigrations()) hash.update(`${m.file}:${m.checksum}\n`);
  const prefix = `${basename(pristine)}-migrated-`;
  const dir = join(dirname(pristine), `${prefix}${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(join(dir, 'PG_VERSION'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await cp(pristine, tmp, { recursive: true });
  const db = await openPglite({ dataDir: tmp });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  try {
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'PG_VERSION'))) throw err;
  }
  for (const old of readdirSync(dirname(pristine))) {
    if (old.startsWith(prefix) && join(dirname(pristine), old) !== dir && !old.includes('.tmp-'))
      await rm(join(dirname(pristine), old), { recursive: true, force: true });
  }
  return dir;
}

export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const handles: Db[] = [];
  if (testDatabaseUrl) {
    const name = `paydesk_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    await admin(testDatabaseUrl, (c) => c.query(`CREATE DATABASE ${name}`));
    const url = withDatabase(testDatabaseUrl, name);
    return {
      kind: 'postgres',
      url,
      dataDir: undefined,
      async open() {
        const db = openPostgres({ url, poolSize: 5, applicationName: 'paydesk-test' });
        handles.push(db);
        return db;
      },
      async takeDown() {
        // FORCE terminates the open connections; new ones then fail: the database is gone.
        await admin(testDatabaseUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      },
      async destroy() {
        await Promise.all(handles.map((h) => h.close().catch(() => {})));
        await admin(testDatabaseUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      },
    };
  }
  const pristine = await ensurePgliteTemplate();
  const templateDir = options.migrated === false ? pristine : await migratedPgliteTemplate(pristine);
  const root = await mkdtemp(join(tmpdir(), 'paydesk-test-'));
  const dataDir = join(root, 'pglite');
  let shared: Db | undefined;
  return {
    kind: 'pglite',
    url: undefined,
    dataDir,
    async open() {
      if (!shared) {
        shared = await openPglite({ dataDir, templateDir });
        handles.push(shared);
      }
      return shared;
    },
    async takeDown() {
      await shared?.close();
    },
    async destroy() {
      await Promise.all(handles.map((h) => h.close().catch(() => {})));
      await rm(root, { recursive: true, force: true });
    },
  };
}
