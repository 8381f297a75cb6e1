import type Stripe from 'stripe';
import type { Ctx } from '../../core/context.js';
import { diffPrevious } from '../../core/events.js';
import { attemptPayment, finalizeInvoice, markUncollectible, voidInvoice } from './collect.js';
import { spendOnceDiscounts, subscriptionInvoiceDiscounts } from './discounts.js';
import { createDraftInvoice, type Invoice, invoiceState } from './invoice-engine.js';
import { createPreview } from './preview.js';
import { billingSettings } from './settings.js';
import {
  cycleLines,
  periodEndFrom,
  periodOf,
  type Subscription,
  setPeriod,
  subState,
} from './subscription-model.js';

/**
 * The subscription lifecycle: what happens when its invoices are paid or fail, at each period end,
 * when a trial ends, and when it is canceled. Request handlers and the scheduler both call these.
 */

function updated(ctx: Ctx, sub: Subscription, before: Subscription): void {
  const prev = diffPrevious(before, sub);
  if (Object.keys(prev).length > 0) ctx.emit('customer.subscription.updated', sub, prev);
}

export function onSubscriptionInvoicePaid(ctx: Ctx, subId: string, inv: Invoice, pm: string | null): void {
  const sub = ctx.store.c('subscription').get(subId);
  if (sub === undefined || sub.status === 'canceled' || sub.status === 'incomplete_expired') return;
  const before = structuredClone(sub);
  if (sub.status === 'incomplete' || sub.status === 'past_due' || sub.status === 'unpaid') {
    // Paying the latest invoice brings the subscription back; an older one doesn't.
    if (sub.latest_invoice === inv.id || sub.status === 'incomplete') sub.status = 'active';
  }
  if (
    pm !== null &&
    sub.default_payment_method === null &&
    sub.payment_settings?.save_default_payment_method === 'on_subscription'
  ) {
    sub.default_payment_method = pm;
  }
  updated(ctx, sub, before);
}

export function onSubscriptionInvoiceFailed(ctx: Ctx, subId: string, inv: Invoice, exhausted: boolean): void {
  const sub = ctx.store.c('subscription').get(subId);
  if (sub === undefined || sub.status === 'canceled' || sub.status === 'incomplete_expired') return;
  if (sub.status === 'incomplete') return; // the first invoice: stays incomplete until paid or expired
  if (sub.latest_invoice !== inv.id) return;
  const before = structuredClone(sub);
  if (sub.status === 'active' || sub.status === 'trialing') sub.status = 'past_due';
  if (!exhausted) {
    updated(ctx, sub, before);
    return;
  }
  const after = billingSettings(ctx.app).afterRetries;
  if (after === 'cancel') {
    updated(ctx, sub, before);
    cancelSubscription(ctx, sub, { reason: 'payment_failed' });
  } else {
    if (after === 'unpaid') sub.status = 'unpaid';
    updated(ctx, sub, before);
  }
}

const canceledListeners: ((ctx: Ctx, sub: Subscription) => void)[] = [];

/** Told after any subscription is canceled (its subscription schedule follows). */
export function onSubscriptionCanceled(listener: (ctx: Ctx, sub: Subscription) => void): void {
  canceledListeners.push(listener);
}

/** Ends a subscription now: `canceled`, `customer.subscription.deleted`. */
export function cancelSubscription(
  ctx: Ctx,
  sub: Subscription,
  opts: {
    reason: Stripe.Subscription.CancellationDetails.Reason;
    comment?: string | null | undefined;
    feedback?: Stripe.Subscription.CancellationDetails.Feedback | null | undefined;
  },
): void {
  const now = ctx.now();
  sub.status = 'canceled';
  sub.canceled_at = sub.canceled_at ?? now;
  sub.ended_at = now;
  sub.cancel_at_period_end = false;
  sub.cancellation_details = {
    comment: opts.comment ?? sub.cancellation_details?.comment ?? null,
    feedback: opts.feedback ?? sub.cancellation_details?.feedback ?? null,
    feedback_option: null,
    reason: opts.reason,
  };
  ctx.emit('customer.subscription.deleted', sub);
  for (const listener of canceledListeners) listener(ctx, sub);
}

/** `customer.subscription.trial_will_end`, once, a few days before the trial ends. */
export function trialWillEnd(ctx: Ctx, sub: Subscription): void {
  subState(ctx, sub).trial_will_end_sent = true;
  ctx.emit('customer.subscription.trial_will_end', sub);
}

/**
 * A trial that ends sooner than `trial_will_end` would be due (three days by default) gets it at
 * once, as Stripe sends it; the scheduler sends it for longer trials.
 */
export function trialWillEndIfClose(ctx: Ctx, sub: Subscription): void {
  if (sub.status !== 'trialing' || sub.trial_end === null) return;
  if (subState(ctx, sub).trial_will_end_sent) return;
  if (sub.trial_end - billingSettings(ctx.app).trialWillEndDays * 86_400 <= ctx.now()) trialWillEnd(ctx, sub);
}

/** The first invoice was never paid: `incomplete_expired`, its invoice voided. */
export function expireIncomplete(ctx: Ctx, sub: Subscription): void {
  const before = structuredClone(sub);
  const inv =
    typeof sub.latest_invoice === 'string' ? ctx.store.c('invoice').get(sub.latest_invoice) : undefined;
  if (inv && inv.status === 'open') voidInvoice(ctx, inv);
  sub.status = 'incomplete_expired';
  sub.ended_at = ctx.now();
  subState(ctx, sub).incomplete_expires_at = null;
  updated(ctx, sub, before);
}

/**
 * Some days before an automatically charged renewal: `invoice.upcoming` with the invoice the renewal
 * will create, as a preview (nothing is stored; Stripe's object has no usable invoice id either).
 */
export function upcomingRenewal(ctx: Ctx, sub: Subscription): void {
  const { end } = periodOf(sub);
  subState(ctx, sub).upcoming_sent_for = end;
  const preview = createPreview({
    ...ctx,
    params: { customer: sub.customer as string, subscription: sub.id },
  });
  ctx.emit('invoice.upcoming', preview);
}

/**
 * The period ends: start the next one (the trial, if any, is over), create its invoice as a draft
 * that finalizes an hour later (as Stripe does), or cancel when asked to at period end.
 */
export function renew(ctx: Ctx, sub: Subscription): void {
  const { end } = periodOf(sub);
  if (sub.cancel_at !== null && sub.cancel_at <= end) {
    cancelSubscription(ctx, sub, { reason: 'cancellation_requested' });
    return;
  }
  const before = structuredClone(sub);
  const wasTrial = sub.status === 'trialing';
  if (wasTrial) {
    const missing = missingPaymentMethodBehavior(ctx, sub);
    if (missing === 'cancel') {
      cancelSubscription(ctx, sub, { reason: 'cancellation_requested' });
      return;
    }
    if (missing === 'pause') {
      sub.status = 'paused';
      updated(ctx, sub, before);
      ctx.emit('customer.subscription.paused', sub);
      return;
    }
    sub.status = 'active';
  }
  const nextEnd = periodEndFrom(sub, end);
  setPeriod(sub, end, nextEnd);
  const period = { start: end, end: nextEnd };
  const inv = createDraftInvoice(ctx, {
    customer: sub.customer as string,
    currency: sub.currency,
    billingReason: 'subscription_cycle',
    collectionMethod: sub.collection_method === 'send_invoice' ? 'send_invoice' : 'charge_automatically',
    daysUntilDue: sub.days_until_due,
    autoAdvance: true,
    includePending: true,
    subscription: sub.id,
    subscriptionMetadata: sub.metadata,
    subscriptionLines: cycleLines(ctx, sub, period, false),
    discounts: subscriptionInvoiceDiscounts(ctx, sub, period.start),
    periodStart: period.start,
    periodEnd: period.end,
  });
  sub.latest_invoice = inv.id;
  spendOnceDiscounts(ctx, sub, inv);
  updated(ctx, sub, before);
  const pause = sub.pause_collection;
  if (pause) {
    if (pause.behavior === 'keep_as_draft') {
      inv.auto_advance = false;
      inv.automatically_finalizes_at = null;
    } else {
      finalizeInvoice(ctx, inv, { autoAdvance: false });
      if (inv.status === 'open') {
        if (pause.behavior === 'void') voidInvoice(ctx, inv);
        else markUncollectible(ctx, inv);
      }
    }
  }
}

/**
 * What `trial_settings.end_behavior.missing_payment_method` asks for when the trial ends now:
 * `pause` or `cancel` when there is no payment method (the subscription's or the customer's
 * default), else null (the renewal invoice is created as usual, `create_invoice`).
 */
export function missingPaymentMethodBehavior(ctx: Ctx, sub: Subscription): 'pause' | 'cancel' | null {
  const pm =
    sub.default_payment_method ?? sub.default_source ?? customerDefaultPm(ctx, sub.customer as string);
  if (pm !== null) return null;
  const missing = sub.trial_settings?.end_behavior.missing_payment_method;
  return missing === 'pause' ? 'pause' : missing === 'cancel' ? 'cancel' : null;
}

/** The customer's default payment method, or its default card source (a payment method too). */
function customerDefaultPm(ctx: Ctx, customer: string): string | null {
  const c = ctx.store.c('customer').get(customer);
  const pm = c?.invoice_settings.default_payment_method;
  if (typeof pm === 'string') return pm;
  return typeof c?.default_source === 'string' ? c.default_source : null;
}

/** An auto-advancing draft's time has come: finalize it, and charge it when collection is automatic. */
export function advanceDraft(ctx: Ctx, inv: Invoice): void {
  finalizeInvoice(ctx, inv);
  if (inv.status !== 'open') return;
  if (inv.collection_method === 'charge_automatically') collectAutomatically(ctx, inv);
}

/** One automatic collection attempt (renewals and the retry schedule). */
export function collectAutomatically(ctx: Ctx, inv: Invoice): void {
  if (invoiceState(ctx, inv).payment_intent === null) return; // no payments module: nothing to charge
  attemptPayment(ctx, inv, { offSession: true, automatic: true, throwOnDecline: false });
}

/** Pause collection ends: `pause_collection` cleared. */
export function resumeCollection(ctx: Ctx, sub: Subscription): void {
  const before = structuredClone(sub);
  sub.pause_collection = null;
  updated(ctx, sub, before);
}

export { updated as emitSubscriptionUpdated };
