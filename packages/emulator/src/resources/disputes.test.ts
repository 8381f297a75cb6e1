import assert from 'node:assert/strict';
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

async function disputeEvents(disputeId: string): Promise<string[]> {
  const list = await t.stripe.events.list({ limit: 100 });
  return list.data
    .filter((e) => (e.data.object as { id?: string }).id === disputeId)
    .reverse()
    .map((e) => e.type);
}

async function control(
  path: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${t.emu.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

test('the dispute test card: the charge succeeds, then is disputed as fraudulent', async () => {
  const pi = await t.stripe.paymentIntents.create({
    amount: 2500,
    currency: 'usd',
    payment_method: 'pm_card_createDispute',
    confirm: true,
    allowed_payment_method_types: ['card'],
  });
  assert.equal(pi.status, 'succeeded');
  const disputes = await t.stripe.disputes.list({ payment_intent: pi.id });
  assert.equal(disputes.data.length, 1);
  const d = disputes.data[0]!;
  assert.match(d.id, /^dp_/);
  assert.deepEqual(
    [d.amount, d.currency, d.reason, d.status, d.charge],
    [2500, 'usd', 'fraudulent', 'needs_response', pi.latest_charge],
  );
  assert.ok(d.evidence_details.due_by && d.evidence_details.due_by > d.created, 'an evidence due date');
  assert.equal((await t.stripe.charges.retrieve(String(pi.latest_charge))).disputed, true);
  assert.deepEqual(await disputeEvents(d.id), ['charge.dispute.created', 'charge.dispute.funds_withdrawn']);

  const updated = await t.stripe.disputes.update(d.id, {
    evidence: { customer_email_address: 'buyer@example.com', uncategorized_text: 'delivered' },
    submit: true,
  });
  assert.equal(updated.status, 'under_review');
  assert.equal(updated.evidence.customer_email_address, 'buyer@example.com');
  assert.equal(updated.evidence_details.submission_count, 1);

  const won = await control(`/_emulator/disputes/${d.id}/close`, { outcome: 'won' });
  assert.equal(won.status, 200);
  assert.equal(won.json.status, 'won');
  assert.deepEqual(await disputeEvents(d.id), [
    'charge.dispute.created',
    'charge.dispute.funds_withdrawn',
    'charge.dispute.updated',
    'charge.dispute.closed',
    'charge.dispute.funds_reinstated',
  ]);
  const again = await stripeError(t.stripe.disputes.close(d.id));
  assert.equal(again.statusCode, 400);
  assert.equal(again.code, 'dispute_already_closed');
  const bad = await control(`/_emulator/disputes/${d.id}/close`, { outcome: 'maybe' });
  assert.equal(bad.status, 400);
});

test('accepting a dispute (close) loses it; a visa charge is never disputed', async () => {
  const pi = await t.stripe.paymentIntents.create({
    amount: 900,
    currency: 'eur',
    payment_method: 'pm_card_createDispute',
    confirm: true,
    allowed_payment_method_types: ['card'],
  });
  const d = (await t.stripe.disputes.list({ charge: String(pi.latest_charge) })).data[0]!;
  const lost = await t.stripe.disputes.close(d.id);
  assert.equal(lost.status, 'lost');
  assert.deepEqual((await disputeEvents(d.id)).slice(-1), ['charge.dispute.closed']);
  const plain = await t.stripe.paymentIntents.create({
    amount: 900,
    currency: 'eur',
    payment_method: 'pm_card_visa',
    confirm: true,
    allowed_payment_method_types: ['card'],
  });
  assert.equal((await t.stripe.disputes.list({ payment_intent: plain.id })).data.length, 0);
});

async function advanceEmulatorClock(seconds: number): Promise<void> {
  const res = await control('/_emulator/clock', { advance: seconds });
  assert.equal(res.status, 200);
}

async function disputed(payment_method: string, amount = 2500, extra: { customer?: string } = {}) {
  const pi = await t.stripe.paymentIntents.create({
    amount,
    currency: 'usd',
    payment_method,
    confirm: true,
    allowed_payment_method_types: ['card'],
    ...extra,
  });
  assert.equal(pi.status, 'succeeded');
  const list = await t.stripe.disputes.list({ payment_intent: pi.id });
  return { pi, list, d: list.data[0] };
}

test('each dispute test card opens the dispute Stripe documents for it', async () => {
  const pnr = (await disputed('pm_card_createDisputeProductNotReceived')).d!;
  assert.deepEqual(
    [pnr.reason, pnr.status, pnr.is_charge_refundable, pnr.payment_method_details?.card?.case_type],
    ['product_not_received', 'needs_response', false, 'chargeback'],
  );
  assert.equal(pnr.payment_method_details?.card?.network_reason_code, '13.1');

  const chargedBack = await stripeError(t.stripe.refunds.create({ charge: String(pnr.charge) }));
  assert.deepEqual(
    [chargedBack.statusCode, chargedBack.code, chargedBack.param],
    [400, 'charge_disputed', 'charge'],
  );

  const inquiry = (await disputed('pm_card_createDisputeInquiry')).d!;
  assert.deepEqual(
    [inquiry.status, inquiry.is_charge_refundable, inquiry.payment_method_details?.card?.case_type],
    ['warning_needs_response', true, 'inquiry'],
  );
  assert.deepEqual(inquiry.balance_transactions, [], 'an inquiry withdraws nothing');
  assert.deepEqual(await disputeEvents(inquiry.id), ['charge.dispute.created']);
  const refund = await t.stripe.refunds.create({ charge: String(inquiry.charge), amount: 100 });
  assert.equal(refund.status, 'succeeded', 'an inquiry leaves the charge refundable');

  const ce3 = (await disputed('pm_card_createCe3EligibleDispute')).d!;
  assert.deepEqual(ce3.enhanced_eligibility_types, ['visa_compelling_evidence_3']);
  assert.equal(ce3.reason, 'fraudulent');

  // The card number itself, through a PaymentMethod made from it.
  const pm = await t.stripe.paymentMethods.create({
    type: 'card',
    card: {
      number: '4000000000002685',
      exp_month: 12,
      exp_year: new Date().getUTCFullYear() + 2,
      cvc: '123',
    },
  });
  assert.equal((await disputed(pm.id)).d?.reason, 'product_not_received');

  // The early fraud warning card: no dispute, a radar.early_fraud_warning.
  const efw = await disputed('pm_card_createIssuerFraudRecord');
  assert.equal(efw.list.data.length, 0);
  const warnings = await t.stripe.radar.earlyFraudWarnings.list({ charge: String(efw.pi.latest_charge) });
  assert.equal(warnings.data.length, 1);
  const w = warnings.data[0]!;
  assert.match(w.id, /^issfr_/);
  assert.deepEqual(
    [w.object, w.actionable, w.payment_intent],
    ['radar.early_fraud_warning', true, efw.pi.id],
  );
  assert.equal((await t.stripe.radar.earlyFraudWarnings.retrieve(w.id)).id, w.id);
  const events = await t.stripe.events.list({ type: 'radar.early_fraud_warning.created', limit: 5 });
  assert.equal((events.data[0]!.data.object as { id: string }).id, w.id);
  const missing = await stripeError(t.stripe.radar.earlyFraudWarnings.retrieve('issfr_nope'));
  assert.deepEqual([missing.statusCode, missing.code], [404, 'resource_missing']);
});

test('winning_evidence: under review, then won on the clock, the amount and the $15 fee given back', async () => {
  const { d, pi } = await disputed('pm_card_createDispute', 2500);
  const withdrawal = d!.balance_transactions[0]!;
  assert.deepEqual(
    [withdrawal.type, withdrawal.amount, withdrawal.fee, withdrawal.net, withdrawal.reporting_category],
    ['adjustment', -2500, 1500, -4000, 'dispute'],
  );
  assert.equal(withdrawal.source, d!.id);
  assert.equal((await t.stripe.balanceTransactions.retrieve(withdrawal.id)).amount, -2500);

  const staged = await t.stripe.disputes.update(d!.id, {
    evidence: { uncategorized_text: 'winning_evidence' },
    submit: false,
  });
  assert.deepEqual([staged.status, staged.evidence_details.has_evidence], ['needs_response', true]);
  const submitted = await t.stripe.disputes.update(d!.id, { submit: true });
  assert.equal(submitted.status, 'under_review');
  assert.equal(submitted.evidence_details.submission_count, 1);
  assert.equal(
    (await t.stripe.disputes.retrieve(d!.id)).status,
    'under_review',
    'the bank has not decided yet',
  );

  const again = await stripeError(t.stripe.disputes.update(d!.id, { evidence: { customer_name: 'x' } }));
  assert.deepEqual(
    [again.statusCode, again.rawType, again.code],
    [400, 'invalid_request_error', 'dispute_already_submitted'],
  );
  const close = await stripeError(t.stripe.disputes.close(d!.id));
  assert.equal(close.statusCode, 400);

  await advanceEmulatorClock(120);
  const won = await t.stripe.disputes.retrieve(d!.id);
  assert.equal(won.status, 'won');
  assert.equal(won.balance_transactions.length, 2);
  const back = won.balance_transactions[1]!;
  assert.deepEqual(
    [back.amount, back.fee, back.net, back.reporting_category],
    [2500, -1500, 4000, 'dispute_reversal'],
  );
  assert.equal((await t.stripe.charges.retrieve(String(pi.latest_charge))).disputed, true);
  assert.deepEqual(await disputeEvents(d!.id), [
    'charge.dispute.created',
    'charge.dispute.funds_withdrawn',
    'charge.dispute.updated',
    'charge.dispute.updated',
    'charge.dispute.closed',
    'charge.dispute.funds_reinstated',
  ]);
  const listed = await t.stripe.balanceTransactions.list({ source: d!.id });
  assert.equal(listed.data.length, 2);
});

test('losing_evidence loses; a closed dispute keeps its evidence but takes metadata', async () => {
  const { d } = await disputed('pm_card_createDisputeProductNotReceived', 1200);
  const under = await t.stripe.disputes.update(d!.id, {
    evidence: { uncategorized_text: 'losing_evidence', shipping_tracking_number: '1Z999' },
  });
  assert.equal(under.status, 'under_review', 'submit defaults to true');
  await advanceEmulatorClock(120);
  const lost = await t.stripe.disputes.retrieve(d!.id);
  assert.equal(lost.status, 'lost');
  assert.equal(lost.balance_transactions.length, 1);
  assert.deepEqual((await disputeEvents(d!.id)).slice(-2), [
    'charge.dispute.updated',
    'charge.dispute.closed',
  ]);
  const closed = await stripeError(t.stripe.disputes.update(d!.id, { evidence: { customer_name: 'x' } }));
  assert.deepEqual([closed.statusCode, closed.code], [400, 'dispute_already_closed']);
  const tagged = await t.stripe.disputes.update(d!.id, { metadata: { case: '42' } });
  assert.equal(tagged.metadata.case, '42');
});

test('inquiries: escalate_inquiry_evidence makes a chargeback; winning evidence closes it', async () => {
  const { d } = await disputed('pm_card_createDisputeInquiry', 1700);
  const review = await t.stripe.disputes.update(d!.id, {
    evidence: { uncategorized_text: 'escalate_inquiry_evidence' },
  });
  assert.equal(review.status, 'warning_under_review');
  await advanceEmulatorClock(120);
  const escalated = await t.stripe.disputes.retrieve(d!.id);
  assert.deepEqual(
    [escalated.status, escalated.is_charge_refundable, escalated.balance_transactions.length],
    ['needs_response', false, 1],
  );
  assert.deepEqual((await disputeEvents(d!.id)).slice(-2), [
    'charge.dispute.updated',
    'charge.dispute.funds_withdrawn',
  ]);
  assert.equal((await t.stripe.disputes.close(d!.id)).status, 'lost');

  const other = (await disputed('pm_card_createDisputeInquiry', 1800)).d!;
  await t.stripe.disputes.update(other.id, { evidence: { uncategorized_text: 'winning_evidence' } });
  await advanceEmulatorClock(120);
  const closed = await t.stripe.disputes.retrieve(other.id);
  assert.equal(closed.status, 'warning_closed');
  assert.deepEqual(closed.balance_transactions, []);
  const accepted = (await disputed('pm_card_createDisputeInquiry', 1900)).d!;
  assert.equal((await t.stripe.disputes.close(accepted.id)).status, 'warning_closed');
});

test('an unanswered dispute is lost after evidence_details.due_by, on the customer test clock', async () => {
  const T0 = Math.floor(Date.UTC(2031, 0, 10, 12) / 1000);
  const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: T0 });
  const customer = await t.stripe.customers.create({ test_clock: clock.id });
  const { d } = await disputed('pm_card_createDispute', 3000, { customer: customer.id });
  assert.equal(d!.created, T0);
  const due = d!.evidence_details.due_by!;
  assert.equal(due % 86_400, 86_399, 'the end of a day');
  assert.ok(due - T0 > 20 * 86_400 && due - T0 < 23 * 86_400);
  await t.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: due });
  assert.equal((await t.stripe.disputes.retrieve(d!.id)).status, 'needs_response');
  await t.stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: due + 3600 });
  const lost = await t.stripe.disputes.retrieve(d!.id);
  assert.equal(lost.status, 'lost');
  const closedEvent = (await t.stripe.events.list({ type: 'charge.dispute.closed', limit: 10 })).data.find(
    (e) => (e.data.object as { id: string }).id === d!.id,
  );
  assert.equal(closedEvent?.created, due + 1);
});

test('list filters (charge, payment_intent, created) and pagination; errors', async () => {
  const a = await disputed('pm_card_createDispute', 600);
  const b = await disputed('pm_card_createDispute', 700);
  const c = await disputed('pm_card_createDispute', 800);
  const byCharge = await t.stripe.disputes.list({ charge: String(b.pi.latest_charge) });
  assert.deepEqual(
    byCharge.data.map((x) => x.id),
    [b.d!.id],
  );
  const page1 = await t.stripe.disputes.list({ limit: 2 });
  assert.deepEqual(
    page1.data.map((x) => x.id),
    [c.d!.id, b.d!.id],
  );
  assert.equal(page1.has_more, true);
  const page2 = await t.stripe.disputes.list({ limit: 2, starting_after: b.d!.id });
  assert.equal(page2.data[0]!.id, a.d!.id);
  const recent = await t.stripe.disputes.list({ created: { gte: c.d!.created } });
  assert.ok(recent.data.some((x) => x.id === c.d!.id));
  assert.equal(
    (await t.stripe.disputes.list({ created: { lt: a.d!.created } })).data.some((x) => x.id === a.d!.id),
    false,
  );
  const missing = await stripeError(t.stripe.disputes.retrieve('dp_nope'));
  assert.deepEqual([missing.statusCode, missing.code, missing.param], [404, 'resource_missing', 'dispute']);
  const unknown = await stripeError(
    t.stripe.disputes.update(a.d!.id, { evidence: { colour: 'red' } as never }),
  );
  assert.deepEqual([unknown.statusCode, unknown.code], [400, 'parameter_unknown']);
  const expanded = await t.stripe.disputes.retrieve(a.d!.id, { expand: ['charge'] });
  assert.equal((expanded.charge as { id: string }).id, a.pi.latest_charge);
});

test('POST /v1/test_helpers/disputes/:id/lose: an inquiry becomes a lost chargeback, its funds withdrawn', async () => {
  const { d } = await disputed('pm_card_createDisputeInquiry', 1300);
  const res = await t.raw('POST', `/v1/test_helpers/disputes/${d!.id}/lose`, '');
  assert.equal(res.status, 200);
  const lost = (await res.json()) as Stripe.Dispute;
  assert.deepEqual([lost.status, lost.balance_transactions.length], ['lost', 1]);
  assert.deepEqual(await disputeEvents(d!.id), [
    'charge.dispute.created',
    'charge.dispute.updated',
    'charge.dispute.funds_withdrawn',
    'charge.dispute.closed',
  ]);
  const again = await t.raw('POST', `/v1/test_helpers/disputes/${d!.id}/lose`, '');
  assert.equal(again.status, 400);
  assert.equal((await t.raw('POST', '/v1/test_helpers/disputes/dp_nope/lose', '')).status, 404);
});

test('evidence without a test value stays under review; a pending decision survives a snapshot round trip', async () => {
  const plain = (await disputed('pm_card_createDispute', 1400)).d!;
  await t.stripe.disputes.update(plain.id, { evidence: { uncategorized_text: 'tracking 1Z999' } });
  const winning = (await disputed('pm_card_createDispute', 1500)).d!;
  await t.stripe.disputes.update(winning.id, { evidence: { uncategorized_text: 'winning_evidence' } });
  const snap = await fetch(`${t.emu.url}/_emulator/snapshot`);
  const restored = await control('/_emulator/snapshot', await snap.json());
  assert.equal(restored.status, 200);
  await advanceEmulatorClock(30 * 86_400);
  assert.equal((await t.stripe.disputes.retrieve(plain.id)).status, 'under_review');
  assert.equal((await t.stripe.disputes.retrieve(winning.id)).status, 'won');
});

test('the multiple-disputes card: the charge is disputed twice, each chargeback withdrawing its funds', async () => {
  const { pi, list } = await disputed('pm_card_createMultipleDisputes', 1800);
  assert.equal(list.data.length, 2);
  const ids = new Set(list.data.map((d) => d.id));
  assert.equal(ids.size, 2);
  for (const d of list.data) {
    assert.deepEqual(
      [d.charge, d.amount, d.reason, d.status, d.balance_transactions.length],
      [pi.latest_charge, 1800, 'fraudulent', 'needs_response', 1],
    );
    assert.deepEqual(await disputeEvents(d.id), ['charge.dispute.created', 'charge.dispute.funds_withdrawn']);
  }
  // Each is answered on its own.
  const [first, second] = list.data;
  await t.stripe.disputes.close(first!.id);
  assert.equal((await t.stripe.disputes.retrieve(first!.id)).status, 'lost');
  assert.equal((await t.stripe.disputes.retrieve(second!.id)).status, 'needs_response');
});

test('compliance cards: Visa and Mastercard compliance disputes need the fee acknowledged before evidence is submitted', async () => {
  for (const [pm, network, brand] of [
    ['pm_card_createComplianceDispute', 'visa_compliance', 'visa'],
    ['pm_card_createMastercardComplianceDispute', 'mastercard_compliance', 'mastercard'],
  ] as const) {
    const d = (await disputed(pm)).d!;
    assert.deepEqual(
      [d.reason, d.status, d.payment_method_details?.card?.case_type, d.payment_method_details?.card?.brand],
      ['noncompliant', 'needs_response', 'compliance', brand],
    );
    assert.deepEqual(d.enhanced_eligibility_types, [network]);
    assert.deepEqual(d.evidence_details.enhanced_eligibility[network], {
      status: 'requires_fee_acknowledgement',
    });
    assert.deepEqual(d.evidence.enhanced_evidence[network], { fee_acknowledged: false });
    assert.equal(d.balance_transactions.length, 1, 'the funds are withdrawn');

    const early = await stripeError(
      t.stripe.disputes.update(d.id, { evidence: { uncategorized_text: 'winning_evidence' } }),
    );
    assert.deepEqual(
      [early.statusCode, early.type, early.param],
      [400, 'StripeInvalidRequestError', `evidence[enhanced_evidence][${network}][fee_acknowledged]`],
    );
    assert.equal((await t.stripe.disputes.retrieve(d.id)).status, 'needs_response', 'nothing submitted');

    // Staged without submitting: the fee acknowledged, then the evidence submitted.
    const staged = await t.stripe.disputes.update(d.id, {
      evidence: { enhanced_evidence: { [network]: { fee_acknowledged: true } } },
      submit: false,
    });
    assert.deepEqual(staged.evidence_details.enhanced_eligibility[network], { status: 'fee_acknowledged' });
    assert.deepEqual(staged.evidence.enhanced_evidence[network], { fee_acknowledged: true });
    assert.equal(staged.status, 'needs_response');
    const submitted = await t.stripe.disputes.update(d.id, {
      evidence: { uncategorized_text: 'winning_evidence' },
    });
    assert.equal(submitted.status, 'under_review');
    await advanceEmulatorClock(120);
    assert.equal((await t.stripe.disputes.retrieve(d.id)).status, 'won');
  }
});

test('the Smart Disputes card: prefer_manual by default, Smart Disputes responds at the due date unless manual', async () => {
  const T0 = Math.floor(Date.UTC(2031, 5, 10, 12) / 1000);
  const clock = await t.stripe.testHelpers.testClocks.create({ frozen_time: T0 });
  const customer = await t.stripe.customers.create({ test_clock: clock.id });
  const smart = (
    await disputed('pm_card_createAutoRepresentmentEligibleDispute', 4000, { customer: customer.id })
  ).d!;
  assert.deepEqual(
    [smart.reason, smart.status, smart.intended_submission_method, smart.evidence_details.submission_method],
    ['fraudulent', 'needs_response', 'prefer_manual', 'not_submitted'],
  );
  const manual = (
    await disputed('pm_card_createAutoRepresentmentEligibleDispute', 4100, { customer: customer.id })
  ).d!;
  await t.stripe.disputes.update(manual.id, { intended_submission_method: 'manual' });
  // Not eligible: no intended submission method (an account without Smart Disputes), lost at due_by.
  const plain = (await disputed('pm_card_createDispute', 4200, { customer: customer.id })).d!;
  assert.equal(plain.intended_submission_method, null);

  await t.stripe.testHelpers.testClocks.advance(clock.id, {
    frozen_time: smart.evidence_details.due_by! + 3600,
  });
  const answered = await t.stripe.disputes.retrieve(smart.id);
  assert.deepEqual(
    [
      answered.status,
      answered.evidence_details.submission_method,
      answered.evidence_details.submission_count,
    ],
    ['under_review', 'smart_disputes', 1],
  );
  assert.deepEqual(await disputeEvents(smart.id), [
    'charge.dispute.created',
    'charge.dispute.funds_withdrawn',
    'charge.dispute.updated',
  ]);
  assert.equal((await t.stripe.disputes.retrieve(manual.id)).status, 'lost');
  assert.equal((await t.stripe.disputes.retrieve(plain.id)).status, 'lost');
});
