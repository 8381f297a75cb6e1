import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
  // Frozen, so that settlements and decisions come only when a test moves the clock.
  const res = await fetch(`${t.emu.url}/_emulator/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ set: Math.floor(Date.now() / 1000) }),
  });
  assert.equal(res.status, 200);
});
after(() => t.emu.close());

const MANDATE = {
  customer_acceptance: {
    type: 'online' as const,
    online: { ip_address: '203.0.113.7', user_agent: 'test-agent' },
  },
};

async function advanceEmulatorClock(seconds: number): Promise<void> {
  const res = await fetch(`${t.emu.url}/_emulator/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ advance: seconds }),
  });
  assert.equal(res.status, 200);
}

/** Event types about `id` (as `data.object.id`), oldest first. */
async function eventsOf(id: string): Promise<string[]> {
  const list = await t.stripe.events.list({ limit: 100 });
  return list.data
    .filter((e) => (e.data.object as { id?: string }).id === id)
    .reverse()
    .map((e) => e.type);
}

function sepa(iban: string, extra: Partial<Stripe.PaymentMethodCreateParams> = {}) {
  return t.stripe.paymentMethods.create({
    type: 'sepa_debit',
    sepa_debit: { iban },
    billing_details: { name: 'Jenny Rosen', email: 'jenny@example.com' },
    ...extra,
  });
}

function ach(account_number: string) {
  return t.stripe.paymentMethods.create({
    type: 'us_bank_account',
    us_bank_account: { routing_number: '110000000', account_number, account_holder_type: 'individual' },
    billing_details: { name: 'Jenny Rosen' },
  });
}

async function debit(
  pm: string,
  currency: 'eur' | 'usd',
  extra: Partial<Stripe.PaymentIntentCreateParams> = {},
) {
  return t.stripe.paymentIntents.create({
    amount: 2000,
    currency,
    payment_method: pm,
    allowed_payment_method_types: [currency === 'eur' ? 'sepa_debit' : 'us_bank_account'],
    confirm: true,
    mandate_data: MANDATE,
    ...extra,
  });
}

test('sepa_debit and us_bank_account payment methods, with Stripe’s required fields', async () => {
  const pm = await sepa('DE89 3704 0044 0532 0130 00');
  assert.equal(pm.type, 'sepa_debit');
  assert.deepEqual(
    [pm.sepa_debit?.country, pm.sepa_debit?.last4, pm.sepa_debit?.bank_code],
    ['DE', '3000', '37040044'],
  );
  assert.ok(pm.sepa_debit?.fingerprint);

  const noEmail = await stripeError(
    t.stripe.paymentMethods.create({
      type: 'sepa_debit',
      sepa_debit: { iban: 'DE89370400440532013000' },
      billing_details: { name: 'Jenny Rosen' },
    }),
  );
  assert.deepEqual(
    [noEmail.statusCode, noEmail.code, noEmail.param],
    [400, 'parameter_missing', 'billing_details[email]'],
  );
  const badIban = await stripeError(sepa('DE00370400440532013000'));
  assert.deepEqual([badIban.statusCode, badIban.param], [400, 'sepa_debit[iban]']);
  const noIban = await stripeError(t.stripe.paymentMethods.create({ type: 'sepa_debit' }));
  assert.deepEqual([noIban.code, noIban.param], ['parameter_missing', 'sepa_debit']);

  const us = await ach('000123456789');
  assert.equal(us.type, 'us_bank_account');
  assert.deepEqual(
    [us.us_bank_account?.routing_number, us.us_bank_account?.last4, us.us_bank_account?.account_type],
    ['110000000', '6789', 'checking'],
  );
  const badRouting = await stripeError(
    t.stripe.paymentMethods.create({
      type: 'us_bank_account',
      us_bank_account: { routing_number: '110000001', account_number: '000123456789' },
      billing_details: { name: 'Jenny Rosen' },
    }),
  );
  assert.deepEqual([badRouting.statusCode, badRouting.param], [400, 'us_bank_account[routing_number]']);
  // Stripe takes an ACH account without billing details (the Stripe CLI's charge.pending fixture does).
  const bare = await t.stripe.paymentMethods.create({
    type: 'us_bank_account',
    us_bank_account: { routing_number: '110000000', account_number: '000123456789' },
  });
  const noMandate = await t.stripe.paymentIntents.create({
    amount: 2000,
    currency: 'usd',
    payment_method: bare.id,
    allowed_payment_method_types: ['us_bank_account'],
    confirm: true,
  });
  assert.equal(noMandate.status, 'processing', 'an ACH debit needs no mandate_data');
  const bareCharge = await t.stripe.charges.retrieve(String(noMandate.latest_charge));
  const implied = await t.stripe.mandates.retrieve(
    String(bareCharge.payment_method_details?.us_bank_account?.mandate),
  );
  assert.deepEqual([implied.customer_acceptance.type, implied.type], ['offline', 'single_use']);
  const listed = await t.stripe.paymentMethods.list({ type: 'us_bank_account' });
  assert.ok(listed.data.some((m) => m.id === us.id));
  assert.ok(!listed.data.some((m) => m.id === pm.id));
});

test('SEPA DE89…3000: processing with a pending charge and a mandate, then succeeded on the clock', async () => {
  const customer = await t.stripe.customers.create({ email: 'jenny@example.com' });
  const pm = await sepa('DE89370400440532013000');
  const pi = await debit(pm.id, 'eur', { customer: customer.id });
  assert.equal(pi.status, 'processing');
  const pending = await t.stripe.charges.retrieve(String(pi.latest_charge));
  assert.match(pending.id, /^py_/);
  assert.deepEqual([pending.status, pending.paid, pending.balance_transaction], ['pending', false, null]);
  const mandateId = String(pending.payment_method_details?.sepa_debit?.mandate);
  const mandate = await t.stripe.mandates.retrieve(mandateId);
  assert.deepEqual(
    [mandate.status, mandate.type, mandate.payment_method, mandate.customer_acceptance.online?.ip_address],
    ['active', 'single_use', pm.id, '203.0.113.7'],
  );
  assert.deepEqual(await eventsOf(pi.id), ['payment_intent.created', 'payment_intent.processing']);
  assert.deepEqual(await eventsOf(pending.id), ['charge.pending']);

  await advanceEmulatorClock(2);
  assert.equal((await t.stripe.paymentIntents.retrieve(pi.id)).status, 'processing');
  await advanceEmulatorClock(1);
  const done = await t.stripe.paymentIntents.retrieve(pi.id);
  assert.deepEqual([done.status, done.amount_received], ['succeeded', 2000]);
  const ch = await t.stripe.charges.retrieve(pending.id, { expand: ['balance_transaction'] });
  assert.deepEqual([ch.status, ch.paid], ['succeeded', true]);
  const bt = ch.balance_transaction as Stripe.BalanceTransaction;
  assert.deepEqual([bt.amount, bt.fee, bt.net], [2000, 16, 1984]);
  assert.deepEqual(await eventsOf(pi.id), [
    'payment_intent.created',
    'payment_intent.processing',
    'payment_intent.succeeded',
  ]);
  assert.deepEqual(await eventsOf(pending.id), ['charge.pending', 'charge.succeeded']);
});

test('SEPA failing, delayed and disputed IBANs; pm_failed_at', async () => {
  const failed = await debit((await sepa('DE62370400440532013001')).id, 'eur');
  const delayed = await debit((await sepa('DE08370400440532013003')).id, 'eur');
  const disputed = await debit((await sepa('DE35370400440532013002')).id, 'eur');
  const named = await debit('pm_failedDelayed_at', 'eur');
  await advanceEmulatorClock(61);
  const f = await t.stripe.paymentIntents.retrieve(failed.id);
  assert.equal(f.status, 'requires_payment_method');
  assert.deepEqual(
    [f.last_payment_error?.code, f.last_payment_error?.payment_method?.type],
    ['insufficient_funds', 'sepa_debit'],
  );
  assert.equal(f.payment_method, null);
  const fch = await t.stripe.charges.retrieve(String(failed.latest_charge));
  assert.deepEqual([fch.status, fch.failure_code], ['failed', 'insufficient_funds']);
  assert.deepEqual((await eventsOf(failed.id)).slice(-1), ['payment_intent.payment_failed']);
  assert.deepEqual(await eventsOf(fch.id), ['charge.pending', 'charge.failed']);

  assert.equal((await t.stripe.paymentIntents.retrieve(delayed.id)).status, 'processing', 'three minutes');
  assert.equal((await t.stripe.paymentIntents.retrieve(named.id)).status, 'processing');
  const ds = await t.stripe.disputes.list({ payment_intent: disputed.id });
  assert.equal((await t.stripe.paymentIntents.retrieve(disputed.id)).status, 'succeeded');
  assert.equal(ds.data.length, 1);
  assert.deepEqual([ds.data[0]!.reason, ds.data[0]!.status], ['debit_not_authorized', 'lost']);

  await advanceEmulatorClock(120);
  assert.equal((await t.stripe.paymentIntents.retrieve(delayed.id)).status, 'succeeded');
  assert.equal((await t.stripe.paymentIntents.retrieve(named.id)).status, 'requires_payment_method');
});

test('mandates, currencies and payment method types are checked as Stripe does', async () => {
  const pm = await sepa('DE89370400440532013000');
  const noMandate = await stripeError(
    t.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'eur',
      payment_method: pm.id,
      allowed_payment_method_types: ['sepa_debit'],
      confirm: true,
    }),
  );
  assert.deepEqual([noMandate.statusCode, noMandate.param], [400, 'mandate_data']);
  assert.match(noMandate.message, /requires a mandate/);
  const usd = await stripeError(
    t.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      allowed_payment_method_types: ['sepa_debit'],
    }),
  );
  assert.deepEqual([usd.statusCode, usd.param], [400, 'allowed_payment_method_types']);
  assert.match(usd.message, /sepa_debit only supports the following currencies: eur/);
  const cardOnly = await stripeError(
    t.stripe.paymentIntents.create({
      amount: 1000,
      currency: 'eur',
      payment_method: pm.id,
      allowed_payment_method_types: ['card'],
    }),
  );
  assert.deepEqual(
    [cardOnly.code, cardOnly.param],
    ['payment_intent_incompatible_payment_method', 'payment_method'],
  );
  const noOnline = await stripeError(
    debit(pm.id, 'eur', { mandate_data: { customer_acceptance: { type: 'online' } } }),
  );
  assert.deepEqual(
    [noOnline.code, noOnline.param],
    ['parameter_missing', 'mandate_data[customer_acceptance][online]'],
  );
});

test('setup_future_usage saves the payment method with a multi-use mandate; the next debit reuses it', async () => {
  const customer = await t.stripe.customers.create({ email: 'saver@example.com' });
  const pm = await sepa('AT611904300234573201');
  const first = await debit(pm.id, 'eur', { customer: customer.id, setup_future_usage: 'off_session' });
  assert.equal((await t.stripe.paymentMethods.retrieve(pm.id)).customer, customer.id);
  const ch = await t.stripe.charges.retrieve(String(first.latest_charge));
  const mandate = await t.stripe.mandates.retrieve(String(ch.payment_method_details?.sepa_debit?.mandate));
  assert.equal(mandate.type, 'multi_use');
  const again = await t.stripe.paymentIntents.create({
    amount: 500,
    currency: 'eur',
    customer: customer.id,
    payment_method: pm.id,
    allowed_payment_method_types: ['sepa_debit'],
    confirm: true,
    off_session: true,
  });
  assert.equal(again.status, 'processing');
  const ch2 = await t.stripe.charges.retrieve(String(again.latest_charge));
  assert.equal(ch2.payment_method_details?.sepa_debit?.mandate, mandate.id);
});

test('ACH: 000123456789 succeeds and 000111111113 fails (account closed) on the customer’s test clock', async () => {
  const T0 = Math.floor(Date.UTC(2031, 5, 1, 9) / 1000);
  const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: T0 });
  const customer = await t.stripe.customers.create({ test_clock: clock.id });
  const ok = await debit((await ach('000123456789')).id, 'usd', { customer: customer.id });
  const closed = await debit((await ach('000111111113')).id, 'usd', { customer: customer.id });
  assert.equal(ok.status, 'processing');
  const okCharge = await t.stripe.charges.retrieve(String(ok.latest_charge));
  assert.equal(okCharge.payment_method_details?.us_bank_account?.routing_number, '110000000');
  await advanceEmulatorClock(3600);
  assert.equal(
    (await t.stripe.paymentIntents.retrieve(ok.id)).status,
    'processing',
    'the test clock has not moved',
  );
  await t.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: T0 + 120 });
  assert.equal((await t.stripe.paymentIntents.retrieve(ok.id)).status, 'succeeded');
  const c = await t.stripe.paymentIntents.retrieve(closed.id);
  assert.deepEqual([c.status, c.last_payment_error?.code], ['requires_payment_method', 'account_closed']);
  const succeeded = (await t.stripe.events.list({ type: 'payment_intent.succeeded', limit: 10 })).data.find(
    (e) => (e.data.object as { id: string }).id === ok.id,
  );
  assert.equal(succeeded?.created, T0 + 3);
});

test('Checkout: completed unpaid, then async_payment_succeeded or async_payment_failed', async () => {
  async function session() {
    return t.stripe.checkout.sessions.create({
      mode: 'payment',
      allowed_payment_method_types: ['sepa_debit'],
      line_items: [
        { price_data: { currency: 'eur', unit_amount: 4200, product_data: { name: 'Kelp' } }, quantity: 1 },
      ],
      success_url: 'https://shop.example/ok',
    });
  }
  async function pay(id: string, pm: string): Promise<void> {
    const res = await t.raw(
      'POST',
      `/v1/payment_pages/${id}/confirm`,
      new URLSearchParams({ payment_method: pm, expected_amount: '4200' }).toString(),
    );
    assert.equal(res.status, 200, await res.clone().text());
  }
  const good = await session();
  assert.deepEqual(good.payment_method_types, ['sepa_debit']);
  await pay(good.id, (await sepa('DE89370400440532013000')).id);
  const bad = await session();
  await pay(bad.id, (await sepa('DE62370400440532013001')).id);
  const completed = await t.stripe.checkout.sessions.retrieve(good.id);
  assert.deepEqual([completed.status, completed.payment_status], ['complete', 'unpaid']);
  assert.equal(
    (await t.stripe.paymentIntents.retrieve(String(completed.payment_intent))).status,
    'processing',
  );
  assert.deepEqual(await eventsOf(good.id), ['checkout.session.completed']);

  await advanceEmulatorClock(61);
  assert.equal((await t.stripe.checkout.sessions.retrieve(good.id)).payment_status, 'paid');
  assert.deepEqual(await eventsOf(good.id), [
    'checkout.session.completed',
    'checkout.session.async_payment_succeeded',
  ]);
  const failed = await t.stripe.checkout.sessions.retrieve(bad.id);
  assert.deepEqual([failed.status, failed.payment_status], ['complete', 'unpaid']);
  assert.deepEqual(await eventsOf(bad.id), [
    'checkout.session.completed',
    'checkout.session.async_payment_failed',
  ]);

  const cardSession = await t.stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [
      { price_data: { currency: 'eur', unit_amount: 4200, product_data: { name: 'Kelp' } }, quantity: 1 },
    ],
    success_url: 'https://shop.example/ok',
  });
  const refused = await t.raw(
    'POST',
    `/v1/payment_pages/${cardSession.id}/confirm`,
    new URLSearchParams({
      payment_method: (await sepa('DE89370400440532013000')).id,
      expected_amount: '4200',
    }).toString(),
  );
  assert.equal(refused.status, 400);
  // A card on a session offering only SEPA (as the Stripe CLI's async_payment_succeeded fixture pays).
  const cardOnSepa = await session();
  await pay(cardOnSepa.id, 'pm_card_visa');
  const cs = await t.stripe.checkout.sessions.retrieve(cardOnSepa.id);
  assert.deepEqual([cs.status, cs.payment_status], ['complete', 'paid']);
  assert.deepEqual(await eventsOf(cardOnSepa.id), [
    'checkout.session.completed',
    'checkout.session.async_payment_succeeded',
  ]);
  const usdSepa = await stripeError(
    t.stripe.checkout.sessions.create({
      mode: 'payment',
      allowed_payment_method_types: ['sepa_debit'],
      line_items: [
        { price_data: { currency: 'usd', unit_amount: 100, product_data: { name: 'x' } }, quantity: 1 },
      ],
      success_url: 'https://shop.example/ok',
    }),
  );
  assert.deepEqual([usdSepa.statusCode, usdSepa.param], [400, 'allowed_payment_method_types[0]']);
});

test('on the real-time clock a debit settles by itself: the webhook arrives with no request to prompt it', {
  timeout: 20_000,
}, async () => {
  const live = await testEmulator();
  const got: string[] = [];
  let notify: () => void = () => {};
  const sink = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      got.push((JSON.parse(body) as { type: string }).type);
      res.end('ok');
      notify();
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  try {
    const port = (sink.address() as AddressInfo).port;
    await live.stripe.webhookEndpoints.create({
      url: `http://127.0.0.1:${port}/hook`,
      enabled_events: ['payment_intent.succeeded', 'checkout.session.async_payment_succeeded'],
    });
    // The Stripe CLI's fixtures still name the types `payment_method_types`.
    const res = await live.raw(
      'POST',
      '/v1/checkout/sessions',
      new URLSearchParams({
        mode: 'payment',
        'payment_method_types[0]': 'sepa_debit',
        'line_items[0][price_data][currency]': 'eur',
        'line_items[0][price_data][unit_amount]': '1500',
        'line_items[0][price_data][product_data][name]': 'Kelp',
        'line_items[0][quantity]': '1',
        success_url: 'https://shop.example/ok',
      }).toString(),
    );
    assert.equal(res.status, 200);
    const s = (await res.json()) as { id: string };
    const confirm = await live.raw(
      'POST',
      `/v1/payment_pages/${s.id}/confirm`,
      new URLSearchParams({ payment_method: 'pm_success_de', expected_amount: '1500' }).toString(),
    );
    assert.equal(confirm.status, 200);
    await new Promise<void>((resolve) => {
      notify = () => {
        if (got.length >= 2) resolve();
      };
      notify();
    });
    assert.deepEqual(got, ['payment_intent.succeeded', 'checkout.session.async_payment_succeeded']);
  } finally {
    sink.close();
    await live.emu.close();
  }
});

test('a subscription paid by SEPA: its invoice is paid when the debit settles, at creation and at renewal', async () => {
  const customer = await t.stripe.customers.create({ email: 'sub@example.com' });
  const pm = await sepa('BE62510007547061');
  await debit(pm.id, 'eur', { customer: customer.id, setup_future_usage: 'off_session', amount: 100 });
  const price = await t.stripe.prices.create({
    currency: 'eur',
    unit_amount: 1000,
    recurring: { interval: 'month' },
    product_data: { name: 'Plan' },
  });
  const sub = await t.stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: price.id }],
    default_payment_method: pm.id,
    expand: ['latest_invoice.payments'],
  });
  const first = sub.latest_invoice as Stripe.Invoice;
  assert.deepEqual([sub.status, first.status], ['incomplete', 'open'], 'the debit is processing');
  await advanceEmulatorClock(3);
  const paid = await t.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
  assert.deepEqual([paid.status, (paid.latest_invoice as Stripe.Invoice).status], ['active', 'paid']);
  await advanceEmulatorClock(32 * 86_400);
  const renewed = await t.stripe.subscriptions.retrieve(sub.id, { expand: ['latest_invoice'] });
  const second = renewed.latest_invoice as Stripe.Invoice;
  assert.notEqual(second.id, first.id);
  assert.equal(second.status, 'paid', 'charged an hour after the renewal, settled 3 s later');
  const charges = await t.stripe.charges.list({ customer: customer.id });
  assert.deepEqual(
    charges.data.map((c) => [c.payment_method_details?.type, c.status, c.amount]),
    [
      ['sepa_debit', 'succeeded', 1000],
      ['sepa_debit', 'succeeded', 1000],
      ['sepa_debit', 'succeeded', 100],
    ],
  );
});

test('SetupIntent with sepa_debit: mandate required, then succeeded with a multi-use mandate; Checkout setup mode', async () => {
  const customer = await t.stripe.customers.create({ email: 'setup@example.com' });
  const pm = await sepa('NL39RABO0300065264');
  const si = await t.stripe.setupIntents.create({
    customer: customer.id,
    payment_method: pm.id,
    allowed_payment_method_types: ['sepa_debit'],
  });
  const noMandate = await stripeError(t.stripe.setupIntents.confirm(si.id));
  assert.deepEqual([noMandate.statusCode, noMandate.param], [400, 'mandate_data']);
  const done = await t.stripe.setupIntents.confirm(si.id, { mandate_data: MANDATE });
  assert.equal(done.status, 'succeeded');
  const mandate = await t.stripe.mandates.retrieve(String(done.mandate));
  assert.deepEqual([mandate.type, mandate.status, mandate.payment_method], ['multi_use', 'active', pm.id]);
  assert.equal((await t.stripe.paymentMethods.retrieve(pm.id)).customer, customer.id);
  const offSession = await t.stripe.paymentIntents.create({
    amount: 700,
    currency: 'eur',
    customer: customer.id,
    payment_method: pm.id,
    allowed_payment_method_types: ['sepa_debit'],
    confirm: true,
    off_session: true,
  });
  assert.equal(offSession.status, 'processing');
  const cardOnly = await t.stripe.setupIntents.create({
    payment_method: (await sepa('NL39RABO0300065264')).id,
    allowed_payment_method_types: ['card'],
  });
  const refused = await stripeError(t.stripe.setupIntents.confirm(cardOnly.id, { mandate_data: MANDATE }));
  assert.deepEqual([refused.statusCode, refused.param], [400, 'payment_method']);

  // ACH: Stripe records the mandate itself when none is given (the CLI's mandate.updated fixture).
  const achSetup = await t.stripe.setupIntents.create({
    customer: customer.id,
    payment_method: (await ach('000123456789')).id,
    allowed_payment_method_types: ['us_bank_account'],
    confirm: true,
  });
  assert.equal(achSetup.status, 'succeeded');
  const achMandate = await t.stripe.mandates.retrieve(String(achSetup.mandate));
  assert.deepEqual([achMandate.type, achMandate.customer_acceptance.type], ['multi_use', 'offline']);

  const session = await t.stripe.checkout.sessions.create({
    mode: 'setup',
    currency: 'eur',
    allowed_payment_method_types: ['sepa_debit'],
    success_url: 'https://shop.example/ok',
  });
  const res = await t.raw(
    'POST',
    `/v1/payment_pages/${session.id}/confirm`,
    new URLSearchParams({ payment_method: (await sepa('DE89370400440532013000')).id }).toString(),
  );
  assert.equal(res.status, 200, await res.clone().text());
  const complete = await t.stripe.checkout.sessions.retrieve(session.id, { expand: ['setup_intent'] });
  assert.deepEqual([complete.status, complete.payment_status], ['complete', 'no_payment_required']);
  const setup = complete.setup_intent as Stripe.SetupIntent;
  assert.equal(setup.status, 'succeeded');
  assert.ok(setup.mandate);
});
