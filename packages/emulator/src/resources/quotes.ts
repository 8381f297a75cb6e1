import type Stripe from 'stripe';
import type { App } from '../core/app.js';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam, stateError } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import type { Params } from '../core/form.js';
import { newId, randomString } from '../core/ids.js';
import { allOf, paginate, paginateArray } from '../core/list.js';
import { applyMetadata, EMPTY_METADATA } from '../core/metadata.js';
import { arr, bool, emptyableStr, int, obj, oneOf, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Store } from '../core/store.js';
import type { Wire } from '../core/wire.js';
import { ctxFor, customerNow } from './billing/context.js';
import { createDraftInvoice, refreshDraft } from './billing/invoice-engine.js';
import { addJobSource, type Job, touchBilling } from './billing/scheduler.js';
import { billingSettings } from './billing/settings.js';
import { type LineItem, priceLineItem } from './checkout-sessions.js';
import { createInvoiceItem } from './invoice-items.js';
import { priceAmount } from './price-tiers.js';
import { createPrice, type Price } from './prices.js';
import { createSubscriptionInternal } from './subscriptions.js';

/**
 * Quotes (`/v1/quotes`): a draft that is edited, finalized (`open`, numbered), then accepted — which
 * makes the subscription (for recurring lines, one-time lines on its first invoice) or a draft
 * invoice (one-time lines only, finalized an hour later as any auto-advancing draft) — or canceled.
 */
export type Quote = Wire<Stripe.Quote>;

interface QuotePrivate {
  id: string;
  lineItems: LineItem[];
  /** The `expires_at` that `quote.will_expire` was sent for (a new expiry gets its own notice). */
  willExpireSentFor?: number;
}

declare module '../core/store.js' {
  interface CollectionTypes {
    quote: Quote;
    _quote: QuotePrivate;
    /** The account's quote number prefix and the next number. */
    _quote_numbering: { id: string; prefix: string; next: number };
  }
}

const COLLECTION = ['charge_automatically', 'send_invoice'] as const;
const STATUSES = ['accepted', 'canceled', 'draft', 'open'] as const;
const DEFAULT_EXPIRY = 30 * 86_400;

/**
 * `line_items` replaces the quote's list: an entry with `id` keeps that line (its price unless another
 * is given, its quantity unless `quantity` is), the others are new lines.
 */
function readLineItems(ctx: Ctx, p: Params, existing: readonly LineItem[]): LineItem[] {
  const raw = arr(p, 'line_items');
  if (raw === undefined) return [];
  const items: LineItem[] = [];
  let currency: string | null = null;
  let interval: string | null = null;
  raw.forEach((e, i) => {
    const name = `line_items[${i}]`;
    if (typeof e !== 'object' || Array.isArray(e))
      throw invalidRequest(`Invalid ${name}: must be a hash.`, name);
    const entry = e as Params;
    const keepId = str(entry, 'id', `${name}[id]`);
    const kept = keepId === undefined ? undefined : existing.find((li) => li.id === keepId);
    if (keepId !== undefined && kept === undefined) {
      throw invalidRequest(`No such line item: '${keepId}'`, `${name}[id]`, 'resource_missing');
    }
    const data = obj(entry, 'price_data', `${name}[price_data]`);
    const priceId =
      str(entry, 'price', `${name}[price]`) ?? (data === undefined ? kept?.price?.id : undefined);
    if (priceId !== undefined && data !== undefined) {
      throw invalidRequest(
        'You may only specify one of these parameters: price, price_data.',
        `${name}[price]`,
      );
    }
    let price: Price;
    if (priceId !== undefined) price = ctx.store.c('price').require(priceId, `${name}[price]`);
    else if (data !== undefined) price = createPrice(ctx, data, undefined, `${name}[price_data]`);
    else throw missingParam(`${name}[price]`);
    if (!price.active) throw invalidRequest(`The price ${price.id} is not active.`, `${name}[price]`);
    if (price.unit_amount === null && price.billing_scheme !== 'tiered') {
      throw invalidRequest(`The price ${price.id} has no unit_amount.`, `${name}[price]`);
    }
    const quantity = int(entry, 'quantity', `${name}[quantity]`) ?? kept?.quantity ?? 1;
    if (quantity < 0)
      throw invalidRequest('This value must be greater than or equal to 0.', `${name}[quantity]`);
    if (currency !== null && price.currency !== currency) {
      throw invalidRequest('All line items must have the same currency.', `${name}[price]`);
    }
    currency = price.currency;
    if (price.recurring) {
      const every = `${price.recurring.interval_count} ${price.recurring.interval}`;
      if (interval !== null && interval !== every) {
        throw invalidRequest(
          'All recurring line items must have the same billing interval and interval count.',
          `${name}[price]`,
        );
      }
      interval = every;
    }
    items.push(
      priceLineItem(ctx, price, quantity, priceAmount(ctx.store, price, quantity), { id: kept?.id }),
    );
  });
  return items;
}

const noTotals = () => ({ amount_discount: 0, amount_shipping: 0, amount_tax: 0 });

/** Amounts, currency and `computed` from the line items (no discounts or taxes here). */
function computeAmounts(q: Quote, items: LineItem[]): void {
  const recurring = items.filter((li) => li.price?.recurring);
  const recurringTotal = recurring.reduce((s, li) => s + li.amount_total, 0);
  const oneTimeTotal = items.reduce((s, li) => s + (li.price?.recurring ? 0 : li.amount_total), 0);
  const trial = (q.subscription_data.trial_period_days ?? 0) > 0;
  const upfront = oneTimeTotal + (trial ? 0 : recurringTotal);
  q.currency = items[0]?.currency ?? q.currency;
  q.amount_subtotal = upfront;
  q.amount_total = upfront;
  q.total_details = noTotals();
  const r = recurring[0]?.price?.recurring;
  q.computed = {
    recurring: r
      ? {
          amount_subtotal: recurringTotal,
          amount_total: recurringTotal,
          interval: r.interval,
          interval_count: r.interval_count,
          total_details: noTotals(),
        }
      : null,
    upfront: { amount_subtotal: upfront, amount_total: upfront, total_details: noTotals() },
  };
}

/** Parameters Stripe takes that the emulator does not model: refused rather than ignored. */
const UNSUPPORTED = [
  'application_fee_amount',
  'application_fee_percent',
  'customer_account',
  'default_tax_rates',
  'discounts',
  'from_quote',
  'on_behalf_of',
  'test_clock',
  'transfer_data',
] as const;

function refuseUnsupported(p: Params): void {
  const unsupported = (name: string) =>
    invalidRequest(`The emulator does not support ${name} on quotes yet.`, name);
  for (const n of UNSUPPORTED) if (p[n] !== undefined && p[n] !== '') throw unsupported(n);
  const tax = obj(p, 'automatic_tax');
  if (tax !== undefined && bool(tax, 'enabled', 'automatic_tax[enabled]'))
    throw unsupported('automatic_tax[enabled]');
  const sd = obj(p, 'subscription_data');
  for (const n of [
    'effective_date',
    'billing_mode',
    'billing_cycle_anchor',
    'bill_on_acceptance',
    'billing_schedules',
    'phase_effective_at',
    'prebilling',
    'proration_behavior',
  ] as const) {
    if (sd?.[n] !== undefined && sd[n] !== '') throw unsupported(`subscription_data[${n}]`);
  }
  (arr(p, 'line_items') ?? []).forEach((e, i) => {
    if (typeof e !== 'object' || Array.isArray(e)) return;
    for (const n of ['discounts', 'tax_rates'] as const) {
      if ((e as Params)[n] !== undefined && (e as Params)[n] !== '')
        throw unsupported(`line_items[${i}][${n}]`);
    }
  });
}

/** Fields create and update share (only while draft). */
function applyFields(ctx: Ctx, q: Quote, priv: QuotePrivate): void {
  const p = ctx.params;
  refuseUnsupported(p);
  const customer = str(p, 'customer');
  if (customer !== undefined) {
    const c = ctx.store.c('customer').require(customer, 'customer');
    q.customer = c.id;
    q.test_clock = typeof c.test_clock === 'string' ? c.test_clock : (c.test_clock?.id ?? null);
  }
  const collection = oneOf(p, 'collection_method', COLLECTION);
  if (collection !== undefined) q.collection_method = collection;
  const settings = obj(p, 'invoice_settings');
  if (settings !== undefined) {
    const days = int(settings, 'days_until_due', 'invoice_settings[days_until_due]');
    if (days !== undefined) q.invoice_settings = { ...q.invoice_settings, days_until_due: days };
  }
  if (q.collection_method === 'charge_automatically' && q.invoice_settings.days_until_due !== null) {
    throw invalidRequest(
      'invoice_settings[days_until_due] can only be set when collection_method is send_invoice.',
      'invoice_settings[days_until_due]',
    );
  }
  const expiresAt = int(p, 'expires_at');
  if (expiresAt !== undefined) {
    if (expiresAt <= quoteNow(ctx, q))
      throw invalidRequest('expires_at must be in the future.', 'expires_at');
    q.expires_at = expiresAt;
  }
  for (const f of ['description', 'header', 'footer'] as const) {
    const v = emptyableStr(p, f);
    if (v !== undefined) q[f] = v;
  }
  const sd = obj(p, 'subscription_data');
  if (sd !== undefined) {
    const days = int(sd, 'trial_period_days', 'subscription_data[trial_period_days]');
    const description = str(sd, 'description', 'subscription_data[description]');
    q.subscription_data = {
      ...q.subscription_data,
      ...(days !== undefined ? { trial_period_days: days } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(obj(sd, 'metadata', 'subscription_data[metadata]') !== undefined
        ? { metadata: applyMetadata(q.subscription_data.metadata ?? {}, sd) }
        : {}),
    };
  }
  if (p.line_items !== undefined) priv.lineItems = readLineItems(ctx, p, priv.lineItems);
  q.metadata = applyMetadata(q.metadata, p);
  computeAmounts(q, priv.lineItems);
}

function create(ctx: Ctx): Quote {
  const now = ctx.now();
  const q: Quote = {
    id: newId('qt'),
    object: 'quote',
    amount_subtotal: 0,
    amount_total: 0,
    application: null,
    application_fee_amount: null,
    application_fee_percent: null,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    collection_method: 'charge_automatically',
    computed: {
      recurring: null,
      upfront: { amount_subtotal: 0, amount_total: 0, total_details: noTotals() },
    },
    created: now,
    currency: null,
    customer: null,
    customer_account: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    expires_at: now + DEFAULT_EXPIRY,
    footer: null,
    from_quote: null,
    header: null,
    invoice: null,
    invoice_settings: {
      custom_fields: null,
      days_until_due: null,
      description: null,
      footer: null,
      issuer: { type: 'self' },
    },
    livemode: false,
    metadata: EMPTY_METADATA,
    number: null,
    on_behalf_of: null,
    status: 'draft',
    status_transitions: { accepted_at: null, canceled_at: null, finalized_at: null },
    subscription: null,
    subscription_data: {
      billing_mode: { type: 'classic' },
      description: null,
      effective_date: null,
      metadata: null,
      trial_period_days: null,
    },
    subscription_schedule: null,
    test_clock: null,
    total_details: noTotals(),
    transfer_data: null,
  };
  const priv: QuotePrivate = { id: q.id, lineItems: [] };
  applyFields(ctx, q, priv);
  // A quote for a customer on a test clock lives in the clock's time (created, default expiry).
  if (q.test_clock !== null) {
    q.created = quoteNow(ctx, q);
    if (int(ctx.params, 'expires_at') === undefined) q.expires_at = q.created + DEFAULT_EXPIRY;
  }
  ctx.store.c('quote').insert(q);
  ctx.store.c('_quote').insert(priv);
  ctx.emit('quote.created', q);
  return q;
}

function requireQuote(ctx: Ctx): { q: Quote; priv: QuotePrivate } {
  const q = ctx.store.c('quote').require(ctx.args.id!);
  expireIfDue(ctx, q);
  return { q, priv: ctx.store.c('_quote').get(q.id)! };
}

/** The time a quote lives in: its customer's test clock's, or the emulator clock. */
function quoteNow(ctx: Ctx, q: Quote): number {
  return customerNow(ctx, typeof q.customer === 'string' ? q.customer : (q.customer?.id ?? null));
}

/**
 * A draft or open quote is canceled at its `expires_at` (`quote.canceled`, request null), by the
 * scheduler when its clock (the emulator clock, or its customer's test clock) passes that time; a
 * read in between (the scheduler runs before each request) finds it canceled already.
 */
function expireIfDue(ctx: Ctx, q: Quote): void {
  if ((q.status !== 'draft' && q.status !== 'open') || q.expires_at > quoteNow(ctx, q)) return;
  const before = structuredClone(q);
  q.status = 'canceled';
  q.status_transitions = { ...q.status_transitions, canceled_at: q.expires_at };
  ctx.emit('quote.canceled', q, diffPrevious(before, q));
}

function update(ctx: Ctx): Quote {
  const { q, priv } = requireQuote(ctx);
  if (q.status !== 'draft') {
    throw stateError(
      `This quote cannot be updated because it has a status of ${q.status}. Only draft quotes can be updated.`,
    );
  }
  applyFields(ctx, q, priv);
  return q;
}

function nextNumber(store: Store): string {
  let numbering = store.c('_quote_numbering').get('account');
  if (numbering === undefined) {
    numbering = { id: 'account', prefix: randomString(8).toUpperCase(), next: 1 };
    store.c('_quote_numbering').insert(numbering);
  }
  return `QT-${numbering.prefix}-${String(numbering.next++).padStart(4, '0')}`;
}

function finalize(ctx: Ctx): Quote {
  const { q, priv } = requireQuote(ctx);
  if (q.status !== 'draft') {
    throw stateError(
      `This quote cannot be finalized because it has a status of ${q.status}. Only draft quotes can be finalized.`,
    );
  }
  if (q.customer === null) {
    throw invalidRequest('A quote must have a customer before it can be finalized.', 'customer');
  }
  if (priv.lineItems.length === 0) {
    throw invalidRequest(
      'A quote must have at least one line item before it can be finalized.',
      'line_items',
    );
  }
  if (q.collection_method === 'send_invoice' && q.invoice_settings.days_until_due === null) {
    throw invalidRequest(
      'invoice_settings[days_until_due] is required when collection_method is send_invoice.',
      'invoice_settings[days_until_due]',
    );
  }
  const expiresAt = int(ctx.params, 'expires_at');
  if (expiresAt !== undefined) {
    if (expiresAt <= quoteNow(ctx, q))
      throw invalidRequest('expires_at must be in the future.', 'expires_at');
    q.expires_at = expiresAt;
  }
  if (q.expires_at <= quoteNow(ctx, q)) {
    throw invalidRequest('This quote has expired: set a new expires_at to finalize it.', 'expires_at');
  }
  q.status = 'open';
  q.number = nextNumber(ctx.store);
  q.status_transitions = { ...q.status_transitions, finalized_at: quoteNow(ctx, q) };
  ctx.emit('quote.finalized', q);
  return q;
}

function accept(ctx: Ctx): Quote {
  const { q, priv } = requireQuote(ctx);
  if (q.status !== 'open') {
    throw stateError(
      `This quote cannot be accepted because it has a status of ${q.status}. Only open quotes can be accepted.`,
    );
  }
  const customer = q.customer as string;
  const recurring = priv.lineItems.filter((li) => li.price?.recurring);
  const oneTime = priv.lineItems.filter((li) => !li.price?.recurring);
  const days = q.invoice_settings.days_until_due;
  const collection = q.collection_method === 'send_invoice' ? 'send_invoice' : 'charge_automatically';
  if (recurring.length > 0) {
    const params: Params = {
      customer,
      items: recurring.map((li) => ({ price: li.price!.id, quantity: String(li.quantity) })),
      collection_method: collection,
      ...(days !== null ? { days_until_due: String(days) } : {}),
      ...(oneTime.length > 0
        ? { add_invoice_items: oneTime.map((li) => ({ price: li.price!.id, quantity: String(li.quantity) })) }
        : {}),
      ...(q.subscription_data.trial_period_days
        ? { trial_period_days: String(q.subscription_data.trial_period_days) }
        : {}),
      ...(q.subscription_data.description ? { description: q.subscription_data.description } : {}),
      ...(q.subscription_data.metadata ? { metadata: { ...q.subscription_data.metadata } } : {}),
    };
    const sub = createSubscriptionInternal(ctx, params);
    q.subscription = sub.id;
    q.invoice =
      typeof sub.latest_invoice === 'string' ? sub.latest_invoice : (sub.latest_invoice?.id ?? null);
  } else {
    const at = ctxFor(ctx, customer);
    const inv = createDraftInvoice(at, {
      customer,
      currency: q.currency ?? undefined,
      billingReason: 'quote_accept',
      collectionMethod: collection,
      daysUntilDue: days,
      autoAdvance: true,
      includePending: false,
      description: q.description,
    });
    inv.parent = { type: 'quote_details', quote_details: { quote: q.id }, subscription_details: null };
    for (const li of oneTime) {
      const price = li.price!;
      createInvoiceItem(at, {
        customer,
        currency: price.currency,
        amount: li.amount_total,
        quantity: li.quantity ?? 1,
        unitAmountDecimal: null,
        price,
        description: li.description,
        period: { start: at.now(), end: at.now() },
        proration: false,
        subscription: null,
        invoice: inv.id,
      });
    }
    refreshDraft(at, inv);
    touchBilling(ctx.app);
    q.invoice = inv.id;
  }
  q.status = 'accepted';
  q.status_transitions = { ...q.status_transitions, accepted_at: quoteNow(ctx, q) };
  ctx.emit('quote.accepted', q);
  return q;
}

function cancel(ctx: Ctx): Quote {
  const { q } = requireQuote(ctx);
  if (q.status !== 'draft' && q.status !== 'open') {
    throw stateError(`This quote cannot be canceled because it has a status of ${q.status}.`);
  }
  const before = structuredClone(q);
  q.status = 'canceled';
  q.status_transitions = { ...q.status_transitions, canceled_at: quoteNow(ctx, q) };
  ctx.emit('quote.canceled', q, diffPrevious(before, q));
  return q;
}

/**
 * `quote.will_expire`: `quoteWillExpireDays` (billing settings; on Stripe the X of a Dashboard
 * automation) before an open quote's `expires_at`, once per expiry date, when that moment is after
 * the quote was finalized (a quote finalized closer to its expiry gets no notice).
 */
function willExpire(ctx: Ctx, q: Quote): void {
  const priv = ctx.store.c('_quote').get(q.id);
  if (q.status !== 'open' || priv === undefined || priv.willExpireSentFor === q.expires_at) return;
  priv.willExpireSentFor = q.expires_at;
  ctx.emit('quote.will_expire', q);
}

function quoteJobs(app: App, domain: string | null, out: Job[]): void {
  const days = billingSettings(app).quoteWillExpireDays;
  for (const q of app.store.c('quote').values()) {
    if (q.test_clock !== domain || (q.status !== 'draft' && q.status !== 'open')) continue;
    out.push({ at: q.expires_at, rank: 6, run: (c) => expireIfDue(c, q) });
    if (days === null || q.status !== 'open') continue;
    const at = q.expires_at - days * 86_400;
    const finalizedAt = q.status_transitions.finalized_at ?? q.expires_at;
    if (at >= finalizedAt && app.store.c('_quote').get(q.id)?.willExpireSentFor !== q.expires_at) {
      out.push({ at, rank: 6, run: (c) => willExpire(c, q) });
    }
  }
}

addJobSource(quoteJobs);

function lineItemsOf(store: Store, q: Quote): LineItem[] {
  return store.c('_quote').get(q.id)?.lineItems ?? [];
}

export const quotes = defineResource('quotes', (api) => {
  api.post('/v1/quotes', create);
  api.get('/v1/quotes', (ctx) => {
    for (const q of ctx.store.c('quote').values()) expireIfDue(ctx, q);
    const customer = str(ctx.params, 'customer');
    const status = oneOf(ctx.params, 'status', STATUSES);
    return paginate(
      ctx.store.c('quote'),
      ctx.params,
      '/v1/quotes',
      allOf<Quote>(
        customer !== undefined && ((q) => q.customer === customer),
        status !== undefined && ((q) => q.status === status),
      ),
    );
  });
  api.get('/v1/quotes/:id', (ctx) => requireQuote(ctx).q);
  api.post('/v1/quotes/:id', update);
  api.post('/v1/quotes/:id/finalize', finalize);
  api.post('/v1/quotes/:id/accept', accept);
  api.post('/v1/quotes/:id/cancel', cancel);
  api.get('/v1/quotes/:id/line_items', (ctx) => {
    const { q } = requireQuote(ctx);
    return paginateArray(lineItemsOf(ctx.store, q), ctx.params, `/v1/quotes/${q.id}/line_items`);
  });
  api.get('/v1/quotes/:id/computed_upfront_line_items', (ctx) => {
    const { q } = requireQuote(ctx);
    const trial = (q.subscription_data.trial_period_days ?? 0) > 0;
    const upfront = lineItemsOf(ctx.store, q).filter((li) => !(trial && li.price?.recurring));
    return paginateArray(upfront, ctx.params, `/v1/quotes/${q.id}/computed_upfront_line_items`);
  });
  api.includable('quote', 'line_items', (o) => {
    const q = o as unknown as Quote;
    return paginateArray(lineItemsOf(api.store, q), {}, `/v1/quotes/${q.id}/line_items`);
  });
  api.expandable('quote', 'customer', (id) => api.store.c('customer').get(id));
  api.expandable('quote', 'invoice', (id) => api.store.c('invoice').get(id));
  api.expandable('quote', 'subscription', (id) => api.store.c('subscription').get(id));
});
