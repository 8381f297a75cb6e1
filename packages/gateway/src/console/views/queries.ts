// The console's read side: the lists its tables show, newest first, one page at a time with a keyset
// cursor (the id of the previous page's last row; never OFFSET, so page 1,000 costs what page 1 does).
// Only reads live here: every action a view takes goes through the owning feature's service.
// The statement text holds only the filters in use, so each combination is planned with its own index
// (migration 0017) rather than one generic plan for `$1 IS NULL OR …`.
import type { Queryable } from '../../platform/db/types.js';

/** One page of a list and the cursor of the next (null on the last page). */
export interface ListPage<Row> {
  rows: Row[];
  next: string | null;
}

/** Reads `limit + 1` rows: the extra one says whether there is a next page. */
export function pageOf<Row extends { id: string | number }>(rows: Row[], limit: number): ListPage<Row> {
  const page = rows.slice(0, limit);
  return { rows: page, next: rows.length > limit ? String(page[page.length - 1]!.id) : null };
}

/** A WHERE clause built from the filters in use, with its parameters numbered in order. */
class Where {
  readonly params: unknown[] = [];
  private readonly parts: string[] = [];

  /** `sql` names the parameter `?`; it is replaced by its number. */
  add(sql: string, ...values: unknown[]): void {
    let i = 0;
    this.parts.push(
      sql.replace(/\?/g, () => {
        this.params.push(values[i++]);
        return `$${this.params.length}`;
      }),
    );
  }

  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  get sql(): string {
    return this.parts.length > 0 ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

// ---------------------------------------------------------------------------------------------------
// Payments

export const paymentStatuses = ['not_refunded', 'refunded', 'disputed'] as const;
export type PaymentStatusFilter = (typeof paymentStatuses)[number];

export interface PaymentFilter {
  status?: PaymentStatusFilter | undefined;
  /** A paydesk customer id (already resolved from an external id or email). */
  customerId?: string | undefined;
  currency?: string | undefined;
  /** Paid at or after `from`, and before `until`. */
  from?: Date | undefined;
  until?: Date | undefined;
}

export interface PaymentListRow {
  id: string;
  stripe_payment_intent_id: string;
  customer_id: string | null;
  external_id: string | null;
  email: string | null;
  amount: number;
  amount_refunded: number;
  currency: string;
  source: string;
  description: string | null;
  dispute_status: string | null;
  paid_at: Date;
}

export async function paymentsPage(
  db: Queryable,
  f: PaymentFilter,
  cursor: string | undefined,
  limit: number,
): Promise<ListPage<PaymentListRow>> {
  const w = new Where();
  if (f.customerId !== undefined) w.add('p.customer_id = ?', f.customerId);
  if (f.currency !== undefined) w.add('p.currency = ?', f.currency);
  if (f.from !== undefined) w.add('p.paid_at >= ?', f.from);
  if (f.until !== undefined) w.add('p.paid_at < ?', f.until);
  if (f.status === 'refunded') w.add('p.amount_refunded > 0');
  if (f.status === 'not_refunded') w.add('p.amount_refunded = 0');
  if (f.status === 'disputed') w.add('p.dispute_status IS NOT NULL');
  if (cursor !== undefined)
    w.add(
      '(p.paid_at, p.created_at, p.id) < (SELECT paid_at, created_at, id FROM payments WHERE id = ?)',
      cursor,
    );
  const r = await db.query<PaymentListRow>(
    `SELECT p.id, p.stripe_payment_intent_id, p.customer_id, c.external_id, c.email, p.amount, p.amount_refunded,
       p.currency, p.source, p.description, p.dispute_status, p.paid_at
     FROM payments p LEFT JOIN customers c ON c.id = p.customer_id
     ${w.sql} ORDER BY p.paid_at DESC, p.created_at DESC, p.id DESC LIMIT ${w.param(limit + 1)}`,
    w.params,
  );
  return pageOf(r.rows, limit);
}

export async function paymentRow(db: Queryable, id: string): Promise<PaymentListRow | undefined> {
  const r = await db.query<PaymentListRow>(
    `SELECT p.id, p.stripe_payment_intent_id, p.customer_id, c.external_id, c.email, p.amount, p.amount_refunded,
       p.currency, p.source, p.description, p.dispute_status, p.paid_at
     FROM payments p LEFT JOIN customers c ON c.id = p.customer_id WHERE p.id = $1`,
    [id],
  );
  return r.rows[0];
}

// ---------------------------------------------------------------------------------------------------
// Customers

/**
 * The customer a filter names: its paydesk id, its external id (the host product's user id) or its
 * email (case-insensitive; the newest customer with it). Undefined when none matches.
 */
export async function findCustomerId(db: Queryable, text: string): Promise<string | undefined> {
  const r = await db.query<{ id: string }>(
    `SELECT id FROM customers WHERE id = $1 OR external_id = $1
     UNION ALL (SELECT id FROM customers WHERE lower(email) = lower($1) ORDER BY created_at DESC LIMIT 1)
     LIMIT 1`,
    [text],
  );
  return r.rows[0]?.id;
}

export interface CustomerListRow {
  id: string;
  external_id: string;
  email: string | null;
  name: string | null;
  stripe_customer_id: string | null;
  created_at: Date;
  deleted_at: Date | null;
  plan: string | null;
  subscription_status: string | null;
  keys: string[] | null;
  /** When the subscription went past due (its grace period counts from here); null otherwise. */
  past_due_since: Date | null;
  balance: number | null;
}

const customerColumns = `c.id, c.external_id, c.email, c.name, c.stripe_customer_id, c.created_at, c.deleted_at,
  e.plan, e.status AS subscription_status, e.keys, e.past_due_since,
  (SELECT l.balance FROM credit_ledger l WHERE l.customer_id = c.id ORDER BY l.id DESC LIMIT 1) AS balance`;

export async function customersPage(
  db: Queryable,
  f: { customerId?: string | undefined },
  cursor: string | undefined,
  limit: number,
): Promise<ListPage<CustomerListRow>> {
  const w = new Where();
  if (f.customerId !== undefined) w.add('c.id = ?', f.customerId);
  if (cursor !== undefined)
    w.add('(c.created_at, c.id) < (SELECT created_at, id FROM customers WHERE id = ?)', cursor);
  const r = await db.query<CustomerListRow>(
    `SELECT ${customerColumns} FROM customers c LEFT JOIN entitlements e ON e.customer_id = c.id
     ${w.sql} ORDER BY c.created_at DESC, c.id DESC LIMIT ${w.param(limit + 1)}`,
    w.params,
  );
  return pageOf(r.rows, limit);
}

export async function customerRow(db: Queryable, id: string): Promise<CustomerListRow | undefined> {
  const r = await db.query<CustomerListRow>(
    `SELECT ${customerColumns} FROM customers c LEFT JOIN entitlements e ON e.customer_id = c.id WHERE c.id = $1`,
    [id],
  );
  return r.rows[0];
}

// ---------------------------------------------------------------------------------------------------
// Subscriptions

export interface SubscriptionListRow {
  id: string;
  customer_id: string;
  external_id: string;
  email: string | null;
  stripe_subscription_id: string | null;
  status: string;
  plan: string | null;
  interval: string | null;
  currency: string;
  cancel_at_period_end: boolean;
  current_period_end: Date | null;
  created_at: Date;
}

export async function subscriptionsPage(
  db: Queryable,
  f: {
    status?: string | undefined;
    plan?: string | undefined;
    customerId?: string | undefined;
    currency?: string | undefined;
  },
  cursor: string | undefined,
  limit: number,
): Promise<ListPage<SubscriptionListRow>> {
  const w = new Where();
  if (f.status !== undefined) w.add('s.status = ?', f.status);
  if (f.plan !== undefined) w.add('s.plan = ?', f.plan);
  if (f.customerId !== undefined) w.add('s.customer_id = ?', f.customerId);
  if (f.currency !== undefined) w.add('s.currency = ?', f.currency);
  if (cursor !== undefined)
    w.add('(s.created_at, s.id) < (SELECT created_at, id FROM subscriptions WHERE id = ?)', cursor);
  const r = await db.query<SubscriptionListRow>(
    `SELECT s.id, s.customer_id, c.external_id, c.email, s.stripe_subscription_id, s.status, s.plan, s.interval,
       s.currency, s.cancel_at_period_end, s.current_period_end, s.created_at
     FROM subscriptions s JOIN customers c ON c.id = s.customer_id
     ${w.sql} ORDER BY s.created_at DESC, s.id DESC LIMIT ${w.param(limit + 1)}`,
    w.params,
  );
  return pageOf(r.rows, limit);
}

// ---------------------------------------------------------------------------------------------------
// Credits ledger, every customer's

export interface LedgerListRow {
  id: number;
  customer_id: string;
  external_id: string;
  delta: number;
  balance: number;
  reason: string;
  cause: string;
  note: string | null;
  created_at: Date;
}

export async function ledgerPageAll(
  db: Queryable,
  f: { reason?: string | undefined; customerId?: string | undefined },
  cursor: string | undefined,
  limit: number,
): Promise<ListPage<LedgerListRow>> {
  const w = new Where();
  if (f.customerId !== undefined) w.add('l.customer_id = ?', f.customerId);
  if (f.reason !== undefined) w.add('l.reason = ?', f.reason);
  if (cursor !== undefined) w.add('l.id < ?', Number(cursor));
  const r = await db.query<LedgerListRow>(
    `SELECT l.id, l.customer_id, c.external_id, l.delta, l.balance, l.reason, l.cause, l.note, l.created_at
     FROM credit_ledger l JOIN customers c ON c.id = l.customer_id
     ${w.sql} ORDER BY l.id DESC LIMIT ${w.param(limit + 1)}`,
    w.params,
  );
  return pageOf(
    r.rows.map((row) => ({ ...row, id: Number(row.id) })),
    limit,
  );
}

// ---------------------------------------------------------------------------------------------------
// Webhook events

export const eventStatuses = ['pending', 'processed', 'ignored', 'failed'] as const;

export interface EventListRow {
  id: string;
  seq: number;
  type: string;
  object_id: string | null;
  source: string;
  status: string;
  status_reason: string | null;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  received_at: Date;
  processed_at: Date | null;
}

const eventColumns = `id, seq, type, object_id, source, status, status_reason, attempts, max_attempts, last_error,
  received_at, processed_at`;

export async function eventsPage(
  db: Queryable,
  f: { status?: string | undefined; type?: string | undefined; objectId?: string | undefined },
  cursor: string | undefined,
  limit: number,
): Promise<ListPage<EventListRow>> {
  const w = new Where();
  if (f.status !== undefined) w.add('status = ?', f.status);
  if (f.type !== undefined) w.add('type = ?', f.type);
  if (f.objectId !== undefined) w.add('object_id = ?', f.objectId);
  if (cursor !== undefined) w.add('seq < (SELECT seq FROM stripe_events WHERE id = ?)', cursor);
  const r = await db.query<EventListRow>(
    `SELECT ${eventColumns} FROM stripe_events ${w.sql} ORDER BY seq DESC LIMIT ${w.param(limit + 1)}`,
    w.params,
  );
  return pageOf(
    r.rows.map((row) => ({ ...row, seq: Number(row.seq) })),
    limit,
  );
}
