import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type Stripe from 'stripe';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

// Stripe's testing page (docs.stripe.com/testing), written out here as the expectation: each row is
// a card number, its `pm_card_*` / `tok_*` name (null: number only), brand, funding, country, and what
// a payment with it does: `ok`, `3ds` (requires_action, then succeeds once authenticated),
// `decline:<code>/<decline_code>`, or `3ds+decline:…` (declined after authenticating).
type Row = [
  number: string,
  name: string | null,
  brand: string,
  funding: string,
  country: string,
  outcome: string,
];

const generic = 'decline:card_declined/generic_decline';
const blocked = 'decline:card_declined/fraudulent';
const ROWS: Row[] = [
  // By brand.
  ['4242424242424242', 'visa', 'visa', 'credit', 'US', 'ok'],
  ['4000056655665556', 'visa_debit', 'visa', 'debit', 'US', 'ok'],
  ['5555555555554444', 'mastercard', 'mastercard', 'credit', 'US', 'ok'],
  ['2223003122003222', null, 'mastercard', 'credit', 'US', 'ok'],
  ['5200828282828210', 'mastercard_debit', 'mastercard', 'debit', 'US', 'ok'],
  ['5105105105105100', 'mastercard_prepaid', 'mastercard', 'prepaid', 'US', 'ok'],
  ['378282246310005', 'amex', 'amex', 'credit', 'US', 'ok'],
  ['371449635398431', null, 'amex', 'credit', 'US', 'ok'],
  ['6011111111111117', 'discover', 'discover', 'credit', 'US', 'ok'],
  ['6011000990139424', null, 'discover', 'credit', 'US', 'ok'],
  ['6011981111111113', null, 'discover', 'debit', 'US', 'ok'],
  ['3056930009020004', 'diners', 'diners', 'credit', 'US', 'ok'],
  ['36227206271667', null, 'diners', 'credit', 'US', 'ok'],
  ['6555900000604105', null, 'discover', 'credit', 'KR', 'ok'],
  ['3566002020360505', 'jcb', 'jcb', 'credit', 'JP', 'ok'],
  ['6200000000000005', 'unionpay', 'unionpay', 'credit', 'CN', 'ok'],
  ['6200000000000047', null, 'unionpay', 'debit', 'CN', 'ok'],
  ['6205500000000000004', null, 'unionpay', 'credit', 'CN', 'ok'],
  ['4000002500001001', 'visa_cartesBancaires', 'visa', 'credit', 'FR', 'ok'],
  ['5555552500001001', 'mastercard_cartesBancaires', 'mastercard', 'credit', 'FR', 'ok'],
  ['4000050360000001', 'visa_debit_eftposAuCoBranded', 'visa', 'debit', 'AU', 'ok'],
  ['5555050360000080', 'mastercard_debit_eftposAuCoBranded', 'mastercard', 'debit', 'AU', 'ok'],
  // By country.
  ['4242424242424242', 'us', 'visa', 'credit', 'US', 'ok'],
  ['4000000320000021', 'ar', 'visa', 'credit', 'AR', 'ok'],
  ['4000000760000002', 'br', 'visa', 'credit', 'BR', 'ok'],
  ['4000001240000000', 'ca', 'visa', 'credit', 'CA', 'ok'],
  ['4000001520000001', 'cl', 'visa', 'credit', 'CL', 'ok'],
  ['4000001700000003', 'co', 'visa', 'credit', 'CO', 'ok'],
  ['4000001880000005', 'cr', 'visa', 'credit', 'CR', 'ok'],
  ['4000002180000000', 'ec', 'visa', 'credit', 'EC', 'ok'],
  ['4000004840008001', 'mx', 'visa', 'credit', 'MX', 'ok'],
  ['4000005910000000', 'pa', 'visa', 'credit', 'PA', 'ok'],
  ['4000006000000066', 'py', 'visa', 'credit', 'PY', 'ok'],
  ['4000006040000068', 'pe', 'visa', 'credit', 'PE', 'ok'],
  ['4000008580000003', 'uy', 'visa', 'credit', 'UY', 'ok'],
  ['4000007840000001', 'ae', 'visa', 'credit', 'AE', 'ok'],
  ['5200007840000022', 'ae_mastercard', 'mastercard', 'credit', 'AE', 'ok'],
  ['4000000400000008', 'at', 'visa', 'credit', 'AT', 'ok'],
  ['4000000560000004', 'be', 'visa', 'credit', 'BE', 'ok'],
  ['4000001000000000', 'bg', 'visa', 'credit', 'BG', 'ok'],
  ['4000001120000005', 'by', 'visa', 'credit', 'BY', 'ok'],
  ['4000001910000009', 'hr', 'visa', 'credit', 'HR', 'ok'],
  ['4000001960000008', 'cy', 'visa', 'credit', 'CY', 'ok'],
  ['4000002030000002', 'cz', 'visa', 'credit', 'CZ', 'ok'],
  ['4000002080000001', 'dk', 'visa', 'credit', 'DK', 'ok'],
  ['4000002330000009', 'ee', 'visa', 'credit', 'EE', 'ok'],
  ['4000002460000001', 'fi', 'visa', 'credit', 'FI', 'ok'],
  ['4000002500000003', 'fr', 'visa', 'credit', 'FR', 'ok'],
  ['4000002760000016', 'de', 'visa', 'credit', 'DE', 'ok'],
  ['4000002920000005', 'gi', 'visa', 'credit', 'GI', 'ok'],
  ['4000003000000030', 'gr', 'visa', 'credit', 'GR', 'ok'],
  ['4000003480000005', 'hu', 'visa', 'credit', 'HU', 'ok'],
  ['4000003720000005', 'ie', 'visa', 'credit', 'IE', 'ok'],
  ['4000003800000008', 'it', 'visa', 'credit', 'IT', 'ok'],
  ['4000004280000005', 'lv', 'visa', 'credit', 'LV', 'ok'],
  ['4000004380000004', 'li', 'visa', 'credit', 'LI', 'ok'],
  ['4000004400000000', 'lt', 'visa', 'credit', 'LT', 'ok'],
  ['4000004420000006', 'lu', 'visa', 'credit', 'LU', 'ok'],
  ['4000004700000007', 'mt', 'visa', 'credit', 'MT', 'ok'],
  ['4000005280000002', 'nl', 'visa', 'credit', 'NL', 'ok'],
  ['4000005780000007', 'no', 'visa', 'credit', 'NO', 'ok'],
  ['4000006160000005', 'pl', 'visa', 'credit', 'PL', 'ok'],
  ['4000006200000007', 'pt', 'visa', 'credit', 'PT', 'ok'],
  ['4000006420000001', 'ro', 'visa', 'credit', 'RO', 'ok'],
  ['4000006820000007', null, 'visa', 'credit', 'SA', 'ok'],
  ['4000007050000006', 'si', 'visa', 'credit', 'SI', 'ok'],
  ['4000007030000001', 'sk', 'visa', 'credit', 'SK', 'ok'],
  ['4000007240000007', 'es', 'visa', 'credit', 'ES', 'ok'],
  ['4000007520000008', 'se', 'visa', 'credit', 'SE', 'ok'],
  ['4000007560000009', 'ch', 'visa', 'credit', 'CH', 'ok'],
  ['4000008260000000', 'gb', 'visa', 'credit', 'GB', 'ok'],
  ['4000058260000005', 'gb_debit', 'visa', 'debit', 'GB', 'ok'],
  ['5555558265554449', 'gb_mastercard', 'mastercard', 'credit', 'GB', 'ok'],
  ['4000000360000006', 'au', 'visa', 'credit', 'AU', 'ok'],
  ['4000001560000002', 'cn', 'visa', 'credit', 'CN', 'ok'],
  ['4000003440000004', 'hk', 'visa', 'credit', 'HK', 'ok'],
  ['4000003560000008', 'in', 'visa', 'credit', 'IN', 'ok'],
  ['4000003920000003', 'jp', 'visa', 'credit', 'JP', 'ok'],
  ['3530111333300000', null, 'jcb', 'credit', 'JP', 'ok'],
  ['4000004580000002', 'my', 'visa', 'credit', 'MY', 'ok'],
  ['4000005540000008', 'nz', 'visa', 'credit', 'NZ', 'ok'],
  ['4000007020000003', 'sg', 'visa', 'credit', 'SG', 'ok'],
  ['4000001580000008', 'tw', 'visa', 'credit', 'TW', 'ok'],
  ['4000007640000003', 'th_credit', 'visa', 'credit', 'TH', 'ok'],
  ['4000057640000008', 'th_debit', 'visa', 'debit', 'TH', 'ok'],
  // HSA / FSA, bypassing the pending balance, domestic pricing.
  ['4000051230000072', 'debit_visaFsaProductCode', 'visa', 'debit', 'US', 'ok'],
  ['4000051230000072', 'debit_visaHsaProductCode', 'visa', 'debit', 'US', 'ok'],
  ['5200828282828897', 'mastercard_debit_mastercardFsaProductCode', 'mastercard', 'debit', 'US', 'ok'],
  ['4000000000000077', 'bypassPending', 'visa', 'credit', 'US', 'ok'],
  ['4000003720000278', 'bypassPendingInternational', 'visa', 'credit', 'IE', 'ok'],
  ['4000000000000093', 'domesticPricing', 'visa', 'credit', 'US', 'ok'],
  // Declines (current names and the older ones).
  ['4000000000000002', 'visa_chargeDeclined', 'visa', 'credit', 'US', generic],
  ['4000000000000002', 'chargeDeclined', 'visa', 'credit', 'US', generic],
  [
    '4000000000009995',
    'visa_chargeDeclinedInsufficientFunds',
    'visa',
    'credit',
    'US',
    'decline:card_declined/insufficient_funds',
  ],
  [
    '4000000000009995',
    'chargeDeclinedInsufficientFunds',
    'visa',
    'credit',
    'US',
    'decline:card_declined/insufficient_funds',
  ],
  [
    '4000000000009987',
    'visa_chargeDeclinedLostCard',
    'visa',
    'credit',
    'US',
    'decline:card_declined/lost_card',
  ],
  [
    '4000000000009979',
    'visa_chargeDeclinedStolenCard',
    'visa',
    'credit',
    'US',
    'decline:card_declined/stolen_card',
  ],
  [
    '4000000000000069',
    'chargeDeclinedExpiredCard',
    'visa',
    'credit',
    'US',
    'decline:expired_card/expired_card',
  ],
  [
    '4000000000000127',
    'chargeDeclinedIncorrectCvc',
    'visa',
    'credit',
    'US',
    'decline:incorrect_cvc/incorrect_cvc',
  ],
  [
    '4000000000000119',
    'chargeDeclinedProcessingError',
    'visa',
    'credit',
    'US',
    'decline:processing_error/processing_error',
  ],
  [
    '4000000000006975',
    'visa_chargeDeclinedVelocityLimitExceeded',
    'visa',
    'credit',
    'US',
    'decline:card_declined/card_velocity_exceeded',
  ],
  ['4000000000000341', 'chargeCustomerFail', 'visa', 'credit', 'US', generic],
  // Fraud prevention (Radar's default rules).
  ['4100000000000019', 'radarBlock', 'visa', 'credit', 'US', blocked],
  ['4100000000000019', 'chargeDeclinedFraudulent', 'visa', 'credit', 'US', blocked],
  ['4000000000004954', 'riskLevelHighest', 'visa', 'credit', 'US', blocked],
  ['4000000000009235', 'riskLevelElevated', 'visa', 'credit', 'US', 'ok'],
  ['4000008400000407', 'highFraudDisputeScore', 'visa', 'credit', 'US', 'ok'],
  ['4000008400000159', 'highEfwScore', 'visa', 'credit', 'US', 'ok'],
  ['4000008400001017', 'radarDynamicRiskThreshold', 'visa', 'credit', 'US', 'ok'],
  ['4001858821843804', 'freeTrialAbuseBlock', 'visa', 'credit', 'US', 'ok'],
  ['4000008405600003', 'adaptive3dsChallenge', 'visa', 'credit', 'US', 'ok'],
  ['4000000000000101', 'cvcCheckFail', 'visa', 'credit', 'US', 'decline:incorrect_cvc/incorrect_cvc'],
  [
    '4000058400307872',
    'cvcCheckFailElevatedRisk',
    'visa',
    'credit',
    'US',
    'decline:incorrect_cvc/incorrect_cvc',
  ],
  ['4000000000000036', 'avsZipFail', 'visa', 'credit', 'US', 'ok'],
  ['4000058400306072', 'avsZipFailElevatedRisk', 'visa', 'credit', 'US', 'ok'],
  ['4000000000000028', 'avsLine1Fail', 'visa', 'credit', 'US', 'ok'],
  ['4000000000000010', 'avsFail', 'visa', 'credit', 'US', 'ok'],
  ['4000000000000044', 'avsUnchecked', 'visa', 'credit', 'US', 'ok'],
  ['4000000000001208', null, 'visa', 'credit', 'US', 'ok'],
  ['4000000000003725', null, 'visa', 'credit', 'US', 'ok'],
  // Disputes and refunds: the payment itself succeeds.
  ['4000000000000259', 'createDispute', 'visa', 'credit', 'US', 'ok'],
  ['4000000000002685', 'createDisputeProductNotReceived', 'visa', 'credit', 'US', 'ok'],
  ['4000000000001976', 'createDisputeInquiry', 'visa', 'credit', 'US', 'ok'],
  ['4000000000005423', 'createIssuerFraudRecord', 'visa', 'credit', 'US', 'ok'],
  ['4000000404000079', 'createMultipleDisputes', 'visa', 'credit', 'US', 'ok'],
  ['4000000404000038', 'createCe3EligibleDispute', 'visa', 'credit', 'US', 'ok'],
  ['4000008400000779', 'createComplianceDispute', 'visa', 'credit', 'US', 'ok'],
  ['5105008400000002', 'createMastercardComplianceDispute', 'mastercard', 'credit', 'US', 'ok'],
  ['4000000001000043', 'createAutoRepresentmentEligibleDispute', 'visa', 'credit', 'US', 'ok'],
  ['4000000000007726', 'pendingRefund', 'visa', 'credit', 'US', 'ok'],
  ['4000000000005126', 'refundFail', 'visa', 'credit', 'US', 'ok'],
  // 3-D Secure and SCA (on-session payments).
  ['4000002500003155', 'authenticationRequiredOnSetup', 'visa', 'credit', 'IE', '3ds'],
  ['4000002760003184', 'authenticationRequired', 'visa', 'credit', 'DE', '3ds'],
  ['4000003800000446', 'authenticationRequiredSetupForOffSession', 'visa', 'credit', 'IT', '3ds'],
  [
    '4000008260003178',
    'authenticationRequiredChargeDeclinedInsufficientFunds',
    'visa',
    'credit',
    'GB',
    '3ds+decline:card_declined/insufficient_funds',
  ],
  ['4000000000003220', 'threeDSecure2Required', 'visa', 'credit', 'US', '3ds'],
  ['4000000000003063', 'threeDSecureRequired', 'visa', 'credit', 'US', '3ds'],
  ['4000008400000027', null, 'visa', 'credit', 'US', '3ds'],
  ['4000008400001629', 'threeDSecureRequiredChargeDeclined', 'visa', 'credit', 'US', `3ds+${generic}`],
  [
    '4000008400001280',
    'threeDSecureRequiredProcessingError',
    'visa',
    'credit',
    'US',
    'decline:processing_error/processing_error',
  ],
  ['4000000000003055', 'threeDSecureOptional', 'visa', 'credit', 'US', 'ok'],
  [
    '4000000000003097',
    'threeDSecureOptionalProcessingError',
    'visa',
    'credit',
    'US',
    'decline:processing_error/processing_error',
  ],
  ['378282246310005', 'amex_threeDSecureNotSupported', 'amex', 'credit', 'US', 'ok'],
  ['4000000032200000', null, 'visa', 'credit', 'US', 'ok'],
  ['4000582600000094', null, 'visa', 'credit', 'GB', 'ok'],
  ['4000582600000045', null, 'visa', 'credit', 'GB', 'ok'],
  ['4000582600000102', null, 'visa', 'credit', 'GB', 'ok'],
  ['4000582600000110', null, 'visa', 'credit', 'GB', 'ok'],
];

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
});
after(() => t.emu.close());

const onlyCard = { payment_method_types: ['card'] };

async function authenticate(id: string): Promise<void> {
  const res = await fetch(`${t.emu.url}/_emulator/payment_intents/${id}/authenticate`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ outcome: 'succeed' }),
  });
  assert.equal(res.status, 200);
}

/** Pays 20.00 with the payment method and checks what happens against `outcome`. */
async function pay(paymentMethod: string, outcome: string, label: string): Promise<Stripe.PaymentIntent> {
  const [threeDs, decline] = outcome.startsWith('3ds+')
    ? [true, outcome.slice(4)]
    : [outcome === '3ds', outcome.startsWith('decline:') ? outcome : undefined];
  const create = t.stripe.paymentIntents.create({
    amount: 2000,
    currency: 'usd',
    payment_method: paymentMethod,
    confirm: true,
    ...onlyCard,
  });
  if (decline !== undefined && !threeDs) {
    const err = await stripeError(create);
    assert.equal(`decline:${err.code}/${err.decline_code}`, decline, label);
    assert.equal(err.type, 'StripeCardError', label);
    const pi = err.payment_intent as Stripe.PaymentIntent;
    assert.equal(pi.status, 'requires_payment_method', label);
    return pi;
  }
  const pi = await create;
  if (threeDs) {
    assert.equal(pi.status, 'requires_action', label);
    await authenticate(pi.id);
  }
  const done = await t.stripe.paymentIntents.retrieve(pi.id);
  if (decline !== undefined) {
    assert.equal(done.status, 'requires_payment_method', label);
    const e = done.last_payment_error;
    assert.equal(`decline:${e?.code}/${e?.decline_code}`, decline, label);
  } else assert.equal(done.status, 'succeeded', label);
  return done;
}

test("every card of Stripe's testing page: its pm_card_* id pays as documented", async () => {
  for (const [number, name, brand, funding, country, outcome] of ROWS) {
    if (name === null) continue;
    const label = `pm_card_${name}`;
    const pi = await pay(label, outcome, label);
    const pm = await t.stripe.paymentMethods.retrieve(
      (pi.payment_method as string | null) ?? (pi.last_payment_error?.payment_method?.id as string),
    );
    assert.deepEqual(
      [pm.card?.brand, pm.card?.funding, pm.card?.country, pm.card?.last4],
      [brand, funding, country, number.slice(-4)],
      label,
    );
  }
});

test('…its tok_* token makes a payment method of the same card', async () => {
  for (const [number, name, brand, funding, country] of ROWS) {
    if (name === null) continue;
    const pm = await t.stripe.paymentMethods.create({ type: 'card', card: { token: `tok_${name}` } });
    assert.deepEqual(
      [pm.card?.brand, pm.card?.funding, pm.card?.country, pm.card?.last4],
      [brand, funding, country, number.slice(-4)],
      `tok_${name}`,
    );
  }
});

test('…and its number, typed with a CVC, pays the same way', async () => {
  const seen = new Set<string>();
  for (const [number, , brand, funding, country, outcome] of ROWS) {
    if (seen.has(number)) continue;
    seen.add(number);
    const pm = await t.stripe.paymentMethods.create({
      type: 'card',
      card: { number, exp_month: 12, exp_year: 2034, cvc: number.length === 15 ? '1234' : '123' },
    });
    assert.deepEqual([pm.card?.brand, pm.card?.funding, pm.card?.country], [brand, funding, country], number);
    await pay(pm.id, outcome, number);
  }
});

test('a number that fails the Luhn check is incorrect_number; another valid number is a live card', async () => {
  const wrong = await stripeError(
    t.stripe.paymentMethods.create({
      type: 'card',
      card: { number: '4242424242424241', exp_month: 12, exp_year: 2034, cvc: '123' },
    }),
  );
  assert.deepEqual([wrong.statusCode, wrong.code, wrong.param], [402, 'incorrect_number', 'number']);
  const live = await stripeError(
    t.stripe.paymentMethods.create({
      type: 'card',
      card: { number: '4111111111111111', exp_month: 12, exp_year: 2034, cvc: '123' },
    }),
  );
  assert.deepEqual([live.code, live.decline_code], ['card_declined', 'test_mode_live_card']);
});

test('declined cards cannot be attached; chargeCustomerFail attaches and then fails to charge', async () => {
  const customer = await t.stripe.customers.create({});
  for (const name of ['visa_chargeDeclinedVelocityLimitExceeded', 'visa_chargeDeclinedLostCard']) {
    const pm = await t.stripe.paymentMethods.create({ type: 'card', card: { token: `tok_${name}` } });
    const err = await stripeError(t.stripe.paymentMethods.attach(pm.id, { customer: customer.id }));
    assert.equal(err.type, 'StripeCardError', name);
    assert.equal(err.code, 'card_declined', name);
  }
  const velocity = await stripeError(
    t.stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_visa_chargeDeclinedVelocityLimitExceeded',
      confirm: true,
      ...onlyCard,
    }),
  );
  assert.equal(
    velocity.message,
    'Your card was declined for making repeated attempts too frequently or exceeding its amount limit.',
  );
  const ok = await t.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
  assert.equal(ok.customer, customer.id);
});

test('Radar: blocked payments and risk levels on the charge outcome', async () => {
  const err = await stripeError(
    t.stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_radarBlock',
      confirm: true,
      ...onlyCard,
    }),
  );
  assert.deepEqual(
    [err.code, err.decline_code, err.message],
    ['card_declined', 'fraudulent', 'Your card was declined.'],
  );
  const blockedCharge = await t.stripe.charges.retrieve(err.charge as string);
  assert.deepEqual(
    [blockedCharge.outcome?.type, blockedCharge.outcome?.risk_level, blockedCharge.outcome?.network_status],
    ['blocked', 'highest', 'not_sent_to_network'],
  );
  assert.equal(blockedCharge.status, 'failed');

  const elevated = await pay('pm_card_riskLevelElevated', 'ok', 'elevated');
  const ch = await t.stripe.charges.retrieve(elevated.latest_charge as string);
  assert.deepEqual([ch.outcome?.type, ch.outcome?.risk_level], ['authorized', 'elevated']);
  const normal = await pay('pm_card_visa', 'ok', 'visa');
  assert.equal(
    (await t.stripe.charges.retrieve(normal.latest_charge as string)).outcome?.risk_level,
    'normal',
  );
});

test('CVC and address checks: fail when the field is given, pass for other cards', async () => {
  const avs = await pay('pm_card_avsFail', 'ok', 'avsFail');
  const checks = (await t.stripe.charges.retrieve(avs.latest_charge as string)).payment_method_details?.card
    ?.checks;
  assert.deepEqual(checks, {
    address_line1_check: 'fail',
    address_postal_code_check: 'fail',
    cvc_check: 'pass',
  });
  const unchecked = await t.stripe.paymentMethods.create({
    type: 'card',
    card: { token: 'tok_avsUnchecked' },
  });
  assert.equal(unchecked.card?.checks?.address_line1_check, 'unavailable');
  const zip = await t.stripe.paymentMethods.create({
    type: 'card',
    card: { number: '4000000000000036', exp_month: 12, exp_year: 2034, cvc: '123' },
    billing_details: { address: { postal_code: '94107' } },
  });
  assert.deepEqual(zip.card?.checks, {
    address_line1_check: null,
    address_postal_code_check: 'fail',
    cvc_check: 'pass',
  });
  // 4000 0000 0000 0101 without a CVC: the check cannot fail, and the payment succeeds.
  const noCvc = await t.stripe.paymentMethods.create({
    type: 'card',
    card: { number: '4000000000000101', exp_month: 12, exp_year: 2034 },
  });
  assert.equal(noCvc.card?.checks?.cvc_check, null);
  await pay(noCvc.id, 'ok', 'cvcCheckFail without a CVC');
  const cvc = await stripeError(
    t.stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      payment_method: 'pm_card_cvcCheckFail',
      confirm: true,
      ...onlyCard,
    }),
  );
  assert.deepEqual([cvc.code, cvc.param], ['incorrect_cvc', 'cvc']);
});

test('brands as Stripe displays them, co-branded networks, 3-D Secure support', async () => {
  const display = async (name: string) => {
    const pm = await t.stripe.paymentMethods.create({ type: 'card', card: { token: `tok_${name}` } });
    return [pm.card?.display_brand, pm.card?.networks?.available, pm.card?.three_d_secure_usage?.supported];
  };
  assert.deepEqual(await display('amex'), ['american_express', ['amex'], false]);
  assert.deepEqual(await display('unionpay'), ['union_pay', ['unionpay'], true]);
  assert.deepEqual(await display('diners'), ['diners_club', ['diners'], true]);
  assert.deepEqual(await display('visa_cartesBancaires'), [
    'cartes_bancaires',
    ['cartes_bancaires', 'visa'],
    true,
  ]);
  assert.deepEqual(await display('mastercard_debit_eftposAuCoBranded'), [
    'eftpos_australia',
    ['eftpos_au', 'mastercard'],
    true,
  ]);
});

test('bypass-pending cards: the charge is available at once, other cards two days later', async () => {
  const fast = await pay('pm_card_bypassPending', 'ok', 'bypassPending');
  const fastCharge = await t.stripe.charges.retrieve(fast.latest_charge as string, {
    expand: ['balance_transaction'],
  });
  const bt = fastCharge.balance_transaction as Stripe.BalanceTransaction;
  assert.equal(bt.status, 'available');
  assert.equal(bt.available_on, fastCharge.created);
  const slow = await pay('pm_card_visa', 'ok', 'visa');
  const slowBt = (
    await t.stripe.charges.retrieve(slow.latest_charge as string, { expand: ['balance_transaction'] })
  ).balance_transaction as Stripe.BalanceTransaction;
  assert.equal(slowBt.status, 'pending');
});

test('already set up for off-session: on-session asks for 3-D Secure, off-session passes', async () => {
  const customer = await t.stripe.customers.create({});
  const pm = await t.stripe.paymentMethods.attach('pm_card_authenticationRequiredSetupForOffSession', {
    customer: customer.id,
  });
  const off = await t.stripe.paymentIntents.create({
    amount: 2000,
    currency: 'usd',
    customer: customer.id,
    payment_method: pm.id,
    off_session: true,
    confirm: true,
    ...onlyCard,
  });
  assert.equal(off.status, 'succeeded');
  const always = await t.stripe.paymentMethods.attach('pm_card_authenticationRequired', {
    customer: customer.id,
  });
  const refused = await stripeError(
    t.stripe.paymentIntents.create({
      amount: 2000,
      currency: 'usd',
      customer: customer.id,
      payment_method: always.id,
      off_session: true,
      confirm: true,
      ...onlyCard,
    }),
  );
  assert.equal(refused.code, 'authentication_required');
});

test('pendingRefund: the refund starts pending and succeeds 30 s later on the emulator clock', async () => {
  const pi = await pay('pm_card_pendingRefund', 'ok', 'pendingRefund');
  const refund = await t.stripe.refunds.create({ payment_intent: pi.id });
  assert.equal(refund.status, 'pending');
  const clock = t.emu.app.clock;
  clock.set(clock.now() + 31);
  try {
    const settled = await t.stripe.refunds.retrieve(refund.id);
    assert.equal(settled.status, 'succeeded');
    const updated = await t.stripe.events.list({ type: 'refund.updated', limit: 1 });
    assert.equal((updated.data[0]!.data.object as Stripe.Refund).id, refund.id);
    assert.deepEqual(updated.data[0]!.data.previous_attributes, { status: 'pending' });
  } finally {
    clock.useRealTime();
  }
  const visa = await pay('pm_card_visa', 'ok', 'visa');
  assert.equal((await t.stripe.refunds.create({ payment_intent: visa.id })).status, 'succeeded');
});
