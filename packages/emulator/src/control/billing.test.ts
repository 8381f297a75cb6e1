import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEFAULT_BILLING_SETTINGS } from '../resources/billing/settings.js';
import { type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

const control = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${t.emu.url}/_emulator/${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

test('GET /_emulator/billing shows the defaults; POST changes only the keys given; bad input is 400 and changes nothing', async () => {
  assert.deepEqual((await control('GET', 'billing')).json, { ...DEFAULT_BILLING_SETTINGS });
  const changed = await control('POST', 'billing', { retryDays: [1, 2], afterRetries: 'unpaid' });
  assert.equal(changed.status, 200);
  assert.deepEqual(changed.json.retryDays, [1, 2]);
  assert.equal(changed.json.afterRetries, 'unpaid');
  assert.equal(changed.json.trialWillEndDays, DEFAULT_BILLING_SETTINGS.trialWillEndDays);
  for (const bad of [
    { afterRetries: 'explode' },
    { retryDays: [0] },
    { retryDays: 'three' },
    { trialWillEndDays: -1 },
    { incompleteExpiryHours: 1.5 },
    { retries: [1] },
    { upcomingRenewalDays: 0 },
  ]) {
    const res = await control('POST', 'billing', bad);
    assert.equal(res.status, 400, JSON.stringify(bad));
  }
  const now = (await control('GET', 'billing')).json;
  assert.deepEqual(now.retryDays, [1, 2]);
  assert.equal(now.afterRetries, 'unpaid');
  await control('POST', 'billing', { ...DEFAULT_BILLING_SETTINGS });
});

test('incompleteExpiryHours set through the control API decides when an incomplete subscription expires', async () => {
  await control('POST', 'billing', { incompleteExpiryHours: 2 });
  await control('POST', 'clock', { set: 1_950_000_000 });
  const customer = await t.stripe.customers.create({});
  const price = await t.stripe.prices.create({
    currency: 'usd',
    unit_amount: 900,
    recurring: { interval: 'month' },
    product_data: { name: 'plan' },
  });
  const sub = await t.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    payment_behavior: 'default_incomplete',
  });
  assert.equal(sub.status, 'incomplete');
  await control('POST', 'clock', { advance: 3600 });
  assert.equal((await t.stripe.subscriptions.retrieve(sub.id)).status, 'incomplete');
  await control('POST', 'clock', { advance: 3601 });
  assert.equal((await t.stripe.subscriptions.retrieve(sub.id)).status, 'incomplete_expired');
  // Stripe reports the expiry as an update (status incomplete_expired), not as a deletion, and voids
  // the open first invoice.
  const events = (await t.stripe.events.list({ limit: 100 })).data.filter(
    (e) => (e.data.object as { id?: string }).id === sub.id,
  );
  const expired = events.find(
    (e) =>
      e.type === 'customer.subscription.updated' &&
      (e.data.object as { status: string }).status === 'incomplete_expired',
  );
  assert.ok(expired, 'customer.subscription.updated with status incomplete_expired');
  assert.equal((expired.data.previous_attributes as { status?: string } | undefined)?.status, 'incomplete');
  assert.ok(!events.some((e) => e.type === 'customer.subscription.deleted'));
  const first = await t.stripe.invoices.retrieve(sub.latest_invoice as string);
  assert.equal(first.status, 'void');
  await control('POST', 'billing', { ...DEFAULT_BILLING_SETTINGS });
  await control('POST', 'clock', { real: true });
});
