// A dispute's lifecycle with real, signed webhook deliveries from the emulator (the dispute test card
// makes the dispute; the control route decides it): the payment marked disputed, a disputed pack's
// credits frozen then given back (won) or kept (lost), or taken back for good (clawback), a disputed
// subscription payment suspending access until won, the product notified, GET /v1/disputes.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { jobKinds } from '../jobs.js';
import { auth, buyerOf, buyPack, creditsOf, type Json, json, newCustomer } from '../refunds/test-support.js';
import { createTestApp, TEST_ADMIN_KEY, type TestApp } from '../testing/app.js';
import { authSuite } from '../testing/auth-suite.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';

const NOTIFY_SECRET = 'notify-secret-for-dispute-tests-0123456789';
let tdb: TestDatabase;
let tdbClawback: TestDatabase;
let receiver: Server;
const notifications: { type: string; data: Json }[] = [];
/** Two paydesks on one emulator (each with its database), differing in PAYDESK_DISPUTE_CREDITS. */
let t: TestApp;
let tClawback: TestApp;
let key: string;

async function listening(app: TestApp): Promise<void> {
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.app.server.address() as AddressInfo).port}/webhooks/stripe`;
  const endpoint = await app.stripe.webhookEndpoints.create(
    { url, enabled_events: ['*'] },
    { idempotencyKey: `pd:dispute-test-endpoint-${url}` },
  );
  app.context.webhookSecrets.push(endpoint.secret!);
  app.context.queue.start(jobKinds(app.context));
}

before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      const [, ts, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers['paydesk-signature'])) ?? [];
      if (v1 !== createHmac('sha256', NOTIFY_SECRET).update(`${ts}.${body}`).digest('hex')) {
        res.writeHead(400).end();
        return;
      }
      notifications.push(JSON.parse(body) as { type: string; data: Json });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const notify = {
    PAYDESK_NOTIFY_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/paydesk`,
    PAYDESK_NOTIFY_SECRET: NOTIFY_SECRET,
  };
  tdb = await createTestDatabase();
  tdbClawback = await createTestDatabase();
  t = await createTestApp(await tdb.open(), { env: notify });
  // The second instance names itself apart, so each ignores the other's objects.
  tClawback = await createTestApp(await tdbClawback.open(), {
    emulator: t.emulator,
    env: { ...notify, PAYDESK_DISPUTE_CREDITS: 'clawback', PAYDESK_INSTANCE_ID: 'clawback' },
  });
  await listening(t);
  await listening(tClawback);
  key = await t.apiKey(['read', 'write', 'refunds']);
});
after(async () => {
  await tClawback.app.close();
  await t.app.close();
  await tdb.destroy();
  await tdbClawback.destroy();
  receiver.close();
});

async function settle() {
  for (let i = 0; i < 3; i++) {
    await t.emulator.delivery.idle();
    await t.context.queue.idle({ timeoutMs: 30_000 });
    await tClawback.context.queue.idle({ timeoutMs: 30_000 });
    await sleep(20);
  }
}

async function disputeOf(app: TestApp, paymentIntent: string, token = key): Promise<Json> {
  const r = await app.app.inject({
    method: 'GET',
    url: `/v1/disputes?payment=${paymentIntent}`,
    headers: auth(token),
  });
  assert.equal(r.statusCode, 200, r.body);
  const data = json(r).data as Json[];
  assert.equal(data.length, 1, r.body);
  return data[0]!;
}

async function decide(disputeId: string, outcome: 'won' | 'lost') {
  const res = await fetch(`${t.emulator.url}/_emulator/disputes/${disputeId}/close`, {
    method: 'POST',
    body: JSON.stringify({ outcome }),
  });
  assert.equal(res.status, 200, await res.text());
  await settle();
}

describe('a disputed credit pack (PAYDESK_DISPUTE_CREDITS=freeze, the default)', () => {
  test('credits frozen while open, given back when won; the payment shows the dispute; the product is told', async () => {
    const customer = await newCustomer(t, key, 'dispute-won');
    const paid = await buyPack(t, key, customer, 2, 'pm_card_createDispute');
    await settle();
    const d = await disputeOf(t, paid.paymentIntent);
    assert.deepEqual(
      [d.status, d.open, d.amount, d.currency, d.reason, d.payment, d.customer, d.funds_withdrawn],
      ['needs_response', true, 1000, 'usd', 'fraudulent', paid.payment, customer, true],
    );
    assert.ok(Date.parse(String(d.evidence_due_by)) > Date.parse(String(d.created)), 'an evidence due date');
    assert.deepEqual(d.credits, { mode: 'freeze', held: 200, shortfall: 0, released: false });
    assert.equal(await creditsOf(t, key, customer), 0, 'the 200 credits are frozen');
    const payments = await t.app.inject({
      method: 'GET',
      url: `/v1/payments?customer=${customer}`,
      headers: auth(key),
    });
    assert.equal((json(payments).data as Json[])[0]!.dispute_status, 'needs_response');
    assert.ok(
      notifications.some(
        (n) => n.type === 'dispute.updated' && n.data.dispute === d.id && n.data.status === 'needs_response',
      ),
      'dispute.updated sent',
    );

    await decide(String(d.id), 'won');
    const won = await disputeOf(t, paid.paymentIntent);
    assert.deepEqual([won.status, won.open, won.funds_withdrawn], ['won', false, false]);
    assert.deepEqual(won.credits, { mode: 'freeze', held: 200, shortfall: 0, released: true });
    assert.equal(await creditsOf(t, key, customer), 200, 'given back');
    const ledger = await t.context.db.query<{ reason: string; delta: number }>(
      'SELECT reason, delta FROM credit_ledger WHERE customer_id = $1 ORDER BY id',
      [customer],
    );
    assert.deepEqual(
      ledger.rows.map((r) => [r.reason, r.delta]),
      [
        ['pack_purchase', 200],
        ['dispute_hold', -200],
        ['dispute_release', 200],
      ],
      'each once, though every event re-applied the dispute',
    );
  });

  test('lost: the frozen credits stay taken', async () => {
    const customer = await newCustomer(t, key, 'dispute-lost');
    const paid = await buyPack(t, key, customer, 1, 'pm_card_createDispute');
    await settle();
    let d = await disputeOf(t, paid.paymentIntent);
    assert.deepEqual(d.credits, { mode: 'freeze', held: 100, shortfall: 0, released: false });
    await decide(String(d.id), 'lost');
    d = await disputeOf(t, paid.paymentIntent);
    assert.deepEqual([d.status, d.funds_withdrawn], ['lost', true]);
    assert.deepEqual(d.credits, { mode: 'freeze', held: 100, shortfall: 0, released: false });
    assert.equal(await creditsOf(t, key, customer), 0);
  });
});

describe('PAYDESK_DISPUTE_CREDITS=clawback', () => {
  test('credits taken back for good, even when won', async () => {
    const ckey = await tClawback.apiKey(['read', 'write', 'refunds']);
    const customer = await newCustomer(tClawback, ckey, 'dispute-clawback');
    const paid = await buyPack(tClawback, ckey, customer, 2, 'pm_card_createDispute');
    await settle();
    const d = await disputeOf(tClawback, paid.paymentIntent, ckey);
    assert.deepEqual(d.credits, { mode: 'clawback', held: 200, shortfall: 0, released: false });
    assert.equal(await creditsOf(tClawback, ckey, customer), 0);
    await decide(String(d.id), 'won');
    const won = await disputeOf(tClawback, paid.paymentIntent, ckey);
    assert.equal(won.status, 'won');
    assert.deepEqual(won.credits, { mode: 'clawback', held: 200, shortfall: 0, released: false });
    assert.equal(await creditsOf(tClawback, ckey, customer), 0, 'not given back');
  });

  test('a shortfall: credits spent before the dispute arrived', async () => {
    const ckey = await tClawback.apiKey(['read', 'write', 'refunds']);
    const customer = await newCustomer(tClawback, ckey, 'dispute-shortfall');
    // A pack paid with the dispute card while paydesk hears nothing (its webhooks held back) …
    tClawback.emulator.faults.configure({ webhooks: { dropRate: 1 } });
    let paid: Awaited<ReturnType<typeof buyPack>>;
    try {
      paid = await buyPack(tClawback, ckey, customer, 3, 'pm_card_createDispute');
      const spend = await tClawback.app.inject({
        method: 'POST',
        url: `/v1/customers/${customer}/credits/consume`,
        headers: auth(ckey),
        payload: { amount: 250, idempotency_key: 'spend-before-dispute' },
      });
      assert.equal(spend.statusCode, 200, spend.body);
    } finally {
      tClawback.emulator.faults.clear();
    }
    // … then the dispute's events arrive.
    const events = await tClawback.stripe.events.list({ type: 'charge.dispute.created', limit: 10 });
    const created = events.data.find(
      (e) => (e.data.object as { payment_intent: string }).payment_intent === paid.paymentIntent,
    );
    assert.ok(created);
    const res = await tClawback.app.inject({
      method: 'POST',
      url: `/admin/webhooks/events/${created.id}/replay`,
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
      payload: {},
    });
    assert.equal(res.statusCode, 200, res.body);
    await settle();
    const d = await disputeOf(tClawback, paid.paymentIntent, ckey);
    assert.deepEqual(d.credits, { mode: 'clawback', held: 300, shortfall: 250, released: false });
    assert.equal(await creditsOf(tClawback, ckey, customer), 0);
  });
});

describe('a disputed subscription payment (PAYDESK_DISPUTE_ACCESS=suspend, the default)', () => {
  test('access suspended while the dispute is open, back when it is won', async () => {
    const token = await t.userToken('dispute-sub', { email: 'dispute-sub@example.com' });
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: auth(token),
      payload: { plan: 'starter', interval: 'month', currency: 'usd' },
    });
    assert.equal(r.statusCode, 201, r.body);
    const piId = String(json(r).client_secret).split('_secret_')[0]!;
    await buyerOf(t).paymentIntents.confirm(piId, { payment_method: 'pm_card_createDispute' });
    await settle();
    const entitlements = async () =>
      json(await t.app.inject({ method: 'GET', url: '/v1/customers/me/entitlements', headers: auth(token) }));
    let e = await entitlements();
    assert.equal(e.status, 'active');
    assert.deepEqual(e.access, [], 'suspended by the dispute');
    const d = await disputeOf(t, piId);
    assert.equal(d.access_suspended, true);
    assert.ok(
      notifications.some((n) => n.type === 'entitlements.updated' && n.data.suspended_by_dispute === d.id),
      'entitlements.updated names the dispute',
    );
    await decide(String(d.id), 'won');
    e = await entitlements();
    assert.deepEqual(e.access, ['app.basic'], 'back when won');
    assert.equal((await disputeOf(t, piId)).access_suspended, false);
  });
});

describe('auth', () => {
  authSuite(
    () => t,
    [
      { method: 'GET', url: '/v1/disputes', allow: ['api_key', 'admin'], scopes: ['read'] },
      { method: 'GET', url: '/v1/disputes/dp_x', allow: ['api_key', 'admin'], scopes: ['read'] },
    ],
  );
});
