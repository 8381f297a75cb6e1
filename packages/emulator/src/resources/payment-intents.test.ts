import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';
import { engineCtx } from './common/engine.js';
import {
  confirmPaymentIntentInternal,
  createPaymentIntentInternal,
  onPaymentIntent,
  type PaymentIntent,
} from './payment-intents.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

/** Types of the events about the given object ids, oldest first, since `sinceId`. */
async function eventTypes(ids: string[], since?: string): Promise<string[]> {
  const list = await t.stripe.events.list({ limit: 100, ...(since ? { ending_before: since } : {}) });
  return list.data
    .filter((e) => ids.includes((e.data.object as { id?: string }).id ?? ''))
    .reverse()
    .map((e) => e.type);
}

async function lastEventId(): Promise<string | undefined> {
  return (await t.stripe.events.list({ limit: 1 })).data[0]?.id;
}

const card: { allowed_payment_method_types: ['card'] } = { allowed_payment_method_types: ['card'] };

test('create and confirm in one call: succeeded, charge, exact event sequence', async () => {
  const mark = await lastEventId();
  const pi = await t.stripe.paymentIntents.create({
    amount: 2000,
    currency: 'USD',
    payment_method: 'pm_card_visa',
    confirm: true,
    description: 'order 1',
    metadata: { order: '1' },
    ...card,
  });
  assert.equal(pi.status, 'succeeded');
  assert.equal(pi.currency, 'usd');
  assert.equal(pi.amount_received, 2000);
  assert.match(pi.client_secret ?? '', new RegExp(`^${pi.id}_secret_`));
  assert.match(String(pi.payment_method), /^pm_(?!card_)/);
  const ch = await t.stripe.charges.retrieve(String(pi.latest_charge));
  assert.equal(ch.status, 'succeeded');
  assert.equal(ch.captured, true);
  assert.equal(ch.paid, true);
  assert.equal(ch.amount, 2000);
  assert.equal(ch.payment_intent, pi.id);
  assert.equal(ch.payment_method_details?.card?.last4, '4242');
  assert.equal(ch.outcome?.type, 'authorized');
  assert.equal(ch.refunded, false);
  assert.deepEqual(ch.metadata, { order: '1' });
  assert.deepEqual(await eventTypes([pi.id, ch.id], mark), [
    'payment_intent.created',
    'payment_intent.succeeded',
    'charge.succeeded',
  ]);
});

test('a declined card: 402 with code, decline_code, payment_intent; failed charge; exact events', async () => {
  const mark = await lastEventId();
  const err = await stripeError(
    t.stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_chargeDeclined',
      confirm: true,
      ...card,
    }),
  );
  assert.equal(err.statusCode, 402);
  assert.equal(err.type, 'StripeCardError');
  assert.equal(err.code, 'card_declined');
  assert.equal(err.decline_code, 'generic_decline');
  const raw = err.raw as { payment_intent?: Stripe.PaymentIntent; charge?: string };
  const piId = raw.payment_intent!.id;
  assert.equal(err.payment_intent?.id ?? piId, piId);
  const pi = await t.stripe.paymentIntents.retrieve(piId);
  assert.equal(pi.status, 'requires_payment_method');
  assert.equal(pi.last_payment_error?.code, 'card_declined');
  assert.equal(pi.last_payment_error?.decline_code, 'generic_decline');
  assert.equal(pi.last_payment_error?.type, 'card_error');
  assert.equal(pi.last_payment_error?.payment_method?.card?.last4, '0002');
  const ch = await t.stripe.charges.retrieve(String(pi.latest_charge));
  assert.equal(ch.id, raw.charge);
  assert.equal(ch.status, 'failed');
  assert.equal(ch.failure_code, 'card_declined');
  assert.equal(ch.outcome?.reason, 'generic_decline');
  assert.deepEqual(await eventTypes([pi.id, ch.id], mark), [
    'payment_intent.created',
    'payment_intent.payment_failed',
    'charge.failed',
  ]);
});

test('each decline card reports its own code and decline_code', async () => {
  const cases: [string, string, string][] = [
    ['pm_card_chargeDeclinedInsufficientFunds', 'card_declined', 'insufficient_funds'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'expired_card'],
    ['pm_card_chargeDeclinedIncorrectCvc', 'incorrect_cvc', 'incorrect_cvc'],
    ['pm_card_chargeDeclinedProcessingError', 'processing_error', 'processing_error'],
    ['pm_card_chargeDeclinedLostCard', 'card_declined', 'lost_card'],
    ['pm_card_chargeDeclinedStolenCard', 'card_declined', 'stolen_card'],
  ];
  for (const [pm, code, decline] of cases) {
    const err = await stripeError(
      t.stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        payment_method: pm,
        confirm: true,
        ...card,
      }),
    );
    assert.equal(err.code, code, pm);
    assert.equal(err.decline_code, decline, pm);
  }
});

test('chargeCustomerFail: attaches to a customer, then the charge fails', async () => {
  const cus = await t.stripe.customers.create();
  const pm = await t.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: cus.id });
  const err = await stripeError(
    t.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      customer: cus.id,
      payment_method: pm.id,
      confirm: true,
      off_session: true,
    }),
  );
  assert.equal(err.code, 'card_declined');
  assert.equal(err.decline_code, 'generic_decline');
});

test('two-step: create, update, confirm; retrieve and confirm with a publishable key and client secret', async () => {
  const pi = await t.stripe.paymentIntents.create({ amount: 1500, currency: 'eur', ...card });
  assert.equal(pi.status, 'requires_payment_method');
  assert.equal(pi.automatic_payment_methods, null);
  const up = await t.stripe.paymentIntents.update(pi.id, {
    amount: 1700,
    payment_method: 'pm_card_mastercard',
  });
  assert.equal(up.status, 'requires_confirmation');
  assert.equal(up.amount, 1700);
  const pk = t.client('pk_test_emulator');
  const denied = await stripeError(pk.paymentIntents.retrieve(pi.id));
  assert.equal(denied.param, 'client_secret');
  const wrong = await stripeError(
    pk.paymentIntents.retrieve(pi.id, { client_secret: `${pi.id}_secret_nope` }),
  );
  assert.equal(wrong.statusCode, 400);
  const seen = await pk.paymentIntents.retrieve(pi.id, { client_secret: pi.client_secret! });
  assert.equal(seen.id, pi.id);
  const listDenied = await stripeError(pk.paymentIntents.list());
  assert.equal(listDenied.statusCode, 401);
  const done = await pk.paymentIntents.confirm(pi.id, {
    client_secret: pi.client_secret!,
  } as Stripe.PaymentIntentConfirmParams);
  assert.equal(done.status, 'succeeded');
  assert.equal(done.amount_received, 1700);
});

test('automatic payment methods: confirm without return_url is refused unless redirects are off', async () => {
  const err = await stripeError(
    t.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    }),
  );
  assert.equal(err.param, 'return_url');
  const ok = await t.stripe.paymentIntents.create({
    amount: 1000,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    confirm: true,
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
  });
  assert.equal(ok.status, 'succeeded');
  assert.deepEqual(ok.automatic_payment_methods, { enabled: true, allow_redirects: 'never' });
  const both = await stripeError(
    t.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      allowed_payment_method_types: ['card'],
      automatic_payment_methods: { enabled: true },
    }),
  );
  assert.equal(both.param, 'automatic_payment_methods');
  // The Stripe CLI's fixtures still send the older `payment_method_types[]`.
  const legacy = await t.raw(
    'POST',
    '/v1/payment_intents',
    'amount=2000&currency=usd&confirm=true&payment_method=pm_card_visa&payment_method_types[]=card',
  );
  assert.equal(legacy.status, 200);
  const body = (await legacy.json()) as Stripe.PaymentIntent;
  assert.equal(body.status, 'succeeded');
  assert.deepEqual(body.allowed_payment_method_types, ['card']);
  assert.deepEqual(body.payment_method_types, ['card']);
});

test('manual capture: requires_capture, partial capture, events; capturing again is a state error', async () => {
  const mark = await lastEventId();
  const pi = await t.stripe.paymentIntents.create({
    amount: 5000,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    capture_method: 'manual',
    confirm: true,
    ...card,
  });
  assert.equal(pi.status, 'requires_capture');
  assert.equal(pi.amount_capturable, 5000);
  const tooMuch = await stripeError(t.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 6000 }));
  assert.equal(tooMuch.param, 'amount_to_capture');
  const cap = await t.stripe.paymentIntents.capture(pi.id, { amount_to_capture: 4000 });
  assert.equal(cap.status, 'succeeded');
  assert.equal(cap.amount_received, 4000);
  assert.equal(cap.amount_capturable, 0);
  const ch = await t.stripe.charges.retrieve(String(cap.latest_charge));
  assert.equal(ch.captured, true);
  assert.equal(ch.amount_captured, 4000);
  assert.deepEqual(await eventTypes([pi.id, ch.id], mark), [
    'payment_intent.created',
    'payment_intent.amount_capturable_updated',
    'charge.succeeded',
    'payment_intent.succeeded',
    'charge.captured',
  ]);
  const again = await stripeError(t.stripe.paymentIntents.capture(pi.id));
  assert.equal(again.statusCode, 400);
  assert.equal(again.code, 'payment_intent_unexpected_state');
  const cancelDone = await stripeError(t.stripe.paymentIntents.cancel(pi.id));
  assert.equal(cancelDone.code, 'payment_intent_unexpected_state');
});

test('cancel: status, reason, event; confirming a canceled intent is refused', async () => {
  const pi = await t.stripe.paymentIntents.create({ amount: 2000, currency: 'usd', ...card });
  const c = await t.stripe.paymentIntents.cancel(pi.id, { cancellation_reason: 'requested_by_customer' });
  assert.equal(c.status, 'canceled');
  assert.equal(c.cancellation_reason, 'requested_by_customer');
  assert.equal(typeof c.canceled_at, 'number');
  assert.deepEqual(await eventTypes([pi.id]), ['payment_intent.created', 'payment_intent.canceled']);
  const err = await stripeError(t.stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' }));
  assert.equal(err.code, 'payment_intent_unexpected_state');
});

test('3-D Secure: requires_action with a served URL, then authenticate succeeds or fails', async () => {
  const mark = await lastEventId();
  const pi = await t.stripe.paymentIntents.create({
    amount: 3000,
    currency: 'usd',
    payment_method: 'pm_card_authenticationRequired',
    confirm: true,
    return_url: 'https://shop.example/return',
    ...card,
  });
  assert.equal(pi.status, 'requires_action');
  assert.equal(pi.next_action?.type, 'redirect_to_url');
  const url = pi.next_action?.redirect_to_url?.url ?? '';
  assert.ok(url.startsWith(t.emu.url), url);
  const pageRes = await fetch(url);
  assert.equal(pageRes.status, 200);
  assert.match(await pageRes.text(), /Complete authentication/);

  const auth = await fetch(`${t.emu.url}/_emulator/payment_intents/${pi.id}/authenticate`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ outcome: 'succeed' }),
  });
  assert.equal(auth.status, 200);
  const done = await t.stripe.paymentIntents.retrieve(pi.id, { expand: ['latest_charge'] });
  assert.equal(done.status, 'succeeded');
  const ch = done.latest_charge as Stripe.Charge;
  assert.equal(ch.payment_method_details?.card?.three_d_secure?.result, 'authenticated');
  assert.deepEqual(await eventTypes([pi.id, ch.id], mark), [
    'payment_intent.created',
    'payment_intent.requires_action',
    'payment_intent.succeeded',
    'charge.succeeded',
  ]);
  const twice = await fetch(`${t.emu.url}/_emulator/payment_intents/${pi.id}/authenticate`, {
    method: 'POST',
    body: JSON.stringify({ outcome: 'succeed' }),
  });
  assert.equal(twice.status, 400);

  const sdk = await t.stripe.paymentIntents.create({
    amount: 3000,
    currency: 'usd',
    payment_method: 'pm_card_authenticationRequired',
    confirm: true,
    ...card,
  });
  assert.equal(sdk.next_action?.type, 'use_stripe_sdk');
  // The page's own button posts a form and is redirected to the return URL when there is one.
  const failed = await fetch(`${t.emu.url}/_emulator/payment_intents/${sdk.id}/authenticate`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'outcome=fail',
  });
  assert.equal(failed.status, 200);
  const f = await t.stripe.paymentIntents.retrieve(sdk.id);
  assert.equal(f.status, 'requires_payment_method');
  assert.equal(f.last_payment_error?.code, 'payment_intent_authentication_failure');
  assert.equal(f.latest_charge, null);
});

test('3-D Secure off-session: authentication_required decline', async () => {
  const cus = await t.stripe.customers.create();
  const pm = await t.stripe.paymentMethods.attach('pm_card_authenticationRequired', { customer: cus.id });
  const err = await stripeError(
    t.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      customer: cus.id,
      payment_method: pm.id,
      confirm: true,
      off_session: true,
    }),
  );
  assert.equal(err.code, 'authentication_required');
  assert.equal(err.decline_code, 'authentication_required');
});

test('setup_future_usage attaches the card; authenticationRequiredOnSetup then charges off-session', async () => {
  const cus = await t.stripe.customers.create();
  const first = await t.stripe.paymentIntents.create({
    amount: 1000,
    currency: 'usd',
    customer: cus.id,
    payment_method: 'pm_card_authenticationRequiredOnSetup',
    setup_future_usage: 'off_session',
    confirm: true,
    ...card,
  });
  assert.equal(first.status, 'requires_action');
  await fetch(`${t.emu.url}/_emulator/payment_intents/${first.id}/authenticate`, {
    method: 'POST',
    body: JSON.stringify({ outcome: 'succeed' }),
  });
  const pms = await t.stripe.customers.listPaymentMethods(cus.id);
  assert.equal(pms.data.length, 1);
  const pm = pms.data[0]!;
  assert.equal(pm.card?.last4, '3155');
  const off = await t.stripe.paymentIntents.create({
    amount: 2500,
    currency: 'usd',
    customer: cus.id,
    payment_method: pm.id,
    confirm: true,
    off_session: true,
  });
  assert.equal(off.status, 'succeeded');
  const onSession = await t.stripe.paymentIntents.create({
    amount: 2500,
    currency: 'usd',
    customer: cus.id,
    payment_method: pm.id,
    confirm: true,
    ...card,
  });
  assert.equal(onSession.status, 'requires_action');
});

test('errors: missing params, unknown ids, another customer’s payment method, off_session without confirm', async () => {
  const noAmount = await stripeError(
    t.stripe.paymentIntents.create({ currency: 'usd' } as Stripe.PaymentIntentCreateParams),
  );
  assert.equal(noAmount.code, 'parameter_missing');
  assert.equal(noAmount.param, 'amount');
  const noCurrency = await stripeError(
    t.stripe.paymentIntents.create({ amount: 100 } as Stripe.PaymentIntentCreateParams),
  );
  assert.equal(noCurrency.param, 'currency');
  const small = await stripeError(t.stripe.paymentIntents.create({ amount: 10, currency: 'usd' }));
  assert.equal(small.code, 'amount_too_small');
  const missing = await stripeError(t.stripe.paymentIntents.retrieve('pi_nope'));
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.code, 'resource_missing');
  assert.equal(missing.message, "No such payment_intent: 'pi_nope'");
  const noPm = await stripeError(
    t.stripe.paymentIntents.create({ amount: 100, currency: 'usd', payment_method: 'pm_nope' }),
  );
  assert.equal(noPm.statusCode, 400);
  assert.equal(noPm.param, 'payment_method');
  const offs = await stripeError(
    t.stripe.paymentIntents.create({ amount: 100, currency: 'usd', off_session: true }),
  );
  assert.equal(offs.param, 'off_session');
  const a = await t.stripe.customers.create();
  const b = await t.stripe.customers.create();
  const pm = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: a.id });
  const other = await stripeError(
    t.stripe.paymentIntents.create({ amount: 100, currency: 'usd', customer: b.id, payment_method: pm.id }),
  );
  assert.equal(other.param, 'payment_method');
  const noMethod = await t.stripe.paymentIntents.create({ amount: 100, currency: 'usd', ...card });
  const cannot = await stripeError(t.stripe.paymentIntents.confirm(noMethod.id));
  assert.equal(cannot.code, 'payment_intent_unexpected_state');
});

test('idempotency: two confirms with one key make one charge', async () => {
  const pi = await t.stripe.paymentIntents.create({
    amount: 1200,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    ...card,
  });
  const key = `confirm-${pi.id}`;
  const one = await t.stripe.paymentIntents.confirm(pi.id, {}, { idempotencyKey: key });
  const two = await t.stripe.paymentIntents.confirm(pi.id, {}, { idempotencyKey: key });
  assert.equal(one.latest_charge, two.latest_charge);
  const charges = await t.stripe.charges.list({ payment_intent: pi.id });
  assert.equal(charges.data.length, 1);
  const declined = await t.stripe.paymentIntents.create({
    amount: 1200,
    currency: 'usd',
    payment_method: 'pm_card_chargeDeclined',
    ...card,
  });
  const dkey = `confirm-${declined.id}`;
  const e1 = await stripeError(t.stripe.paymentIntents.confirm(declined.id, {}, { idempotencyKey: dkey }));
  const e2 = await stripeError(t.stripe.paymentIntents.confirm(declined.id, {}, { idempotencyKey: dkey }));
  assert.equal(e1.decline_code, e2.decline_code);
  assert.equal((await t.stripe.charges.list({ payment_intent: declined.id })).data.length, 1);
});

test('expand latest_charge, payment_method, customer; list and charges list/update', async () => {
  const cus = await t.stripe.customers.create({ email: 'x@example.com' });
  const pi = await t.stripe.paymentIntents.create({
    amount: 900,
    currency: 'usd',
    customer: cus.id,
    payment_method: 'pm_card_visa',
    confirm: true,
    ...card,
  });
  const got = await t.stripe.paymentIntents.retrieve(pi.id, {
    expand: ['latest_charge', 'payment_method', 'customer'],
  });
  assert.equal((got.latest_charge as Stripe.Charge).object, 'charge');
  assert.equal((got.payment_method as Stripe.PaymentMethod).card?.last4, '4242');
  assert.equal((got.customer as Stripe.Customer).email, 'x@example.com');
  const list = await t.stripe.paymentIntents.list({ customer: cus.id });
  assert.deepEqual(
    list.data.map((p) => p.id),
    [pi.id],
  );
  const chList = await t.stripe.charges.list({ customer: cus.id, expand: ['data.payment_intent'] });
  assert.equal(chList.data.length, 1);
  assert.equal((chList.data[0]!.payment_intent as Stripe.PaymentIntent).id, pi.id);
  const up = await t.stripe.charges.update(String(pi.latest_charge), {
    description: 'updated',
    metadata: { a: '1' },
  });
  assert.equal(up.description, 'updated');
  const evs = await t.stripe.events.list({ type: 'charge.updated', limit: 1 });
  assert.deepEqual(evs.data[0]!.data.previous_attributes, { description: null, metadata: { a: null } });
  const missing = await stripeError(t.stripe.charges.retrieve('ch_nope'));
  assert.equal(missing.statusCode, 404);
});

test('internal functions: never throw on declines, notify listeners, work outside a request', () => {
  const ctx = engineCtx(t.emu.app);
  const seen: string[] = [];
  const offOk = onPaymentIntent('succeeded', (_c, pi) => seen.push(`ok:${pi.id}`));
  const offFail = onPaymentIntent('failed', (_c, pi) => seen.push(`fail:${pi.id}`));
  try {
    const ok = createPaymentIntentInternal(ctx, {
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      off_session: true,
    });
    assert.equal(ok.status, 'succeeded');
    const bad: PaymentIntent = createPaymentIntentInternal(ctx, {
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_chargeDeclinedInsufficientFunds',
      confirm: true,
    });
    assert.equal(bad.status, 'requires_payment_method');
    assert.equal(bad.last_payment_error?.decline_code, 'insufficient_funds');
    confirmPaymentIntentInternal(ctx, bad, { payment_method: 'pm_card_mastercard' });
    assert.equal(bad.status, 'succeeded');
    assert.deepEqual(seen, [`ok:${ok.id}`, `fail:${bad.id}`, `ok:${bad.id}`]);
    const ev = t.emu.app.store.c('event').newestFirst().next().value!;
    assert.equal(ev.type, 'charge.succeeded');
    assert.equal(ev.request.id, null);
  } finally {
    offOk();
    offFail();
  }
});
