import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

const nextYear = new Date().getUTCFullYear() + 1;

async function eventsFor(id: string, prefix: string): Promise<Stripe.Event[]> {
  const list = await t.stripe.events.list({ limit: 100 });
  return list.data
    .filter((e) => e.type.startsWith(prefix) && (e.data.object as { id?: string }).id === id)
    .reverse();
}

test('create from a card number: brand, last4, expiry, fingerprint, checks', async () => {
  const pm = await t.stripe.paymentMethods.create({
    type: 'card',
    card: { number: '5555 5555 5555 4444', exp_month: 4, exp_year: nextYear, cvc: '123' },
    billing_details: { name: 'Jane', email: 'jane@example.com', address: { country: 'FR' } },
    metadata: { k: 'v' },
  });
  assert.match(pm.id, /^pm_/);
  assert.equal(pm.type, 'card');
  assert.equal(pm.card?.brand, 'mastercard');
  assert.equal(pm.card?.last4, '4444');
  assert.equal(pm.card?.exp_month, 4);
  assert.equal(pm.card?.exp_year, nextYear);
  assert.equal(pm.card?.checks?.cvc_check, 'pass');
  assert.equal(pm.billing_details.name, 'Jane');
  assert.equal(pm.billing_details.address?.country, 'FR');
  assert.equal(pm.customer, null);
  assert.deepEqual(pm.metadata, { k: 'v' });
  const again = await t.stripe.paymentMethods.create({
    type: 'card',
    card: { number: '5555555555554444', exp_month: 5, exp_year: nextYear },
  });
  assert.equal(again.card?.fingerprint, pm.card?.fingerprint, 'same card, same fingerprint');
  assert.equal(again.card?.checks?.cvc_check, null);
  const visa = await t.stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } });
  assert.notEqual(visa.card?.fingerprint, pm.card?.fingerprint);
  assert.equal(visa.card?.brand, 'visa');
  assert.equal(visa.card?.last4, '4242');
});

test('card errors: wrong number, past expiry, missing expiry, unknown token', async () => {
  const wrong = await stripeError(
    t.stripe.paymentMethods.create({
      type: 'card',
      card: { number: '4242424242424241', exp_month: 1, exp_year: nextYear },
    }),
  );
  assert.equal(wrong.statusCode, 402);
  assert.equal(wrong.code, 'incorrect_number');
  const live = await stripeError(
    t.stripe.paymentMethods.create({
      type: 'card',
      card: { number: '4111111111111111', exp_month: 1, exp_year: nextYear },
    }),
  );
  assert.equal(live.decline_code, 'test_mode_live_card');
  const past = await stripeError(
    t.stripe.paymentMethods.create({
      type: 'card',
      card: { number: '4242424242424242', exp_month: 1, exp_year: 2001 },
    }),
  );
  assert.equal(past.code, 'invalid_expiry_year');
  const month = await stripeError(
    t.stripe.paymentMethods.create({
      type: 'card',
      card: { number: '4242424242424242', exp_month: 13, exp_year: nextYear },
    }),
  );
  assert.equal(month.code, 'invalid_expiry_month');
  const missing = await stripeError(
    t.stripe.paymentMethods.create({
      type: 'card',
      card: { number: '4242424242424242', exp_year: nextYear },
    }),
  );
  assert.equal(missing.code, 'parameter_missing');
  assert.equal(missing.param, 'card[exp_month]');
  const tok = await stripeError(
    t.stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_nope' } }),
  );
  assert.equal(tok.code, 'resource_missing');
  assert.equal(tok.param, 'card[token]');
  const none = await stripeError(t.stripe.paymentMethods.retrieve('pm_missing'));
  assert.equal(none.statusCode, 404);
  assert.equal(none.message, "No such PaymentMethod: 'pm_missing'");
});

test('pm_card_* ids materialise a fresh payment method each time', async () => {
  const a = await t.stripe.paymentMethods.retrieve('pm_card_visa');
  const b = await t.stripe.paymentMethods.retrieve('pm_card_visa');
  assert.match(a.id, /^pm_(?!card_)/);
  assert.notEqual(a.id, b.id);
  assert.equal(a.card?.last4, '4242');
  assert.equal(a.card?.fingerprint, b.card?.fingerprint);
  const amex = await t.stripe.paymentMethods.retrieve('pm_card_amex');
  assert.equal(amex.card?.brand, 'amex');
  assert.equal(amex.card?.last4, '0005');
  const declined = await t.stripe.paymentMethods.retrieve('pm_card_chargeDeclinedInsufficientFunds');
  assert.equal(declined.card?.last4, '9995');
});

test('attach, list by customer, update, detach — with events', async () => {
  const cus = await t.stripe.customers.create({ email: 'pm@example.com' });
  const pm = await t.stripe.paymentMethods.attach('pm_card_mastercard', { customer: cus.id });
  assert.equal(pm.customer, cus.id);
  assert.match(pm.id, /^pm_/);
  const second = await t.stripe.paymentMethods.attach('pm_card_visa', { customer: cus.id });

  const list = await t.stripe.customers.listPaymentMethods(cus.id, { type: 'card' });
  assert.deepEqual(
    list.data.map((m) => m.id),
    [second.id, pm.id],
  );
  assert.equal(list.url, `/v1/customers/${cus.id}/payment_methods`);
  const byParam = await t.stripe.paymentMethods.list({ customer: cus.id, limit: 1 });
  assert.deepEqual(
    byParam.data.map((m) => m.id),
    [second.id],
  );
  assert.equal(byParam.has_more, true);
  const one = await t.stripe.customers.retrievePaymentMethod(cus.id, pm.id);
  assert.equal(one.id, pm.id);

  const newMonth = (pm.card!.exp_month % 12) + 1;
  const up = await t.stripe.paymentMethods.update(pm.id, {
    billing_details: { name: 'Card Holder' },
    card: { exp_month: newMonth },
    metadata: { a: '1' },
  });
  assert.equal(up.billing_details.name, 'Card Holder');
  assert.equal(up.card?.exp_month, newMonth);

  const other = await t.stripe.customers.create();
  const taken = await stripeError(t.stripe.paymentMethods.attach(pm.id, { customer: other.id }));
  assert.equal(taken.statusCode, 400);

  const det = await t.stripe.paymentMethods.detach(pm.id);
  assert.equal(det.customer, null);
  const again = await stripeError(t.stripe.paymentMethods.detach(pm.id));
  assert.equal(again.statusCode, 400);
  const after = await t.stripe.customers.listPaymentMethods(cus.id);
  assert.deepEqual(
    after.data.map((m) => m.id),
    [second.id],
  );

  const evs = await eventsFor(pm.id, 'payment_method.');
  assert.deepEqual(
    evs.map((e) => e.type),
    ['payment_method.attached', 'payment_method.updated', 'payment_method.detached'],
  );
  assert.deepEqual(evs[2]!.data.previous_attributes, { customer: cus.id });
  assert.equal(
    (evs[1]!.data.previous_attributes as { card?: { exp_month?: number } }).card?.exp_month,
    pm.card?.exp_month,
  );
});

test('attach checks the card: decline cards fail, chargeCustomerFail attaches', async () => {
  const cus = await t.stripe.customers.create();
  const err = await stripeError(
    t.stripe.paymentMethods.attach('pm_card_chargeDeclined', { customer: cus.id }),
  );
  assert.equal(err.statusCode, 402);
  assert.equal(err.type, 'StripeCardError');
  assert.equal(err.code, 'card_declined');
  assert.equal(err.decline_code, 'generic_decline');
  const ok = await t.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: cus.id });
  assert.equal(ok.customer, cus.id);
  assert.equal(ok.card?.last4, '0341');
  const missing = await stripeError(t.stripe.paymentMethods.attach('pm_card_visa', { customer: 'cus_nope' }));
  assert.equal(missing.statusCode, 400);
  assert.equal(missing.param, 'customer');
  const noCustomer = await stripeError(
    t.stripe.paymentMethods.attach('pm_card_visa', {} as { customer: string }),
  );
  assert.equal(noCustomer.param, 'customer');
});

test('update needs an attached payment method', async () => {
  const pm = await t.stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_visa' } });
  const err = await stripeError(t.stripe.paymentMethods.update(pm.id, { metadata: { a: 'b' } }));
  assert.equal(err.statusCode, 400);
});

test('customer default payment method: set, validated, expandable, cleared on detach', async () => {
  const cus = await t.stripe.customers.create({
    payment_method: 'pm_card_visa',
    invoice_settings: { default_payment_method: 'pm_card_visa' },
  });
  const pms = await t.stripe.customers.listPaymentMethods(cus.id);
  assert.equal(pms.data.length, 1);
  assert.equal(cus.invoice_settings.default_payment_method, pms.data[0]!.id);

  const loose = await t.stripe.paymentMethods.create({ type: 'card', card: { token: 'tok_mastercard' } });
  const err = await stripeError(
    t.stripe.customers.update(cus.id, { invoice_settings: { default_payment_method: loose.id } }),
  );
  assert.equal(err.statusCode, 400);
  assert.equal(err.param, 'invoice_settings[default_payment_method]');
  const none = await stripeError(
    t.stripe.customers.update(cus.id, { invoice_settings: { default_payment_method: 'pm_nope' } }),
  );
  assert.equal(none.statusCode, 400);

  await t.stripe.paymentMethods.attach(loose.id, { customer: cus.id });
  const up = await t.stripe.customers.update(cus.id, {
    invoice_settings: { default_payment_method: loose.id },
    expand: ['invoice_settings.default_payment_method'],
  });
  const expanded = up.invoice_settings.default_payment_method as Stripe.PaymentMethod;
  assert.equal(expanded.id, loose.id);
  assert.equal(expanded.card?.brand, 'mastercard');
  const pmWithCustomer = await t.stripe.paymentMethods.retrieve(loose.id, { expand: ['customer'] });
  assert.equal((pmWithCustomer.customer as Stripe.Customer).id, cus.id);

  await t.stripe.paymentMethods.detach(loose.id);
  const after = await t.stripe.customers.retrieve(cus.id);
  assert.equal((after as Stripe.Customer).invoice_settings.default_payment_method, null);

  const bad = await stripeError(t.stripe.customers.create({ payment_method: 'pm_card_chargeDeclined' }));
  assert.equal(bad.statusCode, 402);
});
