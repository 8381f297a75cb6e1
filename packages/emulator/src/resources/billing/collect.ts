import type { Ctx } from '../../core/context.js';
import { cardError, invalidRequest, stateError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { EMPTY_METADATA } from '../../core/metadata.js';
import { applyBalanceToInvoice, unapplyBalanceFromInvoice } from '../customer-balance.js';
import {
  computeTotals,
  type Invoice,
  type InvoicePayment,
  invoiceState,
  nextRetryAt,
  subscriptionOf,
} from './invoice-engine.js';
import { invoicePayments, type PaymentOutcome } from './payments-port.js';
import { onSubscriptionInvoiceFailed, onSubscriptionInvoicePaid } from './subscription-hooks.js';

/** Finalizes a draft: number, `open`, `invoice.finalized`, then its PaymentIntent (or paid when 0). */
export function finalizeInvoice(ctx: Ctx, inv: Invoice, opts: { autoAdvance?: boolean } = {}): Invoice {
  if (inv.status !== 'draft') {
    throw stateError(
      `This invoice is already finalized, you can't re-finalize a non-draft invoice.`,
      'invoice_not_editable',
    );
  }
  const customer = ctx.store.c('customer').require(inv.customer as string, 'customer');
  computeTotals(ctx, inv);
  applyBalanceToInvoice(ctx, inv);
  const now = ctx.now();
  const seq = customer.next_invoice_sequence ?? 1;
  customer.next_invoice_sequence = seq + 1;
  inv.number = `${customer.invoice_prefix ?? 'INV'}-${String(seq).padStart(4, '0')}`;
  inv.status = 'open';
  inv.effective_at = now;
  inv.status_transitions.finalized_at = now;
  inv.automatically_finalizes_at = null;
  if (opts.autoAdvance !== undefined) inv.auto_advance = opts.autoAdvance;
  inv.hosted_invoice_url = `https://invoice.stripe.com/i/emulator/${inv.id}`;
  inv.invoice_pdf = `https://pay.stripe.com/invoice/emulator/${inv.id}/pdf`;
  if (inv.collection_method === 'send_invoice') {
    const days = ctx.store.c('_invoice_days').get(inv.id)?.days ?? 30;
    inv.due_date = inv.due_date ?? now + days * 86_400;
  }
  ctx.emit('invoice.finalized', inv);
  if (inv.amount_due === 0) {
    markPaid(ctx, inv, { outOfBand: false });
    return inv;
  }
  const port = invoicePayments(ctx.app);
  if (port) {
    const state = invoiceState(ctx, inv);
    const sub = subscriptionOf(inv);
    const pi = port.create(ctx, {
      amount: inv.amount_due,
      currency: inv.currency,
      customer: customer.id,
      description: sub
        ? inv.billing_reason === 'subscription_create'
          ? 'Subscription creation'
          : 'Subscription update'
        : null,
      metadata: EMPTY_METADATA,
      setupFutureUsage: sub !== null,
    });
    state.payment_intent = pi.id;
    ctx.store.c('_invoice_by_pi').insert({ id: pi.id, invoice: inv.id });
    ctx.store.c('invoice_payment').insert({
      id: newId('inpay'),
      object: 'invoice_payment',
      amount_paid: null,
      amount_requested: inv.amount_due,
      created: now,
      currency: inv.currency,
      invoice: inv.id,
      is_default: true,
      livemode: false,
      payment: { type: 'payment_intent', payment_intent: pi.id },
      status: 'open',
      status_transitions: { canceled_at: null, paid_at: null },
    });
  }
  return inv;
}

/** Marks an open (or uncollectible) invoice paid and emits `invoice.paid`, `invoice.payment_succeeded`. */
export function markPaid(
  ctx: Ctx,
  inv: Invoice,
  opts: { outOfBand: boolean; paymentMethod?: string | null },
): void {
  const now = ctx.now();
  const amount = inv.amount_remaining;
  inv.status = 'paid';
  inv.amount_paid += amount;
  if (opts.outOfBand) inv.amount_paid_off_stripe = (inv.amount_paid_off_stripe ?? 0) + amount;
  inv.amount_remaining = 0;
  inv.attempted = inv.attempted || !opts.outOfBand;
  inv.next_payment_attempt = null;
  inv.auto_advance = false;
  inv.status_transitions.paid_at = now;
  const state = invoiceState(ctx, inv);
  const paid: InvoicePayment[] = [];
  for (const pay of ctx.store.c('invoice_payment').values()) {
    if (pay.invoice !== inv.id || pay.status !== 'open') continue;
    if (opts.outOfBand) {
      pay.status = 'canceled';
      pay.status_transitions.canceled_at = now;
    } else {
      pay.status = 'paid';
      pay.amount_paid = pay.amount_requested;
      pay.status_transitions.paid_at = now;
      paid.push(pay);
    }
  }
  if (opts.outOfBand && state.payment_intent) invoicePayments(ctx.app)?.cancel(ctx, state.payment_intent);
  // The payment is paid first, then the invoice it settles.
  for (const pay of paid) ctx.emit('invoice_payment.paid', pay);
  ctx.emit('invoice.paid', inv);
  if (!opts.outOfBand) ctx.emit('invoice.payment_succeeded', inv);
  const sub = subscriptionOf(inv);
  if (sub) onSubscriptionInvoicePaid(ctx, sub, inv, opts.paymentMethod ?? null);
}

/** The outcome's error code when there was no payment method to charge at all. */
const NO_PAYMENT_METHOD = 'invoice_no_payment_method';

/** Records a failed collection attempt: counts it, plans the retry, emits `invoice.payment_failed`. */
export function recordFailure(ctx: Ctx, inv: Invoice, outcome: PaymentOutcome, automatic: boolean): void {
  const state = invoiceState(ctx, inv);
  inv.attempted = true;
  inv.attempt_count += 1;
  const sub = subscriptionOf(inv);
  // Without any payment method there is nothing to retry: the invoice waits (past_due) for the
  // customer to pay it, and no retry schedule runs out to cancel the subscription.
  const noPaymentMethod = outcome.error?.code === NO_PAYMENT_METHOD;
  if (automatic && sub && inv.collection_method === 'charge_automatically' && !noPaymentMethod) {
    state.failed_attempts += 1;
    inv.next_payment_attempt = nextRetryAt(ctx, state.failed_attempts, ctx.now());
  } else if (noPaymentMethod) {
    inv.next_payment_attempt = null;
  }
  // A payment that needs 3-D Secure failed for now, and asks the customer to act (Stripe sends both).
  ctx.emit('invoice.payment_failed', inv);
  if (outcome.status === 'requires_action') ctx.emit('invoice.payment_action_required', inv);
  if (sub)
    onSubscriptionInvoiceFailed(
      ctx,
      sub,
      inv,
      automatic && !noPaymentMethod && inv.next_payment_attempt === null,
    );
}

/**
 * The payment method an invoice is charged with, in Stripe's order: the invoice's default payment
 * method then default source, its subscription's, then the customer's (`invoice_settings`, then
 * `default_source` — a legacy card, charged as such).
 */
export function paymentMethodFor(ctx: Ctx, inv: Invoice): string | null {
  if (typeof inv.default_payment_method === 'string') return inv.default_payment_method;
  if (typeof inv.default_source === 'string') return inv.default_source;
  const sub = subscriptionOf(inv);
  if (sub) {
    const s = ctx.store.c('subscription').get(sub);
    if (typeof s?.default_payment_method === 'string') return s.default_payment_method;
    if (typeof s?.default_source === 'string') return s.default_source;
  }
  const c = ctx.store.c('customer').get(inv.customer as string);
  const pm = c?.invoice_settings.default_payment_method;
  if (typeof pm === 'string') return pm;
  if (typeof c?.default_source === 'string') return c.default_source;
  return null;
}

export interface AttemptResult {
  outcome: PaymentOutcome;
}

/**
 * Charges an open invoice's PaymentIntent with `paymentMethod` (or the default one). The invoice's
 * state changes through the PaymentIntent reaction (`onPaymentIntentOutcome`), as with any other
 * confirmation route. Returns the outcome; `throwOnDecline` turns a decline into a 402 card_error.
 */
export function attemptPayment(
  ctx: Ctx,
  inv: Invoice,
  opts: {
    paymentMethod?: string | undefined;
    offSession: boolean;
    automatic: boolean;
    throwOnDecline: boolean;
  },
): PaymentOutcome {
  const port = invoicePayments(ctx.app);
  const state = invoiceState(ctx, inv);
  if (!port || state.payment_intent === null) {
    throw invalidRequest(
      'This invoice has no PaymentIntent to charge (the emulator was built without payment resources); pay it with paid_out_of_band=true.',
    );
  }
  const pm = opts.paymentMethod ?? paymentMethodFor(ctx, inv);
  if (pm === null) {
    const outcome: PaymentOutcome = {
      status: 'requires_payment_method',
      paymentMethod: null,
      error: { code: NO_PAYMENT_METHOD, message: 'The customer has no default payment method.' },
    };
    if (opts.automatic) recordFailure(ctx, inv, outcome, true);
    if (opts.throwOnDecline) {
      throw invalidRequest(
        'This customer has no attached payment source or default payment method. Please consider adding a default payment method.',
        undefined,
        'invoice_no_customer_line_items',
      );
    }
    return outcome;
  }
  pendingAttempt.set(state.payment_intent, { automatic: opts.automatic });
  let outcome: PaymentOutcome;
  try {
    outcome = port.confirm(ctx, state.payment_intent, pm, opts.offSession);
  } finally {
    pendingAttempt.delete(state.payment_intent);
  }
  if (opts.throwOnDecline && outcome.status === 'requires_action') {
    throw cardError(
      'invoice_payment_intent_requires_action',
      undefined,
      'This payment requires additional user action before it can be completed successfully. Payment can be completed using the PaymentIntent associated with the invoice.',
      { payment_intent: { id: state.payment_intent } },
    );
  }
  if (opts.throwOnDecline && outcome.status !== 'succeeded') {
    const e = outcome.error ?? { code: 'card_declined', message: 'Your card was declined.' };
    throw cardError(e.code, e.declineCode, e.message, { payment_intent: { id: state.payment_intent } });
  }
  return outcome;
}

/** Whether the attempt in flight for a PI is an automatic one (retry schedule applies). */
const pendingAttempt = new Map<string, { automatic: boolean }>();

/**
 * Every PaymentIntent outcome (API confirm with the client secret, 3-D Secure, internal confirm) comes
 * here: when the PI belongs to an invoice, the invoice (and its subscription) follow.
 */
export function onPaymentIntentOutcome(ctx: Ctx, paymentIntent: string, outcome: PaymentOutcome): void {
  const link = ctx.store.c('_invoice_by_pi').get(paymentIntent);
  if (link === undefined) return;
  const inv = ctx.store.c('invoice').get(link.invoice);
  if (inv === undefined || (inv.status !== 'open' && inv.status !== 'uncollectible')) return;
  if (outcome.status === 'succeeded') {
    markPaid(ctx, inv, { outOfBand: false, paymentMethod: outcome.paymentMethod });
  } else if (outcome.status === 'failed' || outcome.status === 'requires_action') {
    recordFailure(ctx, inv, outcome, pendingAttempt.get(paymentIntent)?.automatic ?? false);
  }
}

export function voidInvoice(ctx: Ctx, inv: Invoice): void {
  if (inv.status !== 'open' && inv.status !== 'uncollectible') {
    throw stateError(
      `You can only void an open or uncollectible invoice; this one is ${inv.status}.`,
      'invoice_not_editable',
    );
  }
  const now = ctx.now();
  inv.status = 'void';
  inv.amount_remaining = 0;
  inv.next_payment_attempt = null;
  inv.auto_advance = false;
  inv.status_transitions.voided_at = now;
  const state = invoiceState(ctx, inv);
  for (const pay of ctx.store.c('invoice_payment').values()) {
    if (pay.invoice === inv.id && pay.status === 'open') {
      pay.status = 'canceled';
      pay.status_transitions.canceled_at = now;
    }
  }
  if (state.payment_intent) invoicePayments(ctx.app)?.cancel(ctx, state.payment_intent);
  unapplyBalanceFromInvoice(ctx, inv);
  ctx.emit('invoice.voided', inv);
}

export function markUncollectible(ctx: Ctx, inv: Invoice): void {
  if (inv.status !== 'open') {
    throw stateError(
      `You can only mark an open invoice as uncollectible; this one is ${inv.status}.`,
      'invoice_not_editable',
    );
  }
  inv.status = 'uncollectible';
  inv.next_payment_attempt = null;
  inv.auto_advance = false;
  inv.status_transitions.marked_uncollectible_at = ctx.now();
  ctx.emit('invoice.marked_uncollectible', inv);
}
