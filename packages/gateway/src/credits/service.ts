// Credits: changes to a customer's balance, each told to the host product (`credits.updated`) in the
// transaction that makes it. Other features grant, reset, take back and read credits through here.
import type { AppContext } from '../context.js';
import { type Notification, notify } from '../notifications/service.js';
import type { Tx } from '../platform/db/tx.js';
import {
  type CreditReason,
  clawbackCredits as clawback,
  grantCredits as grant,
  type LedgerChange,
  resetCredits as reset,
} from './store.js';

export type { CreditReason, LedgerChange, LedgerEntry } from './store.js';
export { applyOnce, currentBalance } from './store.js';

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
