import type { Queryable } from '../platform/db/types.js';

export const whmcsStatuses = ['open', 'paid', 'recorded', 'mismatch', 'dead', 'expired'] as const;
export type WhmcsPaymentStatus = (typeof whmcsStatuses)[number];

export interface WhmcsPaymentRow {
  stripe_session_id: string;
  invoice_id: number;
  client_id: number;
  email: string;
  currency: string;
  amount: bigint;
  status: WhmcsPaymentStatus;
  stripe_charge_id: string | null;
  amount_paid: bigint | null;
  attempts: number;
  last_error: string | null;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
}

type RawRow = Omit<WhmcsPaymentRow, 'invoice_id' | 'client_id' | 'amount' | 'amount_paid'> & {
  invoice_id: string | number;
  client_id: string | number;
  amount: string | number;
  amount_paid: string | number | null;
};

const columns =
  'stripe_session_id, invoice_id, client_id, email, currency, amount, status, stripe_charge_id, amount_paid, ' +
  'attempts, last_error, expires_at, created_at, updated_at';

function toRow(r: RawRow): WhmcsPaymentRow {
  return {
    ...r,
    invoice_id: Number(r.invoice_id),
    client_id: Number(r.client_id),
    amount: BigInt(r.amount),
    amount_paid: r.amount_paid === null ? null : BigInt(r.amount_paid),
  };
}

export type NewWhmcsPayment = Pick<
  WhmcsPaymentRow,
  'stripe_session_id' | 'invoice_id' | 'client_id' | 'email' | 'currency' | 'amount' | 'expires_at'
>;

/** Inserts the link; a second insert of the same session is a no-op. */
export async function insertWhmcsPayment(q: Queryable, p: NewWhmcsPayment): Promise<void> {
  await q.query(
    `INSERT INTO whmcs_payments (stripe_session_id, invoice_id, client_id, email, currency, amount, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (stripe_session_id) DO NOTHING`,
    [p.stripe_session_id, p.invoice_id, p.client_id, p.email, p.currency, p.amount.toString(), p.expires_at],
  );
}

export async function whmcsPaymentBySession(
  q: Queryable,
  sessionId: string,
): Promise<WhmcsPaymentRow | undefined> {
  const r = await q.query<RawRow>(`SELECT ${columns} FROM whmcs_payments WHERE stripe_session_id = $1`, [
    sessionId,
  ]);
  return r.rows[0] ? toRow(r.rows[0]) : undefined;
}

/** open → paid, once: true only for the caller that made the change. */
export async function markWhmcsPaid(
  q: Queryable,
  sessionId: string,
  chargeId: string,
  amountPaid: bigint,
): Promise<boolean> {
  const r = await q.query(
    `UPDATE whmcs_payments SET status = 'paid', stripe_charge_id = $2, amount_paid = $3, updated_at = now()
     WHERE stripe_session_id = $1 AND status IN ('open', 'expired') RETURNING stripe_session_id`,
    [sessionId, chargeId, amountPaid.toString()],
  );
  return r.rows.length === 1;
}

export async function setWhmcsStatus(
  q: Queryable,
  sessionId: string,
  status: WhmcsPaymentStatus,
  opts: { from?: readonly WhmcsPaymentStatus[]; error?: string | null; attempted?: boolean } = {},
): Promise<boolean> {
  const r = await q.query(
    `UPDATE whmcs_payments SET status = $2, last_error = COALESCE($3, last_error),
            attempts = attempts + $4, updated_at = now()
     WHERE stripe_session_id = $1 AND ($5::text[] IS NULL OR status = ANY($5::text[]))
     RETURNING stripe_session_id`,
    [sessionId, status, opts.error ?? null, opts.attempted ? 1 : 0, opts.from ? [...opts.from] : null],
  );
  return r.rows.length === 1;
}

export async function noteWhmcsAttempt(q: Queryable, sessionId: string, error: string): Promise<void> {
  await q.query(
    `UPDATE whmcs_payments SET attempts = attempts + 1, last_error = $2, updated_at = now() WHERE stripe_session_id = $1`,
    [sessionId, error],
  );
}

/** Payments paid in Stripe but not (yet) on the WHMCS invoice: waiting, mismatched, or dead. */
export async function pendingWhmcsPayments(q: Queryable): Promise<WhmcsPaymentRow[]> {
  const r = await q.query<RawRow>(
    `SELECT ${columns} FROM whmcs_payments WHERE status IN ('paid', 'mismatch', 'dead') ORDER BY created_at`,
  );
  return r.rows.map(toRow);
}
