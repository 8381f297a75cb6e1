import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Stripe from 'stripe';
import type { JobTable } from '../platform/queue/db/table.js';
import { createTestApp, TEST_WEBHOOK_SECRET, type TestApp } from '../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { applyEventJob } from './apply.js';
import { APPLY_EVENT_JOB, eventTable } from './event-queue.js';
import { EventIngestor } from './ingest.js';
import { webhookPaths } from './routes.js';
import { receivedEvent } from './store.js';

let tdb: TestDatabase;
let t: TestApp;

before(async () => {
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open(), { syncCatalog: false });
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
});

let seq = 0;
function event(type = 'customer.updated', extra: Record<string, unknown> = {}): Stripe.Event {
  seq++;
  return {
    id: `evt_test_${Date.now()}_${seq}`,
    object: 'event',
    api_version: Stripe.API_VERSION,
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object: { id: `cus_${seq}`, object: 'customer', metadata: {}, ...extra } },
  } as unknown as Stripe.Event;
}

function sign(payload: string, secret = TEST_WEBHOOK_SECRET, timestamp?: number): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp ? { timestamp } : {}) });
}

async function post(
  body: string,
  signature: string | undefined,
  url = '/webhooks/stripe',
  contentType = 'application/json',
  on: TestApp = t,
) {
  return on.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': contentType, ...(signature ? { 'stripe-signature': signature } : {}) },
    payload: body,
  });
}

async function stored(id: string) {
  const e = await t.context.db.query<{
    status: string;
    type: string;
    attempts: number;
    locked_by: string | null;
    due: boolean;
  }>('SELECT status, type, attempts, locked_by, run_at <= now() AS due FROM stripe_events WHERE id = $1', [
    id,
  ]);
  const j = await t.context.db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM stripe_events WHERE id = $1',
    [id],
  );
  return { event: e.rows[0], rows: j.rows[0]!.n };
}

describe('POST /webhooks/stripe', () => {
  test('a signed event is stored as a pending apply-job and acknowledged at once', async () => {
    const e = event();
    const body = JSON.stringify(e);
    const r = await post(body, sign(body));
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), { received: true, duplicate: false });
    const s = await stored(e.id);
    assert.equal(s.event?.status, 'pending');
    assert.equal(s.event?.type, 'customer.updated');
    // The queue is not running here: nobody holds the event, and it is due for any worker.
    assert.equal(s.event?.locked_by, null);
    assert.equal(s.event?.attempts, 0);
    assert.equal(s.event?.due, true);
    assert.equal(s.rows, 1);
  });

  test('a redelivered event is acknowledged as a duplicate and stored once', async () => {
    const e = event();
    const body = JSON.stringify(e);
    assert.equal((await post(body, sign(body))).statusCode, 200);
    const again = await post(body, sign(body));
    assert.equal(again.statusCode, 200);
    assert.deepEqual(JSON.parse(again.body), { received: true, duplicate: true });
    assert.equal((await stored(e.id)).rows, 1);
  });

  test('concurrent deliveries of many events, some duplicated, store each exactly once', async () => {
    const events = Array.from({ length: 60 }, () => event('invoice.paid'));
    const deliveries = [...events, ...events.slice(0, 20)].map((e) => JSON.stringify(e));
    const results = await Promise.all(deliveries.map((b) => post(b, sign(b))));
    assert.ok(results.every((r) => r.statusCode === 200));
    assert.equal(results.filter((r) => (JSON.parse(r.body) as { duplicate: boolean }).duplicate).length, 20);
    const n = await t.context.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM stripe_events WHERE id = ANY($1) AND status = 'pending'`,
      [events.map((e) => e.id)],
    );
    assert.equal(n.rows[0]!.n, 60);
  });

  test('every seed system alias reaches the same endpoint', async () => {
    for (const url of webhookPaths) {
      const e = event();
      const body = JSON.stringify(e);
      const r = await post(body, sign(body), url);
      assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
      assert.equal((await stored(e.id)).rows, 1);
    }
  });

  test('a secret being rotated in: either secret is accepted', async () => {
    t.context.webhookSecrets.push('whsec_the_new_secret_0123456789');
    try {
      const e = event();
      const body = JSON.stringify(e);
      assert.equal((await post(body, sign(body, 'whsec_the_new_secret_0123456789'))).statusCode, 200);
    } finally {
      t.context.webhookSecrets.pop();
    }
  });

  test('with the queue running, received events are applied from memory; beyond its room, from the table', async () => {
    const own = await createTestDatabase();
    const claims: number[] = [];
    // Counts what is claimed from the table: held events never are.
    const counting: JobTable = {
      ...eventTable,
      claim: async (...a) => {
        const jobs = await eventTable.claim(...a);
        claims.push(jobs.length);
        return jobs;
      },
    };
    const other = await createTestApp(await own.open(), {
      syncCatalog: false,
      queue: { tables: { [APPLY_EVENT_JOB]: counting }, handOffLimits: { [APPLY_EVENT_JOB]: 10 } },
    });
    try {
      let open: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      // Every handler waits until all events are in: one runs, ten wait in memory, the rest in the table.
      const kind = applyEventJob(other.context, {
        'customer.updated': async () => {
          await gate;
          return { status: 'processed' };
        },
      });
      other.context.queue.start({ [APPLY_EVENT_JOB]: { ...kind, concurrency: 1 } });
      const events = Array.from({ length: 30 }, () => event());
      for (const e of events) {
        const body = JSON.stringify(e);
        const r = await post(body, sign(body), '/webhooks/stripe', 'application/json', other);
        assert.equal(r.statusCode, 200, r.body);
      }
      const held = await other.context.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM stripe_events WHERE id = ANY($1) AND locked_by IS NOT NULL',
        [events.map((e) => e.id)],
      );
      assert.equal(held.rows[0]!.n, 11, 'one running and ten waiting in memory, leased to this worker');
      open();
      await other.context.queue.idle();
      const rows = await other.context.db.query<{
        status: string;
        attempts: number;
        locked_by: string | null;
      }>('SELECT status, attempts, locked_by FROM stripe_events WHERE id = ANY($1)', [
        events.map((e) => e.id),
      ]);
      assert.equal(rows.rows.length, 30);
      for (const r of rows.rows) assert.deepEqual(r, { status: 'processed', attempts: 1, locked_by: null });
      assert.equal(
        claims.reduce((x, y) => x + y, 0),
        19,
        'the 19 written beyond the room were claimed from the table',
      );
    } finally {
      await other.app.close();
      await own.destroy();
    }
  });

  test('ingest counts as pressed while a burst waits on storage, not at a steady rate nor once stored', async () => {
    const ingestor = new EventIngestor(t.context.db, t.context.jobs);
    const burst = () =>
      Promise.all(Array.from({ length: 400 }, () => ingestor.submit(receivedEvent(event()))));
    assert.equal(ingestor.pressed(), false);
    const first = burst();
    assert.equal(ingestor.pressed(), true, 'hundreds of deliveries waiting on storage');
    await first;
    assert.equal(ingestor.pressed(), false, 'nothing waits any more');
    // A steady trickle: a delivery or a few waiting at a time.
    const few = Promise.all(Array.from({ length: 5 }, () => ingestor.submit(receivedEvent(event()))));
    assert.equal(ingestor.pressed(), false, 'a few deliveries waiting at a steady rate');
    await few;
    // Pressed stays pressed while a burst drains, until few are left.
    const second = burst();
    assert.equal(ingestor.pressed(), true);
    await second;
    assert.equal(ingestor.pressed(), false);
  });

  describe('refused before anything is stored', () => {
    const cases: [string, () => { body: string; sig: string | undefined }, string][] = [
      ['no signature header', () => ({ body: JSON.stringify(event()), sig: undefined }), 'invalid_signature'],
      [
        'a forged signature (wrong secret)',
        () => {
          const body = JSON.stringify(event());
          return { body, sig: sign(body, 'whsec_attacker_secret_000000000') };
        },
        'invalid_signature',
      ],
      [
        'a body changed after signing',
        () => {
          const e = event();
          const sig = sign(JSON.stringify(e));
          return { body: JSON.stringify({ ...e, type: 'invoice.paid' }), sig };
        },
        'invalid_signature',
      ],
      [
        'a timestamp outside the tolerance (a replayed delivery)',
        () => {
          const body = JSON.stringify(event());
          return { body, sig: sign(body, TEST_WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 600) };
        },
        'invalid_signature',
      ],
      [
        'a signed body that is not a Stripe event',
        () => {
          const body = JSON.stringify({ hello: 'world' });
          return { body, sig: sign(body) };
        },
        'invalid_json',
      ],
      [
        'a signed body that is not JSON',
        () => {
          const body = 'not json at all';
          return { body, sig: sign(body) };
        },
        'invalid_json',
      ],
      [
        'a signed body shaped like an event but not JSON (the database refuses it)',
        () => {
          const body = JSON.stringify(event()).replace('"livemode":false', '"livemode":false,"junk":tru');
          return { body, sig: sign(body) };
        },
        'invalid_json',
      ],
    ];
    for (const [name, make, code] of cases) {
      test(`${name} → 400 ${code}`, async () => {
        const before = await t.context.db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM stripe_events',
        );
        const { body, sig } = make();
        const r = await post(body, sig);
        assert.equal(r.statusCode, 400, r.body);
        assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, code);
        const after = await t.context.db.query<{ n: number }>('SELECT count(*)::int AS n FROM stripe_events');
        assert.equal(after.rows[0]!.n, before.rows[0]!.n);
      });
    }
  });

  test('a body the database refuses is answered 400 alone: the deliveries batched with it are stored', async () => {
    const signBytes = (body: Buffer) => {
      const ts = Math.floor(Date.now() / 1000);
      return `t=${ts},v1=${createHmac('sha256', TEST_WEBHOOK_SECRET).update(`${ts}.`).update(body).digest('hex')}`;
    };
    const good = Array.from({ length: 20 }, () => event());
    const notJson = Buffer.from(JSON.stringify(event()).replace('"object":"event"', '"object":"event",]'));
    // Bytes that are not UTF-8 inside a string: JSON-shaped, but not text the database accepts.
    const text = JSON.stringify(event('customer.updated', { name: 'XX' }));
    const notUtf8 = Buffer.from(text);
    notUtf8.fill(0xff, text.indexOf('XX'), text.indexOf('XX') + 2);
    const bodies = [...good.slice(0, 10).map((e) => Buffer.from(JSON.stringify(e))), notJson, notUtf8];
    bodies.push(...good.slice(10).map((e) => Buffer.from(JSON.stringify(e))));
    const answers = await Promise.all(
      bodies.map((body) =>
        t.app.inject({
          method: 'POST',
          url: '/webhooks/stripe',
          headers: { 'content-type': 'application/json', 'stripe-signature': signBytes(body) },
          payload: body,
        }),
      ),
    );
    const codes = answers.map((r) => r.statusCode);
    assert.deepEqual(codes, [...Array(10).fill(200), 400, 400, ...Array(10).fill(200)]);
    for (const r of [answers[10]!, answers[11]!])
      assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'invalid_json');
    for (const e of good) assert.equal((await stored(e.id)).rows, 1, e.id);
    const refused = [notJson, notUtf8].map((b) => /"id":"(evt_[^"]+)"/.exec(b.toString('latin1'))![1]!);
    for (const id of refused) assert.equal((await stored(id)).rows, 0, id);
    // Each stored as it was sent.
    const kept = await t.context.db.query<{ id: string; body: string }>(
      'SELECT id, payload::text AS body FROM stripe_events WHERE id = ANY($1)',
      [good.map((e) => e.id)],
    );
    for (const r of kept.rows) assert.equal(r.body, JSON.stringify(good.find((e) => e.id === r.id)));
  });

  test('an event that cannot be stored → 503, so Stripe retries', async () => {
    const own = await createTestDatabase();
    const other = await createTestApp(await own.open(), { syncCatalog: false });
    try {
      await own.takeDown();
      const body = JSON.stringify(event());
      const r = await other.app.inject({
        method: 'POST',
        url: '/webhooks/stripe',
        headers: { 'content-type': 'application/json', 'stripe-signature': sign(body) },
        payload: body,
      });
      assert.equal(r.statusCode, 503, r.body);
      assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'storage_unavailable');
    } finally {
      await other.app.close();
      await own.destroy();
    }
  });
});
