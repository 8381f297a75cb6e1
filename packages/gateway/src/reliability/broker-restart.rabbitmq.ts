// The broker restarted mid-run (`rabbitmqctl stop_app`, then `start_app`) while async refunds are
// being asked and carried out: paydesk reconnects, what it could not publish meanwhile waits in the
// outbox and is relayed, and each refund is made exactly once (compared with the emulator's refunds).
// It restarts the whole broker, so .ci/run runs this file alone, after the other RabbitMQ suites;
// it needs PAYDESK_TEST_RABBITMQ_URL and rabbitmqctl on this machine.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { jobKinds } from '../jobs.js';
import { auth, payDirect } from '../refunds/test-support.js';
import { createTestApp, type TestApp } from '../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { deleteTopology, rabbitmqEnv, requireRabbitmq } from '../testing/rabbitmq.js';

const url = requireRabbitmq();
const run = promisify(execFile);
const env = rabbitmqEnv(url);
const REFUNDS = 80;

let tdb: TestDatabase;
let t: TestApp;

before(async () => {
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open(), { env, rabbitmq: { staleMs: 2_000, sweepEveryMs: 500 } });
  t.context.queue.start(jobKinds(t.context));
});
after(async () => {
  await t.app.close();
  await deleteTopology(url, env.PAYDESK_RABBITMQ_PREFIX, Object.keys(jobKinds(t.context)));
  await tdb.destroy();
});

test(`the broker restarted while ${REFUNDS} refunds are asked and run: each made exactly once`, async () => {
  const key = await t.apiKey(['read', 'write', 'refunds']);
  const paid = await Promise.all(Array.from({ length: REFUNDS }, () => payDirect(t, key, { quantity: 1 })));
  t.emulator.faults.configure({ routes: [{ method: 'POST', path: '/v1/refunds', latencyMs: 100 }] });
  const broker = t.context.rabbitmq!.broker;
  const before = broker.connections;
  const ask = (i: number) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/refunds',
      headers: auth(key),
      payload: { payment: paid[i]!.payment, amount: 100, async: true, request_id: `restart-${i}` },
    });
  try {
    for (let i = 0; i < REFUNDS / 2; i++) assert.equal((await ask(i)).statusCode, 202);
    await run('rabbitmqctl', ['stop_app'], { timeout: 60_000 });
    try {
      // Asked while the broker is away: recorded, their messages wait in the outbox.
      for (let i = REFUNDS / 2; i < REFUNDS; i++) assert.equal((await ask(i)).statusCode, 202);
    } finally {
      await run('rabbitmqctl', ['start_app'], { timeout: 60_000 });
    }
  } finally {
    t.emulator.faults.clear();
  }
  const until = Date.now() + 120_000;
  for (;;) {
    const r = await t.context.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM refunds WHERE request_id LIKE 'restart-%' AND status = 'succeeded'`,
    );
    if (r.rows[0]!.n === REFUNDS) break;
    assert.ok(Date.now() < until, `${r.rows[0]!.n} of ${REFUNDS} refunds succeeded after the restart`);
    await sleep(100);
  }
  await t.context.queue.idle({ timeoutMs: 120_000 });
  assert.ok(broker.connections > before, 'paydesk reconnected');
  for (const p of paid) {
    const made: number[] = [];
    for await (const r of t.stripe.refunds.list({ payment_intent: p.paymentIntent, limit: 100 }))
      made.push(r.amount);
    assert.deepEqual(made, [100], `one refund for ${p.paymentIntent}`);
  }
});
