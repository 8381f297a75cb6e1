import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StripeError } from './errors.js';
import { ExpandRegistry } from './expand.js';

const store: Record<string, Record<string, unknown>> = {
  cus_1: { id: 'cus_1', object: 'customer', default_pm: 'pm_1', settings: { pm: 'pm_1' } },
  pm_1: { id: 'pm_1', object: 'payment_method' },
  in_1: { id: 'in_1', object: 'invoice', customer: 'cus_1', amount_due: 5 },
};
const reg = new ExpandRegistry();
reg.expandable('invoice', 'customer', (id) => store[id]);
reg.expandable('customer', 'default_pm', (id) => store[id]);
reg.expandable('customer', 'settings.pm', (id) => store[id]);
reg.includable('invoice', 'confirmation_secret', (o) => ({ client_secret: `${o.id}_secret` }));

test('expands ids, nested paths and includable fields without touching stored objects', () => {
  const out = reg.apply(store.in_1, [
    'customer.default_pm',
    'customer.settings.pm',
    'confirmation_secret',
  ]) as {
    customer: { default_pm: { object: string }; settings: { pm: { id: string } } };
    confirmation_secret: { client_secret: string };
  };
  assert.equal(out.customer.default_pm.object, 'payment_method');
  assert.equal(out.customer.settings.pm.id, 'pm_1');
  assert.equal(out.confirmation_secret.client_secret, 'in_1_secret');
  assert.equal(store.in_1!.customer, 'cus_1');
  assert.equal((store.cus_1!.settings as { pm: string }).pm, 'pm_1');
  assert.equal('confirmation_secret' in store.in_1!, false);
});

test('expands inside lists through data', () => {
  const list = { object: 'list', data: [store.in_1], has_more: false, url: '/v1/invoices' };
  const out = reg.apply(list, ['data.customer']) as unknown as { data: { customer: { id: string } }[] };
  assert.equal(out.data[0]!.customer.id, 'cus_1');
});

test('refuses unknown fields and paths deeper than four levels', () => {
  const bad = (paths: string[]) =>
    assert.throws(
      () => reg.apply(store.in_1, paths),
      (e: unknown) => e instanceof StripeError && e.param === 'expand',
    );
  bad(['amount_due']);
  bad(['a.b.c.d.e']);
});
