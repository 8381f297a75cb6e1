// Checkout benchmark: what paydesk adds to opening a Stripe Checkout session.
//   npm run bench:checkout [-- --count 1000] [-- --warmup 100] [-- --seconds 60]
//                          [-- --database postgres://USER@127.0.0.1:5432/postgres]
//                          [-- --cpu-prof DIR]   (paydesk's process writes a V8 CPU profile, sampled
//                                                 every 100 µs, into DIR when it stops)
//
// This process starts paydesk compiled, as `npm start` runs it — `node packages/gateway/dist/cli.js
// serve` in its own process, embedded: PGlite in a fresh data directory, the emulator in-process, the
// demo catalog synced. With --database, paydesk runs on PostgreSQL instead (DATABASE_URL), in a fresh
// database created on that server for the run and dropped after it; the emulator stays in-process.
// It creates an API key through the admin API, then starts a separate load process
// (load.ts) on 127.0.0.1 that times, one request at a time and alternating, POST /v1/checkout/sessions
// through paydesk and the official SDK's checkout.sessions.create sent straight to the same emulator.
// Bounded by --count requests per path and --seconds.
// Goal: paydesk adds ≤ 2 ms at p50 and ≤ 5 ms at p99.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import Stripe from 'stripe';
import { startPaydesk } from './paydesk-process.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '60' },
    database: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
const clamp = (v: string, lo: number, hi: number) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`numeric option expected, got ${v}`);
  return Math.max(lo, Math.min(hi, Math.floor(n)));
};
const COUNT = clamp(values.count, 10, 20_000);
const WARMUP = clamp(values.warmup, 0, 2_000);
const SECONDS = clamp(values.seconds, 5, 300);
const ADMIN_KEY = 'pda_bench_admin_key_0123456789abcdefghijklmn';

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function onServer<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** --database: a fresh database on that server for this run (dropped at the end). */
let database: { server: string; name: string; url: string } | undefined;
if (values.database) {
  const url = new URL(values.database);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
    throw new Error('--database must point at 127.0.0.1');
  const name = `paydesk_bench_checkout_${process.pid}_${randomBytes(3).toString('hex')}`;
  await onServer(values.database, (c) => c.query(`CREATE DATABASE ${name}`));
  url.pathname = `/${name}`;
  database = { server: values.database, name, url: url.toString() };
}
const dropDatabase = async () => {
  if (database) await onServer(database.server, (c) => c.query(`DROP DATABASE IF EXISTS ${database.name}`));
};
const dataDir = await mkdtemp(join(tmpdir(), 'paydesk-bench-checkout-'));
const server = await startPaydesk(
  {
    PAYDESK_EMULATOR_PORT: '0',
    PAYDESK_DATA_DIR: dataDir,
    PAYDESK_ADMIN_KEY: ADMIN_KEY,
    ...(database ? { DATABASE_URL: database.url } : {}),
  },
  undefined,
  values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${values['cpu-prof']}`] : [],
).catch(async (err: unknown) => {
  await rm(dataDir, { recursive: true, force: true });
  await dropDatabase();
  throw err;
});
try {
  const created = await fetch(`${server.url}/admin/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', scopes: ['read', 'write'] }),
  });
  if (created.status !== 201) throw new Error(`creating the API key: HTTP ${created.status}`);
  const { key } = (await created.json()) as { key: string };
  const emulatorUrl = server.emulatorUrl;
  if (!emulatorUrl) throw new Error('paydesk did not report its emulator (server.json)');
  const emu = new URL(emulatorUrl);
  const setup = new Stripe('sk_test_bench_setup', {
    host: emu.hostname,
    port: Number(emu.port),
    protocol: 'http',
  });
  const price = (await setup.prices.list({ lookup_keys: ['paydesk:default:pack:credits-100:usd'] })).data[0];
  if (!price) throw new Error('the demo catalog price is not in the emulator');

  const input = {
    paydeskUrl: server.url,
    emulatorUrl,
    apiKey: key,
    priceId: price.id,
    successUrl: `${server.url}/checkout/return?session_id={CHECKOUT_SESSION_ID}`,
    cancelUrl: `${server.url}/checkout/cancelled`,
    warmup: WARMUP,
    count: COUNT,
    deadlineMs: SECONDS * 1000,
    serverPid: server.child.pid,
  };
  const load = fileURLToPath(new URL('./load.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', load, JSON.stringify(input)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`the load process exited with ${code}`);
  const result = JSON.parse(stdout) as {
    paydesk: number[];
    direct: number[];
    cpuMs: { paydesk: number | null; direct: number | null };
    stoppedByDeadline: boolean;
  };

  const rows = (['direct', 'paydesk'] as const).map((name) => {
    const sorted = [...result[name]].sort((a, b) => a - b);
    const cpu = result.cpuMs[name];
    return {
      name,
      n: sorted.length,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      cpu: cpu === null ? Number.NaN : cpu / sorted.length,
    };
  });
  const [direct, paydesk] = rows as [(typeof rows)[0], (typeof rows)[0]];
  const f = (x: number) => x.toFixed(2).padStart(7);
  console.log(
    `bench/checkout: ${COUNT} requests per path${result.stoppedByDeadline ? ' (stopped by the time bound)' : ''}, ${WARMUP} warm-up, one in flight, alternating`,
  );
  console.log(
    `database: ${database ? `PostgreSQL (${new URL(database.server).host}, fresh database)` : 'PGlite (embedded, fresh data directory)'}; emulator in paydesk's process`,
  );
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log('path                                       n      p50 ms   p99 ms   server CPU ms/request');
  console.log(
    `SDK checkout.sessions.create (direct)  ${String(direct.n).padStart(6)}  ${f(direct.p50)}  ${f(direct.p99)}  ${f(direct.cpu)}`,
  );
  console.log(
    `POST /v1/checkout/sessions (paydesk)   ${String(paydesk.n).padStart(6)}  ${f(paydesk.p50)}  ${f(paydesk.p99)}  ${f(paydesk.cpu)}`,
  );
  const addP50 = paydesk.p50 - direct.p50;
  const addP99 = paydesk.p99 - direct.p99;
  console.log(
    `paydesk adds: p50 ${addP50.toFixed(2)} ms (goal ≤ 2: ${addP50 <= 2 ? 'met' : 'NOT met'}), p99 ${addP99.toFixed(2)} ms (goal ≤ 5: ${addP99 <= 5 ? 'met' : 'NOT met'}), server CPU ${(paydesk.cpu - direct.cpu).toFixed(2)} ms per request`,
  );
} finally {
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
  await dropDatabase();
}
