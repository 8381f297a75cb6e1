// The PGlite driver (pglite.ts) on a real PGlite data directory, whatever PAYDESK_TEST_DATABASE_URL
// says: statements run prepared, and must answer exactly as PGlite's own query() does.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openPglite } from './pglite.js';
import { ensurePgliteTemplate } from './pglite-template.js';
import type { Db } from './types.js';

let root: string;
let db: Db;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'paydesk-pglite-'));
  db = await openPglite({ dataDir: join(root, 'pglite'), templateDir: await ensurePgliteTemplate() });
  await db.exec(`CREATE TABLE things (
    id text PRIMARY KEY,
    n integer,
    big bigint,
    flag boolean,
    at timestamptz,
    doc jsonb,
    tags text[],
    price numeric
  )`);
});
after(async () => {
  await db.close();
  await rm(root, { recursive: true, force: true });
});

describe('PGlite driver', () => {
  test('parameters and results keep their types, the same statement run again included', async () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    for (const id of ['a', 'b']) {
      const r = await db.query(
        `INSERT INTO things (id, n, big, flag, at, doc, tags, price)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
        [id, 7, 9_007_199_254_740_991, true, at, { k: ['v', 1] }, ['x', 'y "z"'], '12.50'],
      );
      assert.equal(r.rowCount, 1);
      assert.deepEqual(r.rows[0], {
        id,
        n: 7,
        big: 9_007_199_254_740_991,
        flag: true,
        at,
        doc: { k: ['v', 1] },
        tags: ['x', 'y "z"'],
        price: '12.50',
      });
    }
    const nulls = await db.query(
      'INSERT INTO things (id, n, flag, doc) VALUES ($1, $2, $3, $4) RETURNING n, flag, doc',
      ['c', null, undefined, null],
    );
    assert.deepEqual(nulls.rows, [{ n: null, flag: null, doc: null }]);
    const sel = await db.query<{ id: string }>('SELECT id FROM things WHERE flag = $1 ORDER BY id', [true]);
    assert.deepEqual(
      sel.rows.map((r) => r.id),
      ['a', 'b'],
    );
    assert.equal(sel.rowCount, 2);
    const upd = await db.query('UPDATE things SET n = n + 1 WHERE id = ANY($1)', [['a', 'b', 'c']]);
    assert.deepEqual({ rows: upd.rows, rowCount: upd.rowCount }, { rows: [], rowCount: 3 });
  });

  test('a statement run again answers from the columns described when it was prepared, as query() would', async () => {
    await db.query('INSERT INTO things (id, n) VALUES ($1, $2), ($3, $4)', ['d1', 1, 'd2', 2]);
    for (let run = 0; run < 2; run++) {
      // Two columns of one name: the last one wins, as in PGlite's own rows.
      const dup = await db.query('SELECT n AS v, id AS v FROM things WHERE id = $1', ['d1']);
      assert.deepEqual(dup.rows, [{ v: 'd1' }]);
      const none = await db.query('SELECT id, n FROM things WHERE id = $1', ['nope']);
      assert.deepEqual({ rows: none.rows, rowCount: none.rowCount }, { rows: [], rowCount: 0 });
      const cte = await db.query<{ id: string; n: number }>(
        'WITH moved AS (UPDATE things SET n = n + 10 WHERE id = ANY($1) RETURNING id, n) SELECT * FROM moved ORDER BY id',
        [['d1', 'd2']],
      );
      assert.deepEqual(cte.rows, [
        { id: 'd1', n: 11 + 10 * run },
        { id: 'd2', n: 12 + 10 * run },
      ]);
    }
    const del = await db.query('DELETE FROM things WHERE id = ANY($1)', [['d1', 'd2', 'nope']]);
    assert.deepEqual({ rows: del.rows, rowCount: del.rowCount }, { rows: [], rowCount: 2 });
  });

  test('an error carries its SQLSTATE and leaves the session usable, inside a transaction too', async () => {
    await db.query('INSERT INTO things (id) VALUES ($1)', ['dup']);
    await assert.rejects(db.query('INSERT INTO things (id) VALUES ($1)', ['dup']), { code: '23505' });
    await assert.rejects(db.query('SELECT nope FROM things WHERE id = $1', ['dup']), { code: '42703' });
    await assert.rejects(db.query('INSERT INTO things (id, n) VALUES ($1, $2)', ['bad', 'x']), {
      code: '22P02',
    });
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO things (id) VALUES ($1)', ['in-tx']);
        await tx.query('INSERT INTO things (id) VALUES ($1)', ['dup']);
      }),
      { code: '23505' },
    );
    const r = await db.query<{ id: string }>('SELECT id FROM things WHERE id = ANY($1) ORDER BY id', [
      ['dup', 'in-tx', 'bad'],
    ]);
    assert.deepEqual(r.rows, [{ id: 'dup' }]);
    const committed = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO things (id) VALUES ($1)', ['tx-ok']);
      return (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM things WHERE id = $1', ['tx-ok']))
        .rows[0]?.n;
    });
    assert.equal(committed, 1);
  });

  test('a transaction holds the connection: a statement from outside waits for its end', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tx = db.transaction(async (t) => {
      await t.query('UPDATE things SET n = 100 WHERE id = $1', ['a']);
      await held;
      await t.query('UPDATE things SET n = 200 WHERE id = $1', ['a']);
    });
    const outside = db.query<{ n: number }>('SELECT n FROM things WHERE id = $1', ['a']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await tx;
    assert.deepEqual((await outside).rows, [{ n: 200 }]);
  });

  test('a transaction used after it ended is refused', async () => {
    let kept: Parameters<Parameters<Db['transaction']>[0]>[0] | undefined;
    await db.transaction(async (tx) => {
      kept = tx;
    });
    await assert.rejects(kept!.query('SELECT 1'), /Transaction is closed/);
  });

  test('a schema change, through exec() or query(), is seen by statements prepared before it', async () => {
    const before = await db.query('SELECT * FROM things WHERE id = $1', ['a']);
    assert.equal(Object.keys(before.rows[0]!).includes('extra'), false);
    await db.exec('ALTER TABLE things ADD COLUMN extra text');
    const afterExec = await db.query('SELECT * FROM things WHERE id = $1', ['a']);
    assert.equal(afterExec.rows[0]!.extra, null);
    await db.query("ALTER TABLE things ADD COLUMN more text NOT NULL DEFAULT 'm'");
    const afterQuery = await db.query('SELECT * FROM things WHERE id = $1', ['a']);
    assert.equal(afterQuery.rows[0]!.more, 'm');
  });

  test('a statement first prepared in a transaction that rolled back still runs afterwards', async () => {
    const sql = 'SELECT count(*)::int AS n FROM things WHERE id = $1 AND n IS NULL';
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query(sql, ['c']);
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.deepEqual((await db.query(sql, ['c'])).rows, [{ n: 1 }]);
  });

  test('schema changes and statements sent at the same time do not interleave', async () => {
    await db.exec('CREATE TABLE wide (id int PRIMARY KEY)');
    await db.query('INSERT INTO wide (id) VALUES ($1)', [1]);
    const reads = [];
    for (let i = 0; i < 5; i++) {
      reads.push(db.query('SELECT * FROM wide WHERE id = $1', [1]));
      reads.push(db.exec(`ALTER TABLE wide ADD COLUMN c${i} int NOT NULL DEFAULT ${i}`));
    }
    await Promise.all(reads);
    const r = await db.query('SELECT * FROM wide WHERE id = $1', [1]);
    assert.deepEqual(r.rows, [{ id: 1, c0: 0, c1: 1, c2: 2, c3: 3, c4: 4 }]);
  });

  test('beyond the statements kept prepared, queries still answer', async () => {
    for (let i = 0; i < 1010; i++) {
      const r = await db.query<{ n: number; s: string }>(`SELECT ${i}::int AS n, $1::text AS s`, [`v${i}`]);
      assert.deepEqual(r.rows, [{ n: i, s: `v${i}` }]);
    }
  });
});
