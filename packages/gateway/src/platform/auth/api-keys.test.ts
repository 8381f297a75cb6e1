import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../testing/db.js';
import { migrate } from '../db/migrate.js';
import type { Db } from '../db/types.js';
import { createApiKey, randomToken, revokeApiKey, VerifiedKeys, verifyApiKey } from './api-keys.js';

let tdb: TestDatabase;
let db: Db;

before(async () => {
  tdb = await createTestDatabase();
  db = await tdb.open();
  await migrate(db);
});
after(() => tdb.destroy());

/** The same database seen as the given kind, counting the statements that read api_keys. */
function counted(kind: Db['kind']): { db: Db; reads: () => number } {
  let reads = 0;
  const view: Db = {
    ...db,
    kind,
    query: (sql, params) => {
      if (/FROM api_keys/.test(sql)) reads++;
      return db.query(sql, params);
    },
  };
  return { db: view, reads: () => reads };
}

describe('API key verification cache', () => {
  test('embedded database: a verified key is served from memory; a revocation takes effect at once', async () => {
    const { db: view, reads } = counted('pglite');
    const cache = new VerifiedKeys();
    const { key, record } = await createApiKey(view, { name: 'cached', scopes: ['read'] });
    assert.equal((await verifyApiKey(view, key, cache)).ok, true);
    assert.equal(reads(), 1);
    const again = await verifyApiKey(view, key, cache);
    assert.ok(again.ok);
    assert.deepEqual(again.record.scopes, ['read']);
    assert.equal(reads(), 1, 'the second check did not read api_keys');

    // The right id with a wrong secret is refused even while the id is cached.
    const forged = `${key.slice(0, -4)}AAAA`;
    assert.deepEqual(await verifyApiKey(view, forged, cache), { ok: false, reason: 'unknown' });

    assert.equal(await revokeApiKey(view, record.id, cache), true);
    assert.deepEqual(await verifyApiKey(view, key, cache), { ok: false, reason: 'revoked' });
  });

  test('a revocation racing a verification of the same key is never undone by it', async () => {
    const { db: view } = counted('pglite');
    const cache = new VerifiedKeys();
    const { key } = await createApiKey(view, { name: 'racing', scopes: ['read'] });
    const [, revoked] = await Promise.all([verifyApiKey(view, key, cache), revokeApiKey(view, key, cache)]);
    assert.equal(revoked, true);
    assert.deepEqual(await verifyApiKey(view, key, cache), { ok: false, reason: 'revoked' });
  });

  test('PostgreSQL: every check reads the row (another process may revoke the key)', async () => {
    const { db: view, reads } = counted('postgres');
    const cache = new VerifiedKeys();
    const { key } = await createApiKey(view, { name: 'shared', scopes: ['read'] });
    await verifyApiKey(view, key, cache);
    await verifyApiKey(view, key, cache);
    assert.equal(reads(), 2);
    // Revoked by another handle (another process): refused on the next request.
    await revokeApiKey(db, key);
    assert.deepEqual(await verifyApiKey(view, key, cache), { ok: false, reason: 'revoked' });
  });
});

test('random ids are base62 of the length asked, and never repeat across refills of their byte pool', () => {
  const seen = new Set<string>();
  // 2,000 ids of 16 characters draw 64 KB: the 4 KB pool is refilled many times.
  for (let i = 0; i < 2000; i++) {
    const id = randomToken(16);
    assert.match(id, /^[A-Za-z0-9]{16}$/);
    seen.add(id);
  }
  assert.equal(seen.size, 2000);
  assert.match(randomToken(3000), /^[A-Za-z0-9]{3000}$/);
  // Every character of the alphabet turns up: the bytes are not all read from one spot.
  assert.equal(new Set([...seen].join('')).size, 62);
});
