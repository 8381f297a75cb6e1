// The fast path in front of Fastify (fast-path.ts), over real sockets: webhook deliveries on a
// keep-alive connection are answered there, with what Fastify would have answered; everything else,
// errors included, is answered by Fastify itself on the same connection.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Stripe from 'stripe';
import { createTestApp, TEST_ADMIN_KEY, TEST_WEBHOOK_SECRET, type TestApp } from '../../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../../testing/db.js';
import { RawClient } from '../../testing/raw-client.js';
import { customerUpdatedBody } from '../../testing/webhook-fixtures.js';
import { FastPathServer } from './fast-path.js';

let tdb: TestDatabase;
let t: TestApp;
let port: number;
let server: FastPathServer;

before(async () => {
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open(), { syncCatalog: false, env: { PAYDESK_BODY_LIMIT: '65536' } });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  server = t.app.server as FastPathServer;
  assert.ok(server instanceof FastPathServer);
  port = (server.address() as { port: number }).port;
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
});

let seq = 0;
function eventBody(): string {
  seq++;
  return customerUpdatedBody('fast', seq);
}

function request(
  body: string,
  options: { signature?: string; headers?: string[]; path?: string } = {},
): string {
  const signature =
    options.signature ??
    Stripe.webhooks.generateTestHeaderString({ payload: body, secret: TEST_WEBHOOK_SECRET });
  return (
    `POST ${options.path ?? '/webhooks/stripe'} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    `Content-Type: application/json; charset=utf-8\r\nStripe-Signature: ${signature}\r\n` +
    (options.headers ?? [`Content-Length: ${Buffer.byteLength(body)}`]).map((h) => `${h}\r\n`).join('') +
    `\r\n${body}`
  );
}

/** A raw connection to this test's app. */
class Client extends RawClient {
  constructor() {
    super(port, server);
  }
}

async function storedCount(ids: string[]): Promise<number> {
  const r = await t.context.db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM stripe_events WHERE id = ANY($1)',
    [ids],
  );
  return r.rows[0]!.n;
}

const idOf = (body: string) => (JSON.parse(body) as { id: string }).id;

describe('fast path', () => {
  test('a delivery is answered as Fastify answers it: status, body and headers', async () => {
    const body = eventBody();
    const viaFastify = await t.app.inject({
      method: 'POST',
      url: '/webhooks/stripe',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': Stripe.webhooks.generateTestHeaderString({
          payload: body,
          secret: TEST_WEBHOOK_SECRET,
        }),
      },
      payload: body,
    });
    const c = new Client();
    await c.ready();
    const other = eventBody();
    c.socket.write(request(other));
    const a = await c.next();
    assert.ok(c.fast, 'still on the fast path');
    assert.equal(a.status, 200);
    assert.deepEqual(JSON.parse(a.body), { received: true, duplicate: false });
    assert.equal(a.body, viaFastify.body);
    for (const [name, value] of Object.entries(viaFastify.headers)) {
      if (name === 'request-id' || name === 'date') continue;
      assert.equal(a.headers[name], String(value), name);
    }
    assert.match(a.headers['request-id']!, /^req_/);
    assert.equal(a.headers.connection, 'keep-alive');
    assert.ok(a.headers.date);
    assert.equal(await storedCount([idOf(other)]), 1);
    // The same event again: a duplicate, still on the fast path.
    c.socket.write(request(other));
    const again = await c.next();
    assert.deepEqual(JSON.parse(again.body), { received: true, duplicate: true });
    assert.ok(c.fast);
    c.close();
  });

  test('pipelined deliveries and bodies split across packets are answered in order', async () => {
    const c = new Client();
    await c.ready();
    const bodies = [eventBody(), eventBody(), eventBody()];
    c.socket.write(request(bodies[0]!) + request(bodies[1]!));
    const third = request(bodies[2]!);
    c.socket.write(third.slice(0, 40));
    await new Promise((r) => setTimeout(r, 20));
    c.socket.write(third.slice(40, third.length - 10));
    await new Promise((r) => setTimeout(r, 20));
    c.socket.write(third.slice(third.length - 10));
    for (let i = 0; i < 3; i++) {
      const a = await c.next();
      assert.equal(a.status, 200, a.body);
      assert.equal(JSON.parse(a.body).duplicate, false);
    }
    assert.ok(c.fast);
    assert.equal(await storedCount(bodies.map(idOf)), 3);
    c.close();
  });

  test('a bad signature is answered by Fastify (400 in the catalog shape), and so is the rest of the connection', async () => {
    const c = new Client();
    await c.ready();
    const bad = eventBody();
    c.socket.write(request(bad, { signature: `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` }));
    const a = await c.next();
    assert.equal(a.status, 400);
    assert.equal(JSON.parse(a.body).error.code, 'invalid_signature');
    assert.equal(a.headers['x-content-type-options'], 'nosniff');
    assert.equal(c.fast, false, 'handed to node:http');
    const good = eventBody();
    c.socket.write(request(good));
    assert.equal((await c.next()).status, 200);
    assert.equal(await storedCount([idOf(bad), idOf(good)]), 1);
    c.close();
  });

  test('what the fast path does not take goes to Fastify: other routes, chunked bodies, oversized bodies', async () => {
    const health = new Client();
    await health.ready();
    health.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal((await health.next()).status, 200);
    assert.equal(health.fast, false);
    health.close();

    const chunked = new Client();
    await chunked.ready();
    const body = eventBody();
    const size = Buffer.byteLength(body).toString(16);
    chunked.socket.write(
      request(`${size}\r\n${body}\r\n0\r\n\r\n`, {
        signature: Stripe.webhooks.generateTestHeaderString({ payload: body, secret: TEST_WEBHOOK_SECRET }),
        headers: ['Transfer-Encoding: chunked'],
      }),
    );
    const a = await chunked.next();
    assert.equal(a.status, 200, a.body);
    assert.equal(chunked.fast, false);
    assert.equal(await storedCount([idOf(body)]), 1);
    chunked.close();

    const big = new Client();
    await big.ready();
    const huge = JSON.stringify({ pad: 'x'.repeat(70_000) });
    big.socket.write(request(huge));
    const tooLarge = await big.next();
    assert.equal(tooLarge.status, 413);
    big.close();
  });

  test('Connection: close is honoured; answers are counted in the metrics', async () => {
    const c = new Client();
    await c.ready();
    const body = eventBody();
    c.socket.write(
      request(body, { headers: [`Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'] }),
    );
    const a = await c.next();
    assert.equal(a.status, 200);
    assert.equal(a.headers.connection, 'close');
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(c.ended, 'the server ended the connection');
    const metrics = await t.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    const count = Number(
      /^paydesk_http_requests_total\{method="POST",route="\/webhooks\/stripe",status="200"\} (\d+)$/m.exec(
        metrics.body,
      )?.[1],
    );
    assert.ok(count >= 6, `counted: ${count}`);
    c.close();
  });

  test('idle connections are kept as long as Fastify keeps them (72 s, not node’s 5 s)', async () => {
    assert.equal(server.keepAliveTimeout, 72_000);
    const c = new Client();
    await c.ready();
    c.socket.write(request(eventBody()));
    assert.equal((await c.next()).status, 200);
    assert.ok(c.fast);
    const fastSocket = [...server.fast].find((f) => f.socket.remotePort === c.socket.localPort)!.socket;
    assert.equal(fastSocket.timeout, 72_000);
    c.close();
  });

  test('a client that half-closes after its request gets its answer, then the end', async () => {
    const c = new Client();
    await c.ready();
    const body = eventBody();
    c.socket.end(request(body));
    const a = await c.next();
    assert.equal(a.status, 200);
    // (Connection: close when the half-close arrived before the answer was written; either way the
    // server ends its side once it has answered.)
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(c.ended, 'the server ended the connection');
    assert.equal(await storedCount([idOf(body)]), 1);
    c.close();
  });

  test('the seed systems’ aliases are on the fast path too', async () => {
    const c = new Client();
    await c.ready();
    for (const path of ['/webhook', '/api/checkout/webhook', '/billing/stripe/webhook/']) {
      c.socket.write(request(eventBody(), { path }));
      assert.equal((await c.next()).status, 200, path);
    }
    assert.ok(c.fast);
    c.close();
  });
});
