// The console's lists on a real database: filters, keyset pages that neither skip nor repeat a row,
// and the customer a filter names.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { useTestApp } from '../../testing/setup.js';
import {
  customersPage,
  eventsPage,
  findCustomerId,
  type ListPage,
  ledgerPageAll,
  paymentsPage,
  subscriptionsPage,
} from './queries.js';

const t = useTestApp({ syncCatalog: false });
const day = (n: number) => new Date(Date.UTC(2026, 0, 1 + n));

/** Every row of a list, page by page (bounded: a cursor that never ends fails the test). */
async function all<Row>(page: (cursor: string | undefined) => Promise<ListPage<Row>>): Promise<Row[][]> {
  const pages: Row[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const p = await page(cursor);
    pages.push(p.rows);
    if (p.next === null) return pages;
    cursor = p.next;
  }
  throw new Error('the cursor never reached the end');
}

before(async () => {
  await t.ready;
  const db = t.context.db;
  await db.exec(`
    INSERT INTO customers (id, external_id, email, created_at) VALUES
      ('cus_q1', 'q-user-1', 'One@Example.com', '2026-01-01'),
      ('cus_q2', 'q-user-2', 'two@example.com', '2026-01-02'),
      ('cus_q3', 'q-user-3', NULL, '2026-01-02');
    INSERT INTO entitlements (customer_id, plan, status, keys) VALUES ('cus_q1', 'pro', 'active', '{api,export}');
    INSERT INTO credit_ledger (customer_id, delta, balance, reason, cause) VALUES
      ('cus_q1', 10, 10, 'adjustment', 'q:1'), ('cus_q1', -3, 7, 'consume', 'q:2'), ('cus_q2', 5, 5, 'adjustment', 'q:3');
    INSERT INTO subscriptions (id, customer_id, status, plan, interval, currency, created_at) VALUES
      ('sub_q1', 'cus_q1', 'active', 'pro', 'month', 'usd', '2026-01-03'),
      ('sub_q2', 'cus_q2', 'canceled', 'basic', 'year', 'eur', '2026-01-04');
  `);
  // 25 payments: 5 per day over 5 days; every 4th refunded, every 7th disputed, odd ones in eur.
  for (let i = 0; i < 25; i++) {
    await db.query(
      `INSERT INTO payments (id, stripe_payment_intent_id, customer_id, amount, currency, source, paid_at,
         amount_refunded, dispute_status)
       VALUES ($1, $2, $3, 1000, $4, 'payment_intent', $5, $6, $7)`,
      [
        `pay_q${String(i).padStart(2, '0')}`,
        `pi_q${i}`,
        i % 3 === 0 ? 'cus_q2' : 'cus_q1',
        i % 2 === 1 ? 'eur' : 'usd',
        day(Math.floor(i / 5)),
        i % 4 === 0 ? 500 : 0,
        i % 7 === 0 ? 'needs_response' : null,
      ],
    );
  }
});

describe('console lists', () => {
  test('payments: pages of 4 cover every payment once, newest first', async () => {
    const pages = await all((c) => paymentsPage(t.context.db, {}, c, 4));
    assert.equal(pages.length, 7);
    const rows = pages.flat();
    assert.equal(rows.length, 25);
    assert.equal(new Set(rows.map((r) => r.id)).size, 25);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1]!.paid_at >= rows[i]!.paid_at, 'newest first');
    assert.equal(rows.find((r) => r.id === 'pay_q03')?.external_id, 'q-user-2');
  });

  test('payments: each filter, and filters together, page through exactly the matching rows', async () => {
    const ids = async (f: Parameters<typeof paymentsPage>[1]) =>
      (await all((c) => paymentsPage(t.context.db, f, c, 2))).flat().map((r) => Number(r.id.slice(5)));
    const range = [...Array(25).keys()];
    const same = (a: number[], b: number[]) =>
      assert.deepEqual(
        [...a].sort((x, y) => x - y),
        b,
      );
    same(
      await ids({ status: 'refunded' }),
      range.filter((i) => i % 4 === 0),
    );
    same(
      await ids({ status: 'not_refunded' }),
      range.filter((i) => i % 4 !== 0),
    );
    same(
      await ids({ status: 'disputed' }),
      range.filter((i) => i % 7 === 0),
    );
    same(
      await ids({ currency: 'eur' }),
      range.filter((i) => i % 2 === 1),
    );
    same(
      await ids({ customerId: 'cus_q2' }),
      range.filter((i) => i % 3 === 0),
    );
    same(
      await ids({ from: day(1), until: day(3) }),
      range.filter((i) => i >= 5 && i < 15),
    );
    same(
      await ids({ customerId: 'cus_q1', currency: 'eur', from: day(2) }),
      range.filter((i) => i % 3 !== 0 && i % 2 === 1 && i >= 10),
    );
  });

  test('a customer filter names a customer by id, external id or email (any case)', async () => {
    assert.equal(await findCustomerId(t.context.db, 'cus_q2'), 'cus_q2');
    assert.equal(await findCustomerId(t.context.db, 'q-user-3'), 'cus_q3');
    assert.equal(await findCustomerId(t.context.db, 'one@example.COM'), 'cus_q1');
    assert.equal(await findCustomerId(t.context.db, 'nobody@example.com'), undefined);
  });

  test('customers carry their plan, access keys and credit balance', async () => {
    const rows = (await all((c) => customersPage(t.context.db, {}, c, 1))).flat();
    const q = rows.filter((r) => r.id.startsWith('cus_q'));
    assert.deepEqual(
      q.map((r) => [r.id, r.plan, r.keys, r.balance]),
      [
        ['cus_q3', null, null, null],
        ['cus_q2', null, null, 5],
        ['cus_q1', 'pro', ['api', 'export'], 7],
      ],
    );
  });

  test('subscriptions, the ledger and events filter and page', async () => {
    const subs = (await all((c) => subscriptionsPage(t.context.db, { status: 'active' }, c, 1))).flat();
    assert.deepEqual(
      subs.map((s) => [s.id, s.external_id]),
      [['sub_q1', 'q-user-1']],
    );
    const ledger = (await all((c) => ledgerPageAll(t.context.db, { customerId: 'cus_q1' }, c, 1))).flat();
    assert.deepEqual(
      ledger.map((l) => [l.delta, l.balance]),
      [
        [-3, 7],
        [10, 10],
      ],
    );
    const adjustments = (
      await all((c) => ledgerPageAll(t.context.db, { reason: 'adjustment' }, c, 5))
    ).flat();
    assert.equal(adjustments.filter((l) => l.cause.startsWith('q:')).length, 2);
    const events = await eventsPage(t.context.db, { status: 'failed' }, undefined, 10);
    assert.deepEqual(events, { rows: [], next: null });
  });
});
