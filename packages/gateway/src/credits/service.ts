// Credits: changes to a customer's balance, each told to the host product (`credits.updated`) in the
// transaction that makes it. Other features grant, reset, take back and read credits through here.
import type { AppContext } from '../context.js';
import { type Notification, notify } from '../notifications/service.js';
import type { Tx } from '../platform/db/tx.js';
import { AppError } from '../platform/errors.js';
import {
  applyOnce,
  type CreditReason,
  clawbackCredits as clawback,
  grantCredits as grant,
  type LedgerChange,
  resetCredits as reset,
} from './store.js';

export type { CreditReason, LedgerChange, LedgerEntry } from './store.js';
export { applyOnce, creditReasons, currentBalance, ledgerPage } from './store.js';

type Notifier = Pick<AppContext, 'config' | 'queue' | 'now'>;

/**
 * Tells the host product about a new ledger entry (`credits.updated`), in the same transaction,
 * once per entry. Nothing is sent for a change whose cause had already been applied.
 */
export async function notifyLedgerChange(
  s: Notifier,
  tx: Tx,
  change: LedgerChange,
  customerId: string,
  context: Notification['data'] = {},
): Promise<void> {
  if (!change.applied) return;
  await notify(s, tx, 'credits.updated', `ledger:${change.entry.id}`, {
    customer: customerId,
    balance: change.entry.balance,
    delta: change.entry.delta,
    reason: change.entry.reason,
    ...context,
  });
}

/** Adds credits once per cause (a paid pack, a plan's credits in `add` mode), and notifies. */
export async function grantCredits(
  s: Notifier,
  tx: Tx,
  grantTo: { customerId: string; amount: number; reason: CreditReason; cause: string; note?: string },
  context: Notification['data'] = {},
): Promise<LedgerChange> {
  const change = await grant(
    tx,
    grantTo.customerId,
    grantTo.amount,
    grantTo.reason,
    grantTo.cause,
    grantTo.note,
  );
  await notifyLedgerChange(s, tx, change, grantTo.customerId, context);
  return change;
}

/** Sets the balance to `to` once per cause (a plan's credits in `reset` mode), and notifies. */
export async function resetCredits(
  s: Notifier,
  tx: Tx,
  resetTo: { customerId: string; to: number; cause: string; note?: string },
  context: Notification['data'] = {},
): Promise<LedgerChange> {
  const change = await reset(tx, resetTo.customerId, resetTo.to, resetTo.cause, resetTo.note);
  await notifyLedgerChange(s, tx, change, resetTo.customerId, context);
  return change;
}

/**
 * Takes back up to `amount` credits once per cause (a refunded pack; never below zero), and notifies
 * with the shortfall (credits already spent).
 */
export async function clawbackCredits(
  s: Notifier,
  tx: Tx,
  takeBack: { customerId: string; amount: number; cause: string },
  context: Notification['data'] = {},
): Promise<LedgerChange> {
  const change = await clawback(tx, takeBack.customerId, takeBack.amount, takeBack.cause);
  await notifyLedgerChange(s, tx, change, takeBack.customerId, {
    ...context,
    shortfall: takeBack.amount + change.entry.delta,
  });
  return change;
}

/**
 * A change by hand (support, an operator in the console): adds (positive) or removes (negative)
 * credits once per idempotency key, never below zero, and notifies. The same key with another amount
 * is a conflict.
 */
export async function adjustCredits(
  s: Notifier,
  tx: Tx,
  adjust: {
    customer: { id: string; external_id: string };
    amount: number;
    idempotencyKey: string;
    note?: string | undefined;
  },
): Promise<LedgerChange> {
  const { customer, amount } = adjust;
  const change = await applyOnce(
    tx,
    {
      customerId: customer.id,
      reason: 'adjustment',
      cause: `adjust:${adjust.idempotencyKey}`,
      ...(adjust.note !== undefined ? { note: adjust.note } : {}),
    },
    (balance) => {
      if (balance + amount < 0) {
        throw new AppError('conflict', `Not enough credits: the balance is ${balance}.`, {
          balance,
          requested: -amount,
        });
      }
      return amount;
    },
  );
  if (!change.applied && change.entry.delta !== amount) {
    throw new AppError('conflict', 'This idempotency_key was used for a different amount.', {
      previous_amount: Math.abs(change.entry.delta),
    });
  }
  await notifyLedgerChange(s, tx, change, customer.id, { external_id: customer.external_id });
  return change;
}

/**
 * Grants a paid credit pack's credits (pack credits × quantity) once per `cause`, with its
 * notification, inside the caller's transaction — however the pack was paid (Checkout, a payment
 * intent, an invoice line). A pack no longer in the catalog grants nothing and is logged.
 */
export async function grantPackCredits(
  s: Notifier & Pick<AppContext, 'catalog' | 'logger'>,
  tx: Tx,
  purchase: { customerId: string; packId: string; quantity: number; cause: string },
  context: Notification['data'] = {},
): Promise<LedgerChange | undefined> {
  const pack = s.catalog.pack(purchase.packId);
  if (!pack) {
    s.logger.error(
      { cause: purchase.cause, pack: purchase.packId },
      'paid pack is no longer in the catalog; no credits granted',
    );
    return undefined;
  }
  return grantCredits(
    s,
    tx,
    {
      customerId: purchase.customerId,
      amount: pack.credits * purchase.quantity,
      reason: 'pack_purchase',
      cause: purchase.cause,
    },
    context,
  );
}
