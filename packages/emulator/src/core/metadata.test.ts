import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StripeError } from './errors.js';
import { applyMetadata, EMPTY_METADATA } from './metadata.js';

test('merges keys, unsets with an empty value and clears with metadata=""', () => {
  assert.deepEqual(applyMetadata({ a: '1', b: '2' }, { metadata: { b: '', c: '3' } }), { a: '1', c: '3' });
  assert.deepEqual(applyMetadata({ a: '1' }, { metadata: '' }), {});
  assert.deepEqual(applyMetadata({ a: '1' }, {}), { a: '1' });
});

test('enforces 50 keys, 40-character keys and 500-character values', () => {
  const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
  assert.equal(Object.keys(applyMetadata({}, { metadata: fifty })).length, 50);
  const over = (p: Parameters<typeof applyMetadata>[1], param: string) =>
    assert.throws(
      () => applyMetadata(fifty, p),
      (e: unknown) => e instanceof StripeError && e.status === 400 && e.param === param,
    );
  over({ metadata: { extra: 'v' } }, 'metadata');
  over({ metadata: { ['k'.repeat(41)]: 'v' } }, `metadata[${'k'.repeat(41)}]`);
  over({ metadata: { k0: 'v'.repeat(501) } }, 'metadata[k0]');
});

test('empty results share one frozen object; current metadata is never changed in place', () => {
  assert.equal(applyMetadata(undefined, {}), EMPTY_METADATA);
  assert.equal(applyMetadata({ a: '1' }, { metadata: '' }), EMPTY_METADATA);
  assert.equal(applyMetadata({ a: '1' }, { metadata: { a: '' } }), EMPTY_METADATA);
  assert.ok(Object.isFrozen(EMPTY_METADATA));
  const current = { a: '1' };
  assert.equal(applyMetadata(current, {}), current);
  const next = applyMetadata(current, { metadata: { b: '2' } });
  assert.deepEqual(current, { a: '1' });
  assert.deepEqual(next, { a: '1', b: '2' });
  const fromEmpty = applyMetadata(EMPTY_METADATA, { metadata: { c: '3' } });
  assert.deepEqual(fromEmpty, { c: '3' });
  assert.deepEqual(EMPTY_METADATA, {});
});

test('numeric keys are string keys, in any order and with gaps', () => {
  const sparse: string[] = [];
  sparse[2] = 'b';
  sparse[1] = 'a';
  assert.deepEqual(applyMetadata(undefined, { metadata: sparse }), { '1': 'a', '2': 'b' });
});
