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

/** Inserts the link; a second insert of the same session is a no-op (false). */
export async function insertWhmcsPayment(q: Queryable, p: NewWhmcsPayment): Promise<boolean> {
  const r = await q.query(
    `INSERT INTO whmcs_payments (stripe_session_id, invoice_id, client_id, email, currency, amount, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (stripe_session_id) DO NOTHING RETURNING stripe_session_id`,
    [p.stripe_session_id, p.invoice_id, p.client_id, p.email, p.currency, p.amount.toString(), p.expires_at],
  );
  return r.rows.length === 1;
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

/** The newest open session of an invoice for this amount that expires after `after`, if any. */
export async function openWhmcsSession(
  q: Queryable,
  invoiceId: number,
  amount: bigint,
  after: Date,
): Promise<WhmcsPaymentRow | undefined> {
  const r = await q.query<RawRow>(
    `SELECT ${columns} FROM whmcs_payments
     WHERE invoice_id = $1 AND amount = $2 AND status = 'open' AND expires_at > $3
     ORDER BY created_at DESC LIMIT 1`,
    [invoiceId, amount.toString(), after],
  );
  return r.rows[0] ? toRow(r.rows[0]) : undefined;
}

/** open → paid, once: true only for the caller that made the change. */
export async function markWhmcsPaid(
  q: Queryable,
  sessionId: string,
  chargeId: string,
  amountPaid: bigint,
  paymentIntentId: string,
): Promise<boolean> {
  const r = await q.query(
    `UPDATE whmcs_payments SET status = 'paid', stripe_charge_id = $2, amount_paid = $3,
            stripe_payment_intent_id = $4, updated_at = now()
     WHERE stripe_session_id = $1 AND status IN ('open', 'expired') RETURNING stripe_session_id`,
    [sessionId, chargeId, amountPaid.toString(), paymentIntentId],
  );
  return r.rows.length === 1;
}

/** The two tables whose rows are written to WHMCS by a job, and their keys. */
const tracked = {
  payment: { table: 'whmcs_payments', key: 'stripe_session_id' },
  document: { table: 'whmcs_documents', key: 'id' },
} as const;

async function setStatusIn(
  q: Queryable,
  which: keyof typeof tracked,
  id: string,
  status: string,
  opts: { from?: readonly string[]; error?: string | null; attempted?: boolean },
): Promise<boolean> {
  const { table, key } = tracked[which];
  const r = await q.query(
    `UPDATE ${table} SET status = $2, last_error = COALESCE($3, last_error),
            attempts = attempts + $4, updated_at = now()
     WHERE ${key} = $1 AND ($5::text[] IS NULL OR status = ANY($5::text[]))
     RETURNING ${key}`,
    [id, status, opts.error ?? null, opts.attempted ? 1 : 0, opts.from ? [...opts.from] : null],
  );
  return r.rows.length === 1;
}

export function setWhmcsStatus(
  q: Queryable,
  sessionId: string,
  status: WhmcsPaymentStatus,
  opts: { from?: readonly WhmcsPaymentStatus[]; error?: string | null; attempted?: boolean } = {},
): Promise<boolean> {
  return setStatusIn(q, 'payment', sessionId, status, opts);
}

/**
 * After a failed attempt of a payment's or document's job: `dead` (from `from`) when it was the last
 * attempt, else the attempt and its error noted.
 */
export async function noteFailedAttempt(
  q: Queryable,
  which: keyof typeof tracked,
  id: string,
  opts: { from: readonly string[]; last: boolean; error: string },
): Promise<void> {
  if (opts.last) {
    await setStatusIn(q, which, id, 'dead', { from: opts.from, attempted: true, error: opts.error });
    return;
  }
  const { table, key } = tracked[which];
  await q.query(
    `UPDATE ${table} SET attempts = attempts + 1, last_error = $2, updated_at = now() WHERE ${key} = $1`,
    [id, opts.error],
  );
}

/** Payments paid in Stripe but not (yet) on the WHMCS invoice: waiting, mismatched, or dead. */
export async function pendingWhmcsPayments(q: Queryable): Promise<WhmcsPaymentRow[]> {
  const r = await q.query<RawRow>(
    `SELECT ${columns} FROM whmcs_payments WHERE status IN ('paid', 'mismatch', 'dead') ORDER BY created_at`,
  );
  return r.rows.map(toRow);
}

/** The bridged payment of a Stripe charge or payment intent (a refund's, a dispute's), if any. */
export async function whmcsPaymentByCharge(
  q: Queryable,
  chargeId: string | null,
  paymentIntentId: string | null,
): Promise<WhmcsPaymentRow | undefined> {
  if (!chargeId && !paymentIntentId) return undefined;
  const r = await q.query<RawRow>(
    `SELECT ${columns} FROM whmcs_payments
     WHERE ($1::text IS NOT NULL AND stripe_charge_id = $1) OR ($2::text IS NOT NULL AND stripe_payment_intent_id = $2)
     ORDER BY created_at LIMIT 1`,
    [chargeId, paymentIntentId],
  );
  return r.rows[0] ? toRow(r.rows[0]) : undefined;
}

// Documents: refunds and chargebacks of bridged payments, written on the WHMCS invoice once.

export const whmcsDocumentStatuses = ['pending', 'recorded', 'skipped', 'dead'] as const;
export type WhmcsDocumentStatus = (typeof whmcsDocumentStatuses)[number];

export interface WhmcsDocumentRow {
  id: string;
  kind: 'refund' | 'dispute';
  stripe_session_id: string;
  invoice_id: number;
  client_id: number;
  currency: string;
  amount: bigint;
  direction: 'in' | 'out';
  description: string;
  whmcs_own_id: string | null;
  status: WhmcsDocumentStatus;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

type RawDocument = Omit<WhmcsDocumentRow, 'invoice_id' | 'client_id' | 'amount'> & {
  invoice_id: string | number;
  client_id: string | number;
  amount: string | number;
};

const documentColumns =
  'id, kind, stripe_session_id, invoice_id, client_id, currency, amount, direction, description, whmcs_own_id, ' +
  'status, attempts, last_error, created_at, updated_at';

function toDocument(r: RawDocument): WhmcsDocumentRow {
  return { ...r, invoice_id: Number(r.invoice_id), client_id: Number(r.client_id), amount: BigInt(r.amount) };
}

export type NewWhmcsDocument = Pick<
  WhmcsDocumentRow,
  | 'id'
  | 'kind'
  | 'stripe_session_id'
  | 'invoice_id'
  | 'client_id'
  | 'currency'
  | 'amount'
  | 'direction'
  | 'description'
  | 'whmcs_own_id'
>;

/** Inserts a document; false when one with this id exists already (it is written once). */
export async function insertWhmcsDocument(q: Queryable, d: NewWhmcsDocument): Promise<boolean> {
  const r = await q.query(
    `INSERT INTO whmcs_documents (id, kind, stripe_session_id, invoice_id, client_id, currency, amount, direction,
                                  description, whmcs_own_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING RETURNING id`,
    [
      d.id,
      d.kind,
      d.stripe_session_id,
      d.invoice_id,
      d.client_id,
      d.currency,
      d.amount.toString(),
      d.direction,
      d.description,
      d.whmcs_own_id,
    ],
  );
  return r.rows.length === 1;
}

export async function whmcsDocumentById(q: Queryable, id: string): Promise<WhmcsDocumentRow | undefined> {
  const r = await q.query<RawDocument>(`SELECT ${documentColumns} FROM whmcs_documents WHERE id = $1`, [id]);
  return r.rows[0] ? toDocument(r.rows[0]) : undefined;
}

export function setWhmcsDocumentStatus(
  q: Queryable,
  id: string,
  status: WhmcsDocumentStatus,
  opts: { from?: readonly WhmcsDocumentStatus[]; error?: string | null; attempted?: boolean } = {},
): Promise<boolean> {
  return setStatusIn(q, 'document', id, status, opts);
}

/** Documents not (yet) on their invoice: waiting for the job, or dead. */
export async function pendingWhmcsDocuments(q: Queryable): Promise<WhmcsDocumentRow[]> {
  const r = await q.query<RawDocument>(
    `SELECT ${documentColumns} FROM whmcs_documents WHERE status IN ('pending', 'dead') ORDER BY created_at, id`,
  );
  return r.rows.map(toDocument);
}
