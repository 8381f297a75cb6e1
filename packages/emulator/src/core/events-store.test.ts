import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventCollection, type StoredEvent } from './events.js';
import { API_VERSION } from './version.js';

const plain = (over: Partial<StoredEvent> = {}): StoredEvent => ({
  id: 'evt_1',
  object: 'event',
  type: 'customer.updated',
  created: 1_700_000_000,
  api_version: API_VERSION,
  pending_webhooks: 2,
  request: { id: 'req_1', idempotency_key: 'key-1' },
  object_json: '{"id":"cus_1","object":"customer","metadata":{"a":"é 日本"}}',
  previous_attributes: { metadata: { a: null } },
  ...over,
});

test('an event goes in as plain data and comes out the same, field by field', () => {
  const col = new EventCollection();
  const e = plain();
  col.insert(e);
  col.insert(plain({ id: 'evt_2', request: { id: null, idempotency_key: null }, previous_attributes: null }));
  col.insert(
    plain({ id: 'evt_3', api_version: '2020-08-27', type: 'customer.created', created: 4_102_444_800 }),
  );
  assert.deepEqual(JSON.parse(JSON.stringify(col.get('evt_1'))), e);
  assert.deepEqual(col.toSnapshot(), [
    e,
    plain({ id: 'evt_2', request: { id: null, idempotency_key: null }, previous_attributes: null }),
    plain({ id: 'evt_3', api_version: '2020-08-27', type: 'customer.created', created: 4_102_444_800 }),
  ]);
  // pending_webhooks writes through a view.
  const view = col.get('evt_1')!;
  view.pending_webhooks--;
  assert.equal(col.get('evt_1')!.pending_webhooks, 1);
  // Replacing keeps the position; deleting leaves a hole that lists skip.
  col.insert(plain({ request: { id: 'req_longer_one', idempotency_key: null }, previous_attributes: null }));
  assert.equal(col.positionOf('evt_1'), 0);
  assert.deepEqual(col.get('evt_1')!.request, { id: 'req_longer_one', idempotency_key: null });
  assert.equal(col.get('evt_1')!.previous_attributes, null);
  assert.equal(col.delete('evt_2')?.id, 'evt_2');
  assert.equal(col.get('evt_2'), undefined);
  assert.equal(col.at(1), undefined);
  assert.deepEqual(
    [...col.newestFirst()].map((x) => x.id),
    ['evt_3', 'evt_1'],
  );
  assert.equal(col.size, 2);
  col.clear();
  assert.equal(col.size, 0);
  assert.equal(col.end, 0);
});

test('thousands of events keep their columns through growth', () => {
  const col = new EventCollection();
  for (let i = 0; i < 3000; i++) {
    col.append(
      `evt_${i}`,
      i % 2 ? 'customer.created' : 'charge.succeeded',
      1_700_000_000 + i,
      i % 3,
      { id: `req_${i}`, idempotency_key: null },
      col.codec.encode({ id: `obj_${i}` })!,
      null,
    );
  }
  const e = col.get('evt_2999')!;
  assert.equal(e.type, 'customer.created');
  assert.equal(e.created, 1_700_002_999);
  assert.equal(e.pending_webhooks, 2);
  assert.equal(e.request.id, 'req_2999');
  assert.equal(e.object_json, '{"id":"obj_2999"}');
  assert.equal(col.get('evt_0')!.type, 'charge.succeeded');
});
