// Rate limits: public routes per client address, user routes per end user, 429 rate_limited with
// Retry-After in paydesk's error shape; never on API keys, probes or the webhook endpoint. Counters in
// memory by default, shared through Redis with REDIS_URL (Redis runs at 127.0.0.1:6379 here and in CI).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../../testing/db.js';

let tdb: TestDatabase;
let t: TestApp;

const limits = {
  PAYDESK_RATE_LIMIT_PUBLIC: '3',
  PAYDESK_RATE_LIMIT_USER: '3',
  PAYDESK_RATE_LIMIT_WINDOW_SECONDS: '60',
};

before(async () => {
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open(), { syncCatalog: false, env: limits });
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
});

type ErrorBody = {
  error: { code: string; message: string; request_id: string; details: Record<string, number> };
};

function get(app: TestApp, url: string, token?: string, ip = '203.0.113.7') {
  return app.app.inject({
    method: 'GET',
    url,
    remoteAddress: ip,
    ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
}

function assertLimited(
  r: { statusCode: number; body: string; headers: Record<string, unknown> },
  limit: number,
) {
  assert.equal(r.statusCode, 429, r.body);
  const body = JSON.parse(r.body) as ErrorBody;
  assert.equal(body.error.code, 'rate_limited');
  assert.match(body.error.request_id, /\S/);
  assert.equal(body.error.details.limit, limit);
  assert.equal(body.error.details.window_seconds, 60);
  const retryAfter = Number(r.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${r.headers['retry-after']}`);
  assert.equal(body.error.details.retry_after_seconds, retryAfter);
}

describe('rate limits (in memory)', () => {
  test('a public route: the 4th request from one address in the window → 429 with Retry-After; another address is not affected', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await get(t, '/v1/plans');
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.headers['x-ratelimit-limit'], '3');
      assert.equal(r.headers['x-ratelimit-remaining'], String(2 - i));
    }
    assertLimited(await get(t, '/v1/plans'), 3);
    assert.equal((await get(t, '/v1/plans', undefined, '198.51.100.9')).statusCode, 200);
  });

  test('a user route counts per end user (JWT subject), after authentication', async () => {
    const alice = await t.userToken('rl-alice');
    const bob = await t.userToken('rl-bob');
    for (let i = 0; i < 3; i++) assert.notEqual((await get(t, '/v1/payments', alice)).statusCode, 429);
    assertLimited(await get(t, '/v1/payments', alice), 3);
    // Same address, another user: their own count.
    assert.notEqual((await get(t, '/v1/payments', bob)).statusCode, 429);
  });

  test('API keys (server to server) are not limited, even on routes that also take user tokens', async () => {
    const key = await t.apiKey(['read']);
    for (let i = 0; i < 8; i++) {
      const r = await get(t, '/v1/payments', key, '192.0.2.1');
      assert.equal(r.statusCode, 200, r.body);
    }
  });

  test('probes and the webhook endpoint (and its aliases) are never limited', async () => {
    for (let i = 0; i < 8; i++) {
      assert.equal((await get(t, '/healthz', undefined, '192.0.2.2')).statusCode, 200);
      for (const url of [
        '/webhooks/stripe',
        '/webhook',
        '/api/checkout/webhook',
        '/billing/stripe/webhook/',
      ]) {
        const r = await t.app.inject({
          method: 'POST',
          url,
          remoteAddress: '192.0.2.2',
          headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
          payload: '{}',
        });
        assert.equal(r.statusCode, 400, `${url}: ${r.body}`);
      }
    }
  });

  test('0 turns the limits off', async () => {
    const own = await createTestDatabase();
    const open = await createTestApp(await own.open(), {
      syncCatalog: false,
      env: { PAYDESK_RATE_LIMIT_PUBLIC: '0', PAYDESK_RATE_LIMIT_USER: '0' },
    });
    try {
      for (let i = 0; i < 6; i++) assert.equal((await get(open, '/v1/plans')).statusCode, 200);
    } finally {
      await open.app.close();
      await own.destroy();
    }
  });
});

describe('rate limits shared through Redis (REDIS_URL)', () => {
  test('two instances share one count', async () => {
    const env = {
      ...limits,
      REDIS_URL: 'redis://127.0.0.1:6379',
      PAYDESK_INSTANCE_ID: `rl-${randomBytes(4).toString('hex')}`,
    };
    const dbA = await createTestDatabase();
    const dbB = await createTestDatabase();
    const a = await createTestApp(await dbA.open(), { syncCatalog: false, env });
    const b = await createTestApp(await dbB.open(), { syncCatalog: false, env, emulator: a.emulator });
    try {
      assert.equal((await get(a, '/v1/plans')).statusCode, 200);
      assert.equal((await get(b, '/v1/plans')).statusCode, 200);
      assert.equal((await get(a, '/v1/plans')).statusCode, 200);
      assertLimited(await get(b, '/v1/plans'), 3);
    } finally {
      await b.app.close();
      await a.app.close();
      await dbA.destroy();
      await dbB.destroy();
    }
  });

  test('Redis unreachable: requests pass unlimited and the process carries on', async () => {
    const own = await createTestDatabase();
    const app = await createTestApp(await own.open(), {
      syncCatalog: false,
      env: { ...limits, REDIS_URL: 'redis://127.0.0.1:1' },
    });
    try {
      for (let i = 0; i < 6; i++) assert.equal((await get(app, '/v1/plans')).statusCode, 200);
    } finally {
      await app.app.close();
      await own.destroy();
    }
  });
});
