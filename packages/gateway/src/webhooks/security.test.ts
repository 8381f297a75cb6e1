// The webhook endpoint's security cases, with real emulator events: forged signatures, stale
// timestamps, replayed event ids, events about another instance's objects, and events whose
// metadata points at another customer's records.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import Stripe from 'stripe';
import { jobKinds } from '../jobs.js';
import { useTestApp } from '../testing/setup.js';
import { deliver, deliverAndApply, emulatorEvent } from '../testing/webhook-fixtures.js';
import { SIGNATURE_TOLERANCE_SECONDS } from './routes.js';

const t = useTestApp();
let buyer: Stripe;

before(async () => {
  await t.ready;
  t.context.queue.start(jobKinds(t.context));
  buyer = new Stripe('sk_test_buyer', { host: '127.0.0.1', port: t.emulator.port, protocol: 'http' });
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function customer(name: string): Promise<{ id: string; token: string }> {
  const token = await t.userToken(name, { email: `${name}@example.com` });
  const r = await t.app.inject({ method: 'POST', url: '/v1/customers', headers: auth(token), payload: {} });
  assert.equal(r.statusCode, 201, r.body);
  return { id: (JSON.parse(r.body) as { id: string }).id, token };
}

async function credits(token: string): Promise<number> {
  const r = await t.app.inject({ method: 'GET', url: '/v1/customers/me/entitlements', headers: auth(token) });
  return (JSON.parse(r.body) as { credits: number }).credits;
}

/** A credit pack bought and paid in the emulator; no webhook is delivered (no endpoint exists). */
async function paidPack(token: string, quantity: number): Promise<{ checkout: string; session: string }> {
  const r = await t.app.inject({
    method: 'POST',
    url: '/v1/checkout/sessions',
    headers: auth(token),
    payload: { pack: 'credits-100', quantity, currency: 'usd' },
  });
  assert.equal(r.statusCode, 201, r.body);
  const body = JSON.parse(r.body) as { id: string; checkout?: string };
  await pay(body.id);
  const session = await t.stripe.checkout.sessions.retrieve(body.id);
  return { checkout: session.metadata!.paydesk_checkout_id!, session: body.id };
}

/** The buyer pays a session on the hosted page with a test card. */
async function pay(sessionId: string): Promise<void> {
  const session = await t.stripe.checkout.sessions.retrieve(sessionId);
  await buyer.rawRequest('POST', `/v1/payment_pages/${sessionId}/confirm`, {
    payment_method: 'pm_card_visa',
    expected_amount: session.amount_total,
  });
}

async function storedCount(id: string): Promise<number> {
  const r = await t.context.db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM stripe_events WHERE id = $1',
    [id],
  );
  return r.rows[0]!.n;
}

let alice: { id: string; token: string };
let aliceSession: string;

describe('webhook security', () => {
  before(async () => {
    alice = await customer('sec-alice');
    aliceSession = (await paidPack(alice.token, 1)).session;
  });

  test('a forged signature (another secret) is refused with 400 and nothing is stored', async () => {
    const event = await emulatorEvent(t, 'checkout.session.completed', aliceSession);
    const r = await deliver(t, event, { secret: 'whsec_attacker_guess_0123456789abcdef' });
    assert.equal(r.statusCode, 400);
    assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'invalid_signature');
    assert.equal(await storedCount(event.id), 0);
    assert.equal(await credits(alice.token), 0);
  });

  test('a body altered after signing is refused', async () => {
    const event = await emulatorEvent(t, 'checkout.session.completed', aliceSession);
    const payload = JSON.stringify(event);
    const { signature } = await import('../testing/webhook-fixtures.js');
    const header = signature(payload);
    const r = await t.app.inject({
      method: 'POST',
      url: '/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
      payload: `${payload} `, // still valid JSON, but not the bytes that were signed
    });
    assert.equal(r.statusCode, 400);
    assert.equal(await storedCount(event.id), 0);
  });

  test('a timestamp outside the tolerance is refused; one just inside is accepted', async () => {
    const event = await emulatorEvent(t, 'checkout.session.completed', aliceSession);
    const now = Math.floor(Date.now() / 1000);
    for (const timestamp of [now - SIGNATURE_TOLERANCE_SECONDS - 5, now + SIGNATURE_TOLERANCE_SECONDS + 5]) {
      const r = await deliver(t, event, { timestamp });
      assert.equal(r.statusCode, 400, r.body);
      assert.match(r.body, /outside the tolerance/);
    }
    assert.equal(await storedCount(event.id), 0);
    const ok = await deliver(t, event, { timestamp: now - SIGNATURE_TOLERANCE_SECONDS + 30 });
    assert.equal(ok.statusCode, 200, ok.body);
    await t.context.queue.idle();
    assert.equal(await credits(alice.token), 100);
  });

  test('a replayed event id is acknowledged as a duplicate and has no second effect', async () => {
    const event = await emulatorEvent(t, 'checkout.session.completed', aliceSession);
    for (let i = 0; i < 3; i++) {
      const r = await deliver(t, event);
      assert.equal(r.statusCode, 200);
      assert.deepEqual(JSON.parse(r.body), { received: true, duplicate: true });
    }
    await t.context.queue.idle();
    assert.equal(await credits(alice.token), 100);
    const applied = await t.context.db.query<{ attempts: number; status: string }>(
      'SELECT attempts, status FROM stripe_events WHERE id = $1',
      [event.id],
    );
    assert.deepEqual(applied.rows, [{ attempts: 1, status: 'processed' }], 'applied once');
  });

  test("an event about another instance's session is acknowledged, marked ignored, and has no effect", async () => {
    const bob = await customer('sec-bob');
    const stripeCustomer = (
      await t.context.db.query<{ s: string }>('SELECT stripe_customer_id AS s FROM customers WHERE id = $1', [
        bob.id,
      ])
    ).rows[0]!.s;
    const [price] = (await t.stripe.prices.list({ lookup_keys: ['paydesk:default:pack:credits-100:usd'] }))
      .data;
    // The other instance shares the Stripe account and happens to name the same checkout id scheme.
    const foreign = await t.stripe.checkout.sessions.create(
      {
        mode: 'payment',
        customer: stripeCustomer,
        line_items: [{ price: price!.id, quantity: 5 }],
        success_url: 'https://other.example.com/ok',
        metadata: {
          paydesk_instance: 'other-instance',
          paydesk_checkout_id: 'chk_other',
          paydesk_quantity: '5',
        },
      },
      { idempotencyKey: 'pd:test-foreign-session' },
    );
    await pay(foreign.id);
    const event = await emulatorEvent(t, 'checkout.session.completed', foreign.id);
    const stored = await deliverAndApply(t, event);
    assert.equal(stored.status, 'ignored');
    assert.match(stored.status_reason ?? '', /another paydesk instance/);
    assert.equal(await credits(bob.token), 0);
    const payments = await t.context.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM payments WHERE customer_id = $1',
      [bob.id],
    );
    assert.equal(payments.rows[0]!.n, 0);
  });

  test("an event whose metadata points at another customer's checkout is ignored; neither customer changes", async () => {
    const mallory = await customer('sec-mallory');
    const victim = await customer('sec-victim');
    // The victim opens a checkout (not paid); Mallory pays a session of her own whose metadata names it.
    const open = await t.app.inject({
      method: 'POST',
      url: '/v1/checkout/sessions',
      headers: auth(victim.token),
      payload: { pack: 'credits-100', quantity: 1, currency: 'usd' },
    });
    assert.equal(open.statusCode, 201, open.body);
    const victimSession = await t.stripe.checkout.sessions.retrieve(
      (JSON.parse(open.body) as { id: string }).id,
    );
    const victimCheckout = victimSession.metadata!.paydesk_checkout_id!;
    const malloryStripe = (
      await t.context.db.query<{ s: string }>('SELECT stripe_customer_id AS s FROM customers WHERE id = $1', [
        mallory.id,
      ])
    ).rows[0]!.s;
    const [price] = (await t.stripe.prices.list({ lookup_keys: ['paydesk:default:pack:credits-100:usd'] }))
      .data;
    const crafted = await t.stripe.checkout.sessions.create(
      {
        mode: 'payment',
        customer: malloryStripe,
        line_items: [{ price: price!.id, quantity: 10 }],
        success_url: 'https://app.example.com/ok',
        metadata: {
          paydesk_instance: t.config.instanceId,
          paydesk_checkout_id: victimCheckout,
          paydesk_customer_id: mallory.id,
          paydesk_quantity: '10',
        },
      },
      { idempotencyKey: 'pd:test-crafted-session' },
    );
    await pay(crafted.id);
    const stored = await deliverAndApply(t, await emulatorEvent(t, 'checkout.session.completed', crafted.id));
    assert.equal(stored.status, 'ignored');
    assert.match(stored.status_reason ?? '', /another checkout/);
    assert.equal(await credits(mallory.token), 0);
    assert.equal(await credits(victim.token), 0);
    const rec = await t.context.db.query<{ status: string; stripe_session_id: string }>(
      'SELECT status, stripe_session_id FROM checkout_sessions WHERE id = $1',
      [victimCheckout],
    );
    assert.equal(
      rec.rows[0]!.stripe_session_id,
      victimSession.id,
      "the victim's record still names its own session",
    );
    assert.notEqual(rec.rows[0]!.status, 'paid');
  });
});
