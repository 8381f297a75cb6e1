// The refunds table's SQL.
import type { Queryable } from '../platform/db/types.js';

export const refundStatuses = ['queued', 'processing', 'pending', 'succeeded', 'failed', 'canceled'] as const;
export type RefundStatus = (typeof refundStatuses)[number];

/** Statuses that hold part of the payment's refundable amount (the money is, or may be, going back). */
export const HOLDING: readonly RefundStatus[] = ['queued', 'processing', 'pending', 'succeeded'];

export interface RefundRow {
  id: string;
  request_id: string;
  request_hash: string | null;
  origin: 'api' | 'stripe';
  payment_id: string;
  customer_id: string | null;
  stripe_payment_intent_id: string;
  stripe_charge_id: string | null;
  stripe_refund_id: string | null;
  amount: number;
  currency: string;
  reason: string | null;
  metadata: Record<string, string>;
  status: RefundStatus;
  failure_reason: string | null;
  attempts: number;
  async: boolean;
  cancel_subscription: boolean;
  credits_taken: number;
  credits_shortfall: number;
  credits_restored: boolean;
  created_at: Date;
  updated_at: Date;
}

const columns =
  'id, request_id, request_hash, origin, payment_id, customer_id, stripe_payment_intent_id, stripe_charge_id, ' +
  'stripe_refund_id, amount::int8 AS amount, currency, reason, metadata, status, failure_reason, attempts, async, ' +
  'cancel_subscription, credits_taken, credits_shortfall, credits_restored, created_at, updated_at';

function toRow(r: RefundRow): RefundRow {
  return {
    ...r,
    amount: Number(r.amount),
    credits_taken: Number(r.credits_taken),
    credits_shortfall: Number(r.credits_shortfall),
  };
}

export type NewRefund = Pick<
  RefundRow,
  | 'id'
  | 'request_id'
  | 'request_hash'
  | 'origin'
  | 'payment_id'
  | 'customer_id'
  | 'stripe_payment_intent_id'
  | 'stripe_charge_id'
  | 'stripe_refund_id'
  | 'amount'
  | 'currency'
  | 'reason'
  | 'metadata'
  | 'status'
  | 'async'
  | 'cancel_subscription'
>;

/** Inserts a refund; undefined when its request_id (or Stripe refund id) is already taken. */
export async function insertRefund(db: Queryable, r: NewRefund): Promise<RefundRow | undefined> {
  const inserted = await db.query<RefundRow>(
    `INSERT INTO refunds (id, request_id, request_hash, origin, payment_id, customer_id, stripe_payment_intent_id,
       stripe_charge_id, stripe_refund_id, amount, currency, reason, metadata, status, async, cancel_subscription)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
     ON CONFLICT DO NOTHING RETURNING ${columns}`,
    [
      r.id,
      r.request_id,
      r.request_hash,
      r.origin,
      r.payment_id,
      r.customer_id,
      r.stripe_payment_intent_id,
      r.stripe_charge_id,
      r.stripe_refund_id,
      r.amount,
      r.currency,
      r.reason,
      JSON.stringify(r.metadata),
      r.status,
      r.async,
      r.cancel_subscription,
    ],
  );
  return inserted.rows[0] ? toRow(inserted.rows[0]) : undefined;
}

export async function refundById(
  db: Queryable,
  id: string,
  options: { lock?: boolean } = {},
): Promise<RefundRow | undefined> {
  const r = await db.query<RefundRow>(
    `SELECT ${columns} FROM refunds WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return r.rows[0] ? toRow(r.rows[0]) : undefined;
}

/** A refund by paydesk id, request_id or Stripe refund id. */
export async function refundByRef(db: Queryable, ref: string): Promise<RefundRow | undefined> {
  const r = await db.query<RefundRow>(
    `SELECT ${columns} FROM refunds WHERE id = $1 OR request_id = $1 OR stripe_refund_id = $1
     ORDER BY (id = $1) DESC, (request_id = $1) DESC LIMIT 1`,
    [ref],
  );
  return r.rows[0] ? toRow(r.rows[0]) : undefined;
}

export async function refundByRequestId(db: Queryable, requestId: string): Promise<RefundRow | undefined> {
  const r = await db.query<RefundRow>(`SELECT ${columns} FROM refunds WHERE request_id = $1`, [requestId]);
  return r.rows[0] ? toRow(r.rows[0]) : undefined;
}

export async function refundByStripeId(
  db: Queryable,
  stripeRefundId: string,
): Promise<RefundRow | undefined> {
  const r = await db.query<RefundRow>(
    `SELECT ${columns} FROM refunds WHERE stripe_refund_id = $1 FOR UPDATE`,
    [stripeRefundId],
  );
  return r.rows[0] ? toRow(r.rows[0]) : undefined;
}

export async function refundsOfPayment(db: Queryable, paymentId: string): Promise<RefundRow[]> {
  const r = await db.query<RefundRow>(
    `SELECT ${columns} FROM refunds WHERE payment_id = $1 ORDER BY created_at, id`,
    [paymentId],
  );
  return r.rows.map(toRow);
}

export async function updateRefund(
  db: Queryable,
  id: string,
  fields: Partial<
    Pick<
      RefundRow,
      | 'status'
      | 'stripe_refund_id'
      | 'stripe_charge_id'
      | 'failure_reason'
      | 'attempts'
      | 'credits_taken'
      | 'credits_shortfall'
      | 'credits_restored'
    >
  >,
): Promise<RefundRow> {
  const sets: string[] = [];
  const params: unknown[] = [id];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    params.push(v);
    sets.push(`${k} = $${params.length}`);
  }
  const r = await db.query<RefundRow>(
    `UPDATE refunds SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 RETURNING ${columns}`,
    params,
  );
  return toRow(r.rows[0]!);
}

/**
 * One page of refunds, newest first. `after` is the id of the last refund of the previous page; it
 * must be visible under the same filter, else the answer is undefined.
 */
export async function listRefundRows(
  db: Queryable,
  q: {
    paymentId?: string | undefined;
    customerId?: string | undefined;
    status?: RefundStatus | undefined;
    after?: string | undefined;
    limit: number;
  },
): Promise<RefundRow[] | undefined> {
  const params: unknown[] = [];
  const where: string[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (q.paymentId !== undefined) add('payment_id = ?', q.paymentId);
  if (q.customerId !== undefined) add('customer_id = ?', q.customerId);
  if (q.status !== undefined) add('status = ?', q.status);
  if (q.after !== undefined) {
    params.push(q.after);
    const n = params.length;
    const cursor = await db.query(
      `SELECT 1 FROM refunds WHERE id = $${n}${where.length > 0 ? ` AND ${where.join(' AND ')}` : ''}`,
      params,
    );
    if (cursor.rowCount === 0) return undefined;
    where.push(`(created_at, id) < (SELECT created_at, id FROM refunds WHERE id = $${n})`);
  }
  params.push(q.limit);
  const r = await db.query<RefundRow>(
    `SELECT ${columns} FROM refunds ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return r.rows.map(toRow);
}

/** Refunded amount and refund statuses per payment, for the payment history. */
export async function refundSummaries(
  db: Queryable,
  paymentIds: readonly string[],
): Promise<Map<string, { id: string; amount: number; status: RefundStatus }[]>> {
  const out = new Map<string, { id: string; amount: number; status: RefundStatus }[]>();
  if (paymentIds.length === 0) return out;
  const r = await db.query<{ payment_id: string; id: string; amount: number; status: RefundStatus }>(
    `SELECT payment_id, id, amount::int8 AS amount, status FROM refunds WHERE payment_id = ANY($1::text[])
     ORDER BY created_at, id`,
    [paymentIds],
  );
  for (const row of r.rows) {
    const list = out.get(row.payment_id) ?? [];
    list.push({ id: row.id, amount: Number(row.amount), status: row.status });
    out.set(row.payment_id, list);
  }
  return out;
}

/** What a refund needs to know about the payment it refunds. */
export interface RefundablePayment {
  id: string;
  stripe_payment_intent_id: string;
  customer_id: string | null;
  amount: number;
  currency: string;
  source: 'checkout' | 'payment_intent' | 'invoice';
  item_kind: string | null;
  item_id: string | null;
  quantity: number | null;
  amount_refunded: number;
  dispute_status: string | null;
}

const paymentColumns =
  'id, stripe_payment_intent_id, customer_id, amount::int8 AS amount, currency, source, item_kind, item_id, ' +
  'quantity, amount_refunded::int8 AS amount_refunded, dispute_status';

function toPayment(p: RefundablePayment): RefundablePayment {
  return { ...p, amount: Number(p.amount), amount_refunded: Number(p.amount_refunded) };
}

/** A payment by paydesk id or Stripe payment intent id; `lock` takes its row for the transaction. */
export async function paymentByRef(
  db: Queryable,
  ref: { id?: string; paymentIntent?: string },
  options: { lock?: boolean } = {},
): Promise<RefundablePayment | undefined> {
  const [where, value] =
    ref.id !== undefined ? ['id', ref.id] : ['stripe_payment_intent_id', ref.paymentIntent];
  const r = await db.query<RefundablePayment>(
    `SELECT ${paymentColumns} FROM payments WHERE ${where} = $1${options.lock ? ' FOR UPDATE' : ''}`,
    [value],
  );
  return r.rows[0] ? toPayment(r.rows[0]) : undefined;
}

/** The amount of a payment's refunds that hold part of it (see HOLDING), other than `except`. */
export async function heldAmount(db: Queryable, paymentId: string, except?: string): Promise<number> {
  const r = await db.query<{ held: string | number | null }>(
    `SELECT COALESCE(sum(amount), 0)::int8 AS held FROM refunds
     WHERE payment_id = $1 AND status = ANY($2::text[]) AND ($3::text IS NULL OR id <> $3)`,
    [paymentId, HOLDING, except ?? null],
  );
  return Number(r.rows[0]?.held ?? 0);
}

/** Sets the payment's refunded amount from its refunds that are pending or succeeded. */
export async function settleRefundedAmount(db: Queryable, paymentId: string): Promise<number> {
  const r = await db.query<{ amount_refunded: string | number }>(
    `UPDATE payments SET amount_refunded = (
       SELECT COALESCE(sum(amount), 0) FROM refunds WHERE payment_id = $1 AND status IN ('pending', 'succeeded'))
     WHERE id = $1 RETURNING amount_refunded::int8 AS amount_refunded`,
    [paymentId],
  );
  return Number(r.rows[0]?.amount_refunded ?? 0);
}

/** Sum of the amounts of the payment's succeeded refunds other than `except` (credit effects applied). */
export async function succeededAmount(db: Queryable, paymentId: string, except: string): Promise<number> {
  const r = await db.query<{ amount: string | number }>(
    `SELECT COALESCE(sum(amount), 0)::int8 AS amount FROM refunds
     WHERE payment_id = $1 AND status = 'succeeded' AND id <> $2`,
    [paymentId, except],
  );
  return Number(r.rows[0]?.amount ?? 0);
}

/** Marks a refund that still waits for Stripe as being attempted; false when it no longer waits. */
export async function markProcessing(db: Queryable, id: string, attempts: number): Promise<boolean> {
  const r = await db.query(
    `UPDATE refunds SET status = 'processing', attempts = $2, updated_at = now()
     WHERE id = $1 AND status IN ('queued', 'processing')`,
    [id, attempts],
  );
  return r.rowCount > 0;
}

/** A refund whose attempt failed and will be retried: queued again, unless Stripe settled it meanwhile. */
export async function markQueued(db: Queryable, id: string, lastError: string | null): Promise<void> {
  await db.query(
    `UPDATE refunds SET status = 'queued', failure_reason = $2, updated_at = now()
     WHERE id = $1 AND status IN ('queued', 'processing')`,
    [id, lastError],
  );
}
