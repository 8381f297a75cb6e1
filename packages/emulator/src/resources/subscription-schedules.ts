import type Stripe from 'stripe';
import type { App } from '../core/app.js';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam, stateError } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import type { Param, Params } from '../core/form.js';
import { newId } from '../core/ids.js';
import { allOf, paginate, rangeFilter } from '../core/list.js';
import { applyMetadata } from '../core/metadata.js';
import { arr, bool, emptyableStr, int, obj, oneOf, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { ctxFor, testClockOf } from './billing/context.js';
import { boundary, type Interval } from './billing/periods.js';
import { type ItemChange, prorationItems } from './billing/proration.js';
import { addJobSource, touchBilling } from './billing/scheduler.js';
import {
  cancelSubscription,
  emitSubscriptionUpdated,
  onSubscriptionCanceled,
  trialWillEndIfClose,
} from './billing/subscription-hooks.js';
import {
  cycleLines,
  newItem,
  periodEndFrom,
  periodOf,
  planOf,
  readItemPrice,
  readQuantity,
  type Subscription,
  setPeriod,
} from './billing/subscription-model.js';
import { createInvoiceItem } from './invoice-items.js';
import type { Price } from './prices.js';
import { createSubscriptionInternal, invoiceNow } from './subscriptions.js';

/**
 * Subscription schedules: phases of items and settings applied to one subscription over time. A
 * schedule starts (creating its subscription) at its first phase's `start_date`, moves the
 * subscription to each next phase at the previous one's `end_date` (on the customer's test clock or
 * the emulator clock, before that instant's renewal, so a phase that ends with the period bills the
 * next period at the new price), and at the end of the last phase releases the subscription
 * (`end_behavior=release`) or cancels it (`cancel`).
 */
export type SubscriptionSchedule = Wire<Stripe.SubscriptionSchedule>;
type Phase = SubscriptionSchedule['phases'][number];

declare module '../core/store.js' {
  interface CollectionTypes {
    subscription_schedule: SubscriptionSchedule;
    /** The end date whose `subscription_schedule.expiring` was sent. */
    _subscription_schedule_expiring: { id: string; sent_for: number };
  }
}

/** `subscription_schedule.expiring` comes this long before the last phase ends. */
const EXPIRING_NOTICE = 7 * 86_400;

const PRORATION = ['always_invoice', 'create_prorations', 'none'] as const;
const END_BEHAVIOR = ['cancel', 'none', 'release', 'renew'] as const;
const INTERVALS = ['day', 'week', 'month', 'year'] as const;

function hash(p: Param | undefined, name: string): Params {
  if (p === undefined || typeof p === 'string' || Array.isArray(p))
    throw invalidRequest(`Invalid ${name}`, name);
  return p;
}

function subIdOf(s: SubscriptionSchedule): string | null {
  return typeof s.subscription === 'string' ? s.subscription : (s.subscription?.id ?? null);
}

function priceIdOf(p: Phase['items'][number]['price']): string {
  return typeof p === 'string' ? p : p.id;
}

/** Reads `phases[n]` (create and update). `start` is where the first one starts. */
function readPhases(
  ctx: Ctx,
  list: Param[],
  start: number,
  opts: { update: boolean; currency: string | null },
): Phase[] {
  if (list.length === 0) throw missingParam('phases');
  const phases: Phase[] = [];
  let at = start;
  let currency = opts.currency;
  list.forEach((raw, i) => {
    const name = `phases[${i}]`;
    const e = hash(raw, name);
    if (opts.update && i === 0) {
      const raw = str(e, 'start_date', `${name}[start_date]`);
      if (raw !== undefined) at = raw === 'now' ? ctx.now() : int(e, 'start_date', `${name}[start_date]`)!;
    } else if (opts.update && e.start_date !== undefined) {
      const s =
        str(e, 'start_date', `${name}[start_date]`) === 'now'
          ? ctx.now()
          : int(e, 'start_date', `${name}[start_date]`)!;
      if (s !== at) {
        throw invalidRequest(
          `Phase ${i} must start when phase ${i - 1} ends (${at}): phases are contiguous.`,
          `${name}[start_date]`,
        );
      }
    }
    const items = arr(e, 'items', `${name}[items]`);
    if (items === undefined || items.length === 0) throw missingParam(`${name}[items]`);
    const prices: Price[] = [];
    const seen = new Set<string>();
    const phaseItems = items.map((rawItem, j) => {
      const iname = `${name}[items][${j}]`;
      const it = hash(rawItem, iname);
      const price = readItemPrice(ctx, it, iname);
      if (seen.has(price.id)) {
        throw invalidRequest(
          `The price ${price.id} appears twice in ${name}; use quantity instead.`,
          `${name}[items]`,
        );
      }
      seen.add(price.id);
      prices.push(price);
      return {
        billing_thresholds: null,
        discounts: [],
        metadata: applyMetadata({}, it),
        plan: price.id,
        price: price.id,
        quantity: readQuantity(it, iname) ?? 1,
        tax_rates: [],
      };
    });
    const first = prices[0]!;
    for (const p of prices) {
      if (
        p.recurring!.interval !== first.recurring!.interval ||
        p.recurring!.interval_count !== first.recurring!.interval_count
      ) {
        throw invalidRequest(
          'All prices in a phase must have the same recurring interval and interval_count.',
          `${name}[items]`,
        );
      }
      if (p.currency !== first.currency) {
        throw invalidRequest('All prices in a phase must be in the same currency.', `${name}[items]`);
      }
    }
    currency = currency ?? first.currency;
    if (first.currency !== currency) {
      throw invalidRequest(
        `All phases of a schedule must use the same currency (${currency}).`,
        `${name}[items]`,
      );
    }
    const endDate = int(e, 'end_date', `${name}[end_date]`);
    const duration = obj(e, 'duration', `${name}[duration]`);
    // `iterations` (billing intervals of the phase's prices): the pre-`duration` form, which the
    // Stripe CLI's fixtures still send (param-specs.ts accepts it).
    const iterations = int(e, 'iterations', `${name}[iterations]`);
    if ([endDate, duration, iterations].filter((x) => x !== undefined).length > 1) {
      throw invalidRequest(
        `You may only specify one of end_date, duration and iterations in ${name}.`,
        `${name}[end_date]`,
      );
    }
    let end: number;
    if (endDate !== undefined) end = endDate;
    else if (duration !== undefined) {
      const unit = oneOf(duration, 'interval', INTERVALS, `${name}[duration][interval]`);
      if (unit === undefined) throw missingParam(`${name}[duration][interval]`);
      const count = int(duration, 'interval_count', `${name}[duration][interval_count]`) ?? 1;
      if (count < 1)
        throw invalidRequest('interval_count must be at least 1.', `${name}[duration][interval_count]`);
      end = boundary(at, unit, count, 1);
    } else if (iterations !== undefined || i === list.length - 1) {
      // The last phase without an end lasts one billing interval of its prices.
      const n = iterations ?? 1;
      if (n < 1) throw invalidRequest('iterations must be at least 1.', `${name}[iterations]`);
      end = boundary(at, first.recurring!.interval as Interval, first.recurring!.interval_count, n);
    } else {
      throw invalidRequest(
        `Every phase but the last needs an end: set ${name}[end_date] or ${name}[duration].`,
        `${name}[end_date]`,
      );
    }
    if (end <= at) {
      throw invalidRequest(
        `The end_date of ${name} (${end}) must be after its start_date (${at}).`,
        `${name}[end_date]`,
      );
    }
    const trial = bool(e, 'trial', `${name}[trial]`);
    const trialEnd = int(e, 'trial_end', `${name}[trial_end]`);
    if (trial && trialEnd !== undefined) {
      throw invalidRequest(
        `You may only specify one of trial and trial_end in ${name}.`,
        `${name}[trial_end]`,
      );
    }
    if (trialEnd !== undefined && (trialEnd <= at || trialEnd > end)) {
      throw invalidRequest(`The trial_end of ${name} must be within the phase.`, `${name}[trial_end]`);
    }
    const pm = str(e, 'default_payment_method', `${name}[default_payment_method]`);
    if (pm) ctx.store.c('payment_method').require(pm, `${name}[default_payment_method]`);
    const phase: Phase = {
      add_invoice_items: [],
      application_fee_percent: null,
      billing_cycle_anchor: null,
      billing_thresholds: null,
      collection_method:
        oneOf(
          e,
          'collection_method',
          ['charge_automatically', 'send_invoice'] as const,
          `${name}[collection_method]`,
        ) ?? null,
      currency: first.currency,
      default_payment_method: pm ?? null,
      default_tax_rates: [],
      description: emptyableStr(e, 'description', `${name}[description]`) ?? null,
      discounts: [],
      end_date: end,
      invoice_settings: null,
      items: phaseItems,
      metadata: applyMetadata({}, e),
      on_behalf_of: null,
      proration_behavior:
        oneOf(e, 'proration_behavior', PRORATION, `${name}[proration_behavior]`) ?? 'create_prorations',
      start_date: at,
      transfer_data: null,
      trial_end: trial ? end : (trialEnd ?? null),
    };
    if (trial !== undefined) phase.trial = trial;
    phases.push(phase);
    at = end;
  });
  return phases;
}

function phaseAt(s: SubscriptionSchedule, t: number): Phase | undefined {
  return s.phases.find((p) => p.start_date <= t && t < p.end_date);
}

function setCurrent(s: SubscriptionSchedule, t: number): void {
  const p = phaseAt(s, t);
  s.current_phase = s.status === 'active' && p ? { start_date: p.start_date, end_date: p.end_date } : null;
}

function readDefaultSettings(ctx: Ctx, p: Params, s: SubscriptionSchedule): void {
  const ds = obj(p, 'default_settings');
  if (!ds) return;
  const collection = oneOf(
    ds,
    'collection_method',
    ['charge_automatically', 'send_invoice'] as const,
    'default_settings[collection_method]',
  );
  if (collection !== undefined) s.default_settings.collection_method = collection;
  const pm = str(ds, 'default_payment_method', 'default_settings[default_payment_method]');
  if (pm) {
    ctx.store.c('payment_method').require(pm, 'default_settings[default_payment_method]');
    s.default_settings.default_payment_method = pm;
  }
  const description = emptyableStr(ds, 'description', 'default_settings[description]');
  if (description !== undefined) s.default_settings.description = description;
  const inv = obj(ds, 'invoice_settings', 'default_settings[invoice_settings]');
  const days = inv
    ? int(inv, 'days_until_due', 'default_settings[invoice_settings][days_until_due]')
    : undefined;
  if (days !== undefined) s.default_settings.invoice_settings.days_until_due = days;
}

/** The subscription parameters a phase stands for (the schedule's defaults filled in). */
function phaseParams(s: SubscriptionSchedule, phase: Phase): Params {
  const p: Params = {
    customer: s.customer as string,
    items: phase.items.map((it) => ({ price: priceIdOf(it.price), quantity: String(it.quantity ?? 1) })),
  };
  const collection = phase.collection_method ?? s.default_settings.collection_method;
  if (collection) p.collection_method = String(collection);
  if (collection === 'send_invoice')
    p.days_until_due = String(s.default_settings.invoice_settings.days_until_due ?? 30);
  const pm = phase.default_payment_method ?? s.default_settings.default_payment_method;
  if (typeof pm === 'string') p.default_payment_method = pm;
  const description = phase.description ?? s.default_settings.description;
  if (description) p.description = description;
  if (phase.trial_end !== null) p.trial_end = String(phase.trial_end);
  if (phase.metadata && Object.keys(phase.metadata).length > 0) p.metadata = { ...phase.metadata };
  return p;
}

/** Starts a schedule whose first phase begins now: creates its subscription. */
function startSchedule(ctx: Ctx, s: SubscriptionSchedule): void {
  const phase = s.phases[0]!;
  const sub = createSubscriptionInternal(ctx, phaseParams(s, phase), { schedule: s.id, background: true });
  s.subscription = sub.id;
  s.status = 'active';
  setCurrent(s, ctx.now());
}

/**
 * Moves the subscription onto `phase` at `at`: items (prorated per the phase's proration_behavior
 * when the change falls inside a billing period), trial, settings and metadata.
 */
function applyPhase(
  ctx: Ctx,
  s: SubscriptionSchedule,
  sub: Subscription,
  phase: Phase,
  proration: Phase['proration_behavior'],
): void {
  const now = ctx.now();
  const before = structuredClone(sub);
  const period = periodOf(sub);
  const oldInterval = sub.items.data[0]?.price.recurring;
  const changes: ItemChange[] = [];
  const wanted = new Map(phase.items.map((it) => [priceIdOf(it.price), it]));
  for (const item of [...sub.items.data]) {
    const next = wanted.get(item.price.id);
    if (next === undefined) {
      sub.items.data.splice(sub.items.data.indexOf(item), 1);
      ctx.store.c('_subscription_item').delete(item.id);
      changes.push({
        itemId: item.id,
        oldPrice: item.price,
        oldQty: item.quantity ?? 1,
        newPrice: null,
        newQty: 0,
      });
    } else {
      const q = next.quantity ?? 1;
      if (q !== item.quantity) {
        changes.push({
          itemId: item.id,
          oldPrice: item.price,
          oldQty: item.quantity ?? 1,
          newPrice: item.price,
          newQty: q,
        });
        item.quantity = q;
      }
      wanted.delete(item.price.id);
    }
  }
  for (const [priceId, it] of wanted) {
    const price = ctx.store.c('price').require(priceId);
    const item = newItem(ctx, sub, price, it.quantity ?? 1, undefined, period);
    item.metadata = { ...(it.metadata ?? {}) };
    sub.items.data.push(item);
    changes.push({ itemId: item.id, oldPrice: null, oldQty: 0, newPrice: price, newQty: it.quantity ?? 1 });
  }
  for (const item of sub.items.data) item.plan = planOf(item.price);
  const pm = phase.default_payment_method ?? s.default_settings.default_payment_method;
  if (typeof pm === 'string') sub.default_payment_method = pm;
  const collection = phase.collection_method ?? s.default_settings.collection_method;
  if (collection) sub.collection_method = collection;
  if (phase.metadata && Object.keys(phase.metadata).length > 0)
    sub.metadata = { ...sub.metadata, ...phase.metadata };

  const newInterval = sub.items.data[0]?.price.recurring;
  const intervalChanged =
    newInterval?.interval !== oldInterval?.interval ||
    newInterval?.interval_count !== oldInterval?.interval_count;
  let restart = intervalChanged;
  if (phase.trial_end !== null && phase.trial_end > now) {
    sub.status = 'trialing';
    sub.trial_start = now;
    sub.trial_end = phase.trial_end;
    sub.billing_cycle_anchor = phase.trial_end;
    setPeriod(sub, now, phase.trial_end);
    restart = false;
  } else if (sub.status === 'trialing') {
    // The previous phase's trial ends with it.
    sub.trial_end = now;
    sub.status = 'active';
    restart = true;
  }
  const inPeriod = now > period.start && now < period.end;
  const prorate =
    proration !== 'none' && inPeriod && before.status !== 'trialing' && sub.status !== 'trialing';
  const inits = prorate
    ? prorationItems(
        ctx,
        sub,
        restart ? changes.map((c) => ({ ...c, newPrice: null, newQty: 0 })) : changes,
        period,
        now,
      )
    : [];
  for (const init of inits) createInvoiceItem(ctx, init);
  let fresh: { start: number; end: number } | undefined;
  if (restart) {
    sub.billing_cycle_anchor = now;
    fresh = { start: now, end: periodEndFrom(sub, now) };
    setPeriod(sub, fresh.start, fresh.end);
  }
  emitSubscriptionUpdated(ctx, sub, before);
  trialWillEndIfClose(ctx, sub);
  if (fresh) invoiceNow(ctx, sub, cycleLines(ctx, sub, fresh, false), fresh);
  else if (proration === 'always_invoice' && inits.length > 0) invoiceNow(ctx, sub, [], periodOf(sub));
}

function scheduleUpdated(ctx: Ctx, s: SubscriptionSchedule, before: SubscriptionSchedule): void {
  const prev = diffPrevious(before, s);
  if (Object.keys(prev).length > 0) ctx.emit('subscription_schedule.updated', s, prev);
}

/** The subscription leaves the schedule (`release` at the end, or the release endpoint). */
function releaseSchedule(ctx: Ctx, s: SubscriptionSchedule): void {
  const subId = subIdOf(s);
  s.status = 'released';
  s.released_at = ctx.now();
  s.released_subscription = subId;
  s.subscription = null;
  s.current_phase = null;
  const sub = subId ? ctx.store.c('subscription').get(subId) : undefined;
  if (sub && sub.schedule !== null) {
    const before = structuredClone(sub);
    sub.schedule = null;
    emitSubscriptionUpdated(ctx, sub, before);
  }
  ctx.emit('subscription_schedule.released', s);
}

/** A phase ended at `ctx.now()`: the next one starts, or the schedule ends per `end_behavior`. */
function advancePhase(ctx: Ctx, s: SubscriptionSchedule): void {
  const now = ctx.now();
  const sub = ctx.store.c('subscription').get(subIdOf(s) ?? '');
  const next = phaseAt(s, now);
  const before = structuredClone(s);
  if (sub === undefined || sub.status === 'canceled' || sub.status === 'incomplete_expired') {
    s.status = 'canceled';
    s.canceled_at = now;
    s.current_phase = null;
    ctx.emit('subscription_schedule.canceled', s);
    return;
  }
  if (next !== undefined) {
    applyPhase(ctx, s, sub, next, next.proration_behavior);
    setCurrent(s, now);
    scheduleUpdated(ctx, s, before);
    return;
  }
  // The last phase is over: the schedule completes. `cancel` ends the subscription; otherwise the
  // subscription leaves the schedule and goes on as it is.
  s.status = 'completed';
  s.completed_at = now;
  s.current_phase = null;
  if (s.end_behavior === 'cancel') {
    cancelSubscription(ctx, sub, { reason: 'cancellation_requested' });
  } else {
    const subBefore = structuredClone(sub);
    sub.schedule = null;
    emitSubscriptionUpdated(ctx, sub, subBefore);
  }
  ctx.emit('subscription_schedule.completed', s);
}

function scheduleJobs(
  app: App,
  domain: string | null,
  out: { at: number; rank: number; run(ctx: Ctx): void }[],
) {
  for (const s of app.store.c('subscription_schedule').values()) {
    if (s.test_clock !== domain) continue;
    if (s.status === 'not_started') {
      out.push({ at: s.phases[0]!.start_date, rank: 2, run: (c) => guarded(c, s, begin) });
    } else if (s.status === 'active' && s.current_phase) {
      out.push({ at: s.current_phase.end_date, rank: 2, run: (c) => guarded(c, s, advancePhase) });
      const end = s.phases[s.phases.length - 1]!.end_date;
      const notice = end - EXPIRING_NOTICE;
      const sent = app.store.c('_subscription_schedule_expiring').get(s.id)?.sent_for;
      if (sent !== end && notice > s.phases[0]!.start_date) {
        out.push({ at: notice, rank: 2, run: (c) => expiring(c, s, end) });
      }
    }
  }
}

function expiring(ctx: Ctx, s: SubscriptionSchedule, end: number): void {
  const col = ctx.store.c('_subscription_schedule_expiring');
  const row = col.get(s.id);
  if (row) row.sent_for = end;
  else col.insert({ id: s.id, sent_for: end });
  ctx.emit('subscription_schedule.expiring', s);
}

/**
 * Runs a phase change; one that cannot be carried out (its customer deleted meanwhile) ends the
 * schedule instead of failing every later run of the clock.
 */
function guarded(ctx: Ctx, s: SubscriptionSchedule, step: (ctx: Ctx, s: SubscriptionSchedule) => void): void {
  try {
    step(ctx, s);
  } catch (err) {
    s.status = 'canceled';
    s.canceled_at = ctx.now();
    s.current_phase = null;
    ctx.emit('subscription_schedule.aborted', s);
    console.error(`[emulator] subscription schedule ${s.id} could not move on; aborted:`, err);
  }
}

function begin(ctx: Ctx, s: SubscriptionSchedule): void {
  const before = structuredClone(s);
  startSchedule(ctx, s);
  scheduleUpdated(ctx, s, before);
}

function baseSchedule(ctx: Ctx, customer: string, now: number): SubscriptionSchedule {
  return {
    id: newId('sub_sched'),
    object: 'subscription_schedule',
    application: null,
    billing_mode: { flexible: null, type: 'classic' },
    canceled_at: null,
    completed_at: null,
    created: now,
    current_phase: null,
    customer,
    customer_account: null,
    default_settings: {
      application_fee_percent: null,
      automatic_tax: { disabled_reason: null, enabled: false, liability: null },
      billing_cycle_anchor: 'automatic',
      billing_thresholds: null,
      collection_method: 'charge_automatically',
      default_payment_method: null,
      description: null,
      invoice_settings: {
        account_tax_ids: null,
        custom_fields: null,
        days_until_due: null,
        description: null,
        footer: null,
        issuer: { type: 'self' },
      },
      on_behalf_of: null,
      transfer_data: null,
    },
    end_behavior: 'release',
    livemode: false,
    metadata: {},
    pause_schedules: [],
    phases: [],
    released_at: null,
    released_subscription: null,
    status: 'not_started',
    subscription: null,
    test_clock: testClockOf(ctx, customer),
  };
}

function create(base: Ctx): SubscriptionSchedule {
  const p = base.params;
  const from = str(p, 'from_subscription');
  if (from !== undefined) {
    for (const other of ['customer', 'phases', 'start_date', 'end_behavior', 'default_settings'] as const) {
      if (p[other] !== undefined) {
        throw invalidRequest(`You cannot set \`${other}\` if \`from_subscription\` is set.`, other);
      }
    }
    const sub = base.store.c('subscription').require(from, 'from_subscription');
    const ctx = ctxFor(base, sub.customer as string);
    if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
      throw invalidRequest(
        `You cannot migrate a subscription that is ${sub.status === 'canceled' ? 'canceled' : 'incomplete_expired'}.`,
        'from_subscription',
      );
    }
    if (sub.schedule !== null) {
      throw invalidRequest(
        `You cannot migrate a subscription that is already attached to a schedule: \`${sub.schedule}\`.`,
        'from_subscription',
      );
    }
    const now = ctx.now();
    const period = periodOf(sub);
    const s = baseSchedule(ctx, sub.customer as string, now);
    s.metadata = applyMetadata({}, p);
    s.status = 'active';
    s.subscription = sub.id;
    s.default_settings.collection_method = sub.collection_method;
    s.default_settings.default_payment_method = sub.default_payment_method as string | null;
    s.default_settings.description = sub.description;
    s.phases = [
      {
        add_invoice_items: [],
        application_fee_percent: null,
        billing_cycle_anchor: null,
        billing_thresholds: null,
        collection_method: null,
        currency: sub.currency,
        default_payment_method: null,
        default_tax_rates: [],
        description: null,
        discounts: [],
        end_date: period.end,
        invoice_settings: null,
        items: sub.items.data.map((i) => ({
          billing_thresholds: null,
          discounts: [],
          metadata: {},
          plan: i.price.id,
          price: i.price.id,
          quantity: i.quantity ?? 1,
          tax_rates: [],
        })),
        metadata: {},
        on_behalf_of: null,
        proration_behavior: 'create_prorations',
        start_date: period.start,
        transfer_data: null,
        trial_end: sub.status === 'trialing' ? sub.trial_end : null,
      },
    ];
    setCurrent(s, now);
    ctx.store.c('subscription_schedule').insert(s);
    ctx.emit('subscription_schedule.created', s);
    const before = structuredClone(sub);
    sub.schedule = s.id;
    ctx.emit('customer.subscription.updated', sub, diffPrevious(before, sub));
    touchBilling(ctx.app);
    return s;
  }
  const customerId = str(p, 'customer');
  if (!customerId) throw missingParam('customer');
  const customer = base.store.c('customer').require(customerId, 'customer');
  const ctx = ctxFor(base, customer.id);
  const now = ctx.now();
  const startRaw = str(p, 'start_date');
  let start = now;
  if (startRaw !== undefined && startRaw !== 'now') {
    start = int(p, 'start_date')!;
    if (start < now) {
      throw invalidRequest(
        'The emulator does not backdate schedules: start_date must be `now` or in the future.',
        'start_date',
      );
    }
  }
  const list = arr(p, 'phases');
  if (list === undefined) throw missingParam('phases');
  const s = baseSchedule(ctx, customer.id, now);
  readDefaultSettings(ctx, p, s);
  s.phases = readPhases(ctx, list, start, { update: false, currency: null });
  s.end_behavior = oneOf(p, 'end_behavior', END_BEHAVIOR) ?? 'release';
  s.metadata = applyMetadata({}, p);
  ctx.store.c('subscription_schedule').insert(s);
  if (start <= now) startSchedule(ctx, s);
  ctx.emit('subscription_schedule.created', s);
  touchBilling(ctx.app);
  return s;
}

function requireSchedule(ctx: Ctx): SubscriptionSchedule {
  return ctx.store.c('subscription_schedule').require(ctx.args.id!);
}

function requireOpen(s: SubscriptionSchedule, action: string): void {
  if (s.status !== 'not_started' && s.status !== 'active') {
    throw stateError(
      `You cannot ${action} a subscription schedule that is currently in the \`${s.status}\` status. It must be in \`not_started\` or \`active\` to be ${action === 'update' ? 'updated' : action === 'release' ? 'released' : 'canceled'}.`,
    );
  }
}

function update(base: Ctx): SubscriptionSchedule {
  const s = requireSchedule(base);
  const ctx = ctxFor(base, s.customer as string);
  requireOpen(s, 'update');
  const p = base.params;
  const now = ctx.now();
  const before = structuredClone(s);
  const proration = oneOf(p, 'proration_behavior', PRORATION);
  const endBehavior = oneOf(p, 'end_behavior', END_BEHAVIOR);
  const list = arr(p, 'phases');
  let currentChanged = false;
  let newPhases: Phase[] | undefined;
  if (list !== undefined) {
    const current = s.status === 'active' ? phaseAt(s, now) : undefined;
    const past = s.phases.filter((ph) => ph.end_date <= now);
    const firstStart = current?.start_date ?? s.phases[0]!.start_date;
    if (list.length > 0) {
      const e0 = hash(list[0], 'phases[0]');
      const given = e0.start_date === undefined ? undefined : str(e0, 'start_date', 'phases[0][start_date]');
      if (current && given !== undefined) {
        const t = given === 'now' ? now : int(e0, 'start_date', 'phases[0][start_date]')!;
        if (t !== current.start_date) {
          throw invalidRequest(
            'You can not modify the start date of the current phase.',
            'phases[0][start_date]',
          );
        }
      } else if (!current && given !== undefined) {
        const t = given === 'now' ? now : int(e0, 'start_date', 'phases[0][start_date]')!;
        if (t < now) {
          throw invalidRequest(
            'The emulator does not backdate schedules: start_date must be `now` or in the future.',
            'phases[0][start_date]',
          );
        }
      }
    }
    const phases = readPhases(ctx, list, firstStart, {
      update: true,
      currency: s.phases[0]?.currency ?? null,
    });
    if (current) {
      const nowPhase = phases[0]!;
      if (nowPhase.end_date <= now) {
        throw invalidRequest('The current phase must end in the future.', 'phases[0][end_date]');
      }
      currentChanged =
        JSON.stringify(nowPhase.items.map((i) => [i.price, i.quantity])) !==
          JSON.stringify(current.items.map((i) => [i.price, i.quantity])) ||
        nowPhase.trial_end !== current.trial_end;
    }
    newPhases = [...past, ...phases];
  }
  readDefaultSettings(ctx, p, s);
  if (endBehavior !== undefined) s.end_behavior = endBehavior;
  s.metadata = applyMetadata(s.metadata ?? {}, p);
  if (newPhases) {
    s.phases = newPhases;
    if (s.status === 'not_started' && s.phases[0]!.start_date <= now) startSchedule(ctx, s);
  }
  if (s.status === 'active') {
    const sub = ctx.store.c('subscription').get(subIdOf(s) ?? '');
    const current = phaseAt(s, now);
    if (sub && current && currentChanged)
      applyPhase(ctx, s, sub, current, proration ?? current.proration_behavior);
    setCurrent(s, now);
  }
  scheduleUpdated(ctx, s, before);
  touchBilling(ctx.app);
  return s;
}

function release(base: Ctx): SubscriptionSchedule {
  const s = requireSchedule(base);
  const ctx = ctxFor(base, s.customer as string);
  requireOpen(s, 'release');
  const preserve = bool(base.params, 'preserve_cancel_date') ?? true;
  const sub = ctx.store.c('subscription').get(subIdOf(s) ?? '');
  if (sub && !preserve && sub.cancel_at !== null) {
    sub.cancel_at = null;
    sub.cancel_at_period_end = false;
    sub.canceled_at = null;
  }
  releaseSchedule(ctx, s);
  touchBilling(ctx.app);
  return s;
}

function cancel(base: Ctx): SubscriptionSchedule {
  const s = requireSchedule(base);
  const ctx = ctxFor(base, s.customer as string);
  requireOpen(s, 'cancel');
  const p = base.params;
  const prorate = bool(p, 'prorate') ?? true;
  const invoiceNowFlag = bool(p, 'invoice_now') ?? true;
  const now = ctx.now();
  const started = s.status === 'active';
  s.status = 'canceled';
  s.canceled_at = now;
  s.current_phase = null;
  const sub = ctx.store.c('subscription').get(subIdOf(s) ?? '');
  if (sub && sub.status !== 'canceled' && sub.status !== 'incomplete_expired') {
    if (prorate && sub.status !== 'trialing') {
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
        periodOf(sub),
        now,
      );
      for (const init of credits) createInvoiceItem(ctx, init);
    }
    cancelSubscription(ctx, sub, { reason: 'cancellation_requested' });
    const pending = [...ctx.store.c('invoiceitem').values()].some(
      (ii) => ii.invoice === null && ii.parent?.subscription_details?.subscription === sub.id,
    );
    if (invoiceNowFlag && pending) invoiceNow(ctx, sub, [], { start: now, end: now });
  }
  // A schedule canceled before it started is aborted (no subscription was ever created).
  ctx.emit(started ? 'subscription_schedule.canceled' : 'subscription_schedule.aborted', s);
  touchBilling(ctx.app);
  return s;
}

function list(ctx: Ctx) {
  const p = ctx.params;
  const customer = str(p, 'customer');
  const created = rangeFilter(p, 'created');
  const canceledAt = rangeFilter(p, 'canceled_at');
  const completedAt = rangeFilter(p, 'completed_at');
  const releasedAt = rangeFilter(p, 'released_at');
  const scheduled = bool(p, 'scheduled');
  return paginate(
    ctx.store.c('subscription_schedule'),
    p,
    '/v1/subscription_schedules',
    allOf<SubscriptionSchedule>(
      customer !== undefined && ((s) => s.customer === customer),
      created && ((s) => created(s.created)),
      canceledAt && ((s) => s.canceled_at !== null && canceledAt(s.canceled_at)),
      completedAt && ((s) => s.completed_at !== null && completedAt(s.completed_at)),
      releasedAt && ((s) => s.released_at !== null && releasedAt(s.released_at)),
      scheduled !== undefined && ((s) => (s.status === 'not_started') === scheduled),
    ),
  );
}

/**
 * The subscription ended some other way: its schedule is canceled — `subscription_schedule.aborted`
 * when the subscription was canceled for failed payments (delinquency), `.canceled` otherwise.
 */
function onCanceled(ctx: Ctx, sub: Subscription): void {
  const id = typeof sub.schedule === 'string' ? sub.schedule : sub.schedule?.id;
  const s = id ? ctx.store.c('subscription_schedule').get(id) : undefined;
  if (s === undefined || s.status !== 'active') return;
  s.status = 'canceled';
  s.canceled_at = ctx.now();
  s.current_phase = null;
  const delinquent = sub.cancellation_details?.reason === 'payment_failed';
  ctx.emit(delinquent ? 'subscription_schedule.aborted' : 'subscription_schedule.canceled', s);
}

addJobSource(scheduleJobs);
onSubscriptionCanceled(onCanceled);

export const subscriptionSchedules = defineResource('subscription_schedules', (api) => {
  api.label('subscription_schedule', 'subscription_schedule');
  const base = '/v1/subscription_schedules';
  api.post(base, create);
  api.get(base, list);
  api.get(`${base}/:id`, requireSchedule);
  api.post(`${base}/:id`, update);
  api.post(`${base}/:id/release`, release);
  api.post(`${base}/:id/cancel`, cancel);
  api.expandable('subscription_schedule', 'customer', (id) => api.store.c('customer').get(id));
  api.expandable('subscription_schedule', 'subscription', (id) => api.store.c('subscription').get(id));
  api.expandable('subscription_schedule', 'test_clock', (id) =>
    api.store.c('test_helpers.test_clock').get(id),
  );
  api.expandable('subscription', 'schedule', (id) => api.store.c('subscription_schedule').get(id));
});
