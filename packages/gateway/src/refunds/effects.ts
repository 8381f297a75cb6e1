// A refund's state changes and what each change does, in the caller's transaction (one commit for
// the state and its effects, and never one without the other). The rules, one per kind (see
// docs/refunds.md):
//   - payment history: the payment's refunded amount is the sum of its pending and succeeded refunds;
//   - credits: when a refund of a credit pack succeeds (and PAYDESK_REFUND_CLAWBACK is on), the pack's
//     credits are taken back in proportion to the amount refunded so far; what the balance cannot
//     cover (credits already spent) is recorded on the refund as a shortfall, logged and notified —
//     the balance never goes below zero. A succeeded refund that fails later gives them back;
//   - subscription: a succeeded refund asked with `cancel_subscription` queues the cancellation;
//   - notifications: `refund.succeeded` and `refund.failed` (failed or canceled), once each, and
//     `refund.updated` for every status Stripe gives the refund.

import type { AppContext as Services } from '../context.js';
import { applyOnce, notifyLedgerChange } from '../credits/service.js';
import { notify } from '../notifications/service.js';
import type { Tx } from '../platform/db/tx.js';
import { whmcsRefundChanged } from '../whmcs/documents.js';
import {
  paymentByRef,
  type RefundablePayment,
  type RefundRow,
  type RefundStatus,
  refundById,
  settleRefundedAmount,
  succeededAmount,
  updateRefund,
} from './store.js';

/** Credits to have taken back once `refunded` of `amount` is refunded (cumulative, so rounding never drifts). */
export function creditsToTakeBack(credits: number, amount: number, refunded: number): number {
  if (amount <= 0) return 0;
  return Math.floor((credits * Math.min(refunded, amount)) / amount);
}

export const CANCEL_SUBSCRIPTION_JOB = 'refund.cancel_subscription';

type EffectServices = Pick<Services, 'config' | 'queue' | 'now' | 'catalog' | 'logger'>;

export interface RefundChange {
  status: RefundStatus;
  stripe_refund_id?: string | undefined;
  stripe_charge_id?: string | undefined;
  failure_reason?: string | null | undefined;
  attempts?: number | undefined;
}

/** Whether a stored status may become `next` (Stripe's truth wins over paydesk's own bookkeeping). */
function mayMove(row: RefundRow, next: RefundChange): boolean {
  if (row.status === next.status) return false;
  // A refund paydesk gave up on without hearing from Stripe may still turn out to exist there.
  if ((row.status === 'failed' || row.status === 'canceled') && row.stripe_refund_id === null)
    return next.stripe_refund_id !== undefined || next.status === 'queued';
  // Stripe's terminal statuses are final; succeeded can still fail later (the bank returns it).
  if (row.status === 'failed' || row.status === 'canceled') return false;
  return true;
}

/**
 * Moves a refund to a new state and applies the effects of the move. Locks the payment, then the
 * refund (always in that order). Returns the refund as stored afterwards.
 */
export async function changeRefund(
  s: EffectServices,
  tx: Tx,
  refundId: string,
  change: RefundChange,
): Promise<RefundRow> {
  const peek = await refundById(tx, refundId);
  if (!peek) throw new Error(`no refund ${refundId}`);
  const payment = await paymentByRef(tx, { id: peek.payment_id }, { lock: true });
  const row = (await refundById(tx, refundId, { lock: true }))!;
  const move = mayMove(row, change);
  const fields = {
    stripe_refund_id: row.stripe_refund_id ?? change.stripe_refund_id,
    stripe_charge_id: row.stripe_charge_id ?? change.stripe_charge_id,
    attempts: change.attempts,
    ...(move ? { status: change.status } : {}),
    ...(change.failure_reason !== undefined && (move || change.status === row.status)
      ? { failure_reason: change.failure_reason }
      : {}),
  };
  let updated = await updateRefund(tx, row.id, fields);
  if (!move || !payment) return updated;
  await settleRefundedAmount(tx, payment.id);
  await whmcsRefundChanged(s, tx, updated, row.status, change.status); // its WHMCS invoice, if bridged
  if (updated.stripe_refund_id && change.status !== 'queued' && change.status !== 'processing') {
    // Every status Stripe gives a refund, as paydesk has always sent it (keyed as before, so never twice).
    await notify(
      s,
      tx,
      'refund.updated',
      `${updated.stripe_refund_id}:${change.status}`,
      refundData(updated),
    );
  }
  if (change.status === 'succeeded') {
    updated = await takeCredits(s, tx, updated, payment);
    await notify(s, tx, 'refund.succeeded', `${updated.id}:succeeded`, refundData(updated));
    if (updated.cancel_subscription) {
      await s.queue.enqueue(tx, {
        kind: CANCEL_SUBSCRIPTION_JOB,
        key: updated.id,
        payload: { refund: updated.id },
      });
    }
  } else if (change.status === 'failed' || change.status === 'canceled') {
    if (row.status === 'succeeded') updated = await giveCreditsBack(s, tx, updated);
    await notify(s, tx, 'refund.failed', `${updated.id}:${change.status}`, refundData(updated));
  }
  return updated;
}

function refundData(r: RefundRow): Record<string, unknown> {
  return {
    refund: r.id,
    request_id: r.request_id,
    stripe_refund: r.stripe_refund_id,
    payment: r.payment_id,
    customer: r.customer_id,
    amount: r.amount,
    currency: r.currency,
    status: r.status,
    reason: r.reason,
    failure_reason: r.failure_reason,
    credits_taken: r.credits_taken,
    credits_shortfall: r.credits_shortfall,
  };
}

function packCredits(s: EffectServices, payment: RefundablePayment): number {
  if (payment.item_kind !== 'pack' || !payment.item_id) return 0;
  const pack = s.catalog.pack(payment.item_id);
  return pack ? pack.credits * (payment.quantity ?? 1) : 0;
}

async function takeCredits(
  s: EffectServices,
  tx: Tx,
  refund: RefundRow,
  payment: RefundablePayment,
): Promise<RefundRow> {
  const credits = packCredits(s, payment);
  if (!s.config.refundClawback || credits === 0 || !payment.customer_id || refund.credits_taken > 0)
    return refund;
  const before = await succeededAmount(tx, payment.id, refund.id);
  const take =
    creditsToTakeBack(credits, payment.amount, before + refund.amount) -
    creditsToTakeBack(credits, payment.amount, before);
  if (take <= 0) return refund;
  let shortfall = 0;
  const change = await applyOnce(
    tx,
    {
      customerId: payment.customer_id,
      reason: 'refund',
      // The Stripe refund id, as refunds applied before paydesk had a refunds table were keyed.
      cause: `refund:${refund.stripe_refund_id ?? refund.id}`,
    },
    (balance) => {
      const taken = Math.min(take, balance);
      shortfall = take - taken;
      return -taken;
    },
  );
  if (!change.applied) return refund;
  if (shortfall > 0) {
    await tx.query('UPDATE credit_ledger SET note = $2 WHERE id = $1', [
      change.entry.id,
      `shortfall: ${shortfall} of ${take} credits were already spent`,
    ]);
    s.logger.warn(
      { refund: refund.id, customer: payment.customer_id, credits: take, shortfall },
      'refund clawback: the balance did not cover the credits to take back; shortfall recorded',
    );
  }
  await notifyLedgerChange(s, tx, change, payment.customer_id, {
    refund: refund.id,
    stripe_refund: refund.stripe_refund_id,
    shortfall,
  });
  return updateRefund(tx, refund.id, { credits_taken: take, credits_shortfall: shortfall });
}

async function giveCreditsBack(s: EffectServices, tx: Tx, refund: RefundRow): Promise<RefundRow> {
  const taken = refund.credits_taken - refund.credits_shortfall;
  if (refund.credits_taken === 0 || refund.credits_restored || !refund.customer_id) return refund;
  if (taken > 0) {
    const change = await applyOnce(
      tx,
      { customerId: refund.customer_id, reason: 'refund_reversed', cause: `refund-reversed:${refund.id}` },
      () => taken,
    );
    await notifyLedgerChange(s, tx, change, refund.customer_id, { refund: refund.id });
  }
  return updateRefund(tx, refund.id, { credits_restored: true });
}
