// Notifications to the host product: written as jobs in the same transaction as the change they
// report (outbox), then POSTed, signed, with retries. The signature scheme mirrors Stripe's:
// `Paydesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the notify secret>`.
import { createHmac, randomBytes } from 'node:crypto';
import type { AppContext } from '../context.js';
import type { Tx } from '../platform/db/tx.js';
import type { Job } from '../platform/queue/types.js';

export const NOTIFY_JOB = 'notify';

export const notificationTypes = [
  'payment.succeeded',
  'payment.failed',
  'subscription.updated',
  'entitlements.updated',
  'credits.updated',
  'refund.updated',
  'refund.succeeded',
  'refund.failed',
  'dispute.updated',
] as const;
export type NotificationType = (typeof notificationTypes)[number];

export interface Notification {
  id: string;
  type: NotificationType;
  created: number;
  instance: string;
  data: Record<string, unknown>;
}

/**
 * Queues a notification inside the caller's transaction. `cause` makes it once-only (for example
 * `credits.updated:<ledger entry id>`). Nothing is queued when no PAYDESK_NOTIFY_URL is configured.
 */
export async function notify(
  s: Pick<AppContext, 'config' | 'queue' | 'now'>,
  tx: Tx,
  type: NotificationType,
  cause: string,
  data: Record<string, unknown>,
): Promise<void> {
  if (!s.config.notifyUrl) return;
  const notification: Notification = {
    id: `ntf_${randomBytes(12).toString('base64url')}`,
    type,
    created: Math.floor(s.now().getTime() / 1000),
    instance: s.config.instanceId,
    data,
  };
  await s.queue.enqueue(tx, { kind: NOTIFY_JOB, key: `${type}:${cause}`, payload: { notification } });
}

export function signNotification(secret: string, body: string, timestamp: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

/** The job handler: POST the notification; anything but a 2xx within 10 s is retried with backoff. */
export function deliverNotificationJob(s: Pick<AppContext, 'config' | 'now'>): (job: Job) => Promise<void> {
  return async (job) => {
    const { notifyUrl, notifySecret } = s.config;
    if (!notifyUrl || !notifySecret) return;
    const body = JSON.stringify(job.payload.notification);
    const timestamp = Math.floor(s.now().getTime() / 1000);
    const res = await fetch(notifyUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'paydesk-notifications/1',
        'paydesk-signature': signNotification(notifySecret, body, timestamp),
      },
      body,
      signal: AbortSignal.timeout(10_000),
      redirect: 'manual',
    });
    await res.body?.cancel().catch(() => {});
    if (res.status < 200 || res.status >= 300)
      throw new Error(`the notification endpoint answered ${res.status}`);
  };
}
