// The disputes table's SQL.
import type { Queryable } from '../platform/db/types.js';

export interface DisputeRow {
  id: string;
  payment_id: string | null;
  customer_id: string | null;
  stripe_charge_id: string;
  stripe_payment_intent_id: string | null;
  amount: number;
  currency: string;
  reason: string;
  status: string;
  evidence_due_by: Date | null;
  funds_withdrawn: boolean;
  credits_mode: 'off' | 'freeze' | 'clawback';
  credits_held: number;
  credits_shortfall: number;
  credits_released: boolean;
  access_suspended: boolean;
  stripe_created_at: Date;
  created_at: Date;
  updated_at: Date;
}

const columns =
  'id, payment_id, customer_id, stripe_charge_id, stripe_payment_intent_id, amount::int8 AS amount, currency, reason, ' +
  'status, evidence_due_by, funds_withdrawn, credits_mode, credits_held::int8 AS credits_held, ' +
  'credits_shortfall::int8 AS credits_shortfall, credits_released, access_suspended, stripe_created_at, created_at, updated_at';

function toRow(r: DisputeRow): DisputeRow {
  return {
    ...r,
    amount: Number(r.amount),
    credits_held: Number(r.credits_held),
    credits_shortfall: Number(r.credits_shortfall),
  };
}

export type DisputeFacts = Pick<
  DisputeRow,
  | 'id'
  | 'payment_id'
  | 'customer_id'
  | 'stripe_charge_id'
  | 'stripe_payment_intent_id'
  | 'amount'
  | 'currency'
  | 'reason'
  | 'status'
  | 'evidence_due_by'
  | 'stripe_created_at'
  | 'credits_mode'
>;

/** Inserts the dispute or updates what Stripe says of it; returns the row, locked for the transaction. */
export async function upsertDispute(db: Queryable, d: DisputeFacts): Promise<DisputeRow> {
  await db.query(
    `INSERT INTO disputes (id, payment_id, customer_id, stripe_charge_id, stripe_payment_intent_id, amount, currency,
       reason, status, evidence_due_by, stripe_created_at, credits_mode)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (id) DO UPDATE SET amount = excluded.amount, reason = excluded.reason, status = excluded.status,
       evidence_due_by = excluded.evidence_due_by, updated_at = now()`,
    [
      d.id,
      d.payment_id,
      d.customer_id,
      d.stripe_charge_id,
      d.stripe_payment_intent_id,
      d.amount,
      d.currency,
      d.reason,
      d.status,
      d.evidence_due_by,
      d.stripe_created_at,
      d.credits_mode,
    ],
  );
  const r = await db.query<DisputeRow>(`SELECT ${columns} FROM disputes WHERE id = $1 FOR UPDATE`, [d.id]);
  return toRow(r.rows[0]!);
}

export async function updateDispute(
  db: Queryable,
  id: string,
  fields: Partial<
    Pick<
      DisputeRow,
      'funds_withdrawn' | 'credits_held' | 'credits_shortfall' | 'credits_released' | 'access_suspended'
    >
  >,
): Promise<DisputeRow> {
  const sets: string[] = [];
  const params: unknown[] = [id];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    params.push(v);
    sets.push(`${k} = $${params.length}`);
  }
  const r = await db.query<DisputeRow>(
    `UPDATE disputes SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 RETURNING ${columns}`,
    params,
  );
  return toRow(r.rows[0]!);
}

export async function disputeById(db: Queryable, id: string): Promise<DisputeRow | undefined> {
  const r = await db.query<DisputeRow>(`SELECT ${columns} FROM disputes WHERE id = $1`, [id]);
  return r.rows[0] ? toRow(r.rows[0]) : undefined;
}

/** Whether an open dispute of one of the customer's subscription payments suspends their access. */
export async function accessSuspended(db: Queryable, customerId: string): Promise<boolean> {
  const r = await db.query('SELECT 1 FROM disputes WHERE customer_id = $1 AND access_suspended LIMIT 1', [
    customerId,
  ]);
  return r.rowCount > 0;
}

/** One page of disputes, newest first (by when Stripe opened them); `after` as for payments. */
export async function listDisputeRows(
  db: Queryable,
  q: {
    status?: string | undefined;
    paymentId?: string | undefined;
    customerId?: string | undefined;
    after?: string | undefined;
    limit: number;
  },
): Promise<DisputeRow[] | undefined> {
  const params: unknown[] = [];
  const where: string[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (q.status !== undefined) add('status = ?', q.status);
  if (q.paymentId !== undefined) add('payment_id = ?', q.paymentId);
  if (q.customerId !== undefined) add('customer_id = ?', q.customerId);
  if (q.after !== undefined) {
    params.push(q.after);
    const n = params.length;
    const cursor = await db.query(
      `SELECT 1 FROM disputes WHERE id = $${n}${where.length > 0 ? ` AND ${where.join(' AND ')}` : ''}`,
      params,
    );
    if (cursor.rowCount === 0) return undefined;
    where.push(`(stripe_created_at, id) < (SELECT stripe_created_at, id FROM disputes WHERE id = $${n})`);
  }
  params.push(q.limit);
  const r = await db.query<DisputeRow>(
    `SELECT ${columns} FROM disputes ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY stripe_created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return r.rows.map(toRow);
}

/** The payment's dispute status, as the payment history shows it. */
export async function markPaymentDisputed(db: Queryable, paymentId: string, status: string): Promise<void> {
  await db.query('UPDATE payments SET dispute_status = $2 WHERE id = $1', [paymentId, status]);
}
