// `paydesk reconcile`, `paydesk webhooks replay`, `paydesk subscriptions check` as a person runs them:
// on their own (the command opens the database and the emulator and runs the apply-jobs), and next to
// a running embedded paydesk (the command hands the work to it through the admin API).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RunningEmulator, startEmulator } from '@paydesk/emulator';
import type Stripe from 'stripe';
import { jobKinds } from '../jobs.js';
import { migrate } from '../platform/db/migrate.js';
import { openPglite } from '../platform/db/pglite.js';
import type { Db } from '../platform/db/types.js';
import { serverInfoFile } from '../server.js';
import { createTestApp, TEST_ADMIN_KEY, type TestApp } from '../testing/app.js';
import { captureIo } from '../testing/cli-io.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { createStripeClient, EMULATOR_KEY_FOR_TESTS } from '../testing/stripe.js';
import { runCli } from './run.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paydesk-recovery-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(argv: string[], env: Record<string, string>, tty = false) {
  const io = captureIo(tty);
  const code = await runCli(argv, env, io);
  return { code, ...io };
}

describe('on their own: the command opens the database and Stripe itself', () => {
  let emulator: RunningEmulator;
  let stripe: Stripe;
  let tdb: TestDatabase | undefined;
  let env: Record<string, string>;
  const dataDir = () => join(dir, 'alone');

  before(async () => {
    emulator = await startEmulator({ port: 0 });
    stripe = createStripeClient({
      secretKey: EMULATOR_KEY_FOR_TESTS,
      apiBase: emulator.url,
      maxNetworkRetries: 0,
    });
    env = { PAYDESK_DATA_DIR: dataDir(), STRIPE_API_BASE: emulator.url, PAYDESK_LOG_LEVEL: 'silent' };
    if (process.env.PAYDESK_TEST_DATABASE_URL) {
      tdb = await createTestDatabase();
      const db = await tdb.open();
      await migrate(db);
      env.DATABASE_URL = tdb.url!;
    }
  });
  after(async () => {
    await emulator.close();
    await tdb?.destroy();
  });

  async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    if (tdb) return fn(await tdb.open());
    const db = await openPglite({ dataDir: join(dataDir(), 'pglite') });
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }

  test('reconcile stores what it missed, with a progress line per page; a second run finds nothing new', async () => {
    for (let i = 0; i < 3; i++)
      await stripe.customers.create({ email: `alone${i}@example.com` }, { idempotencyKey: `pd:alone-${i}` });
    const first = await cli(['reconcile', '--since', '1h'], env);
    assert.equal(first.code, 0, first.stderr + first.stdout);
    assert.match(first.stdout, /^ {2}seen {5}3$/m);
    assert.match(first.stdout, /^ {2}new {6}3 /m);
    assert.match(first.stdout, /^ {2}applied {2}0$/m);
    assert.match(first.stdout, /^ {2}ignored {2}3$/m, 'customer.created has no handler: stored, ignored');
    assert.match(first.stderr, /^\[100\/100\] % of the time range; 3 seen, 3 new$/m);
    const stored = await withDb((db) =>
      db.query<{ status: string; source: string; n: number }>(
        'SELECT status, source, count(*)::int AS n FROM stripe_events GROUP BY status, source',
      ),
    );
    assert.deepEqual(stored.rows, [{ status: 'ignored', source: 'reconcile', n: 3 }]);

    const second = await cli(['reconcile'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^ {2}new {6}0 /m);
  });

  test('webhooks replay prints the outcome; an unknown id fails', async () => {
    const [ev] = (await stripe.events.list({ limit: 1 })).data;
    const r = await cli(['webhooks', 'replay', ev!.id], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `^${ev!.id} \\(customer.created\\) replayed \\(attempt 1\\): ignored \\(no handler for customer.created\\)$`,
        'm',
      ),
    );
    const missing = await cli(['webhooks', 'replay', 'evt_nothere'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such resource/);
    const usage = await cli(['webhooks', 'replay', 'cus_123'], env);
    assert.equal(usage.code, 2);
  });

  test('subscriptions check with nothing to check; a bad --since is a usage error', async () => {
    const r = await cli(['subscriptions', 'check', '--dry-run'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^0 checked, 0 drifted\.$/m);
    const bad = await cli(['reconcile', '--since', 'last week'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /neither an ISO time nor a duration/);
  });
});

describe('next to a running embedded paydesk: the work goes to it', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let env: Record<string, string>;

  before(async () => {
    tdb = await createTestDatabase();
    t = await createTestApp(await tdb.open());
    t.context.queue.start(jobKinds(t.context));
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const dataDir = join(dir, 'running');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dataDir, { recursive: true });
    const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    await writeFile(serverInfoFile(dataDir), JSON.stringify({ url, pid: process.pid }));
    env = { PAYDESK_DATA_DIR: dataDir, PAYDESK_ADMIN_KEY: TEST_ADMIN_KEY, PAYDESK_LOG_LEVEL: 'silent' };
  });
  after(async () => {
    await t.app.close();
    await tdb.destroy();
  });

  test('reconcile, replay and check run in the server, whose database shows the result', async () => {
    await t.stripe.customers.create({ email: 'remote@example.com' }, { idempotencyKey: 'pd:remote-1' });
    const r = await cli(['reconcile', '--since', '1h'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /through its admin API/);
    const seen = Number(/^ {2}seen +(\d+)$/m.exec(r.stdout)?.[1]);
    assert.ok(seen >= 1, r.stdout);
    const stored = await t.context.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM stripe_events WHERE source = 'reconcile'`,
    );
    assert.equal(stored.rows[0]!.n, seen);
    assert.equal(r.stderr, '', 'no progress bar: the server does the work');

    const ev = await t.context.db.query<{ id: string }>('SELECT id FROM stripe_events LIMIT 1');
    const replay = await cli(['webhooks', 'replay', ev.rows[0]!.id], env);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /: ignored \(no handler for /);

    const check = await cli(['subscriptions', 'check'], env);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /0 checked, 0 drifted, 0 fixed\./);
  });

  test('a wrong admin key is refused with a clear message', async () => {
    const r = await cli(['reconcile'], {
      ...env,
      PAYDESK_ADMIN_KEY: 'pda_wrong_key_0123456789abcdefghijklmn',
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refused the admin key/);
  });
});
