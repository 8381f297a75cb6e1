import type { AppContext } from '../context.js';
import { type Notification, notify } from '../notifications/service.js';
import type { Queryable } from '../platform/db/types.js';
import type { LedgerChange } from './store.js';

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
