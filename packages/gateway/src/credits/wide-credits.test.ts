// Credits balances past 2,147,483,647 (a 32-bit integer's largest) are stored and read exactly; a
// change that would pass 2^53 - 1 (the largest exact JavaScript integer) is refused with 409 and the
// limit before the database sees it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { applyOnce, MAX_CREDITS } from './store.js';

let tdb: TestDatabase;
let t: TestApp;
let key: string;
let customer: string;

before(async () => {
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open(), { syncCatalog: false });
  key = await t.apiKey(['read', 'write']);
  const r = await t.app.inject({
    method: 'POST',
    url: '/v1/customers',
    headers: { authorization: `Bearer ${key}` },
    payload: { external_id: 'wide-credits' },
  });
  assert.equal(r.statusCode, 201, r.body);
  customer = (JSON.parse(r.body) as { id: string }).id;
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
});

let n = 0;
function adjust(amount: number) {
  n++;
  return t.app.inject({
    method: 'POST',
    url: `/v1/customers/${customer}/credits/adjust`,
    headers: { authorization: `Bearer ${key}` },
    payload: { amount, idempotency_key: `wide-${n}` },
  });
}

const balanceOf = (r: { body: string }) => (JSON.parse(r.body) as { balance: number }).balance;

describe('credits wider than 32 bits', () => {
  test('three grants of 1,000,000,000 → a balance of 3,000,000,000, read back exactly', async () => {
    for (let i = 1; i <= 3; i++) {
      const r = await adjust(1_000_000_000);
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(balanceOf(r), i * 1_000_000_000);
    }
    const ent = await t.app.inject({
      method: 'GET',
      url: `/v1/customers/${customer}/entitlements`,
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(ent.statusCode, 200, ent.body);
    assert.equal((JSON.parse(ent.body) as { credits: number }).credits, 3_000_000_000);
    const consume = await t.app.inject({
      method: 'POST',
      url: `/v1/customers/${customer}/credits/consume`,
      headers: { authorization: `Bearer ${key}` },
      payload: { amount: 1, idempotency_key: 'wide-consume' },
    });
    assert.equal(consume.statusCode, 200, consume.body);
    assert.equal(balanceOf(consume), 2_999_999_999);
  });

  test('a change that would pass 2^53 - 1 → 409 with the balance and the limit; the balance is unchanged', async () => {
    // Bring the balance next to the limit directly in the ledger (adjust takes 1e9 at a time).
    const near = MAX_CREDITS - 10;
    await t.context.db.transaction(async (tx) => {
      await applyOnce(
        tx,
        { customerId: customer, reason: 'adjustment', cause: 'wide-near' },
        (b) => near - b,
      );
    });
    const ok = await adjust(10);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(balanceOf(ok), MAX_CREDITS);
    const over = await adjust(1);
    assert.equal(over.statusCode, 409, over.body);
    const e = (JSON.parse(over.body) as { error: { code: string; details: Record<string, number> } }).error;
    assert.equal(e.code, 'conflict');
    assert.equal(e.details.max_balance, MAX_CREDITS);
    assert.equal(e.details.balance, MAX_CREDITS);
    assert.equal(e.details.requested, 1);
    const ledger = await t.app.inject({
      method: 'GET',
      url: `/v1/customers/${customer}/credits/ledger?limit=1`,
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal((JSON.parse(ledger.body) as { balance: number }).balance, MAX_CREDITS);
  });

  test('the ledger columns are bigint', async () => {
    const r = await t.context.db.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_name = 'credit_ledger' AND column_name IN ('delta', 'balance') ORDER BY column_name`,
    );
    assert.deepEqual(
      r.rows.map((c) => [c.column_name, c.data_type]),
      [
        ['balance', 'bigint'],
        ['delta', 'bigint'],
      ],
    );
  });
});
