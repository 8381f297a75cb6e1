import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { startServer } from '../server.js';
import { LogCapture } from '../testing/app.js';
import { captureIo } from '../testing/cli-io.js';
import { createTestDatabase, type TestDatabase, testDatabaseUrl } from '../testing/db.js';
import { runCli } from './run.js';

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

async function cli(args: string[], env: Record<string, string> = dbEnv()) {
  const io = captureIo();
  const code = await runCli(args, env, io);
  return { code, ...io };
}

function createdKey(stdout: string): { key: string; id: string } {
  const m = /^(pdk_([A-Za-z0-9]{16})_[A-Za-z0-9]{32})$/m.exec(stdout);
  assert.ok(m, `no key in: ${stdout}`);
  return { key: m[1]!, id: m[2]! };
}

describe('paydesk keys, with no paydesk running', () => {
  if (testDatabaseUrl) {
    test('on a PostgreSQL database not migrated yet it says to run paydesk migrate (exit 1)', async () => {
      const r = await cli(['keys', 'list']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no api_keys table yet: run `paydesk migrate` first/);
      assert.equal((await cli(['migrate'])).code, 0);
    });
  }

  test('create prints the key once with a warning; list shows it without the secret; revoke by id', async () => {
    const c = await cli(['keys', 'create', '--name', 'web backend', '--scopes', 'read,write,refunds']);
    assert.equal(c.code, 0, c.stderr);
    const { key, id } = createdKey(c.stdout);
    assert.match(c.stdout, new RegExp(`API key ${id} \\(web backend\\), scopes read, write, refunds\\.`));
    assert.match(c.stdout, /will not be shown again/);

    const l = await cli(['keys', 'list']);
    assert.equal(l.code, 0, l.stderr);
    assert.match(l.stdout, /^ID\s+NAME\s+SCOPES\s+CREATED\s+LAST USED\s+STATUS$/m);
    assert.match(
      l.stdout,
      new RegExp(`^${id}\\s+web backend\\s+read,write,refunds\\s+\\S+ \\S+\\s+-\\s+active$`, 'm'),
    );
    assert.ok(!l.stdout.includes(key.slice(22)), 'the secret is never listed');

    const r = await cli(['keys', 'revoke', id]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `API key ${id} revoked.\n`);
    const json = await cli(['keys', 'list', '--json']);
    const listed = (JSON.parse(json.stdout) as { data: { id: string; revoked_at: string | null }[] }).data;
    assert.ok(listed.find((k) => k.id === id)?.revoked_at);

    const again = await cli(['keys', 'revoke', id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`no active API key ${id}`));
  });

  test('default scopes are read and write; revoke accepts the whole key', async () => {
    const c = await cli(['keys', 'create', '--name', 'defaults']);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /scopes read, write\./);
    const { key, id } = createdKey(c.stdout);
    const r = await cli(['keys', 'revoke', key]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `API key ${id} revoked.\n`, 'reports the id, never echoes the secret');
  });

  test('usage errors exit 2: no name, an unknown scope, no key to revoke; the group alone lists its commands', async () => {
    const a = await cli(['keys', 'create']);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /--name is required[\s\S]*Usage: paydesk keys create/);
    const b = await cli(['keys', 'create', '--name', 'x', '--scopes', 'read,admin']);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /unknown scope 'admin'/);
    const c = await cli(['keys', 'revoke']);
    assert.equal(c.code, 2);
    const d = await cli(['keys']);
    assert.equal(d.code, 2);
    assert.match(d.stderr, /keys create[\s\S]*keys list[\s\S]*keys revoke/);
    const e = await cli(['keys', '--help']);
    assert.equal(e.code, 0);
    assert.match(e.stdout, /Usage: paydesk keys <create\|list\|revoke>/);
  });
});

describe('paydesk keys, with paydesk running on the same data', () => {
  test('keys are created, listed and revoked through the running paydesk, and work there at once', async () => {
    const logs = new LogCapture();
    const config = loadConfig({
      PORT: '0',
      PAYDESK_EMULATOR_PORT: '0',
      PAYDESK_LOG_LEVEL: 'info',
      ...dbEnv(),
    });
    const server = await startServer(config, { logger: createLogger(config, logs) });
    try {
      if (tdb.kind === 'pglite') {
        const info = JSON.parse(await readFile(join(config.dataDir, 'server.json'), 'utf8')) as {
          pid: number;
        };
        assert.equal(info.pid, process.pid);
      }
      const c = await cli(['keys', 'create', '--name', 'live', '--scopes', 'read,write']);
      assert.equal(c.code, 0, c.stderr);
      const { key, id } = createdKey(c.stdout);
      if (tdb.kind === 'pglite') {
        // The embedded database is the server's: the key was made by its admin API.
        assert.ok(
          logs.records().some((r) => r.msg === 'API key created' && r.key_id === id),
          'created through the admin API',
        );
      }
      const use = () =>
        server.app.inject({
          method: 'POST',
          url: '/v1/customers',
          headers: { authorization: `Bearer ${key}` },
          payload: { external_id: 'cli-user-1', email: 'u1@example.com' },
        });
      const created = await use();
      assert.ok(created.statusCode === 201 || created.statusCode === 200, created.body);

      const l = await cli(['keys', 'list']);
      assert.equal(l.code, 0, l.stderr);
      assert.match(l.stdout, new RegExp(`^${id}\\s+live\\s+read,write\\s+.*active$`, 'm'));

      const r = await cli(['keys', 'revoke', key]);
      assert.equal(r.code, 0, r.stderr);
      const refused = await use();
      assert.equal(refused.statusCode, 401);
      assert.equal((JSON.parse(refused.body) as { error: { code: string } }).error.code, 'unauthorized');

      if (tdb.kind === 'pglite') {
        const wrong = await cli(['keys', 'list'], { ...dbEnv(), PAYDESK_ADMIN_KEY: 'x'.repeat(40) });
        assert.equal(wrong.code, 1);
        assert.match(wrong.stderr, /refused the admin key/);
      }
    } finally {
      await server.shutdown('test');
    }
  });
});
