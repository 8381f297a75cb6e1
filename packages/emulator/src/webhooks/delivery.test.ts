import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

interface Received {
  body: string;
  signature: string;
  at: number;
}

/** Receivers still listening: closed after the file's tests, so a failed test cannot keep the process alive. */
const receivers = new Set<Server>();

/** A local receiver answering with the status `answer()` gives. */
async function receiver(answer: (n: number) => number) {
  const got: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: String(req.headers['stripe-signature']),
        at: Date.now(),
      });
      res.writeHead(answer(got.length)).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receivers.add(server);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const close = () => {
    receivers.delete(server);
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  };
  return { got, url, close };
}

let t: TestEmulator;
before(async () => {
  // A delivery times out after 5 s: long enough that a busy machine never turns a slow answer from
  // these local receivers into a retry (500 ms did, once, at load average 12).
  t = await testEmulator({
    webhookSchedule: { baseDelayMs: 40, factor: 2, maxAttempts: 4, timeoutMs: 5000 },
  });
});
after(async () => {
  await Promise.all(
    [...receivers].map((server) => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    }),
  );
  await t.emu.close();
});

test('webhook endpoints: CRUD, secret only on create, enabled_events required', async () => {
  const ep = await t.stripe.webhookEndpoints.create({
    url: 'http://127.0.0.1:9/x',
    enabled_events: ['customer.created'],
  });
  assert.match(ep.id, /^we_/);
  assert.match(ep.secret ?? '', /^whsec_/);
  assert.equal(ep.status, 'enabled');
  const got = await t.stripe.webhookEndpoints.retrieve(ep.id);
  assert.equal(got.secret, undefined);
  const off = await t.stripe.webhookEndpoints.update(ep.id, { disabled: true, enabled_events: ['*'] });
  assert.equal(off.status, 'disabled');
  assert.deepEqual(off.enabled_events, ['*']);
  assert.equal(
    (
      await stripeError(
        t.stripe.webhookEndpoints.create({ url: 'http://x.test/' } as Stripe.WebhookEndpointCreateParams),
      )
    ).param,
    'enabled_events',
  );
  assert.equal((await t.stripe.webhookEndpoints.del(ep.id)).deleted, true);
  assert.equal((await stripeError(t.stripe.webhookEndpoints.retrieve(ep.id))).statusCode, 404);
});

test('events are delivered signed, and constructEvent accepts them; pending_webhooks drops to 0', async () => {
  const r = await receiver(() => 200);
  const ep = await t.stripe.webhookEndpoints.create({
    url: r.url,
    enabled_events: ['customer.created', 'product.created'],
  });
  const other = await receiver(() => 200);
  await t.stripe.webhookEndpoints.create({ url: other.url, enabled_events: ['price.created'] });
  const c = await t.stripe.customers.create({ email: 'hook@example.com' });
  const ev = (await t.stripe.events.list({ type: 'customer.created', limit: 1 })).data[0]!;
  assert.equal(ev.pending_webhooks, 1, 'one subscribed endpoint');
  await t.emu.delivery.idle();
  assert.equal(r.got.length, 1);
  assert.equal(other.got.length, 0, 'not subscribed to customer.created');
  const event = t.stripe.webhooks.constructEvent(r.got[0]!.body, r.got[0]!.signature, ep.secret!);
  assert.equal(event.type, 'customer.created');
  assert.equal((event.data.object as Stripe.Customer).id, c.id);
  assert.throws(() => t.stripe.webhooks.constructEvent(r.got[0]!.body, r.got[0]!.signature, 'whsec_wrong'));
  assert.equal((await t.stripe.events.retrieve(ev.id)).pending_webhooks, 0);
  await t.stripe.webhookEndpoints.del(ep.id);
  await r.close();
  await other.close();
});

test('failed deliveries are retried with exponential backoff and logged per endpoint', async () => {
  const r = await receiver((n) => (n < 3 ? 500 : 200));
  const ep = await t.stripe.webhookEndpoints.create({ url: r.url, enabled_events: ['coupon.created'] });
  await t.stripe.coupons.create({ percent_off: 10 });
  await t.emu.delivery.idle();
  assert.equal(r.got.length, 3);
  const gap1 = r.got[1]!.at - r.got[0]!.at;
  const gap2 = r.got[2]!.at - r.got[1]!.at;
  assert.ok(gap1 >= 35, `first retry after ~40 ms, got ${gap1}`);
  assert.ok(gap2 >= 75, `second retry after ~80 ms, got ${gap2}`);
  const res = await fetch(`${t.emu.url}/_emulator/deliveries?endpoint=${ep.id}`);
  const log = ((await res.json()) as { data: { outcome: string; status: number; attempt: number }[] }).data;
  assert.deepEqual(
    log.map((a) => [a.attempt, a.outcome, a.status]),
    [
      [1, 'failed', 500],
      [2, 'failed', 500],
      [3, 'succeeded', 200],
    ],
  );
  await t.stripe.webhookEndpoints.del(ep.id);
  await r.close();
});

test('gives up after maxAttempts; pending_webhooks stays counted', async () => {
  const r = await receiver(() => 503);
  const ep = await t.stripe.webhookEndpoints.create({ url: r.url, enabled_events: ['coupon.created'] });
  await t.stripe.coupons.create({ percent_off: 11 });
  await t.emu.delivery.idle();
  assert.equal(r.got.length, 4);
  const ev = (await t.stripe.events.list({ type: 'coupon.created', limit: 1 })).data[0]!;
  assert.equal(ev.pending_webhooks, 1);
  await t.stripe.webhookEndpoints.del(ep.id);
  await r.close();
});

test('the API answers before a slow endpoint does', async () => {
  const slow = createServer((_req, res) => setTimeout(() => res.writeHead(200).end(), 300));
  await new Promise<void>((res) => slow.listen(0, '127.0.0.1', res));
  const ep = await t.stripe.webhookEndpoints.create({
    url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`,
    enabled_events: ['*'],
  });
  const started = Date.now();
  await t.stripe.customers.create({ name: 'fast' });
  assert.ok(Date.now() - started < 200, 'the create did not wait for the webhook');
  await t.emu.delivery.idle();
  await t.stripe.webhookEndpoints.del(ep.id);
  slow.closeAllConnections();
  await new Promise<void>((res) => slow.close(() => res()));
});
