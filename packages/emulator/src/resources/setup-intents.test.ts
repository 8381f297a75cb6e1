import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

async function eventTypes(ids: string[]): Promise<string[]> {
  const list = await t.stripe.events.list({ limit: 100 });
  return list.data
    .filter((e) => ids.includes((e.data.object as { id?: string }).id ?? ''))
    .reverse()
    .map((e) => e.type);
}

function authenticate(id: string, outcome: 'succeed' | 'fail'): Promise<Response> {
  return fetch(`${t.emu.url}/_emulator/setup_intents/${id}/authenticate`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ outcome }),
  });
}

test('create, confirm: succeeded attaches the card to the customer; events', async () => {
  const cus = await t.stripe.customers.create();
  const si = await t.stripe.setupIntents.create({ customer: cus.id, metadata: { k: 'v' } });
  assert.equal(si.status, 'requires_payment_method');
  assert.equal(si.usage, 'off_session');
  assert.match(si.client_secret ?? '', new RegExp(`^${si.id}_secret_`));
  const done = await t.stripe.setupIntents.confirm(si.id, { payment_method: 'pm_card_visa' });
  assert.equal(done.status, 'succeeded');
  const pmId = String(done.payment_method);
  const pm = await t.stripe.paymentMethods.retrieve(pmId);
  assert.equal(pm.customer, cus.id);
  assert.deepEqual(await eventTypes([si.id]), ['setup_intent.created', 'setup_intent.succeeded']);
  assert.deepEqual(await eventTypes([pmId]), ['payment_method.attached']);
  const again = await stripeError(t.stripe.setupIntents.confirm(si.id));
  assert.equal(again.code, 'setup_intent_unexpected_state');
  const expanded = await t.stripe.setupIntents.retrieve(si.id, { expand: ['payment_method', 'customer'] });
  assert.equal((expanded.payment_method as Stripe.PaymentMethod).id, pmId);
  assert.equal((expanded.customer as Stripe.Customer).id, cus.id);
});

test('authenticationRequiredOnSetup: 3DS on setup, then off-session charges pass without 3DS', async () => {
  const cus = await t.stripe.customers.create();
  const si = await t.stripe.setupIntents.create({
    customer: cus.id,
    payment_method: 'pm_card_authenticationRequiredOnSetup',
    confirm: true,
    usage: 'off_session',
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
  });
  assert.equal(si.status, 'requires_action');
  assert.equal(si.next_action?.type, 'use_stripe_sdk');
  assert.equal((await authenticate(si.id, 'succeed')).status, 200);
  const done = await t.stripe.setupIntents.retrieve(si.id);
  assert.equal(done.status, 'succeeded');
  assert.deepEqual(await eventTypes([si.id]), [
    'setup_intent.created',
    'setup_intent.requires_action',
    'setup_intent.succeeded',
  ]);
  const pi = await t.stripe.paymentIntents.create({
    amount: 4200,
    currency: 'usd',
    customer: cus.id,
    payment_method: String(done.payment_method),
    confirm: true,
    off_session: true,
  });
  assert.equal(pi.status, 'succeeded');
});

test('authentication failure and decline cards: setup_failed with last_setup_error', async () => {
  const si = await t.stripe.setupIntents.create({
    payment_method: 'pm_card_authenticationRequired',
    confirm: true,
    return_url: 'https://x.example/r',
  });
  assert.equal(si.next_action?.type, 'redirect_to_url');
  assert.ok(si.next_action?.redirect_to_url?.url?.startsWith(t.emu.url));
  await authenticate(si.id, 'fail');
  const failed = await t.stripe.setupIntents.retrieve(si.id);
  assert.equal(failed.status, 'requires_payment_method');
  assert.equal(failed.last_setup_error?.code, 'setup_intent_authentication_failure');

  const err = await stripeError(
    t.stripe.setupIntents.create({
      payment_method: 'pm_card_chargeDeclinedInsufficientFunds',
      confirm: true,
    }),
  );
  assert.equal(err.statusCode, 402);
  assert.equal(err.decline_code, 'insufficient_funds');
  const list = await t.stripe.setupIntents.list({ limit: 1 });
  const declined = list.data[0]!;
  assert.equal(declined.status, 'requires_payment_method');
  assert.equal(declined.last_setup_error?.decline_code, 'insufficient_funds');
  assert.deepEqual(await eventTypes([declined.id]), ['setup_intent.created', 'setup_intent.setup_failed']);
});

test('cancel, update, list by customer, errors', async () => {
  const cus = await t.stripe.customers.create();
  const si = await t.stripe.setupIntents.create({ customer: cus.id, usage: 'on_session' });
  const up = await t.stripe.setupIntents.update(si.id, { description: 'd', metadata: { a: '1' } });
  assert.equal(up.description, 'd');
  const c = await t.stripe.setupIntents.cancel(si.id, { cancellation_reason: 'abandoned' });
  assert.equal(c.status, 'canceled');
  assert.equal(c.cancellation_reason, 'abandoned');
  const twice = await stripeError(t.stripe.setupIntents.cancel(si.id));
  assert.equal(twice.statusCode, 400);
  const list = await t.stripe.setupIntents.list({ customer: cus.id });
  assert.deepEqual(
    list.data.map((s) => s.id),
    [si.id],
  );
  const missing = await stripeError(t.stripe.setupIntents.retrieve('seti_nope'));
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.code, 'resource_missing');
  const noCustomer = await stripeError(t.stripe.setupIntents.create({ customer: 'cus_nope' }));
  assert.equal(noCustomer.param, 'customer');
  const pk = t.client('pk_test_emulator');
  const ok = await pk.setupIntents.retrieve(si.id, { client_secret: si.client_secret! });
  assert.equal(ok.id, si.id);
  const bad = await stripeError(pk.setupIntents.retrieve(si.id, { client_secret: 'nope' }));
  assert.equal(bad.param, 'client_secret');
});
