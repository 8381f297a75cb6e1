// The load process of bench/webhooks (started by run.ts; not meant to be run by hand). It sends
// signed Stripe events over raw keep-alive TCP sockets to 127.0.0.1 — HTTP/1.1 written by hand, one
// request in flight per socket, which costs about a third of the CPU per request of http.Agent and
// leaves more of the two cores to the server under test. Every request gets its own event id (and
// object ids) and a fresh Stripe-Signature (HMAC-SHA256 over `t.body`, as Stripe signs), most of them
// built just before the step starts (see prebuild()).
//
// Two modes, both bounded in time:
//   closed loop: `connections` sockets, each sending its next request as soon as the previous answer
//                arrives (the rate the server accepts at that concurrency);
//   paced:       requests due at a fixed rate spread over the sockets; latency counts from when a
//                request was due, so a stalled server cannot hide its queue (no coordinated omission).
// Prints one JSON line with the counts and the latency percentiles of the measured window.
import { createHmac } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { EventTemplate } from './fixtures.js';

export interface LoadInput {
  port: number;
  path: string;
  secret: string;
  template: Pick<EventTemplate, 'parts' | 'slots' | 'objects'>;
  /** Makes ids unique across runs and steps. */
  tag: string;
  connections: number;
  /** Paced mode when set: requests per second. */
  rate?: number;
  warmupMs: number;
  measureMs: number;
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  /** Paced mode: requests that were due but still waiting for a free socket when the window ended. */
  late: number;
  statuses: Record<string, number>;
  /** Requests answered 200 over the whole run, warm-up and the end included (cost per event). */
  okTotal: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  /** The generator's own event-loop delay in the window, ms (a stall here would count as latency). */
  loopDelayP99: number;
  loopDelayMax: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as LoadInput;

// The template's pieces as bytes, once: each request is put together from them without building and
// encoding a 2-5 KB string twice (for the signature and for the socket), which cost the generator
// CPU the servers under test need on these two cores.
const parts = input.template.parts.map((p) => Buffer.from(p));
const objects = input.template.objects.map((o) => Buffer.from(o));

let seq = 0;
function nextRequest(): Buffer {
  const n = seq++;
  const unique = Buffer.from(`${input.tag}${n.toString(36)}`);
  const chunks: Buffer[] = [parts[0]!];
  input.template.slots.forEach((slot, i) => {
    chunks.push(slot === 'unique' ? unique : objects[n % objects.length]!, parts[i + 1]!);
  });
  const body = Buffer.concat(chunks);
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', input.secret).update(`${t}.`).update(body).digest('hex');
  const head = Buffer.from(
    `POST ${input.path} HTTP/1.1\r\nHost: 127.0.0.1:${input.port}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `User-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\nStripe-Signature: t=${t},v1=${v1}\r\n` +
      `Content-Length: ${body.length}\r\n\r\n`,
    'latin1',
  );
  return Buffer.concat([head, body]);
}

// Requests are built before the clock starts, as many as the step is likely to send (all of them in
// paced mode; in a closed loop up to PREBUILD_PER_SECOND for the step's duration, within
// PREBUILD_BYTES), so that in the window the generator only writes and reads: signing and putting a
// request together took ~10 µs of the two cores per request. Each is signed when it is built, seconds
// before it is sent (Stripe's tolerance is 300 s). Beyond those, requests are built as they go.
const PREBUILD_PER_SECOND = 15_000;
const PREBUILD_BYTES = 512 * 1024 * 1024;
const prebuilt: (Buffer | undefined)[] = [];
let taken = 0;

function prebuild(count: number): void {
  const first = nextRequest();
  prebuilt.push(first);
  const n = Math.min(count, Math.floor(PREBUILD_BYTES / first.length));
  for (let i = 1; i < n; i++) prebuilt.push(nextRequest());
}

/** The next request: a prebuilt one while they last (released once taken), else a new one. */
function takeRequest(): Buffer {
  if (taken < prebuilt.length) {
    const r = prebuilt[taken] as Buffer;
    prebuilt[taken++] = undefined;
    return r;
  }
  return nextRequest();
}

/** One keep-alive connection with one request in flight; resolves each request with its status. */
class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: ((status: number) => void) | undefined;
  private failWaiting: ((err: Error) => void) | undefined;
  busy = false;
  /** The server closed it (or it failed): a request sent on it would never be answered. */
  closed = false;

  constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (err: Error) => {
      this.closed = true;
      const f = this.failWaiting;
      this.waiting = undefined;
      this.failWaiting = undefined;
      f?.(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static open(port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  send(request: Buffer): Promise<number> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    this.busy = true;
    return new Promise((resolve, reject) => {
      this.waiting = (status) => {
        this.busy = false;
        resolve(status);
      };
      this.failWaiting = (err) => {
        this.busy = false;
        reject(err);
      };
      this.socket.write(request);
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buffer.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (this.buffer.length < end + 4 + length) return;
      this.buffer = this.buffer.subarray(end + 4 + length);
      const status = Number(head.slice(9, 12));
      const done = this.waiting;
      this.waiting = undefined;
      this.failWaiting = undefined;
      done?.(status);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function main(): Promise<LoadResult> {
  const connections = await Promise.all(
    Array.from({ length: input.connections }, () => Connection.open(input.port)),
  );
  const stepSeconds = (input.warmupMs + input.measureMs) / 1000;
  prebuild(
    input.rate === undefined
      ? Math.ceil(PREBUILD_PER_SECOND * stepSeconds)
      : Math.ceil(input.rate * stepSeconds) + input.connections,
  );
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let late = 0;
  let okTotal = 0;
  const start = performance.now();
  const measureFrom = start + input.warmupMs;
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  setTimeout(() => loopDelay.enable(), input.warmupMs).unref();
  const stopAt = measureFrom + input.measureMs;

  const record = (dueAt: number, status: number) => {
    if (status === 200) okTotal++;
    if (dueAt < measureFrom) return;
    const now = performance.now();
    if (now > stopAt) return;
    latencies.push(now - dueAt);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status === 200) ok++;
    else failed++;
  };

  if (input.rate === undefined) {
    await Promise.all(
      connections.map(async (c) => {
        while (performance.now() < stopAt) {
          const dueAt = performance.now();
          if (dueAt >= measureFrom) sent++;
          try {
            record(dueAt, await c.send(takeRequest()));
          } catch {
            if (dueAt >= measureFrom) failed++;
            return;
          }
        }
      }),
    );
  } else {
    const interval = 1000 / input.rate;
    const backlog: number[] = [];
    let due = start;
    const inFlight = new Set<Promise<void>>();
    while (performance.now() < stopAt) {
      const now = performance.now();
      while (due <= now) {
        backlog.push(due);
        due += interval;
      }
      for (const c of connections) {
        if (backlog.length === 0) break;
        if (c.busy || c.closed) continue;
        const dueAt = backlog.shift()!;
        if (dueAt >= measureFrom) sent++;
        const p = c.send(takeRequest()).then(
          (status) => record(dueAt, status),
          () => {
            if (dueAt >= measureFrom) failed++;
          },
        );
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      // Wake at the next due time, or when an answer frees a socket.
      await Promise.race([
        new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(1, due - performance.now())))),
        ...(backlog.length > 0 && inFlight.size > 0 ? [Promise.race(inFlight)] : []),
      ]);
    }
    // Requests still waiting for a socket at the end were due and never sent: the server fell behind.
    late = backlog.filter((d) => d >= measureFrom).length;
    await Promise.allSettled(inFlight);
  }
  loopDelay.disable();
  for (const c of connections) c.close();
  const sorted = Float64Array.from(latencies).sort();
  const seconds = input.measureMs / 1000;
  return {
    sent,
    ok,
    failed,
    late,
    statuses,
    okTotal,
    seconds,
    perSecond: ok / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
    loopDelayP99: loopDelay.percentile(99) / 1e6,
    loopDelayMax: loopDelay.max / 1e6,
  };
}

process.stdout.write(`${JSON.stringify(await main())}\n`);
