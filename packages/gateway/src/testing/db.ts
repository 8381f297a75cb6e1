// Test databases: PostgreSQL when PAYDESK_TEST_DATABASE_URL is set (CI), else PGlite. Each test file
// gets a fresh database: on PostgreSQL a new database created for it, on PGlite a copy of the
// pre-initialised template (a file copy, instead of an initdb per file).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
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

export async function createTestDatabase(): Promise<TestDatabase> {
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
  const templateDir = await ensurePgliteTemplate();
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
