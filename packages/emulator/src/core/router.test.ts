import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Router } from './router.js';

test('matches static and parameter segments by method', () => {
  const r = new Router<string>();
  r.add('GET', '/v1/customers', 'list');
  r.add('GET', '/v1/customers/:id', 'get');
  r.add('POST', '/v1/customers/:id', 'update');
  r.add('GET', '/v1/customers/:id/balance_transactions', 'bt');
  assert.equal(r.match('GET', '/v1/customers')?.handler, 'list');
  assert.deepEqual(r.match('POST', '/v1/customers/cus_1')?.args, { id: 'cus_1' });
  assert.equal(
    r.match('GET', '/v1/customers/cus_1/balance_transactions')?.pattern,
    '/v1/customers/:id/balance_transactions',
  );
  assert.equal(r.match('DELETE', '/v1/customers/cus_1'), undefined);
  assert.equal(r.match('GET', '/v1/nothing'), undefined);
  assert.throws(() => r.add('GET', '/v1/customers', 'again'));
});
