// Disputes (chargebacks), applied from charge.dispute.* events: the dispute re-read from Stripe and
// stored, the payment marked disputed, and its effects — one rule per kind (docs/refunds.md) — in one
// transaction with the state:
//   - credits of a disputed pack (in proportion to the disputed amount), by PAYDESK_DISPUTE_CREDITS:
//     `freeze` holds them while the dispute is open and gives them back if it is won; `clawback` takes
//     them back for good; `off` leaves them. What the balance cannot cover is recorded as a shortfall;
//   - access: a disputed subscription payment suspends the customer's entitlements
//     (PAYDESK_DISPUTE_ACCESS=suspend) while the dispute is open and after it is lost; won, they return;
//   - the product is notified (`dispute.updated`) once per status.
import type { AppContext } from '../context.js';
import { applyOnce, notifyLedgerChange } from '../credits/service.js';
import { refreshEntitlements } from '../entitlements/service.js';
import { notify } from '../notifications/service.js';
import type { Tx } from '../platform/db/tx.js';
import { withTransaction } from '../platform/db/tx.js';
import { AppError } from '../platform/errors.js';
import { callStripe } from '../platform/stripe/client.js';
import { creditsToTakeBack } from '../refunds/effects.js';
import { paymentByRef, type RefundablePayment } from '../refunds/service.js';
import { whmcsDisputeFunds } from '../whmcs/documents.js';
import {
  accessSuspended,
  type DisputeRow,
  disputeById,
  listDisputeRows,
  markPaymentDisputed,
  updateDispute,
  upsertDispute,
} from './store.js';

/** Whether an open or lost dispute of one of the customer's subscription payments suspends their access. */
export { accessSuspended };

export type DisputeOutcome = { applied: true } | { applied: false; reason: string };

export const NO_DISPUTED_PAYMENT = 'no paydesk payment for the disputed charge';

/** Statuses of a dispute the bank has not decided yet. */
const OPEN: readonly string[] = [
  'needs_response',
  'under_review',
  'warning_needs_response',
  'warning_under_review',
  'appeal_needs_response',
  'appeal_under_review',
];
/** Closed in the merchant's favour: the money (and so the credits, and access) come back. */
const WON_STATUSES: readonly string[] = ['won', 'warning_closed', 'prevented'];

export function isOpen(status: string): boolean {
  return OPEN.includes(status);
}

function won(status: string): boolean {
  return WON_STATUSES.includes(status);
}

function idOf(ref: string | { id: string } | null): string | null {
  return ref === null ? null : typeof ref === 'string' ? ref : ref.id;
}

/** Re-reads the dispute from Stripe and applies it. `eventType` says whether funds moved. */
export async function applyDispute(
  s: AppContext,
  disputeId: string,
  eventType: string,
): Promise<DisputeOutcome> {
  const d = await callStripe(() => s.stripe.disputes.retrieve(disputeId));
  const chargeId = idOf(d.charge);
  if (!chargeId) return { applied: false, reason: 'the dispute names no charge' };
  let piId = idOf(d.payment_intent);
  if (!piId) {
    const ch = await callStripe(() => s.stripe.charges.retrieve(chargeId));
    piId = idOf(ch.payment_intent);
  }
  if (!piId) return { applied: false, reason: 'the disputed charge has no payment intent' };
  const paymentIntent = piId;
  const outcome = await withTransaction(s, async (tx): Promise<DisputeOutcome> => {
    const payment = await paymentByRef(tx, { paymentIntent }, { lock: true });
    if (!payment) return { applied: false, reason: NO_DISPUTED_PAYMENT };
    let row = await upsertDispute(tx, {
      id: d.id,
      payment_id: payment.id,
      customer_id: payment.customer_id,
      stripe_charge_id: chargeId,
      stripe_payment_intent_id: paymentIntent,
      amount: d.amount,
      currency: d.currency,
      reason: d.reason,
      status: String(d.status),
      evidence_due_by: d.evidence_details?.due_by ? new Date(d.evidence_details.due_by * 1000) : null,
      stripe_created_at: new Date(d.created * 1000),
      credits_mode: s.config.disputeCredits,
    });
    if (eventType === 'charge.dispute.funds_withdrawn' || eventType === 'charge.dispute.funds_reinstated') {
      row = await updateDispute(tx, row.id, {
        funds_withdrawn: eventType === 'charge.dispute.funds_withdrawn',
      });
    }
    await markPaymentDisputed(tx, payment.id, row.status);
    await whmcsDisputeFunds(s, tx, row, eventType); // its WHMCS invoice, if bridged
    row = await applyCredits(s, tx, row, payment);
    row = await applyAccess(s, tx, row, payment);
    await notify(
      s,
      tx,
      'dispute.updated',
      `${row.id}:${row.status}:${row.funds_withdrawn}`,
      disputeData(row),
    );
    return { applied: true };
  });
  return outcome;
}

function disputeData(d: DisputeRow): Record<string, unknown> {
  return {
    dispute: d.id,
    payment: d.payment_id,
    customer: d.customer_id,
    amount: d.amount,
    currency: d.currency,
    reason: d.reason,
    status: d.status,
    evidence_due_by: d.evidence_due_by ? new Date(d.evidence_due_by).toISOString() : null,
    funds_withdrawn: d.funds_withdrawn,
    credits_held: d.credits_held,
    credits_shortfall: d.credits_shortfall,
    access_suspended: d.access_suspended,
  };
}

async function applyCredits(
  s: AppContext,
  tx: Tx,
  row: DisputeRow,
  payment: RefundablePayment,
): Promise<DisputeRow> {
  const pack = payment.item_kind === 'pack' && payment.item_id ? s.catalog.pack(payment.item_id) : undefined;
  if (row.credits_mode === 'off' || !pack || !payment.customer_id) return row;
  const customerId = payment.customer_id;
  if (row.credits_held === 0 && !won(row.status)) {
    const credits = creditsToTakeBack(pack.credits * (payment.quantity ?? 1), payment.amount, row.amount);
    if (credits <= 0) return row;
    let shortfall = 0;
    const change = await applyOnce(
      tx,
      {
        customerId,
        reason: row.credits_mode === 'freeze' ? 'dispute_hold' : 'dispute_clawback',
        cause: `dispute:${row.id}:take`,
        note: `dispute ${row.id} (${row.credits_mode})`,
      },
      (balance) => {
        const taken = Math.min(credits, balance);
        shortfall = credits - taken;
        return -taken;
      },
    );
    if (!change.applied) return row;
    if (shortfall > 0) {
      s.logger.warn(
        { dispute: row.id, customer: customerId, credits, shortfall },
        'dispute: the balance did not cover the credits to hold or take back; shortfall recorded',
      );
    }
    await notifyLedgerChange(s, tx, change, customerId, { dispute: row.id, shortfall });
    return updateDispute(tx, row.id, { credits_held: credits, credits_shortfall: shortfall });
  }
  if (won(row.status) && row.credits_mode === 'freeze' && row.credits_held > 0 && !row.credits_released) {
    const back = row.credits_held - row.credits_shortfall;
    if (back > 0) {
      const change = await applyOnce(
        tx,
        {
          customerId,
          reason: 'dispute_release',
          cause: `dispute:${row.id}:release`,
          note: `dispute ${row.id} won`,
        },
        () => back,
      );
      await notifyLedgerChange(s, tx, change, customerId, { dispute: row.id });
    }
    return updateDispute(tx, row.id, { credits_released: true });
  }
  return row;
}

async function applyAccess(
  s: AppContext,
  tx: Tx,
  row: DisputeRow,
  payment: RefundablePayment,
): Promise<DisputeRow> {
  if (payment.source !== 'invoice' || !payment.customer_id) return row;
  const suspend = s.config.disputeAccess === 'suspend' && !won(row.status);
  if (suspend === row.access_suspended) return row;
  const updated = await updateDispute(tx, row.id, { access_suspended: suspend });
  const at = s.now();
  const ent = await refreshEntitlements(s, tx, payment.customer_id, at);
  if (ent.changed) {
    await notify(
      s,
      tx,
      'entitlements.updated',
      `${payment.customer_id}:${new Date(ent.row.updated_at).toISOString()}`,
      {
        customer: payment.customer_id,
        plan: ent.row.plan,
        status: ent.row.status,
        keys: ent.row.keys,
        suspended_by_dispute: suspend ? row.id : null,
      },
    );
  }
  return updated;
}

export async function getDispute(s: AppContext, id: string): Promise<DisputeRow> {
  const d = await disputeById(s.db, id);
  if (!d) throw new AppError('not_found', `No such dispute: ${id}.`);
  return d;
}

export async function listDisputes(
  s: AppContext,
  q: {
    status?: string | undefined;
    payment?: string | undefined;
    customer?: string | undefined;
    cursor?: string | undefined;
    limit: number;
  },
): Promise<{ data: DisputeRow[]; has_more: boolean; next_cursor: string | null }> {
  let paymentId: string | undefined;
  if (q.payment !== undefined) {
    const p =
      (await paymentByRef(s.db, { id: q.payment })) ??
      (await paymentByRef(s.db, { paymentIntent: q.payment }));
    if (!p) return { data: [], has_more: false, next_cursor: null };
    paymentId = p.id;
  }
  const rows = await listDisputeRows(s.db, {
    status: q.status,
    paymentId,
    customerId: q.customer,
    after: q.cursor,
    limit: q.limit + 1,
  });
  if (!rows) {
    throw new AppError('validation_failed', 'Invalid querystring.cursor: not a cursor of this list.', {
      issues: [{ in: 'querystring', path: 'cursor', message: 'unknown cursor' }],
    });
  }
  const data = rows.slice(0, q.limit);
  const hasMore = rows.length > q.limit;
  return { data, has_more: hasMore, next_cursor: hasMore ? data[data.length - 1]!.id : null };
}
