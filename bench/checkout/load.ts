// The load process of bench/checkout (started by run.ts; not meant to be run by hand). One request in
// flight at a time, alternating the two paths so both see the same machine state:
//   paydesk: POST /v1/checkout/sessions {pack, quantity, currency} with an API key
//   direct:  the official SDK's checkout.sessions.create against the same emulator
// Prints one JSON line: the latencies of each path in milliseconds.
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

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const out = { paydesk: [] as number[], direct: [] as number[], stoppedByDeadline: false };
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
    out.paydesk.push(await timed(viaPaydesk));
    out.direct.push(await timed(direct));
  } else {
    out.direct.push(await timed(direct));
    out.paydesk.push(await timed(viaPaydesk));
  }
}
agent.destroy();
process.stdout.write(`${JSON.stringify(out)}\n`);
