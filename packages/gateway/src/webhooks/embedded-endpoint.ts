// Embedded mode: paydesk registers its own webhook endpoint in the emulator at start and keeps the
// signing secret it gets back (Stripe shows a secret only when the endpoint is created).
import type Stripe from 'stripe';
import type { Queryable } from '../platform/db/types.js';
import { callStripe, idempotencyKey } from '../platform/stripe/client.js';

const SETTING = 'embedded_webhook_endpoint';

interface StoredEndpoint {
  id: string;
  url: string;
  secret: string;
}

/** Returns the signing secret of paydesk's endpoint at `url`, creating the endpoint when needed. */
export async function ensureWebhookEndpoint(
  stripe: Stripe,
  db: Queryable,
  url: string,
  instanceId: string,
): Promise<string> {
  const row = await db.query<{ value: StoredEndpoint }>('SELECT value FROM paydesk_settings WHERE key = $1', [
    SETTING,
  ]);
  const stored = row.rows[0]?.value;
  if (stored && stored.url === url) {
    const existing = await stripe.webhookEndpoints.retrieve(stored.id).catch(() => undefined);
    if (existing && existing.url === url && existing.status === 'enabled') return stored.secret;
  }
  if (stored) {
    await callStripe(() => stripe.webhookEndpoints.del(stored.id)).catch(() => {});
  }
  const created = await callStripe(() =>
    stripe.webhookEndpoints.create(
      {
        url,
        enabled_events: ['*'],
        description: `paydesk (${instanceId}) embedded mode`,
        metadata: { paydesk_instance: instanceId },
      },
      { idempotencyKey: idempotencyKey('webhook_endpoint.create', instanceId, url, String(Date.now())) },
    ),
  );
  if (!created.secret) throw new Error('the emulator returned a webhook endpoint without a secret');
  const value: StoredEndpoint = { id: created.id, url, secret: created.secret };
  await db.query(
    `INSERT INTO paydesk_settings (key, value) VALUES ($1, $2)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`,
    [SETTING, JSON.stringify(value)],
  );
  return created.secret;
}
