// Payment history: paydesk's own record of every succeeded payment, written when paydesk verifies a
// payment with Stripe (and, later, by the webhook pipeline), read newest first with a cursor.
import type Stripe from 'stripe';
import type { AppContext } from '../context.js';
import { notify } from '../notifications/service.js';
import { randomToken } from '../platform/auth/api-keys.js';
import type { Tx } from '../platform/db/tx.js';
import type { Queryable } from '../platform/db/types.js';
import { AppError } from '../platform/errors.js';
import {
  insertPayment,
  listPaymentRows,
  markIntentCanceled,
  type NewPayment,
  type PaymentRow,
  paymentIntentByRef,
} from './store.js';

export type { PaymentRow };
/** Other features (the webhook handlers) read and update paydesk's payment intents through these. */
export { markIntentCanceled, paymentIntentByRef };

export function newPaymentId(): string {
  return `pay_${randomToken(16)}`;
}

/** What paydesk knows about the purchase a payment intent pays for. */
export interface PaymentContext {
  source: NewPayment['source'];
  customer_id: string | null;
  checkout_session_id?: string | null;
  payment_intent_record_id?: string | null;
  item_kind?: string | null;
  item_id?: string | null;
  quantity?: number | null;
  description?: string | null;
}

/**
 * Records a Stripe payment intent in the history if it succeeded; idempotent by the payment intent id
 * (the first writer wins, later writers get the stored row). Returns undefined when it did not succeed.
 * `db`: the caller's transaction when the payment is part of a larger change (a fulfilment).
 */
export async function recordSucceededPayment(
  db: Queryable,
  pi: Stripe.PaymentIntent,
  link: PaymentContext,
): Promise<PaymentRow | undefined> {
  if (pi.status !== 'succeeded') return undefined;
  const charge = typeof pi.latest_charge === 'object' && pi.latest_charge !== null ? pi.latest_charge : null;
  const { payment } = await insertPayment(db, {
    id: newPaymentId(),
    stripe_payment_intent_id: pi.id,
    customer_id: link.customer_id,
    amount: pi.amount_received || pi.amount,
    currency: pi.currency,
    source: link.source,
    checkout_session_id: link.checkout_session_id ?? null,
    payment_intent_record_id: link.payment_intent_record_id ?? null,
    item_kind: link.item_kind ?? null,
    item_id: link.item_id ?? null,
    quantity: link.quantity ?? null,
    description: link.description ?? pi.description ?? null,
    paid_at: new Date((charge?.created ?? pi.created) * 1000),
  });
  return payment;
}

/**
 * A fulfilment's payment: records the payment intent in the history (as recordSucceededPayment) and
 * notifies the host product with `payment.succeeded` in the same transaction (once per payment
 * intent: the notification is keyed by it). `details` adds what the source knows (checkout, invoice,
 * subscription, item) to the notification. Undefined when the intent did not succeed.
 */
export async function recordPaymentAndNotify(
  s: Pick<AppContext, 'config' | 'queue' | 'now'>,
  tx: Tx,
  pi: Stripe.PaymentIntent,
  link: PaymentContext,
  details: Record<string, unknown> = {},
): Promise<PaymentRow | undefined> {
  const payment = await recordSucceededPayment(tx, pi, link);
  if (payment) {
    await notify(s, tx, 'payment.succeeded', pi.id, {
      payment: payment.id,
      customer: link.customer_id,
      amount: Number(payment.amount),
      currency: payment.currency,
      source: link.source,
      ...details,
    });
  }
  return payment;
}

export interface PaymentPage {
  data: PaymentRow[];
  has_more: boolean;
  next_cursor: string | null;
}

/**
 * A page of payments, newest first. `customerId` undefined lists every customer's (API keys only).
 * `cursor` is the `next_cursor` of the previous page.
 */
export async function listPayments(
  s: Pick<AppContext, 'db'>,
  q: { customerId?: string | undefined; cursor?: string | undefined; limit: number },
): Promise<PaymentPage> {
  const rows = await listPaymentRows(s.db, {
    customerId: q.customerId,
    after: q.cursor,
    limit: q.limit + 1,
  });
  if (!rows) {
    throw new AppError('validation_failed', 'Invalid querystring.cursor: not a cursor of this list.', {
      issues: [{ in: 'querystring', path: 'cursor', message: 'unknown cursor' }],
    });
  }
  const data = rows.slice(0, q.limit);
  const hasMore = rows.length > q.limit;
  return { data, has_more: hasMore, next_cursor: hasMore ? data[data.length - 1]!.id : null };
}
