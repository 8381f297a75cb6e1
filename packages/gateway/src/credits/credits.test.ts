import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { activeKeys } from '../entitlements/service.js';
import { creditsToTakeBack } from '../refunds/effects.js';
import { authSuite } from '../testing/auth-suite.js';
import { useTestApp } from '../testing/setup.js';
import { consumeCredits, grantCredits } from './store.js';

const t = useTestApp({ syncCatalog: false });
let key: string;

before(async () => {
  await t.ready;
  key = await t.apiKey(['read', 'write']);
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function customer(externalId: string): Promise<string> {
  const r = await t.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: auth(key),
    payload: { external_id: externalId },
  });
  return (JSON.parse(r.body) as { id: string }).id;
}

async function grant(customerId: string, amount: number, cause: string) {
  await t.context.db.transaction((tx) => grantCredits(tx, customerId, amount, 'pack_purchase', cause));
}

async function consume(customerId: string, amount: number, idem: string, token = key) {
  return t.app.inject({
    method: 'POST',
    url: `/v1/customers/${customerId}/credits/consume`,
    headers: auth(token),
    payload: { amount, idempotency_key: idem },
  });
}

describe('credits', () => {
  test('consume spends atomically and is once per idempotency key', async () => {
    const c = await customer('cr-1');
    await grant(c, 100, 'checkout:a');
    const first = await consume(c, 30, 'job-1');
    assert.equal(first.statusCode, 200, first.body);
    assert.equal((JSON.parse(first.body) as { balance: number }).balance, 70);
    const again = await consume(c, 30, 'job-1');
    assert.equal(again.statusCode, 200);
    const body = JSON.parse(again.body) as { balance: number; replayed: boolean };
    assert.deepEqual([body.balance, body.replayed], [70, true]);
    const other = await consume(c, 31, 'job-1');
    assert.equal(other.statusCode, 409, 'same key, different amount');
  });

  test('not enough credits → 409 with the balance; nothing spent', async () => {
    const c = await customer('cr-2');
    await grant(c, 10, 'checkout:b');
    const r = await consume(c, 11, 'job-x');
    assert.equal(r.statusCode, 409);
    const err = JSON.parse(r.body) as { error: { code: string; details: { balance: number } } };
    assert.equal(err.error.code, 'conflict');
    assert.equal(err.error.details.balance, 10);
    const ledger = JSON.parse(
      (await t.app.inject({ method: 'GET', url: `/v1/customers/${c}/credits/ledger`, headers: auth(key) }))
        .body,
    ) as {
      balance: number;
      data: unknown[];
    };
    assert.equal(ledger.balance, 10);
    assert.equal(ledger.data.length, 1);
  });

  test('concurrent consumes never overdraw: exactly the affordable ones succeed', async () => {
    const c = await customer('cr-3');
    await grant(c, 50, 'checkout:c');
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => consume(c, 10, `par-${i}`)));
    assert.equal(results.filter((r) => r.statusCode === 200).length, 5);
    assert.equal(results.filter((r) => r.statusCode === 409).length, 7);
  });

  test('the database refuses a negative balance and a second entry for one cause', async () => {
    const c = await customer('cr-4');
    await grant(c, 5, 'checkout:d');
    await assert.rejects(
      t.context.db.query(
        `INSERT INTO credit_ledger (customer_id, delta, balance, reason, cause) VALUES ($1, -6, -1, 'consume', 'evil')`,
        [c],
      ),
    );
    await assert.rejects(
      t.context.db.query(
        `INSERT INTO credit_ledger (customer_id, delta, balance, reason, cause) VALUES ($1, 1, 6, 'pack_purchase', 'checkout:d')`,
        [c],
      ),
    );
    const again = await t.context.db.transaction((tx) =>
      grantCredits(tx, c, 5, 'pack_purchase', 'checkout:d'),
    );
    assert.equal(again.applied, false);
    await assert.rejects(
      t.context.db.transaction((tx) => consumeCredits(tx, c, 6, 'too-much')),
      /Not enough credits/,
    );
  });

  test('the ledger pages newest first', async () => {
    const c = await customer('cr-5');
    for (let i = 0; i < 5; i++) await grant(c, 1, `g-${i}`);
    const p1 = JSON.parse(
      (
        await t.app.inject({
          method: 'GET',
          url: `/v1/customers/${c}/credits/ledger?limit=2`,
          headers: auth(key),
        })
      ).body,
    ) as {
      data: { id: number; balance: number }[];
      has_more: boolean;
    };
    assert.deepEqual(
      p1.data.map((e) => e.balance),
      [5, 4],
    );
    assert.equal(p1.has_more, true);
    const p2 = JSON.parse(
      (
        await t.app.inject({
          method: 'GET',
          url: `/v1/customers/${c}/credits/ledger?limit=10&starting_after=${p1.data[1]!.id}`,
          headers: auth(key),
        })
      ).body,
    ) as { data: { balance: number }[]; has_more: boolean };
    assert.deepEqual(
      p2.data.map((e) => e.balance),
      [3, 2, 1],
    );
    assert.equal(p2.has_more, false);
  });

  test('adjust grants or removes by hand, once per key, never below zero', async () => {
    const c = await customer('cr-6');
    const up = await t.app.inject({
      method: 'POST',
      url: `/v1/customers/${c}/credits/adjust`,
      headers: auth(key),
      payload: { amount: 25, idempotency_key: 'support-1', note: 'sorry for the outage' },
    });
    assert.equal(up.statusCode, 200, up.body);
    const down = await t.app.inject({
      method: 'POST',
      url: `/v1/customers/${c}/credits/adjust`,
      headers: auth(key),
      payload: { amount: -30, idempotency_key: 'support-2' },
    });
    assert.equal(down.statusCode, 409);
  });

  test('a user spends only their own credits', async () => {
    const a = await t.userToken('cr-user-a');
    const b = await t.userToken('cr-user-b');
    const ca = JSON.parse(
      (await t.app.inject({ method: 'POST', url: '/v1/customers', headers: auth(a), payload: {} })).body,
    ) as { id: string };
    await t.app.inject({ method: 'POST', url: '/v1/customers', headers: auth(b), payload: {} });
    await grant(ca.id, 10, 'checkout:user-a');
    const cross = await consume(ca.id, 1, 'steal', b);
    assert.equal(cross.statusCode, 404);
    const own = await consume('me', 1, 'mine', a);
    assert.equal(own.statusCode, 200, own.body);
    const ent = await t.app.inject({
      method: 'GET',
      url: `/v1/customers/${ca.id}/entitlements`,
      headers: auth(b),
    });
    assert.equal(ent.statusCode, 404);
  });

  authSuite(
    () => t,
    [
      { method: 'GET', url: '/v1/customers/me/entitlements', allow: ['api_key', 'user'], scopes: ['read'] },
      { method: 'GET', url: '/v1/customers/me/credits/ledger', allow: ['api_key', 'user'], scopes: ['read'] },
      {
        method: 'POST',
        url: '/v1/customers/me/credits/consume',
        payload: { amount: 1, idempotency_key: 'x' },
        allow: ['api_key', 'user'],
        scopes: ['write'],
      },
      {
        method: 'POST',
        url: '/v1/customers/me/credits/adjust',
        payload: { amount: 1, idempotency_key: 'x' },
        allow: ['api_key', 'admin'],
        scopes: ['write'],
      },
    ],
  );
});

describe('entitlement and refund rules', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  test('active and trialing grant; past_due grants during the grace period; others revoke', () => {
    const keys = ['app.pro'];
    assert.deepEqual(activeKeys({ status: 'active', keys, past_due_since: null }, 7, now), keys);
    assert.deepEqual(activeKeys({ status: 'trialing', keys, past_due_since: null }, 7, now), keys);
    assert.deepEqual(
      activeKeys({ status: 'past_due', keys, past_due_since: new Date('2026-11-20T12:00:00Z') }, 7, now),
      keys,
    );
    assert.deepEqual(
      activeKeys({ status: 'past_due', keys, past_due_since: new Date('2026-11-10T12:00:00Z') }, 7, now),
      [],
    );
    for (const status of ['unpaid', 'canceled', 'incomplete', 'incomplete_expired', 'paused']) {
      assert.deepEqual(activeKeys({ status, keys, past_due_since: null }, 7, now), [], status);
    }
  });
  test('refunds take credits back in proportion, cumulatively', () => {
    assert.equal(creditsToTakeBack(300, 1500, 500), 100);
    assert.equal(creditsToTakeBack(100, 300, 100), 33);
    assert.equal(creditsToTakeBack(100, 300, 200), 66);
    assert.equal(creditsToTakeBack(100, 300, 300), 100);
    assert.equal(creditsToTakeBack(100, 300, 999), 100);
  });
});
