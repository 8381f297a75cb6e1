import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { allResources } from '../resources/index.js';
import { paramSpecs } from '../resources/param-specs.js';
import { startEmulator } from '../server.js';
import { type TestEmulator, testEmulator } from '../testing.js';
import { ApiServer, MAX_HEAD_BYTES, parseHead } from './http-front.js';
import { o } from './param-spec.js';
import { defineResource } from './resource.js';

// The emulator's HTTP server serves common API requests on its own lean path and hands a connection to
// node:http for anything else. These tests speak to it with real clients: the stripe SDK, fetch
// (undici), node's http client and raw sockets, the last to reach what clients rarely send.

const slow = defineResource('test-slow', (api) => {
  api.get('/v1/test_slow', async (ctx) => {
    await sleep(Number(ctx.params.ms ?? 20));
    return { object: 'test_slow', ms: Number(ctx.params.ms ?? 20) };
  });
});

let t: TestEmulator;
before(async () => {
  t = await testEmulator({
    resources: [...allResources, slow],
    paramSpecs: { ...paramSpecs, 'GET /v1/test_slow': o({ ms: 'int' }) },
  });
});
after(() => t.emu.close());

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

const AUTH = 'Host: 127.0.0.1\r\nAuthorization: Bearer sk_test_front\r\n';

function post(path: string, body: string, extra = ''): string {
  return (
    `POST ${path} HTTP/1.1\r\n${AUTH}${extra}` +
    `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

function get(path: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\n${AUTH}${extra}\r\n`;
}

/** Parses a byte stream of HTTP/1.1 responses (Content-Length framed; 1xx and HEAD answers have none). */
function parseResponses(data: Buffer, headRequests = 0): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  let heads = headRequests;
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at);
    assert.notEqual(end, -1, `incomplete response: ${data.toString('latin1', at)}`);
    const [statusLine, ...lines] = data.toString('latin1', at, end).split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1]);
    const headers = new Map<string, string>();
    for (const l of lines) {
      const c = l.indexOf(':');
      headers.set(l.slice(0, c).toLowerCase(), l.slice(c + 1).trim());
    }
    at = end + 4;
    if (status >= 100 && status < 200) {
      out.push({ status, headers, body: '' });
      continue;
    }
    const length = heads-- > 0 ? 0 : Number(headers.get('content-length') ?? 0);
    out.push({ status, headers, body: data.toString('utf8', at, at + length) });
    at += length;
  }
  return out;
}

/**
 * Writes `parts` to a fresh connection (a pause between parts, so each is its own TCP segment), and
 * returns everything the server sent until it closed the connection (or `waitMs` of silence).
 */
async function exchange(parts: (string | Buffer)[], { gapMs = 5, waitMs = 3000 } = {}): Promise<Buffer> {
  const sock = connect(t.emu.port, '127.0.0.1');
  sock.setNoDelay(true);
  const chunks: Buffer[] = [];
  const closed = new Promise<void>((resolve, reject) => {
    let timer = setTimeout(() => resolve(), waitMs);
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      clearTimeout(timer);
      timer = setTimeout(() => resolve(), waitMs);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    sock.on('error', reject);
  });
  await new Promise<void>((resolve) => sock.once('connect', resolve));
  for (const p of parts) {
    if (sock.destroyed) break;
    sock.write(p);
    if (gapMs > 0) await sleep(gapMs);
  }
  await closed;
  sock.destroy();
  return Buffer.concat(chunks);
}

test('the SDK creates and reads objects over one keep-alive connection', async () => {
  const c = await t.stripe.customers.create({ email: 'front@example.com', metadata: { a: 'ü€' } });
  const again = await t.stripe.customers.retrieve(c.id);
  assert.equal(again.id, c.id);
  assert.equal((again as { metadata: Record<string, string> }).metadata.a, 'ü€');
  const list = await t.stripe.customers.list({ limit: 1 });
  assert.equal(list.data[0]!.id, c.id);
  const deleted = await t.stripe.customers.del(c.id);
  assert.equal(deleted.deleted, true);
});

test('fetch sees the same headers node:http wrote: status, Content-Length, Date, keep-alive', async () => {
  const res = await t.raw('POST', '/v1/customers', 'name=F%C3%BCrst&email=x%40example.com', {
    'Idempotency-Key': 'front-1',
    'Stripe-Version': '2020-08-27',
  });
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.equal(Number(res.headers.get('content-length')), Buffer.byteLength(text));
  assert.equal(JSON.parse(text).name, 'Fürst');
  assert.match(res.headers.get('request-id') ?? '', /^req_/);
  assert.equal(res.headers.get('idempotency-key'), 'front-1');
  assert.equal(res.headers.get('stripe-version'), '2020-08-27');
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.ok(!Number.isNaN(Date.parse(res.headers.get('date') ?? '')));
  assert.equal(res.headers.get('connection'), 'keep-alive');
  assert.equal(res.headers.get('keep-alive'), 'timeout=65');
  const replay = await t.raw('POST', '/v1/customers', 'name=F%C3%BCrst&email=x%40example.com', {
    'Idempotency-Key': 'front-1',
  });
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  assert.equal(await replay.text(), text);
  const missing = await t.raw('GET', '/v1/customers/cus_nope');
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'resource_missing');
});

test('pipelined requests in one segment are all answered, in order', async () => {
  const data = await exchange([
    post('/v1/customers', 'name=one') +
      get('/v1/test_slow?ms=30') +
      post('/v1/customers', 'name=two') +
      get('/v1/customers?limit=2', 'Connection: close\r\n'),
  ]);
  const [a, s, b, list] = parseResponses(data);
  assert.deepEqual(
    [a, s, b, list].map((r) => r?.status),
    [200, 200, 200, 200],
  );
  assert.equal(JSON.parse(a!.body).name, 'one');
  assert.equal(JSON.parse(s!.body).object, 'test_slow');
  assert.equal(JSON.parse(b!.body).name, 'two');
  const ids = (JSON.parse(list!.body) as { data: { id: string }[] }).data.map((c) => c.id);
  assert.deepEqual(ids, [JSON.parse(b!.body).id, JSON.parse(a!.body).id]);
  assert.equal(list!.headers.get('connection'), 'close');
});

test('header values beyond ASCII are echoed back byte for byte (latin1, as node:http writes them)', async () => {
  const req = Buffer.from(
    get('/v1/customers?limit=1', 'Stripe-Version: 2024-caf\xe9\r\nConnection: close\r\n'),
    'latin1',
  );
  const [r] = parseResponses(await exchange([req]));
  assert.equal(r?.status, 200);
  assert.equal(r?.headers.get('stripe-version'), '2024-caf\xe9');
  assert.equal(JSON.parse(r!.body).object, 'list');
});

test('a request that arrives a few bytes at a time is answered once complete', async () => {
  const text = Buffer.from(
    post('/v1/customers', 'name=trickle&email=t%40example.com', 'Connection: close\r\n'),
  );
  const parts: Buffer[] = [];
  for (let i = 0; i < text.length; i += 7) parts.push(text.subarray(i, i + 7));
  const [r, ...rest] = parseResponses(await exchange(parts, { gapMs: 1 }));
  assert.equal(rest.length, 0);
  assert.equal(r!.status, 200);
  assert.equal(JSON.parse(r!.body).name, 'trickle');
});

test('Connection: close is honoured: the answer says so and the connection ends', async () => {
  const data = await exchange(
    [post('/v1/customers', 'name=c', 'Connection: close\r\n'), get('/v1/customers')],
    {
      gapMs: 50,
    },
  );
  const responses = parseResponses(data);
  assert.equal(responses.length, 1);
  assert.equal(responses[0]!.headers.get('connection'), 'close');
});

test('a chunked body after fast requests on the same connection goes to node:http and is read', async () => {
  const chunked =
    `POST /v1/customers HTTP/1.1\r\n${AUTH}Transfer-Encoding: chunked\r\n` +
    'Content-Type: application/x-www-form-urlencoded\r\n\r\n5\r\nname=\r\n7\r\nchunked\r\n0\r\n\r\n';
  const data = await exchange([
    post('/v1/customers', 'name=before'),
    chunked,
    get('/v1/customers?limit=1', 'Connection: close\r\n'),
  ]);
  const [a, b, c] = parseResponses(data);
  assert.equal(JSON.parse(a!.body).name, 'before');
  assert.equal(b!.status, 200);
  assert.equal(JSON.parse(b!.body).name, 'chunked');
  assert.equal(JSON.parse(c!.body).data[0].id, JSON.parse(b!.body).id);
});

test('Expect: 100-continue gets its interim answer, then the real one', async () => {
  const body = 'name=expect';
  const head =
    `POST /v1/customers HTTP/1.1\r\n${AUTH}Expect: 100-continue\r\nConnection: close\r\n` +
    `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`;
  const [cont, res] = parseResponses(await exchange([head, body], { gapMs: 50 }));
  assert.equal(cont!.status, 100);
  assert.equal(res!.status, 200);
  assert.equal(JSON.parse(res!.body).name, 'expect');
});

test('malformed requests get node:http’s 400, oversized heads 431, oversized bodies 413', async () => {
  for (const bad of [
    'GET /v1/customers HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n',
    `GET /v1/cus tomers HTTP/1.1\r\n${AUTH}\r\n`,
    `POST /v1/customers HTTP/1.1\r\n${AUTH}Content-Length: abc\r\n\r\n`,
    `POST /v1/customers HTTP/1.1\r\n${AUTH}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`,
    `GET /v1/customers HTTP/1.1\r\n${AUTH}X-Bad: a\x01b\r\n\r\n`,
    `GET /v1/customers HTTP/1.1\r\n X-Folded: yes\r\n${AUTH}\r\n`,
  ]) {
    const [r, ...rest] = parseResponses(await exchange([bad]));
    assert.equal(r?.status, 400, JSON.stringify(bad));
    assert.equal(rest.length, 0);
  }
  const big = `GET /v1/customers HTTP/1.1\r\n${AUTH}X-Big: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`;
  assert.equal(parseResponses(await exchange([big]))[0]?.status, 431);
  const huge = `name=${'a'.repeat(1024 * 1024)}`;
  const [r413] = parseResponses(await exchange([post('/v1/customers', huge, 'Connection: close\r\n')]));
  assert.equal(r413?.status, 413);
});

test('HEAD, HTTP/1.0 and other paths are served by node:http as before', async () => {
  const head = await new Promise<{ status: number; length: string | undefined; body: string }>(
    (resolve, reject) => {
      const req = httpRequest(
        `${t.emu.url}/v1/customers`,
        { method: 'HEAD', headers: { Authorization: 'Bearer sk_test_front' } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, length: res.headers['content-length'], body }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    },
  );
  assert.equal(head.body, '');
  assert.equal(head.status, 404); // the API has no HEAD routes; the answer has no body
  const [old] = parseResponses(await exchange([`GET /v1/customers?limit=1 HTTP/1.0\r\n${AUTH}\r\n`]));
  assert.equal(old?.status, 200);
  assert.equal(JSON.parse(old!.body).object, 'list');
  const clock = await fetch(`${t.emu.url}/_emulator/clock`);
  assert.equal(clock.status, 200);
  assert.equal(typeof ((await clock.json()) as { now: number }).now, 'number');
});

test('injected latency delays the answer, and the next pipelined request waits its turn', async () => {
  const emu = await startEmulator({
    faults: { routes: [{ method: 'POST', path: '/v1/customers', latencyMs: 80 }] },
  });
  try {
    const sock = connect(emu.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
    const t0 = performance.now();
    sock.write(post('/v1/customers', 'name=late') + get('/v1/customers?limit=1', 'Connection: close\r\n'));
    await closed;
    assert.ok(performance.now() - t0 >= 75);
    const [a, b] = parseResponses(Buffer.concat(chunks));
    assert.equal(JSON.parse(a!.body).name, 'late');
    assert.equal(JSON.parse(b!.body).data[0].id, JSON.parse(a!.body).id);
  } finally {
    await emu.close();
  }
});

test('close() ends idle keep-alive connections instead of waiting for their timeout', async () => {
  const emu = await startEmulator();
  const sock = connect(emu.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  sock.on('data', (c: Buffer) => chunks.push(c));
  const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
  sock.write(get('/v1/customers'));
  while (parseResponsesSafe(chunks).length === 0) await sleep(5);
  const t0 = performance.now();
  await emu.close();
  await closed;
  assert.ok(performance.now() - t0 < 1000);
});

test('a keep-alive connection stays on the lean path until a request it does not take', async () => {
  const emu = await startEmulator();
  try {
    assert.ok(emu.server instanceof ApiServer);
    const server = emu.server;
    const sock = connect(emu.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    const answers = async (n: number): Promise<RawResponse[]> => {
      for (let i = 0; i < 200; i++) {
        const data = Buffer.concat(chunks);
        if (data.length > 0) {
          try {
            const r = parseResponses(data);
            if (
              r.length >= n &&
              r.every((x) => Buffer.byteLength(x.body) === Number(x.headers.get('content-length')))
            )
              return r;
          } catch {}
        }
        await sleep(5);
      }
      throw new Error('no answer');
    };
    sock.write(post('/v1/customers', 'name=lean'));
    await answers(1);
    assert.equal(server.fast.size, 1);
    sock.write(
      `POST /v1/customers HTTP/1.1\r\n${AUTH}Transfer-Encoding: chunked\r\n\r\n9\r\nname=node\r\n0\r\n\r\n`,
    );
    const [, viaNode] = await answers(2);
    assert.equal(JSON.parse(viaNode!.body).name, 'node');
    assert.equal(server.fast.size, 0);
    sock.write(get('/v1/customers?limit=2'));
    const [, , list] = await answers(3);
    assert.equal(JSON.parse(list!.body).data.length, 2);
    sock.destroy();
  } finally {
    await emu.close();
  }
});

function parseResponsesSafe(chunks: Buffer[]): RawResponse[] {
  const data = Buffer.concat(chunks);
  const end = data.indexOf('\r\n\r\n');
  if (end === -1) return [];
  const length = Number(/content-length: (\d+)/i.exec(data.toString('latin1', 0, end))?.[1]);
  return data.length >= end + 4 + length ? parseResponses(data) : [];
}

test('parseHead takes only the common case and leaves the rest to node:http', () => {
  const ok = parseHead(
    'POST /v1/customers?x=1 HTTP/1.1\r\nHost: a\r\nAuthorization:  Bearer sk_test_1 \t\r\n' +
      'Idempotency-Key: k\r\nStripe-Version: v\r\ncontent-length: 12\r\nConnection: Keep-Alive\r\n' +
      'Stripe-Version-Extra: ignored',
  );
  assert.deepEqual(ok, {
    method: 'POST',
    target: '/v1/customers?x=1',
    contentLength: 12,
    close: false,
    authorization: 'Bearer sk_test_1',
    idempotencyKey: 'k',
    stripeVersion: 'v',
  });
  assert.equal(
    parseHead('GET /v1/customers HTTP/1.1\r\nConnection: keep-alive, close\r\nHost: a')?.close,
    true,
  );
  assert.equal(parseHead('GET /v1/customers HTTP/1.1\r\nHost: a\r\nX-Latin1: caf\xe9\t')?.method, 'GET');
  for (const other of [
    'PUT /v1/customers HTTP/1.1',
    'HEAD /v1/customers HTTP/1.1',
    'GET /v1/customers HTTP/1.0',
    'GET /_emulator/clock HTTP/1.1',
    'GET http://a/v1/customers HTTP/1.1',
    'GET /v1/a#b HTTP/1.1',
    'GET /v1/a  HTTP/1.1',
    'POST /v1/customers HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked',
    'POST /v1/customers HTTP/1.1\r\nHost: a\r\nExpect: 100-continue',
    'GET /v1/customers HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade',
    'GET /v1/customers HTTP/1.1\r\nHost: a\r\nConnection: TE',
    'POST /v1/customers HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1',
    'POST /v1/customers HTTP/1.1\r\nHost: a\r\nContent-Length: -1',
    `POST /v1/customers HTTP/1.1\r\nHost: a\r\nContent-Length: ${1024 * 1024 + 1}`,
    'GET /v1/customers HTTP/1.1\r\nHost: a\r\nAuthorization: a\r\nAuthorization: b',
    'GET /v1/customers HTTP/1.1\r\nHost: a\r\nIdempotency-Key: a\r\nidempotency-key: b',
    'GET /v1/customers HTTP/1.1\r\nHost: a\r\nBad Name: x',
    'GET /v1/customers HTTP/1.1\r\nHost: a\r\n: x',
    'GET /v1/customers HTTP/1.1\r\nHost: a\r\nX: a\rb',
    'GET /v1/customers HTTP/1.1\r\nHost: a\r\nX: a\x7fb',
    'GET /v1/customers HTTP/1.1\r\nAuthorization: Bearer sk_test_1',
  ]) {
    assert.equal(parseHead(other), undefined, JSON.stringify(other));
  }
});
