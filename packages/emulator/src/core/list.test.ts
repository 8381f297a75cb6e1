import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Collection } from './collection.js';
import { StripeError } from './errors.js';
import { paginate, rangeFilter } from './list.js';

function make(n: number) {
  const c = new Collection<{ id: string; n: number }>('thing');
  for (let i = 0; i < n; i++) c.insert({ id: `t_${i}`, n: i });
  return c;
}

test('newest first with limit, starting_after and ending_before', () => {
  const c = make(25);
  const first = paginate(c, { limit: '10' }, '/v1/things');
  assert.deepEqual(
    first.data.map((x) => x.n),
    [24, 23, 22, 21, 20, 19, 18, 17, 16, 15],
  );
  assert.equal(first.has_more, true);
  const next = paginate(c, { limit: '10', starting_after: 't_15' }, '/v1/things');
  assert.equal(next.data[0]!.n, 14);
  const last = paginate(c, { limit: '10', starting_after: 't_5' }, '/v1/things');
  assert.deepEqual(
    last.data.map((x) => x.n),
    [4, 3, 2, 1, 0],
  );
  assert.equal(last.has_more, false);
  const before = paginate(c, { limit: '3', ending_before: 't_10' }, '/v1/things');
  assert.deepEqual(
    before.data.map((x) => x.n),
    [13, 12, 11],
  );
  assert.equal(before.has_more, true);
});

test('deleted objects leave no trace in pages, and filters apply before the limit', () => {
  const c = make(2000);
  for (let i = 0; i < 1500; i++) c.delete(`t_${i}`);
  const page = paginate(c, { limit: '3' }, '/v1/things', (x) => x.n % 2 === 0);
  assert.deepEqual(
    page.data.map((x) => x.n),
    [1998, 1996, 1994],
  );
  assert.equal(paginate(c, { limit: '100', starting_after: 't_1501' }, '/x').data.length, 1);
});

test('rejects a bad limit and an unknown cursor', () => {
  const c = make(1);
  for (const limit of ['0', '101', 'x']) {
    assert.throws(
      () => paginate(c, { limit }, '/x'),
      (e: unknown) => e instanceof StripeError && e.param === 'limit',
    );
  }
  assert.throws(
    () => paginate(c, { starting_after: 't_nope' }, '/x'),
    (e: unknown) => e instanceof StripeError && e.status === 400 && e.param === 'starting_after',
  );
});

test('range filters accept an exact integer or gt/gte/lt/lte', () => {
  const f = rangeFilter({ created: { gte: '10', lt: '20' } }, 'created')!;
  assert.deepEqual([9, 10, 19, 20].map(f), [false, true, true, false]);
  assert.equal(rangeFilter({ created: '5' }, 'created')!(5), true);
  assert.equal(rangeFilter({}, 'created'), undefined);
});
