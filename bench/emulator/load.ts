// Load generator for the emulator, run as its own process:
//   node --conditions=development --import tsx bench/emulator/load.ts [--connections 50] [--seconds 5] [--objects 100000]
// Starts the emulator CLI as a child process on 127.0.0.1 (port 0 is not printed by a child, so a fixed
// free port is picked), measures startup time, drives customers.create over raw keep-alive sockets
// (one request in flight per socket, bounded by connection count and duration), then fills the store
// to --objects customers and reads the child's RSS from /proc.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '5' },
    objects: { type: 'string', default: '100000' },
  },
});
const CONNECTIONS = Math.min(Number(values.connections), 256);
const SECONDS = Math.min(Number(values.seconds), 60);
const OBJECTS = Math.min(Number(values.objects), 1_000_000);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const BODY = 'email=bench%40example.com&name=Bench&metadata[source]=bench';
const request = (port: number) =>
  `POST /v1/customers HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer sk_test_bench\r\n` +
  `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`;

/** Runs one keep-alive socket until `deadline` or `budget` requests; records latencies in ms. */
function worker(port: number, deadline: number, budget: { left: number }, lat: number[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(port, '127.0.0.1');
    const req = request(port);
    let buf = '';
    let sent = 0;
    const fire = () => {
      if (performance.now() >= deadline || budget.left <= 0) {
        sock.end();
        resolve();
        return;
      }
      budget.left--;
      sent = performance.now();
      sock.write(req);
    };
    sock.setEncoding('latin1');
    sock.on('connect', fire);
    sock.on('error', reject);
    sock.on('data', (chunk: string) => {
      buf += chunk;
      // Responses are Content-Length framed; parse header then wait for the full body.
      for (;;) {
        const headEnd = buf.indexOf('\r\n\r\n');
        if (headEnd === -1) return;
        const m = /content-length: (\d+)/i.exec(buf.slice(0, headEnd));
        const len = m ? Number(m[1]) : 0;
        if (buf.length < headEnd + 4 + len) return;
        if (!buf.startsWith('HTTP/1.1 200')) reject(new Error(buf.slice(0, 200)));
        buf = buf.slice(headEnd + 4 + len);
        lat.push(performance.now() - sent);
        fire();
      }
    });
  });
}

async function drive(port: number, seconds: number, count: number) {
  const lat: number[] = [];
  const budget = { left: count };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(Array.from({ length: CONNECTIONS }, () => worker(port, deadline, budget, lat)));
  const elapsed = (performance.now() - started) / 1000;
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0;
  return { n: lat.length, rps: lat.length / elapsed, p50: pct(0.5), p99: pct(0.99) };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

const port = await freePort();
const t0 = performance.now();
const child = spawn(
  process.execPath,
  [
    '--conditions=development',
    '--import',
    'tsx',
    'packages/emulator/src/cli.ts',
    '--port',
    String(port),
    '--quiet',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
let startupMs = 0;
let selfReported = '';
await new Promise<void>((resolve, reject) => {
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s: string) => {
    if (s.includes('listening')) {
      startupMs = performance.now() - t0;
      selfReported = /ready in (\d+) ms/.exec(s)?.[1] ?? '?';
      resolve();
    }
  });
  child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
});
try {
  await drive(port, 1, 5000); // warm-up
  const r = await drive(port, SECONDS, Number.MAX_SAFE_INTEGER);
  const created = 5000 + r.n;
  if (created < OBJECTS) await drive(port, 120, OBJECTS - created);
  const rss = rssMb(child.pid!);
  console.log(`emulator customers.create, ${CONNECTIONS} keep-alive connections, ${SECONDS}s:`);
  console.log(
    `  ${r.rps.toFixed(0)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  (${r.n} requests)`,
  );
  console.log(
    `  startup: ${startupMs.toFixed(0)} ms to the listening line (process spawn + tsx), ${selfReported} ms inside`,
  );
  console.log(`  RSS after ${Math.max(created, OBJECTS)} customers (+ as many events): ${rss.toFixed(0)} MB`);
} finally {
  child.kill('SIGKILL');
}
