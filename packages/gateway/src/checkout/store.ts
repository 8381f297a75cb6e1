import type { Queryable } from '../platform/db/types.js';

export interface CheckoutRow {
  id: string;
  customer_id: string | null;
  kind: 'pack' | 'plan' | 'custom';
  item_id: string | null;
  plan_interval: 'month' | 'year' | null;
  quantity: number;
  currency: string;
  amount_total: number;
  mode: 'payment' | 'subscription';
  redirect_url: string | null;
  stripe_session_id: string | null;
  url: string | null;
  /** `creating` until Stripe answered, then Stripe's status (open, complete, expired), or `failed`. */
  status: string;
  payment_status: string;
  stripe_payment_intent_id: string | null;
  stripe_subscription_id: string | null;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
}

const columns =
  'id, customer_id, kind, item_id, plan_interval, quantity, currency, amount_total, mode, redirect_url, ' +
  'stripe_session_id, url, status, payment_status, stripe_payment_intent_id, stripe_subscription_id, ' +
  'expires_at, created_at, updated_at';

export type NewCheckout = Pick<
  CheckoutRow,
  | 'id'
  | 'customer_id'
  | 'kind'
  | 'item_id'
  | 'plan_interval'
  | 'quantity'
  | 'currency'
  | 'amount_total'
  | 'mode'
  | 'redirect_url'
  | 'expires_at'
>;

/**
 * Writes the record before Stripe is called. Only what the database decides comes back (its
 * defaults and timestamps): the rest is what was written.
 */
export async function insertCheckout(db: Queryable, c: NewCheckout): Promise<CheckoutRow> {
  const r = await db.query<Pick<CheckoutRow, 'status' | 'payment_status' | 'created_at' | 'updated_at'>>(
    `INSERT INTO checkout_sessions (id, customer_id, kind, item_id, plan_interval, quantity, currency,
       amount_total, mode, redirect_url, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     RETURNING status, payment_status, created_at, updated_at`,
    [
      c.id,
      c.customer_id,
      c.kind,
      c.item_id,
      c.plan_interval,
      c.quantity,
      c.currency,
      c.amount_total,
      c.mode,
      c.redirect_url,
      c.expires_at,
    ],
  );
  return {
    ...c,
    stripe_session_id: null,
    url: null,
    stripe_payment_intent_id: null,
    stripe_subscription_id: null,
    ...r.rows[0]!,
  };
}

/** By paydesk's id (chk_…) or Stripe's (cs_…). */
export async function checkoutByRef(db: Queryable, ref: string): Promise<CheckoutRow | undefined> {
  const r = await db.query<CheckoutRow>(
    `SELECT ${columns} FROM checkout_sessions WHERE id = $1 OR stripe_session_id = $1`,
    [ref],
  );
  return r.rows[0];
}

/**
 * Setting the session's status and url after Stripe opened it never undoes a state the webhook
 * handler may have stored first (a session completed or expired before this write landed).
 */
const forwardOnly =
  "status = CASE WHEN status IN ('complete', 'expired') THEN status ELSE $4 END, " +
  "url = CASE WHEN status IN ('complete', 'expired') THEN url ELSE $3 END";
/** The columns a webhook may have moved on before the creating request stored the session. */
type Settled = 'status' | 'url' | 'payment_status' | 'stripe_payment_intent_id' | 'stripe_subscription_id';
const settled = 'status, url, payment_status, stripe_payment_intent_id, stripe_subscription_id';

export async function markCheckoutCreated(
  db: Queryable,
  id: string,
  f: { stripe_session_id: string; url: string | null; status: string },
): Promise<CheckoutRow> {
  const r = await db.query<CheckoutRow>(
    `UPDATE checkout_sessions SET stripe_session_id = $2, ${forwardOnly}, updated_at = now()
     WHERE id = $1 RETURNING ${columns}`,
    [id, f.stripe_session_id, f.url, f.status],
  );
  return r.rows[0]!;
}

/**
 * The request that wrote `record` stores the session Stripe opened for it: the record as written,
 * with the session's id, url and status (unless a webhook already stored a later state) and the new
 * updated_at.
 */
export async function recordStripeSession(
  db: Queryable,
  record: CheckoutRow,
  f: { stripe_session_id: string; url: string | null; status: string },
): Promise<CheckoutRow> {
  const r = await db.query<Pick<CheckoutRow, Settled | 'updated_at'>>(
    `UPDATE checkout_sessions SET stripe_session_id = $2, ${forwardOnly}, updated_at = now()
     WHERE id = $1 RETURNING ${settled}, updated_at`,
    [record.id, f.stripe_session_id, f.url, f.status],
  );
  const row = r.rows[0];
  if (!row) throw new Error(`checkout record ${record.id} is gone`);
  return { ...record, stripe_session_id: f.stripe_session_id, ...row };
}

export async function markCheckoutFailed(db: Queryable, id: string): Promise<void> {
  await db.query(
    `UPDATE checkout_sessions SET status = 'failed', updated_at = now() WHERE id = $1 AND status = 'creating'`,
    [id],
  );
}

/**
 * Stores what Stripe says about the session. A session only moves forward (open → complete or
 * expired), so a late, older read never undoes a newer one.
 */
export async function updateCheckoutFromStripe(
  db: Queryable,
  id: string,
  f: {
    status: string;
    payment_status: string;
    stripe_payment_intent_id: string | null;
    stripe_subscription_id: string | null;
  },
): Promise<CheckoutRow> {
  const r = await db.query<CheckoutRow>(
    `UPDATE checkout_sessions SET
       status = CASE WHEN status IN ('complete', 'expired') THEN status ELSE $2 END,
       payment_status = CASE WHEN payment_status = 'paid' THEN payment_status ELSE $3 END,
       stripe_payment_intent_id = COALESCE($4, stripe_payment_intent_id),
       stripe_subscription_id = COALESCE($5, stripe_subscription_id),
       url = CASE WHEN $2 = 'open' THEN url ELSE NULL END,
       updated_at = now()
     WHERE id = $1 RETURNING ${columns}`,
    [id, f.status, f.payment_status, f.stripe_payment_intent_id, f.stripe_subscription_id],
  );
  return r.rows[0]!;
}
