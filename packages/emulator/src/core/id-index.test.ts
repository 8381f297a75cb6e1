import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IdIndex } from './id-index.js';

test('finds every id through growth, deletions and re-adds, like a Map', () => {
  const ids: (string | undefined)[] = [];
  const index = new IdIndex((pos) => ids[pos]!);
  const model = new Map<string, number>();
  const add = (id: string): void => {
    ids.push(id);
    index.add(id, ids.length - 1);
    model.set(id, ids.length - 1);
  };
  for (let i = 0; i < 5000; i++) add(`obj_${i.toString(36)}`);
  // Delete every third one, then add more (deleted markers are reused or dropped on rehash).
  for (let i = 0; i < 5000; i += 3) {
    const id = `obj_${i.toString(36)}`;
    assert.equal(index.delete(id), true);
    model.delete(id);
    ids[i] = undefined;
  }
  assert.equal(index.delete('obj_0'), false);
  for (let i = 5000; i < 9000; i++) add(`obj_${i.toString(36)}`);
  add('obj_0');
  assert.equal(index.size, model.size);
  for (let i = 0; i < 9000; i++) {
    const id = `obj_${i.toString(36)}`;
    assert.equal(index.get(id), model.get(id), id);
  }
  assert.equal(index.get('nope'), undefined);
  index.clear();
  assert.equal(index.size, 0);
  assert.equal(index.get('obj_1'), undefined);
});
