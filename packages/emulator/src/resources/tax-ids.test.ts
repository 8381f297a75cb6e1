import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

async function eventsFor(id: string): Promise<string[]> {
  const list = await t.stripe.events.list({ limit: 100 });
  return list.data
    .filter((e) => (e.data.object as { id?: string }).id === id)
    .reverse()
    .map((e) => e.type);
}

test('customer tax IDs: create, retrieve, list, expand on the customer, copied onto a new invoice', async () => {
  const c = await t.stripe.customers.create({ name: 'Acme GmbH' });
  const ein = await t.stripe.customers.createTaxId(c.id, { type: 'us_ein', value: '12-3456789' });
  assert.match(ein.id, /^txi_/);
  assert.deepEqual(
    [ein.object, ein.type, ein.value, ein.country, ein.customer, ein.livemode],
    ['tax_id', 'us_ein', '12-3456789', 'US', c.id, false],
  );
  assert.deepEqual(ein.owner, { customer: c.id, customer_account: null, type: 'customer' });
  assert.deepEqual(ein.verification, { status: 'unavailable', verified_address: null, verified_name: null });
  assert.deepEqual(await eventsFor(ein.id), ['customer.tax_id.created']);

  const vat = await t.stripe.customers.createTaxId(c.id, { type: 'eu_vat', value: 'DE123456789' });
  assert.equal(vat.country, 'DE');
  assert.equal(vat.verification?.status, 'pending', 'EU VAT numbers are checked against VIES');
  const greek = await t.stripe.customers.createTaxId(c.id, { type: 'eu_vat', value: 'EL123456789' });
  assert.equal(greek.country, 'GR');

  assert.deepEqual(await t.stripe.customers.retrieveTaxId(c.id, vat.id), vat);
  const list = await t.stripe.customers.listTaxIds(c.id, { limit: 2 });
  assert.deepEqual(
    list.data.map((x) => x.id),
    [greek.id, vat.id],
  );
  assert.equal(list.has_more, true);
  assert.equal(list.url, `/v1/customers/${c.id}/tax_ids`);

  const expanded = await t.stripe.customers.retrieve(c.id, { expand: ['tax_ids'] });
  assert.ok(!expanded.deleted);
  assert.deepEqual(
    expanded.tax_ids?.data.map((x) => x.id),
    [greek.id, vat.id, ein.id],
  );
  const withCustomer = await t.stripe.customers.retrieveTaxId(c.id, ein.id, { expand: ['customer'] });
  assert.equal((withCustomer.customer as { id: string }).id, c.id);

  await t.stripe.invoiceItems.create({ customer: c.id, amount: 1000, currency: 'usd' });
  const inv = await t.stripe.invoices.create({ customer: c.id, pending_invoice_items_behavior: 'include' });
  assert.deepEqual(inv.customer_tax_ids, [
    { type: 'eu_vat', value: 'EL123456789' },
    { type: 'eu_vat', value: 'DE123456789' },
    { type: 'us_ein', value: '12-3456789' },
  ]);
});

test('deleting a customer tax ID: the deleted stub, customer.tax_id.deleted, then 404', async () => {
  const c = await t.stripe.customers.create({});
  const txi = await t.stripe.customers.createTaxId(c.id, { type: 'gb_vat', value: 'GB123456789' });
  const deleted = await t.stripe.customers.deleteTaxId(c.id, txi.id);
  assert.deepEqual(deleted, { id: txi.id, object: 'tax_id', deleted: true });
  assert.deepEqual(await eventsFor(txi.id), ['customer.tax_id.created', 'customer.tax_id.deleted']);
  const gone = await stripeError(t.stripe.customers.retrieveTaxId(c.id, txi.id));
  assert.deepEqual([gone.statusCode, gone.code], [404, 'resource_missing']);
  assert.deepEqual((await t.stripe.customers.listTaxIds(c.id)).data, []);
});

test('customer tax ID errors: missing or unknown type, missing value, another customer, no such customer', async () => {
  const c = await t.stripe.customers.create({});
  const other = await t.stripe.customers.create({});
  const mine = await t.stripe.customers.createTaxId(c.id, { type: 'au_abn', value: '12345678912' });

  const noType = await stripeError(
    t.stripe.customers.createTaxId(c.id, { value: '1' } as unknown as { type: 'us_ein'; value: string }),
  );
  assert.deepEqual([noType.statusCode, noType.code, noType.param], [400, 'parameter_missing', 'type']);
  const badType = await stripeError(
    t.stripe.customers.createTaxId(c.id, { type: 'xx_tin' as 'us_ein', value: '1' }),
  );
  assert.deepEqual([badType.statusCode, badType.param], [400, 'type']);
  const noValue = await stripeError(
    t.stripe.customers.createTaxId(c.id, { type: 'us_ein' } as unknown as { type: 'us_ein'; value: string }),
  );
  assert.deepEqual([noValue.statusCode, noValue.code, noValue.param], [400, 'parameter_missing', 'value']);

  const elsewhere = await stripeError(t.stripe.customers.retrieveTaxId(other.id, mine.id));
  assert.deepEqual([elsewhere.statusCode, elsewhere.code], [404, 'resource_missing']);
  const notDeleted = await stripeError(t.stripe.customers.deleteTaxId(other.id, mine.id));
  assert.equal(notDeleted.statusCode, 404);
  const noCustomer = await stripeError(
    t.stripe.customers.createTaxId('cus_nope', { type: 'us_ein', value: '1' }),
  );
  assert.deepEqual([noCustomer.statusCode, noCustomer.code], [404, 'resource_missing']);
});
