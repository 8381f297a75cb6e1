// The RabbitMQ job queue's own batching against the real broker (PAYDESK_TEST_RABBITMQ_URL; .ci/run
// runs this file by name, and it fails without a broker rather than pass): a transaction's jobs
// without a key written together at its commit, the prefetch ahead of the kind's slots, and acks
// gathered into `multiple` acks.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import { createTestApp, type TestApp } from '../../../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../../../testing/db.js';
import { deleteTopology, rabbitmqEnv, requireRabbitmq } from '../../../testing/rabbitmq.js';
import { withTransaction } from '../../db/tx.js';
import type { Db } from '../../db/types.js';
import type { Job } from '../types.js';
import { topology } from './topology.js';

const url = requireRabbitmq();
const KIND = 'test.batched';

let tdb: TestDatabase;
let db: Db;
let t: TestApp;
const env = rabbitmqEnv(url);

before(async () => {
  tdb = await createTestDatabase();
  db = await tdb.open();
  t = await createTestApp(db, { env, syncCatalog: false });
});
after(async () => {
  await t.app.close();
  await deleteTopology(url, env.PAYDESK_RABBITMQ_PREFIX, [KIND]);
  await tdb.destroy();
});

describe('RabbitMQ job queue', () => {
  test('jobs of a transaction get their ids at once, exist only if it commits, and each runs once; a kind runs no more than its concurrency at once', async () => {
    const q = t.context.queue;
    const runs = new Map<number, number>();
    let running = 0;
    let peak = 0;
    q.start({
      [KIND]: {
        concurrency: 3,
        handler: async (job: Job) => {
          running++;
          peak = Math.max(peak, running);
          runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
          await sleep(1);
          running--;
        },
      },
    });
    const committed: number[] = [];
    for (let n = 0; n < 4; n++) {
      await withTransaction(t.context, async (tx) => {
        for (let i = 0; i < 60; i++) {
          const id = await q.enqueue(tx, { kind: KIND, payload: { n, i } });
          assert.ok(id !== undefined && Number.isSafeInteger(id) && id > 0);
          committed.push(id);
        }
        // A keyed job in the same transaction, and its duplicate, deduplicated at once.
        const keyed = await q.enqueue(tx, { kind: KIND, key: `k${n}` });
        assert.ok(keyed !== undefined);
        committed.push(keyed);
        assert.equal(await q.enqueue(tx, { kind: KIND, key: `k${n}` }), undefined);
      });
    }
    const rolledBack: number[] = [];
    await assert.rejects(
      withTransaction(t.context, async (tx) => {
        for (let i = 0; i < 30; i++) rolledBack.push((await q.enqueue(tx, { kind: KIND }))!);
        throw new Error('the change failed');
      }),
      /the change failed/,
    );
    await q.idle({ timeoutMs: 60_000 });

    assert.equal(new Set([...committed, ...rolledBack]).size, committed.length + rolledBack.length);
    assert.deepEqual(
      committed.filter((id) => runs.get(id) !== 1),
      [],
      'every committed job ran exactly once',
    );
    assert.equal(runs.size, committed.length, 'no other job ran');
    const rows = await db.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM jobs WHERE id = ANY($1::bigint[]) GROUP BY status',
      [[...committed, ...rolledBack]],
    );
    assert.deepEqual(rows.rows, [{ status: 'done', n: committed.length }]);
    const payloads = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM jobs WHERE id = ANY($1::bigint[]) AND payload ? 'i' AND max_attempts = 12`,
      [committed],
    );
    assert.equal(payloads.rows[0]!.n, 240, 'written with their payloads and the default attempts');
    assert.equal((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox')).rows[0]!.n, 0);
    assert.ok(peak <= 3, `at most 3 ran at once (saw ${peak})`);

    // Every message was acknowledged (the gathered acks included): once the consumer has gone,
    // nothing comes back to the queue.
    await q.stop(5_000);
    const conn = await amqp.connect(url);
    try {
      const ch = await conn.createChannel();
      const { messageCount, consumerCount } = await ch.checkQueue(
        topology(env.PAYDESK_RABBITMQ_PREFIX).queueOf(KIND),
      );
      assert.deepEqual({ messageCount, consumerCount }, { messageCount: 0, consumerCount: 0 });
    } finally {
      await conn.close();
    }
  });
});
