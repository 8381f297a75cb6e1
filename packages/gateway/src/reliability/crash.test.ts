// The crash test: paydesk runs as a real child process (`paydesk serve`) against an emulator started
// here; while customers subscribe and buy credit packs (webhooks arriving, jobs running), the child is
// killed with SIGKILL again and again and restarted. In the end every event the emulator emitted is
// stored, every stored event processed, and every effect is there exactly once (verify.ts).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '@paydesk/emulator';
import Stripe from 'stripe';
import { demoCatalogPath, loadCatalog } from '../catalog/catalog.js';
import { applySync, planSync } from '../catalog/sync.js';
import { currentBalance } from '../credits/service.js';
import { activeKeys, entitlementOf } from '../entitlements/service.js';
import { signUserToken } from '../platform/auth/jwt.js';
import { openPglite } from '../platform/db/pglite.js';
import type { Db } from '../platform/db/types.js';
import { createTestDatabase, testDatabaseUrl } from '../testing/db.js';
import { freePort } from '../testing/net.js';
import { createStripeClient, EMULATOR_KEY_FOR_TESTS } from '../testing/stripe.js';
import type { CreditStep } from './model.js';
import { type CustomerUnderTest, eventsSince, verifyCustomer, verifyPipeline } from './verify.js';

const root = fileURLToPath(new URL('../../../..', import.meta.url));
const JWT_SECRET = 'crash-test-jwt-secret-0123456789abcdefghijkl';
const KILLS = 5;

test('paydesk killed with SIGKILL five times while webhooks and jobs run: every event applied exactly once', async () => {
  const emulator = await startEmulator({
    port: 0,
    // Deliveries that hit a dead paydesk come back quickly and for long enough to outlive the kills.
    webhookSchedule: { baseDelayMs: 150, factor: 1.5, maxAttempts: 30, timeoutMs: 5_000 },
  });
  const tdb = testDatabaseUrl ? await createTestDatabase() : undefined;
  const dataDir = await mkdtemp(join(tmpdir(), 'paydesk-crash-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    STRIPE_API_BASE: emulator.url,
    PAYDESK_DATA_DIR: dataDir,
    PAYDESK_JWT_SECRET: JWT_SECRET,
    PAYDESK_LOG_LEVEL: 'warn',
    PAYDESK_SHUTDOWN_TIMEOUT_MS: '5000',
    ...(tdb?.url ? { DATABASE_URL: tdb.url } : {}),
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
    for (let i = 0; i < 1_200; i++) {
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
  let db: Db | undefined;
  let driving = true;
  let killer: Promise<void> = Promise.resolve();
  const catalog = await loadCatalog(demoCatalogPath, 'default');
  try {
    // An external emulator is not synced by paydesk (only its in-process one is): sync it as an
    // operator would with `paydesk catalog sync`.
    const admin = createStripeClient({
      secretKey: EMULATOR_KEY_FOR_TESTS,
      apiBase: emulator.url,
      maxNetworkRetries: 0,
    });
    await applySync(admin, await planSync(admin, catalog));
    await start();
    const stripe = new Stripe('sk_test_crash_harness', {
      host: '127.0.0.1',
      port: emulator.port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    const first = (await stripe.events.list({ limit: 1 })).data[0]?.id;
    const token = (sub: string) =>
      signUserToken(JWT_SECRET, {
        subject: sub,
        issuer: 'paydesk',
        audience: 'paydesk',
        email: `${sub}@example.com`,
      });
    /** A call to paydesk, retried while it is down (connection refused) or restarting (503). */
    const call = async (method: string, path: string, sub: string, body?: object) => {
      for (let i = 0; ; i++) {
        const r = await fetch(`${base}${path}`, {
          method,
          headers: { authorization: `Bearer ${await token(sub)}`, 'content-type': 'application/json' },
          ...(body ? { body: JSON.stringify(body) } : {}),
        }).catch(() => undefined);
        if (r && r.status < 500)
          return { status: r.status, body: (await r.json()) as Record<string, unknown> };
        if (i > 600) throw new Error(`${method} ${path}: paydesk never answered`);
        await sleep(50);
      }
    };

    // The killer: SIGKILL at uneven moments, restart at once.
    killer = (async () => {
      for (let k = 0; k < KILLS && driving; k++) {
        await sleep(700 + k * 250);
        await stop('SIGKILL');
        await start();
      }
    })();

    // The activity: half the customers subscribe (Stripe charges them), half buy credit packs through
    // paydesk's Checkout; each step retried until paydesk answers.
    const customers: (CustomerUnderTest & { sub: string; steps: CreditStep[] })[] = [];
    const N = 16;
    await Promise.all(
      Array.from({ length: 4 }, async (_, lane) => {
        for (let i = lane; i < N; i += 4) {
          const sub = `crash-${i}`;
          const created = await call('POST', '/v1/customers', sub, {});
          assert.ok(created.status === 201 || created.status === 200, JSON.stringify(created.body));
          const id = String(created.body.id);
          const stripeCustomerId = String(created.body.stripe_customer_id ?? '');
          const c = { id, stripeCustomerId, sub, steps: [] as CreditStep[] };
          customers.push(c);
          if (i % 2 === 0) {
            const price = (await stripe.prices.list({ limit: 100 })).data.find(
              (p) =>
                p.metadata.paydesk_id === 'starter' &&
                p.recurring?.interval === 'month' &&
                p.currency === 'usd',
            );
            assert.ok(price, 'the catalog was synced into the emulator');
            const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: stripeCustomerId });
            await stripe.subscriptions.create({
              customer: stripeCustomerId,
              items: [{ price: price.id }],
              default_payment_method: pm.id,
            });
          } else {
            for (const [j, quantity] of [1, 2].entries()) {
              const r = await call('POST', '/v1/checkout/sessions', sub, {
                pack: 'credits-100',
                quantity,
                currency: 'usd',
              });
              // A retried request after a crash may meet the record its first attempt left: both are fine.
              assert.equal(r.status, 201, JSON.stringify(r.body));
              const session = String(r.body.id);
              await stripe.rawRequest('POST', `/v1/payment_pages/${session}/confirm`, {
                payment_method: 'pm_card_visa',
                expected_amount: 500 * quantity,
              });
              c.steps.push({ kind: 'pack', session: `${session}:${j}`, credits: 100 * quantity });
            }
          }
        }
      }),
    );
    driving = false;
    await killer;

    // Let every retried delivery land and every job finish. The database is the child's (PGlite is
    // one process's), so look at it only while the child is stopped; restart it while work remains.
    for (let round = 0; ; round++) {
      await emulator.delivery.idle();
      await sleep(500);
      await stop('SIGTERM');
      db = tdb ? await tdb.open() : await openPglite({ dataDir: join(dataDir, 'pglite') });
      const left = await db.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM jobs WHERE status IN ('queued', 'running'))::int
              + (SELECT count(*) FROM stripe_events WHERE status = 'pending')::int AS n`,
      );
      const missing = (await eventsSince(stripe, first)).length;
      const stored = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM stripe_events');
      if (left.rows[0]!.n === 0 && stored.rows[0]!.n >= missing) break;
      assert.ok(round < 20, `work left after ${round} restarts: ${left.rows[0]!.n}`);
      if (!tdb) await db.close();
      db = undefined;
      await start();
      await sleep(1_000);
    }

    // Subscribers: one paid invoice each (reset to the plan's credits).
    for (const c of customers) {
      const invoices = await stripe.invoices.list({ customer: c.stripeCustomerId, status: 'paid' });
      for (const inv of invoices.data)
        c.steps.push({ kind: 'period', invoice: inv.id!, credits: 200, mode: 'reset' });
    }
    const q = db;
    const mismatches: string[] = [];
    for (const c of customers) {
      mismatches.push(
        ...(await verifyCustomer(
          {
            db: q,
            stripe,
            catalog,
            refundClawback: true,
            readEntitlements: async (x) => {
              const row = await entitlementOf(q, x.id);
              return {
                access: row ? activeKeys(row, 7, new Date()) : [],
                status: row?.status ?? null,
                plan: row?.plan ?? null,
                credits: await currentBalance(q, x.id),
              };
            },
          },
          c,
        )),
      );
    }
    const pipeline = await verifyPipeline(q, stripe, first);
    mismatches.push(...pipeline.mismatches);
    assert.deepEqual(mismatches, []);
    assert.ok(pipeline.events > N * 5, `only ${pipeline.events} events`);
  } finally {
    driving = false;
    await killer.catch(() => {});
    await stop('SIGKILL');
    if (db && !tdb) await db.close().catch(() => {});
    await tdb?.destroy();
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
