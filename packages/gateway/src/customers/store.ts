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
