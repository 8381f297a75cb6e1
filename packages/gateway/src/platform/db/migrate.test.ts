import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../testing/db.js';
import { loadMigrations, MigrationError, migrate, migrationStatus } from './migrate.js';
import type { Db } from './types.js';

let tdb: TestDatabase;
let db: Db;
let dirs: string[] = [];

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'paydesk-migrations-'));
  dirs.push(dir);
  for (const [name, sql] of Object.entries(files)) await writeFile(join(dir, name), sql);
  return dir;
}

async function resetSchema() {
  await db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
}

before(async () => {
  tdb = await createTestDatabase({ migrated: false });
  db = await tdb.open();
});
after(async () => {
  await tdb.destroy();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

describe(`migrations (${process.env.PAYDESK_TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  test('the shipped migrations apply to a fresh database; a second run is a no-op', async () => {
    await resetSchema();
    const first = await migrate(db);
    const shipped = await loadMigrations();
    assert.deepEqual(
      first.applied,
      shipped.map((m) => m.file),
    );
    const second = await migrate(db);
    assert.deepEqual(second.applied, []);
    assert.equal(second.current, shipped.at(-1)?.version);
    const status = await migrationStatus(db, shipped);
    assert.equal(status.pending, 0);
    const t = await db.query<{ t: string | null }>(`SELECT to_regclass('paydesk_settings')::text AS t`);
    assert.equal(t.rows[0]?.t, 'paydesk_settings');
  });

  test('a broken migration stops with its file name and the database error; earlier ones stay applied', async () => {
    await resetSchema();
    const dir = await migrationsDir({
      '0001_ok.sql': 'CREATE TABLE a (id int PRIMARY KEY);',
      '0002_broken.sql': 'CREATE TABLE b (id int PRIMARY KEY);\nINSERT INTO missing_table VALUES (1);',
      '0003_after.sql': 'CREATE TABLE c (id int);',
    });
    await assert.rejects(
      migrate(db, dir),
      (err: unknown) =>
        err instanceof MigrationError &&
        err.file === '0002_broken.sql' &&
        /0002_broken\.sql/.test(err.message) &&
        /missing_table/.test(err.message),
    );
    const applied = await db.query<{ version: number }>(
      'SELECT version FROM paydesk_migrations ORDER BY version',
    );
    assert.deepEqual(
      applied.rows.map((r) => r.version),
      [1],
    );
    // The failed migration ran in a transaction: its first statement left nothing behind.
    const b = await db.query<{ t: string | null }>(`SELECT to_regclass('b')::text AS t`);
    assert.equal(b.rows[0]?.t, null);
  });

  test('an applied migration whose file changed is refused', async () => {
    await resetSchema();
    const dir = await migrationsDir({ '0001_a.sql': 'CREATE TABLE a (id int);' });
    await migrate(db, dir);
    await writeFile(join(dir, '0001_a.sql'), 'CREATE TABLE a (id bigint);');
    await assert.rejects(migrate(db, dir), /0001_a\.sql was changed after it was applied/);
  });

  test('a database newer than this build is refused', async () => {
    await resetSchema();
    const dir = await migrationsDir({ '0001_a.sql': 'SELECT 1;', '0002_b.sql': 'SELECT 2;' });
    await migrate(db, dir);
    const older = await migrationsDir({ '0001_a.sql': 'SELECT 1;' });
    await assert.rejects(migrate(db, older), /migration 2 \(b\) that this paydesk does not know/);
  });

  test('badly named migration files are refused before anything runs', async () => {
    const dir = await migrationsDir({ '1_first.sql': 'SELECT 1;' });
    await assert.rejects(migrate(db, dir), /must look like 0001_name\.sql: 1_first\.sql/);
  });

  test('two instances migrating at once apply each migration exactly once', async () => {
    await resetSchema();
    // Each migration appends a row, so running one twice would show.
    const dir = await migrationsDir({
      '0001_log.sql': 'CREATE TABLE runs (n int NOT NULL); INSERT INTO runs VALUES (1);',
      '0002_slow.sql': 'SELECT pg_sleep(0.3); INSERT INTO runs VALUES (2);',
      '0003_more.sql': 'INSERT INTO runs VALUES (3);',
    });
    const other = await tdb.open();
    const results = await Promise.all([migrate(db, dir), migrate(other, dir), migrate(db, dir)]);
    const runs = await db.query<{ n: number }>('SELECT n FROM runs ORDER BY n');
    assert.deepEqual(
      runs.rows.map((r) => r.n),
      [1, 2, 3],
    );
    assert.deepEqual(results.map((r) => r.applied.length).sort(), [0, 0, 3]);
  });
});
