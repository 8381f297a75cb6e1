import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { nextSaveDelay, startEmulator } from '../server.js';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

const control = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${t.emu.url}/_emulator/${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

test('reset drops every object', async () => {
  const c = await t.stripe.customers.create({});
  assert.equal((await control('POST', 'reset')).status, 200);
  assert.equal((await stripeError(t.stripe.customers.retrieve(c.id))).statusCode, 404);
});

test('clock: set, advance and back to real time; created follows it', async () => {
  await control('POST', 'clock', { set: 2_000_000_000 });
  assert.equal((await t.stripe.customers.create({})).created, 2_000_000_000);
  const { json } = await control('POST', 'clock', { advance: 3600 });
  assert.equal(json.now, 2_000_003_600);
  await control('POST', 'clock', { real: true });
  assert.ok(Math.abs((await t.stripe.customers.create({})).created - Date.now() / 1000) < 5);
});

test('route faults are deterministic for a seed, and latency is added', async () => {
  const run = async () => {
    await control('POST', 'faults', {
      seed: 42,
      routes: [{ method: 'POST', path: '/v1/customers', errorRate: 0.5, status: 500 }],
    });
    const out: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await t.raw('POST', '/v1/customers', 'name=f');
      out.push(res.status);
    }
    return out;
  };
  const a = await run();
  const b = await run();
  assert.deepEqual(a, b);
  assert.ok(a.includes(500) && a.includes(200), `mixed outcomes: ${a.join(',')}`);
  await control('POST', 'faults', { routes: [{ path: '/v1/customers', errorRate: 1, status: 429 }] });
  const limited = await stripeError(t.stripe.customers.list());
  assert.equal(limited.statusCode, 429);
  await control('POST', 'faults', { routes: [{ path: '/v1/customers/:id', latencyMs: 150 }] });
  const c = await t.stripe.customers.create({});
  const started = Date.now();
  await t.stripe.customers.retrieve(c.id);
  assert.ok(Date.now() - started >= 140);
  await control('DELETE', 'faults');
});

test('webhook faults: drop and duplicate, deterministic by seed', async () => {
  let hits = 0;
  const sink = createServer((_q, s) => {
    hits++;
    s.writeHead(200).end();
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const ep = await t.stripe.webhookEndpoints.create({
    url: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`,
    enabled_events: ['product.created'],
  });
  await control('POST', 'faults', { seed: 7, webhooks: { dropRate: 1 } });
  await t.stripe.products.create({ name: 'dropped' });
  await t.emu.delivery.idle();
  assert.equal(hits, 0);
  const log = (await control('GET', `deliveries?endpoint=${ep.id}`)).json.data as { outcome: string }[];
  assert.equal(log.at(-1)!.outcome, 'dropped');
  await control('POST', 'faults', { seed: 7, webhooks: { duplicateRate: 1 } });
  await t.stripe.products.create({ name: 'twice' });
  await t.emu.delivery.idle();
  assert.equal(hits, 2);
  await control('DELETE', 'faults');
  await t.stripe.webhookEndpoints.del(ep.id);
  await new Promise<void>((r) => sink.close(() => r()));
});

test('--data keeps state across restarts; snapshot/save/load via the control API', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'emu-')), 'state.json');
  const first = await startEmulator({ dataFile: file });
  const stripe = (await import('stripe')).default;
  const s1 = new stripe('sk_test_x', { host: '127.0.0.1', port: first.port, protocol: 'http' });
  const c = await s1.customers.create({ email: 'persist@example.com' });
  await first.close();
  const second = await startEmulator({ dataFile: file });
  const s2 = new stripe('sk_test_x', { host: '127.0.0.1', port: second.port, protocol: 'http' });
  const back = await s2.customers.retrieve(c.id);
  assert.equal((back as { email: string }).email, 'persist@example.com');
  await second.close();

  const snap = await control('GET', 'snapshot');
  await control('POST', 'reset');
  assert.equal((await control('POST', 'snapshot', snap.json)).status, 200);
  assert.equal((await control('POST', 'save', { file })).status, 200);
  assert.equal((await control('POST', 'load', { file: `${file}.missing` })).status, 400);
});

test('a running emulator writes each change to its data file, again and again, without a close', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'emu-')), 'state.json');
  const emu = await startEmulator({ dataFile: file, saveIntervalMs: 20 });
  try {
    const stripe = (await import('stripe')).default;
    const s = new stripe('sk_test_x', { host: '127.0.0.1', port: emu.port, protocol: 'http' });
    const savedWith = async (id: string) => {
      for (let i = 0; i < 250 && !(existsSync(file) && readFileSync(file, 'utf8').includes(id)); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      return existsSync(file) && readFileSync(file, 'utf8').includes(id);
    };
    for (const email of ['one@example.com', 'two@example.com', 'three@example.com']) {
      const c = await s.customers.create({ email });
      assert.ok(await savedWith(c.id), `${c.id} written within 5 s`);
    }
  } finally {
    await emu.close();
  }
});

test('the pause between saves grows with what a save costs, never below the interval', () => {
  assert.equal(nextSaveDelay(1000, 0), 1000);
  assert.equal(nextSaveDelay(1000, 10), 1000);
  assert.equal(nextSaveDelay(1000, 20.01), 1001);
  assert.equal(nextSaveDelay(1000, 100), 5000);
  assert.equal(nextSaveDelay(50, 3), 150);
});

test('unknown control routes are 404 and never under /v1', async () => {
  assert.equal((await control('GET', 'nope')).status, 404);
  assert.equal((await t.raw('POST', '/v1/_emulator/reset')).status, 404);
});
