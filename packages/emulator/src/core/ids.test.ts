import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newId, newSecret, randomString } from './ids.js';
import { flatJson } from './json.js';

test('ids: prefix, underscore, length and base-62 alphabet; no repeats', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) {
    const id = newId('cus', 14);
    assert.match(id, /^cus_[0-9A-Za-z]{14}$/);
    seen.add(id);
  }
  assert.equal(seen.size, 10_000);
  assert.match(newId('cs_test'), /^cs_test_[0-9A-Za-z]{24}$/);
  assert.match(newSecret('pi_123_secret'), /^pi_123_secret_[0-9A-Za-z]{32}$/);
  assert.match(randomString(8), /^[0-9A-Za-z]{8}$/);
  assert.throws(() => newId('x', 5000), RangeError);
});

test('flatJson is JSON.stringify', () => {
  const v = { a: [1, null, 'é'], b: { c: true } };
  assert.equal(flatJson(v), JSON.stringify(v));
});
