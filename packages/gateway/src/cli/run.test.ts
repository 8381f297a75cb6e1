import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { commands, runCli } from './run.js';

function capture() {
  const io = {
    stdout: '',
    stderr: '',
    out(s: string) {
      io.stdout += s;
    },
    err(s: string) {
      io.stderr += s;
    },
  };
  return io;
}

let tdb: TestDatabase;
before(async () => {
  tdb = await createTestDatabase();
});
after(async () => {
  await tdb.destroy();
});

function dbEnv(): Record<string, string> {
  return tdb.url ? { DATABASE_URL: tdb.url } : { PAYDESK_DATA_DIR: dirname(tdb.dataDir!) };
}

describe('paydesk CLI', () => {
  test('--help lists every subcommand with its summary', async () => {
    const io = capture();
    assert.equal(await runCli(['--help'], {}, io), 0);
    for (const [name, command] of Object.entries(commands)) {
      assert.match(io.stdout, new RegExp(`^  ${name}\\s+${command.summary.replace(/[.()]/g, '\\$&')}$`, 'm'));
    }
  });

  test('help for one command, and --help after a command', async () => {
    const a = capture();
    assert.equal(await runCli(['help', 'migrate'], {}, a), 0);
    assert.match(a.stdout, /^Usage: paydesk migrate/);
    const b = capture();
    assert.equal(await runCli(['serve', '--help'], {}, b), 0);
    assert.match(b.stdout, /^Usage: paydesk serve/);
  });

  test('an unknown command or option exits 2 with a hint', async () => {
    const a = capture();
    assert.equal(await runCli(['serv'], {}, a), 2);
    assert.match(a.stderr, /unknown command 'serv'.*--help/);
    const b = capture();
    assert.equal(await runCli(['migrate', '--force'], {}, b), 2);
    assert.match(b.stderr, /--force/);
  });

  test('migrate applies the migrations, then reports the database up to date', async () => {
    const first = capture();
    assert.equal(await runCli(['migrate'], dbEnv(), first), 0, first.stderr);
    assert.match(first.stdout, /^applied \d+ migration\(s\): 0001_settings\.sql/);
    const second = capture();
    assert.equal(await runCli(['migrate'], dbEnv(), second), 0, second.stderr);
    assert.match(second.stdout, /^database is up to date \(migration \d+\)/);
  });

  test('migrate refuses a database from a newer paydesk with exit code 1 and one line', async () => {
    const db = await tdb.open();
    await db.query(`INSERT INTO paydesk_migrations (version, name, checksum) VALUES (9999, 'future', 'x')`);
    if (tdb.kind === 'pglite') await db.close();
    const io = capture();
    assert.equal(await runCli(['migrate'], dbEnv(), io), 1);
    assert.equal(io.stderr.trim().split('\n').length, 1);
    assert.match(io.stderr, /^paydesk: the database has migration 9999 \(future\)/);
  });
});
