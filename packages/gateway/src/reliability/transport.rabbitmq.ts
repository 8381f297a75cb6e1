// The RabbitMQ transport against the real broker (PAYDESK_TEST_RABBITMQ_URL; .ci/run runs this file
// by name, and it fails without a broker rather than pass): the payment microservice's queues (what
// paydesk publishes, requests from another producer served once), dead-lettering and the retry of a
// dead job, the broker closing paydesk's connection mid-run, and two instances sharing one database
// and one broker, each refund made exactly once (compared with the emulator's refunds).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { startEmulator } from '@paydesk/emulator';
import type { Channel, ChannelModel } from 'amqplib';
import amqp from 'amqplib';
import type Stripe from 'stripe';
import { startRefundRequestConsumer } from '../compat/refund-queue.js';
import { jobKinds } from '../jobs.js';
import type { Db } from '../platform/db/types.js';
import { REFUND_JOB } from '../refunds/service.js';
import { auth, type Json, json, payDirect } from '../refunds/test-support.js';
import { createTestApp, TEST_ADMIN_KEY, type TestApp } from '../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { deleteTopology, rabbitmqEnv, requireRabbitmq } from '../testing/rabbitmq.js';

const url = requireRabbitmq();
const run = promisify(execFile);

let tdb: TestDatabase;
let db: Db;
let conn: ChannelModel;
let ch: Channel;

before(async () => {
  tdb = await createTestDatabase();
  db = await tdb.open();
  conn = await amqp.connect(url);
  ch = await conn.createChannel();
});
after(async () => {
  await conn.close().catch(() => {});
  await tdb.destroy();
});

const settled = (t: TestApp) => t.context.queue.idle({ timeoutMs: 120_000 });

async function refundsInStripe(stripe: Stripe, paymentIntent: string): Promise<Stripe.Refund[]> {
  const out: Stripe.Refund[] = [];
  for await (const r of stripe.refunds.list({ payment_intent: paymentIntent, limit: 100 })) out.push(r);
  return out;
}

/** Every message waiting in a queue (taken off it). */
async function drain(queue: string): Promise<{ body: Json; appId: string | undefined }[]> {
  const out: { body: Json; appId: string | undefined }[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (!m) return out;
    out.push({ body: JSON.parse(m.content.toString('utf8')) as Json, appId: m.properties.appId as string });
  }
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  ms = 60_000,
  state?: () => Promise<unknown>,
): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(await state?.())}`);
    await sleep(50);
  }
}

describe('one instance on RabbitMQ', () => {
  let t: TestApp;
  let key: string;
  const env = rabbitmqEnv(url);
  const queues = {
    requests: `${env.PAYDESK_RABBITMQ_PREFIX}stripe_refund_requests`,
    responses: `${env.PAYDESK_RABBITMQ_PREFIX}stripe_refund_responses`,
  };
  before(async () => {
    t = await createTestApp(db, { env, rabbitmq: { staleMs: 2_000, sweepEveryMs: 500 } });
    key = await t.apiKey(['read', 'write', 'refunds']);
    t.context.queue.start(jobKinds(t.context));
  });
  after(async () => {
    await t.app.close();
    await deleteTopology(url, env.PAYDESK_RABBITMQ_PREFIX, Object.keys(jobKinds(t.context)));
  });

  test("refunds asked through paydesk are published in the microservice's shapes: the request, then its response", async () => {
    const paid = await payDirect(t, key, { quantity: 1 });
    const r = await t.app.inject({
      method: 'POST',
      url: '/refund-async',
      headers: auth(key),
      payload: { payment_intent_id: paid.paymentIntent, amount: 200, request_id: 'shape-1' },
    });
    assert.equal(r.statusCode, 202, r.body);
    await settled(t);
    const requests = await drain(queues.requests);
    assert.equal(requests.length, 1);
    const req = requests[0]!;
    assert.equal(req.appId, 'paydesk');
    assert.deepEqual(
      { ...req.body, timestamp: typeof req.body.timestamp },
      {
        payment_intent_id: paid.paymentIntent,
        amount: 200,
        reason: null,
        order_id: null,
        request_id: 'shape-1',
        timestamp: 'number',
      },
    );
    const responses = await drain(queues.responses);
    assert.equal(responses.length, 1);
    const [made] = await refundsInStripe(t.stripe, paid.paymentIntent);
    assert.deepEqual(
      { ...responses[0]!.body, timestamp: typeof responses[0]!.body.timestamp },
      {
        success: true,
        refund_id: made!.id,
        amount: 200,
        status: 'succeeded',
        order_id: null,
        request_id: 'shape-1',
        timestamp: 'number',
      },
    );
  });

  test('a request another producer publishes is carried out once (repeated request_id), its response published; a bad one is answered with an error', async () => {
    const stop = await startRefundRequestConsumer(t.context);
    assert.ok(stop, 'the consumer runs in RabbitMQ mode');
    try {
      const paid = await payDirect(t, key, { quantity: 1 });
      const send = (body: Json) =>
        ch.sendToQueue(queues.requests, Buffer.from(JSON.stringify(body)), { persistent: true });
      const request = {
        payment_intent_id: paid.paymentIntent,
        amount: 150,
        order_id: 'order-7',
        request_id: 'ext-1',
      };
      send(request);
      send(request);
      send({ payment_intent_id: 'not-a-pi', request_id: 'ext-bad' });
      send({ payment_intent_id: paid.paymentIntent, amount: 10_000, request_id: 'ext-over' });
      const responses: Json[] = [];
      await waitFor('three responses', async () => {
        responses.push(...(await drain(queues.responses)).map((m) => m.body));
        return responses.length >= 3;
      });
      await settled(t);
      responses.push(...(await drain(queues.responses)).map((m) => m.body));
      const byRequest = new Map(responses.map((b) => [b.request_id, b]));
      assert.equal(responses.length, 3, JSON.stringify(responses));
      const made = await refundsInStripe(t.stripe, paid.paymentIntent);
      assert.equal(made.length, 1, 'one refund for the repeated request_id');
      assert.equal(made[0]!.amount, 150);
      assert.deepEqual(
        { ...byRequest.get('ext-1'), timestamp: 0 },
        {
          success: true,
          refund_id: made[0]!.id,
          amount: 150,
          status: 'succeeded',
          order_id: 'order-7',
          request_id: 'ext-1',
          timestamp: 0,
        },
      );
      assert.equal(byRequest.get('ext-bad')?.success, false);
      assert.match(String(byRequest.get('ext-bad')?.error), /payment_intent_id/);
      assert.equal(byRequest.get('ext-over')?.success, false);
      assert.match(String(byRequest.get('ext-over')?.error), /refundable remainder/);
      // paydesk's own copies of requests are left alone by its consumer.
      assert.deepEqual(await drain(queues.requests), []);
    } finally {
      await stop();
    }
  });

  test('a job out of attempts is dead in the database and dead-lettered in the broker; retried, it refunds once', async () => {
    const dlq = t.context.rabbitmq!.topology.dead;
    await ch.purgeQueue(dlq);
    const paid = await payDirect(t, key, { quantity: 1 });
    t.emulator.faults.configure({
      routes: [{ method: 'POST', path: '/v1/refunds', errorRate: 1, status: 500 }],
    });
    let refundId: string;
    try {
      const r = await t.app.inject({
        method: 'POST',
        url: '/v1/refunds',
        headers: auth(key),
        payload: { payment: paid.payment, amount: 100, async: true, request_id: 'dead-1' },
      });
      assert.equal(r.statusCode, 202, r.body);
      const row = await db.query<{ id: string }>("SELECT id FROM refunds WHERE request_id = 'dead-1'");
      refundId = row.rows[0]!.id;
      await waitFor(
        'the job dead',
        async () => {
          const j = await db.query<{ status: string }>(
            'SELECT status FROM jobs WHERE kind = $1 AND key = $2',
            [REFUND_JOB, refundId],
          );
          return j.rows[0]?.status === 'dead';
        },
        60_000,
        async () => (await db.query('SELECT * FROM jobs WHERE key = $1', [refundId])).rows,
      );
    } finally {
      t.emulator.faults.clear();
    }
    await waitFor(
      'the dead-letter queue to hold it',
      async () => (await ch.checkQueue(dlq)).messageCount === 1,
    );
    const dead = await t.app.inject({
      method: 'GET',
      url: '/admin/jobs?status=dead&kind=refund.execute',
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    const job = (json(dead).data as Json[]).find((j) => j.key === refundId);
    assert.ok(job, 'listed among the dead jobs');
    const retry = await t.app.inject({
      method: 'POST',
      url: `/admin/jobs/${job.id}/retry`,
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    assert.equal(retry.statusCode, 200, retry.body);
    await settled(t);
    const made = await refundsInStripe(t.stripe, paid.paymentIntent);
    assert.deepEqual(
      made.map((x) => x.amount),
      [100],
    );
    const after = await t.app.inject({ method: 'GET', url: `/v1/refunds/${refundId}`, headers: auth(key) });
    assert.equal(json(after).status, 'succeeded');
  });

  test('the broker closes paydesk’s connection mid-run: it reconnects, and each of 60 refunds is made once', async () => {
    const broker = t.context.rabbitmq!.broker;
    const connectionsBefore = broker.connections;
    const paid = await Promise.all(Array.from({ length: 60 }, () => payDirect(t, key, { quantity: 1 })));
    t.emulator.faults.configure({ routes: [{ method: 'POST', path: '/v1/refunds', latencyMs: 150 }] });
    try {
      const asked = paid.map((p, i) =>
        t.app.inject({
          method: 'POST',
          url: '/v1/refunds',
          headers: auth(key),
          payload: { payment: p.payment, amount: 100, async: true, request_id: `cut-${i}` },
        }),
      );
      for (const r of await Promise.all(asked.slice(0, 30))) assert.equal(r.statusCode, 202, r.body);
      await sleep(200);
      // Close our connection from the broker's side (only ours: it is named after the prefix).
      const { stdout } = await run('rabbitmqctl', ['list_connections', '-q', 'pid', 'client_properties']);
      const pids = stdout
        .split('\n')
        .filter((l) => l.includes(`paydesk ${env.PAYDESK_RABBITMQ_PREFIX}`))
        .map((l) => l.split('\t')[0]!);
      assert.ok(pids.length >= 1, `our connection listed: ${stdout}`);
      for (const pid of pids) await run('rabbitmqctl', ['close_connection', pid, 'test: cut']);
      for (const r of await Promise.all(asked.slice(30))) assert.equal(r.statusCode, 202, r.body);
      await waitFor(
        'the reconnection',
        async () => broker.connections > connectionsBefore && broker.connected,
      );
    } finally {
      t.emulator.faults.clear();
    }
    await waitFor('every refund settled', async () => {
      const r = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM refunds WHERE request_id LIKE 'cut-%' AND status = 'succeeded'`,
      );
      return r.rows[0]!.n === 60;
    });
    await settled(t);
    for (const p of paid) {
      const made = await refundsInStripe(t.stripe, p.paymentIntent);
      assert.deepEqual(
        made.map((x) => x.amount),
        [100],
        `one refund for ${p.paymentIntent}`,
      );
    }
  });
});

describe('two instances on one database and one broker', () => {
  const N = Number(process.env.PAYDESK_TWO_INSTANCE_REFUNDS ?? 1_000);
  const env = rabbitmqEnv(url);
  let a: TestApp;
  let b: TestApp;
  const ran = { a: 0, b: 0 };
  before(async () => {
    const emulator = await startEmulator({ port: 0 });
    a = await createTestApp(db, { env, emulator });
    b = await createTestApp(tdb.kind === 'postgres' ? await tdb.open() : db, {
      env,
      emulator,
      migrateFirst: false,
      syncCatalog: false,
    });
    const counted = (t: TestApp, who: 'a' | 'b') => {
      const kinds = jobKinds(t.context);
      const refund = kinds[REFUND_JOB]!;
      return {
        ...kinds,
        [REFUND_JOB]: {
          ...refund,
          handler: async (job: Parameters<typeof refund.handler>[0]) => {
            ran[who]++;
            return refund.handler(job);
          },
        },
      };
    };
    a.context.queue.start(counted(a, 'a'));
    b.context.queue.start(counted(b, 'b'));
  });
  after(async () => {
    await a.app.close();
    await b.app.close();
    await a.emulator.close();
    await deleteTopology(url, env.PAYDESK_RABBITMQ_PREFIX, Object.keys(jobKinds(a.context)));
  });

  test(`${N} async refunds asked of both: each made exactly once (the emulator's refunds compared)`, async () => {
    const key = await a.apiKey(['read', 'write', 'refunds']);
    const paid: { payment: string; paymentIntent: string }[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, lane) => {
        for (let i = lane; i < N; i += 8) paid[i] = await payDirect(lane % 2 ? b : a, key, { quantity: 1 });
      }),
    );
    await Promise.all(
      Array.from({ length: 8 }, async (_, lane) => {
        for (let i = lane; i < N; i += 8) {
          const r = await (i % 2 ? b : a).app.inject({
            method: 'POST',
            url: '/v1/refunds',
            headers: auth(key),
            payload: { payment: paid[i]!.payment, amount: 120, async: true, request_id: `two-${i}` },
          });
          assert.equal(r.statusCode, 202, r.body);
        }
      }),
    );
    await waitFor(
      'every refund settled',
      async () => {
        const r = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM refunds WHERE request_id LIKE 'two-%' AND status = 'succeeded'`,
        );
        return r.rows[0]!.n === N;
      },
      300_000,
    );
    await Promise.all([settled(a), settled(b)]);
    const ours = new Set(paid.map((p) => p.paymentIntent));
    const perIntent = new Map<string, number>();
    for await (const r of a.stripe.refunds.list({ limit: 100 })) {
      const pi = String(r.payment_intent);
      if (ours.has(pi)) perIntent.set(pi, (perIntent.get(pi) ?? 0) + 1);
    }
    assert.equal(perIntent.size, N, 'every payment refunded');
    assert.deepEqual([...new Set(perIntent.values())], [1], 'none twice');
    assert.ok(ran.a > 0 && ran.b > 0, `both instances ran refund jobs (${ran.a}, ${ran.b})`);
  });
});
