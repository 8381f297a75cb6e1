// The operator console's overview under a large history:
//   npm run bench:console [-- --database postgres://postgres@127.0.0.1:5432/paydesk_console]
//                         [-- --customers 100000] [-- --payments 1000000] [-- --requests 300] [-- --seeded]
//
// paydesk runs in this process on PostgreSQL (the database named by --database, emptied first). The
// database is seeded with console/seed.ts's history over 90 days: --customers customers,
// --payments payments (written when paid, as paydesk writes them), subscriptions, credit ledger
// entries, webhook events over the last hour, dead jobs and finished ones. An operator signs in
// through the form; the overview (30 and 90 days) is then requested --requests times through
// app.inject (no network: the server's own time; the page computes its figures afresh every time,
// there is no cache). The first request, which adds up every closed hour of the history once (and
// stores the closed minutes of the events' hour), is timed on its own. Every statement a page sends
// is EXPLAINed (as planned for its values and as a generic plan): each must read its table through an
// index, or read a roll-up. The CPU time this process spends per request is printed too: on a shared
// machine it is the steadier figure. Goal: p99 ≤ 50 ms.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedHistory } from '../../packages/gateway/src/console/seed.js';
import { loadConfig, startServer } from '../../packages/gateway/src/index.js';
import { benchArgs, explainStatements, percentile, printPlans, resetDatabase } from './common.js';

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
    const { db, app } = server;
    if (!values.seeded) {
      const t0 = performance.now();
      await seedHistory(db, {
        customers: CUSTOMERS,
        payments: PAYMENTS,
        subscriptions: Math.round(CUSTOMERS * 0.3),
        ledger: Math.round(PAYMENTS / 2),
        events: 20_000,
        deadJobs: 300,
        doneJobs: Math.round(PAYMENTS / 5),
        days: 90,
      });
      await db.query(
        'ANALYZE customers; ANALYZE payments; ANALYZE subscriptions; ANALYZE credit_ledger; ANALYZE stripe_events; ANALYZE jobs',
      );
      console.log(
        `seeded ${CUSTOMERS} customers, ${PAYMENTS} payments, ${Math.round(CUSTOMERS * 0.3)} subscriptions, ` +
          `${Math.round(PAYMENTS / 2)} ledger entries, 20000 events, 300 dead jobs, ${Math.round(PAYMENTS / 5)} finished jobs ` +
          `in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
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
      `first overview (adds up every closed hour of the history once, stores the closed minutes of the events): ${(performance.now() - cold).toFixed(0)} ms`,
    );

    for (const url of ['/console', '/console?days=90']) {
      console.log(`statements of ${url}:`);
      const bad = printPlans(
        await explainStatements(db, async () => {
          const res = await app.inject({ method: 'GET', url, headers });
          if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`);
        }),
      );
      if (bad > 0) throw new Error(`${url}: ${bad} statement(s) read a large table without an index`);
    }

    for (const url of ['/console', '/console?days=90']) {
      for (let i = 0; i < 20; i++) await app.inject({ method: 'GET', url, headers });
      const times: number[] = [];
      let bytes = 0;
      const cpu = process.cpuUsage();
      for (let i = 0; i < REQUESTS; i++) {
        const start = performance.now();
        const res = await app.inject({ method: 'GET', url, headers });
        times.push(performance.now() - start);
        if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`);
        bytes = res.rawPayload.length;
      }
      const used = process.cpuUsage(cpu);
      times.sort((a, b) => a - b);
      console.log(
        `${url}: p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms over ${REQUESTS} requests; ` +
          `CPU ${((used.user + used.system) / 1000 / REQUESTS).toFixed(2)} ms per request; ` +
          `${(bytes / 1024).toFixed(1)} KB HTML; load average ${load()}`,
      );
    }
  } finally {
    await server.shutdown('bench done');
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
