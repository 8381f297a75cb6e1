// Signed deliveries that are not storable JSON answer 400 invalid_json (Stripe stops retrying), that
// delivery alone: nested deeper than any Stripe event (refused before the database parses it), or
// refused by the database for another reason (not JSON, not UTF-8: webhooks/ingest.test.ts); deliveries that arrive before paydesk knows its webhook
// secret answer 503 (Stripe retries).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Stripe from 'stripe';
import { createTestApp, TEST_WEBHOOK_SECRET, type TestApp } from '../testing/app.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';

let tdb: TestDatabase;
let t: TestApp;

before(async () => {
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open(), { syncCatalog: false });
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
});

let seq = 0;
/** A Stripe event's text with `inner` as its data.object's `extra` field (raw JSON). */
function eventText(inner = '{}'): { id: string; body: string } {
  seq++;
  const id = `evt_refused_${Date.now()}_${seq}`;
  const body =
    `{"id":"${id}","object":"event","api_version":"${Stripe.API_VERSION}","created":${Math.floor(Date.now() / 1000)},` +
    `"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"customer.updated",` +
    `"data":{"object":{"id":"cus_refused_${seq}","object":"customer","metadata":{},"extra":${inner}}}}`;
  return { id, body };
}

function post(body: string, on: TestApp = t) {
  return on.app.inject({
    method: 'POST',
    url: '/webhooks/stripe',
    headers: {
      'content-type': 'application/json',
      'stripe-signature': Stripe.webhooks.generateTestHeaderString({
        payload: body,
        secret: TEST_WEBHOOK_SECRET,
      }),
    },
    payload: body,
  });
}

async function storedRows(id: string): Promise<number> {
  const r = await t.context.db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM stripe_events WHERE id = $1',
    [id],
  );
  return r.rows[0]!.n;
}

describe('webhook bodies the database refuses', () => {
  test('an event nested 100,000 deep → 400 invalid_json at once, not stored; events around it are stored', async () => {
    const depth = 100_000;
    const deep = eventText(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    const before = eventText();
    const afterIt = eventText();
    const answers = await Promise.all([post(before.body), post(deep.body), post(afterIt.body)]);
    assert.deepEqual(
      answers.map((a) => a.statusCode),
      [200, 400, 200],
      answers.map((a) => a.body).join('\n'),
    );
    assert.equal((JSON.parse(answers[1]!.body) as { error: { code: string } }).error.code, 'invalid_json');
    assert.equal(await storedRows(deep.id), 0);
    assert.equal(await storedRows(before.id), 1);
    assert.equal(await storedRows(afterIt.id), 1);
  });

  test('an event nested 200 deep (deeper than Stripe’s own, within the limit) is stored', async () => {
    const nested = eventText(`${'['.repeat(200)}${']'.repeat(200)}`);
    const r = await post(nested.body);
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(await storedRows(nested.id), 1);
  });

  test('a redelivery of the refused event is refused again (final), and stays unstored', async () => {
    const deep = eventText(`${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`);
    for (let i = 0; i < 2; i++) {
      const r = await post(deep.body);
      assert.equal(r.statusCode, 400, r.body);
    }
    assert.equal(await storedRows(deep.id), 0);
  });
});

describe('deliveries before the webhook secret is known', () => {
  test('a correctly shaped, signed delivery while no secret is loaded → 503 not_ready with Retry-After', async () => {
    const own = await createTestDatabase();
    const starting = await createTestApp(await own.open(), { syncCatalog: false });
    try {
      // As during start-up against an emulator: the endpoint (and its secret) is registered after listen.
      starting.context.webhookSecrets.length = 0;
      const { id, body } = eventText();
      const r = await post(body, starting);
      assert.equal(r.statusCode, 503, r.body);
      assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'not_ready');
      assert.equal(r.headers['retry-after'], '1');
      // Once the secret is known, Stripe's retry is accepted.
      starting.context.webhookSecrets.push(TEST_WEBHOOK_SECRET);
      const retry = await post(body, starting);
      assert.equal(retry.statusCode, 200, retry.body);
      const n = await starting.context.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM stripe_events WHERE id = $1',
        [id],
      );
      assert.equal(n.rows[0]!.n, 1);
    } finally {
      await starting.app.close();
      await own.destroy();
    }
  });

  test('a delivery without a signature is still 400 while starting', async () => {
    const own = await createTestDatabase();
    const starting = await createTestApp(await own.open(), { syncCatalog: false });
    try {
      starting.context.webhookSecrets.length = 0;
      const r = await starting.app.inject({
        method: 'POST',
        url: '/webhooks/stripe',
        headers: { 'content-type': 'application/json' },
        payload: eventText().body,
      });
      assert.equal(r.statusCode, 400, r.body);
      assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'invalid_signature');
    } finally {
      await starting.app.close();
      await own.destroy();
    }
  });
});
