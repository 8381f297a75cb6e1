// verifyDelivery checks Stripe's signature scheme itself, over the bytes as received: it must accept
// exactly what the official SDK signs and refuse everything else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Stripe from 'stripe';
import { AppError } from '../platform/errors.js';
import { SIGNATURE_TOLERANCE_SECONDS, verifyDelivery } from './routes.js';

const secret = 'whsec_signature_test_0123456789abcdef';
const now = new Date('2026-12-02T12:00:00Z');
const t = Math.floor(now.getTime() / 1000);
// Not ASCII on purpose: the HMAC is over the UTF-8 bytes.
const body = Buffer.from(
  JSON.stringify({
    id: 'evt_1',
    type: 'customer.updated',
    created: 1764676800,
    livemode: false,
    data: { object: { id: 'cus_1', name: 'Zoë Ångström' } },
  }),
);
const sign = (payload: string | Buffer, key = secret, timestamp = t) =>
  Stripe.webhooks.generateTestHeaderString({ payload: payload.toString(), secret: key, timestamp });

function refused(fn: () => unknown, code: string, message: RegExp) {
  assert.throws(
    fn,
    (err: unknown) => err instanceof AppError && err.code === code && message.test(err.message),
  );
}

test('accepts what the SDK signs, with any of several secrets and any of several v1 signatures', () => {
  assert.equal(verifyDelivery(body, sign(body), [secret], now).head.id, 'evt_1');
  assert.equal(verifyDelivery(body, sign(body), ['whsec_old_one', secret], now).head.id, 'evt_1');
  const other = /v1=([0-9a-f]+)/.exec(sign(body, 'whsec_other'))![1];
  assert.equal(verifyDelivery(body, `${sign(body)},v1=${other},v0=abc`, [secret], now).head.id, 'evt_1');
  assert.equal(
    verifyDelivery(body, `t=${t},v1=${other},${sign(body).split(',')[1]}`, [secret], now).head.id,
    'evt_1',
  );
});

test('refuses another secret, a changed body, a malformed header', () => {
  refused(
    () => verifyDelivery(body, sign(body, 'whsec_attacker'), [secret], now),
    'invalid_signature',
    /does not match/,
  );
  const changed = Buffer.from(body.toString().replace('Zoë', 'Zoe'));
  refused(() => verifyDelivery(changed, sign(body), [secret], now), 'invalid_signature', /does not match/);
  for (const header of [
    '',
    'garbage',
    `t=${t}`,
    `v1=${'a'.repeat(64)}`,
    `t=abc,v1=${'a'.repeat(64)}`,
    `t=${t},v1=short`,
  ]) {
    refused(() => verifyDelivery(body, header || undefined, [secret], now), 'invalid_signature', /.+/);
  }
});

test('no secret yet (starting up): not_ready (503, Stripe retries), never a 400 Stripe would give up on', () => {
  refused(() => verifyDelivery(body, sign(body), [], now), 'not_ready', /not known yet/);
});

test('the time must be within the tolerance on both sides', () => {
  for (const offset of [-SIGNATURE_TOLERANCE_SECONDS - 1, SIGNATURE_TOLERANCE_SECONDS + 1]) {
    refused(
      () => verifyDelivery(body, sign(body, secret, t + offset), [secret], now),
      'invalid_signature',
      /outside the tolerance/,
    );
  }
  for (const offset of [-SIGNATURE_TOLERANCE_SECONDS, SIGNATURE_TOLERANCE_SECONDS])
    assert.equal(verifyDelivery(body, sign(body, secret, t + offset), [secret], now).head.id, 'evt_1');
});

test('a signed body that is not JSON is invalid_json, after the signature', () => {
  const text = Buffer.from('not json');
  refused(() => verifyDelivery(text, sign(text), [secret], now), 'invalid_json', /not a Stripe event/);
});
