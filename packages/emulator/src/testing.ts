import Stripe from 'stripe';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from './server.js';

export interface TestEmulator {
  emu: RunningEmulator;
  /** The real SDK pointed at the emulator (no retries, so error tests see the first answer). */
  stripe: Stripe;
  /** Another SDK client with a different key (idempotency scoping, live-key tests). */
  client(key: string): Stripe;
  /** Raw request helper for wire-level assertions. */
  raw(method: string, path: string, body?: string, headers?: Record<string, string>): Promise<Response>;
}

/** One emulator per test file: `const t = await testEmulator(); after(() => t.emu.close());` */
export async function testEmulator(options: EmulatorOptions = {}): Promise<TestEmulator> {
  const emu = await startEmulator(options);
  const client = (key: string) =>
    new Stripe(key, { host: '127.0.0.1', port: emu.port, protocol: 'http', maxNetworkRetries: 0 });
  return {
    emu,
    stripe: client('sk_test_emulator'),
    client,
    raw: (method, path, body, headers = {}) =>
      fetch(`${emu.url}${path}`, {
        method,
        body,
        headers: {
          Authorization: 'Bearer sk_test_emulator',
          'Content-Type': 'application/x-www-form-urlencoded',
          ...headers,
        },
      }),
  };
}

/** Awaits a promise that must reject with a Stripe error, and returns that error. */
export async function stripeError(
  p: Promise<unknown>,
): Promise<InstanceType<typeof Stripe.errors.StripeError>> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Stripe.errors.StripeError) return err;
    throw err;
  }
  throw new Error('expected the call to fail with a Stripe error, but it succeeded');
}

/** The newest event's id ('' when there is none yet): where eventsSince() starts. */
export async function eventMark(stripe: Stripe): Promise<string> {
  return (await stripe.events.list({ limit: 1 })).data[0]?.id ?? '';
}

/** The events after `since` (an eventMark()), oldest first; at most 100. */
export async function eventsSince(stripe: Stripe, since: string): Promise<Stripe.Event[]> {
  const list = await stripe.events.list({ limit: 100, ...(since ? { ending_before: since } : {}) });
  return list.data.reverse();
}
