// Signed webhook fixtures from real emulator events: taken from /v1/events, signed with the test
// secret as Stripe signs them, injected into POST /webhooks/stripe.
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import type { StoredEvent } from '../webhooks/service.js';
import { eventById } from '../webhooks/service.js';
import { TEST_WEBHOOK_SECRET, type TestApp } from './app.js';

/** A Stripe-Signature header for `payload`, as Stripe would send it at `timestamp` (seconds). */
export function signature(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? TEST_WEBHOOK_SECRET,
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
  });
}

/** The newest event of `type` the emulator created about `objectId` (or any object). */
export async function emulatorEvent(t: TestApp, type: string, objectId?: string): Promise<Stripe.Event> {
  for await (const e of t.stripe.events.list({ type, limit: 100 })) {
    if (!objectId || (e.data.object as { id?: string }).id === objectId) return e;
  }
  assert.fail(`the emulator has no ${type} event${objectId ? ` about ${objectId}` : ''}`);
}

/** Signs and injects an event; returns the HTTP answer. */
export async function deliver(
  t: TestApp,
  event: Stripe.Event,
  options: { secret?: string; timestamp?: number } = {},
): Promise<{ statusCode: number; body: string }> {
  const payload = JSON.stringify(event);
  return t.app.inject({
    method: 'POST',
    url: '/webhooks/stripe',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature(payload, options) },
    payload,
  });
}

/** Delivers, lets the queue apply it, and returns the stored event. */
export async function deliverAndApply(t: TestApp, event: Stripe.Event): Promise<StoredEvent> {
  const r = await deliver(t, event);
  assert.equal(r.statusCode, 200, r.body);
  await t.context.queue.idle({ timeoutMs: 30_000 });
  const stored = await eventById(t.context.db, event.id);
  assert.ok(stored, `${event.id} was stored`);
  return stored;
}
