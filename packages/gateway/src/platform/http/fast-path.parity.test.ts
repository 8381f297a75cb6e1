// The fast path (fast-path.ts) against Fastify itself: the same webhook deliveries — valid, repeated,
// badly signed, unsigned, not an event, not JSON, too large — are sent once on a connection Fastify
// serves (node:http took it at its first request) and once on a fresh keep-alive connection, which the
// fast path serves as far as it does. Each pair of answers must be the same to the byte (status line,
// every header in order, body) but for the Date and request-id values; the log lines written for each
// must be the same, field for field (but for times and ids); and the metrics must count them the same.
// Then: a Fastify hook the fast path does not reproduce, added on every route or on a route only,
// makes the fast path leave the webhook routes to Fastify, so the hook runs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { createTestApp, TEST_ADMIN_KEY, type TestApp, type TestAppOptions } from '../../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../../testing/db.js';
import { type Answer, RawClient } from '../../testing/raw-client.js';
import { customerUpdatedBody, signature } from '../../testing/webhook-fixtures.js';
import { webhookPaths } from '../../webhooks/routes.js';
import { FastPathServer } from './fast-path.js';

const BODY_LIMIT = 65_536;

let tdb: TestDatabase;
let t: TestApp;

async function listen(app: TestApp): Promise<{ port: number; server: FastPathServer }> {
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  const server = app.app.server;
  assert.ok(server instanceof FastPathServer);
  return { port: (server.address() as { port: number }).port, server };
}

function appOptions(extra: TestAppOptions = {}): TestAppOptions {
  return { syncCatalog: false, env: { PAYDESK_BODY_LIMIT: String(BODY_LIMIT) }, ...extra };
}

before(async () => {
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open(), appOptions());
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
});

let seq = 0;
function newEvent(): { id: string; body: string } {
  seq++;
  const body = customerUpdatedBody('parity', seq);
  return { id: (JSON.parse(body) as { id: string }).id, body };
}

function delivery(body: string, headers: string[], path = '/webhooks/stripe'): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: paydesk.test\r\nUser-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\n` +
    `Content-Type: application/json; charset=utf-8\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n${body}`
  );
}

const signed = (body: string, path?: string) =>
  delivery(
    body,
    [`Stripe-Signature: ${signature(body)}`, `Content-Length: ${Buffer.byteLength(body)}`],
    path,
  );

/** One kind of delivery: `make` gives a request (and the event id in it) for one side of the comparison. */
interface Case {
  name: string;
  make: () => { request: string; eventId: string };
  /** The fast path answers it itself (otherwise it hands it to Fastify). */
  fast: boolean;
  /** Sent twice on each side; the second answer is compared (a repeated delivery). */
  twice?: boolean;
}

const cases: Case[] = [
  {
    name: 'a valid delivery',
    fast: true,
    make: () => {
      const e = newEvent();
      return { request: signed(e.body), eventId: e.id };
    },
  },
  {
    name: 'the same delivery again (a duplicate)',
    fast: true,
    twice: true,
    make: () => {
      const e = newEvent();
      return { request: signed(e.body), eventId: e.id };
    },
  },
  {
    name: 'a valid delivery to a seed system’s alias',
    fast: true,
    make: () => {
      const e = newEvent();
      return { request: signed(e.body, '/billing/stripe/webhook/'), eventId: e.id };
    },
  },
  {
    name: 'a bad signature',
    fast: false,
    make: () => {
      const e = newEvent();
      const bad = `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`;
      return {
        request: delivery(e.body, [
          `Stripe-Signature: ${bad}`,
          `Content-Length: ${Buffer.byteLength(e.body)}`,
        ]),
        eventId: e.id,
      };
    },
  },
  {
    name: 'no signature',
    fast: false,
    make: () => {
      const e = newEvent();
      return { request: delivery(e.body, [`Content-Length: ${Buffer.byteLength(e.body)}`]), eventId: e.id };
    },
  },
  {
    name: 'a signed body that is not a Stripe event',
    fast: false,
    make: () => {
      const body = '{"hello": ';
      return { request: signed(body), eventId: `evt_absent_${++seq}` };
    },
  },
  {
    name: 'a signed event whose body is not JSON (the database refuses it)',
    fast: false,
    make: () => {
      const e = newEvent();
      const body = e.body.replace('"metadata":{}', '"metadata":{"a":tru}');
      assert.notEqual(body, e.body);
      return { request: signed(body), eventId: e.id };
    },
  },
  {
    name: 'a body over the limit',
    fast: false,
    make: () => {
      const e = newEvent();
      const body = e.body.replace('"metadata":{}', `"metadata":{"pad":"${'x'.repeat(BODY_LIMIT)}"}`);
      return { request: signed(body), eventId: e.id };
    },
  },
];

/** The HTTP metrics of webhook routes, by series. */
async function webhookMetrics(app: TestApp): Promise<Map<string, number>> {
  const r = await app.app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
  });
  // Its own log lines are all written before the comparison's start.
  await linesOf(app, 0, r.headers['request-id'] as string);
  const out = new Map<string, number>();
  for (const line of r.body.split('\n')) {
    const m = /^(paydesk_http_request[a-z_]*)\{(.*)\} ([0-9.e+-]+)$/.exec(line);
    // The histogram's buckets and sum depend on how long a request took: its count is compared.
    if (!m || !/method="POST"/.test(m[2]!) || /_(sum|bucket)$/.test(m[1]!)) continue;
    if (!webhookPaths.some((p) => m[2]!.includes(`route="${p}"`))) continue;
    out.set(`${m[1]}{${m[2]}}`, Number(m[3]));
  }
  return out;
}

/** What changed between two metric snapshots. */
function increments(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [series, value] of after) {
    const delta = value - (before.get(series) ?? 0);
    if (delta !== 0) out[series] = delta;
  }
  return out;
}

/** Log lines from `from` on, once the `request completed` line of request `id` is among them. */
async function linesOf(app: TestApp, from: number, id: string): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 500; i++) {
    const records = app.logs.lines.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);
    if (records.some((r) => r.msg === 'request completed' && r.request_id === id)) return records;
    await sleep(10);
  }
  assert.fail(`no "request completed" line for ${id}:\n${app.logs.lines.slice(from).join('\n')}`);
}

/** A log line with what differs by nature between two requests (times, ids, ports) masked. */
function normalize(record: Record<string, unknown>, id: string, eventId: string): string {
  const { time: _time, ...rest } = record;
  return JSON.stringify(rest, (key, value) => {
    if (key === 'responseTime' && typeof value === 'number') return 'MS';
    if (key === 'remotePort' && typeof value === 'number') return 'PORT';
    if (value === id) return 'REQUEST_ID';
    if (typeof value === 'string' && value.includes(eventId)) return value.replaceAll(eventId, 'EVENT_ID');
    return value;
  });
}

interface Observed {
  answer: Answer;
  fastAfter: boolean;
  logs: string[];
  metrics: Record<string, number>;
}

/** Sends a case on a fresh connection, Fastify's (after a first request node:http takes) or the fast path's. */
async function observe(app: TestApp, side: 'fastify' | 'fast', c: Case): Promise<Observed> {
  const server = app.app.server;
  assert.ok(server instanceof FastPathServer);
  const client = new RawClient((server.address() as { port: number }).port, server);
  await client.ready();
  if (side === 'fastify') {
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: paydesk.test\r\n\r\n');
    const health = await client.next();
    assert.equal(health.status, 200);
    await linesOf(app, 0, health.headers['request-id']!);
    assert.equal(client.fast, false, 'the connection is node:http’s');
  }
  const { request, eventId } = c.make();
  if (c.twice) {
    const mark = app.logs.lines.length;
    client.socket.write(request);
    const first = await client.next();
    assert.equal(first.status, 200, first.body);
    await linesOf(app, mark, first.headers['request-id']!);
  }
  const metricsBefore = await webhookMetrics(app);
  const mark = app.logs.lines.length;
  client.socket.write(request);
  const answer = await client.next();
  const id = answer.headers['request-id']!;
  const records = await linesOf(app, mark, id);
  const metricsAfter = await webhookMetrics(app);
  const fastAfter = client.fast;
  client.close();
  return {
    answer,
    fastAfter,
    logs: records.map((r) => normalize(r, id, eventId)),
    metrics: increments(metricsBefore, metricsAfter),
  };
}

/** An answer's head and body with the Date and request-id values masked. */
function masked(a: Answer): string {
  const id = a.headers['request-id'] ?? 'none';
  return `${a.head}\r\n\r\n${a.body}`.replace(/^Date: .*$/m, 'Date: DATE').replaceAll(id, 'REQUEST_ID');
}

describe('the fast path answers, logs and counts as Fastify does', () => {
  before(async () => {
    const { server } = await listen(t);
    assert.deepEqual(
      server.servedPaths().sort(),
      [...webhookPaths].sort(),
      'every webhook path is served fast',
    );
  });

  for (const c of cases) {
    test(c.name, async () => {
      const viaFastify = await observe(t, 'fastify', c);
      const viaFastPath = await observe(t, 'fast', c);
      assert.equal(viaFastPath.fastAfter, c.fast, c.fast ? 'served by the fast path' : 'handed to Fastify');
      assert.equal(masked(viaFastPath.answer), masked(viaFastify.answer));
      assert.deepEqual(viaFastPath.logs, viaFastify.logs);
      assert.deepEqual(viaFastPath.metrics, viaFastify.metrics);
      // What each case is about, as Fastify answers it.
      const { status } = viaFastify.answer;
      if (c.fast) assert.equal(status, 200);
      else assert.ok(status === 400 || status === 413, `${status} ${viaFastify.answer.body}`);
      assert.ok(Object.keys(viaFastify.metrics).length >= 2, 'counted and timed');
      assert.ok(
        viaFastify.logs.some((l) => l.includes('"msg":"incoming request"')),
        'Fastify logged the request',
      );
    });
  }

  test('the database’s refusal is the one case decided after storing is tried', async () => {
    const c = cases.find((x) => x.name.includes('database refuses'))!;
    const viaFastify = await observe(t, 'fastify', c);
    assert.equal(JSON.parse(viaFastify.answer.body).error.code, 'invalid_json');
    assert.ok(viaFastify.logs.some((l) => l.includes('a signed webhook body is not JSON')));
  });
});

describe('a Fastify hook the fast path does not reproduce makes it stand down', () => {
  async function withApp(
    beforeRoutes: NonNullable<TestAppOptions['beforeRoutes']>,
    check: (app: TestApp, port: number, server: FastPathServer) => Promise<void>,
  ): Promise<void> {
    const app = await createTestApp(await tdb.open(), appOptions({ emulator: t.emulator, beforeRoutes }));
    try {
      const { port, server } = await listen(app);
      await check(app, port, server);
    } finally {
      await app.app.close();
    }
  }

  test('an onRequest hook on every route (a rate limit, say): Fastify serves the deliveries, and runs it', async () => {
    let ran = 0;
    await withApp(
      [
        (app: FastifyInstance) => {
          app.addHook('onRequest', function rateLimitStandIn(_request, reply, done) {
            ran++;
            reply.header('x-ratelimit-limit', '100');
            done();
          });
        },
      ],
      async (app, port, server) => {
        assert.deepEqual(server.servedPaths(), []);
        const warning = app.logs
          .records()
          .find((r) => String(r.msg).startsWith('fast path off for POST /webhooks/stripe'));
        assert.match(String(warning?.msg), /onRequest hook rateLimitStandIn is not reproduced/);
        const client = new RawClient(port, server);
        await client.ready();
        const e = newEvent();
        client.socket.write(signed(e.body));
        const a = await client.next();
        assert.equal(a.status, 200, a.body);
        assert.equal(a.headers['x-ratelimit-limit'], '100');
        assert.equal(client.fast, false);
        assert.equal(ran, 1);
        client.close();
      },
    );
  });

  test('an onSend hook added to each route as it is registered: the same', async () => {
    await withApp(
      [
        (app: FastifyInstance) => {
          app.addHook('onRoute', (route) => {
            route.onSend = [
              async function stampOnSend(_request, reply, payload) {
                reply.header('x-stamp', 'yes');
                return payload;
              },
            ];
          });
        },
      ],
      async (_app, port, server) => {
        assert.deepEqual(server.servedPaths(), []);
        const client = new RawClient(port, server);
        await client.ready();
        const e = newEvent();
        client.socket.write(signed(e.body, '/webhook'));
        const a = await client.next();
        assert.equal(a.status, 200, a.body);
        assert.equal(a.headers['x-stamp'], 'yes');
        assert.equal(client.fast, false);
        client.close();
      },
    );
  });
});
