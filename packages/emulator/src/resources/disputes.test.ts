import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stripeError, type TestEmulator, testEmulator } from '../testing.js';

let t: TestEmulator;
before(async () => {
  t = await testEmulator();
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
