// Billing pages benchmark: server time of the pricing and account pages, and the bytes each sends.
//   npm run bench:pages [-- --database postgres://postgres@127.0.0.1:5432/paydesk_pages]
//                       [-- --customers 100000] [-- --payments 1000000] [-- --requests 1000]
//
// paydesk runs in this process on PostgreSQL (the database named by --database, emptied first) with
// the Stripe emulator in-process, listening on 127.0.0.1. The database is seeded with generate_series:
// --customers customers, each with a subscription, an entitlement, a card, two credit-ledger entries
// and a page session, and --payments payments spread over them. The measured customer is a real one:
// signed in through a signed link, subscribed to Pro with the Payment Element's path (4242, settled by
// the result page as a browser's would be), with 40 payments and 40 ledger entries of its own.
//
// Every statement the two pages run is captured and EXPLAINed on the seeded tables; the run fails if
// one reads a seeded table without an index. Then each page is requested --requests times over HTTP
// (keep-alive, one at a time, after --warmup requests). Server time is taken inside the server, from
// the moment Node hands paydesk the request to the moment the response's last byte is handed to the
// socket (http.Server 'request' → ServerResponse 'finish'), so it leaves out the client; the client's
// round trip and the process's CPU time per request (server and client) are printed beside it.
// Goals: p99 ≤ 20 ms server time; ≤ 60 KB per page without Stripe.js.

import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, request as httpRequest } from 'node:http';
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
    requests: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '100' },
  },
});
const CUSTOMERS = Number(values.customers);
const PAYMENTS = Number(values.payments);
const REQUESTS = Number(values.requests);
const WARMUP = Number(values.warmup);
const JWT_SECRET = 'bench-pages-jwt-secret-0123456789abcdefghij';
/** Tables the seed fills: a statement that scans one of them without an index fails the run. */
const SEEDED = [
  'customers',
  'payments',
  'subscriptions',
  'entitlements',
  'credit_ledger',
  'customer_cards',
  'page_sessions',
];

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

async function resetDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  } finally {
    await client.end();
  }
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

function get(agent: Agent, base: string, path: string, cookie?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { agent, headers: cookie ? { cookie } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} cores (shared), load average ${load()}`);
  await resetDatabase(values.database);
  const dataDir = await mkdtemp(join(tmpdir(), 'paydesk-bench-pages-'));
  const config = loadConfig({
    DATABASE_URL: values.database,
    PORT: '0',
    HOST: '127.0.0.1',
    PAYDESK_EMULATOR_PORT: '0',
    PAYDESK_DATA_DIR: dataDir,
    PAYDESK_LOG_LEVEL: 'warn',
    PAYDESK_JWT_SECRET: JWT_SECRET,
    PAYDESK_ADMIN_KEY: 'pda_bench_admin_key_0123456789abcdefghijklmn',
    // One client asks thousands of times a minute: the per-address and per-user limits would refuse it.
    PAYDESK_RATE_LIMIT_PUBLIC: '0',
    PAYDESK_RATE_LIMIT_USER: '0',
  });
  const server = await startServer(config);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const { db, app, context } = server;
    const address = app.server.address();
    if (!address || typeof address !== 'object') throw new Error('paydesk is not listening');
    const base = `http://127.0.0.1:${address.port}`;

    const t0 = performance.now();
    const seed = [
      [
        `INSERT INTO customers (id, external_id, email, stripe_customer_id)
         SELECT 'cust_bench' || lpad(g::text, 8, '0'), 'bench-' || g, 'user' || g || '@example.com', 'cus_bench' || g
         FROM generate_series(1, $1::int) g`,
        [CUSTOMERS],
      ],
      [
        `INSERT INTO payments (id, stripe_payment_intent_id, customer_id, amount, currency, source, item_kind, item_id,
           quantity, description, paid_at)
         SELECT 'pay_bench' || g, 'pi_bench' || g, 'cust_bench' || lpad((1 + (g % $1::int))::text, 8, '0'),
           500, 'usd', 'checkout', 'pack', 'credits-100', 1, '100 credits', now() - (g || ' seconds')::interval
         FROM generate_series(1, $2::int) g`,
        [CUSTOMERS, PAYMENTS],
      ],
      [
        `INSERT INTO subscriptions (id, customer_id, stripe_subscription_id, status, plan, interval, currency,
           current_period_end, state_at, created_at)
         SELECT 'psub_bench' || g, 'cust_bench' || lpad(g::text, 8, '0'), 'sub_bench' || g,
           CASE WHEN g % 10 = 0 THEN 'canceled' ELSE 'active' END, 'pro', 'month', 'usd',
           now() + interval '20 days', now(), now() - (g || ' minutes')::interval
         FROM generate_series(1, $1::int) g`,
        [CUSTOMERS],
      ],
      [
        `INSERT INTO entitlements (customer_id, subscription_id, plan, status, keys, current_period_end)
         SELECT 'cust_bench' || lpad(g::text, 8, '0'), 'psub_bench' || g, 'pro', 'active', '{}', now() + interval '20 days'
         FROM generate_series(1, $1::int) g`,
        [CUSTOMERS],
      ],
      [
        `INSERT INTO credit_ledger (customer_id, delta, balance, reason, cause)
         SELECT 'cust_bench' || lpad((1 + g / 2)::text, 8, '0'), 100, 100 * (1 + g % 2), 'pack_purchase', 'bench:' || g
         FROM generate_series(0, 2 * $1::int - 1) g`,
        [CUSTOMERS],
      ],
      [
        `INSERT INTO customer_cards (customer_id, source, payment_method, brand, last4, exp_month, exp_year, observed_at)
         SELECT 'cust_bench' || lpad(g::text, 8, '0'), 'customer', 'pm_bench' || g, 'visa', '4242', 12, 2034, now()
         FROM generate_series(1, $1::int) g`,
        [CUSTOMERS],
      ],
      [
        `INSERT INTO page_sessions (id_hash, customer_id, external_id, email, csrf_token, expires_at)
         SELECT md5('session' || g) || md5('bench' || g), 'cust_bench' || lpad(g::text, 8, '0'), 'bench-' || g,
           null, md5('csrf' || g), now() + interval '1 hour'
         FROM generate_series(1, $1::int) g`,
        [CUSTOMERS],
      ],
    ] as const;
    for (const [sql, params] of seed) await db.query(sql, [...params]);
    // As a database that has lived with these rows would be: vacuumed (visibility map set, so index-only
    // scans), analysed, and checkpointed, so autovacuum and the checkpointer do not run during the timing.
    for (const t of SEEDED) await db.query(`VACUUM ANALYZE ${t}`);
    await db.query('CHECKPOINT');
    console.log(
      `seeded ${CUSTOMERS} customers (each with a subscription, entitlement, card, 2 ledger entries, a session) ` +
        `and ${PAYMENTS} payments in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    // The measured user: signed in through a link, subscribed to Pro and paid with 4242, then sent to
    // the result page (which settles the payment locally, as after a browser's confirmPayment).
    const token = await signUserToken(JWT_SECRET, {
      subject: 'bench-measured',
      issuer: 'paydesk',
      audience: 'paydesk',
      email: 'measured@example.com',
    });
    const signIn = await get(agent, base, `/sign-in?token=${token}`);
    const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
    const me = await app.inject({
      method: 'GET',
      url: '/v1/customers/me',
      headers: { authorization: `Bearer ${token}` },
    });
    const customer = JSON.parse(me.body) as { id: string };
    const created = await app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: { authorization: `Bearer ${token}` },
      payload: { plan: 'pro', interval: 'month', currency: 'usd' },
    });
    const sub = JSON.parse(created.body) as { id: string; client_secret: string };
    const pi = sub.client_secret.split('_secret_')[0]!;
    await context.stripe.paymentIntents.confirm(
      pi,
      { payment_method: 'pm_card_visa' },
      { idempotencyKey: idempotencyKey('bench', pi) },
    );
    const result = await get(agent, base, `/payment/result?subscription=${sub.id}`, cookie);
    if (!/You are subscribed to Pro/.test(result.body.toString()))
      throw new Error('the result page does not say the subscription is paid');
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

    const pages = [
      { name: 'pricing', url: '/pricing', shows: /Subscribe|Manage your plan/ },
      { name: 'account', url: '/account', shows: /Active[\s\S]*ending in <strong>4242[\s\S]*Credit pack/ },
    ];

    // Every statement each page runs, EXPLAINed on the seeded tables.
    const captured: { text: string; params: unknown[] }[] = [];
    const query = db.query.bind(db);
    (db as { query: typeof db.query }).query = ((text: string, params?: unknown[]) => {
      captured.push({ text, params: params ?? [] });
      return query(text, params);
    }) as typeof db.query;
    for (const p of pages) {
      captured.length = 0;
      const page = await get(agent, base, p.url, cookie);
      if (page.status !== 200 || !p.shows.test(page.body.toString()))
        throw new Error(`${p.url} answered ${page.status} without what it should show`);
      console.log(`${p.name}: ${captured.length} statements, each planned on the seeded tables:`);
      for (const c of captured) {
        const plan = await query<{ 'QUERY PLAN': string }>(`EXPLAIN ${c.text}`, c.params);
        const lines = plan.rows.map((r) => r['QUERY PLAN']);
        const scans = lines.filter((l) => /Scan/.test(l)).map((l) => l.trim().replace(/\s+\(cost.*$/, ''));
        console.log(`  ${c.text.replace(/\s+/g, ' ').slice(0, 90)}…\n    ${scans.join('; ')}`);
        const bad = lines.find((l) => SEEDED.some((t) => new RegExp(`Seq Scan on ${t}\\b`).test(l)));
        if (bad) throw new Error(`${p.url} reads a seeded table without an index: ${bad.trim()}`);
      }
    }
    (db as { query: typeof db.query }).query = query;

    // Server time: from Node handing paydesk the request to the last byte handed to the socket.
    let times: number[] = [];
    const onRequest = (_req: IncomingMessage, res: ServerResponse) => {
      const start = process.hrtime.bigint();
      res.once('finish', () => times.push(Number(process.hrtime.bigint() - start) / 1e6));
    };
    app.server.prependListener('request', onRequest);
    const figures: string[] = [];
    for (const p of pages) {
      for (let i = 0; i < WARMUP; i++) await get(agent, base, p.url, cookie);
      times = [];
      const client: number[] = [];
      // This process's CPU time (user + system, all threads) over the measured requests: what a request
      // costs the server and the in-process client together, which the machine's load moves much less
      // than it moves the times.
      const cpu = process.cpuUsage();
      let bytes = 0;
      const loadBefore = load();
      for (let i = 0; i < REQUESTS; i++) {
        const start = performance.now();
        const res = await get(agent, base, p.url, cookie);
        client.push(performance.now() - start);
        if (res.status !== 200) throw new Error(`${p.url} answered ${res.status}`);
        bytes = res.body.length;
      }
      const used = process.cpuUsage(cpu);
      const cpuMs = (used.user + used.system) / 1000 / REQUESTS;
      const server = [...times].sort((a, b) => a - b);
      client.sort((a, b) => a - b);
      if (server.length !== REQUESTS) throw new Error(`timed ${server.length} of ${REQUESTS} requests`);
      const page = await get(agent, base, p.url, cookie);
      const assets = [...page.body.toString().matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map(
        (m) => m[1]!,
      );
      let assetBytes = 0;
      for (const a of assets) assetBytes += (await get(agent, base, a)).body.length;
      const ms = (v: number) => `${v.toFixed(2)} ms`;
      const line =
        `${p.name}: server p50 ${ms(percentile(server, 50))}, p90 ${ms(percentile(server, 90))}, ` +
        `p99 ${ms(percentile(server, 99))}, max ${ms(server[server.length - 1]!)} over ${REQUESTS} requests, ` +
        `CPU ${ms(cpuMs)} per request with the client ` +
        `(client round trip p50 ${ms(percentile(client, 50))}, p99 ${ms(percentile(client, 99))}); ` +
        `${(bytes / 1024).toFixed(1)} KB HTML + ${(assetBytes / 1024).toFixed(1)} KB own assets = ` +
        `${((bytes + assetBytes) / 1024).toFixed(1)} KB without Stripe.js; load average ${loadBefore} → ${load()}`;
      console.log(line);
      figures.push(line);
    }
    app.server.removeListener('request', onRequest);
    console.log(`\nsummary:\n${figures.join('\n')}`);
  } finally {
    agent.destroy();
    await server.shutdown('bench done');
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
