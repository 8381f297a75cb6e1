// The load process of bench/checkout (started by run.ts; not meant to be run by hand). One request in
// flight at a time, alternating the two paths so both see the same machine state:
//   paydesk: POST /v1/checkout/sessions {pack, quantity, currency} with an API key
//   direct:  the official SDK's checkout.sessions.create against the same emulator
// Prints one JSON line: the latencies of each path in milliseconds, and the CPU time paydesk's main
// thread spent during each path's requests (from /proc/PID/schedstat, Linux only).
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import Stripe from 'stripe';

interface Input {
  paydeskUrl: string;
  emulatorUrl: string;
  apiKey: string;
  priceId: string;
  successUrl: string;
  cancelUrl: string;
  warmup: number;
  count: number;
  deadlineMs: number;
  /** paydesk's process id: its main thread's CPU time is read around each request. */
  serverPid: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as Input;
const paydesk = new URL(input.paydeskUrl);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const body = JSON.stringify({ pack: 'credits-100', quantity: 1, currency: 'usd' });

function viaPaydesk(): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: paydesk.hostname,
        port: paydesk.port,
        method: 'POST',
        path: '/v1/checkout/sessions',
        agent,
        headers: {
          authorization: `Bearer ${input.apiKey}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 201 ? resolve() : reject(new Error(`paydesk answered ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const emulator = new URL(input.emulatorUrl);
const stripe = new Stripe('sk_test_bench_direct', {
  host: emulator.hostname,
  port: Number(emulator.port),
  protocol: 'http',
  maxNetworkRetries: 0,
});

let n = 0;
async function direct(): Promise<void> {
  n++;
  await stripe.checkout.sessions.create(
    {
      mode: 'payment',
      line_items: [{ price: input.priceId, quantity: 1 }],
      success_url: input.successUrl,
      cancel_url: input.cancelUrl,
      // Stripe wants at least 30 minutes; one more keeps second truncation from falling short.
      expires_at: Math.floor(Date.now() / 1000) + 31 * 60,
      metadata: { bench: 'direct', n: String(n) },
    },
    { idempotencyKey: `bench-direct-${process.pid}-${n}` },
  );
}

/** Nanoseconds paydesk's main thread (where requests, PGlite and the emulator run) spent on a CPU. */
function serverCpuNs(): number | undefined {
  try {
    return Number(readFileSync(`/proc/${input.serverPid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

const out = {
  paydesk: [] as number[],
  direct: [] as number[],
  /** Server main-thread CPU summed over each path's measured requests, in ms (null: not on Linux). */
  cpuMs: { paydesk: 0 as number | null, direct: 0 as number | null },
  stoppedByDeadline: false,
};

// The CPU reads sit outside the timed span, so they add nothing to a latency.
async function timed(path: 'paydesk' | 'direct', fn: () => Promise<void>): Promise<void> {
  const c0 = serverCpuNs();
  const t0 = process.hrtime.bigint();
  await fn();
  out[path].push(Number(process.hrtime.bigint() - t0) / 1e6);
  const c1 = serverCpuNs();
  const sum = out.cpuMs[path];
  out.cpuMs[path] = c0 === undefined || c1 === undefined || sum === null ? null : sum + (c1 - c0) / 1e6;
}

for (let i = 0; i < input.warmup; i++) {
  await viaPaydesk();
  await direct();
}
const deadline = Date.now() + input.deadlineMs;
for (let i = 0; i < input.count; i++) {
  if (Date.now() > deadline) {
    out.stoppedByDeadline = true;
    break;
  }
  // Alternate which goes first, so neither always runs right after the other.
  if (i % 2 === 0) {
    await timed('paydesk', viaPaydesk);
    await timed('direct', direct);
  } else {
    await timed('direct', direct);
    await timed('paydesk', viaPaydesk);
  }
}
agent.destroy();
process.stdout.write(`${JSON.stringify(out)}\n`);
