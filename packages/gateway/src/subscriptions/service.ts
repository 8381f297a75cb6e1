// Subscriptions: created `default_incomplete` (the first payment is confirmed by the browser with the
// returned client secret), changed, cancelled and resumed in Stripe. Stripe holds the state; paydesk
// keeps its own record of each subscription (its id, and the last state seen, newer never overwritten).
import type Stripe from 'stripe';
import type { CatalogPrice } from '../catalog/catalog.js';
import type { Interval } from '../catalog/schema.js';
import type { AppContext } from '../context.js';
import { withStripeCustomer } from '../customers/access.js';
import {
  type CustomerRow,
  customerByExternalId,
  customerById,
  customerByStripeId,
} from '../customers/service.js';
import { randomToken } from '../platform/auth/api-keys.js';
import type { Principal } from '../platform/auth/principal.js';
import type { Queryable } from '../platform/db/types.js';
import { AppError } from '../platform/errors.js';
import { callStripe, idempotencyKey } from '../platform/stripe/client.js';
import {
  deletePending,
  insertPending,
  nextRevision,
  pendingForCustomer,
  type SubscriptionRow,
  type SubscriptionState,
  subscriptionById,
  subscriptionByStripeId,
  subscriptionsOfCustomer,
  upsertState,
} from './store.js';

/** Statuses in which a customer has a subscription: a second one is refused while one is in them. */
export const liveStatuses: ReadonlySet<string> = new Set([
  'active',
  'trialing',
  'past_due',
  'unpaid',
  'paused',
]);
const endedStatuses: ReadonlySet<string> = new Set(['canceled', 'incomplete_expired']);
const expand = ['latest_invoice.confirmation_secret'];

export type { SubscriptionRow };
/** For the compat routes, which name subscriptions by Stripe id. */
export { subscriptionByStripeId };

/**
 * A customer's subscriptions as paydesk last recorded them (kept current by the webhook pipeline and
 * by every change paydesk makes), newest first: no Stripe call.
 */
export async function recordedSubscriptions(
  s: Pick<AppContext, 'db'>,
  customerId: string,
): Promise<SubscriptionRow[]> {
  return subscriptionsOfCustomer(s.db, customerId, 20);
}

export type ProrationBehavior = 'create_prorations' | 'always_invoice';

/** paydesk's record of a subscription together with the Stripe subscription as just read. */
export interface SubscriptionDetails {
  record: SubscriptionRow;
  subscription: Stripe.Subscription;
}

export interface PlanChoice {
  plan: string;
  interval: Interval;
  currency: string;
}

export function newSubscriptionId(): string {
  return `psub_${randomToken(16)}`;
}

type Where = 'body' | 'querystring';

/** A validation error naming one field, in the same shape as a schema failure. */
export function fieldError(where: Where, field: string, message: string): AppError {
  return new AppError('validation_failed', `Invalid ${where}.${field}: ${message}`, {
    issues: [{ in: where, path: field, message }],
  });
}

/** The catalog price of a plan in an interval and currency; an unknown one is a 400 naming the field. */
export function planPrice(
  s: AppContext,
  choice: PlanChoice,
  where: Where = 'body',
  currencyField = 'currency',
): CatalogPrice {
  const plan = s.catalog.plan(choice.plan);
  if (!plan) {
    const known = s.catalog.plans.map((p) => p.id).join(', ');
    throw fieldError(where, 'plan', `no such plan: ${choice.plan} (plans: ${known})`);
  }
  const byCurrency = plan.prices[choice.interval];
  if (!byCurrency) throw fieldError(where, 'interval', `plan ${plan.id} has no ${choice.interval}ly price`);
  const price = s.catalog.price('plan', plan.id, choice.currency, choice.interval);
  if (!price || byCurrency[choice.currency] === undefined) {
    throw fieldError(
      where,
      currencyField,
      `plan ${plan.id} is not sold in ${choice.currency} per ${choice.interval} (currencies: ${Object.keys(byCurrency).join(', ')})`,
    );
  }
  return price;
}

/** Whether a Stripe subscription belongs to this paydesk (its metadata, or a price of its catalog). */
export function isOurs(s: AppContext, sub: Stripe.Subscription): boolean {
  if (sub.metadata?.paydesk_instance === s.config.instanceId) return true;
  return sub.items.data.some((i) => i.price.metadata?.paydesk_instance === s.config.instanceId);
}

function idOf(ref: string | { id: string } | null): string | null {
  return ref === null ? null : typeof ref === 'string' ? ref : ref.id;
}

function date(seconds: number | null | undefined): Date | null {
  return seconds === null || seconds === undefined ? null : new Date(seconds * 1000);
}

/** The catalog plan and interval a Stripe subscription is on, from its price's paydesk metadata. */
export function planOf(
  s: AppContext,
  sub: Stripe.Subscription,
): { plan: string | null; interval: Interval | null; amount: number | null } {
  const price = sub.items.data[0]?.price;
  if (!price) return { plan: null, interval: null, amount: null };
  const ours =
    price.metadata?.paydesk_instance === s.config.instanceId && price.metadata.paydesk_kind === 'plan';
  const interval = price.recurring?.interval;
  return {
    plan: ours ? (price.metadata.paydesk_id ?? null) : null,
    interval: interval === 'month' ? 'month' : interval === 'year' ? 'year' : null,
    amount: price.unit_amount,
  };
}

function stateOf(
  s: AppContext,
  sub: Stripe.Subscription,
  ids: { id: string; customer_id: string },
  at: Date,
): SubscriptionState {
  const { plan, interval, amount } = planOf(s, sub);
  return {
    ...ids,
    stripe_subscription_id: sub.id,
    status: sub.status,
    plan,
    interval,
    currency: sub.currency,
    cancel_at_period_end: sub.cancel_at_period_end,
    cancel_at: date(sub.cancel_at),
    current_period_end: date(sub.items.data[0]?.current_period_end),
    amount,
    trial_end: date(sub.trial_end),
    ended_at: date(sub.ended_at),
    state_at: at,
  };
}

/**
 * Stores a subscription state seen in Stripe at `observedAt` (an API answer, or an event's `created`):
 * an older state never overwrites a newer one. Subscriptions paydesk did not create get a record on
 * sight when their customer is paydesk's. Undefined for a subscription of someone else's customer.
 */
export async function recordSubscriptionState(
  s: AppContext,
  db: Queryable,
  sub: Stripe.Subscription,
  observedAt: Date,
): Promise<SubscriptionRow | undefined> {
  const named =
    sub.metadata?.paydesk_instance === s.config.instanceId ? sub.metadata.paydesk_subscription_id : undefined;
  const existing =
    (named ? await subscriptionById(db, named) : undefined) ?? (await subscriptionByStripeId(db, sub.id));
  if (existing) {
    return upsertState(db, stateOf(s, sub, existing, observedAt));
  }
  const customerId = idOf(sub.customer);
  const customer = customerId ? await customerByStripeId(db, customerId) : undefined;
  if (!customer) return undefined;
  return upsertState(
    db,
    stateOf(s, sub, { id: named ?? newSubscriptionId(), customer_id: customer.id }, observedAt),
  );
}

async function record(
  s: AppContext,
  sub: Stripe.Subscription,
  at: Date,
  row: SubscriptionRow,
): Promise<SubscriptionDetails> {
  return { record: await upsertState(s.db, stateOf(s, sub, row, at)), subscription: sub };
}

/** Creates in Stripe the subscription a pending record describes (again, after a crash: same key). */
async function createInStripe(
  s: AppContext,
  customer: CustomerRow & { stripe_customer_id: string },
  row: SubscriptionRow,
): Promise<SubscriptionDetails> {
  let stripePrice: Stripe.Price;
  let trialDays: number | undefined;
  try {
    if (!row.plan || !row.interval) throw new Error(`pending subscription ${row.id} has no plan`);
    const plan = s.catalog.plan(row.plan);
    const price = s.catalog.price('plan', row.plan, row.currency, row.interval);
    if (!plan || !price) throw new AppError('conflict', `The plan ${row.plan} is no longer in the catalog.`);
    stripePrice = await s.prices.resolve(price);
    trialDays = plan.trial_days;
  } catch (err) {
    // Nothing was sent to Stripe: the pending record goes, so the customer is not blocked.
    await deletePending(s.db, row.id);
    throw err;
  }
  const at = s.now();
  let sub: Stripe.Subscription;
  try {
    sub = await callStripe(() =>
      s.stripe.subscriptions.create(
        {
          customer: customer.stripe_customer_id,
          items: [{ price: stripePrice.id }],
          payment_behavior: 'default_incomplete',
          payment_settings: { save_default_payment_method: 'on_subscription' },
          ...(trialDays ? { trial_period_days: trialDays } : {}),
          expand,
          metadata: {
            paydesk_instance: s.config.instanceId,
            paydesk_subscription_id: row.id,
            paydesk_customer_id: customer.id,
          },
        },
        { idempotencyKey: idempotencyKey('subscription.create', s.config.instanceId, row.id) },
      ),
    );
  } catch (err) {
    // Stripe refused the request: no subscription exists, the pending record goes. Otherwise (Stripe
    // unreachable, the same creation in flight elsewhere) it may exist: the record stays, and the next
    // attempt finishes it with the same idempotency key.
    if (err instanceof AppError && (err.code === 'stripe_error' || err.code === 'card_declined')) {
      await deletePending(s.db, row.id);
    }
    throw err;
  }
  return record(s, sub, at, row);
}

/** The customer's subscriptions in Stripe that belong to this paydesk, newest first, each recorded. */
export async function listSubscriptions(
  s: AppContext,
  customer: CustomerRow,
): Promise<SubscriptionDetails[]> {
  if (!customer.stripe_customer_id) return [];
  const stripeCustomer = customer.stripe_customer_id;
  const at = s.now();
  const page = await callStripe(() =>
    s.stripe.subscriptions.list({
      customer: stripeCustomer,
      status: 'all',
      limit: 100,
      expand: expand.map((e) => `data.${e}`),
    }),
  );
  const out: SubscriptionDetails[] = [];
  for (const sub of page.data) {
    if (!isOurs(s, sub)) continue;
    const row = await recordSubscriptionState(s, s.db, sub, at);
    if (row) out.push({ record: row, subscription: sub });
  }
  return out;
}

/**
 * Subscribes a customer to a catalog plan (price from the catalog, never from the caller). A customer
 * has at most one subscription: one that is active, trialing, past_due, unpaid or paused makes this a
 * 409 conflict. An incomplete one (its first payment never made) for the same price is returned again
 * (`created: false`); for another price it is cancelled and replaced.
 */
export async function createSubscription(
  s: AppContext,
  customerRow: CustomerRow,
  choice: PlanChoice,
): Promise<{ details: SubscriptionDetails; created: boolean }> {
  const price = planPrice(s, choice);
  const stripePrice = await s.prices.resolve(price);
  const customer = await withStripeCustomer(s, customerRow);

  // A creation left half-way (a crash, Stripe unreachable) is finished first, with its own key.
  const pending = await pendingForCustomer(s.db, customer.id);
  if (pending) await createInStripe(s, customer, pending);

  for (const current of await listSubscriptions(s, customer)) {
    const sub = current.subscription;
    if (liveStatuses.has(sub.status)) {
      throw new AppError(
        'conflict',
        `The customer already has a subscription (${current.record.id}, ${sub.status}); change its plan instead.`,
        { subscription: current.record.id },
      );
    }
    if (sub.status !== 'incomplete') continue;
    if (sub.items.data[0]?.price.id === stripePrice.id) return { details: current, created: false };
    const at = s.now();
    const canceled = await callStripe(() =>
      s.stripe.subscriptions.cancel(
        sub.id,
        { expand },
        { idempotencyKey: idempotencyKey('subscription.replace', s.config.instanceId, current.record.id) },
      ),
    );
    await record(s, canceled, at, current.record);
  }

  const row = await insertPending(s.db, {
    id: newSubscriptionId(),
    customer_id: customer.id,
    plan: choice.plan,
    interval: choice.interval,
    currency: choice.currency,
    state_at: s.now(),
  });
  if (!row)
    throw new AppError('conflict', 'A subscription is already being created for this customer; retry.');
  return { details: await createInStripe(s, customer, row), created: true };
}

/**
 * The subscription a principal may act on: users only their own (another's is not found, never
 * forbidden, so ids cannot be probed); API keys any subscription of this paydesk.
 */
export async function subscriptionFor(
  s: AppContext,
  principal: Principal,
  id: string,
): Promise<SubscriptionRow> {
  const row = await subscriptionById(s.db, id);
  const notFound = new AppError('not_found', `No such subscription: ${id}.`);
  if (!row) throw notFound;
  if (principal.kind === 'user') {
    const own = await customerByExternalId(s.db, principal.externalId);
    if (!own || own.id !== row.customer_id) throw notFound;
  }
  return row;
}

/** Reads the subscription from Stripe (finishing a pending creation first) and records what it saw. */
export async function readSubscription(s: AppContext, row: SubscriptionRow): Promise<SubscriptionDetails> {
  if (row.status === 'pending' || !row.stripe_subscription_id) {
    const customer = await customerById(s.db, row.customer_id);
    if (!customer) throw new Error(`subscription ${row.id} has no customer`);
    return createInStripe(s, await withStripeCustomer(s, customer), row);
  }
  const stripeId = row.stripe_subscription_id;
  const at = s.now();
  const sub = await callStripe(() => s.stripe.subscriptions.retrieve(stripeId, { expand }));
  return record(s, sub, at, row);
}

function requireStatus(d: SubscriptionDetails, allowed: ReadonlySet<string>, action: string): void {
  if (!allowed.has(d.subscription.status)) {
    throw new AppError('conflict', `A ${d.subscription.status} subscription cannot be ${action}.`, {
      status: d.subscription.status,
    });
  }
}

const changeable: ReadonlySet<string> = new Set(['active', 'trialing', 'past_due']);

/** The Stripe price a plan change moves to, in the subscription's own currency. */
async function targetPrice(
  s: AppContext,
  d: SubscriptionDetails,
  target: { plan: string; interval: Interval },
  where: Where,
): Promise<{ price: CatalogPrice; stripePrice: Stripe.Price; item: Stripe.SubscriptionItem }> {
  const price = planPrice(s, { ...target, currency: d.subscription.currency }, where, 'plan');
  const stripePrice = await s.prices.resolve(price);
  const item = d.subscription.items.data[0];
  if (!item) throw new AppError('conflict', 'The subscription has no item to change.');
  if (item.price.id === stripePrice.id) {
    throw new AppError('conflict', `The subscription is already on ${target.plan} per ${target.interval}.`);
  }
  return { price, stripePrice, item };
}

export interface PreviewLine {
  description: string | null;
  amount: number;
  proration: boolean;
  period_start: number;
  period_end: number;
}

export interface ChangePreview {
  subscription: string;
  plan: string;
  interval: Interval;
  currency: string;
  proration_behavior: ProrationBehavior;
  /** Unix seconds the proration is computed at; pass it to the change to get exactly these amounts. */
  proration_date: number;
  /** The sum of the proration lines (negative: a credit for the unused time on the current plan). */
  proration_amount: number;
  /** always_invoice: the invoice the change creates now; create_prorations: the next renewal invoice. */
  amount_due: number;
  subtotal: number;
  total: number;
  lines: PreviewLine[];
}

function isProration(line: Stripe.InvoiceLineItem): boolean {
  const p = line.parent;
  return Boolean(p?.subscription_item_details?.proration || p?.invoice_item_details?.proration);
}

/** What a plan change would cost, from Stripe's invoice preview. Nothing changes. */
export async function previewChange(
  s: AppContext,
  d: SubscriptionDetails,
  target: {
    plan: string;
    interval: Interval;
    proration_behavior: ProrationBehavior;
    proration_date?: number;
  },
  where: Where = 'querystring',
): Promise<ChangePreview> {
  requireStatus(d, changeable, 'changed');
  const { stripePrice, item } = await targetPrice(s, d, target, where);
  const prorationDate = target.proration_date ?? Math.floor(s.now().getTime() / 1000);
  const sub = d.subscription;
  const customer = idOf(sub.customer);
  if (!customer) throw new Error(`subscription ${sub.id} has no customer`);
  const invoice = await callStripe(() =>
    s.stripe.invoices.createPreview(
      {
        customer,
        subscription: sub.id,
        subscription_details: {
          items: [{ id: item.id, price: stripePrice.id }],
          proration_behavior: target.proration_behavior,
          proration_date: prorationDate,
        },
      },
      {
        idempotencyKey: idempotencyKey(
          'subscription.preview',
          s.config.instanceId,
          d.record.id,
          d.record.revision,
          stripePrice.id,
          target.proration_behavior,
          prorationDate,
        ),
      },
    ),
  );
  const lines = invoice.lines.data.map((l) => ({
    description: l.description,
    amount: l.amount,
    proration: isProration(l),
    period_start: l.period.start,
    period_end: l.period.end,
  }));
  return {
    subscription: d.record.id,
    plan: target.plan,
    interval: target.interval,
    currency: invoice.currency,
    proration_behavior: target.proration_behavior,
    proration_date: prorationDate,
    proration_amount: lines.filter((l) => l.proration).reduce((sum, l) => sum + l.amount, 0),
    amount_due: invoice.amount_due,
    subtotal: invoice.subtotal,
    total: invoice.total,
    lines,
  };
}

/** One change paydesk asks Stripe for, keyed by the record's next revision. */
async function applyChange(
  s: AppContext,
  d: SubscriptionDetails,
  operation: string,
  call: (key: string, stripeId: string) => Promise<Stripe.Subscription>,
): Promise<SubscriptionDetails> {
  const revision = await nextRevision(s.db, d.record.id);
  const key = idempotencyKey(operation, s.config.instanceId, d.record.id, revision);
  const at = s.now();
  const sub = await callStripe(() => call(key, d.subscription.id));
  return record(s, sub, at, d.record);
}

/** Moves the subscription to another plan or interval (same currency), prorated. */
export async function changePlan(
  s: AppContext,
  d: SubscriptionDetails,
  target: {
    plan: string;
    interval: Interval;
    proration_behavior: ProrationBehavior;
    proration_date?: number;
  },
): Promise<SubscriptionDetails> {
  requireStatus(d, changeable, 'changed');
  const { stripePrice, item } = await targetPrice(s, d, target, 'body');
  return applyChange(s, d, 'subscription.change', (key, id) =>
    s.stripe.subscriptions.update(
      id,
      {
        items: [{ id: item.id, price: stripePrice.id }],
        proration_behavior: target.proration_behavior,
        ...(target.proration_date !== undefined ? { proration_date: target.proration_date } : {}),
        expand,
      },
      { idempotencyKey: key },
    ),
  );
}

/** Cancels now, or at the end of the current period (undone by resume until then). */
export async function cancelSubscription(
  s: AppContext,
  d: SubscriptionDetails,
  atPeriodEnd: boolean,
): Promise<SubscriptionDetails> {
  if (endedStatuses.has(d.subscription.status)) {
    throw new AppError('conflict', 'The subscription has already ended.', { status: d.subscription.status });
  }
  if (atPeriodEnd) {
    requireStatus(d, liveStatuses, 'cancelled at period end');
    return applyChange(s, d, 'subscription.cancel_at_period_end', (key, id) =>
      s.stripe.subscriptions.update(id, { cancel_at_period_end: true, expand }, { idempotencyKey: key }),
    );
  }
  return applyChange(s, d, 'subscription.cancel', (key, id) =>
    s.stripe.subscriptions.cancel(id, { expand }, { idempotencyKey: key }),
  );
}

/**
 * Undoes what stops a subscription that has not ended: a scheduled cancellation
 * (`cancel_at_period_end` or `cancel_at`), a paused subscription, or paused collection.
 */
export async function resumeSubscription(
  s: AppContext,
  d: SubscriptionDetails,
): Promise<SubscriptionDetails> {
  const sub = d.subscription;
  if (sub.status === 'paused') {
    return applyChange(s, d, 'subscription.resume', (key, id) =>
      s.stripe.subscriptions.resume(id, { expand }, { idempotencyKey: key }),
    );
  }
  if (endedStatuses.has(sub.status)) {
    throw new AppError('conflict', 'The subscription has ended; subscribe again instead.', {
      status: sub.status,
    });
  }
  if (sub.cancel_at_period_end || sub.cancel_at !== null) {
    return applyChange(s, d, 'subscription.uncancel', (key, id) =>
      s.stripe.subscriptions.update(
        id,
        sub.cancel_at_period_end ? { cancel_at_period_end: false, expand } : { cancel_at: '', expand },
        { idempotencyKey: key },
      ),
    );
  }
  if (sub.pause_collection) {
    return applyChange(s, d, 'subscription.unpause', (key, id) =>
      s.stripe.subscriptions.update(id, { pause_collection: '', expand }, { idempotencyKey: key }),
    );
  }
  throw new AppError('conflict', 'The subscription is neither cancelling nor paused: nothing to resume.');
}

/** The client secret the browser confirms the first payment with, while that payment is due. */
export function firstPaymentSecret(sub: Stripe.Subscription): string | null {
  const invoice = sub.latest_invoice;
  if (!invoice || typeof invoice === 'string' || invoice.status !== 'open') return null;
  return invoice.confirmation_secret?.client_secret ?? null;
}
