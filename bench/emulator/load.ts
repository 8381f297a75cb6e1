// Emulator benchmark: throughput and latency, startup time and memory, measured from a separate process.
//   npm run bench:emulator [-- --connections 50] [-- --seconds 10] [-- --objects 100000] [-- --runs 5]
//                          [-- --idle 150]   (seconds to watch RSS after the memory fill; 0 skips it)
//                          [-- --only startup|throughput|memory]   (one part only)
//   node --import tsx bench/emulator/load.ts --url http://127.0.0.1:12111   (drive a running emulator:
//   throughput only; used for profiling with `node --cpu-prof packages/emulator/dist/cli.js --quiet`)
//
// The emulator under test is the compiled CLI (packages/emulator/dist/cli.js, built by
// `npx tsc -b packages/emulator`), started as a child process exactly as a user starts it, with no extra
// node flags. (The CLI serves from a worker thread whose young generation it caps at 3 MB: that is its
// default, so it is measured; RSS is the whole process's.) The load generator is this script: raw keep-alive TCP sockets, one request in flight per
// socket (HTTP/1.1 without pipelining, as an SDK with an agent sends), bounded by request count and time,
// 127.0.0.1 only. It runs on the same 2 cores as the emulator, so its own CPU is taken from it.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    objects: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '5' },
    idle: { type: 'string', default: '150' },
    url: { type: 'string' },
    only: { type: 'string' },
  },
});
const PARTS = ['startup', 'throughput', 'memory'] as const;
if (values.only !== undefined && !(PARTS as readonly string[]).includes(values.only))
  throw new Error(`--only takes one of ${PARTS.join(', ')}`);
const run = (part: (typeof PARTS)[number]): boolean => values.only === undefined || values.only === part;
const CONNECTIONS = clamp(Number(values.connections), 1, 256);
const SECONDS = clamp(Number(values.seconds), 1, 60);
const OBJECTS = clamp(Number(values.objects), 1, 1_000_000);
const RUNS = clamp(Number(values.runs), 1, 20);
const IDLE_SECONDS = clamp(Number(values.idle), 0, 600);
const HOST = '127.0.0.1';
const CLI = fileURLToPath(new URL('../../packages/emulator/dist/cli.js', import.meta.url));
const INDEX = fileURLToPath(new URL('../../packages/emulator/dist/index.js', import.meta.url));

function clamp(n: number, lo: number, hi: number): number {
  if (!Number.isFinite(n)) throw new Error('numeric option expected');
  return Math.max(lo, Math.min(hi, Math.floor(n)));
}

/** One kind of request the generator sends. */
interface Scenario {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body: string;
}

const CUSTOMERS_CREATE: Scenario = {
  name: 'customers.create',
  method: 'POST',
  path: '/v1/customers',
  body: 'email=bench%40example.com&name=Bench&metadata[source]=bench',
};

// A confirmed card payment: materialises a payment method from pm_card_visa, creates and confirms the
// intent, creates its charge, and records payment_intent.created, payment_intent.succeeded and
// charge.succeeded (5 objects and 3 events per request).
const PAYMENT_INTENTS_CREATE: Scenario = {
  name: 'payment_intents.create (confirm=true, pm_card_visa)',
  method: 'POST',
  path: '/v1/payment_intents',
  body:
    'amount=2000&currency=usd&confirm=true&payment_method=pm_card_visa' +
    '&automatic_payment_methods[enabled]=true&automatic_payment_methods[allow_redirects]=never',
};

const CUSTOMERS_LIST: Scenario = {
  name: 'customers.list (limit=1)',
  method: 'GET',
  path: '/v1/customers?limit=1',
  body: '',
};

function requestText(s: Scenario, port: number, idempotencyKey?: string): Buffer {
  const head =
    `${s.method} ${s.path} HTTP/1.1\r\nHost: ${HOST}:${port}\r\nAuthorization: Bearer sk_test_bench\r\n` +
    (idempotencyKey === undefined ? '' : `Idempotency-Key: ${idempotencyKey}\r\n`) +
    (s.method === 'POST'
      ? `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(s.body)}\r\n`
      : '');
  return Buffer.from(`${head}\r\n${s.body}`, 'latin1');
}

interface Budget {
  left: number;
  deadline: number;
}

/**
 * Drives one keep-alive socket until the deadline or the shared request budget runs out. Responses are
 * Content-Length framed (the emulator never uses chunked encoding); anything but a 200 fails the run.
 */
function worker(port: number, req: Buffer | (() => Buffer), budget: Budget, lat: number[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(port, HOST);
    sock.setNoDelay(true);
    let buf = '';
    let sent = 0;
    const fire = (): void => {
      if (budget.left <= 0 || performance.now() >= budget.deadline) {
        sock.end();
        resolve();
        return;
      }
      budget.left--;
      sent = performance.now();
      sock.write(typeof req === 'function' ? req() : req);
    };
    sock.setEncoding('latin1');
    sock.on('connect', fire);
    sock.on('error', reject);
    sock.on('data', (chunk: string) => {
      buf += chunk;
      for (;;) {
        const headEnd = buf.indexOf('\r\n\r\n');
        if (headEnd === -1) return;
        const m = /content-length: *(\d+)/i.exec(buf.slice(0, headEnd));
        if (m === null) {
          reject(new Error(`response without Content-Length: ${buf.slice(0, 200)}`));
          return;
        }
        const end = headEnd + 4 + Number(m[1]);
        if (buf.length < end) return;
        if (!buf.startsWith('HTTP/1.1 200')) {
          reject(new Error(`unexpected response: ${buf.slice(0, 400)}`));
          return;
        }
        buf = buf.slice(end);
        lat.push(performance.now() - sent);
        fire();
      }
    });
  });
}

interface LoadResult {
  n: number;
  rps: number;
  p50: number;
  p99: number;
}

/**
 * Sends `s` from CONNECTIONS sockets until `seconds` or `count` runs out. `keyed`: each request with its
 * own `Idempotency-Key`, as the stripe SDK sends on every POST (`stripe-node-retry-<uuid>`).
 */
async function drive(
  port: number,
  s: Scenario,
  seconds: number,
  count: number,
  keyed = false,
): Promise<LoadResult> {
  const lat: number[] = [];
  const started = performance.now();
  const budget = { left: count, deadline: started + seconds * 1000 };
  const req = keyed ? () => requestText(s, port, `stripe-node-retry-${randomUUID()}`) : requestText(s, port);
  await Promise.all(Array.from({ length: CONNECTIONS }, () => worker(port, req, budget, lat)));
  const elapsed = (performance.now() - started) / 1000;
  lat.sort((a, b) => a - b);
  const pct = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0;
  return { n: lat.length, rps: lat.length / elapsed, p50: pct(0.5), p99: pct(0.99) };
}

/** Sends one request on a fresh connection; resolves with the status line, rejects on a socket error. */
function once(port: number, s: Scenario): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, HOST);
    let buf = '';
    sock.setEncoding('latin1');
    sock.on('connect', () => sock.write(requestText(s, port)));
    sock.on('data', (c: string) => {
      buf += c;
      const eol = buf.indexOf('\r\n');
      if (eol !== -1) {
        sock.destroy();
        resolve(buf.slice(0, eol));
      }
    });
    sock.on('error', reject);
  });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, HOST, r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** CPU time the process has used so far, user and system, in ms (/proc/PID/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

interface Child {
  pid: number;
  port: number;
  /** Spawn → first answered API request, ms. */
  firstAnswerMs: number;
  /** What the CLI prints: startEmulator() until listening, modules already loaded, ms. */
  selfReportedMs: number;
  stop(): Promise<void>;
}

/** Starts the compiled CLI as a user would and waits for its first answered API request. */
async function startChild(): Promise<Child> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, '--port', String(port), '--quiet'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s: string) => {
    out += s;
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  let firstAnswerMs = Number.NaN;
  const deadline = t0 + 30_000;
  while (Number.isNaN(firstAnswerMs)) {
    if (exited) throw new Error(`emulator exited before answering: ${out}`);
    if (performance.now() > deadline) throw new Error('emulator did not answer within 30 s');
    try {
      const status = await once(port, CUSTOMERS_LIST);
      if (!status.startsWith('HTTP/1.1 200')) throw new Error(`first request answered ${status}`);
      firstAnswerMs = performance.now() - t0;
    } catch (err) {
      if (!(err instanceof Error) || !('code' in err) || err.code !== 'ECONNREFUSED') throw err;
      await sleep(1);
    }
  }
  // The CLI's worker thread prints through the main thread, so its line may come just after the answer.
  for (let i = 0; i < 200 && !/ready in \d+ ms/.test(out); i++) await sleep(5);
  const selfReportedMs = Number(/ready in (\d+) ms/.exec(out)?.[1] ?? Number.NaN);
  return {
    pid: child.pid!,
    port,
    firstAnswerMs,
    selfReportedMs,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) resolve();
        else {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }
      }),
  };
}

/**
 * In-process start, as the gateway's embedded mode and tests use it, in a fresh node process: import
 * the compiled package, `startEmulator()`, and answer one API request (node:http client). Returns ms from the
 * start of the import, and the part from `startEmulator()` on.
 */
function inProcessStart(): { importToAnswerMs: number; startToAnswerMs: number } {
  const script = `
    const t0 = performance.now();
    const { startEmulator } = await import(${JSON.stringify(INDEX)});
    const t1 = performance.now();
    const emu = await startEmulator();
    const { request } = await import('node:http');
    const status = await new Promise((resolve, reject) => {
      const req = request(emu.url + '/v1/customers?limit=1', { headers: { Authorization: 'Bearer sk_test_x' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', reject);
      req.end();
    });
    if (status !== 200) throw new Error('status ' + status);
    const t2 = performance.now();
    await emu.close();
    console.log(JSON.stringify({ importToAnswerMs: t2 - t0, startToAnswerMs: t2 - t1 }));`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`in-process start failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as {
    importToAnswerMs: number;
    startToAnswerMs: number;
  };
}

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const fmt = (r: LoadResult): string =>
  `${r.rps.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   (${r.n} requests)`;

/** Warm-up, then the measured run. */
async function throughput(port: number, s: Scenario): Promise<LoadResult> {
  await drive(port, s, 2, 20_000);
  return drive(port, s, SECONDS, Number.MAX_SAFE_INTEGER);
}

async function main(): Promise<void> {
  if (values.url !== undefined) {
    const port = Number(new URL(values.url).port);
    console.log(`driving ${HOST}:${port}, ${CONNECTIONS} connections, ${SECONDS} s per scenario`);
    for (const s of [CUSTOMERS_CREATE, PAYMENT_INTENTS_CREATE])
      console.log(`${s.name}\n  ${fmt(await throughput(port, s))}`);
    return;
  }
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build it with \`npx tsc -b packages/emulator\``);
  console.log(`paydesk emulator benchmark, node ${process.version}, ${cpus().length} CPU(s)`);
  console.log(
    `  emulator: compiled JavaScript, \`node packages/emulator/dist/cli.js --quiet\` (no tsx, no extra flags;` +
      ` the CLI's own default: a worker thread with a 3 MB young generation)`,
  );
  console.log(
    `  load generator: bench/emulator/load.ts, a separate node process, ${CONNECTIONS} raw keep-alive` +
      ` sockets on ${HOST}, one request in flight each; it runs on the same ${cpus().length} cores as the emulator\n`,
  );

  console.log(`  load average before: ${load()} (other work on the machine competes for the same cores)\n`);

  if (run('startup')) {
    // Startup: fresh process each time.
    const first: number[] = [];
    const self: number[] = [];
    const inProc: number[] = [];
    const inProcStart: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const c = await startChild();
      first.push(c.firstAnswerMs);
      self.push(c.selfReportedMs);
      await c.stop();
      const p = inProcessStart();
      inProc.push(p.importToAnswerMs);
      inProcStart.push(p.startToAnswerMs);
    }
    const range = (xs: number[]): string =>
      `${median(xs).toFixed(0).padStart(4)} ms  (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
    console.log(`startup (median of ${RUNS} fresh processes; goal ≤ 300 ms)`);
    console.log(`  CLI: spawn → first answered request              ${range(first)}`);
    console.log(`  CLI: startEmulator() → listening, as it reports  ${range(self)}`);
    console.log(`  in-process: import → startEmulator() → 1st answer ${range(inProc)}`);
    console.log(`  in-process: startEmulator() → 1st answer         ${range(inProcStart)}\n`);
  }
  if (run('throughput')) {
    // Throughput: one fresh emulator per scenario, so neither pays for the other's state.
    // The emulator's own CPU per request: much less disturbed than req/s by other work on the cores.
    const results: { s: Scenario; r: LoadResult; userUs: number; systemUs: number }[] = [];
    for (const s of [CUSTOMERS_CREATE, PAYMENT_INTENTS_CREATE]) {
      const c = await startChild();
      try {
        await drive(c.port, s, 2, 20_000);
        const cpu0 = cpuMs(c.pid);
        const r = await drive(c.port, s, SECONDS, Number.MAX_SAFE_INTEGER);
        const cpu1 = cpuMs(c.pid);
        const per = (ms: number): number => (ms * 1000) / r.n;
        results.push({ s, r, userUs: per(cpu1.user - cpu0.user), systemUs: per(cpu1.system - cpu0.system) });
      } finally {
        await c.stop();
      }
    }
    console.log(
      `throughput (${CONNECTIONS} keep-alive connections, 2 s warm-up, then ${SECONDS} s; goal ≥ 8,000 customers.create/s)`,
    );
    for (const { s, r, userUs, systemUs } of results)
      console.log(
        `  ${s.name.padEnd(52)} ${fmt(r)}   emulator CPU ${(userUs + systemUs).toFixed(0)} µs/request` +
          ` (user ${userUs.toFixed(0)}, system ${systemUs.toFixed(0)})`,
      );
    console.log('');
  }
  if (run('memory')) {
    // Memory: a fresh emulator filled with OBJECTS customers (each also records its customer.created event).
    // RSS is read right after the fill and 2 s later (the figures this script always reported), then every
    // 5 s while the emulator sits idle: V8 shrinks a young generation grown by the fill only when its
    // memory reducer runs, about a minute or two into idleness (with node's default the young generation
    // grows to ~32 MB; the CLI caps its worker's at 3 MB). Nothing forces a GC and no flag is added.
    console.log(`memory (goal ≤ 150 MB RSS after 100k objects)`);
    const c = await startChild();
    try {
      const idle = rssMb(c.pid);
      const fill = await drive(c.port, CUSTOMERS_CREATE, 600, OBJECTS);
      if (fill.n !== OBJECTS) throw new Error(`created ${fill.n} of ${OBJECTS} customers`);
      const full = rssMb(c.pid);
      await sleep(2000);
      const settled = rssMb(c.pid);
      console.log(`  RSS at start                                    ${idle.toFixed(0).padStart(4)} MB`);
      console.log(
        `  RSS after ${OBJECTS} customers.create (+ ${OBJECTS} events)  ${full.toFixed(0).padStart(4)} MB  (${settled.toFixed(0)} MB 2 s later)   ← measured as before`,
      );
      if (IDLE_SECONDS > 0) {
        const series: string[] = [];
        let last = settled;
        for (let t = 5; t <= IDLE_SECONDS; t += 5) {
          await sleep(5000);
          last = rssMb(c.pid);
          series.push(`${t}s ${last.toFixed(0)}`);
        }
        console.log(
          `  the same, after ${IDLE_SECONDS} s idle (V8's own memory reducer; no forced GC)  ${last.toFixed(0).padStart(4)} MB`,
        );
        console.log(`    RSS while idle, MB: ${series.join(', ')}`);
      }
    } finally {
      await c.stop();
    }
    // The same fill as the stripe SDK sends it: an Idempotency-Key on every POST, each answer kept 24 h.
    const k = await startChild();
    try {
      const fill = await drive(k.port, CUSTOMERS_CREATE, 600, OBJECTS, true);
      if (fill.n !== OBJECTS) throw new Error(`created ${fill.n} of ${OBJECTS} customers`);
      console.log(
        `  RSS after ${OBJECTS} customers.create, each with its own Idempotency-Key (as the SDK sends)  ${rssMb(k.pid).toFixed(0).padStart(4)} MB`,
      );
    } finally {
      await k.stop();
    }
  }
  console.log(`\nload average after: ${load()}`);
}

await main();
