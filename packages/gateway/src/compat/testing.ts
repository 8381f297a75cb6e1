// Helpers the compat tests share: paying a Checkout session the way Stripe's hosted page does, and
// reading the catalog's Stripe price ids.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { idempotencyKey } from '../platform/stripe/client.js';
import type { TestApp } from '../testing/app.js';

/** Request options for a test's own Stripe POSTs (paydesk's client refuses any key it did not derive). */
export const once = () => ({ idempotencyKey: idempotencyKey('compat.test', randomUUID()) });

export const auth = (token: string) => ({ authorization: `Bearer ${token}` });

export type Json = Record<string, unknown>;
export const json = (r: { body: string }) => JSON.parse(r.body) as Json;
export const errorOf = (r: { body: string }) =>
  (JSON.parse(r.body) as { error: { code: string; message: string; request_id: string } }).error;

/** Pays a session through the emulator's payment_pages confirm, as the hosted Checkout page does. */
export async function paySession(
  t: TestApp,
  sessionId: string,
  expectedAmount: number,
  paymentMethod = 'pm_card_visa',
): Promise<void> {
  const res = await fetch(`${t.emulator.url}/v1/payment_pages/${sessionId}/confirm`, {
    method: 'POST',
    headers: {
      authorization: 'Bearer sk_test_emulator',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ payment_method: paymentMethod, expected_amount: String(expectedAmount) }),
  });
  assert.equal(res.status, 200, await res.clone().text());
}

/** The Stripe price id the catalog's lookup key names (as a seed system's front end would hold it). */
export async function priceIdOf(t: TestApp, lookupKey: string): Promise<string> {
  const prices = await t.stripe.prices.list({ lookup_keys: [lookupKey], limit: 1 });
  const id = prices.data[0]?.id;
  assert.ok(id, `no Stripe price with lookup key ${lookupKey}`);
  return id;
}

/** The Checkout Session id at the end of a Stripe Checkout URL. */
export function sessionIdOf(location: string): string {
  const m = /\/(cs_test_[A-Za-z0-9]+)$/.exec(location);
  assert.ok(m, `a Stripe Checkout URL: ${location}`);
  return m[1]!;
}

/**
 * Open-redirect attempts every URL parameter must refuse (the allowed origin is https://app.example.com).
 * A plain path (`/front/checkout/success`) is not one: it joins PAYDESK_FRONTEND_URL.
 */
export const hostileUrls = [
  'https://evil.example.com/',
  '//evil.example.com/',
  '/\\evil.example.com',
  'relative/path',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'https:\\\\evil.example.com',
  'https://app.example.com\\@evil.example.com',
  'https://app.example.com@evil.example.com/',
  'https://app.example.com.evil.example.com/',
  'http://app.example.com/',
  'https:%2F%2Fevil.example.com',
  '%2F%2Fevil.example.com',
  ' https://evil.example.com',
];
