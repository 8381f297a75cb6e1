// Billing pages benchmark: server time of the pricing and account pages, and the bytes each sends.
//   npm run bench:pages [-- --database postgres://postgres@127.0.0.1:5432/paydesk_pages]
//                       [-- --customers 100000] [-- --payments 1000000] [-- --requests 500]
//
// paydesk runs in this process on PostgreSQL (the database named by --database, emptied first) with
// the Stripe emulator in-process. The database is seeded with generate_series: --customers customers
// and --payments payments spread over them; the measured customer is a real one (a Stripe customer
// with an active Pro subscription in the emulator, 40 payments and 40 credit-ledger entries of its
// own). Each page is requested --requests times through app.inject (no network; the server's time
// from request to the last byte), signed in with a page session, after 50 warm-up requests.
// The account page asks Stripe (here: the in-process emulator) for the subscription, invoices and card
// on every view, so its time includes three emulator calls.
// Goals: p99 ≤ 20 ms for both pages; ≤ 60 KB per page without Stripe.js.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig, startServer } from '../../packages/gateway/src/index.js';
import { signUserToken } from '../../packages/gateway/src/platform/auth/jwt.js';
import { idempotencyKey } from '../../packages/gateway/src/platform/stripe/client.js';

const { values } = parseArgs({
  options: {
    database: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/paydesk_pages' },
    customers: { type: 'string', default: '100000' },
    payments: { type: 'string', default: '1000000' },
    requests: { type: 'string', default: '500' },
  },
});
const CUSTOMERS = Number(values.customers);
const PAYMENTS = Number(values.payments);
const REQUESTS = Number(values.requests);
const JWT_SECRET = 'bench-pages-jwt-secret-0123456789abcdefghij';

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function resetDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  console.log(
    `machine: ${cpus().length} cores (shared), load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  await resetDatabase(values.database);
  const dataDir = await mkdtemp(join(tmpdir(), 'paydesk-bench-pages-'));
  const config = loadConfig({
    DATABASE_URL: values.database,
    PORT: '0',
    PAYDESK_EMULATOR_PORT: '0',
    PAYDESK_DATA_DIR: dataDir,
    PAYDESK_LOG_LEVEL: 'warn',
    PAYDESK_JWT_SECRET: JWT_SECRET,
    PAYDESK_ADMIN_KEY: 'pda_bench_admin_key_0123456789abcdefghijklmn',
  });
  const server = await startServer(config);
  try {
    const { db, app, context } = server;
    const t0 = performance.now();
    await db.query(
      `INSERT INTO customers (id, external_id, email)
       SELECT 'cust_bench' || lpad(g::text, 8, '0'), 'bench-' || g, 'user' || g || '@example.com'
       FROM generate_series(1, $1::int) g`,
      [CUSTOMERS],
    );
    await db.query(
      `INSERT INTO payments (id, stripe_payment_intent_id, customer_id, amount, currency, source, item_kind, item_id,
         quantity, description, paid_at)
       SELECT 'pay_bench' || g, 'pi_bench' || g, 'cust_bench' || lpad((1 + (g % $1::int))::text, 8, '0'),
         500, 'usd', 'checkout', 'pack', 'credits-100', 1, '100 credits',
         now() - (g || ' seconds')::interval
       FROM generate_series(1, $2::int) g`,
      [CUSTOMERS, PAYMENTS],
    );
    await db.query('ANALYZE customers; ANALYZE payments');
    console.log(
      `seeded ${CUSTOMERS} customers and ${PAYMENTS} payments in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    // The measured user: signed in through a link, then given a Stripe customer with an active plan.
    const token = await signUserToken(JWT_SECRET, {
      subject: 'bench-measured',
      issuer: 'paydesk',
      audience: 'paydesk',
      email: 'measured@example.com',
    });
    const signIn = await app.inject({ method: 'GET', url: `/sign-in?token=${token}` });
    const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
    const me = await app.inject({
      method: 'GET',
      url: '/v1/customers/me',
      headers: { authorization: `Bearer ${token}` },
    });
    const customer = JSON.parse(me.body) as { id: string; stripe_customer_id: string };
    const created = await app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: { authorization: `Bearer ${token}` },
      payload: { plan: 'pro', interval: 'month', currency: 'usd' },
    });
    const secret = (JSON.parse(created.body) as { client_secret: string }).client_secret;
    const pi = secret.split('_secret_')[0]!;
    await context.stripe.paymentIntents.confirm(
      pi,
      { payment_method: 'pm_card_visa' },
      { idempotencyKey: idempotencyKey('bench', pi) },
    );
    await db.query(
      `INSERT INTO payments (id, stripe_payment_intent_id, customer_id, amount, currency, source, item_kind, item_id, quantity, description, paid_at)
       SELECT 'pay_measured' || g, 'pi_measured' || g, $1, 500, 'usd', 'checkout', 'pack', 'credits-100', 1, '100 credits', now() - (g || ' hours')::interval
       FROM generate_series(1, 40) g`,
      [customer.id],
    );
    await db.query(
      `INSERT INTO credit_ledger (customer_id, delta, balance, reason, cause, note)
       SELECT $1, 100, 100 * g, 'pack_purchase', 'bench:' || g, null FROM generate_series(1, 40) g`,
      [customer.id],
    );

    const plan = await db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT id FROM payments WHERE customer_id = $1 ORDER BY paid_at DESC, created_at DESC, id DESC LIMIT 11`,
      [customer.id],
    );
    const planText = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    console.log(`payment history query plan:\n${planText}`);
    if (!/payments_customer_newest/.test(planText))
      throw new Error('the payment history query does not use its index');

    const pages = [
      { name: 'pricing', url: '/pricing' },
      { name: 'account', url: '/account' },
    ];
    for (const p of pages) {
      const headers = { cookie };
      for (let i = 0; i < 50; i++) await app.inject({ method: 'GET', url: p.url, headers });
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < REQUESTS; i++) {
        const start = performance.now();
        const res = await app.inject({ method: 'GET', url: p.url, headers });
        times.push(performance.now() - start);
        if (res.statusCode !== 200) throw new Error(`${p.url} answered ${res.statusCode}`);
        bytes = res.rawPayload.length;
      }
      times.sort((a, b) => a - b);
      const page = await app.inject({ method: 'GET', url: p.url, headers });
      const assets = [...page.body.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
      let assetBytes = 0;
      for (const a of assets) assetBytes += (await app.inject({ method: 'GET', url: a })).rawPayload.length;
      console.log(
        `${p.name}: p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms over ${REQUESTS} requests; ` +
          `${(bytes / 1024).toFixed(1)} KB HTML + ${(assetBytes / 1024).toFixed(1)} KB own assets = ${((bytes + assetBytes) / 1024).toFixed(1)} KB without Stripe.js`,
      );
    }
  } finally {
    await server.shutdown('bench done');
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
