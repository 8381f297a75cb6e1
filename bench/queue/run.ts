// Job-queue benchmark: the same jobs through paydesk's queue on PGlite, on PostgreSQL and over
// RabbitMQ (on the same PostgreSQL, through the transactional outbox), side by side in one run.
//   npm run bench:queue [-- --jobs 20000] [-- --rate 1000] [-- --seconds 5]
//                       [-- --database postgres://postgres@127.0.0.1:5432/postgres]
//                       [-- --rabbitmq amqp://guest:guest@127.0.0.1:5672]
//
// Each backend gets a fresh database (a PGlite directory; a PostgreSQL database created for the run
// and dropped after it; RabbitMQ under a queue prefix of its own, deleted after it) and a context built
// as the server builds it. A job does nothing but note when it started.
//   throughput  --jobs jobs enqueued by 4 producers in transactions of 100, as fast as they go: jobs/s
//               from the first enqueue until the last job has run (on RabbitMQ: written, relayed
//               through the outbox, consumed, claimed, marked done)
//   latency     --rate jobs/s for --seconds, 10 per transaction every 10 ms: enqueue-to-start p50/p99
//               (from just before the transaction that enqueues a job to its handler starting)
// Goal on RabbitMQ: ≥ 5,000 jobs/s, and p99 ≤ 50 ms at 1,000 jobs/s.
// With the rates, each backend's line gives the load average before and after it, and the CPU time per
// job of the throughput part: this process (producers, queue, handlers), the PostgreSQL backends of
// its database, and the RabbitMQ broker (the whole broker process: on a shared broker, others' work
// too). CPU per job moves much less than rates on a shared machine. Linux only (/proc); elsewhere n/a.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startEmulator } from '@paydesk/emulator';
import { createContext, loadConfig, migrate, openDatabase, withTransaction } from '@paydesk/gateway';
import amqp from 'amqplib';
import pg from 'pg';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '20000' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '5' },
    database: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    rabbitmq: { type: 'string', default: 'amqp://guest:guest@127.0.0.1:5672' },
    backends: { type: 'string', default: 'pglite,postgres,rabbitmq' },
  },
});
const JOBS = Math.max(1_000, Math.min(200_000, Number(values.jobs)));
const RATE = Math.max(100, Math.min(5_000, Number(values.rate)));
const SECONDS = Math.max(1, Math.min(60, Number(values.seconds)));
const KIND = 'bench.noop';

function percentile(sorted: readonly number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

interface Result {
  backend: string;
  jobsPerSecond: number;
  p50: number;
  p99: number;
  lateStarts: number;
  /** CPU µs per job in the throughput part: this process, the database's backends, the broker. */
  cpu: { node: number; postgres: number; rabbitmq: number };
  load: { before: number; after: number };
}

/** CPU time (user + system) of a process so far, in µs, from /proc (Linux); undefined elsewhere. */
async function cpuMicros(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000; // USER_HZ is 100 on Linux
}

/** The RabbitMQ broker's process (beam.smp) on this machine, if there is one to see. */
async function brokerPid(): Promise<number | undefined> {
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === 'beam.smp') return Number(entry);
  }
  return undefined;
}

/** CPU so far of each PostgreSQL backend connected to `dbName` (not the asking one), µs. */
async function backendsCpu(admin: string, dbName: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    const r = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [dbName]);
    for (const { pid } of r.rows) {
      const us = await cpuMicros(pid);
      if (us !== undefined) out.set(pid, us);
    }
  } finally {
    await c.end();
  }
  return out;
}

/** CPU the backends used between two readings (one that appeared in between counts from 0). */
function backendsDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, us] of after) sum += us - (before.get(pid) ?? 0);
  return after.size === 0 ? Number.NaN : sum;
}

async function runBackend(backend: 'pglite' | 'postgres' | 'rabbitmq', emulatorUrl: string): Promise<Result> {
  const loadBefore = loadavg()[0]!;
  const dataDir = await mkdtemp(join(tmpdir(), 'paydesk-bench-queue-'));
  const dbName = `paydesk_bench_queue_${randomBytes(4).toString('hex')}`;
  const prefix = `bench_${randomBytes(3).toString('hex')}.`;
  const admin = values.database;
  if (backend !== 'pglite') {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query(`CREATE DATABASE ${dbName}`);
    await c.end();
  }
  const dbUrl = new URL(admin);
  dbUrl.pathname = `/${dbName}`;
  const config = loadConfig({
    PAYDESK_LOG_LEVEL: 'warn',
    PAYDESK_DATA_DIR: dataDir,
    STRIPE_API_BASE: emulatorUrl,
    PAYDESK_ADMIN_KEY: 'pda_bench_queue_admin_key_0123456789abcdef',
    PAYDESK_JWT_SECRET: 'bench-queue-jwt-secret-0123456789abcdefghij',
    PAYDESK_DB_POOL_SIZE: '20',
    ...(backend !== 'pglite' ? { DATABASE_URL: dbUrl.toString() } : {}),
    ...(backend === 'rabbitmq'
      ? {
          RABBITMQ_URL: values.rabbitmq,
          PAYDESK_RABBITMQ_PREFIX: prefix,
          PAYDESK_RABBITMQ_REFUND_QUEUES: 'off',
        }
      : {}),
  });
  const db = await openDatabase(config);
  await migrate(db);
  const ctx = await createContext(config, { db, syncCatalog: false });
  const started: number[] = [];
  let ran = 0;
  let wake: () => void = () => {};
  ctx.queue.start({
    [KIND]: {
      concurrency: backend === 'pglite' ? 8 : 64,
      handler: async (job) => {
        started.push(performance.timeOrigin + performance.now() - Number(job.payload.t));
        ran++;
        wake();
      },
    },
  });
  const until = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => (ran >= n ? resolve() : undefined);
      wake = check;
      check();
    });
  const enqueue = (n: number) => {
    const t = performance.timeOrigin + performance.now();
    return withTransaction(ctx, async (tx) => {
      for (let i = 0; i < n; i++) await ctx.queue.enqueue(tx, { kind: KIND, payload: { t } });
    });
  };
  try {
    // Throughput.
    const jobs = backend === 'pglite' ? Math.min(JOBS, 5_000) : JOBS;
    const broker = backend === 'rabbitmq' ? await brokerPid() : undefined;
    const brokerCpu0 = broker === undefined ? undefined : await cpuMicros(broker);
    const pgCpu0 = backend === 'pglite' ? undefined : await backendsCpu(admin, dbName);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < jobs / 4 / 100; i++) await enqueue(100);
      }),
    );
    process.stderr.write(`  enqueued ${jobs} in ${Math.round(performance.now() - t0)} ms\n`);
    await until(jobs);
    const jobsPerSecond = Math.round(jobs / ((performance.now() - t0) / 1000));
    const used = process.cpuUsage(cpu0);
    const brokerCpu1 = broker === undefined ? undefined : await cpuMicros(broker);
    const pgCpu = pgCpu0 ? backendsDelta(pgCpu0, await backendsCpu(admin, dbName)) : Number.NaN;
    const cpu = {
      node: (used.user + used.system) / jobs,
      postgres: pgCpu / jobs,
      rabbitmq:
        brokerCpu0 !== undefined && brokerCpu1 !== undefined ? (brokerCpu1 - brokerCpu0) / jobs : Number.NaN,
    };
    process.stderr.write(`  ${jobsPerSecond} jobs/s\n`);
    await ctx.queue.idle({ timeoutMs: 60_000 });
    // Latency at a steady rate.
    ran = 0;
    started.length = 0;
    const perTick = Math.max(1, Math.round(RATE / 100));
    const ticks = SECONDS * 100;
    const begin = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < ticks; i++) {
      const due = begin + i * 10;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      pending.push(enqueue(perTick));
    }
    await Promise.all(pending);
    await until(ticks * perTick);
    const sorted = [...started].sort((a, b) => a - b);
    return {
      backend,
      jobsPerSecond,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      lateStarts: sorted.filter((ms) => ms > 50).length,
      cpu,
      load: { before: loadBefore, after: loadavg()[0]! },
    };
  } finally {
    await ctx.close({ drainMs: 5_000 });
    await db.close();
    if (backend === 'rabbitmq') {
      const conn = await amqp.connect(values.rabbitmq);
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      const queues = [`${prefix}job.${KIND}`, `${prefix}jobs.dead`];
      for (const ms of [50, 250, 1_000, 5_000, 30_000, 120_000, 600_000, 3_600_000])
        queues.push(`${prefix}jobs.delay.${ms}`);
      for (const q of queues) await ch.deleteQueue(q).catch(() => {});
      await ch.deleteExchange(`${prefix}jobs`).catch(() => {});
      await conn.close();
    }
    if (backend !== 'pglite') {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    }
    await rm(dataDir, { recursive: true, force: true });
  }
}

const emulator = await startEmulator({ port: 0 });
const results: Result[] = [];
try {
  const chosen = values.backends.split(',') as ('pglite' | 'postgres' | 'rabbitmq')[];
  for (const backend of chosen) {
    if (!['pglite', 'postgres', 'rabbitmq'].includes(backend)) throw new Error(`unknown backend ${backend}`);
    process.stderr.write(`queue bench: ${backend}…\n`);
    results.push(await runBackend(backend, emulator.url));
  }
} finally {
  await emulator.close();
}
const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
console.log(
  `queue benchmark: ${JOBS} jobs (PGlite ${Math.min(JOBS, 5_000)}) for throughput; ${RATE} jobs/s for ${SECONDS} s for latency; ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}`,
);
console.log(
  'backend    jobs/s   p50 ms   p99 ms   starts > 50 ms   CPU µs/job: node  postgres  rabbitmq   load before → after',
);
const us = (n: number) => (Number.isFinite(n) ? String(Math.round(n)) : 'n/a');
for (const r of results)
  console.log(
    `${r.backend.padEnd(10)} ${String(r.jobsPerSecond).padStart(6)}   ${fmt(r.p50).padStart(6)}   ${fmt(r.p99).padStart(6)}   ${String(r.lateStarts).padStart(14)}   ${us(r.cpu.node).padStart(15)}  ${us(r.cpu.postgres).padStart(8)}  ${us(r.cpu.rabbitmq).padStart(8)}   ${r.load.before.toFixed(2)} → ${r.load.after.toFixed(2)}`,
  );
const rabbit = results.find((r) => r.backend === 'rabbitmq');
if (rabbit)
  console.log(
    `goal on RabbitMQ: ≥ 5000 jobs/s → ${rabbit.jobsPerSecond >= 5_000 ? 'met' : 'not met'}; p99 ≤ 50 ms at ${RATE} jobs/s → ${rabbit.p99 <= 50 ? 'met' : 'not met'}`,
  );
