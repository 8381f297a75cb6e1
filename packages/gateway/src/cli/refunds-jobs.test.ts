// `paydesk refunds create|list|retry` and `paydesk jobs list|dead|retry` as an operator runs them:
// next to a running embedded paydesk (through its API with the admin key), and on their own (an app
// built in the command's process on the database).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RunningEmulator, startEmulator } from '@paydesk/emulator';
import { jobKinds } from '../jobs.js';
import { payDirect, stripeRefundsOf } from '../refunds/test-support.js';
import { serverInfoFile } from '../server.js';
import { createTestApp, TEST_ADMIN_KEY, type TestApp } from '../testing/app.js';
import { captureIo } from '../testing/cli-io.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { runCli } from './run.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paydesk-refunds-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(argv: string[], env: Record<string, string>) {
  const io = captureIo();
  const code = await runCli(argv, env, io);
  return { code, ...io };
}

describe('next to a running embedded paydesk', () => {
  let tdb: TestDatabase;
  let t: TestApp;
  let env: Record<string, string>;
  let key: string;

  before(async () => {
    tdb = await createTestDatabase();
    t = await createTestApp(await tdb.open());
    t.context.queue.start(jobKinds(t.context));
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const dataDir = join(dir, 'running');
    await mkdir(dataDir, { recursive: true });
    const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    await writeFile(serverInfoFile(dataDir), JSON.stringify({ url, pid: process.pid }));
    env = { PAYDESK_DATA_DIR: dataDir, PAYDESK_ADMIN_KEY: TEST_ADMIN_KEY, PAYDESK_LOG_LEVEL: 'silent' };
    key = await t.apiKey(['read', 'write', 'refunds']);
  });
  after(async () => {
    await t.app.close();
    await tdb.destroy();
  });

  test('refunds create: a partial refund, then over the remainder (exit 1 with the remainder)', async () => {
    const paid = await payDirect(t, key);
    const r = await cli(
      [
        'refunds',
        'create',
        '--payment',
        paid.payment,
        '--amount',
        '300',
        '--request-id',
        'cli-1',
        '--reason',
        'duplicate',
      ],
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^rf_\S+ succeeded: 300 usd of pay_\S+ \(request cli-1, 1 attempt\); Stripe re_\S+(; credits taken back \d+.*)?\n$/,
    );
    const again = await cli(
      [
        'refunds',
        'create',
        '--payment',
        paid.payment,
        '--amount',
        '300',
        '--request-id',
        'cli-1',
        '--reason',
        'duplicate',
      ],
      env,
    );
    assert.equal(again.stdout, r.stdout, 'the same request id: the same refund');
    const over = await cli(
      ['refunds', 'create', '--payment-intent', paid.paymentIntent, '--amount', '701'],
      env,
    );
    assert.equal(over.code, 1);
    assert.match(
      over.stderr,
      /HTTP 409: The amount \(701\) is more than the refundable remainder \(700\)\. .*"refundable":700/,
    );
    assert.equal((await stripeRefundsOf(t, paid.paymentIntent)).length, 1);
    const usage = await cli(['refunds', 'create', '--amount', '5'], env);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /give exactly one of --payment, --payment-intent or --charge/);
  });

  test('a dead refund job: listed by jobs dead and refunds list, retried with jobs retry, refunded once', async () => {
    const paid = await payDirect(t, key);
    t.emulator.faults.configure({
      routes: [{ method: 'POST', path: '/v1/refunds', errorRate: 1, status: 500 }],
    });
    try {
      const r = await cli(
        [
          'refunds',
          'create',
          '--payment',
          paid.payment,
          '--amount',
          '250',
          '--async',
          '--request-id',
          'cli-dead',
        ],
        env,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^rf_\S+ queued \(request cli-dead\)/);
      await t.context.queue.idle({ timeoutMs: 60_000 });
    } finally {
      t.emulator.faults.clear();
    }
    const dead = await cli(['jobs', 'dead'], env);
    assert.equal(dead.code, 0, dead.stderr);
    const row = dead.stdout.split('\n').find((l) => l.includes('refund.execute'));
    assert.ok(row, dead.stdout);
    assert.match(row, /^(\d+)\s+refund\.execute\s+dead\s+8\/8\s+rf_\S+/);
    const jobId = /^(\d+)/.exec(row)![1]!;
    const failed = await cli(['refunds', 'list', '--status', 'failed', '--payment', paid.payment], env);
    assert.match(failed.stdout, /cli-dead\s+-\s+8\s+gave up after 8 attempts: api_error \(500\)/);

    const retried = await cli(['jobs', 'retry', jobId], env);
    assert.equal(retried.code, 0, retried.stderr);
    assert.match(retried.stdout, new RegExp(`^job ${jobId} \\(refund\\.execute\\) queued, due now\\.\\n$`));
    await t.context.queue.idle({ timeoutMs: 60_000 });
    const list = await cli(['refunds', 'list', '--payment', paid.payment, '--json'], env);
    const page = JSON.parse(list.stdout) as { data: { status: string; request_id: string }[] };
    assert.deepEqual(
      page.data.map((x) => [x.request_id, x.status]),
      [['cli-dead', 'succeeded']],
    );
    assert.equal((await stripeRefundsOf(t, paid.paymentIntent)).length, 1, 'exactly one refund in Stripe');
    assert.equal((await cli(['jobs', 'dead'], env)).stdout, 'No dead jobs.\n');
    const again = await cli(['jobs', 'retry', jobId], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is done, not dead/);
    const retryDone = await cli(['refunds', 'retry', 'cli-dead'], env);
    assert.equal(retryDone.code, 1);
    assert.match(retryDone.stderr, /succeeded in Stripe: nothing to retry/);
  });
});

describe('on their own: an app built in the command’s process', () => {
  let emulator: RunningEmulator;
  let tdb: TestDatabase;
  let env: Record<string, string>;

  before(async () => {
    emulator = await startEmulator({ port: 0 });
    tdb = await createTestDatabase();
    env = {
      ...(tdb.url ? { DATABASE_URL: tdb.url } : { PAYDESK_DATA_DIR: dirname(tdb.dataDir!) }),
      STRIPE_API_BASE: emulator.url,
      PAYDESK_LOG_LEVEL: 'silent',
    };
    if (tdb.url) assert.equal((await cli(['migrate'], env)).code, 0);
  });
  after(async () => {
    await tdb.destroy();
    await emulator.close();
  });

  test('lists (empty), refuses an unknown payment, checks its arguments', async () => {
    const empty = await cli(['refunds', 'list'], env);
    assert.deepEqual([empty.code, empty.stdout, empty.stderr], [0, 'No refunds.\n', '']);
    assert.equal((await cli(['jobs', 'list', '--status', 'dead'], env)).stdout, 'No dead jobs.\n');
    const unknown = await cli(['refunds', 'create', '--payment', 'pay_nope'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /HTTP 404: No such payment of this paydesk: pay_nope\./);
    const bad = await cli(['jobs', 'list', '--status', 'sleeping'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /HTTP 400/);
    assert.equal((await cli(['jobs', 'retry', 'x'], env)).code, 2);
    assert.equal((await cli(['refunds', 'retry'], env)).code, 2);
  });
});
