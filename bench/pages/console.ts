// The operator console's overview under a large history:
//   npm run bench:console [-- --database postgres://postgres@127.0.0.1:5432/paydesk_console]
//                         [-- --customers 100000] [-- --payments 1000000] [-- --requests 300] [-- --seeded]
//
// paydesk runs in this process on PostgreSQL (the database named by --database, emptied first). The
// database is seeded with console/seed.ts's history over 90 days: --customers customers,
// --payments payments (written when paid, as paydesk writes them), subscriptions, credit ledger
// entries, webhook events over the last hour and dead jobs. An operator signs in through the form;
// the overview (30 and 90 days) is then requested --requests times through app.inject (no network:
// the server's own time). The first request, which adds up every closed hour of the history once,
// is timed on its own. The page serves figures computed in the last 10 s; the figures' own cost,
// computed afresh each time, is measured too. Goal: p99 ≤ 50 ms.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { overview } from '../../packages/gateway/src/console/overview.js';
import { seedHistory } from '../../packages/gateway/src/console/seed.js';
import { loadConfig, startServer } from '../../packages/gateway/src/index.js';
import { benchArgs, percentile, resetDatabase } from './common.js';

const values = benchArgs({ database: 'postgres://postgres@127.0.0.1:5432/paydesk_console', requests: 300 });
const CUSTOMERS = values.customers;
const PAYMENTS = values.payments;
const REQUESTS = values.requests;
const ADMIN_KEY = 'pda_bench_admin_key_0123456789abcdefghijklmn';

function cookiesOf(res: { headers: Record<string, unknown> }, jar: Map<string, string>): void {
  const set = res.headers['set-cookie'];
  for (const c of set === undefined ? [] : Array.isArray(set) ? set : [set]) {
    const [name, value] = String(c).split(';')[0]!.split('=') as [string, string];
    jar.set(name, value);
  }
}

async function main(): Promise<void> {
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(`machine: ${cpus().length} cores (shared), load average ${load()}`);
  if (!values.seeded) await resetDatabase(values.database);
  const dataDir = await mkdtemp(join(tmpdir(), 'paydesk-bench-console-'));
  const config = loadConfig({
    DATABASE_URL: values.database,
    PORT: '0',
    PAYDESK_EMULATOR_PORT: '0',
    PAYDESK_DATA_DIR: dataDir,
    PAYDESK_LOG_LEVEL: 'warn',
    PAYDESK_JWT_SECRET: 'bench-jwt-secret-that-is-long-enough-0123456789',
    PAYDESK_ADMIN_KEY: ADMIN_KEY,
    // One client asks hundreds of times a minute: the public routes' per-address limit would answer 429.
    PAYDESK_RATE_LIMIT_PUBLIC: '0',
  });
  const server = await startServer(config);
  try {
    const { db, app, context } = server;
    if (!values.seeded) {
      const t0 = performance.now();
      await seedHistory(db, {
        customers: CUSTOMERS,
        payments: PAYMENTS,
        subscriptions: Math.round(CUSTOMERS * 0.3),
        ledger: Math.round(PAYMENTS / 2),
        events: 20_000,
        deadJobs: 300,
        days: 90,
      });
      await db.query(
        'ANALYZE customers; ANALYZE payments; ANALYZE subscriptions; ANALYZE credit_ledger; ANALYZE stripe_events; ANALYZE jobs',
      );
      console.log(
        `seeded ${CUSTOMERS} customers, ${PAYMENTS} payments, ${Math.round(CUSTOMERS * 0.3)} subscriptions, ` +
          `${Math.round(PAYMENTS / 2)} ledger entries, 20000 events, 300 dead jobs in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    } else {
      // The webhook events must be of the last hour: made again.
      await db.query('DELETE FROM stripe_events');
      const none = { customers: 0, payments: 0, subscriptions: 0, ledger: 0, deadJobs: 0 };
      await seedHistory(db, { ...none, events: 20_000, days: 90 });
      await db.query('ANALYZE stripe_events');
    }

    // Sign in through the form, as an operator does.
    const jar = new Map<string, string>();
    const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const form = await app.inject({ method: 'GET', url: '/console/sign-in' });
    cookiesOf(form, jar);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const signIn = await app.inject({
      method: 'POST',
      url: '/console/sign-in',
      headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: csrf, key: ADMIN_KEY }).toString(),
    });
    if (signIn.statusCode !== 303) throw new Error(`sign-in answered ${signIn.statusCode}`);
    cookiesOf(signIn, jar);
    const headers = { cookie: cookie() };

    const cold = performance.now();
    const first = await app.inject({ method: 'GET', url: '/console', headers });
    if (first.statusCode !== 200)
      throw new Error(`/console answered ${first.statusCode}: ${first.body.slice(0, 300)}`);
    console.log(
      `first overview (adds up every closed hour of the history once): ${(performance.now() - cold).toFixed(0)} ms`,
    );

    const plan = await db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT paid_at, currency, amount FROM payments
       WHERE created_at >= (SELECT closed_through FROM console_rollups WHERE name = 'payments')`,
    );
    const planText = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    console.log(`live payments query plan:\n${planText}`);
    if (!/payments_written/.test(planText)) throw new Error('the live payments query does not use its index');

    for (const url of ['/console', '/console?days=90']) {
      for (let i = 0; i < 20; i++) await app.inject({ method: 'GET', url, headers });
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < REQUESTS; i++) {
        const start = performance.now();
        const res = await app.inject({ method: 'GET', url, headers });
        times.push(performance.now() - start);
        if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`);
        bytes = res.rawPayload.length;
      }
      times.sort((a, b) => a - b);
      console.log(
        `${url}: p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms over ${REQUESTS} requests; ` +
          `${(bytes / 1024).toFixed(1)} KB HTML; load average ${load()}`,
      );
    }
    // The figures computed afresh every time (what a request costs when the page's 10 s cache is cold).
    for (const days of [30, 90] as const) {
      const times: number[] = [];
      for (let i = 0; i < Math.min(REQUESTS, 100); i++) {
        const start = performance.now();
        await overview(context, days, undefined);
        times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      console.log(
        `overview figures afresh (${days} days, no cache): p50 ${percentile(times, 50).toFixed(2)} ms, ` +
          `p99 ${percentile(times, 99).toFixed(2)} ms over ${times.length} computations; load average ${load()}`,
      );
    }
  } finally {
    await server.shutdown('bench done');
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
