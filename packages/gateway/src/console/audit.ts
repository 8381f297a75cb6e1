// The audit log: every action taken through the console, written in the same transaction as the
// change it records, so that one is never stored without the other.
import type { Queryable } from '../platform/db/types.js';
import { insertAudit } from './store.js';

export interface AuditEntry {
  /** Who: the credential and, if they gave one at sign-in, the operator's name (see actorOf). */
  actor: string;
  /** What, as `area.verb` (`payment.refund`, `job.retry`, `console.sign_in`). */
  action: string;
  /** On what: the id of the object acted on (a payment, a job, a key). */
  target?: string | undefined;
  /** Anything else worth keeping (amounts, notes); never secrets. */
  details?: Record<string, unknown>;
  /** When; the caller passes its context's clock (`s.now()`). */
  at: Date;
}

/** Records one action on `tx` (the transaction of the change itself). Returns the entry's id. */
export function recordAudit(tx: Queryable, entry: AuditEntry): Promise<string> {
  return insertAudit(tx, {
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    target: entry.target ?? null,
    details: entry.details ?? {},
  });
}
