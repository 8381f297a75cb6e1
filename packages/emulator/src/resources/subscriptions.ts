import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam, resourceMissing, StripeError, stateError } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import type { Params } from '../core/form.js';
import { newId } from '../core/ids.js';
import { allOf, paginate, rangeFilter } from '../core/list.js';
import { applyMetadata } from '../core/metadata.js';
import { arr, bool, emptyableStr, int, obj, oneOf, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Store } from '../core/store.js';
import { attemptPayment, finalizeInvoice } from './billing/collect.js';
import { ctxFor, testClockOf } from './billing/context.js';
import {
  endReplacedDiscounts,
  readDiscounts,
  spendOnceDiscounts,
  subscriptionInvoiceDiscounts,
} from './billing/discounts.js';
import { createDraftInvoice, type Invoice } from './billing/invoice-engine.js';
import { type Interval, nextBoundary } from './billing/periods.js';
import { type ItemChange, prorationItems } from './billing/proration.js';
import { withRollback } from './billing/rollback.js';
import { beforeRequest, touchBilling } from './billing/scheduler.js';
import { billingSettings } from './billing/settings.js';
import {
  cancelSubscription,
  emitSubscriptionUpdated,
  missingPaymentMethodBehavior,
  trialWillEnd,
  trialWillEndIfClose,
} from './billing/subscription-hooks.js';
import {
  cycleLines,
  intervalOf,
  newItem,
  periodEndFrom,
  periodOf,
  readItemPrice,
  readQuantity,
  type Subscription,
  type SubscriptionItem,
  setPeriod,
  subState,
} from './billing/subscription-model.js';
import { createInvoiceItem } from './invoice-items.js';
import { priceAmount } from './price-tiers.js';
import type { Price } from './prices.js';
import { readTaxRates } from './tax-rates.js';

export type { Subscription, SubscriptionItem } from './billing/subscription-model.js';

const PAYMENT_BEHAVIORS = [
  'allow_incomplete',
  'default_incomplete',
  'error_if_incomplete',
  'pending_if_incomplete',
] as const;
const PRORATION = ['create_prorations', 'none', 'always_invoice'] as const;
type Proration = (typeof PRORATION)[number];

function checkPaymentMethod(ctx: Ctx, id: string | null | undefined, customer: string, param: string): void {
  if (!id) return;
  const pm = ctx.store.c('payment_method').require(id, param);
  if (pm.customer !== customer) {
    throw invalidRequest(
      `The payment method ${id} is not attached to customer ${customer}. Attach it first.`,
      param,
    );
  }
}

function sameInterval(prices: readonly Price[], param: string): void {
  const first = prices[0]?.recurring;
  for (const p of prices) {
    if (p.recurring?.interval !== first?.interval || p.recurring?.interval_count !== first?.interval_count) {
      throw invalidRequest(
        'All prices on a subscription must have the same recurring interval and interval_count.',
        param,
      );
    }
  }
  const currency = prices[0]?.currency;
  if (prices.some((p) => p.currency !== currency)) {
    throw invalidRequest('All prices on a subscription must be in the same currency.', param);
  }
}

/** `add_invoice_items[n]`: one-time items on the subscription's first invoice. */
function addInvoiceItems(ctx: Ctx, p: Params, sub: Subscription): void {
  const list = arr(p, 'add_invoice_items') ?? [];
  list.forEach((entry, i) => {
    const name = `add_invoice_items[${i}]`;
    if (typeof entry === 'string' || Array.isArray(entry)) throw invalidRequest(`Invalid ${name}`, name);
    const priceId = str(entry, 'price', `${name}[price]`);
    const quantity = int(entry, 'quantity', `${name}[quantity]`) ?? 1;
    if (!priceId) throw missingParam(`${name}[price]`);
    const price = ctx.store.c('price').require(priceId, `${name}[price]`);
    const taxRates = readTaxRates(ctx, entry, 'tax_rates', `${name}[tax_rates]`);
    const ii = createInvoiceItem(ctx, {
      customer: sub.customer as string,
      currency: price.currency,
      amount: priceAmount(ctx.store, price, quantity),
      quantity,
      unitAmountDecimal: null,
      price,
      description: price.nickname,
      period: periodOf(sub),
      proration: false,
      subscription: sub.id,
      invoice: null,
    });
    if (taxRates !== undefined) ii.tax_rates = taxRates;
  });
}

export interface SubscriptionCreateOptions {
  /** The subscription schedule that creates it (`subscription.schedule`). */
  schedule?: string;
  /**
   * Created in the background (a schedule's phase starting), not by a request that waits for the
   * payment: the subscription starts `active` (not `incomplete`) and its first invoice is a draft
   * that finalizes and is charged an hour later, as a renewal's.
   */
  background?: boolean;
}

/**
 * Creates a subscription exactly as `POST /v1/subscriptions` does (Checkout in subscription mode
 * calls this too): items, trial, first invoice and its payment per `payment_behavior`, events in
 * Stripe's order. `params` are decoded form params. Throws Stripe errors (402 for
 * `error_if_incomplete` declines, leaving nothing behind).
 */
export function createSubscriptionInternal(
  ctx: Ctx,
  params: Params,
  opts: SubscriptionCreateOptions = {},
): Subscription {
  const behavior = oneOf(params, 'payment_behavior', PAYMENT_BEHAVIORS) ?? 'allow_incomplete';
  if (behavior === 'error_if_incomplete')
    return withRollback(ctx, () => createSubscription(ctx, params, behavior, opts));
  return createSubscription(ctx, params, behavior, opts);
}

function createSubscription(
  base: Ctx,
  p: Params,
  behavior: (typeof PAYMENT_BEHAVIORS)[number],
  opts: SubscriptionCreateOptions = {},
): Subscription {
  const customerId = str(p, 'customer');
  if (!customerId) throw missingParam('customer');
  const customer = base.store.c('customer').require(customerId, 'customer');
  const ctx = ctxFor(base, customer.id);
  const items = arr(p, 'items');
  if (items === undefined || items.length === 0) throw missingParam('items');
  if (items.length > 20) throw invalidRequest('A subscription can have at most 20 items.', 'items');
  const entries = items.map((e, i) => {
    if (typeof e === 'string' || Array.isArray(e))
      throw invalidRequest(`Invalid items[${i}]: must be a hash.`, `items[${i}]`);
    return e;
  });
  const prices = entries.map((e, i) => readItemPrice(ctx, e, `items[${i}]`));
  sameInterval(prices, 'items');
  const ids = new Set<string>();
  for (const pr of prices) {
    if (ids.has(pr.id))
      throw invalidRequest(`The price ${pr.id} appears twice; use quantity instead.`, 'items');
    ids.add(pr.id);
  }
  const collection =
    oneOf(p, 'collection_method', ['charge_automatically', 'send_invoice'] as const) ??
    'charge_automatically';
  const daysUntilDue = int(p, 'days_until_due');
  if (collection === 'send_invoice' && daysUntilDue === undefined) throw missingParam('days_until_due');
  const defaultPm = str(p, 'default_payment_method');
  checkPaymentMethod(ctx, defaultPm, customer.id, 'default_payment_method');
  const defaultSource = str(p, 'default_source');
  if (defaultSource) requireCustomerSource(ctx, customer.id, defaultSource);
  const now = ctx.now();

  // Trial: trial_end (a timestamp or 'now'), trial_period_days, or the price's (trial_from_plan).
  const trialEndRaw = str(p, 'trial_end');
  let trialEnd: number | null = null;
  if (trialEndRaw !== undefined && trialEndRaw !== 'now') {
    trialEnd = int(p, 'trial_end')!;
    if (trialEnd <= now) throw invalidRequest('trial_end must be in the future (or `now`).', 'trial_end');
  }
  const trialDays = int(p, 'trial_period_days');
  if (trialEndRaw === undefined && trialDays !== undefined && trialDays > 0)
    trialEnd = now + trialDays * 86_400;
  if (trialEndRaw === undefined && trialDays === undefined && bool(p, 'trial_from_plan')) {
    const days = prices[0]?.recurring?.trial_period_days;
    if (days) trialEnd = now + days * 86_400;
  }
  const trialSettings = obj(p, 'trial_settings');
  const endBehavior = trialSettings
    ? obj(trialSettings, 'end_behavior', 'trial_settings[end_behavior]')
    : undefined;
  const missingPm = endBehavior
    ? oneOf(
        endBehavior,
        'missing_payment_method',
        ['cancel', 'create_invoice', 'pause'] as const,
        'trial_settings[end_behavior][missing_payment_method]',
      )
    : undefined;

  const anchorParam = int(p, 'billing_cycle_anchor');
  const anchor = trialEnd ?? anchorParam ?? now;
  const first = prices[0]!.recurring!;
  const periodEnd = trialEnd ?? nextBoundary(anchor, first.interval as Interval, first.interval_count, now);
  const paymentSettings = obj(p, 'payment_settings');
  const save = paymentSettings
    ? oneOf(
        paymentSettings,
        'save_default_payment_method',
        ['off', 'on_subscription'] as const,
        'payment_settings[save_default_payment_method]',
      )
    : undefined;
  const cancelAtPeriodEnd = bool(p, 'cancel_at_period_end') ?? false;
  const cancelAt = int(p, 'cancel_at');

  const id = newId('sub');
  const sub: Subscription = {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: anchor,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: cancelAt ?? (cancelAtPeriodEnd ? periodEnd : null),
    cancel_at_period_end: cancelAtPeriodEnd,
    canceled_at: cancelAtPeriodEnd || cancelAt !== undefined ? now : null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: collection,
    created: now,
    currency: prices[0]!.currency,
    customer: customer.id,
    customer_account: null,
    days_until_due: daysUntilDue ?? null,
    default_payment_method: defaultPm ?? null,
    default_source: defaultSource || null,
    default_tax_rates: readTaxRates(ctx, p, 'default_tax_rates') ?? [],
    description: str(p, 'description') ?? null,
    discounts: [],
    ended_at: null,
    invoice_settings: {
      account_tax_ids: null,
      custom_fields: null,
      description: null,
      footer: null,
      issuer: { type: 'self' },
    },
    items: { object: 'list', data: [], has_more: false, url: `/v1/subscription_items?subscription=${id}` },
    latest_invoice: null,
    livemode: false,
    managed_payments: null,
    metadata: applyMetadata({}, p),
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: {
      payment_method_options: null,
      payment_method_types: null,
      save_default_payment_method: save ?? 'off',
    },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: opts.schedule ?? null,
    start_date: now,
    status:
      trialEnd !== null
        ? 'trialing'
        : collection === 'send_invoice' || opts.background
          ? 'active'
          : 'incomplete',
    test_clock: testClockOf(ctx, customer.id),
    transfer_data: null,
    trial_end: trialEnd,
    trial_settings: {
      end_behavior: { billing_cycle_anchor: null, missing_payment_method: missingPm ?? 'create_invoice' },
    },
    trial_start: trialEnd !== null ? now : null,
  };
  entries.forEach((e, i) => {
    const qty = readQuantity(e, `items[${i}]`) ?? 1;
    const item = newItem(ctx, sub, prices[i]!, qty, e, { start: now, end: periodEnd });
    item.tax_rates = readTaxRates(ctx, e, 'tax_rates', `items[${i}][tax_rates]`) ?? [];
    sub.items.data.push(item);
  });
  sub.discounts = readDiscounts(ctx, p, {
    customer: customer.id,
    subscription: id,
    amount: { value: itemsAmount(ctx.store, sub), currency: sub.currency },
  });
  ctx.store.c('subscription').insert(sub);
  const state = subState(ctx, sub);
  if (sub.status === 'incomplete') {
    state.incomplete_expires_at = now + billingSettings(ctx.app).incompleteExpiryHours * 3600;
  }
  ctx.emit('customer.subscription.created', sub);
  addInvoiceItems(ctx, p, sub);

  const inv = createDraftInvoice(ctx, {
    customer: customer.id,
    currency: sub.currency,
    billingReason: 'subscription_create',
    collectionMethod: collection,
    daysUntilDue,
    autoAdvance: true,
    includePending: true,
    subscription: sub.id,
    subscriptionMetadata: sub.metadata,
    subscriptionLines: cycleLines(ctx, sub, { start: now, end: periodEnd }, trialEnd !== null),
    discounts: subscriptionInvoiceDiscounts(ctx, sub, now),
    periodStart: now,
    periodEnd: now,
    defaultPaymentMethod: null,
  });
  sub.latest_invoice = inv.id;
  spendOnceSubscriptionDiscounts(ctx, sub, inv);
  if (opts.background && trialEnd === null) {
    trialWillEndIfClose(ctx, sub);
    touchBilling(ctx.app);
    return sub;
  }
  finalizeInvoice(ctx, inv);
  if (inv.status === 'open' && collection === 'charge_automatically' && behavior !== 'default_incomplete') {
    const pm = defaultPm ?? null;
    const outcome = attemptPayment(ctx, inv, {
      paymentMethod: pm ?? undefined,
      offSession: bool(p, 'off_session') ?? false,
      automatic: false,
      throwOnDecline: false,
    });
    if (behavior === 'error_if_incomplete' && outcome.status !== 'succeeded') {
      const e = outcome.error ?? { code: 'card_declined', message: 'Your card was declined.' };
      throw new StripeError({
        status: outcome.status === 'requires_payment_method' && outcome.paymentMethod === null ? 400 : 402,
        type: outcome.paymentMethod === null ? 'invalid_request_error' : 'card_error',
        code: e.code,
        declineCode: e.declineCode,
        message: e.message,
      });
    }
  }
  trialWillEndIfClose(ctx, sub);
  touchBilling(ctx.app);
  return sub;
}

function requireSub(ctx: Ctx): Subscription {
  return ctx.store.c('subscription').require(ctx.args.id!);
}

/** Applies `items[n]` of an update; returns the changes for proration. */
function applyItems(ctx: Ctx, sub: Subscription, list: Params[], now: number): ItemChange[] {
  const changes: ItemChange[] = [];
  const period = periodOf(sub);
  list.forEach((e, i) => {
    const name = `items[${i}]`;
    const itemId = str(e, 'id', `${name}[id]`);
    if (itemId) {
      const idx = sub.items.data.findIndex((x) => x.id === itemId);
      if (idx === -1) throw resourceMissing('subscription_item', itemId, `${name}[id]`);
      const item = sub.items.data[idx]!;
      const oldPrice = item.price;
      const oldQty = item.quantity ?? 1;
      if (bool(e, 'deleted', `${name}[deleted]`)) {
        sub.items.data.splice(idx, 1);
        ctx.store.c('_subscription_item').delete(item.id);
        changes.push({ itemId: item.id, oldPrice, oldQty, newPrice: null, newQty: 0 });
        return;
      }
      if (e.price !== undefined || e.price_data !== undefined || e.plan !== undefined) {
        item.price = readItemPrice(ctx, e, name);
        item.plan = planOfPrice(item.price);
      }
      const q = readQuantity(e, name);
      if (q !== undefined) item.quantity = q;
      item.tax_rates = readTaxRates(ctx, e, 'tax_rates', `${name}[tax_rates]`) ?? item.tax_rates;
      item.metadata = applyMetadata(item.metadata, e);
      changes.push({ itemId: item.id, oldPrice, oldQty, newPrice: item.price, newQty: item.quantity ?? 1 });
    } else {
      const price = readItemPrice(ctx, e, name);
      const qty = readQuantity(e, name) ?? 1;
      const item = newItem(ctx, sub, price, qty, e, period);
      item.tax_rates = readTaxRates(ctx, e, 'tax_rates', `${name}[tax_rates]`) ?? [];
      sub.items.data.push(item);
      changes.push({ itemId: item.id, oldPrice: null, oldQty: 0, newPrice: price, newQty: qty });
    }
  });
  void now;
  if (sub.items.data.length === 0)
    throw invalidRequest('A subscription must keep at least one item.', 'items');
  sameInterval(
    sub.items.data.map((x) => x.price),
    'items',
  );
  return changes;
}

import { planOf as planOfPrice } from './billing/subscription-model.js';
import { requireCustomerSource } from './tokens.js';

/** Invoices the subscription's pending items now (proration `always_invoice`, interval changes, trial_end=now). */
export function invoiceNow(
  ctx: Ctx,
  sub: Subscription,
  lines: ReturnType<typeof cycleLines>,
  period: { start: number; end: number },
): Invoice {
  const inv = createDraftInvoice(ctx, {
    customer: sub.customer as string,
    currency: sub.currency,
    billingReason: 'subscription_update',
    collectionMethod: sub.collection_method === 'send_invoice' ? 'send_invoice' : 'charge_automatically',
    daysUntilDue: sub.days_until_due,
    autoAdvance: true,
    includePending: true,
    subscription: sub.id,
    subscriptionMetadata: sub.metadata,
    subscriptionLines: lines,
    discounts: subscriptionInvoiceDiscounts(ctx, sub, period.start),
    periodStart: period.start,
    periodEnd: period.end,
  });
  sub.latest_invoice = inv.id;
  spendOnceSubscriptionDiscounts(ctx, sub, inv);
  finalizeInvoice(ctx, inv);
  if (inv.status === 'open' && inv.collection_method === 'charge_automatically') {
    attemptPayment(ctx, inv, { offSession: true, automatic: true, throwOnDecline: false });
  }
  return inv;
}

function update(base: Ctx): Subscription {
  const sub = requireSub(base);
  const ctx = ctxFor(base, sub.customer as string);
  const p = base.params;
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
    throw stateError(
      `A canceled subscription can only update its cancellation_details and metadata.`,
      'resource_state_unexpected',
    );
  }
  const before = structuredClone(sub);
  const now = ctx.now();
  const proration: Proration = oneOf(p, 'proration_behavior', PRORATION) ?? 'create_prorations';
  const prorationDate = int(p, 'proration_date') ?? now;
  const oldInterval = intervalOf(sub);
  const period = periodOf(sub);
  let changes: ItemChange[] = [];
  const items = arr(p, 'items');
  if (items !== undefined) {
    const entries = items.map((e, i) => {
      if (typeof e === 'string' || Array.isArray(e))
        throw invalidRequest(`Invalid items[${i}]: must be a hash.`, `items[${i}]`);
      return e;
    });
    changes = applyItems(ctx, sub, entries, now);
  }
  const newInterval = intervalOf(sub);
  const intervalChanged =
    newInterval.interval !== oldInterval.interval || newInterval.count !== oldInterval.count;

  const pm = emptyableStr(p, 'default_payment_method');
  if (pm) checkPaymentMethod(ctx, pm, sub.customer as string, 'default_payment_method');
  if (pm !== undefined) sub.default_payment_method = pm;
  const source = emptyableStr(p, 'default_source');
  if (source) requireCustomerSource(ctx, sub.customer as string, source);
  if (source !== undefined) sub.default_source = source;
  const description = emptyableStr(p, 'description');
  if (description !== undefined) sub.description = description;
  const cape = bool(p, 'cancel_at_period_end');
  if (cape !== undefined) {
    sub.cancel_at_period_end = cape;
    sub.cancel_at = cape ? periodOf(sub).end : null;
    sub.canceled_at = cape ? now : null;
  }
  if (p.cancel_at !== undefined) {
    const at = emptyableStr(p, 'cancel_at') === null ? null : int(p, 'cancel_at')!;
    sub.cancel_at = at;
    sub.canceled_at = at === null ? null : now;
    if (at === null) sub.cancel_at_period_end = false;
  }
  const details = obj(p, 'cancellation_details');
  if (details && sub.cancellation_details) {
    const comment = emptyableStr(details, 'comment', 'cancellation_details[comment]');
    if (comment !== undefined) sub.cancellation_details.comment = comment;
    const feedback = str(details, 'feedback', 'cancellation_details[feedback]');
    if (feedback !== undefined) sub.cancellation_details.feedback = feedback || null;
  }
  if (p.pause_collection !== undefined) {
    if (p.pause_collection === '') sub.pause_collection = null;
    else {
      const pc = obj(p, 'pause_collection')!;
      const behavior = oneOf(
        pc,
        'behavior',
        ['keep_as_draft', 'mark_uncollectible', 'void'] as const,
        'pause_collection[behavior]',
      );
      if (behavior === undefined) throw missingParam('pause_collection[behavior]');
      sub.pause_collection = {
        behavior,
        resumes_at: int(pc, 'resumes_at', 'pause_collection[resumes_at]') ?? null,
      };
    }
  }
  const collection = oneOf(p, 'collection_method', ['charge_automatically', 'send_invoice'] as const);
  if (collection !== undefined) sub.collection_method = collection;
  const days = int(p, 'days_until_due');
  if (days !== undefined) sub.days_until_due = days;
  const ps = obj(p, 'payment_settings');
  const save = ps
    ? oneOf(
        ps,
        'save_default_payment_method',
        ['off', 'on_subscription'] as const,
        'payment_settings[save_default_payment_method]',
      )
    : undefined;
  if (save !== undefined && sub.payment_settings) sub.payment_settings.save_default_payment_method = save;
  if (p.discounts !== undefined || p.coupon !== undefined) {
    const previous = sub.discounts;
    sub.discounts = readDiscounts(ctx, p, {
      customer: sub.customer as string,
      subscription: sub.id,
      amount: { value: itemsAmount(ctx.store, sub), currency: sub.currency },
      update: true,
    });
    endReplacedDiscounts(ctx, previous, sub.discounts as string[]);
  }
  sub.default_tax_rates = readTaxRates(ctx, p, 'default_tax_rates') ?? sub.default_tax_rates;
  sub.metadata = applyMetadata(sub.metadata, p);

  // Ending a trial now, or moving to another interval, restarts the cycle and invoices at once.
  const trialEndRaw = str(p, 'trial_end');
  let restart = intervalChanged;
  const endsTrialNow = trialEndRaw === 'now' && sub.status === 'trialing';
  // Without a payment method the trial's end behavior applies, as when it ends on its own.
  const missing = endsTrialNow ? missingPaymentMethodBehavior(ctx, sub) : null;
  if (endsTrialNow) {
    sub.trial_end = now;
    if (!subState(ctx, sub).trial_will_end_sent) trialWillEnd(ctx, sub);
  }
  if (missing === 'cancel') {
    cancelSubscription(ctx, sub, { reason: 'cancellation_requested' });
    touchBilling(ctx.app);
    return sub;
  }
  if (missing === 'pause') {
    sub.status = 'paused';
    emitSubscriptionUpdated(ctx, sub, before);
    ctx.emit('customer.subscription.paused', sub);
    touchBilling(ctx.app);
    return sub;
  }
  if (endsTrialNow) {
    sub.status = 'active';
    restart = true;
  } else if (trialEndRaw !== undefined && trialEndRaw !== 'now') {
    const t = int(p, 'trial_end')!;
    if (t <= now) throw invalidRequest('trial_end must be in the future (or `now`).', 'trial_end');
    sub.trial_end = t;
    sub.status = 'trialing';
    sub.trial_start = sub.trial_start ?? now;
    sub.billing_cycle_anchor = t;
    setPeriod(sub, period.start, t);
  }
  const inTrial = sub.status === 'trialing';
  const prorationInits =
    proration === 'none' || inTrial
      ? []
      : prorationItems(
          ctx,
          sub,
          restart ? changes.map((c) => ({ ...c, newPrice: null, newQty: 0 })) : changes,
          period,
          prorationDate,
        );
  for (const init of prorationInits) createInvoiceItem(ctx, init);

  let newPeriod: { start: number; end: number } | undefined;
  if (restart) {
    sub.billing_cycle_anchor = now;
    const end = periodEndFrom(sub, now);
    setPeriod(sub, now, end);
    newPeriod = { start: now, end };
  }
  emitSubscriptionUpdated(ctx, sub, before);
  // A new trial shorter than trial_will_end's notice gets it at once.
  trialWillEndIfClose(ctx, sub);
  if (restart && newPeriod) invoiceNow(ctx, sub, cycleLines(ctx, sub, newPeriod, false), newPeriod);
  else if (proration === 'always_invoice' && prorationInits.length > 0)
    invoiceNow(ctx, sub, [], periodOf(sub));
  touchBilling(ctx.app);
  return sub;
}

function cancel(base: Ctx): Subscription {
  const sub = requireSub(base);
  const ctx = ctxFor(base, sub.customer as string);
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
    throw invalidRequest(`No such subscription: '${sub.id}'`, 'id', 'resource_missing');
  }
  const p = base.params;
  const prorate = bool(p, 'prorate') ?? false;
  const invoiceNowFlag = bool(p, 'invoice_now') ?? false;
  const details = obj(p, 'cancellation_details');
  const now = ctx.now();
  if (prorate && sub.status !== 'trialing') {
    const period = periodOf(sub);
    const credits = prorationItems(
      ctx,
      sub,
      sub.items.data.map((i) => ({
        itemId: i.id,
        oldPrice: i.price,
        oldQty: i.quantity ?? 1,
        newPrice: null,
        newQty: 0,
      })),
      period,
      now,
    );
    for (const init of credits) createInvoiceItem(ctx, init);
  }
  cancelSubscription(ctx, sub, {
    reason: 'cancellation_requested',
    comment: details ? emptyableStr(details, 'comment', 'cancellation_details[comment]') : undefined,
    feedback: details
      ? (str(details, 'feedback', 'cancellation_details[feedback]') as
          | Stripe.Subscription.CancellationDetails.Feedback
          | undefined)
      : undefined,
  });
  const pending = [...ctx.store.c('invoiceitem').values()].some(
    (ii) => ii.invoice === null && ii.parent?.subscription_details?.subscription === sub.id,
  );
  if (invoiceNowFlag && pending) {
    const inv = createDraftInvoice(ctx, {
      customer: sub.customer as string,
      currency: sub.currency,
      billingReason: 'subscription_update',
      collectionMethod: sub.collection_method === 'send_invoice' ? 'send_invoice' : 'charge_automatically',
      daysUntilDue: sub.days_until_due,
      autoAdvance: true,
      includePending: true,
      subscription: sub.id,
      subscriptionMetadata: sub.metadata,
      periodStart: now,
      periodEnd: now,
    });
    sub.latest_invoice = inv.id;
    finalizeInvoice(ctx, inv);
    if (inv.status === 'open' && inv.collection_method === 'charge_automatically') {
      attemptPayment(ctx, inv, { offSession: true, automatic: false, throwOnDecline: false });
    }
  }
  touchBilling(ctx.app);
  return sub;
}

function resume(base: Ctx): Subscription {
  const sub = requireSub(base);
  const ctx = ctxFor(base, sub.customer as string);
  if (sub.status !== 'paused') {
    throw stateError('Only a paused subscription can be resumed.', 'resource_state_unexpected');
  }
  const before = structuredClone(sub);
  const now = ctx.now();
  sub.status = 'active';
  sub.billing_cycle_anchor = now;
  const end = periodEndFrom(sub, now);
  setPeriod(sub, now, end);
  emitSubscriptionUpdated(ctx, sub, before);
  ctx.emit('customer.subscription.resumed', sub);
  const behavior = oneOf(base.params, 'proration_behavior', PRORATION) ?? 'create_prorations';
  if (behavior !== 'none')
    invoiceNow(ctx, sub, cycleLines(ctx, sub, { start: now, end }, false), { start: now, end });
  touchBilling(ctx.app);
  return sub;
}

function list(ctx: Ctx) {
  const p = ctx.params;
  const customer = str(p, 'customer');
  const price = str(p, 'price');
  const status = str(p, 'status');
  const clock = str(p, 'test_clock');
  const collection = str(p, 'collection_method');
  const created = rangeFilter(p, 'created');
  const periodEnd = rangeFilter(p, 'current_period_end');
  const periodStart = rangeFilter(p, 'current_period_start');
  const statuses = [
    'active',
    'all',
    'canceled',
    'ended',
    'incomplete',
    'incomplete_expired',
    'past_due',
    'paused',
    'trialing',
    'unpaid',
  ];
  if (status !== undefined && !statuses.includes(status)) {
    throw invalidRequest(`Invalid status: must be one of ${statuses.join(', ')}`, 'status');
  }
  return paginate(
    ctx.store.c('subscription'),
    p,
    '/v1/subscriptions',
    allOf<Subscription>(
      status === undefined && ((s) => s.status !== 'canceled' && s.status !== 'incomplete_expired'),
      status !== undefined &&
        status !== 'all' &&
        ((s) =>
          status === 'ended'
            ? s.status === 'canceled' || s.status === 'incomplete_expired'
            : s.status === status),
      customer !== undefined && ((s) => s.customer === customer),
      price !== undefined && ((s) => s.items.data.some((i) => i.price.id === price)),
      clock !== undefined && ((s) => s.test_clock === clock),
      collection !== undefined && ((s) => s.collection_method === collection),
      created && ((s) => created(s.created)),
      periodEnd && ((s) => periodEnd(periodOf(s).end)),
      periodStart && ((s) => periodStart(periodOf(s).start)),
    ),
  );
}

export const subscriptions = defineResource('subscriptions', (api) => {
  api.label('subscription', 'subscription');
  api.app.interceptors.unshift((method) => {
    beforeRequest(api.app, method);
    return undefined;
  });
  api.post('/v1/subscriptions', (ctx) => createSubscriptionInternal(ctx, ctx.params));
  api.get('/v1/subscriptions', list);
  api.get('/v1/subscriptions/:id', (ctx) => requireSub(ctx));
  api.post('/v1/subscriptions/:id', update);
  api.del('/v1/subscriptions/:id', cancel);
  api.del('/v1/subscriptions/:id/discount', deleteDiscount);
  api.includable('subscription', 'discounts', (sub) =>
    (sub as Subscription).discounts.map((d) =>
      typeof d === 'string' ? (api.store.c('discount').get(d) ?? d) : d,
    ),
  );
  api.post('/v1/subscriptions/:id/resume', resume);
  api.expandable('subscription', 'customer', (id) => api.store.c('customer').get(id));
  api.expandable('subscription', 'latest_invoice', (id) => api.store.c('invoice').get(id));
  api.expandable('subscription', 'default_payment_method', (id) => api.store.c('payment_method').get(id));
  api.expandable('subscription', 'test_clock', (id) => api.store.c('test_helpers.test_clock').get(id));
  // `items` is already a list: registering it lets paths walk into it (`items.data.price.product`).
  api.expandable('subscription', 'items', () => undefined);
  api.expandable('subscription_item', 'price', (id) => api.store.c('price').get(id));
  api.expandable('subscription_item', 'plan', () => undefined);
});

/** What the subscription's items cost a period, before discounts. */
function itemsAmount(store: Store, sub: Subscription): number {
  return sub.items.data.reduce((sum, it) => sum + priceAmount(store, it.price, it.quantity ?? 1), 0);
}

/**
 * After an invoice of the subscription: a `once` coupon's discount is spent and leaves the
 * subscription (`customer.discount.deleted`, then `customer.subscription.updated`).
 */
function spendOnceSubscriptionDiscounts(ctx: Ctx, sub: Subscription, inv: Invoice): void {
  const before = structuredClone(sub);
  if (spendOnceDiscounts(ctx, sub, inv)) {
    ctx.emit('customer.subscription.updated', sub, diffPrevious(before, sub));
  }
}

/** `DELETE /v1/subscriptions/:id/discount`: removes its discounts (`customer.discount.deleted`). */
function deleteDiscount(ctx: Ctx) {
  const sub = ctx.store.c('subscription').require(ctx.args.id!, 'subscription', 404);
  const ids = sub.discounts.map((d) => (typeof d === 'string' ? d : d.id));
  const discounts = ids.map((id) => ctx.store.c('discount').get(id)).filter((d) => d !== undefined);
  if (discounts.length === 0) {
    throw resourceMissing('discount', `${sub.id}/discount`, 'id');
  }
  const before = structuredClone(sub);
  sub.discounts = [];
  for (const d of discounts) {
    ctx.store.c('discount').delete(d.id);
    ctx.emit('customer.discount.deleted', d);
  }
  ctx.emit('customer.subscription.updated', sub, diffPrevious(before, sub));
  return { ...discounts[0]!, deleted: true };
}

/** The subscription and item for a subscription item id (items live inside their subscription). */
export function findItem(ctx: Ctx, id: string, param = 'id'): { sub: Subscription; item: SubscriptionItem } {
  const link = ctx.store.c('_subscription_item').get(id);
  const sub = link ? ctx.store.c('subscription').get(link.subscription) : undefined;
  const item = sub?.items.data.find((i) => i.id === id);
  if (!sub || !item) throw resourceMissing('subscription_item', id, param);
  return { sub, item };
}

export { update as updateSubscriptionHandler };
