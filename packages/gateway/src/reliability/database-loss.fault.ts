// Losing PostgreSQL under a webhook stream (run by .ci/run, on PostgreSQL only: this file is named
// *.fault.ts so that `npm test` never collects it; scripts/run-tests.mjs runs it when named).
//
// A real `paydesk serve` process on its own PostgreSQL database takes a bounded stream of correctly
// signed deliveries (customer.deleted for customers it knows, each of which marks its customer
// deleted when applied) from senders that retry as Stripe does until they get a 200. Meanwhile its
// backends are terminated three times (pg_terminate_backend on its application_name), then its
// connections are cut and refused for a while, as a server restart does. Asserted: the process never
// exits; every event answered 200 is stored exactly once and applied (its customer marked deleted);
// /readyz answered 503 during the outage and 200 after it.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type RunningEmulator, startEmulator } from '@paydesk/emulator';
import pg from 'pg';
import Stripe from 'stripe';
import { createTestDatabase, type TestDatabase, testDatabaseUrl } from '../testing/db.js';

const SECRET = 'whsec_fault_test_secret_0123456789abcdef';
const EVENTS = 300;
const SENDERS = 8;
const APP = 'paydesk';

if (!testDatabaseUrl) {
  throw new Error('database-loss.fault.ts runs on PostgreSQL: set PAYDESK_TEST_DATABASE_URL (see .ci/run)');
}

let tdb: TestDatabase;
let emulator: RunningEmulator;
let child: ChildProcess;
let out = '';
let url = '';
let admin: pg.Client;
let dbName = '';

before(async () => {
  tdb = await createTestDatabase();
  dbName = new URL(tdb.url!).pathname.slice(1);
  emulator = await startEmulator({ port: 0 });
  admin = new pg.Client({ connectionString: testDatabaseUrl, application_name: 'paydesk-fault-admin' });
  await admin.connect();
  const cli = fileURLToPath(new URL('../cli.ts', import.meta.url));
  child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', cli, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      DATABASE_URL: tdb.url!,
      PAYDESK_DB_POOL_SIZE: '6',
      STRIPE_API_BASE: emulator.url,
      STRIPE_WEBHOOK_SECRET: SECRET,
      PAYDESK_JWT_SECRET: 'fault-test-jwt-secret-0123456789abcdefghij',
      PAYDESK_ADMIN_KEY: 'pda_fault_test_admin_key_0123456789abcdefghij',
      PAYDESK_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => {
    out += c;
  });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 120_000);
    child.stdout!.on('data', (c: string) => {
      out += c;
      const m = /paydesk listening on (http:\/\/[^"\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`paydesk exited (${code}) while starting: ${out}`)));
  });
  // Its customers, each linked to a Stripe customer id the events name.
  const db = await tdb.open();
  for (let i = 0; i < EVENTS; i++) {
    await db.query(`INSERT INTO customers (id, external_id, stripe_customer_id) VALUES ($1, $2, $3)`, [
      `cust_fault_${i}`,
      `fault-${i}`,
      `cus_fault_${i}`,
    ]);
  }
});

after(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  await admin?.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`).catch(() => {});
  await admin?.end();
  await emulator?.close();
  await tdb?.destroy();
});

function eventBody(i: number): string {
  return JSON.stringify({
    id: `evt_fault_${i}`,
    object: 'event',
    api_version: Stripe.API_VERSION,
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'customer.deleted',
    data: { object: { id: `cus_fault_${i}`, object: 'customer', deleted: true } },
  });
}

/** Terminates every backend of paydesk's pool; returns how many there were. */
async function terminateBackends(): Promise<number> {
  const r = await admin.query<{ n: number }>(
    `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
      WHERE application_name = $1 AND datname = $2`,
    [APP, dbName],
  );
  return r.rows[0]!.n;
}

describe('losing PostgreSQL under a webhook stream', () => {
  test('the process survives, every acknowledged event is stored once and applied, /readyz goes 503 and back', async () => {
    const acknowledged = new Set<number>();
    const statuses = new Map<number, number>();
    const readiness: { at: number; status: number }[] = [];
    let streaming = true;

    // /readyz, watched throughout.
    const watcher = (async () => {
      while (streaming) {
        const status = await fetch(`${url}/readyz`).then(
          (r) => r.status,
          () => 0,
        );
        readiness.push({ at: Date.now(), status });
        await sleep(100);
      }
    })();

    // Senders: each event until it is answered 200 (Stripe retries anything else).
    let next = 0;
    const deadline = Date.now() + 240_000;
    const sender = async () => {
      for (;;) {
        const i = next++;
        if (i >= EVENTS) return;
        const body = eventBody(i);
        while (Date.now() < deadline) {
          const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET });
          const status = await fetch(`${url}/webhooks/stripe`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'stripe-signature': signature },
            body,
          }).then(
            (r) => r.arrayBuffer().then(() => r.status),
            () => 0,
          );
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status === 200) {
            acknowledged.add(i);
            break;
          }
          assert.ok(status === 503 || status === 0, `event ${i}: answered ${status}`);
          await sleep(50);
        }
        // Paced, so that the stream is still flowing while the faults happen.
        await sleep(20);
      }
    };
    const sending = Promise.all(Array.from({ length: SENDERS }, sender));

    // The faults: three terminations of paydesk's backends, then a restart-like outage.
    const waitFor = async (n: number) => {
      while (acknowledged.size < n && Date.now() < deadline) await sleep(20);
    };
    const terminated: number[] = [];
    for (const at of [40, 90, 140]) {
      await waitFor(at);
      terminated.push(await terminateBackends());
      assert.equal(child.exitCode, null, `paydesk exited after a termination: ${out.slice(-3000)}`);
    }
    await waitFor(180);
    const outageStart = Date.now();
    await admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS false`);
    terminated.push(await terminateBackends());
    await sleep(3_000);
    await admin.query(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`);
    const outageEnd = Date.now();

    await sending;
    assert.equal(child.exitCode, null, `paydesk exited: ${out.slice(-3000)}`);
    assert.equal(
      acknowledged.size,
      EVENTS,
      `every event was eventually acknowledged (${JSON.stringify([...statuses])})`,
    );
    assert.ok(
      terminated.slice(0, 3).every((n) => n > 0),
      `each termination found paydesk's backends: ${terminated.join(', ')}`,
    );

    // Every acknowledged event: stored exactly once, and applied (its customer marked deleted).
    const db = await tdb.open();
    let pending = Number.POSITIVE_INFINITY;
    const applyDeadline = Date.now() + 180_000;
    while (pending > 0 && Date.now() < applyDeadline) {
      const r = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM stripe_events WHERE id LIKE 'evt_fault_%' AND status <> 'processed'`,
      );
      pending = r.rows[0]!.n;
      if (pending > 0) await sleep(500);
    }
    const rows = await db.query<{ id: string; n: number; status: string }>(
      `SELECT id, count(*)::int AS n, min(status) AS status FROM stripe_events WHERE id LIKE 'evt_fault_%' GROUP BY id`,
    );
    assert.equal(rows.rows.length, EVENTS, 'every acknowledged event is stored');
    for (const r of rows.rows) {
      assert.equal(r.n, 1, `${r.id} stored once`);
      assert.equal(r.status, 'processed', `${r.id} applied`);
    }
    const deleted = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM customers WHERE id LIKE 'cust_fault_%' AND deleted_at IS NOT NULL`,
    );
    assert.equal(deleted.rows[0]!.n, EVENTS, 'each event’s effect is there');

    // /readyz: 503 during the outage, 200 after it.
    const healthyAgain = Date.now() + 30_000;
    while (Date.now() < healthyAgain) {
      if ((await fetch(`${url}/readyz`)).status === 200) break;
      await sleep(200);
    }
    streaming = false;
    await watcher;
    const during = readiness.filter((r) => r.at >= outageStart && r.at <= outageEnd);
    assert.ok(
      during.some((r) => r.status === 503),
      `/readyz went 503 during the outage: ${JSON.stringify(during)}`,
    );
    assert.ok(
      readiness.some((r) => r.at > outageEnd && r.status === 200),
      '/readyz came back to 200 after the outage',
    );
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal(child.exitCode, null, 'the process is still running');
    assert.ok((statuses.get(503) ?? 0) + (statuses.get(0) ?? 0) > 0, 'some deliveries met the faults');
    assert.doesNotMatch(out, /Unhandled 'error' event|uncaughtException/);
  });
});
