// Console tables benchmark: server time of the payments table, unfiltered and under each filter, on
// the first page and deep in the list, with 100k customers and 1M payments.
//   npm run bench:console-tables [-- --database postgres://postgres@127.0.0.1:5432/paydesk_console_tables]
//                                [-- --customers 100000] [-- --payments 1000000] [-- --requests 300]
//                                [-- --seeded]   (the database as a previous run seeded it)
//
// paydesk runs in this process on PostgreSQL (the database named by --database, emptied first). The
// database is seeded with generate_series: --payments payments over --customers customers, one in five
// in eur, one in fifty refunded (one in a hundred and fifty of those in full) and one in a thousand
// disputed. The console is signed into with the admin key as a browser would (the sign-in form's
// CSRF token, then its cookie), and each URL is requested --requests times through app.inject (no
// network; the server's time from request to the last byte), after 30 warm-up requests. The CPU
// time this process spends per request is printed too: on a shared machine it is the steadier figure.
// Every statement a URL sends is EXPLAINed (as planned for its values and as a generic plan): each
// must read its table through an index (the run fails at the end otherwise). Goal: p99 ≤ 50 ms for
// every URL.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, startServer } from '../../packages/gateway/src/index.js';
import { benchArgs, explainStatements, percentile, printPlans, resetDatabase } from './common.js';

const args = benchArgs({
  database: 'postgres://postgres@127.0.0.1:5432/paydesk_console_tables',
  requests: 300,
});
const CUSTOMERS = args.customers;
const PAYMENTS = args.payments;
const REQUESTS = args.requests;
const ADMIN_KEY = 'pda_bench_admin_key_0123456789abcdefghijklmn';

async function seed(db: Awaited<ReturnType<typeof startServer>>['db']): Promise<void> {
  const t0 = performance.now();
  await db.query(
    `INSERT INTO customers (id, external_id, email, created_at)
     SELECT 'cust_bench' || lpad(g::text, 8, '0'), 'bench-' || g, 'user' || g || '@example.com',
       now() - (g || ' minutes')::interval
     FROM generate_series(1, $1::int) g`,
    [CUSTOMERS],
  );
  await db.query(
    `INSERT INTO payments (id, stripe_payment_intent_id, customer_id, amount, currency, source, item_kind, item_id,
       quantity, description, paid_at, amount_refunded, dispute_status)
     SELECT 'pay_bench' || g, 'pi_bench' || g, 'cust_bench' || lpad((1 + (g % $1::int))::text, 8, '0'),
       1500, CASE WHEN g % 5 = 0 THEN 'eur' ELSE 'usd' END, 'checkout', 'pack', 'credits-100', 1, '100 credits',
       now() - (g || ' seconds')::interval,
       CASE WHEN g % 50 = 0 THEN (CASE WHEN g % 150 = 0 THEN 1500 ELSE 500 END) ELSE 0 END,
       CASE WHEN g % 1000 = 7 THEN 'needs_response' END
     FROM generate_series(1, $2::int) g`,
    [CUSTOMERS, PAYMENTS],
  );
  await db.query('ANALYZE customers; ANALYZE payments');
  console.log(
    `seeded ${CUSTOMERS} customers and ${PAYMENTS} payments in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

function cookiesOf(setCookie: string | string[] | undefined): string {
  const all = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return all.map((c) => c.split(';')[0]).join('; ');
}

async function main(): Promise<void> {
  console.log(
    `machine: ${cpus().length} cores (shared), load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (!args.seeded) await resetDatabase(args.database);
  const dataDir = await mkdtemp(join(tmpdir(), 'paydesk-bench-tables-'));
  const config = loadConfig({
    DATABASE_URL: args.database,
    PORT: '0',
    PAYDESK_EMULATOR_PORT: '0',
    PAYDESK_DATA_DIR: dataDir,
    PAYDESK_LOG_LEVEL: 'warn',
    PAYDESK_ADMIN_KEY: ADMIN_KEY,
    // The console's pages are limited per client address like every public route; the benchmark is one address.
    PAYDESK_RATE_LIMIT_PUBLIC: '0',
  });
  const server = await startServer(config);
  try {
    const { db, app } = server;
    if (!args.seeded) await seed(db);

    // Sign in as a browser does: the form's CSRF token and cookie, then the key.
    const form = await app.inject({ method: 'GET', url: '/console/sign-in' });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
    if (!csrf) throw new Error('no CSRF token on the sign-in form');
    const signIn = await app.inject({
      method: 'POST',
      url: '/console/sign-in',
      headers: { cookie: cookiesOf(form.headers['set-cookie']) },
      payload: { _csrf: csrf, key: ADMIN_KEY, next: '/console' },
    });
    if (signIn.statusCode !== 303) throw new Error(`sign-in answered ${signIn.statusCode}: ${signIn.body}`);
    const headers = { cookie: cookiesOf(signIn.headers['set-cookie']) };

    const deep = `pay_bench${Math.floor(PAYMENTS * 0.9)}`;
    const urls = [
      ['newest', '/console/payments'],
      ['100 rows', '/console/payments?limit=100'],
      ['deep page (90% down)', `/console/payments?cursor=${deep}`],
      ['currency eur', '/console/payments?currency=eur'],
      ['refunded', '/console/payments?status=refunded'],
      ['not refunded', '/console/payments?status=not_refunded'],
      ['disputed', '/console/payments?status=disputed'],
      [
        'disputed, deep',
        `/console/payments?status=disputed&cursor=pay_bench${Math.floor(PAYMENTS * 0.9) + 7}`,
      ],
      ['customer by external id', '/console/payments?customer=bench-4242'],
      ['customer by email', '/console/payments?customer=user4242@example.com'],
      ['one day, five days ago', `/console/payments?from=${day(-5)}&to=${day(-5)}`],
      [
        'eur + refunded + dates',
        `/console/payments?currency=eur&status=refunded&from=${day(-10)}&to=${day(-2)}`,
      ],
      ['customers', '/console/customers'],
    ] as const;
    let unindexed = 0;
    for (const [name, url] of urls) {
      for (let i = 0; i < 30; i++) await app.inject({ method: 'GET', url, headers });
      console.log(`statements of ${url}:`);
      unindexed += printPlans(
        await explainStatements(db, async () => {
          const res = await app.inject({ method: 'GET', url, headers });
          if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`);
        }),
      );
      const times: number[] = [];
      let rows = 0;
      const cpu = process.cpuUsage();
      for (let i = 0; i < REQUESTS; i++) {
        const start = performance.now();
        const res = await app.inject({ method: 'GET', url, headers });
        times.push(performance.now() - start);
        if (res.statusCode !== 200)
          throw new Error(`${url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
        rows = (res.body.match(/<tr>/g)?.length ?? 1) - 1;
      }
      const used = process.cpuUsage(cpu);
      times.sort((a, b) => a - b);
      console.log(
        `${name.padEnd(26)} ${url}\n${''.padEnd(26)} p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms, ` +
          `CPU ${((used.user + used.system) / 1000 / REQUESTS).toFixed(2)} ms per request, ${rows} rows (${REQUESTS} requests); ` +
          `load average ${loadavg()
            .map((l) => l.toFixed(2))
            .join(' ')}`,
      );
    }
    if (unindexed > 0) throw new Error(`${unindexed} statement(s) read a large table without an index`);
    const csvStart = performance.now();
    const csv = await app.inject({
      method: 'GET',
      url: '/console/payments?currency=eur&format=csv',
      headers,
    });
    const lines = csv.body.split('\r\n').length - 2;
    console.log(
      `CSV export of every eur payment: ${lines} rows, ${(csv.rawPayload.length / 1048576).toFixed(1)} MB in ${((performance.now() - csvStart) / 1000).toFixed(1)} s`,
    );
  } finally {
    await server.shutdown('bench done');
    await rm(dataDir, { recursive: true, force: true });
  }
}

function day(offset: number): string {
  return new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
}

await main();
