import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Stripe from 'stripe';
import {
  eventMark,
  eventsSince as eventsSinceOf,
  stripeError,
  type TestEmulator,
  testEmulator,
} from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

const mark = () => eventMark(t.stripe);
const eventsSince = (since: string) => eventsSinceOf(t.stripe, since);

test('a charge from tok_visa succeeds: card source, captured, balance transaction, charge.succeeded', async () => {
  const since = await mark();
  const ch = await t.stripe.charges.create({
    amount: 2000,
    currency: 'usd',
    source: 'tok_visa',
    description: 'legacy order 1',
    metadata: { order: '1' },
  });
  assert.match(ch.id, /^ch_/);
  assert.equal(ch.status, 'succeeded');
  assert.equal(ch.paid, true);
  assert.equal(ch.captured, true);
  assert.equal(ch.amount_captured, 2000);
  assert.equal(ch.payment_intent, null);
  assert.equal(ch.description, 'legacy order 1');
  assert.deepEqual(ch.metadata, { order: '1' });
  const source = ch.source as Stripe.Card;
  assert.equal(source.object, 'card');
  assert.match(source.id, /^card_/);
  assert.equal(source.brand, 'Visa');
  assert.equal(source.last4, '4242');
  assert.equal(ch.payment_method, source.id);
  assert.equal(ch.payment_method_details?.card?.last4, '4242');
  assert.equal(ch.payment_method_details?.card?.brand, 'visa');
  assert.equal(typeof ch.balance_transaction, 'string');
  const events = await eventsSince(since);
  assert.deepEqual(
    events.map((e) => e.type),
    ['charge.succeeded'],
  );
  assert.equal((events[0]!.data.object as Stripe.Charge).id, ch.id);
  // Each use of a test token is a new card.
  const again = await t.stripe.charges.create({ amount: 500, currency: 'usd', source: 'tok_visa' });
  assert.notEqual((again.source as Stripe.Card).id, source.id);
  assert.equal((again.source as Stripe.Card).fingerprint, source.fingerprint);
});

test('declines answer 402 card_error with the charge, and leave a failed charge with charge.failed', async () => {
  const cases = [
    ['tok_chargeDeclined', 'card_declined', 'generic_decline', 'Your card was declined.'],
    [
      'tok_chargeDeclinedInsufficientFunds',
      'card_declined',
      'insufficient_funds',
      'Your card has insufficient funds.',
    ],
    ['tok_chargeDeclinedExpiredCard', 'expired_card', 'expired_card', 'Your card has expired.'],
    [
      'tok_chargeDeclinedIncorrectCvc',
      'incorrect_cvc',
      'incorrect_cvc',
      "Your card's security code is incorrect.",
    ],
    [
      'tok_chargeDeclinedProcessingError',
      'processing_error',
      'processing_error',
      'An error occurred while processing your card. Try again in a little bit.',
    ],
  ] as const;
  for (const [token, code, declineCode, message] of cases) {
    const since = await mark();
    const err = await stripeError(t.stripe.charges.create({ amount: 1500, currency: 'usd', source: token }));
    assert.ok(err instanceof Stripe.errors.StripeCardError, token);
    assert.equal(err.statusCode, 402, token);
    assert.equal(err.type, 'StripeCardError', token);
    assert.equal(err.code, code, token);
    assert.equal(err.decline_code, declineCode, token);
    assert.equal(err.message, message, token);
    const chargeId = (err.raw as { charge?: string }).charge;
    assert.match(String(chargeId), /^ch_/, token);
    const ch = await t.stripe.charges.retrieve(String(chargeId));
    assert.equal(ch.status, 'failed');
    assert.equal(ch.paid, false);
    assert.equal(ch.captured, false);
    assert.equal(ch.failure_code, code);
    assert.equal(ch.failure_message, message);
    assert.equal(ch.outcome?.reason, declineCode);
    const events = await eventsSince(since);
    assert.deepEqual(
      events.map((e) => e.type),
      ['charge.failed'],
      token,
    );
  }
  const expired = await stripeError(
    t.stripe.charges.create({ amount: 1500, currency: 'usd', source: 'tok_chargeDeclinedExpiredCard' }),
  );
  assert.equal(expired.param, 'exp_month');
});

test('bad charge requests: Stripe statuses, codes, params and messages', async () => {
  let err = await stripeError(t.stripe.charges.create({ amount: 1000, currency: 'usd' }));
  assert.equal(err.statusCode, 400);
  assert.equal(err.code, 'parameter_missing');
  assert.equal(err.message, 'Must provide source or customer.');

  err = await stripeError(t.stripe.charges.create({ amount: 1000, currency: 'usd', source: 'tok_nope' }));
  assert.equal(err.statusCode, 400);
  assert.equal(err.code, 'resource_missing');
  assert.equal(err.param, 'source');
  assert.equal(err.message, "No such token: 'tok_nope'");

  err = await stripeError(t.stripe.charges.create({ currency: 'usd', source: 'tok_visa' } as never));
  assert.equal(err.code, 'parameter_missing');
  assert.equal(err.param, 'amount');

  err = await stripeError(t.stripe.charges.create({ amount: 10, currency: 'usd', source: 'tok_visa' }));
  assert.equal(err.code, 'amount_too_small');
  assert.equal(err.param, 'amount');
  assert.equal(err.message, 'Amount must be at least $0.50 usd');

  err = await stripeError(t.stripe.charges.create({ amount: 1000, currency: 'usd', customer: 'cus_nope' }));
  assert.equal(err.code, 'resource_missing');
  assert.equal(err.param, 'customer');
  assert.equal(err.message, "No such customer: 'cus_nope'");

  const bare = await t.stripe.customers.create({ email: 'no-card@example.com' });
  err = await stripeError(t.stripe.charges.create({ amount: 1000, currency: 'usd', customer: bare.id }));
  assert.equal(err.statusCode, 402);
  assert.equal(err.type, 'StripeCardError');
  assert.equal(err.code, 'missing');
  assert.equal(err.param, 'card');
  assert.equal(
    err.message,
    "This Customer doesn't have any saved payment details. Attach a legacy Token, Card, Bank Account, or " +
      'Source to this Customer and then try this request again, or use Payment Intents and Payment Methods instead.',
  );
  const modern = await t.stripe.customers.create({ payment_method: 'pm_card_visa' });
  err = await stripeError(t.stripe.charges.create({ amount: 1000, currency: 'usd', customer: modern.id }));
  assert.equal(err.statusCode, 402);
  assert.equal(err.code, 'missing');
  assert.equal(err.param, 'card');
  assert.match(
    err.message,
    /^This Customer doesn't have any legacy saved payment details, but does have a Payment Method attached\./,
  );

  err = await stripeError(
    t.stripe.charges.create({ amount: 1000, currency: 'usd', customer: bare.id, source: 'tok_visa' }),
  );
  assert.equal(err.statusCode, 400);
  assert.equal(err.code, 'missing');
  assert.equal(err.param, 'source');
  assert.equal(err.message, `Customer ${bare.id} does not have a linked source with ID tok_visa.`);

  const res = await t.raw('POST', '/v1/charges', 'amount=1000&currency=usd&source=tok_visa&colour=red');
  assert.equal(res.status, 400);
  const body = (await res.json()) as { error: { code: string; param: string } };
  assert.equal(body.error.code, 'parameter_unknown');
  assert.equal(body.error.param, 'colour');
});

test("a customer's default source: created with source, charged by customer, events in order", async () => {
  let since = await mark();
  const cus = await t.stripe.customers.create({ email: 'legacy@example.com', source: 'tok_mastercard' });
  assert.match(String(cus.default_source), /^card_/);
  let events = await eventsSince(since);
  assert.deepEqual(
    events.map((e) => e.type),
    ['customer.created', 'customer.source.created'],
  );
  const card = events[1]!.data.object as Stripe.Card;
  assert.equal(card.id, cus.default_source);
  assert.equal(card.customer, cus.id);
  assert.equal(card.brand, 'MasterCard');

  since = await mark();
  const ch = await t.stripe.charges.create({ amount: 4200, currency: 'usd', customer: cus.id });
  assert.equal(ch.customer, cus.id);
  assert.equal((ch.source as Stripe.Card).id, cus.default_source);
  assert.equal(ch.payment_method, cus.default_source);
  events = await eventsSince(since);
  assert.deepEqual(
    events.map((e) => e.type),
    ['charge.succeeded'],
  );

  // A named source of the customer's, and the expanded default source.
  const byId = await t.stripe.charges.create({
    amount: 1000,
    currency: 'usd',
    customer: cus.id,
    source: String(cus.default_source),
  });
  assert.equal(byId.status, 'succeeded');
  const expanded = (await t.stripe.customers.retrieve(cus.id, {
    expand: ['default_source', 'sources'],
  })) as Stripe.Customer;
  assert.equal((expanded.default_source as Stripe.Card).last4, '4444');
  assert.deepEqual(
    expanded.sources?.data.map((s) => s.id),
    [cus.default_source],
  );
  // `source` on update: the new card becomes the default, the old default is deleted.
  since = await mark();
  const replaced = await t.stripe.customers.update(cus.id, { source: 'tok_amex' });
  assert.notEqual(replaced.default_source, cus.default_source);
  events = await eventsSince(since);
  assert.deepEqual(
    events.map((e) => e.type),
    ['customer.source.created', 'customer.source.deleted', 'customer.updated'],
  );
  assert.deepEqual(events[2]!.data.previous_attributes, { default_source: cus.default_source });
  const left = await t.stripe.customers.listSources(cus.id);
  assert.deepEqual(
    left.data.map((c) => c.id),
    [replaced.default_source],
  );
  const connect = await stripeError(
    t.stripe.charges.create({ amount: 1000, currency: 'usd', source: 'tok_visa', on_behalf_of: 'acct_1' }),
  );
  assert.equal(connect.param, 'on_behalf_of');
});

test('customer sources: add, list, retrieve, update, delete; a declining card is refused on attach', async () => {
  const cus = await t.stripe.customers.create({ email: 'sources@example.com' });
  let since = await mark();
  const first = (await t.stripe.customers.createSource(cus.id, { source: 'tok_visa' })) as Stripe.Card;
  assert.equal(first.customer, cus.id);
  let events = await eventsSince(since);
  assert.deepEqual(
    events.map((e) => e.type),
    ['customer.source.created', 'customer.updated'],
  );
  assert.deepEqual(events[1]!.data.previous_attributes, { default_source: null });
  const second = (await t.stripe.customers.createSource(cus.id, { source: 'tok_amex' })) as Stripe.Card;
  assert.equal(second.brand, 'American Express');
  assert.equal(((await t.stripe.customers.retrieve(cus.id)) as Stripe.Customer).default_source, first.id);

  const list = await t.stripe.customers.listSources(cus.id, { object: 'card', limit: 1 });
  assert.deepEqual(
    list.data.map((c) => c.id),
    [second.id],
  );
  assert.equal(list.has_more, true);
  const page2 = await t.stripe.customers.listSources(cus.id, { object: 'card', starting_after: second.id });
  assert.deepEqual(
    page2.data.map((c) => c.id),
    [first.id],
  );

  const updated = (await t.stripe.customers.updateSource(cus.id, first.id, {
    name: 'Jenny Rosen',
    metadata: { k: 'v' },
  })) as Stripe.Card;
  assert.equal(updated.name, 'Jenny Rosen');
  assert.deepEqual(updated.metadata, { k: 'v' });

  since = await mark();
  const deleted = await t.stripe.customers.deleteSource(cus.id, first.id);
  assert.deepEqual(deleted, { id: first.id, object: 'card', deleted: true });
  events = await eventsSince(since);
  assert.deepEqual(
    events.map((e) => e.type),
    ['customer.source.deleted', 'customer.updated'],
  );
  assert.equal(((await t.stripe.customers.retrieve(cus.id)) as Stripe.Customer).default_source, second.id);

  const missing = await stripeError(t.stripe.customers.retrieveSource(cus.id, first.id));
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.code, 'resource_missing');
  assert.equal(missing.message, `Customer ${cus.id} does not have a linked source with ID ${first.id}.`);

  const declined = await stripeError(
    t.stripe.customers.createSource(cus.id, { source: 'tok_chargeDeclined' }),
  );
  assert.equal(declined.statusCode, 402);
  assert.equal(declined.code, 'card_declined');
  assert.equal(declined.decline_code, 'generic_decline');

  // chargeCustomerFail attaches, then its charges fail.
  const failing = (await t.stripe.customers.createSource(cus.id, {
    source: 'tok_chargeCustomerFail',
  })) as Stripe.Card;
  const err = await stripeError(
    t.stripe.charges.create({ amount: 1000, currency: 'usd', customer: cus.id, source: failing.id }),
  );
  assert.equal(err.code, 'card_declined');
});

test('capture=false then capture: uncaptured, charge.captured, partial capture, state errors', async () => {
  const ch = await t.stripe.charges.create({
    amount: 5000,
    currency: 'usd',
    source: 'tok_visa',
    capture: false,
  });
  assert.equal(ch.status, 'succeeded');
  assert.equal(ch.captured, false);
  assert.equal(ch.amount_captured, 0);
  assert.equal(ch.balance_transaction, null);

  const since = await mark();
  const captured = await t.stripe.charges.capture(ch.id, { amount: 3000 });
  assert.equal(captured.captured, true);
  assert.equal(captured.amount_captured, 3000);
  // The released 2000 is not a refund (API version 2025-03-31 and later).
  assert.equal(captured.amount_refunded, 0);
  assert.equal(captured.refunded, false);
  assert.equal(typeof captured.balance_transaction, 'string');
  const events = await eventsSince(since);
  assert.deepEqual(
    events.map((e) => e.type),
    ['charge.captured'],
  );

  const twice = await stripeError(t.stripe.charges.capture(ch.id));
  assert.equal(twice.statusCode, 400);
  assert.equal(twice.code, 'charge_already_captured');
  assert.equal(twice.message, `Charge ${ch.id} has already been captured.`);

  const full = await t.stripe.charges.create({
    amount: 700,
    currency: 'eur',
    source: 'tok_visa',
    capture: false,
  });
  assert.equal((await t.stripe.charges.capture(full.id)).amount_captured, 700);

  const hold = await t.stripe.paymentIntents.create({
    amount: 2000,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    confirm: true,
    capture_method: 'manual',
    allowed_payment_method_types: ['card'],
  } as Stripe.PaymentIntentCreateParams);
  const viaIntent = await stripeError(t.stripe.charges.capture(String(hold.latest_charge)));
  assert.equal(viaIntent.statusCode, 400);
  assert.equal(
    viaIntent.message,
    `This uncaptured Charge was created by a PaymentIntent (${hold.id}). You must capture the PaymentIntent ` +
      'instead. For more information, see https://stripe.com/docs/payments/place-a-hold-on-a-payment-method',
  );

  const nothing = await stripeError(t.stripe.charges.capture('ch_nope'));
  assert.equal(nothing.statusCode, 404);
  assert.equal(nothing.code, 'resource_missing');
  assert.equal(nothing.message, "No such charge: 'ch_nope'");
});

test('partial capture releases the rest without a refund (charges and PaymentIntents); refunds stop at the captured amount', async () => {
  // Stripe's changelog 2025-03-31 (basil): partial capture and cancellation create no Refund, leave
  // amount_refunded and refunded alone, and send no charge.refunded; one balance transaction for the
  // captured amount.
  const legacy = await t.stripe.charges.create({
    amount: 5000,
    currency: 'usd',
    source: 'tok_visa',
    capture: false,
  });
  const hold = await t.stripe.paymentIntents.create({
    amount: 5000,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    confirm: true,
    capture_method: 'manual',
    allowed_payment_method_types: ['card'],
  } as Stripe.PaymentIntentCreateParams);
  const since = await mark();
  await t.stripe.charges.capture(legacy.id, { amount: 3000 });
  await t.stripe.paymentIntents.capture(hold.id, { amount_to_capture: 3000 });
  for (const id of [legacy.id, String(hold.latest_charge)]) {
    const ch = await t.stripe.charges.retrieve(id, { expand: ['refunds', 'balance_transaction'] });
    assert.equal(ch.amount, 5000);
    assert.equal(ch.amount_captured, 3000);
    assert.equal(ch.amount_refunded, 0);
    assert.equal(ch.refunded, false);
    assert.equal(ch.refunds?.data.length, 0);
    assert.equal((ch.balance_transaction as Stripe.BalanceTransaction).amount, 3000);
    assert.equal((await t.stripe.refunds.list({ charge: id })).data.length, 0);
    assert.equal((await t.stripe.balanceTransactions.list({ source: id })).data.length, 1);
  }
  const types: string[] = (await eventsSince(since)).map((e) => e.type);
  assert.ok(!types.includes('charge.refunded'), types.join(', '));
  assert.ok(!types.some((x) => x.startsWith('refund.')), types.join(', '));
  assert.equal(types.filter((x) => x === 'charge.captured').length, 2);

  // A refund takes back at most what was captured; refunding it all makes the charge refunded.
  const tooMuch = await stripeError(t.stripe.refunds.create({ charge: legacy.id, amount: 3001 }));
  assert.equal(tooMuch.statusCode, 400);
  assert.equal(tooMuch.param, 'amount');
  assert.equal(tooMuch.message, 'Refund amount (3001) is greater than unrefunded amount on charge (3000)');
  const all = await t.stripe.refunds.create({ payment_intent: hold.id });
  assert.equal(all.amount, 3000);
  const refunded = await t.stripe.charges.retrieve(String(hold.latest_charge));
  assert.equal(refunded.amount_refunded, 3000);
  assert.equal(refunded.refunded, true);

  // Canceling an uncaptured PaymentIntent releases it the same way.
  const released = await t.stripe.paymentIntents.create({
    amount: 1200,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    confirm: true,
    capture_method: 'manual',
    allowed_payment_method_types: ['card'],
  } as Stripe.PaymentIntentCreateParams);
  await t.stripe.paymentIntents.cancel(released.id);
  const ch = await t.stripe.charges.retrieve(String(released.latest_charge), { expand: ['refunds'] });
  assert.equal(ch.captured, false);
  assert.equal(ch.amount_captured, 0);
  assert.equal(ch.amount_refunded, 0);
  assert.equal(ch.refunded, false);
  assert.equal(ch.refunds?.data.length, 0);
});

test('GET /v1/charges filters by customer and created, and paginates', async () => {
  const cus = await t.stripe.customers.create({ source: 'tok_visa' });
  const a = await t.stripe.charges.create({ amount: 1100, currency: 'usd', customer: cus.id });
  const b = await t.stripe.charges.create({ amount: 1200, currency: 'usd', customer: cus.id });
  await t.stripe.charges.create({ amount: 1300, currency: 'usd', source: 'tok_visa' });
  const mine = await t.stripe.charges.list({ customer: cus.id });
  assert.deepEqual(
    mine.data.map((c) => c.id),
    [b.id, a.id],
  );
  const page = await t.stripe.charges.list({ customer: cus.id, limit: 1 });
  assert.equal(page.has_more, true);
  const all: string[] = [];
  for await (const c of t.stripe.charges.list({ customer: cus.id, limit: 1 })) all.push(c.id);
  assert.deepEqual(all, [b.id, a.id]);
  const created = await t.stripe.charges.list({ customer: cus.id, created: { gte: a.created } });
  assert.equal(created.data.length, 2);
  const none = await t.stripe.charges.list({ customer: cus.id, created: { lt: a.created } });
  assert.equal(none.data.length, 0);
});

test('POST /v1/tokens: a card token with the publishable key, used once; the secret key may not send numbers', async () => {
  const pk = t.client('pk_test_emulator');
  const year = new Date().getUTCFullYear() + 2;
  const tok = await pk.tokens.create({
    card: { number: '4000 0566 5566 5556', exp_month: '12', exp_year: String(year), cvc: '123', name: 'J R' },
  } as Stripe.TokenCreateParams);
  assert.match(tok.id, /^tok_/);
  assert.equal(tok.type, 'card');
  assert.equal(tok.used, false);
  assert.equal(tok.card?.last4, '5556');
  assert.equal(tok.card?.funding, 'debit');
  assert.equal(tok.card?.cvc_check, 'pass');
  assert.equal(tok.card?.exp_year, year);

  const ch = await t.stripe.charges.create({ amount: 900, currency: 'usd', source: tok.id });
  assert.equal((ch.source as Stripe.Card).id, tok.card?.id);
  assert.equal((await t.stripe.tokens.retrieve(tok.id)).used, true);
  const reuse = await stripeError(t.stripe.charges.create({ amount: 900, currency: 'usd', source: tok.id }));
  assert.equal(reuse.statusCode, 400);
  assert.equal(reuse.code, 'token_already_used');
  assert.equal(reuse.param, 'source');
  assert.equal(reuse.message, `You cannot use a Stripe token more than once: ${tok.id}.`);

  const raw = await stripeError(
    t.stripe.tokens.create({
      card: { number: '4242424242424242', exp_month: '12', exp_year: String(year), cvc: '123' },
    } as Stripe.TokenCreateParams),
  );
  assert.equal(raw.statusCode, 400);
  assert.equal(raw.type, 'StripeInvalidRequestError');
  assert.match(raw.message, /^Sending credit card numbers directly to the Stripe API is generally unsafe\./);

  const wrong = await stripeError(
    pk.tokens.create({
      card: { number: '4242424242424241', exp_month: '12', exp_year: String(year) },
    } as Stripe.TokenCreateParams),
  );
  assert.equal(wrong.statusCode, 402);
  assert.equal(wrong.code, 'incorrect_number');
  const past = await stripeError(
    pk.tokens.create({
      card: { number: '4242424242424242', exp_month: '12', exp_year: '2001' },
    } as Stripe.TokenCreateParams),
  );
  assert.equal(past.code, 'invalid_expiry_year');
  assert.equal(past.param, 'exp_year');

  // A token for a customer's default: saved with customers.createSource.
  const cus = await t.stripe.customers.create({});
  const tok2 = await pk.tokens.create({
    card: { number: '4000000000000341', exp_month: '1', exp_year: String(year) },
  } as Stripe.TokenCreateParams);
  const saved = (await t.stripe.customers.createSource(cus.id, { source: tok2.id })) as Stripe.Card;
  assert.equal(saved.id, tok2.card?.id);

  const pii = await stripeError(pk.tokens.create({ pii: { id_number: '000000000' } }));
  assert.equal(pii.statusCode, 400);
  assert.equal(pii.param, 'pii');

  const noToken = await stripeError(t.stripe.tokens.retrieve('tok_nope'));
  assert.equal(noToken.statusCode, 404);
  assert.equal(noToken.message, "No such token: 'tok_nope'");
});

test('refunds and disputes of legacy charges follow the test cards (tok_refundFail, tok_createDispute)', async () => {
  const ok = await t.stripe.charges.create({ amount: 3000, currency: 'usd', source: 'tok_visa' });
  const refund = await t.stripe.refunds.create({ charge: ok.id, amount: 1000 });
  assert.equal(refund.status, 'succeeded');
  assert.equal((await t.stripe.charges.retrieve(ok.id)).amount_refunded, 1000);

  const failing = await t.stripe.charges.create({ amount: 3000, currency: 'usd', source: 'tok_refundFail' });
  const failed = await t.stripe.refunds.create({ charge: failing.id });
  assert.equal((await t.stripe.refunds.retrieve(failed.id)).status, 'failed');

  const since = await mark();
  const disputed = await t.stripe.charges.create({
    amount: 4000,
    currency: 'usd',
    source: 'tok_createDispute',
  });
  const events = await eventsSince(since);
  assert.deepEqual(
    events.map((e) => e.type),
    ['charge.succeeded', 'charge.dispute.created', 'charge.dispute.funds_withdrawn'],
  );
  assert.equal((events[1]!.data.object as Stripe.Dispute).charge, disputed.id);
  assert.equal((await t.stripe.charges.retrieve(disputed.id)).disputed, true);
});

test('an account without card tokens on the Customers and Charges APIs answers Stripe end-of-life 400', async () => {
  const eol = await testEmulator({ cardTokensEndOfLife: true });
  try {
    const year = new Date().getUTCFullYear() + 2;
    const tok = await eol.client('pk_test_emulator').tokens.create({
      card: { number: '4242424242424242', exp_month: '12', exp_year: String(year) },
    } as Stripe.TokenCreateParams);
    assert.match(tok.id, /^tok_/, 'creating tokens still works');
    const attempts = [
      eol.stripe.charges.create({ amount: 1000, currency: 'usd', source: 'tok_visa' }),
      eol.stripe.charges.create({ amount: 1000, currency: 'usd', source: tok.id }),
      eol.stripe.customers.create({ source: 'tok_visa' }),
    ];
    for (const attempt of attempts) {
      const err = await stripeError(attempt);
      assert.equal(err.statusCode, 400);
      assert.equal(err.type, 'StripeInvalidRequestError');
      assert.match(
        err.message,
        /^Card Token usage on the Customers API and Charges API has reached end of life\. In order to continue processing your payments, you will need to use the Payment Intents and Payment Methods API\./,
      );
      assert.match(err.message, /https:\/\/dashboard\.stripe\.com\/settings\/developers\/api-policies$/);
    }
    assert.equal((await eol.stripe.customers.list()).data.length, 0, 'no customer was left behind');
    assert.equal((await eol.stripe.charges.list()).data.length, 0);
    const cus = await eol.stripe.customers.create({});
    const err = await stripeError(eol.stripe.customers.createSource(cus.id, { source: 'tok_visa' }));
    assert.equal(err.statusCode, 400);
    // A customer-named charge: no legacy details.
    const named = await stripeError(
      eol.stripe.charges.create({ amount: 1000, currency: 'usd', customer: cus.id }),
    );
    assert.equal(named.code, 'missing');
  } finally {
    await eol.emu.close();
  }
});
