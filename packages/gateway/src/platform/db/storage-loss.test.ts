// The database going away under a running app (on PostgreSQL: its database dropped, its connections
// terminated; on PGlite: closed): requests that need it answer 503 storage_unavailable with
// Retry-After, never a 500, and nothing crashes. The full story (a real process, backends terminated
// under a webhook stream, recovery) is reliability/database-loss.fault.ts, run by .ci/run.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestApp } from '../../testing/app.js';
import { createTestDatabase } from '../../testing/db.js';
import { isStorageUnavailable, StorageUnavailableError } from './errors.js';

describe('storage lost under a running app', () => {
  test('API requests → 503 storage_unavailable with Retry-After; the log says why at warn level', async () => {
    const own = await createTestDatabase();
    const t = await createTestApp(await own.open(), { syncCatalog: false });
    try {
      const user = await t.userToken('loss-user');
      const key = await t.apiKey(['read', 'write']);
      await own.takeDown();
      for (const [method, url, token, payload] of [
        ['POST', '/v1/customers', user, { name: 'Lost' }],
        ['GET', '/v1/payments', user, undefined],
        ['GET', '/v1/payments', key, undefined],
      ] as const) {
        const r = await t.app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${token}` },
          ...(payload ? { payload } : {}),
        });
        assert.equal(r.statusCode, 503, `${method} ${url}: ${r.body}`);
        assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'storage_unavailable');
        assert.equal(r.headers['retry-after'], '1');
      }
      assert.match(t.logs.text, /the database is unavailable; answered 503/);
      assert.doesNotMatch(t.logs.text, /"level":50.*request failed/);
      assert.equal((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 503);
      assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    } finally {
      await t.app.close();
      await own.destroy();
    }
  });

  test('the driver itself reports a lost database as StorageUnavailableError', async () => {
    const own = await createTestDatabase();
    const db = await own.open();
    try {
      await db.query('SELECT 1');
      await own.takeDown();
      await assert.rejects(db.query('SELECT 1'), StorageUnavailableError);
      await assert.rejects(
        db.transaction((tx) => tx.query('SELECT 1')),
        StorageUnavailableError,
      );
    } finally {
      await own.destroy();
    }
  });
});

describe('which driver errors mean the database is lost', () => {
  test('too many connections, shutdown, restart, refused or reset connections: unavailable; a bad statement: not', () => {
    for (const code of [
      '53300',
      '57P01',
      '57P02',
      '57P03',
      '08006',
      '08001',
      '3D000',
      'ECONNREFUSED',
      'ECONNRESET',
    ])
      assert.equal(isStorageUnavailable({ code }), true, code);
    for (const code of ['22021', '23505', '42P01', '40001', undefined])
      assert.equal(isStorageUnavailable({ code }), false, String(code));
    assert.equal(isStorageUnavailable(new StorageUnavailableError(new Error('gone'))), true);
  });
});
