// The WHMCS bridge: a signed Pay form from the WHMCS module opens a Checkout session for the
// invoice's balance (as WHMCS reports it), and a paid session is recorded on the invoice once, by a
// job (AddInvoicePayment with the charge id, after GetTransactions shows it is not there yet).
import type Stripe from 'stripe';
import type { AppContext } from '../context.js';
import { recordSucceededPayment } from '../payments/service.js';
import { withTransaction } from '../platform/db/tx.js';
import { AppError } from '../platform/errors.js';
import { decimalToMinor, minorToDecimal } from '../platform/money.js';
import type { Job } from '../platform/queue/types.js';
import { callStripe, idempotencyKey } from '../platform/stripe/client.js';
import { callWhmcs, idOf, listOf, WhmcsError, type WhmcsSettings, WhmcsUnavailable } from './client.js';
import { failure, GATEWAY_NAME, retryWhmcsDocument } from './documents.js';
import { type PayForm, verifyPayForm } from './signature.js';
import {
  insertWhmcsPayment,
  markWhmcsPaid,
  noteFailedAttempt,
  openWhmcsSession,
  pendingWhmcsDocuments,
  pendingWhmcsPayments,
  setWhmcsStatus,
  type WhmcsPaymentRow,
  whmcsPaymentBySession,
} from './store.js';

export const WHMCS_RECORD_JOB = 'whmcs.record-payment';
/** How old a Pay form may be (the invoice page may stay open a while), and how far in the future. */
export const FORM_MAX_AGE_SECONDS = 3600;
export const FORM_MAX_SKEW_SECONDS = 300;
export const SESSION_MINUTES = 30;
const EXPIRY_MARGIN_MS = 30_000;
/** An open session of the invoice is sent again only with at least this long left. */
const MIN_REUSE_MS = 5 * 60_000;
const SLOT_MS = 30_000;

type Bridge = NonNullable<AppContext['config']['whmcs']>;

export function bridgeOf(s: Pick<AppContext, 'config'>): Bridge {
  const b = s.config.whmcs;
  if (!b)
    throw new AppError('not_found', 'The WHMCS bridge is not enabled on this paydesk (PAYDESK_WHMCS_URL).');
  return b;
}

function api(b: Bridge): WhmcsSettings {
  return { url: b.url, identifier: b.identifier, secret: b.secret };
}

/** A WHMCS call on a browser's behalf: WHMCS trouble becomes whmcs_unavailable (502). */
async function ask(b: Bridge, action: string, params: Record<string, string>) {
  try {
    return await callWhmcs(api(b), action, params);
  } catch (err) {
    if (err instanceof WhmcsError && err.whmcsMessage === 'Invoice ID Not Found') {
      throw new AppError('not_found', 'WHMCS has no such invoice.');
    }
    if (err instanceof WhmcsError || err instanceof WhmcsUnavailable) {
      throw new AppError('whmcs_unavailable', `WHMCS could not check the invoice: ${err.message}`);
    }
    throw err;
  }
}

export function invoiceUrl(
  b: Bridge,
  invoiceId: number,
  outcome?: 'paymentsuccess' | 'paymentfailed',
): string {
  return `${b.url}/viewinvoice.php?id=${invoiceId}${outcome ? `&${outcome}=true` : ''}`;
}

/** POST /whmcs/pay: checks the form and the invoice, opens the session, links it; returns its URL. */
export async function startWhmcsPayment(s: AppContext, form: PayForm, signature: string): Promise<string> {
  const b = bridgeOf(s);
  if (!verifyPayForm(form, signature, b.moduleSecret)) {
    throw new AppError(
      'invalid_signature',
      'The payment form’s signature does not match (check the module’s shared secret).',
    );
  }
  const ts = Number(form.timestamp);
  const nowS = Math.floor(s.now().getTime() / 1000);
  if (
    !/^\d{1,12}$/.test(form.timestamp) ||
    ts < nowS - FORM_MAX_AGE_SECONDS ||
    ts > nowS + FORM_MAX_SKEW_SECONDS
  ) {
    throw new AppError(
      'invalid_signature',
      'The payment form is too old: reload the invoice page and pay again.',
    );
  }
  const invoiceId = idOf(form.invoice_id);
  if (invoiceId === null) throw new AppError('validation_failed', 'invoice_id must be a positive integer.');

  const invoice = await ask(b, 'GetInvoice', { invoiceid: String(invoiceId) });
  const status = String(invoice.status ?? '');
  if (status !== 'Unpaid') {
    throw new AppError(
      'conflict',
      `Invoice #${invoiceId} cannot be paid: it is ${status || 'in an unknown state'}.`,
      {
        invoice_status: status,
      },
    );
  }
  const clientId = idOf(invoice.userid);
  if (clientId === null)
    throw new AppError('whmcs_unavailable', 'WHMCS answered an invoice without a client.');
  const client = await ask(b, 'GetClientsDetails', { clientid: String(clientId) });
  const details = (
    typeof client.client === 'object' && client.client !== null ? client.client : client
  ) as Record<string, unknown>;
  const email = String(details.email ?? '');
  if (email === '' || email.toLowerCase() !== form.email.trim().toLowerCase()) {
    throw new AppError('forbidden', 'This invoice belongs to another client.');
  }
  const currency = String(details.currency_code ?? '').toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency))
    throw new AppError('whmcs_unavailable', 'WHMCS answered a client without a currency.');
  if (form.currency.toUpperCase() !== currency) {
    throw new AppError('conflict', `The invoice is in ${currency}, not ${form.currency}.`);
  }
  const balance = decimalToMinor(String(invoice.balance ?? ''), currency);
  if (balance === null)
    throw new AppError(
      'whmcs_unavailable',
      `WHMCS answered an unreadable balance ${String(invoice.balance)}.`,
    );
  if (balance <= 0n) throw new AppError('conflict', `Invoice #${invoiceId} has nothing left to pay.`);

  // A session this invoice opened for the same balance, still payable for a while: the same one again
  // (a double click, the invoice page opened twice, the back button), never two payable at once.
  const current = await openWhmcsSession(
    s.db,
    invoiceId,
    balance,
    new Date(s.now().getTime() + MIN_REUSE_MS),
  );
  if (current) {
    const again = await callStripe(() => s.stripe.checkout.sessions.retrieve(current.stripe_session_id));
    if (again.status === 'open' && again.url && again.expires_at * 1000 - s.now().getTime() > MIN_REUSE_MS) {
      return again.url;
    }
  }
  // Stripe refuses less than 30 minutes by its own clock: a small margin covers the way there. The
  // expiry is counted from the start of a 30-second slot so that the same form posted twice at once
  // (before either is linked) makes the same request, which the idempotency key answers with one session.
  const slot = Math.floor(s.now().getTime() / SLOT_MS) * SLOT_MS;
  const expiresAt = new Date(slot + SESSION_MINUTES * 60_000 + EXPIRY_MARGIN_MS + SLOT_MS);
  const metadata = {
    paydesk_instance: s.config.instanceId,
    paydesk_whmcs_invoice: String(invoiceId),
    paydesk_whmcs_client: String(clientId),
  };
  const open = (after: string | undefined) =>
    callStripe(() =>
      s.stripe.checkout.sessions.create(
        {
          mode: 'payment',
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: currency.toLowerCase(),
                unit_amount: Number(balance),
                product_data: { name: `Invoice #${invoiceId}` },
              },
            },
          ],
          customer_email: email,
          success_url: `${s.config.publicUrl}/whmcs/return?session_id={CHECKOUT_SESSION_ID}`,
          cancel_url: invoiceUrl(b, invoiceId, 'paymentfailed'),
          expires_at: Math.floor(expiresAt.getTime() / 1000),
          metadata,
          payment_intent_data: { metadata },
        },
        {
          idempotencyKey: idempotencyKey(
            'whmcs.checkout',
            s.config.instanceId,
            invoiceId,
            balance.toString(),
            slot,
            ...(after ? [after] : []),
          ),
        },
      ),
    );
  const link = (id: string) =>
    insertWhmcsPayment(s.db, {
      stripe_session_id: id,
      invoice_id: invoiceId,
      client_id: clientId,
      email,
      currency,
      amount: balance,
      expires_at: expiresAt,
    });
  let session = await open(undefined);
  if (!(await link(session.id))) {
    // Stripe answered an earlier request of this slot again, as it was then: still payable?
    const now = await callStripe(() => s.stripe.checkout.sessions.retrieve(session.id));
    if (now.status !== 'open') {
      session = await open(session.id);
      await link(session.id);
    }
  }
  if (!session.url) throw new AppError('stripe_error', 'Stripe opened a Checkout session without a URL.');
  return session.url;
}

function chargeOf(session: Stripe.Checkout.Session): string | null {
  const pi = session.payment_intent;
  if (!pi || typeof pi === 'string') return null;
  const charge = pi.latest_charge;
  return typeof charge === 'string' ? charge : (charge?.id ?? null);
}

export type SessionOutcome = { row: WhmcsPaymentRow; paid: boolean };

/**
 * Reads the session from Stripe and records what it says (used by the browser's return and the
 * webhook alike): a paid session moves its link open → paid once, and that one change queues the job.
 * Returns undefined for a session that is not a WHMCS one of this paydesk.
 */
export async function syncWhmcsSession(
  s: AppContext,
  sessionId: string,
): Promise<SessionOutcome | undefined> {
  const session = await callStripe(() =>
    s.stripe.checkout.sessions.retrieve(sessionId, { expand: ['payment_intent.latest_charge'] }),
  );
  const md = session.metadata ?? {};
  if (md.paydesk_instance !== s.config.instanceId || !md.paydesk_whmcs_invoice) return undefined;
  let row = await whmcsPaymentBySession(s.db, session.id);
  if (!row) {
    // paydesk stopped between Stripe's answer and the insert: the session's metadata restores the link.
    const invoiceId = idOf(md.paydesk_whmcs_invoice);
    const clientId = idOf(md.paydesk_whmcs_client);
    if (invoiceId === null || clientId === null || !session.currency) return undefined;
    await insertWhmcsPayment(s.db, {
      stripe_session_id: session.id,
      invoice_id: invoiceId,
      client_id: clientId,
      email: session.customer_email ?? '',
      currency: session.currency.toUpperCase(),
      amount: BigInt(session.amount_total ?? 0),
      expires_at: new Date(session.expires_at * 1000),
    });
    row = (await whmcsPaymentBySession(s.db, session.id))!;
  }
  const charge = chargeOf(session);
  if (session.payment_status === 'paid' && charge) {
    await withTransaction(s, async (tx) => {
      // In paydesk's payment history too, so that POST /v1/refunds (the module's _refund) finds it.
      await recordSucceededPayment(tx, session.payment_intent as Stripe.PaymentIntent, {
        source: 'checkout',
        customer_id: null,
        description: `WHMCS invoice #${row.invoice_id}`,
      });
      const pi = session.payment_intent as Stripe.PaymentIntent;
      if (await markWhmcsPaid(tx, session.id, charge, BigInt(session.amount_total ?? 0), pi.id)) {
        await s.queue.enqueue(tx, {
          kind: WHMCS_RECORD_JOB,
          key: `whmcs:${session.id}`,
          payload: { session: session.id },
          maxAttempts: 8,
        });
      }
    });
    return { row: (await whmcsPaymentBySession(s.db, session.id))!, paid: true };
  }
  if (session.status === 'expired') await setWhmcsStatus(s.db, session.id, 'expired', { from: ['open'] });
  const fresh = (await whmcsPaymentBySession(s.db, session.id))!;
  return { row: fresh, paid: fresh.status !== 'open' && fresh.status !== 'expired' };
}

function whmcsDate(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** Records a paid session on the WHMCS invoice, once. Throws (the queue retries) when WHMCS is down. */
export async function recordWhmcsPayment(s: AppContext, sessionId: string, job?: Job): Promise<string> {
  const b = bridgeOf(s);
  const row = await whmcsPaymentBySession(s.db, sessionId);
  if (row?.status !== 'paid' || !row.stripe_charge_id || row.amount_paid === null) return 'nothing to do';
  const charge = row.stripe_charge_id;
  try {
    const known = await callWhmcs(api(b), 'GetTransactions', { transid: charge });
    const already = listOf(known.transactions, 'transaction').some((t) => t.transid === charge);
    if (already) {
      await setWhmcsStatus(s.db, sessionId, 'recorded', { from: ['paid'], attempted: true, error: null });
      return 'already on the invoice';
    }
    const invoice = await callWhmcs(api(b), 'GetInvoice', { invoiceid: String(row.invoice_id) });
    const status = String(invoice.status ?? '');
    const balance = decimalToMinor(String(invoice.balance ?? ''), row.currency);
    let problem: string | undefined;
    if (status !== 'Unpaid') problem = `the invoice is ${status} now`;
    else if (balance === null) problem = `WHMCS answered an unreadable balance ${String(invoice.balance)}`;
    else if (balance < row.amount_paid)
      problem = `the balance changed since the session opened: ${minorToDecimal(balance, row.currency)} left, ${minorToDecimal(row.amount_paid, row.currency)} paid`;
    if (problem) {
      const message = `not applied to invoice #${row.invoice_id}: ${problem}; ${charge} needs a refund or a manual entry`;
      await setWhmcsStatus(s.db, sessionId, 'mismatch', { from: ['paid'], attempted: true, error: message });
      s.logger.warn({ session: sessionId, invoice: row.invoice_id, charge }, `WHMCS payment ${message}`);
      return 'mismatch';
    }
    await callWhmcs(api(b), 'AddInvoicePayment', {
      invoiceid: String(row.invoice_id),
      transid: charge,
      gateway: GATEWAY_NAME,
      date: whmcsDate(s.now()),
      amount: minorToDecimal(row.amount_paid, row.currency),
    });
    await setWhmcsStatus(s.db, sessionId, 'recorded', { from: ['paid'], attempted: true, error: null });
    return 'recorded';
  } catch (err) {
    await noteFailedAttempt(s.db, 'payment', sessionId, failure(['paid'], job, err));
    throw err;
  }
}

export function recordWhmcsPaymentJob(s: AppContext): (job: Job) => Promise<unknown> {
  return (job) => recordWhmcsPayment(s, String(job.payload.session), job);
}

/** paydesk whmcs retry: a dead (or mismatched, once fixed by hand in WHMCS) payment is tried again. */
export async function retryWhmcsPayment(s: AppContext, sessionId: string): Promise<boolean> {
  return withTransaction(s, async (tx) => {
    const moved = await setWhmcsStatus(tx, sessionId, 'paid', { from: ['dead', 'mismatch'] });
    if (moved) {
      await s.queue.enqueue(tx, {
        kind: WHMCS_RECORD_JOB,
        key: `whmcs:${sessionId}:retry:${s.now().getTime()}`,
        payload: { session: sessionId },
        maxAttempts: 8,
      });
    }
    return moved;
  });
}

/** paydesk whmcs pending: payments paid in Stripe but not (yet) on their invoice. */
export function listPendingWhmcsPayments(s: Pick<AppContext, 'db'>): Promise<WhmcsPaymentRow[]> {
  return pendingWhmcsPayments(s.db);
}

/** One thing paid, refunded or disputed in Stripe that is not (yet) on its WHMCS invoice. */
export interface WhmcsPendingItem {
  kind: 'payment' | 'refund' | 'dispute';
  /** What retryWhmcsPending takes: cs_… for a payment, the WHMCS transaction id for a document. */
  id: string;
  invoice: number;
  currency: string;
  /** Minor units, as a decimal string. */
  amount: string;
  /** waiting = its job is still trying. */
  status: 'waiting' | 'mismatch' | 'dead';
  charge: string | null;
  attempts: number;
  last_error: string | null;
  created: string;
  updated: string;
}

/** paydesk whmcs pending (and the console): payments and documents not on their invoice, oldest first. */
export async function listWhmcsPending(s: Pick<AppContext, 'db'>): Promise<WhmcsPendingItem[]> {
  const [payments, documents] = await Promise.all([pendingWhmcsPayments(s.db), pendingWhmcsDocuments(s.db)]);
  const charges = new Map<string, string | null>();
  const items: WhmcsPendingItem[] = payments.map((p) => {
    charges.set(p.stripe_session_id, p.stripe_charge_id);
    return {
      kind: 'payment',
      id: p.stripe_session_id,
      invoice: p.invoice_id,
      currency: p.currency,
      amount: (p.amount_paid ?? p.amount).toString(),
      status: p.status === 'paid' ? 'waiting' : p.status === 'mismatch' ? 'mismatch' : 'dead',
      charge: p.stripe_charge_id,
      attempts: p.attempts,
      last_error: p.last_error,
      created: new Date(p.created_at).toISOString(),
      updated: new Date(p.updated_at).toISOString(),
    };
  });
  for (const d of documents) {
    const charge = charges.has(d.stripe_session_id)
      ? (charges.get(d.stripe_session_id) ?? null)
      : ((await whmcsPaymentBySession(s.db, d.stripe_session_id))?.stripe_charge_id ?? null);
    items.push({
      kind: d.kind,
      id: d.id,
      invoice: d.invoice_id,
      currency: d.currency,
      amount: d.amount.toString(),
      status: d.status === 'dead' ? 'dead' : 'waiting',
      charge,
      attempts: d.attempts,
      last_error: d.last_error,
      created: new Date(d.created_at).toISOString(),
      updated: new Date(d.updated_at).toISOString(),
    });
  }
  return items.sort((a, b) => a.created.localeCompare(b.created) || a.id.localeCompare(b.id));
}

/** paydesk whmcs retry (and the console): a dead or mismatched payment, or a dead document, queued again. */
export function retryWhmcsPending(s: AppContext, id: string): Promise<boolean> {
  return id.startsWith('cs_') ? retryWhmcsPayment(s, id) : retryWhmcsDocument(s, id);
}
