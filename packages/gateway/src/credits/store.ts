// The credits ledger. Every change is one appended entry carrying the balance after it; the database
// refuses a negative balance (CHECK) and a second entry for the same cause (UNIQUE). Writers lock the
// customer row first, so concurrent changes to one customer's balance are serialised.
import type { Queryable } from '../platform/db/types.js';
import { AppError } from '../platform/errors.js';

/** Why a ledger entry was written. */
export const creditReasons = [
  'pack_purchase',
  'period_reset',
  'period_grant',
  'consume',
  'refund',
  'refund_reversed',
  'adjustment',
  'dispute_hold',
  'dispute_release',
  'dispute_clawback',
] as const;
export type CreditReason = (typeof creditReasons)[number];

export interface LedgerEntry {
  id: number;
  customer_id: string;
  delta: number;
  balance: number;
  reason: CreditReason;
  cause: string;
  note: string | null;
  created_at: Date;
}

const columns = 'id, customer_id, delta, balance, reason, cause, note, created_at';

async function lockCustomer(tx: Queryable, customerId: string): Promise<void> {
  const r = await tx.query('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [customerId]);
  if (r.rowCount === 0) throw new AppError('not_found', `No such customer: ${customerId}.`);
}

export async function currentBalance(db: Queryable, customerId: string): Promise<number> {
  const r = await db.query<{ balance: number }>(
    'SELECT balance FROM credit_ledger WHERE customer_id = $1 ORDER BY id DESC LIMIT 1',
    [customerId],
  );
  return r.rows[0]?.balance ?? 0;
}

async function existing(tx: Queryable, customerId: string, cause: string): Promise<LedgerEntry | undefined> {
  return (
    await tx.query<LedgerEntry>(
      `SELECT ${columns} FROM credit_ledger WHERE customer_id = $1 AND cause = $2`,
      [customerId, cause],
    )
  ).rows[0];
}

async function append(
  tx: Queryable,
  customerId: string,
  delta: number,
  balance: number,
  reason: CreditReason,
  cause: string,
  note: string | null,
): Promise<LedgerEntry> {
  const r = await tx.query<LedgerEntry>(
    `INSERT INTO credit_ledger (customer_id, delta, balance, reason, cause, note) VALUES ($1, $2, $3, $4, $5, $6)
     RETURNING ${columns}`,
    [customerId, delta, balance, reason, cause, note],
  );
  return r.rows[0]!;
}

/**
 * The largest balance (and change) the ledger holds: its columns are bigint, and paydesk reads them
 * as JavaScript numbers, exact up to 2^53 - 1. A change that would pass it is refused before the
 * database sees it.
 */
export const MAX_CREDITS = Number.MAX_SAFE_INTEGER;

export interface LedgerChange {
  entry: LedgerEntry;
  /** False when this cause had already been applied (the entry returned is the earlier one). */
  applied: boolean;
}

/**
 * Applies one change for a cause, once. `compute` gets the balance before and returns the delta (it
 * may throw, e.g. when a consume would go below zero). Must run inside a transaction.
 */
export async function applyOnce(
  tx: Queryable,
  change: { customerId: string; reason: CreditReason; cause: string; note?: string },
  compute: (balance: number) => number,
): Promise<LedgerChange> {
  await lockCustomer(tx, change.customerId);
  const prior = await existing(tx, change.customerId, change.cause);
  if (prior) return { entry: prior, applied: false };
  const balance = await currentBalance(tx, change.customerId);
  const delta = compute(balance);
  const after = balance + delta;
  if (!Number.isSafeInteger(delta) || !Number.isSafeInteger(after) || after > MAX_CREDITS) {
    throw new AppError(
      'conflict',
      `The balance would pass the largest one paydesk holds (${MAX_CREDITS}): it is ${balance}, the change ${delta}.`,
      { balance, requested: delta, max_balance: MAX_CREDITS },
    );
  }
  const entry = await append(
    tx,
    change.customerId,
    delta,
    after,
    change.reason,
    change.cause,
    change.note ?? null,
  );
  return { entry, applied: true };
}

/** Adds credits (a paid pack, or a plan's credits in `add` mode). */
export function grantCredits(
  tx: Queryable,
  customerId: string,
  amount: number,
  reason: CreditReason,
  cause: string,
  note?: string,
) {
  return applyOnce(tx, { customerId, reason, cause, note }, () => amount);
}

/** Sets the balance to `to` (a plan's credits in `reset` mode, on each paid period). */
export function resetCredits(tx: Queryable, customerId: string, to: number, cause: string, note?: string) {
  return applyOnce(tx, { customerId, reason: 'period_reset', cause, note }, (balance) => to - balance);
}

/**
 * Takes back up to `amount` credits (a refunded pack). The balance never goes below zero: credits
 * already spent stay spent, and the note records the shortfall.
 */
export function clawbackCredits(tx: Queryable, customerId: string, amount: number, cause: string) {
  return applyOnce(
    tx,
    { customerId, reason: 'refund', cause, note: undefined },
    (balance) => -Math.min(amount, balance),
  );
}

/** Spends credits atomically; 409 with the balance when there are not enough. */
export function consumeCredits(tx: Queryable, customerId: string, amount: number, idempotencyKey: string) {
  return applyOnce(tx, { customerId, reason: 'consume', cause: `consume:${idempotencyKey}` }, (balance) => {
    if (balance < amount) {
      throw new AppError('conflict', `Not enough credits: the balance is ${balance}, ${amount} requested.`, {
        balance,
        requested: amount,
      });
    }
    return -amount;
  });
}

export async function ledgerPage(
  db: Queryable,
  customerId: string,
  options: { limit: number; before?: number },
): Promise<{ entries: LedgerEntry[]; hasMore: boolean }> {
  const r = await db.query<LedgerEntry>(
    `SELECT ${columns} FROM credit_ledger WHERE customer_id = $1 AND ($2::bigint IS NULL OR id < $2)
     ORDER BY id DESC LIMIT $3`,
    [customerId, options.before ?? null, options.limit + 1],
  );
  return {
    entries: r.rows.slice(0, options.limit).map((e) => ({ ...e, id: Number(e.id) })),
    hasMore: r.rows.length > options.limit,
  };
}
