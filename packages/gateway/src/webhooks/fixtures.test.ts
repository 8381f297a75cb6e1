// One signed fixture per handled event type, built from real emulator objects: the emulator is driven
// through a customer's life (a pack bought and partly refunded, a checkout left to expire, a
// subscription paid then canceled, contact details changed, a customer deleted) with no webhook
// endpoint registered; each event is then taken from /v1/events, signed with the test secret and
// injected into POST /webhooks/stripe. The few types the emulator does not emit are wrapped around the
// real object they are about. Each fixture's stored status is asserted, and the effects at the end.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, test } from 'node:test';
import Stripe from 'stripe';
import { jobKinds } from '../jobs.js';
import { useTestApp } from '../testing/setup.js';
import { deliverAndApply } from '../testing/webhook-fixtures.js';
import { eventHandlers } from './handlers.js';

const t = useTestApp();
let buyer: Stripe;
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

let alice: { id: string; token: string; stripe: string };
let bob: { id: string; token: string; stripe: string };
let packSession: string;
let subscriptionId: string;

async function register(name: string) {
  const token = await t.userToken(name, { email: `${name}@example.com` });
  const r = await t.app.inject({ method: 'POST', url: '/v1/customers', headers: auth(token), payload: {} });
  assert.equal(r.statusCode, 201, r.body);
  const id = (JSON.parse(r.body) as { id: string }).id;
  const row = await t.context.db.query<{ s: string }>(
    'SELECT stripe_customer_id AS s FROM customers WHERE id = $1',
    [id],
  );
  return { id, token, stripe: row.rows[0]!.s };
}

async function checkout(token: string, quantity: number): Promise<string> {
  const r = await t.app.inject({
    method: 'POST',
    url: '/v1/checkout/sessions',
    headers: auth(token),
    payload: { pack: 'credits-100', quantity, currency: 'usd' },
  });
  assert.equal(r.statusCode, 201, r.body);
  return (JSON.parse(r.body) as { id: string }).id;
}

async function entitlements(token: string) {
  const r = await t.app.inject({ method: 'GET', url: '/v1/customers/me/entitlements', headers: auth(token) });
  assert.equal(r.statusCode, 200, r.body);
  return JSON.parse(r.body) as { access: string[]; status: string | null; credits: number };
}

/** A copy of a real event, re-typed: for the types the emulator does not emit. */
function retyped(e: Stripe.Event, type: string): Stripe.Event {
  return { ...e, id: `evt_fx${randomBytes(8).toString('hex')}`, type } as Stripe.Event;
}

before(async () => {
  await t.ready;
  t.context.queue.start(jobKinds(t.context));
  buyer = new Stripe('sk_test_buyer', { host: '127.0.0.1', port: t.emulator.port, protocol: 'http' });

  alice = await register('fx-alice');
  bob = await register('fx-bob');
  // A pack of 3 × 100 credits, paid; then half refunded.
  packSession = await checkout(alice.token, 3);
  const s = await t.stripe.checkout.sessions.retrieve(packSession);
  await buyer.rawRequest('POST', `/v1/payment_pages/${packSession}/confirm`, {
    payment_method: 'pm_card_visa',
    expected_amount: s.amount_total,
  });
  const paid = await t.stripe.checkout.sessions.retrieve(packSession);
  await t.stripe.refunds.create(
    { payment_intent: paid.payment_intent as string, amount: 750 },
    { idempotencyKey: 'pd:fx-refund' },
  );
  // A checkout left open, then expired.
  await t.stripe.checkout.sessions.expire(
    await checkout(bob.token, 1),
    {},
    { idempotencyKey: 'pd:fx-expire' },
  );
  // A subscription paid with its first invoice, then canceled at once.
  const r = await t.app.inject({
    method: 'POST',
    url: '/v1/subscriptions',
    headers: auth(bob.token),
    payload: { plan: 'starter', interval: 'month', currency: 'usd' },
  });
  assert.equal(r.statusCode, 201, r.body);
  const created = JSON.parse(r.body) as { id: string; client_secret: string };
  subscriptionId = created.id;
  await t.stripe.paymentIntents.confirm(
    created.client_secret.split('_secret_')[0]!,
    { payment_method: 'pm_card_visa' },
    { idempotencyKey: 'pd:fx-confirm' },
  );
  // Contact details changed in Stripe (the dashboard), and a third customer deleted there.
  await t.stripe.customers.update(
    alice.stripe,
    { name: 'Alice Fixture' },
    { idempotencyKey: 'pd:fx-rename' },
  );
});

/** The emulator's events of a type, oldest first. */
async function emitted(type: string): Promise<Stripe.Event[]> {
  const all: Stripe.Event[] = [];
  for await (const e of t.stripe.events.list({ type, limit: 100 })) all.push(e);
  return all.reverse();
}

describe('a signed fixture per handled event type', () => {
  const statuses = new Map<string, string[]>();

  test('every type the handler table names is delivered, in the order Stripe created them', async () => {
    // Emitted by the emulator in this scenario.
    const order = [
      'customer.updated',
      'checkout.session.completed',
      'payment_intent.succeeded',
      'charge.refunded',
      'refund.created',
      'checkout.session.expired',
      'customer.subscription.created',
      'invoice.paid',
      'invoice.payment_succeeded',
      'customer.subscription.updated',
    ];
    const fixtures: Stripe.Event[] = [];
    for (const type of order) {
      const events = await emitted(type);
      assert.ok(events.length > 0, `the emulator emitted ${type}`);
      fixtures.push(...events);
    }
    fixtures.sort((a, b) => a.created - b.created);
    for (const e of fixtures) {
      const stored = await deliverAndApply(t, e);
      statuses.set(e.type, [...(statuses.get(e.type) ?? []), stored.status]);
    }
  });

  test('the types the emulator does not emit, wrapped around the real objects they are about', async () => {
    const [completed] = await emitted('checkout.session.completed');
    const [subUpdated] = (await emitted('customer.subscription.updated')).slice(-1);
    const [invoicePaid] = await emitted('invoice.paid');
    const [refundCreated] = await emitted('refund.created');
    const [piSucceeded] = await emitted('payment_intent.succeeded');
    const wrapped = [
      retyped(completed!, 'checkout.session.async_payment_succeeded'),
      retyped(completed!, 'checkout.session.async_payment_failed'),
      retyped(subUpdated!, 'customer.subscription.paused'),
      retyped(subUpdated!, 'customer.subscription.resumed'),
      retyped(subUpdated!, 'customer.subscription.trial_will_end'),
      retyped(invoicePaid!, 'invoice.payment_failed'),
      retyped(invoicePaid!, 'invoice.payment_action_required'),
      retyped(refundCreated!, 'refund.failed'),
      // A card refund succeeds at once in the emulator, so it never updates it afterwards.
      ...((await emitted('refund.updated'))[0] ? [] : [retyped(refundCreated!, 'refund.updated')]),
      ...((await emitted('charge.refund.updated'))[0]
        ? []
        : [retyped(refundCreated!, 'charge.refund.updated')]),
      retyped(piSucceeded!, 'payment_intent.payment_failed'),
      retyped(piSucceeded!, 'payment_intent.canceled'),
    ];
    for (const e of wrapped) {
      const stored = await deliverAndApply(t, e);
      statuses.set(e.type, [...(statuses.get(e.type) ?? []), stored.status]);
    }
  });

  test('the end of the subscription and a deleted customer', async () => {
    const cancel = await t.app.inject({
      method: 'POST',
      url: `/v1/subscriptions/${subscriptionId}/cancel`,
      headers: auth(bob.token),
      payload: { at_period_end: false },
    });
    assert.equal(cancel.statusCode, 200, cancel.body);
    const carol = await register('fx-carol');
    await t.stripe.customers.del(carol.stripe);
    for (const type of ['customer.subscription.deleted', 'customer.deleted']) {
      const [e] = await emitted(type);
      assert.ok(e, `the emulator emitted ${type}`);
      const stored = await deliverAndApply(t, e);
      statuses.set(type, [stored.status]);
    }
    const deleted = await t.context.db.query<{ deleted_at: Date | null }>(
      'SELECT deleted_at FROM customers WHERE id = $1',
      [carol.id],
    );
    assert.ok(deleted.rows[0]!.deleted_at, 'customer.deleted marks the customer deleted');
    const e = await entitlements(bob.token);
    assert.equal(e.status, 'canceled');
    assert.deepEqual(e.access, []);
  });

  test('a disputed pack: created, funds withdrawn, evidence submitted, won, funds reinstated', async () => {
    const dave = await register('fx-dave');
    const session = await checkout(dave.token, 2);
    await buyer.rawRequest('POST', `/v1/payment_pages/${session}/confirm`, {
      payment_method: 'pm_card_createDispute',
      expected_amount: 1000,
    });
    const paid = await t.stripe.checkout.sessions.retrieve(session);
    const dispute = (await t.stripe.disputes.list({ payment_intent: paid.payment_intent as string }))
      .data[0]!;
    await t.stripe.disputes.update(dispute.id, { submit: true }, { idempotencyKey: 'pd:fx-dispute-submit' });
    const closed = await fetch(`${t.emulator.url}/_emulator/disputes/${dispute.id}/close`, {
      method: 'POST',
      body: JSON.stringify({ outcome: 'won' }),
    });
    assert.equal(closed.status, 200);
    const types = [
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
      'charge.dispute.updated',
      'charge.dispute.closed',
      'charge.dispute.funds_reinstated',
    ];
    for (const type of types) {
      const [e] = (await emitted(type)).filter((x) => (x.data.object as { id: string }).id === dispute.id);
      assert.ok(e, `the emulator emitted ${type}`);
      const stored = await deliverAndApply(t, e);
      statuses.set(type, [stored.status]);
    }
    // Every event re-reads the dispute, already won: its credits were never held.
    const d = await t.context.db.query<{ status: string; credits_held: number }>(
      'SELECT status, credits_held::int AS credits_held FROM disputes WHERE id = $1',
      [dispute.id],
    );
    assert.deepEqual(d.rows[0], { status: 'won', credits_held: 0 });
    assert.equal((await entitlements(dave.token)).credits, 200);
  });

  test('each type was stored and applied with the expected status', () => {
    assert.deepEqual(
      [...statuses.keys()].sort(),
      Object.keys(eventHandlers).sort(),
      'a fixture for every handled type, and no handled type without one',
    );
    const expected: Record<string, string> = {
      'customer.updated': 'processed',
      'checkout.session.completed': 'processed',
      'checkout.session.expired': 'processed',
      'checkout.session.async_payment_succeeded': 'processed',
      'checkout.session.async_payment_failed': 'processed',
      'payment_intent.succeeded': 'processed',
      'payment_intent.payment_failed': 'processed',
      'payment_intent.canceled': 'processed',
      'charge.refunded': 'processed',
      'charge.refund.updated': 'processed',
      'refund.created': 'processed',
      'refund.updated': 'processed',
      'refund.failed': 'processed',
      'customer.subscription.created': 'processed',
      'customer.subscription.updated': 'processed',
      'customer.subscription.deleted': 'processed',
      'customer.subscription.paused': 'processed',
      'customer.subscription.resumed': 'processed',
      'customer.subscription.trial_will_end': 'processed',
      'invoice.paid': 'processed',
      'invoice.payment_succeeded': 'processed',
      'invoice.payment_failed': 'processed',
      'invoice.payment_action_required': 'processed',
      'customer.deleted': 'processed',
      'charge.dispute.created': 'processed',
      'charge.dispute.updated': 'processed',
      'charge.dispute.closed': 'processed',
      'charge.dispute.funds_withdrawn': 'processed',
      'charge.dispute.funds_reinstated': 'processed',
    };
    // Two payment intents succeeded: the pack's (paydesk's metadata: processed) and the subscription
    // invoice's (Stripe's own, carried by invoice.paid instead: ignored).
    const want = (type: string) =>
      type === 'payment_intent.succeeded' ? ['processed', 'ignored'] : [expected[type]];
    const wrong = [...statuses].filter(([type, s]) => JSON.stringify(s) !== JSON.stringify(want(type)));
    assert.deepEqual(wrong, [], JSON.stringify(Object.fromEntries(statuses)));
  });

  test('the effects: credits granted then clawed back once, one payment, the refund, the new name', async () => {
    const a = await entitlements(alice.token);
    assert.equal(a.credits, 150, '300 granted once, half taken back with the half refund');
    const pay = await t.context.db.query<{ n: number; refunded: number }>(
      'SELECT count(*)::int AS n, max(amount_refunded)::int AS refunded FROM payments WHERE customer_id = $1',
      [alice.id],
    );
    assert.deepEqual(pay.rows[0], { n: 1, refunded: 750 });
    const name = await t.context.db.query<{ name: string }>('SELECT name FROM customers WHERE id = $1', [
      alice.id,
    ]);
    assert.equal(name.rows[0]!.name, 'Alice Fixture');
    const ledger = await t.context.db.query<{ reason: string }>(
      'SELECT reason FROM credit_ledger WHERE customer_id = $1 ORDER BY id',
      [bob.id],
    );
    assert.deepEqual(
      ledger.rows.map((r) => r.reason),
      ['period_reset'],
      "the subscription's paid invoice reset Bob's credits once, however many invoice events came",
    );
  });
});
