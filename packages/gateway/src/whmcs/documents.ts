// Money that moves after a bridged payment, written on its WHMCS invoice as a transaction
// (AddTransaction, the only WHMCS write for this its API documents), once each:
//   - a refund (paydesk's API or console, Stripe's dashboard, or WHMCS's admin through the module's
//     _refund): amountout, transaction id = the Stripe refund id (re_…);
//   - a refund that failed after it succeeded (the bank sent it back): amountin, `re_…-reversed`;
//   - a chargeback's funds withdrawn: amountout, `du_…`; reinstated (won): amountin, `du_…-reinstated`.
// A row per document (its id is the WHMCS transaction id) queued with the change that causes it,
// and a job that asks GetTransactions first, then AddTransaction; retried with backoff while WHMCS is
// down, dead after its last attempt (listed by `paydesk whmcs pending`, queued again by `retry`).
//
// A refund asked from WHMCS's admin area is recorded by WHMCS itself once _refund returns, under the
// id the module returned (re_…, or paydesk's rf_… while Stripe had not made it yet): its job waits
// WHMCS_OWN_REFUND_GRACE_MS, finds it there and writes nothing; it writes it only if WHMCS did not.
import type { AppContext } from '../context.js';
import type { Tx } from '../platform/db/tx.js';
import { withTransaction } from '../platform/db/tx.js';
import { minorToDecimal } from '../platform/money.js';
import type { Job } from '../platform/queue/types.js';
import { callWhmcs, listOf, WhmcsError, type WhmcsSettings } from './client.js';
import {
  insertWhmcsDocument,
  type NewWhmcsDocument,
  noteFailedAttempt,
  setWhmcsDocumentStatus,
  whmcsDocumentById,
  whmcsPaymentByCharge,
  whmcsPaymentBySession,
} from './store.js';

export const WHMCS_DOCUMENT_JOB = 'whmcs.record-document';
export const WHMCS_DOCUMENT_MAX_ATTEMPTS = 8;
/** How long a refund asked from WHMCS's admin area is left for WHMCS to record itself. */
export const WHMCS_OWN_REFUND_GRACE_MS = 10 * 60_000;
/** The gateway (module system name) WHMCS transactions are recorded under. */
export const GATEWAY_NAME = 'paydesk';

type Hooks = Pick<AppContext, 'config' | 'queue' | 'now'>;

/** What a refund's change tells the bridge (refunds/effects.ts passes its row). */
export interface RefundFacts {
  id: string;
  request_id: string;
  metadata: Record<string, string>;
  stripe_refund_id: string | null;
  stripe_charge_id: string | null;
  stripe_payment_intent_id: string;
  amount: number;
  currency: string;
}

/** What a dispute's change tells the bridge (disputes/service.ts passes its row). */
export interface DisputeFacts {
  id: string;
  stripe_charge_id: string;
  stripe_payment_intent_id: string | null;
  amount: number;
  currency: string;
  reason: string;
}

/** A refund asked through the WHMCS module's _refund (its request id and metadata say so). */
function fromWhmcsAdmin(r: RefundFacts): boolean {
  return r.request_id.startsWith('whmcs:') && typeof r.metadata.whmcs_invoice === 'string';
}

async function queueDocument(
  s: Hooks,
  tx: Tx,
  facts: { charge: string | null; paymentIntent: string | null },
  doc: Omit<NewWhmcsDocument, 'stripe_session_id' | 'invoice_id' | 'client_id' | 'currency'>,
  runAt?: Date,
): Promise<void> {
  if (!s.config.whmcs) return;
  const payment = await whmcsPaymentByCharge(tx, facts.charge, facts.paymentIntent);
  if (!payment) return;
  const inserted = await insertWhmcsDocument(tx, {
    ...doc,
    stripe_session_id: payment.stripe_session_id,
    invoice_id: payment.invoice_id,
    client_id: payment.client_id,
    currency: payment.currency,
  });
  if (!inserted) return;
  await s.queue.enqueue(tx, {
    kind: WHMCS_DOCUMENT_JOB,
    key: `whmcs-doc:${doc.id}`,
    payload: { document: doc.id },
    maxAttempts: WHMCS_DOCUMENT_MAX_ATTEMPTS,
    ...(runAt ? { runAt } : {}),
  });
}

/**
 * Called by refunds/effects.ts in the transaction that moves a refund from `from` to `to`: a refund of
 * a bridged payment that succeeded (or failed after succeeding) is queued for its WHMCS invoice.
 */
export async function whmcsRefundChanged(
  s: Hooks,
  tx: Tx,
  refund: RefundFacts,
  from: string,
  to: string,
): Promise<void> {
  const stripeId = refund.stripe_refund_id ?? refund.id;
  const of = refund.stripe_charge_id ?? refund.stripe_payment_intent_id;
  const facts = { charge: refund.stripe_charge_id, paymentIntent: refund.stripe_payment_intent_id };
  const amount = BigInt(refund.amount);
  if (to === 'succeeded' && from !== 'succeeded') {
    const own = fromWhmcsAdmin(refund);
    await queueDocument(
      s,
      tx,
      facts,
      {
        id: stripeId,
        kind: 'refund',
        amount,
        direction: 'out',
        description: `Refund ${stripeId} of ${of} (paydesk${own ? ', asked in WHMCS' : ''})`,
        whmcs_own_id: own ? refund.id : null,
      },
      own ? new Date(s.now().getTime() + WHMCS_OWN_REFUND_GRACE_MS) : undefined,
    );
  } else if ((to === 'failed' || to === 'canceled') && from === 'succeeded') {
    await queueDocument(s, tx, facts, {
      id: `${stripeId}-reversed`,
      kind: 'refund',
      amount,
      direction: 'in',
      description: `Refund ${stripeId} of ${of} ${to} after it succeeded: the money came back (paydesk)`,
      whmcs_own_id: null,
    });
  }
}

/** Called by disputes/service.ts for each dispute event: funds withdrawn or reinstated are queued. */
export async function whmcsDisputeFunds(
  s: Hooks,
  tx: Tx,
  dispute: DisputeFacts,
  eventType: string,
): Promise<void> {
  const facts = { charge: dispute.stripe_charge_id, paymentIntent: dispute.stripe_payment_intent_id };
  const base = { kind: 'dispute' as const, amount: BigInt(dispute.amount), whmcs_own_id: null };
  if (eventType === 'charge.dispute.funds_withdrawn') {
    await queueDocument(s, tx, facts, {
      ...base,
      id: dispute.id,
      direction: 'out',
      description: `Chargeback ${dispute.id} on ${dispute.stripe_charge_id} (${dispute.reason}): funds withdrawn (paydesk)`,
    });
  } else if (eventType === 'charge.dispute.funds_reinstated') {
    await queueDocument(s, tx, facts, {
      ...base,
      id: `${dispute.id}-reinstated`,
      direction: 'in',
      description: `Chargeback ${dispute.id} on ${dispute.stripe_charge_id} won: funds reinstated (paydesk)`,
    });
  }
}

function api(s: AppContext): WhmcsSettings {
  const b = s.config.whmcs;
  if (!b) throw new Error('the WHMCS bridge is not enabled (PAYDESK_WHMCS_URL)');
  return { url: b.url, identifier: b.identifier, secret: b.secret };
}

async function onInvoice(settings: WhmcsSettings, transid: string): Promise<boolean> {
  const known = await callWhmcs(settings, 'GetTransactions', { transid });
  return listOf(known.transactions, 'transaction').some((t) => t.transid === transid);
}

/** Writes one document on its invoice, once. Throws (the queue retries) while WHMCS fails. */
export async function recordWhmcsDocument(s: AppContext, id: string, job?: Job): Promise<string> {
  const doc = await whmcsDocumentById(s.db, id);
  if (doc?.status !== 'pending') return 'nothing to do';
  const payment = await whmcsPaymentBySession(s.db, doc.stripe_session_id);
  if (payment?.status === 'mismatch') {
    const message = `not written: its payment ${payment.stripe_charge_id} never reached invoice #${doc.invoice_id} (mismatch)`;
    await setWhmcsDocumentStatus(s.db, id, 'skipped', { from: ['pending'], attempted: true, error: message });
    return 'skipped';
  }
  try {
    if (payment?.status !== 'recorded') {
      throw new Error(
        `waiting for its payment ${payment?.stripe_charge_id ?? ''} to be recorded on invoice #${doc.invoice_id} first`,
      );
    }
    const settings = api(s);
    for (const transid of [doc.id, doc.whmcs_own_id]) {
      if (transid && (await onInvoice(settings, transid))) {
        await setWhmcsDocumentStatus(s.db, id, 'recorded', {
          from: ['pending'],
          attempted: true,
          error: null,
        });
        return 'already on the invoice';
      }
    }
    const money = minorToDecimal(doc.amount, doc.currency);
    try {
      await callWhmcs(settings, 'AddTransaction', {
        paymentmethod: GATEWAY_NAME,
        userid: String(doc.client_id),
        invoiceid: String(doc.invoice_id),
        transid: doc.id,
        description: doc.description,
        ...(doc.direction === 'out' ? { amountout: money } : { amountin: money }),
      });
    } catch (err) {
      // AddTransaction refuses a repeated transaction id: it is there (written by an attempt whose
      // answer was lost, between GetTransactions and now).
      if (!(err instanceof WhmcsError && err.whmcsMessage === 'Transaction ID must be Unique')) throw err;
    }
    await setWhmcsDocumentStatus(s.db, id, 'recorded', { from: ['pending'], attempted: true, error: null });
    return 'recorded';
  } catch (err) {
    await noteFailedAttempt(s.db, 'document', id, failure(['pending'], job, err));
    throw err;
  }
}

/** What a failed attempt leaves: dead (from `from`) after the job's last attempt. */
export function failure(
  from: readonly string[],
  job: Job | undefined,
  err: unknown,
): { from: readonly string[]; last: boolean; error: string } {
  return {
    from,
    last: job !== undefined && job.attempts >= job.maxAttempts,
    error: err instanceof Error ? err.message : String(err),
  };
}

export function recordWhmcsDocumentJob(s: AppContext): (job: Job) => Promise<unknown> {
  return (job) => recordWhmcsDocument(s, String(job.payload.document), job);
}

/** A dead document queued again (still GetTransactions first, so never twice). */
export async function retryWhmcsDocument(s: AppContext, id: string): Promise<boolean> {
  return withTransaction(s, async (tx) => {
    const moved = await setWhmcsDocumentStatus(tx, id, 'pending', { from: ['dead'] });
    if (moved) {
      await s.queue.enqueue(tx, {
        kind: WHMCS_DOCUMENT_JOB,
        key: `whmcs-doc:${id}:retry:${s.now().getTime()}`,
        payload: { document: id },
        maxAttempts: WHMCS_DOCUMENT_MAX_ATTEMPTS,
      });
    }
    return moved;
  });
}
