import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { App } from './app.js';
import { errorCatalog } from './platform/errors.js';
import { createTestApp, type LogCapture } from './testing/app.js';
import { createTestDatabase, type TestDatabase } from './testing/db.js';

let tdb: TestDatabase;
let app: App;
let logs: LogCapture;

function probes(instance: FastifyInstance) {
  instance.get('/_test/boom', async () => {
    throw new Error('secret internals: connection string postgres://admin:hunter2@db');
  });
  instance.post('/_test/echo', async (request) => ({ body: request.body }));
  instance.get('/_test/things/:id', async (request) => ({ id: (request.params as { id: string }).id }));
  instance.get('/_test/log-headers', async (request) => {
    request.log.info(
      { headers: request.headers, note: `key was ${String(request.headers['x-note'])}` },
      'probe',
    );
    return { ok: true };
  });
}

before(async () => {
  tdb = await createTestDatabase();
  ({ app, logs } = await createTestApp(await tdb.open(), {
    env: { PAYDESK_BODY_LIMIT: '2048' },
    plugins: [probes],
  }));
});
after(async () => {
  await app.close();
  await tdb.destroy();
});

function assertErrorShape(body: string, code: keyof typeof errorCatalog, requestId?: string) {
  const parsed = JSON.parse(body) as { error: Record<string, unknown> };
  assert.equal(parsed.error.code, code);
  assert.equal(typeof parsed.error.message, 'string');
  if (requestId) assert.equal(parsed.error.request_id, requestId);
  else assert.match(String(parsed.error.request_id), /^req_/);
  return parsed.error;
}

describe('one error shape for every failure', () => {
  test('404 for an unknown route', async () => {
    const r = await app.inject({ method: 'GET', url: '/no/such/thing' });
    assert.equal(r.statusCode, 404);
    assertErrorShape(r.body, 'not_found', String(r.headers['request-id']));
    assert.match(String(r.headers['content-type']), /application\/json/);
  });

  test('405 with Allow for a known route and the wrong method', async () => {
    const r = await app.inject({ method: 'DELETE', url: '/_test/things/42' });
    assert.equal(r.statusCode, 405);
    assertErrorShape(r.body, 'method_not_allowed');
    assert.equal(r.headers.allow, 'GET, HEAD');
  });

  test('400 for malformed JSON', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/_test/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"amount": 10,',
    });
    assert.equal(r.statusCode, 400);
    assertErrorShape(r.body, 'invalid_json');
  });

  test('400 for an empty JSON body', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/_test/echo',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    assert.equal(r.statusCode, 400);
    assertErrorShape(r.body, 'invalid_json');
  });

  test('413 for a body over the limit', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/_test/echo',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(4096) }),
    });
    assert.equal(r.statusCode, 413);
    assertErrorShape(r.body, 'payload_too_large');
  });

  test('415 for an unsupported content type', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/_test/echo',
      headers: { 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    assert.equal(r.statusCode, 415);
    assertErrorShape(r.body, 'unsupported_media_type');
  });

  test('form bodies are parsed; a repeated key becomes a list', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/_test/echo',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'qty=3&tag=a&tag=b&note=caf%C3%A9',
    });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(JSON.parse(r.body), { body: { qty: '3', tag: ['a', 'b'], note: 'café' } });
  });

  test('a thrown exception is a generic 500; the details only reach the log', async () => {
    const r = await app.inject({ method: 'GET', url: '/_test/boom' });
    assert.equal(r.statusCode, 500);
    const error = assertErrorShape(r.body, 'internal_error');
    assert.equal(error.message, errorCatalog.internal_error.message);
    assert.doesNotMatch(r.body, /hunter2|secret internals/);
    const logged = logs.records().find((l) => l.request_id === error.request_id && l.level === 'error');
    assert.ok(logged, 'the failure is logged with its request id');
    assert.match(JSON.stringify(logged), /secret internals/);
  });
});

describe('request ids', () => {
  test('every response carries one; a well-formed incoming x-request-id is kept', async () => {
    const a = await app.inject({ method: 'GET', url: '/healthz' });
    assert.match(String(a.headers['request-id']), /^req_[A-Za-z0-9_-]{16}$/);
    const b = await app.inject({
      method: 'GET',
      url: '/nope',
      headers: { 'x-request-id': 'lb-trace-1234567' },
    });
    assert.equal(b.headers['request-id'], 'lb-trace-1234567');
    assertErrorShape(b.body, 'not_found', 'lb-trace-1234567');
    const c = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'bad id\u0000<script>' },
    });
    assert.match(String(c.headers['request-id']), /^req_/);
  });

  test('generated ids are distinct across more than one refill of their random pool', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1200; i++) {
      const r = await app.inject({ method: 'GET', url: '/healthz' });
      const id = String(r.headers['request-id']);
      assert.match(id, /^req_[A-Za-z0-9_-]{16}$/);
      seen.add(id);
    }
    assert.equal(seen.size, 1200);
  });
});

describe('security headers', () => {
  test('API answers forbid sniffing, framing and scripts', async () => {
    const r = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['x-frame-options'], 'DENY');
    assert.equal(r.headers['referrer-policy'], 'no-referrer');
    assert.match(String(r.headers['content-security-policy']), /default-src 'none'/);
  });
});

describe('log redaction', () => {
  test('Stripe keys, secrets and card numbers in headers or messages never reach the log', async () => {
    const r = await app.inject({
      method: 'GET',
      url: '/_test/log-headers?q=4242424242424242',
      headers: {
        authorization: 'Bearer sk_test_51HdEADbEEFsecretKEYvalue',
        'stripe-signature': 't=1,v1=abcdef0123456789',
        'x-stripe-key': 'rk_live_ABCDEF1234567890',
        'x-note': 'whsec_QWERTYUIOPasdfgh and card 4000 0025 0000 3155',
      },
    });
    assert.equal(r.statusCode, 200);
    const text = logs.text;
    assert.match(text, /"msg":"probe"/);
    for (const secret of [
      'sk_test_51HdEADbEEFsecretKEYvalue',
      'HdEADbEEF',
      'rk_live_ABCDEF1234567890',
      'whsec_QWERTYUIOPasdfgh',
      't=1,v1=abcdef0123456789',
      '4242424242424242',
      '4000 0025 0000 3155',
    ]) {
      assert.ok(!text.includes(secret), `log output contains ${secret}`);
    }
    assert.match(text, /\[REDACTED/);
  });
});

describe('operations', () => {
  test('GET /healthz answers 200', async () => {
    const r = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(JSON.parse(r.body), { status: 'ok' });
  });

  test('GET /readyz answers 200 with the database and migration', async () => {
    const r = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(r.statusCode, 200, r.body);
    const body = JSON.parse(r.body) as { status: string; database: string; migration: number };
    assert.equal(body.status, 'ready');
    assert.equal(body.database, tdb.kind);
    assert.ok(body.migration >= 1);
  });

  test('GET /metrics: requests by route pattern and status, latency histogram, process metrics', async () => {
    await app.inject({ method: 'GET', url: '/_test/things/1' });
    await app.inject({ method: 'GET', url: '/_test/things/2' });
    await app.inject({ method: 'GET', url: '/random/path/123' });
    const r = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /text\/plain/);
    assert.match(
      r.body,
      /paydesk_http_requests_total\{method="GET",route="\/_test\/things\/:id",status="200"\} 2/,
    );
    assert.match(r.body, /paydesk_http_requests_total\{method="GET",route="unmatched",status="404"\} \d+/);
    assert.match(
      r.body,
      /paydesk_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/_test\/things\/:id"\}/,
    );
    assert.match(r.body, /paydesk_process_resident_memory_bytes \d+/);
    assert.doesNotMatch(r.body, /random\/path/);
  });

  test('GET /docs/json is an OpenAPI 3 document generated from the routes', async () => {
    const r = await app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(r.statusCode, 200);
    const doc = JSON.parse(r.body) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.match(doc.openapi, /^3\./);
    assert.ok(doc.paths['/healthz']?.get);
    assert.ok(doc.paths['/readyz']?.get);
    assert.ok(doc.paths['/metrics']?.get);
  });

  test('GET /docs serves the UI from local files, no CDN', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    const srcs = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(srcs.length > 0);
    for (const src of srcs) assert.doesNotMatch(src, /^(https?:)?\/\//, `external asset ${src}`);
    const script = srcs.find((s) => s.endsWith('.js'));
    assert.ok(script);
    const asset = await app.inject({ method: 'GET', url: new URL(script, 'http://x/docs/').pathname });
    assert.equal(asset.statusCode, 200);
  });
});

describe('readiness when the database is gone', () => {
  test('GET /readyz answers 503 not_ready; /healthz stays 200', async () => {
    const own = await createTestDatabase();
    const { app: other } = await createTestApp(await own.open());
    try {
      assert.equal((await other.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
      await own.takeDown();
      const r = await other.inject({ method: 'GET', url: '/readyz' });
      assert.equal(r.statusCode, 503);
      assertErrorShape(r.body, 'not_ready');
      assert.equal((await other.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    } finally {
      await other.close();
      await own.destroy();
    }
  });

  test('GET /readyz answers 503 not_ready until start-up has finished', async () => {
    const own = await createTestDatabase();
    const { app: other, context } = await createTestApp(await own.open());
    try {
      let started = false;
      context.started = () => started;
      const r = await other.inject({ method: 'GET', url: '/readyz' });
      assert.equal(r.statusCode, 503);
      const error = assertErrorShape(r.body, 'not_ready');
      assert.match(String(error.message), /starting/);
      started = true;
      assert.equal((await other.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
    } finally {
      await other.close();
      await own.destroy();
    }
  });

  test('GET /readyz answers 503 while a migration is pending', async () => {
    const own = await createTestDatabase({ migrated: false });
    const { app: other } = await createTestApp(await own.open(), { migrateFirst: false });
    try {
      const r = await other.inject({ method: 'GET', url: '/readyz' });
      assert.equal(r.statusCode, 503);
      const error = assertErrorShape(r.body, 'not_ready');
      assert.match(String(error.message), /pending/);
    } finally {
      await other.close();
      await own.destroy();
    }
  });
});
