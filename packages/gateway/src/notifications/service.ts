// Notifications to the host product: written as jobs in the same transaction as the change they
// report (outbox), then POSTed, signed, with retries. The signature scheme mirrors Stripe's:
// `Paydesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the notify secret>`.
import { createHmac, randomBytes } from 'node:crypto';
import type { AppContext } from '../context.js';
import { type Tx, withTransaction } from '../platform/db/tx.js';
import { AppError } from '../platform/errors.js';
import type { Job } from '../platform/queue/types.js';
import { type DeliveryRow, deliveriesOf, deliveryByKey } from './store.js';

export type { DeliveryRow };

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

/** A notification as it was sent, with every delivery of it (the first, then redeliveries). */
export interface NotificationDeliveries {
  notification: Notification;
  deliveries: DeliveryRow[];
}

function notificationIn(d: DeliveryRow): Notification | undefined {
  const n = d.payload.notification;
  return typeof n === 'object' && n !== null ? (n as Notification) : undefined;
}

/** The delivery this one redelivers (its `redelivery_of`), undefined for a first delivery. */
export function redeliveryOf(d: Pick<DeliveryRow, 'payload'>): number | undefined {
  const of = d.payload.redelivery_of;
  return typeof of === 'number' ? of : undefined;
}

export async function notificationDeliveries(
  s: Pick<AppContext, 'db'>,
  id: string,
): Promise<NotificationDeliveries> {
  const deliveries = await deliveriesOf(s.db, NOTIFY_JOB, id);
  const notification = deliveries[0] ? notificationIn(deliveries[0]) : undefined;
  if (!notification) throw new AppError('not_found', `No such notification: ${id}.`);
  return { notification, deliveries };
}

/**
 * Sends notification `id` to the product again, whatever became of its earlier deliveries (delivered,
 * failing or dead): a new delivery (a notify job carrying the same notification, the same `id`, so a
 * product that deduplicates still can) beside the earlier ones, retried like the first. `requestId`
 * makes it once-only: the same id again answers the delivery it made (`created: false`).
 */
export async function redeliverNotification(
  s: Pick<AppContext, 'db' | 'config' | 'queue'>,
  id: string,
  requestId: string,
): Promise<{ notification: Notification; delivery: DeliveryRow; created: boolean }> {
  if (!s.config.notifyUrl)
    throw new AppError(
      'conflict',
      'No PAYDESK_NOTIFY_URL is set: there is nowhere to deliver a notification.',
    );
  const { notification, deliveries } = await notificationDeliveries(s, id);
  const key = `redeliver:${id}:${requestId}`;
  const made = await withTransaction(s, (tx) =>
    s.queue.enqueue(tx, {
      kind: NOTIFY_JOB,
      key,
      payload: { notification, redelivery_of: deliveries[0]!.id },
    }),
  );
  const delivery = await deliveryByKey(s.db, NOTIFY_JOB, key);
  if (!delivery) throw new Error(`the redelivery ${key} was queued but is not in the jobs table`);
  return { notification, delivery, created: made !== undefined };
}
