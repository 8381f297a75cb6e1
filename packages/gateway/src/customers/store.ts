import type { Queryable } from '../platform/db/types.js';

export interface CustomerRow {
  id: string;
  external_id: string;
  stripe_customer_id: string | null;
  email: string | null;
  name: string | null;
  created_at: Date;
  updated_at: Date;
}

const columns = 'id, external_id, stripe_customer_id, email, name, created_at, updated_at';

/** Inserts the customer unless one with that external_id exists; returns the stored row and whether it is new. */
export async function insertCustomer(
  db: Queryable,
  row: { id: string; external_id: string; email: string | null; name: string | null },
): Promise<{ customer: CustomerRow; created: boolean }> {
  const inserted = await db.query<CustomerRow>(
    `INSERT INTO customers (id, external_id, email, name) VALUES ($1, $2, $3, $4)
     ON CONFLICT (external_id) DO NOTHING RETURNING ${columns}`,
    [row.id, row.external_id, row.email, row.name],
  );
  if (inserted.rows[0]) return { customer: inserted.rows[0], created: true };
  const existing = await customerByExternalId(db, row.external_id);
  if (!existing) throw new Error(`customer ${row.external_id} vanished during insert`);
  return { customer: existing, created: false };
}

export async function customerById(db: Queryable, id: string): Promise<CustomerRow | undefined> {
  return (await db.query<CustomerRow>(`SELECT ${columns} FROM customers WHERE id = $1`, [id])).rows[0];
}

export async function customerByExternalId(
  db: Queryable,
  externalId: string,
): Promise<CustomerRow | undefined> {
  return (
    await db.query<CustomerRow>(`SELECT ${columns} FROM customers WHERE external_id = $1`, [externalId])
  ).rows[0];
}

export async function customerByStripeId(db: Queryable, stripeId: string): Promise<CustomerRow | undefined> {
  return (
    await db.query<CustomerRow>(`SELECT ${columns} FROM customers WHERE stripe_customer_id = $1`, [stripeId])
  ).rows[0];
}

export async function setStripeCustomerId(db: Queryable, id: string, stripeId: string): Promise<CustomerRow> {
  const r = await db.query<CustomerRow>(
    `UPDATE customers SET stripe_customer_id = $2, updated_at = now() WHERE id = $1 RETURNING ${columns}`,
    [id, stripeId],
  );
  return r.rows[0]!;
}

export async function updateCustomerContact(
  db: Queryable,
  id: string,
  fields: { email: string | null; name: string | null },
): Promise<CustomerRow> {
  const r = await db.query<CustomerRow>(
    `UPDATE customers SET email = $2, name = $3, updated_at = now() WHERE id = $1 RETURNING ${columns}`,
    [id, fields.email, fields.name],
  );
  return r.rows[0]!;
}

/** The contact fields of the customers with these Stripe ids (one statement for many). */
export async function contactsByStripeIds(
  db: Queryable,
  stripeIds: readonly string[],
): Promise<(Pick<CustomerRow, 'id' | 'email' | 'name'> & { stripe_customer_id: string })[]> {
  const r = await db.query<Pick<CustomerRow, 'id' | 'email' | 'name'> & { stripe_customer_id: string }>(
    'SELECT id, email, name, stripe_customer_id FROM customers WHERE stripe_customer_id = ANY($1::text[])',
    [stripeIds],
  );
  return r.rows;
}

/** Marks a customer deleted in Stripe (the first time only). */
export async function markCustomerDeleted(db: Queryable, id: string): Promise<void> {
  await db.query(
    'UPDATE customers SET deleted_at = COALESCE(deleted_at, now()), updated_at = now() WHERE id = $1',
    [id],
  );
}

/** The demo users the billing pages' demo sign-in offers (external ids `demo-…`), newest first. */
export async function demoUsers(
  db: Queryable,
  limit = 20,
): Promise<{ externalId: string; email: string | null }[]> {
  const r = await db.query<{ external_id: string; email: string | null }>(
    "SELECT external_id, email FROM customers WHERE external_id LIKE 'demo-%' ORDER BY created_at DESC LIMIT $1",
    [limit],
  );
  return r.rows.map((row) => ({ externalId: row.external_id, email: row.email }));
}

export interface CardRow {
  customer_id: string;
  source: 'customer' | 'subscription';
  payment_method: string;
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  observed_at: Date;
}

/**
 * Stores the card a customer pays with as read from Stripe at `observed_at`: an older reading never
 * overwrites a newer one, and a subscription's card never replaces the customer's default.
 */
export async function upsertCard(db: Queryable, row: CardRow): Promise<void> {
  await db.query(
    `INSERT INTO customer_cards (customer_id, source, payment_method, brand, last4, exp_month, exp_year, observed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (customer_id) DO UPDATE SET
       source = EXCLUDED.source, payment_method = EXCLUDED.payment_method, brand = EXCLUDED.brand,
       last4 = EXCLUDED.last4, exp_month = EXCLUDED.exp_month, exp_year = EXCLUDED.exp_year,
       observed_at = EXCLUDED.observed_at
     WHERE customer_cards.observed_at <= EXCLUDED.observed_at
       AND (EXCLUDED.source = 'customer' OR customer_cards.source = 'subscription')`,
    [
      row.customer_id,
      row.source,
      row.payment_method,
      row.brand,
      row.last4,
      row.exp_month,
      row.exp_year,
      row.observed_at,
    ],
  );
}

/** Forgets the customer's default card (Stripe says it has none now), unless a newer reading is stored. */
export async function deleteCustomerCard(db: Queryable, customerId: string, observedAt: Date): Promise<void> {
  await db.query(
    `DELETE FROM customer_cards WHERE customer_id = $1 AND source = 'customer' AND observed_at <= $2`,
    [customerId, observedAt],
  );
}

export async function cardOf(db: Queryable, customerId: string): Promise<CardRow | undefined> {
  return (
    await db.query<CardRow>(
      `SELECT customer_id, source, payment_method, brand, last4, exp_month, exp_year, observed_at
       FROM customer_cards WHERE customer_id = $1`,
      [customerId],
    )
  ).rows[0];
}
