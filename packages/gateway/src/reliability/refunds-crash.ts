// The refunds crash test (run by refunds-crash.test.ts on the database queue and by
// refunds-crash.rabbitmq.ts over RabbitMQ): paydesk runs as a real child process (`paydesk serve`)
// against an emulator started here, whose refund calls are slowed down so that many are in flight at
// once. 500 async refunds are queued; the child is killed with SIGKILL twice while they run, and restarted. In the end
// each refund is succeeded exactly once: one refund in the emulator per request, with the id paydesk
// recorded, and no refund in the emulator that paydesk does not know.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '@paydesk/emulator';
import Stripe from 'stripe';
import { demoCatalogPath, loadCatalog } from '../catalog/catalog.js';
import { applySync, planSync } from '../catalog/sync.js';
import { openPglite } from '../platform/db/pglite.js';
import type { Db } from '../platform/db/types.js';
import { createTestDatabase, testDatabaseUrl } from '../testing/db.js';
import { freePort } from '../testing/net.js';
import { createStripeClient, EMULATOR_KEY_FOR_TESTS } from '../testing/stripe.js';

const root = fileURLToPath(new URL('../../../..', import.meta.url));
const ADMIN_KEY = 'pda_refunds_crash_admin_key_0123456789abcdef';
export const CRASH_REFUNDS = 500;

/** Runs the crash test; with `rabbitmq` (a broker URL) paydesk's jobs go through RabbitMQ. */
export async function refundsCrash(
  options: { rabbitmq?: { url: string; env: Record<string, string> } } = {},
): Promise<void> {
  const REFUNDS = CRASH_REFUNDS;
  const emulator = await startEmulator({
    port: 0,
    webhookSchedule: { baseDelayMs: 150, factor: 1.5, maxAttempts: 30, timeoutMs: 5_000 },
  });
  const tdb = testDatabaseUrl ? await createTestDatabase() : undefined;
  const dataDir = await mkdtemp(join(tmpdir(), 'paydesk-refunds-crash-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    STRIPE_API_BASE: emulator.url,
    PAYDESK_DATA_DIR: dataDir,
    PAYDESK_ADMIN_KEY: ADMIN_KEY,
    PAYDESK_LOG_LEVEL: 'warn',
    PAYDESK_SHUTDOWN_TIMEOUT_MS: '5000',
    ...(tdb?.url ? { DATABASE_URL: tdb.url } : {}),
    ...options.rabbitmq?.env,
  };
  let child: ChildProcess | undefined;
  let stderr = '';
  const start = async () => {
    const c = spawn(
      process.execPath,
      ['--conditions=development', '--import', 'tsx', 'packages/gateway/src/cli.ts', 'serve'],
      { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    c.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-20_000);
    });
    child = c;
    // Up to 3 minutes: a first start creates the PGlite data directory, on a machine shared with other work.
    for (let i = 0; i < 3_600; i++) {
      if (c.exitCode !== null) throw new Error(`paydesk exited with ${c.exitCode}: ${stderr}`);
      const ok = await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await sleep(50);
    }
    throw new Error(`paydesk did not become ready: ${stderr}`);
  };
  const stop = async (signal: 'SIGKILL' | 'SIGTERM') => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill(signal); // this child's PID only
    await exited;
  };
  /** A call to paydesk, retried while it is down (connection refused) or restarting (503). */
  const call = async (method: string, path: string, token: string, body?: object) => {
    for (let i = 0; ; i++) {
      const r = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }).catch(() => undefined);
      if (r && r.status < 500) return { status: r.status, body: (await r.json()) as Record<string, unknown> };
      if (i > 600) throw new Error(`${method} ${path}: paydesk never answered`);
      await sleep(50);
    }
  };
  let db: Db | undefined;
  try {
    const admin = createStripeClient({
      secretKey: EMULATOR_KEY_FOR_TESTS,
      apiBase: emulator.url,
      maxNetworkRetries: 0,
    });
    await applySync(admin, await planSync(admin, await loadCatalog(demoCatalogPath, 'default')));
    await start();
    const created = await call('POST', '/admin/api-keys', ADMIN_KEY, {
      name: 'crash',
      scopes: ['read', 'write'],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const apiKey = String(created.body.key);

    // The payments to refund, paid at once with a test card (sixteen lanes).
    const payments: string[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async (_, lane) => {
        for (let i = lane; i < REFUNDS; i += 16) {
          const r = await call('POST', '/v1/payment_intents', apiKey, {
            pack: 'credits-100',
            currency: 'usd',
            payment_method: 'pm_card_visa',
          });
          assert.equal(r.status, 201, JSON.stringify(r.body));
          payments[i] = String(r.body.id);
        }
      }),
    );

    // Stripe holds its answers to refund calls (it makes the refund, then does not answer): the
    // refunds paydesk's workers start are in flight, the rest queued, when paydesk is killed.
    emulator.faults.configure({ routes: [{ method: 'POST', path: '/v1/refunds', latencyMs: 15_000 }] });
    await Promise.all(
      Array.from({ length: 16 }, async (_, lane) => {
        for (let i = lane; i < REFUNDS; i += 16) {
          const r = await call('POST', '/v1/refunds', ADMIN_KEY, {
            payment_intent: payments[i],
            amount: 200,
            async: true,
            request_id: `crash-refund-${i}`,
          });
          assert.equal(r.status, 202, JSON.stringify(r.body));
        }
      }),
    );
    const stripe = new Stripe('sk_test_crash_harness', {
      host: '127.0.0.1',
      port: emulator.port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    const madeInStripe = async () => {
      let n = 0;
      for await (const _ of stripe.refunds.list({ limit: 100 })) n++;
      return n;
    };
    const succeeded = async () => {
      const r = await call('GET', '/v1/refunds?status=succeeded&limit=100', ADMIN_KEY);
      return (r.body.data as unknown[]).length;
    };
    for (let i = 0; (await madeInStripe()) === 0; i++) {
      assert.ok(i < 1_200, 'no refund reached Stripe');
      await sleep(50);
    }
    await stop('SIGKILL');
    // From now on Stripe answers, a little slowly; kill once more when part of them are done.
    emulator.faults.configure({ routes: [{ method: 'POST', path: '/v1/refunds', latencyMs: 30 }] });
    await start();
    for (let i = 0; (await succeeded()) < 40; i++) {
      assert.ok(i < 2_400, 'refunds did not progress after the restart');
      await sleep(50);
    }
    await stop('SIGKILL');
    await start();
    // Until nothing waits for Stripe any more.
    for (let i = 0; ; i++) {
      const waiting = await Promise.all(
        ['queued', 'processing'].map((status) =>
          call('GET', `/v1/refunds?status=${status}&limit=1`, ADMIN_KEY),
        ),
      );
      if (waiting.every((w) => (w.body.data as unknown[]).length === 0)) break;
      assert.ok(i < 1_200, 'refunds still waiting after a minute');
      await sleep(50);
    }
    // On PostgreSQL a killed worker's jobs are taken again only when their lease (30 s) runs out, and
    // their refunds may have been settled by Stripe's webhooks before that: wait for those jobs too.
    // (On PGlite the restart takes every held job back at once, so they have run by now.)
    if (tdb) {
      const probe = await tdb.open();
      try {
        for (let i = 0; ; i++) {
          const open = await probe.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM jobs WHERE kind = 'refund.execute' AND status IN ('queued', 'running')`,
          );
          if (open.rows[0]!.n === 0) break;
          assert.ok(i < 1_800, 'refund jobs still held or queued after 90 s');
          await sleep(50);
        }
      } finally {
        await probe.close();
      }
    }
    emulator.faults.clear();
    await emulator.delivery.idle();
    await stop('SIGTERM');

    db = tdb ? await tdb.open() : await openPglite({ dataDir: join(dataDir, 'pglite') });
    const rows = await db.query<{
      request_id: string;
      status: string;
      stripe_refund_id: string;
      payment_intent: string;
    }>(
      `SELECT request_id, status, stripe_refund_id, stripe_payment_intent_id AS payment_intent FROM refunds ORDER BY request_id`,
    );
    assert.equal(rows.rows.length, REFUNDS, 'one refund row per request, none made twice or in Stripe only');
    const inStripe: Stripe.Refund[] = [];
    for await (const r of stripe.refunds.list({ limit: 100 })) inStripe.push(r);
    assert.equal(
      inStripe.length,
      REFUNDS,
      `the emulator made ${inStripe.length} refunds for ${REFUNDS} requests`,
    );
    const byPi = new Map<string, Stripe.Refund[]>();
    for (const r of inStripe)
      byPi.set(String(r.payment_intent), [...(byPi.get(String(r.payment_intent)) ?? []), r]);
    const wrong = rows.rows.filter((row) => {
      const made = byPi.get(row.payment_intent) ?? [];
      return (
        row.status !== 'succeeded' ||
        made.length !== 1 ||
        made[0]!.id !== row.stripe_refund_id ||
        made[0]!.amount !== 200
      );
    });
    assert.deepEqual(wrong, []);
    // The first kill came while Stripe held at least one refund call: its job ran again after the
    // restart (and met the refund Stripe had made, by its idempotency key).
    const rerun = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM jobs WHERE kind = 'refund.execute' AND attempts > 1`,
    );
    assert.ok(rerun.rows[0]!.n >= 1, 'a refund job interrupted by a kill ran again');
    process.stdout.write(`# refund jobs run again after the kills: ${rerun.rows[0]!.n}\n`);
  } finally {
    await stop('SIGKILL');
    if (db && !tdb) await db.close().catch(() => {});
    await tdb?.destroy();
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
