import type { AppContext } from '../context.js';
import { type Notification, notify } from '../notifications/service.js';
import type { Queryable } from '../platform/db/types.js';
import { grantCredits, type LedgerChange } from './store.js';

/**
 * Tells the host product about a new ledger entry (`credits.updated`), in the same transaction,
 * once per entry. Nothing is sent for a change whose cause had already been applied.
 */
export async function notifyLedgerChange(
  s: Pick<AppContext, 'config' | 'queue' | 'now'>,
  tx: Queryable,
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

/**
 * Grants a paid credit pack's credits (pack credits × quantity) once per `cause`, with its
 * notification, inside the caller's transaction — however the pack was paid (Checkout, a payment
 * intent, an invoice line). A pack no longer in the catalog grants nothing and is logged.
 */
export async function grantPackCredits(
  s: Pick<AppContext, 'config' | 'queue' | 'now' | 'catalog' | 'logger'>,
  tx: Queryable,
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
  const change = await grantCredits(
    tx,
    purchase.customerId,
    pack.credits * purchase.quantity,
    'pack_purchase',
    purchase.cause,
  );
  await notifyLedgerChange(s, tx, change, purchase.customerId, context);
  return change;
}
