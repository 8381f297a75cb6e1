// End to end: the emulator delivers real, signed webhooks to a listening paydesk; jobs apply them.
// Checks the effects a user sees: payments, credits, entitlements, notifications — each exactly once,
// even when every webhook is delivered twice.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Stripe from 'stripe';
import { jobKinds } from '../jobs.js';
import { createTestApp, type TestApp } from '../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';

let tdb: TestDatabase;
let t: TestApp;
let receiver: Server;
/** The customer's side (the hosted page, Stripe.js): a plain SDK client, not paydesk's. */
let buyer: Stripe;
const notifications: { type: string; data: Record<string, unknown> }[] = [];
const NOTIFY_SECRET = 'notify-secret-for-tests-0123456789abcdef';

before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      const sig = String(req.headers['paydesk-signature'] ?? '');
      const [, ts, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig) ?? [];
      const expected = createHmac('sha256', NOTIFY_SECRET).update(`${ts}.${body}`).digest('hex');
      if (v1 !== expected) {
        res.writeHead(400).end();
        return;
      }
      notifications.push(JSON.parse(body) as { type: string; data: Record<string, unknown> });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/paydesk`;
  tdb = await createTestDatabase();
  // paydesk keeps wall-clock time (as the emulator signs webhooks with it) while the emulator's
  // billing clock is moved forward to renew subscriptions.
  t = await createTestApp(await tdb.open(), {
    env: { PAYDESK_NOTIFY_URL: notifyUrl, PAYDESK_NOTIFY_SECRET: NOTIFY_SECRET },
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/webhooks/stripe`;
  const endpoint = await t.stripe.webhookEndpoints.create(
    { url, enabled_events: ['*'] },
    { idempotencyKey: 'pd:test-endpoint' },
  );
  t.context.webhookSecrets.push(endpoint.secret!);
  // Every webhook delivered twice: effects must still happen once.
  t.emulator.faults.configure({ seed: 7, webhooks: { duplicateRate: 1 } });
  buyer = new Stripe('sk_test_buyer', {
    host: '127.0.0.1',
    port: t.emulator.port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });
  t.context.queue.start(jobKinds(t.context));
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
  receiver.close();
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/** Waits until the emulator has delivered everything and paydesk has applied it. */
async function settle() {
  for (let i = 0; i < 3; i++) {
    await t.emulator.delivery.idle();
    await t.context.queue.idle({ timeoutMs: 30_000 });
    await sleep(20);
  }
}

async function register(externalId: string): Promise<{ id: string; token: string }> {
  const token = await t.userToken(externalId, { email: `${externalId}@example.com` });
  const r = await t.app.inject({ method: 'POST', url: '/v1/customers', headers: auth(token), payload: {} });
  assert.equal(r.statusCode, 201, r.body);
  return { id: (JSON.parse(r.body) as { id: string }).id, token };
}

async function entitlements(token: string) {
  const r = await t.app.inject({ method: 'GET', url: '/v1/customers/me/entitlements', headers: auth(token) });
  assert.equal(r.statusCode, 200, r.body);
  return JSON.parse(r.body) as {
    access: string[];
    status: string | null;
    plan: string | null;
    credits: number;
  };
}

describe('webhook pipeline with real deliveries (each delivered twice)', () => {
  test('a credit pack paid through Checkout: one payment, credits once, notifications once', async () => {
    const { id, token } = await register('pipe-pack');
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/checkout/sessions',
      headers: auth(token),
      payload: { pack: 'credits-100', quantity: 3, currency: 'usd' },
    });
    assert.equal(r.statusCode, 201, r.body);
    const session = JSON.parse(r.body) as { id: string };
    await buyer.rawRequest('POST', `/v1/payment_pages/${session.id}/confirm`, {
      payment_method: 'pm_card_visa',
      expected_amount: 1500,
    });
    await settle();
    const e = await entitlements(token);
    assert.equal(e.credits, 300);
    const payments = await t.context.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM payments WHERE customer_id = $1',
      [id],
    );
    assert.equal(payments.rows[0]!.n, 1);
    const events = await t.context.db.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM stripe_events WHERE type = 'checkout.session.completed' GROUP BY status`,
    );
    assert.deepEqual(events.rows, [{ status: 'processed', n: 1 }]);
    const mine = notifications.filter((n) => n.data.customer === id);
    assert.equal(mine.filter((n) => n.type === 'payment.succeeded').length, 1);
    assert.equal(mine.filter((n) => n.type === 'credits.updated').length, 1);
  });

  test('a refunded pack takes its credits back, never below zero', async () => {
    const { token } = await register('pipe-refund');
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/checkout/sessions',
      headers: auth(token),
      payload: { pack: 'credits-100', quantity: 2, currency: 'usd' },
    });
    assert.equal(r.statusCode, 201, r.body);
    const session = JSON.parse(r.body) as { id: string };
    await buyer.rawRequest('POST', `/v1/payment_pages/${session.id}/confirm`, {
      payment_method: 'pm_card_visa',
      expected_amount: 1000,
    });
    await settle();
    assert.equal((await entitlements(token)).credits, 200);
    await t.app.inject({
      method: 'POST',
      url: '/v1/customers/me/credits/consume',
      headers: auth(token),
      payload: { amount: 150, idempotency_key: 'spend-before-refund' },
    });
    const cs = await t.stripe.checkout.sessions.retrieve(session.id);
    const pi = cs.payment_intent as string;
    await t.stripe.refunds.create(
      { payment_intent: pi, amount: 500 },
      { idempotencyKey: 'pd:test-refund-half' },
    );
    await settle();
    assert.equal(
      (await entitlements(token)).credits,
      0,
      'half the credits (100) taken back, capped by the balance of 50',
    );
    const refunded = await t.context.db.query<{ amount_refunded: number }>(
      'SELECT amount_refunded FROM payments WHERE stripe_payment_intent_id = $1',
      [pi],
    );
    assert.equal(refunded.rows[0]!.amount_refunded, 500);
  });

  test('a subscription: access while active, credits reset each paid period, revoked when canceled', async () => {
    const { id, token } = await register('pipe-sub');
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: auth(token),
      payload: { plan: 'starter', interval: 'month', currency: 'usd' },
    });
    assert.equal(r.statusCode, 201, r.body);
    const created = JSON.parse(r.body) as { id: string; client_secret: string };
    const piId = created.client_secret.split('_secret_')[0]!;
    await t.stripe.paymentIntents.confirm(
      piId,
      { payment_method: 'pm_card_visa' },
      { idempotencyKey: 'pd:test-confirm-1' },
    );
    await settle();
    let e = await entitlements(token);
    assert.equal(e.status, 'active');
    assert.deepEqual(e.access, ['app.basic']);
    assert.equal(e.credits, 200);

    // Spend some, then let a month pass: the renewal resets the balance to the plan's 200.
    const spend = await t.app.inject({
      method: 'POST',
      url: '/v1/customers/me/credits/consume',
      headers: auth(token),
      payload: { amount: 150, idempotency_key: 'spend-1' },
    });
    assert.equal(spend.statusCode, 200, spend.body);
    assert.equal((await entitlements(token)).credits, 50);
    t.emulator.app.clock.advance(32 * 86_400);
    await buyer.customers.list({ limit: 1 }); // the emulator runs due billing work on the next request
    await settle();
    e = await entitlements(token);
    assert.equal(e.credits, 200, 'reset by the renewal');
    const ledger = await t.context.db.query<{ reason: string }>(
      'SELECT reason FROM credit_ledger WHERE customer_id = $1 ORDER BY id',
      [id],
    );
    assert.deepEqual(
      ledger.rows.map((l) => l.reason),
      ['period_reset', 'consume', 'period_reset'],
    );

    const cancel = await t.app.inject({
      method: 'POST',
      url: `/v1/subscriptions/${created.id}/cancel`,
      headers: auth(token),
      payload: { at_period_end: false },
    });
    assert.equal(cancel.statusCode, 200, cancel.body);
    await settle();
    e = await entitlements(token);
    assert.equal(e.status, 'canceled');
    assert.deepEqual(e.access, []);
    const payments = await t.context.db.query<{ source: string }>(
      'SELECT source FROM payments WHERE customer_id = $1 ORDER BY paid_at',
      [id],
    );
    assert.deepEqual(
      payments.rows.map((p) => p.source),
      ['invoice', 'invoice'],
    );
    const subNotes = notifications.filter((n) => n.data.customer === id && n.type === 'entitlements.updated');
    assert.ok(subNotes.length >= 2, 'granted, then revoked');
  });

  test('every stored event is processed or ignored; none failed or left pending', async () => {
    await settle();
    const r = await t.context.db.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM stripe_events GROUP BY status ORDER BY status',
    );
    const by = Object.fromEntries(r.rows.map((x) => [x.status, x.n]));
    assert.equal(by.pending ?? 0, 0);
    assert.equal(by.failed ?? 0, 0);
    assert.ok((by.processed ?? 0) > 10, JSON.stringify(by));
    const dead = await t.context.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM jobs WHERE status IN ('dead', 'queued', 'running')`,
    );
    assert.equal(dead.rows[0]!.n, 0);
  });
});
