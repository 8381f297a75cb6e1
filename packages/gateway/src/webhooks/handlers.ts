// Event type → handler. Every handler is idempotent (its effects are keyed by their cause) and
// order-safe: it re-reads the object from Stripe instead of trusting the event's copy, so a late or
// duplicated event can never move state backwards. Events about another instance's objects, or whose
// metadata points at records that do not match, are acknowledged and marked ignored.
import type Stripe from 'stripe';
import { checkoutByRef, markCheckoutCreated, syncCheckout } from '../checkout/service.js';
import type { AppContext } from '../context.js';
import { recordDefaultCard } from '../customers/cards.js';
import { customerByStripeId, markCustomerDeleted, updateCustomerContact } from '../customers/service.js';
import { applyDispute, NO_DISPUTED_PAYMENT } from '../disputes/service.js';
import { notify } from '../notifications/service.js';
import { fulfilPackInvoice, fulfilPaymentIntent } from '../payments/fulfil.js';
import { markIntentCanceled, paymentIntentByRef } from '../payments/service.js';
import { withTransaction } from '../platform/db/tx.js';
import { callStripe } from '../platform/stripe/client.js';
import { chargeIdOf, NO_PAYMENT, syncChargeRefunds } from '../refunds/stripe-sync.js';
import { applySubscription } from '../subscriptions/apply.js';
import { applyPaidInvoice, invoiceSubscriptionId } from '../subscriptions/invoice.js';
import { syncWhmcsSession } from '../whmcs/service.js';
import type { EventHandler, EventHandlers, EventOutcome } from './apply.js';

const processed: EventOutcome = { status: 'processed' };
const ignored = (reason: string): EventOutcome => ({ status: 'ignored', reason });

function ours(s: AppContext, metadata: Stripe.Metadata | null | undefined): boolean {
  return metadata?.paydesk_instance === s.config.instanceId;
}

async function refreshSubscription(s: AppContext, subscriptionId: string): Promise<EventOutcome> {
  const observedAt = s.now();
  const sub = await callStripe(() => s.stripe.subscriptions.retrieve(subscriptionId));
  const r = await applySubscription(s, sub, observedAt);
  return r.applied ? processed : ignored(r.reason);
}

const subscriptionChanged: EventHandler = async (s, event) =>
  refreshSubscription(s, (event.data.object as Stripe.Subscription).id);

const trialWillEnd: EventHandler = async (s, event) => {
  const outcome = await refreshSubscription(s, (event.data.object as Stripe.Subscription).id);
  if (outcome.status !== 'processed') return outcome;
  const sub = event.data.object as Stripe.Subscription;
  await withTransaction(s, (tx) =>
    notify(s, tx, 'subscription.updated', `${sub.id}:trial_will_end:${sub.trial_end}`, {
      stripe_subscription: sub.id,
      trial_will_end: true,
      trial_end: sub.trial_end ? new Date(sub.trial_end * 1000).toISOString() : null,
    }),
  );
  return processed;
};

const checkoutChanged: EventHandler = async (s, event) => {
  const session = event.data.object as Stripe.Checkout.Session;
  if (!ours(s, session.metadata))
    return ignored('the session belongs to another paydesk instance or to none');
  if (session.metadata?.paydesk_whmcs_invoice) {
    if (!s.config.whmcs) return ignored('a WHMCS session, but the WHMCS bridge is not enabled');
    const outcome = await syncWhmcsSession(s, session.id);
    return outcome ? processed : ignored('the WHMCS session’s metadata names no invoice');
  }
  const recordId = session.metadata?.paydesk_checkout_id;
  let record = recordId ? await checkoutByRef(s.db, recordId) : undefined;
  if (!record) return ignored('the session names no checkout of this paydesk');
  if (record.stripe_session_id === null) {
    // paydesk stopped between creating the session and saving its id: the event completes the record.
    record = await markCheckoutCreated(s.db, record.id, {
      stripe_session_id: session.id,
      url: session.url,
      status: 'open',
    });
  }
  if (record.stripe_session_id !== session.id)
    return ignored('the session’s metadata points at another checkout');
  const result = await syncCheckout(s, record);
  if (event.type === 'checkout.session.async_payment_failed') {
    await withTransaction(s, (tx) =>
      notify(s, tx, 'payment.failed', `${session.id}:async`, {
        customer: record.customer_id,
        checkout: record.id,
        reason: 'async_payment_failed',
      }),
    );
  }
  if (result.session.mode === 'subscription' && typeof result.session.subscription === 'string') {
    await refreshSubscription(s, result.session.subscription);
  }
  return processed;
};

const invoicePaid: EventHandler = async (s, event) => {
  const id = (event.data.object as Stripe.Invoice).id;
  if (!id) return ignored('the invoice has no id');
  const invoice = await callStripe(() => s.stripe.invoices.retrieve(id, { expand: ['payments'] }));
  const subId = invoiceSubscriptionId(invoice);
  const subOutcome = subId ? await refreshSubscription(s, subId) : ignored('not a subscription invoice');
  const r = await applyPaidInvoice(s, invoice);
  const packs = await fulfilPackInvoice(s, invoice);
  if (r.applied || packs) return processed;
  return subOutcome.status === 'processed' ? processed : ignored(r.reason);
};

const invoiceFailed: EventHandler = async (s, event) => {
  const invoice = event.data.object as Stripe.Invoice;
  const subId = invoiceSubscriptionId(invoice);
  if (!subId) return ignored('not a subscription invoice');
  const outcome = await refreshSubscription(s, subId);
  if (outcome.status !== 'processed') return outcome;
  const customer = typeof invoice.customer === 'string' ? invoice.customer : invoice.customer?.id;
  const local = customer ? await customerByStripeId(s.db, customer) : undefined;
  await withTransaction(s, (tx) =>
    notify(s, tx, 'payment.failed', `${invoice.id}:${invoice.attempt_count}:${event.type}`, {
      customer: local?.id ?? null,
      invoice: invoice.id,
      amount: invoice.amount_due,
      currency: invoice.currency,
      attempt: invoice.attempt_count,
      reason: event.type === 'invoice.payment_action_required' ? 'authentication_required' : 'payment_failed',
      next_attempt: invoice.next_payment_attempt
        ? new Date(invoice.next_payment_attempt * 1000).toISOString()
        : null,
    }),
  );
  return processed;
};

/**
 * Records a payment intent paydesk created directly (POST /v1/payment_intents) once it succeeded, with
 * its notification and, for a credit pack, its credits. False when the intent is not one of those.
 */
async function recordDirectPayment(s: AppContext, piId: string, metadata: Stripe.Metadata): Promise<boolean> {
  const recordId = metadata.paydesk_payment_intent_id;
  const record = recordId ? await paymentIntentByRef(s.db, recordId) : undefined;
  if (!record || record.stripe_payment_intent_id !== piId) return false;
  const fresh = await callStripe(() => s.stripe.paymentIntents.retrieve(piId, { expand: ['latest_charge'] }));
  await fulfilPaymentIntent(s, record, fresh);
  return true;
}

/** Applies the checkout a payment intent paid for (through the shared checkout path). */
async function recordCheckoutPayment(s: AppContext, metadata: Stripe.Metadata): Promise<boolean> {
  const record = metadata.paydesk_checkout_id
    ? await checkoutByRef(s.db, metadata.paydesk_checkout_id)
    : undefined;
  if (!record?.stripe_session_id) return false;
  await syncCheckout(s, record);
  return true;
}

const paymentIntentSucceeded: EventHandler = async (s, event) => {
  const pi = event.data.object as Stripe.PaymentIntent;
  if (!ours(s, pi.metadata)) return ignored('the payment intent is not one this paydesk created directly');
  if (pi.metadata.paydesk_checkout_id) {
    return (await recordCheckoutPayment(s, pi.metadata))
      ? processed
      : ignored('no checkout of this paydesk for the payment intent');
  }
  return (await recordDirectPayment(s, pi.id, pi.metadata))
    ? processed
    : ignored('the metadata points at no matching payment intent');
};

/**
 * A refund can arrive before the payment it refunds was recorded (that payment's event late, or
 * dropped until reconcile): record the payment from Stripe first, by its own path, so the refund is
 * never lost. True when a payment could be recorded.
 */
async function recordPaymentOfCharge(s: AppContext, chargeId: string): Promise<boolean> {
  const charge = await callStripe(() => s.stripe.charges.retrieve(chargeId, { expand: ['payment_intent'] }));
  const pi = typeof charge.payment_intent === 'object' ? charge.payment_intent : null;
  if (pi?.status !== 'succeeded') return false;
  if (ours(s, pi.metadata)) {
    if (pi.metadata.paydesk_checkout_id) return recordCheckoutPayment(s, pi.metadata);
    return recordDirectPayment(s, pi.id, pi.metadata);
  }
  // A subscription invoice's payment: find the invoice it paid.
  const payments = await callStripe(() =>
    s.stripe.invoicePayments.list({ payment: { type: 'payment_intent', payment_intent: pi.id }, limit: 1 }),
  );
  const invoiceId = payments.data[0]?.invoice;
  if (!invoiceId) return false;
  const invoice = await callStripe(() =>
    s.stripe.invoices.retrieve(typeof invoiceId === 'string' ? invoiceId : invoiceId.id, {
      expand: ['payments'],
    }),
  );
  return (await applyPaidInvoice(s, invoice)).applied;
}

const paymentIntentFailed: EventHandler = async (s, event) => {
  const pi = event.data.object as Stripe.PaymentIntent;
  if (!ours(s, pi.metadata)) return ignored('the payment intent is not one this paydesk created directly');
  await withTransaction(s, (tx) =>
    notify(s, tx, 'payment.failed', `${pi.id}:${pi.last_payment_error?.charge ?? event.id}`, {
      customer: pi.metadata.paydesk_customer_id ?? null,
      payment_intent: pi.id,
      amount: pi.amount,
      currency: pi.currency,
      reason: pi.last_payment_error?.decline_code ?? pi.last_payment_error?.code ?? 'payment_failed',
    }),
  );
  return processed;
};

const paymentIntentCanceled: EventHandler = async (s, event) => {
  const pi = event.data.object as Stripe.PaymentIntent;
  if (!ours(s, pi.metadata)) return ignored('the payment intent is not one this paydesk created directly');
  const recordId = pi.metadata.paydesk_payment_intent_id;
  if (recordId) {
    await markIntentCanceled(s.db, recordId, pi.id);
  }
  return processed;
};

const refundChanged: EventHandler = async (s, event) => {
  const chargeId = chargeIdOf(event.data.object as Stripe.Charge | Stripe.Refund);
  if (!chargeId) return ignored('the refund names no charge');
  let r = await syncChargeRefunds(s, chargeId);
  if (!r.applied && r.reason === NO_PAYMENT && (await recordPaymentOfCharge(s, chargeId))) {
    r = await syncChargeRefunds(s, chargeId);
  }
  return r.applied ? processed : ignored(r.reason);
};

const disputeChanged: EventHandler = async (s, event) => {
  const dispute = event.data.object as Stripe.Dispute;
  const chargeId = typeof dispute.charge === 'string' ? dispute.charge : dispute.charge.id;
  let r = await applyDispute(s, dispute.id, event.type);
  if (!r.applied && r.reason === NO_DISPUTED_PAYMENT && (await recordPaymentOfCharge(s, chargeId))) {
    r = await applyDispute(s, dispute.id, event.type);
  }
  return r.applied ? processed : ignored(r.reason);
};

const customerUpdated: EventHandler = async (s, event) => {
  const id = (event.data.object as Stripe.Customer).id;
  const local = await s.customers.byStripeId(id);
  if (!local) return ignored('not a customer of this paydesk');
  if (event.type === 'customer.deleted') {
    await markCustomerDeleted(s.db, local.id);
    return processed;
  }
  const observedAt = s.now();
  const fresh = await callStripe(() =>
    s.stripe.customers.retrieve(id, { expand: ['invoice_settings.default_payment_method'] }),
  );
  if (fresh.deleted) return processed;
  if (fresh.metadata.paydesk_customer_id && fresh.metadata.paydesk_customer_id !== local.id) {
    return ignored('the customer’s metadata points at another paydesk customer');
  }
  // The card the billing pages show (customers/cards.ts).
  await recordDefaultCard(s.db, local.id, fresh.invoice_settings?.default_payment_method, observedAt);
  if ((fresh.email ?? null) !== local.email || (fresh.name ?? null) !== local.name) {
    await updateCustomerContact(s.db, local.id, { email: fresh.email ?? null, name: fresh.name ?? null });
  }
  return processed;
};

/** Types not listed are stored and marked ignored. */
export const eventHandlers: EventHandlers = {
  'checkout.session.completed': checkoutChanged,
  'checkout.session.expired': checkoutChanged,
  'checkout.session.async_payment_succeeded': checkoutChanged,
  'checkout.session.async_payment_failed': checkoutChanged,
  'customer.subscription.created': subscriptionChanged,
  'customer.subscription.updated': subscriptionChanged,
  'customer.subscription.deleted': subscriptionChanged,
  'customer.subscription.paused': subscriptionChanged,
  'customer.subscription.resumed': subscriptionChanged,
  'customer.subscription.trial_will_end': trialWillEnd,
  'invoice.paid': invoicePaid,
  'invoice.payment_succeeded': invoicePaid,
  'invoice.payment_failed': invoiceFailed,
  'invoice.payment_action_required': invoiceFailed,
  'payment_intent.succeeded': paymentIntentSucceeded,
  'payment_intent.payment_failed': paymentIntentFailed,
  'payment_intent.canceled': paymentIntentCanceled,
  'charge.refunded': refundChanged,
  'charge.refund.updated': refundChanged,
  'refund.created': refundChanged,
  'refund.updated': refundChanged,
  'refund.failed': refundChanged,
  'charge.dispute.created': disputeChanged,
  'charge.dispute.updated': disputeChanged,
  'charge.dispute.closed': disputeChanged,
  'charge.dispute.funds_withdrawn': disputeChanged,
  'charge.dispute.funds_reinstated': disputeChanged,
  'customer.updated': customerUpdated,
  'customer.deleted': customerUpdated,
};
