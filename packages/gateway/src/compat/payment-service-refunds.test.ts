// The payment microservice's refund routes, as its clients call them: /refund, /refund-async and
// /refund-status/{request_id}, against the emulator, with the job queue running.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jobKinds } from '../jobs.js';
import { payDirect, stripeRefundsOf } from '../refunds/test-support.js';
import { createTestApp, type TestApp } from '../testing/app.js';
import { authSuite } from '../testing/auth-suite.js';
import { createTestDatabase, type TestDatabase } from '../testing/db.js';
import { auth, errorOf, type Json, json } from './testing.js';

let tdb: TestDatabase;
let t: TestApp;
let key: string;

before(async () => {
  tdb = await createTestDatabase();
  t = await createTestApp(await tdb.open());
  key = await t.apiKey(['read', 'write', 'refunds']);
  t.context.queue.start(jobKinds(t.context));
});
after(async () => {
  await t.app.close();
  await tdb.destroy();
});

const post = (url: string, payload: Json) =>
  t.app.inject({ method: 'POST', url, headers: auth(key), payload });
const status = (requestId: string, query = '') =>
  t.app.inject({ method: 'GET', url: `/refund-status/${requestId}${query}`, headers: auth(key) });

describe('payment microservice: refunds', () => {
  test('POST /refund: partial → {success, refund: {id, amount, status}}; over the remainder → 409', async () => {
    const paid = await payDirect(t, key);
    const r = await post('/refund', {
      payment_intent_id: paid.paymentIntent,
      amount: 400,
      reason: 'duplicate',
    });
    assert.equal(r.statusCode, 200, r.body);
    const body = json(r) as { success: boolean; refund: Json };
    assert.equal(body.success, true);
    assert.match(String(body.refund.id), /^re_/);
    assert.deepEqual([body.refund.amount, body.refund.status], [400, 'succeeded']);
    const [inStripe] = await stripeRefundsOf(t, paid.paymentIntent);
    assert.deepEqual([inStripe!.id, inStripe!.reason], [body.refund.id, 'duplicate']);
    const over = await post('/refund', { payment_intent_id: paid.paymentIntent, amount: 700 });
    assert.equal(over.statusCode, 409, over.body);
    assert.equal(errorOf(over).code, 'conflict');
    const rest = await post('/refund', { payment_intent_id: paid.paymentIntent });
    assert.equal((json(rest).refund as Json).amount, 600, 'default: the remainder');
    const unknown = await post('/refund', { payment_intent_id: 'pi_notours' });
    assert.equal(unknown.statusCode, 404);
    const bad = await post('/refund', { payment_intent_id: 'nope' });
    assert.equal(bad.statusCode, 400);
  });

  test('POST /refund-async → {success, message, request_id}; GET /refund-status follows it to succeeded', async () => {
    const paid = await payDirect(t, key);
    const r = await post('/refund-async', {
      payment_intent_id: paid.paymentIntent,
      amount: 250,
      request_id: 'ms-req-1',
    });
    assert.equal(r.statusCode, 202, r.body);
    assert.deepEqual(json(r), { success: true, message: 'Refund request queued.', request_id: 'ms-req-1' });
    const again = await post('/refund-async', {
      payment_intent_id: paid.paymentIntent,
      amount: 250,
      request_id: 'ms-req-1',
    });
    assert.equal(again.statusCode, 202);
    assert.match(String(json(again).message), /already received/);
    await t.context.queue.idle({ timeoutMs: 60_000 });
    const s = await status('ms-req-1', `?payment_intent_id=${paid.paymentIntent}`);
    assert.equal(s.statusCode, 200, s.body);
    const body = json(s);
    assert.equal(body.success, true);
    assert.match(String(body.refund_id), /^re_/);
    assert.deepEqual([body.status, body.amount, body.request_id], ['succeeded', 250, 'ms-req-1']);
    assert.equal((await stripeRefundsOf(t, paid.paymentIntent)).length, 1, 'one refund for two requests');
    const other = await payDirect(t, key);
    assert.equal((await status('ms-req-1', `?payment_intent_id=${other.paymentIntent}`)).statusCode, 404);
    assert.equal((await status('no-such-request')).statusCode, 404);
    const generated = await post('/refund-async', { payment_intent_id: other.paymentIntent });
    assert.match(String(json(generated).request_id), /^rq_/);
  });
});

describe('auth', () => {
  authSuite(
    () => t,
    [
      {
        method: 'POST',
        url: '/refund',
        payload: { payment_intent_id: 'pi_x' },
        allow: ['api_key'],
        scopes: ['refunds'],
      },
      {
        method: 'POST',
        url: '/refund-async',
        payload: { payment_intent_id: 'pi_x' },
        allow: ['api_key'],
        scopes: ['refunds'],
      },
      { method: 'GET', url: '/refund-status/abc', allow: ['api_key'], scopes: ['refunds'] },
    ],
  );
});
