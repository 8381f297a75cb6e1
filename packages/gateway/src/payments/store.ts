import type { Queryable } from '../platform/db/types.js';

export interface PaymentRow {
  id: string;
  stripe_payment_intent_id: string;
  customer_id: string | null;
  amount: number;
  currency: string;
  source: 'checkout' | 'payment_intent' | 'invoice';
  checkout_session_id: string | null;
  payment_intent_record_id: string | null;
  item_kind: string | null;
  item_id: string | null;
  quantity: number | null;
  description: string | null;
  paid_at: Date;
  created_at: Date;
  /** Refunded so far (pending and succeeded refunds), minor units. */
  amount_refunded: number;
  /** The status of the payment's dispute (chargeback), if any. */
  dispute_status: string | null;
}

const paymentColumns =
  'id, stripe_payment_intent_id, customer_id, amount, currency, source, checkout_session_id, ' +
  'payment_intent_record_id, item_kind, item_id, quantity, description, paid_at, created_at, amount_refunded, ' +
  'dispute_status';

export type NewPayment = Omit<PaymentRow, 'created_at' | 'amount_refunded' | 'dispute_status'>;

/**
 * Records a succeeded payment once: a second write for the same Stripe payment intent (a repeated
 * read, a webhook, another instance) changes nothing and returns the row already stored.
 */
export async function insertPayment(
  db: Queryable,
  p: NewPayment,
): Promise<{ payment: PaymentRow; created: boolean }> {
  const inserted = await db.query<PaymentRow>(
    `INSERT INTO payments (id, stripe_payment_intent_id, customer_id, amount, currency, source,
       checkout_session_id, payment_intent_record_id, item_kind, item_id, quantity, description, paid_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     ON CONFLICT (stripe_payment_intent_id) DO NOTHING RETURNING ${paymentColumns}`,
    [
      p.id,
      p.stripe_payment_intent_id,
      p.customer_id,
      p.amount,
      p.currency,
      p.source,
      p.checkout_session_id,
      p.payment_intent_record_id,
      p.item_kind,
      p.item_id,
      p.quantity,
      p.description,
      p.paid_at,
    ],
  );
  if (inserted.rows[0]) return { payment: inserted.rows[0], created: true };
  const existing = await db.query<PaymentRow>(
    `SELECT ${paymentColumns} FROM payments WHERE stripe_payment_intent_id = $1`,
    [p.stripe_payment_intent_id],
  );
  return { payment: existing.rows[0]!, created: false };
}

/**
 * One page of payments, newest first (paid_at, then when paydesk recorded it, then id). `after` is the id of the last payment of
 * the previous page; it must be visible under the same filter, else the answer is undefined.
 */
export async function listPaymentRows(
  db: Queryable,
  q: { customerId?: string | undefined; after?: string | undefined; limit: number },
): Promise<PaymentRow[] | undefined> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (q.customerId !== undefined) {
    params.push(q.customerId);
    where.push(`customer_id = $${params.length}`);
  }
  if (q.after !== undefined) {
    params.push(q.after);
    const cursor = await db.query<{ id: string }>(
      `SELECT id FROM payments WHERE id = $${params.length}${
        where.length > 0 ? ` AND ${where.join(' AND ')}` : ''
      }`,
      params,
    );
    if (!cursor.rows[0]) return undefined;
    where.push(
      `(paid_at, created_at, id) < (SELECT paid_at, created_at, id FROM payments WHERE id = $${params.length})`,
    );
  }
  params.push(q.limit);
  const r = await db.query<PaymentRow>(
    `SELECT ${paymentColumns} FROM payments ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY paid_at DESC, created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return r.rows;
}

export interface PaymentIntentRow {
  id: string;
  api_key_id: string;
  idempotency_key: string | null;
  request_hash: string;
  customer_id: string | null;
  kind: 'pack' | 'custom';
  item_id: string | null;
  quantity: number;
  amount: number;
  currency: string;
  stripe_payment_intent_id: string | null;
  status: string;
  created_at: Date;
  updated_at: Date;
}

const intentColumns =
  'id, api_key_id, idempotency_key, request_hash, customer_id, kind, item_id, quantity, amount, currency, ' +
  'stripe_payment_intent_id, status, created_at, updated_at';

export type NewPaymentIntent = Pick<
  PaymentIntentRow,
  | 'id'
  | 'api_key_id'
  | 'idempotency_key'
  | 'request_hash'
  | 'customer_id'
  | 'kind'
  | 'item_id'
  | 'quantity'
  | 'amount'
  | 'currency'
>;

/** Inserts the record, or returns the one an earlier request with the same key already made. */
export async function insertPaymentIntent(
  db: Queryable,
  r: NewPaymentIntent,
): Promise<{ record: PaymentIntentRow; created: boolean }> {
  const inserted = await db.query<PaymentIntentRow>(
    `INSERT INTO payment_intents (id, api_key_id, idempotency_key, request_hash, customer_id, kind, item_id,
       quantity, amount, currency)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (api_key_id, idempotency_key) DO NOTHING RETURNING ${intentColumns}`,
    [
      r.id,
      r.api_key_id,
      r.idempotency_key,
      r.request_hash,
      r.customer_id,
      r.kind,
      r.item_id,
      r.quantity,
      r.amount,
      r.currency,
    ],
  );
  if (inserted.rows[0]) return { record: inserted.rows[0], created: true };
  const existing = await db.query<PaymentIntentRow>(
    `SELECT ${intentColumns} FROM payment_intents WHERE api_key_id = $1 AND idempotency_key = $2`,
    [r.api_key_id, r.idempotency_key],
  );
  return { record: existing.rows[0]!, created: false };
}

export async function paymentIntentByRef(db: Queryable, ref: string): Promise<PaymentIntentRow | undefined> {
  const r = await db.query<PaymentIntentRow>(
    `SELECT ${intentColumns} FROM payment_intents WHERE id = $1 OR stripe_payment_intent_id = $1`,
    [ref],
  );
  return r.rows[0];
}

export async function updatePaymentIntent(
  db: Queryable,
  id: string,
  fields: { stripe_payment_intent_id?: string; status: string },
): Promise<void> {
  await db.query(
    `UPDATE payment_intents SET stripe_payment_intent_id = COALESCE($2, stripe_payment_intent_id),
       status = $3, updated_at = now() WHERE id = $1`,
    [id, fields.stripe_payment_intent_id ?? null, fields.status],
  );
}

/** A payment intent paydesk created was canceled in Stripe. */
export async function markIntentCanceled(db: Queryable, id: string, stripeId: string): Promise<void> {
  await db.query(
    `UPDATE payment_intents SET status = 'canceled', updated_at = now() WHERE id = $1 AND stripe_payment_intent_id = $2`,
    [id, stripeId],
  );
}

export interface PaymentFacts {
  id: string;
  customer_id: string | null;
  amount: number;
  amount_refunded: number;
  item_kind: string | null;
  item_id: string | null;
  quantity: number | null;
}

/** The payment of a payment intent, locked for the rest of the transaction (refunds change it). */
export async function paymentForUpdate(
  db: Queryable,
  paymentIntentId: string,
): Promise<PaymentFacts | undefined> {
  const r = await db.query<PaymentFacts>(
    `SELECT id, customer_id, amount, amount_refunded, item_kind, item_id, quantity FROM payments
     WHERE stripe_payment_intent_id = $1 FOR UPDATE`,
    [paymentIntentId],
  );
  return r.rows[0];
}

export async function setAmountRefunded(db: Queryable, id: string, refunded: number): Promise<void> {
  await db.query('UPDATE payments SET amount_refunded = $2 WHERE id = $1', [id, refunded]);
}
