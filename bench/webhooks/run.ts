// Webhook ingest benchmark: npm run bench:webhooks [-- --seconds 5] [-- --concurrency 1,10,50,100]
//   [-- --rate 2000] [-- --targets bare,sync-engine,paydesk-pg,paydesk-pglite] [-- --pg URL]
//   [-- --paydesk-node-args=--perf-basic-prof] (flags for paydesk's node, for profiling)
//
// Builds paydesk and the emulator, starts the compiled emulator (its objects make the events: a
// customer.updated of ~2 KB and an invoice.paid of ~5 KB), creates a fresh PostgreSQL database, and
// sends the same signed events from a separate load process (load.ts: raw keep-alive sockets) to:
//   bare            a Fastify route that only answers 200 (the HTTP ceiling here);
//   sync-engine     @supabase/stripe-sync-engine's processWebhook, in its own schema of that database;
//   paydesk-pg      paydesk compiled (dist/cli.js serve) on that PostgreSQL (fsync on);
//   paydesk-pglite  paydesk compiled on PGlite in a fresh data directory.
// At each concurrency (closed loop) it reports accepted events/s and p50/p99; for paydesk, the
// apply-job queue depth when the load stops and how long it takes to get back to 0 (the handlers are
// real: these events are about objects paydesk does not know, so they end up `ignored`). Then a paced
// run at --rate events/s for the p99 goal. Every run is bounded in count of steps and in time.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import Stripe from 'stripe';
import { freePort, type PaydeskProcess, startPaydesk } from '../checkout/paydesk-process.js';
import { buildTemplates, type EventTemplate } from './fixtures.js';
import type { LoadInput, LoadResult } from './load.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '1,10,50,100' },
    rate: { type: 'string', default: '2000' },
    'rate-seconds': { type: 'string', default: '10' },
    'drain-timeout': { type: 'string', default: '60' },
    targets: { type: 'string', default: 'bare,sync-engine,paydesk-pg,paydesk-pglite' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    // Flags for paydesk's node, space-separated (e.g. --perf-basic-prof for perf, or --cpu-prof).
    'paydesk-node-args': { type: 'string', default: '' },
  },
});
const num = (v: string, lo: number, hi: number) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`numeric option expected, got ${v}`);
  return Math.max(lo, Math.min(hi, n));
};
const SECONDS = num(values.seconds, 1, 60);
const WARMUP = num(values.warmup, 0, 10);
const CONCURRENCY = values.concurrency.split(',').map((c) => Math.floor(num(c, 1, 256)));
const RATE = num(values.rate, 0, 50_000);
const RATE_SECONDS = num(values['rate-seconds'], 1, 60);
const DRAIN_TIMEOUT_S = num(values['drain-timeout'], 1, 300);
const TARGETS = values.targets.split(',');
const PAYDESK_NODE_ARGS = values['paydesk-node-args'].split(' ').filter(Boolean);
const SECRET = `whsec_bench_${randomBytes(16).toString('hex')}`;
const TAG = randomBytes(3).toString('hex');

const here = import.meta.url;
const fromSource = here.endsWith('.ts');
const sibling = (name: string) => fileURLToPath(new URL(`./${name}${fromSource ? '.ts' : '.js'}`, here));
const nodeArgs = fromSource ? ['--import', 'tsx'] : [];
const root = fileURLToPath(new URL(fromSource ? '../../' : '../../../', here));

function waitForLine(child: ChildProcess, line: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no "${line}" within ${timeoutMs} ms`)), timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      if (out.includes(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before "${line}"`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function runLoad(input: LoadInput): Promise<LoadResult> {
  const child = spawn(process.execPath, [...nodeArgs, sibling('load'), JSON.stringify(input)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`the load process exited with ${code}`);
  return JSON.parse(out) as LoadResult;
}

interface Target {
  name: string;
  /** The server's process: its CPU time per event is reported next to each rate. */
  pid: number | undefined;
  port: number;
  path: string;
  /**
   * Apply jobs not yet done (queued or running); undefined when the target has no queue. Not exact:
   * any number above 0 may stand for "some" (it is cheaper to answer).
   */
  depth?: (exact?: boolean) => Promise<number | undefined>;
  stop(): Promise<void>;
}

async function startReference(kind: 'bare' | 'sync-engine', dbUrl: string): Promise<Target> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...nodeArgs, sibling('reference-server'), kind, String(port), dbUrl, 'stripe', SECRET],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await waitForLine(child, 'ready', 60_000);
  return { name: kind, pid: child.pid, port, path: '/webhook', stop: () => stopChild(child) };
}

async function metricsDepth(url: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum: number | undefined;
  for (const m of text.matchAll(/^paydesk_jobs\{state="(queued|running)"\} (\d+)/gm)) {
    sum = (sum ?? 0) + Number(m[2]);
  }
  return sum;
}

async function startPaydeskTarget(
  name: string,
  env: Record<string, string>,
  depthFromDb: pg.Pool | undefined,
): Promise<Target & { process: PaydeskProcess; dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), `paydesk-bench-webhooks-${name}-`));
  const p = await startPaydesk({ ...env, PAYDESK_DATA_DIR: dataDir }, undefined, PAYDESK_NODE_ARGS);
  const port = Number(new URL(p.url).port);
  const depth = depthFromDb
    ? async (exact = true) =>
        (
          await depthFromDb.query<{ n: number }>(
            // The apply queue is the pending events themselves (and any jobs they caused). While
            // waiting for it to empty, whether anything is left is enough: counting tens of thousands
            // of rows ten times a second took CPU from the drain it measures.
            exact
              ? `SELECT (SELECT count(*) FROM stripe_events WHERE status = 'pending')::int
                      + (SELECT count(*) FROM jobs WHERE status IN ('queued', 'running'))::int AS n`
              : `SELECT (EXISTS (SELECT 1 FROM stripe_events WHERE status = 'pending')
                         OR EXISTS (SELECT 1 FROM jobs WHERE status IN ('queued', 'running')))::int AS n`,
          )
        ).rows[0]?.n
    : () => metricsDepth(p.url);
  return {
    name,
    pid: p.child.pid,
    port,
    path: '/webhooks/stripe',
    depth,
    process: p,
    dataDir,
    stop: async () => {
      await p.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Seconds until the queue is empty (undefined when it has no queue; Infinity if not within the limit). */
async function drain(target: Target): Promise<{ atEnd: number | undefined; seconds: number | undefined }> {
  if (!target.depth) return { atEnd: undefined, seconds: undefined };
  const atEnd = await target.depth();
  if (atEnd === undefined) return { atEnd, seconds: undefined };
  const started = performance.now();
  let n = atEnd;
  while (n > 0) {
    if (performance.now() - started > DRAIN_TIMEOUT_S * 1000)
      return { atEnd, seconds: Number.POSITIVE_INFINITY };
    await sleep(100);
    n = (await target.depth(false)) ?? 0;
  }
  return { atEnd, seconds: (performance.now() - started) / 1000 };
}

/** Transactions in the benchmark's database, and the server's WAL flushes and bytes so far. */
async function dbCounters(pool: pg.Pool, dbName: string) {
  const r = await pool.query<{ xacts: string; wal_syncs: string; wal_bytes: string }>(
    `SELECT (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1) AS xacts,
            (SELECT wal_sync FROM pg_stat_wal) AS wal_syncs,
            pg_current_wal_lsn() - '0/0'::pg_lsn AS wal_bytes`,
    [dbName],
  );
  const row = r.rows[0]!;
  return { xacts: Number(row.xacts), walSyncs: Number(row.wal_syncs), walBytes: Number(row.wal_bytes) };
}

/** CPU time (user + system) of a process so far, in ms, from /proc (Linux); undefined elsewhere. */
async function cpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
}

/** CPU time so far of each PostgreSQL backend connected to the benchmark's database (not ours), ms. */
async function backendsCpuMs(pool: pg.Pool | undefined, dbName: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (!pool) return out;
  const r = await pool.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name <> 'bench-webhooks'`,
    [dbName],
  );
  for (const { pid } of r.rows) {
    const ms = await cpuMs(pid);
    if (ms !== undefined) out.set(pid, ms);
  }
  return out;
}

/** CPU the backends used between two readings (a backend that appeared in between counts from 0). */
function backendsDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0);
  return sum;
}

interface Row {
  target: string;
  event: string;
  mode: string;
  result: LoadResult;
  depthAtEnd: number | undefined;
  drainSeconds: number | undefined;
  /** The server process's CPU time per event answered 200 (warm-up, window and drain included), µs. */
  cpuUsPerEvent: number | undefined;
  /** The same for the PostgreSQL backends serving it (undefined without PostgreSQL). */
  pgCpuUsPerEvent: number | undefined;
}

const rows: Row[] = [];
const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');

function printRow(r: Row): void {
  const q =
    r.depthAtEnd === undefined
      ? 'no queue'
      : r.drainSeconds === Number.POSITIVE_INFINITY
        ? `${r.depthAtEnd} left, NOT drained in ${DRAIN_TIMEOUT_S} s`
        : `${r.depthAtEnd} → 0 in ${fmt(r.drainSeconds ?? 0)} s`;
  const errors =
    (r.result.failed > 0 ? `  errors ${r.result.failed} ${JSON.stringify(r.result.statuses)}` : '') +
    (r.result.late > 0 ? `  ${r.result.late} due but not sent (no free socket)` : '') +
    (r.mode.endsWith('/s')
      ? `  generator's loop delay p99 ${fmt(r.result.loopDelayP99, 1)} max ${fmt(r.result.loopDelayMax, 1)} ms`
      : '');
  console.log(
    `${r.target.padEnd(15)} ${r.event.padEnd(17)} ${r.mode.padEnd(10)} ${fmt(r.result.perSecond, 0).padStart(7)}/s  p50 ${fmt(r.result.p50, 2).padStart(7)}  p99 ${fmt(r.result.p99, 2).padStart(7)} ms  cpu ${fmt(r.cpuUsPerEvent ?? Number.NaN, 0).padStart(4)} µs/event (PostgreSQL ${fmt(r.pgCpuUsPerEvent ?? Number.NaN, 0).padStart(4)})  queue ${q}${errors}`,
  );
}

function cpuPerEvent(before: number | undefined, after: number | undefined, events: number) {
  if (before === undefined || after === undefined || events === 0) return undefined;
  return ((after - before) * 1000) / events;
}

async function measure(
  target: Target,
  templates: readonly EventTemplate[],
  pool: pg.Pool | undefined,
  dbName: string,
): Promise<void> {
  const pgCpu = async (before: Map<number, number>, events: number) =>
    pool && events > 0
      ? (backendsDelta(before, await backendsCpuMs(pool, dbName)) * 1000) / events
      : undefined;
  for (const t of templates) {
    for (const c of CONCURRENCY) {
      const cpuBefore = await cpuMs(target.pid);
      const pgBefore = await backendsCpuMs(pool, dbName);
      const result = await runLoad({
        port: target.port,
        path: target.path,
        secret: SECRET,
        template: t,
        // Unique per target, event type and step: an id seen in an earlier step would be a duplicate.
        tag: `${TAG}${target.name.slice(0, 3)}${t.type.slice(0, 3)}c${c}`,
        connections: c,
        warmupMs: WARMUP * 1000,
        measureMs: SECONDS * 1000,
      });
      const d = await drain(target);
      const row = {
        target: target.name,
        event: `${t.type} ${(t.bytes / 1024).toFixed(1)}K`,
        mode: `c=${c}`,
        result,
        depthAtEnd: d.atEnd,
        drainSeconds: d.seconds,
        cpuUsPerEvent: cpuPerEvent(cpuBefore, await cpuMs(target.pid), result.okTotal),
        pgCpuUsPerEvent: target.name === 'bare' ? undefined : await pgCpu(pgBefore, result.okTotal),
      };
      rows.push(row);
      printRow(row);
    }
  }
  if (RATE > 0 && target.depth) {
    const t = templates[0]!;
    const cpuBefore = await cpuMs(target.pid);
    const pgBefore = await backendsCpuMs(pool, dbName);
    const result = await runLoad({
      port: target.port,
      path: target.path,
      secret: SECRET,
      template: t,
      tag: `${TAG}${target.name.slice(0, 3)}r`,
      connections: 64,
      rate: RATE,
      warmupMs: WARMUP * 1000,
      measureMs: RATE_SECONDS * 1000,
    });
    const d = await drain(target);
    const row = {
      target: target.name,
      event: `${t.type} ${(t.bytes / 1024).toFixed(1)}K`,
      mode: `${RATE}/s`,
      result,
      depthAtEnd: d.atEnd,
      drainSeconds: d.seconds,
      cpuUsPerEvent: cpuPerEvent(cpuBefore, await cpuMs(target.pid), result.okTotal),
      pgCpuUsPerEvent: await pgCpu(pgBefore, result.okTotal),
    };
    rows.push(row);
    printRow(row);
  }
}

async function main(): Promise<void> {
  console.log(
    `bench/webhooks: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `load generator: a separate node process, raw keep-alive TCP sockets (no http.Agent), one request in flight per socket; ${WARMUP} s warm-up + ${SECONDS} s per step`,
  );

  // The emulator, compiled, as its own process: its objects make the events, and paydesk's handlers
  // may call it (STRIPE_API_BASE).
  const emulatorPort = await freePort();
  const emulator = spawn(
    process.execPath,
    [join(root, 'packages/emulator/dist/cli.js'), '--port', String(emulatorPort), '--quiet'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
  const admin = new pg.Client({ connectionString: values.pg });
  const dbName = `paydesk_bench_webhooks_${process.pid}_${TAG}`;
  let pool: pg.Pool | undefined;
  try {
    const stripe = new Stripe('sk_test_bench_webhooks', {
      host: '127.0.0.1',
      port: emulatorPort,
      protocol: 'http',
      maxNetworkRetries: 5,
    });
    let templates: EventTemplate[] | undefined;
    for (let i = 0; i < 100 && !templates; i++) {
      templates = await buildTemplates(stripe).catch(async (err: unknown) => {
        if (i === 99) throw err;
        await sleep(100);
        return undefined;
      });
    }
    if (!templates) throw new Error('could not build the events');
    console.log(
      `events: ${templates.map((t) => `${t.type} ${t.bytes} B`).join(', ')} (from emulator objects)`,
    );

    await admin.connect();
    const settings = await admin.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'server_version')`,
    );
    console.log(
      `PostgreSQL: ${settings.rows.map((r) => `${r.name}=${r.setting}`).join(', ')}; fresh database ${dbName}`,
    );
    await admin.query(`CREATE DATABASE ${dbName}`);
    const dbUrl = new URL(values.pg);
    dbUrl.pathname = `/${dbName}`;
    pool = new pg.Pool({ connectionString: dbUrl.toString(), max: 2, application_name: 'bench-webhooks' });
    // DROP DATABASE … WITH (FORCE) at the end ends its idle connections: not a crash.
    pool.on('error', () => {});
    console.log('');

    for (const name of TARGETS) {
      let target: Target;
      if (name === 'bare' || name === 'sync-engine') {
        try {
          target = await startReference(name, dbUrl.toString());
        } catch (err) {
          console.log(`${name.padEnd(15)} could not run: ${(err as Error).message}`);
          continue;
        }
      } else if (name === 'paydesk-pg') {
        target = await startPaydeskTarget(
          name,
          { DATABASE_URL: dbUrl.toString(), STRIPE_API_BASE: emulatorUrl, STRIPE_WEBHOOK_SECRET: SECRET },
          pool,
        );
      } else if (name === 'paydesk-pglite') {
        target = await startPaydeskTarget(
          name,
          { STRIPE_API_BASE: emulatorUrl, STRIPE_WEBHOOK_SECRET: SECRET },
          undefined,
        );
      } else {
        throw new Error(`unknown target ${name}`);
      }
      const dbBefore =
        name === 'bare' || name === 'paydesk-pglite' || !pool ? undefined : await dbCounters(pool, dbName);
      const okBefore = rows.reduce((n, r) => n + r.result.okTotal, 0);
      try {
        await measure(target, templates, name === 'paydesk-pglite' ? undefined : pool, dbName);
      } finally {
        await target.stop();
      }
      if (dbBefore && pool) {
        // After the server stopped: its connections closed, which flushes their statistics.
        const after = await dbCounters(pool, dbName);
        const events = rows.reduce((n, r) => n + r.result.okTotal, 0) - okBefore;
        if (events > 0)
          console.log(
            `${name.padEnd(15)} database work per event stored (${events} events): ${fmt((after.xacts - dbBefore.xacts) / events, 2)} transactions in its database (reads included), ${fmt((after.walSyncs - dbBefore.walSyncs) / events, 3)} WAL flushes and ${fmt((after.walBytes - dbBefore.walBytes) / events, 0)} WAL bytes (server-wide: other databases' writes count too)`,
          );
      }
    }

    if (pool) {
      const events = await pool
        .query<{ status: string; n: number }>(
          'SELECT status, count(*)::int AS n FROM stripe_events GROUP BY status ORDER BY status',
        )
        .catch(() => undefined);
      if (events) {
        const stored = events.rows.reduce((n, r) => n + r.n, 0);
        const accepted = rows
          .filter((r) => r.target === 'paydesk-pg')
          .reduce((n, r) => n + r.result.okTotal, 0);
        console.log(
          `\npaydesk-pg stored events by status: ${events.rows.map((r) => `${r.status} ${r.n}`).join(', ')} (${stored} stored, ${accepted} answered 200: ${stored === accepted ? 'every accepted event stored once' : 'MISMATCH'})`,
        );
      }
    }
    summarize(templates);
  } finally {
    await pool?.end();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
    await admin.end().catch(() => {});
    await stopChild(emulator);
  }
}

function summarize(templates: readonly EventTemplate[]): void {
  console.log('\ngoals');
  const best = (target: string, event: string) =>
    Math.max(
      0,
      ...rows
        .filter((r) => r.target === target && r.event.startsWith(event) && r.mode.startsWith('c='))
        .map((r) => r.result.perSecond),
    );
  for (const t of templates) {
    const ours = best('paydesk-pg', t.type);
    const theirs = best('sync-engine', t.type);
    if (ours > 0 && theirs > 0) {
      const ratio = ours / theirs;
      console.log(
        `  ${t.type}: paydesk-pg ${ours.toFixed(0)}/s vs sync-engine ${theirs.toFixed(0)}/s = ${ratio.toFixed(1)}× (goal ≥ 3×: ${ratio >= 3 ? 'met' : 'NOT met'})`,
      );
    }
  }
  const top = Math.max(...templates.map((t) => best('paydesk-pg', t.type)));
  if (top > 0)
    console.log(
      `  stored durably on PostgreSQL: ${top.toFixed(0)}/s at best (goal ≥ 10,000: ${top >= 10_000 ? 'met' : 'NOT met'})`,
    );
  for (const r of rows.filter((x) => !x.mode.startsWith('c='))) {
    const kept = r.depthAtEnd !== undefined && r.drainSeconds !== undefined && r.drainSeconds <= 5;
    const rateOk = r.result.perSecond >= RATE * 0.98;
    const p99 = r.result.p99 ?? Number.POSITIVE_INFINITY; // NaN travels as null in JSON
    console.log(
      `  ${r.target} at ${r.mode}: ${r.result.perSecond.toFixed(0)}/s accepted, p99 ${fmt(r.result.p99)} ms, queue ${r.depthAtEnd ?? '?'} at the end → 0 in ${fmt(r.drainSeconds ?? Number.NaN)} s (goal p99 ≤ 25 ms with processing keeping up: ${p99 <= 25 && kept && rateOk ? 'met' : 'NOT met'})`,
    );
  }
}

await main();
