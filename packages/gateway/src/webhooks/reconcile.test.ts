// Recovery with no webhook delivered at all (no endpoint is registered in the emulator): every
// effect must come from reconcile's pass over /v1/events, exactly once, and replay and the
// subscription check must add nothing that is already there.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { jobKinds } from '../jobs.js';
import { withTransaction } from '../platform/db/tx.js';
import { TEST_ADMIN_KEY } from '../testing/app.js';
import { useTestApp } from '../testing/setup.js';
import {
  checkSubscriptions,
  DEFAULT_LOOKBACK_SECONDS,
  defaultSince,
  parseSince,
  reconcileEvents,
  replayEvent,
  SAFETY_MARGIN_SECONDS,
} from './reconcile.js';

const t = useTestApp();

before(async () => {
  await t.ready;
  t.context.queue.start(jobKinds(t.context));
});

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function entitlements(token: string) {
  const r = await t.app.inject({ method: 'GET', url: '/v1/customers/me/entitlements', headers: auth(token) });
  assert.equal(r.statusCode, 200, r.body);
  return JSON.parse(r.body) as { access: string[]; status: string | null; credits: number };
}

let token: string;
let customerId: string;
let subscriptionId: string;

describe('parseSince', () => {
  const now = new Date('2024-05-10T12:00:00Z');
  test('durations count back from now; ISO times are taken as they are; anything else is refused', () => {
    assert.equal(parseSince('3d', now)?.toISOString(), '2024-05-07T12:00:00.000Z');
    assert.equal(parseSince('90m', now)?.toISOString(), '2024-05-10T10:30:00.000Z');
    assert.equal(parseSince('1w', now)?.toISOString(), '2024-05-03T12:00:00.000Z');
    assert.equal(parseSince('2024-05-01T00:00:00Z', now)?.toISOString(), '2024-05-01T00:00:00.000Z');
    assert.equal(parseSince('yesterday', now), undefined);
    assert.equal(parseSince('3 days', now), undefined);
    assert.equal(parseSince('2024-13-45', now), undefined);
  });
});

describe('reconcile, replay and subscriptions check, with every webhook missed', () => {
  test('nothing stored: the default is 3 days back', async () => {
    const since = await defaultSince(t.context);
    const expected = Date.now() - DEFAULT_LOOKBACK_SECONDS * 1000;
    assert.ok(Math.abs(since.getTime() - expected) < 5_000);
  });

  test('a paid subscription whose webhooks never came: reconcile grants access and credits once', async () => {
    token = await t.userToken('rec-sub', { email: 'rec-sub@example.com' });
    const c = await t.app.inject({ method: 'POST', url: '/v1/customers', headers: auth(token), payload: {} });
    assert.equal(c.statusCode, 201, c.body);
    customerId = (JSON.parse(c.body) as { id: string }).id;
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: auth(token),
      payload: { plan: 'starter', interval: 'month', currency: 'usd' },
    });
    assert.equal(r.statusCode, 201, r.body);
    const created = JSON.parse(r.body) as { id: string; client_secret: string };
    subscriptionId = created.id;
    await t.stripe.paymentIntents.confirm(
      created.client_secret.split('_secret_')[0]!,
      { payment_method: 'pm_card_visa' },
      { idempotencyKey: 'pd:test-rec-confirm' },
    );
    const before = await entitlements(token);
    assert.deepEqual(before.access, [], 'no webhook arrived: no access yet');
    assert.equal(before.credits, 0);

    const progress: number[] = [];
    const summary = await reconcileEvents(t.context, {
      since: new Date(Date.now() - 3_600_000),
      pageSize: 5, // several pages
      onProgress: (f) => progress.push(f),
    });
    assert.ok(summary.seen >= 8, JSON.stringify(summary));
    assert.equal(summary.new, summary.seen, 'none had been stored');
    assert.equal(summary.processed + summary.ignored, summary.new, JSON.stringify(summary));
    assert.equal(summary.failed, 0);
    assert.equal(summary.pending, 0);
    assert.ok(progress.length >= 2 && progress.at(-1) === 1, JSON.stringify(progress));
    const sources = await t.context.db.query<{ source: string; n: number }>(
      'SELECT source, count(*)::int AS n FROM stripe_events GROUP BY source',
    );
    assert.deepEqual(sources.rows, [{ source: 'reconcile', n: summary.new }]);

    const e = await entitlements(token);
    assert.equal(e.status, 'active');
    assert.deepEqual(e.access, ['app.basic']);
    assert.equal(e.credits, 200);
  });

  test('a second pass finds nothing new and changes nothing; the default starts before the newest event', async () => {
    const newest = await t.context.db.query<{ newest: Date }>(
      'SELECT max(created) AS newest FROM stripe_events',
    );
    const since = await defaultSince(t.context);
    assert.equal(since.getTime(), new Date(newest.rows[0]!.newest).getTime() - SAFETY_MARGIN_SECONDS * 1000);
    const summary = await reconcileEvents(t.context, { since });
    assert.ok(summary.seen > 0);
    assert.equal(summary.new, 0);
    assert.equal(summary.processed, 0);
    assert.equal((await entitlements(token)).credits, 200);
  });

  test('replay of a stored invoice.paid applies it again and grants no second credits', async () => {
    const ev = await t.context.db.query<{ id: string }>(
      `SELECT id FROM stripe_events WHERE type = 'invoice.paid' LIMIT 1`,
    );
    const id = ev.rows[0]!.id;
    const first = await replayEvent(t.context, id);
    const second = await replayEvent(t.context, id);
    assert.equal(first.status, 'processed');
    assert.equal(first.fetched, false);
    assert.equal(first.attempts, 1, 'each replay is one new attempt');
    assert.equal(second.attempts, 1, 'each replay is one new attempt');
    const ledger = await t.context.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM credit_ledger WHERE customer_id = $1',
      [customerId],
    );
    assert.equal(ledger.rows[0]!.n, 1, 'one period_reset, however often the event is applied');
    assert.equal((await entitlements(token)).credits, 200);
  });

  test('replay of an event paydesk never stored fetches it from Stripe', async () => {
    await t.stripe.customers.update(
      (
        await t.context.db.query<{ s: string }>(
          'SELECT stripe_customer_id AS s FROM customers WHERE id = $1',
          [customerId],
        )
      ).rows[0]!.s,
      { name: 'Renamed In Stripe' },
      { idempotencyKey: 'pd:test-rec-rename' },
    );
    const listed = await t.stripe.events.list({ type: 'customer.updated', limit: 1 });
    const id = listed.data[0]!.id;
    const r = await replayEvent(t.context, id);
    assert.equal(r.fetched, true);
    assert.equal(r.status, 'processed');
    const row = await t.context.db.query<{ name: string; source: string }>(
      `SELECT c.name, e.source FROM customers c, stripe_events e WHERE c.id = $1 AND e.id = $2`,
      [customerId, id],
    );
    assert.deepEqual(row.rows[0], { name: 'Renamed In Stripe', source: 'replay' });
  });

  test('replay of an unknown event id fails with not_found', async () => {
    await assert.rejects(replayEvent(t.context, 'evt_doesnotexist'), /No such resource/);
  });

  test('subscriptions check reports drift, a dry run changes nothing, a fix restores state and access', async () => {
    const clean = await checkSubscriptions(t.context, { fix: false });
    assert.equal(clean.checked, 1);
    assert.equal(clean.drifted, 0, JSON.stringify(clean.results));

    // Local state goes wrong (as after a lost update): canceled, no access.
    await t.context.db.query(
      `UPDATE subscriptions SET status = 'canceled', cancel_at_period_end = true, state_at = state_at - interval '1 hour' WHERE id = $1`,
      [subscriptionId],
    );
    await t.context.db.query(
      `UPDATE entitlements SET keys = '{}', status = 'canceled' WHERE customer_id = $1`,
      [customerId],
    );
    const dry = await checkSubscriptions(t.context, { fix: false });
    assert.equal(dry.drifted, 1);
    assert.deepEqual(dry.results[0]!.fields, {
      status: ['canceled', 'active'],
      cancel_at_period_end: ['true', 'false'],
    });
    assert.equal(dry.fixed, 0);
    const still = await t.context.db.query<{ status: string }>(
      'SELECT status FROM subscriptions WHERE id = $1',
      [subscriptionId],
    );
    assert.equal(still.rows[0]!.status, 'canceled', 'a dry run changes nothing');

    const fixed = await checkSubscriptions(t.context, { fix: true });
    assert.equal(fixed.drifted, 1);
    assert.equal(fixed.fixed, 1, JSON.stringify(fixed.results));
    const e = await entitlements(token);
    assert.equal(e.status, 'active');
    assert.deepEqual(e.access, ['app.basic']);
    const again = await checkSubscriptions(t.context, { fix: false });
    assert.equal(again.drifted, 0);
  });

  test('the admin API runs the same actions, for the admin key only', async () => {
    const anon = await t.app.inject({ method: 'POST', url: '/admin/webhooks/reconcile', payload: {} });
    assert.equal(anon.statusCode, 401);
    const user = await t.app.inject({
      method: 'POST',
      url: '/admin/subscriptions/check',
      headers: auth(token),
      payload: { dry_run: true },
    });
    assert.ok(user.statusCode === 401 || user.statusCode === 403, user.body);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/admin/webhooks/reconcile',
      headers: auth(TEST_ADMIN_KEY),
      payload: { since: 'last tuesday' },
    });
    assert.equal(bad.statusCode, 400, bad.body);
    const r = await t.app.inject({
      method: 'POST',
      url: '/admin/webhooks/reconcile',
      headers: auth(TEST_ADMIN_KEY),
      payload: { since: '2h' },
    });
    assert.equal(r.statusCode, 200, r.body);
    const body = JSON.parse(r.body) as { seen: number; new: number };
    assert.ok(body.seen > 0);
    const check = await t.app.inject({
      method: 'POST',
      url: '/admin/subscriptions/check',
      headers: auth(TEST_ADMIN_KEY),
      payload: { dry_run: true },
    });
    assert.equal(check.statusCode, 200, check.body);
    assert.equal((JSON.parse(check.body) as { checked: number }).checked, 1);
  });
});

describe('/metrics', () => {
  test('shows the queue, the stored events waiting or failed, and the outcomes applied here', async () => {
    const scrape = async () => {
      const r = await t.app.inject({ method: 'GET', url: '/metrics', headers: auth(TEST_ADMIN_KEY) });
      assert.equal(r.statusCode, 200, r.body);
      return r.body;
    };
    const appliedOf = (body: string, outcome: string) =>
      Number(
        new RegExp(`^paydesk_stripe_events_applied_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(
          body,
        )?.[1],
      );
    const body = await scrape();
    const processed = appliedOf(body, 'processed');
    assert.ok(processed > 0, 'this process applied events');
    assert.match(body, /^paydesk_stripe_events\{status="pending"\} 0$/m);
    assert.match(body, /^paydesk_stripe_events\{status="failed"\} 0$/m);
    // One more event applied, processed: the counter moves by exactly one.
    const ev = await t.context.db.query<{ id: string }>(
      `SELECT id FROM stripe_events WHERE type = 'invoice.paid' AND status = 'processed' LIMIT 1`,
    );
    assert.equal((await replayEvent(t.context, ev.rows[0]!.id)).status, 'processed');
    const r = { body: await scrape() };
    assert.equal(appliedOf(r.body, 'processed'), processed + 1);
    assert.match(r.body, /^paydesk_jobs\{state="dead"\} 0$/m);
    assert.match(r.body, /^paydesk_jobs\{state="running"\} \d+$/m);
    assert.match(r.body, /^paydesk_jobs_oldest_due_age_seconds [\d.e+-]+$/m);

    // A job that keeps failing shows up as retrying, then dead; an overdue job ages.
    await withTransaction(t.context, (tx) =>
      t.context.queue.enqueue(tx, { kind: 'metrics_probe', runAt: new Date(Date.now() - 60_000) }),
    );
    await t.context.db.query(
      `INSERT INTO jobs (kind, payload, status, attempts, max_attempts) VALUES ('metrics_probe', '{}', 'dead', 3, 3)`,
    );
    const after = (await t.app.inject({ method: 'GET', url: '/metrics', headers: auth(TEST_ADMIN_KEY) }))
      .body;
    assert.match(after, /^paydesk_jobs\{state="dead"\} 1$/m);
    const age = Number(/^paydesk_jobs_oldest_due_age_seconds (\S+)$/m.exec(after)?.[1]);
    assert.ok(age >= 59, `oldest due job is a minute old: ${age}`);
  });
});
