// Both drivers keep DML prepared (pglite.ts per instance, postgres.ts per connection). A table that
// changes under a kept statement must not break it: on PostgreSQL the server refuses the old plan
// (0A000, its result type changed) and the driver prepares it again; on PGlite the change itself
// drops the kept statements. The arrays of binary-array.ts must reach both as the values they hold.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../testing/db.js';
import { binaryArray } from './binary-array.js';
import type { Db } from './types.js';

let tdb: TestDatabase;
let db: Db;

before(async () => {
  tdb = await createTestDatabase();
  db = await tdb.open();
});
after(async () => {
  await tdb.destroy();
});

describe(`kept statements (${process.env.PAYDESK_TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  test('a table that gains a column under a kept SELECT *: the next call answers with it', async () => {
    await db.exec('CREATE TABLE kept (id int PRIMARY KEY)');
    await db.query('INSERT INTO kept (id) VALUES ($1)', [1]);
    // Run often enough for PostgreSQL to settle on a generic plan too.
    for (let i = 0; i < 7; i++) assert.deepEqual((await db.query('SELECT * FROM kept')).rows, [{ id: 1 }]);
    // Another process's migration, as far as this connection knows.
    await db.exec("ALTER TABLE kept ADD COLUMN note text NOT NULL DEFAULT 'x'");
    assert.deepEqual((await db.query('SELECT * FROM kept')).rows, [{ id: 1, note: 'x' }]);
    assert.deepEqual((await db.query('SELECT * FROM kept')).rows, [{ id: 1, note: 'x' }]);
    // And inside a transaction, after it.
    const inside = await db.transaction((tx) => tx.query('SELECT * FROM kept'));
    assert.deepEqual(inside.rows, [{ id: 1, note: 'x' }]);
  });

  test('binary arrays arrive as the values they hold, NULLs and non-ASCII text included', async () => {
    const r = await db.query<{ t: string | null; j: unknown; n: number; b: boolean; i: number }>(
      `SELECT u.t, u.j, u.n, u.b, u.i FROM unnest($1::text[], $2::json[], $3::int8[], $4::bool[])
         WITH ORDINALITY AS u(t, j, n, b, i) ORDER BY u.i`,
      [
        binaryArray('text', ['Zoë', null, '']),
        binaryArray('json', [Buffer.from('{"a":[1,2]}'), '"ü"', 'null']),
        binaryArray('int8', [1764676800, -1, 2 ** 53 - 1]),
        binaryArray('bool', [true, false, true]),
      ],
    );
    assert.deepEqual(r.rows, [
      { t: 'Zoë', j: { a: [1, 2] }, n: 1764676800, b: true, i: 1 },
      { t: null, j: 'ü', n: -1, b: false, i: 2 },
      { t: '', j: null, n: 2 ** 53 - 1, b: true, i: 3 },
    ]);
    assert.throws(() => binaryArray('int8', [1.5]), RangeError);
  });
});
