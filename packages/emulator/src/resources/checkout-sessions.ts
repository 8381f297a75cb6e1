import type Stripe from 'stripe';
import type { App } from '../core/app.js';
import type { Ctx } from '../core/context.js';
import { invalidRequest, missingParam, StripeError, stateError } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import type { Params } from '../core/form.js';
import { newId, newSecret } from '../core/ids.js';
import { allOf, paginate, paginateArray, rangeFilter } from '../core/list.js';
import { applyMetadata, EMPTY_METADATA } from '../core/metadata.js';
import { arr, bool, int, obj, oneOf, reqInt, reqStr, str, strArr } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { BANK_CURRENCY, type BankDebitType, bankTypeOf, type MandateInput } from './bank-debits.js';
import { attemptPayment } from './billing/collect.js';
import { couponTakes } from './billing/discounts.js';
import { invoiceState, subscriptionOf } from './billing/invoice-engine.js';
import { withRollback } from './billing/rollback.js';
import { baseUrl } from './common/base-url.js';
import { type EngineCtx, engineCtx } from './common/engine.js';
import { type Coupon, couponValid } from './coupons.js';
import {
  cancelPaymentIntent,
  confirmPaymentIntentInternal,
  createPaymentIntentInternal,
  onPaymentIntent,
  PAYMENT_METHOD_TYPES,
  type PaymentIntent,
} from './payment-intents.js';
import { attachPaymentMethod, resolvePaymentMethod } from './payment-methods.js';
import { createPrice, type Price } from './prices.js';
import { lookupPromotionCode, type PromotionCode, promotionCodeProblem } from './promotion-codes.js';
import { createSetupIntentInternal } from './setup-intents.js';
import { createSubscriptionInternal } from './subscriptions.js';

export type CheckoutSession = Wire<Stripe.Checkout.Session>;
export type LineItem = Wire<Stripe.LineItem>;

/**
 * A line item of `quantity` × `price` costing `amount` before discounts and taxes (Checkout, payment
 * links and quotes list them alike); `id` and `adjustable_quantity` where the caller has its own.
 */
export function priceLineItem(
  ctx: Ctx,
  price: Price,
  quantity: number,
  amount: number,
  own: { id?: string | undefined; adjustable_quantity?: LineItem['adjustable_quantity'] } = {},
): LineItem {
  const product = typeof price.product === 'string' ? ctx.store.c('product').get(price.product) : undefined;
  return {
    id: own.id ?? newId('li'),
    object: 'item',
    adjustable_quantity: own.adjustable_quantity ?? null,
    amount_discount: 0,
    amount_subtotal: amount,
    amount_tax: 0,
    amount_total: amount,
    currency: price.currency,
    description: product?.name ?? null,
    metadata: EMPTY_METADATA,
    price,
    quantity,
  };
}

/** Emulator-only data of a session: its line items and the intent data applied when it is paid. */
interface SessionPrivate {
  id: string;
  lineItems: LineItem[];
  paymentIntentData: {
    metadata: Stripe.Metadata;
    description: string | null;
    shipping: PaymentIntent['shipping'];
    capture_method: PaymentIntent['capture_method'] | undefined;
    setup_future_usage: 'on_session' | 'off_session' | undefined;
  };
  subscriptionData: {
    metadata: Stripe.Metadata;
    trial_period_days: number | undefined;
    description: string | null;
  };
  /**
   * Subscription mode: the subscription made by an attempt whose first payment waits for 3-D Secure
   * or failed it (incomplete); the next attempt pays its first invoice instead of making another.
   */
  pendingSubscription?: string | undefined;
  /** Coupons of `discounts` or of the promotion code entered on the page (at most one, as Stripe). */
  discountCoupons: string[];
  promotionCode?: string | undefined;
  /** The customer was made by a payment attempt on the page (not given at creation). */
  createdCustomer?: boolean | undefined;
}

declare module '../core/store.js' {
  interface CollectionTypes {
    'checkout.session': CheckoutSession;
    _checkout_session: SessionPrivate;
  }
}

const MIN_EXPIRY = 30 * 60;
const MAX_EXPIRY = 24 * 60 * 60;
const MODES = ['payment', 'setup', 'subscription'] as const;

function readLineItems(
  ctx: Ctx,
  mode: CheckoutSession['mode'],
): { items: LineItem[]; currency: string | null } {
  const raw = arr(ctx.params, 'line_items');
  if (raw === undefined || raw.length === 0) {
    if (mode === 'setup') return { items: [], currency: null };
    throw missingParam('line_items');
  }
  if (mode === 'setup') throw invalidRequest('line_items cannot be used in setup mode.', 'line_items');
  const items: LineItem[] = [];
  let currency: string | null = null;
  let recurring = 0;
  raw.forEach((entry, i) => {
    const name = `line_items[${i}]`;
    if (typeof entry === 'string' || Array.isArray(entry))
      throw invalidRequest(`Invalid ${name}: must be a hash.`, name);
    const priceId = str(entry, 'price', `${name}[price]`);
    const priceData = obj(entry, 'price_data', `${name}[price_data]`);
    let price: Price;
    if (priceId !== undefined && priceData !== undefined) {
      throw invalidRequest(
        'You may only specify one of these parameters: price, price_data.',
        `${name}[price]`,
      );
    }
    if (priceId !== undefined) price = ctx.store.c('price').require(priceId, `${name}[price]`);
    else if (priceData !== undefined) price = createPrice(ctx, priceData, undefined, `${name}[price_data]`);
    else throw missingParam(`${name}[price]`);
    if (!price.active) throw invalidRequest(`The price ${price.id} is not active.`, `${name}[price]`);
    const quantity = int(entry, 'quantity', `${name}[quantity]`);
    if (quantity === undefined) throw missingParam(`${name}[quantity]`);
    if (quantity < 1) throw invalidRequest('Quantity must be at least 1.', `${name}[quantity]`);
    if (currency !== null && price.currency !== currency) {
      throw invalidRequest('All line items must have the same currency.', `${name}[price]`);
    }
    currency = price.currency;
    if (price.type === 'recurring') recurring++;
    if (mode === 'payment' && price.type === 'recurring') {
      throw invalidRequest(
        'You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.',
        `${name}[price]`,
      );
    }
    if (price.unit_amount === null) {
      throw invalidRequest(`The price ${price.id} has no unit_amount.`, `${name}[price]`);
    }
    items.push(priceLineItem(ctx, price, quantity, price.unit_amount * quantity));
  });
  if (mode === 'subscription' && recurring === 0) {
    throw invalidRequest(
      'You must specify at least one recurring price in `subscription` mode.',
      'line_items',
    );
  }
  return { items, currency };
}

function create(ctx: Ctx): CheckoutSession {
  expireDueSessions(ctx);
  const p = ctx.params;
  const mode = oneOf(p, 'mode', MODES);
  if (mode === undefined) throw missingParam('mode');
  const successUrl = reqStr(p, 'success_url');
  const cancelUrl = str(p, 'cancel_url') ?? null;
  const customer = str(p, 'customer');
  const customerEmail = str(p, 'customer_email');
  if (customer !== undefined && customerEmail !== undefined) {
    throw invalidRequest(
      'You may only specify one of these parameters: customer, customer_email.',
      'customer_email',
    );
  }
  const customerRecord = customer ? ctx.store.c('customer').require(customer, 'customer') : undefined;
  const creation = oneOf(p, 'customer_creation', ['always', 'if_required'] as const);
  if (creation !== undefined && mode !== 'payment') {
    throw invalidRequest('customer_creation can only be used in `payment` mode.', 'customer_creation');
  }
  if (creation !== undefined && customer !== undefined) {
    throw invalidRequest(
      'You may only specify one of these parameters: customer, customer_creation.',
      'customer_creation',
    );
  }
  const now = ctx.now();
  const expiresAt = int(p, 'expires_at') ?? now + MAX_EXPIRY;
  if (expiresAt < now + MIN_EXPIRY || expiresAt > now + MAX_EXPIRY) {
    throw invalidRequest(
      'The `expires_at` timestamp must be at least 30 minutes and at most 24 hours from Checkout Session creation.',
      'expires_at',
    );
  }
  const { items, currency } = readLineItems(ctx, mode);
  const sessionCurrency = currency ?? str(p, 'currency')?.toLowerCase() ?? null;
  const paymentMethodTypes = readPaymentMethodTypes(p, sessionCurrency);
  const total = items.reduce((s, li) => s + li.amount_total, 0);

  const pid = obj(p, 'payment_intent_data');
  if (pid !== undefined && mode !== 'payment') {
    throw invalidRequest('payment_intent_data can only be used in `payment` mode.', 'payment_intent_data');
  }
  const sd = obj(p, 'subscription_data');
  if (sd !== undefined && mode !== 'subscription') {
    throw invalidRequest('subscription_data can only be used in `subscription` mode.', 'subscription_data');
  }
  const shippingParams =
    pid !== undefined ? obj(pid, 'shipping', 'payment_intent_data[shipping]') : undefined;
  const shippingAddress = shippingParams
    ? obj(shippingParams, 'address', 'payment_intent_data[shipping][address]')
    : undefined;
  const priv: SessionPrivate = {
    id: '',
    lineItems: items,
    paymentIntentData: {
      metadata: pid ? applyMetadata({}, pid) : {},
      description: pid ? (str(pid, 'description', 'payment_intent_data[description]') ?? null) : null,
      shipping: shippingParams
        ? {
            address: {
              city: shippingAddress ? (str(shippingAddress, 'city') ?? null) : null,
              country: shippingAddress ? (str(shippingAddress, 'country') ?? null) : null,
              line1: shippingAddress ? (str(shippingAddress, 'line1') ?? null) : null,
              line2: shippingAddress ? (str(shippingAddress, 'line2') ?? null) : null,
              postal_code: shippingAddress ? (str(shippingAddress, 'postal_code') ?? null) : null,
              state: shippingAddress ? (str(shippingAddress, 'state') ?? null) : null,
            },
            carrier: null,
            name: reqStr(shippingParams, 'name', 'payment_intent_data[shipping][name]'),
            phone: null,
            tracking_number: null,
          }
        : null,
      capture_method: pid
        ? oneOf(
            pid,
            'capture_method',
            ['automatic', 'automatic_async', 'manual'] as const,
            'payment_intent_data[capture_method]',
          )
        : undefined,
      setup_future_usage: pid
        ? oneOf(
            pid,
            'setup_future_usage',
            ['on_session', 'off_session'] as const,
            'payment_intent_data[setup_future_usage]',
          )
        : undefined,
    },
    subscriptionData: {
      metadata: sd ? applyMetadata({}, sd) : {},
      trial_period_days: sd
        ? int(sd, 'trial_period_days', 'subscription_data[trial_period_days]')
        : undefined,
      description: sd ? (str(sd, 'description', 'subscription_data[description]') ?? null) : null,
    },
    discountCoupons: [],
  };
  const discount = readSessionDiscount(ctx, p, mode, items, sessionCurrency);
  if (discount !== undefined && bool(p, 'allow_promotion_codes')) {
    throw invalidRequest(
      'You may only specify one of these parameters: allow_promotion_codes, discounts.',
      'discounts',
    );
  }

  const id = newId('cs_test', 58);
  priv.id = id;
  const session: CheckoutSession = {
    id,
    object: 'checkout.session',
    adaptive_pricing: null,
    after_expiration: null,
    allow_promotion_codes: bool(p, 'allow_promotion_codes') ?? null,
    allowed_payment_method_types: null,
    amount_subtotal: mode === 'setup' ? null : total,
    amount_total: mode === 'setup' ? null : total,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: oneOf(p, 'billing_address_collection', ['auto', 'required'] as const) ?? null,
    cancel_url: cancelUrl,
    client_reference_id: str(p, 'client_reference_id') ?? null,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: now,
    currency: sessionCurrency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: {
      after_submit: null,
      shipping_address: null,
      submit: null,
      terms_of_service_acceptance: null,
    },
    customer: customer ?? null,
    customer_account: null,
    customer_creation: mode === 'payment' && customer === undefined ? (creation ?? 'if_required') : null,
    customer_details: customerRecord
      ? {
          address: customerRecord.address ?? null,
          business_name: null,
          email: customerRecord.email ?? null,
          individual_name: null,
          name: customerRecord.name ?? null,
          phone: customerRecord.phone ?? null,
          tax_exempt: 'none',
          tax_ids: [],
        }
      : null,
    customer_email: customerEmail ?? null,
    discounts: [],
    expires_at: expiresAt,
    integration_identifier: null,
    invoice: null,
    invoice_creation: mode === 'payment' ? { enabled: false, invoice_data: emptyInvoiceData() } : null,
    livemode: false,
    locale: null,
    managed_payments: null,
    metadata: applyMetadata({}, p),
    mode,
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: mode === 'payment' ? null : 'always',
    payment_method_configuration_details: null,
    payment_method_options: {},
    payment_method_types: paymentMethodTypes,
    payment_status: mode === 'setup' ? 'no_payment_required' : 'unpaid',
    permissions: null,
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: null,
    subscription: null,
    success_url: successUrl,
    total_details: mode === 'setup' ? null : { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: `${baseUrl(ctx.app)}/c/pay/${id}`,
    wallet_options: null,
  };
  if (discount !== undefined) applyDiscount(ctx, session, priv, discount.coupon, discount.promo);
  const sessions = ctx.store.c('checkout.session');
  sessions.insert(session);
  ctx.store.c('_checkout_session').insert(priv);
  noteOpenSession(ctx, sessions.size, session.expires_at);
  return session;
}

/** `discounts[0][coupon]` or `discounts[0][promotion_code]` (Checkout takes one discount). */
function readSessionDiscount(
  ctx: Ctx,
  p: Params,
  mode: CheckoutSession['mode'],
  items: LineItem[],
  currency: string | null,
): { coupon: Coupon; promo: PromotionCode | undefined } | undefined {
  const list = arr(p, 'discounts');
  if (list === undefined || list.length === 0) return undefined;
  if (mode === 'setup') throw invalidRequest('discounts cannot be used in setup mode.', 'discounts');
  if (list.length > 1) throw invalidRequest('Checkout Sessions accept only one discount.', 'discounts');
  const entry = list[0]!;
  if (typeof entry === 'string' || Array.isArray(entry)) {
    throw invalidRequest('Invalid discounts[0]: must be a hash.', 'discounts[0]');
  }
  const couponId = str(entry, 'coupon', 'discounts[0][coupon]');
  const promoId = str(entry, 'promotion_code', 'discounts[0][promotion_code]');
  if (couponId !== undefined) {
    const coupon = ctx.store.c('coupon').require(couponId, 'discounts[0][coupon]');
    if (!couponValid(coupon, ctx.now())) {
      throw invalidRequest(`Coupon expired: ${coupon.id}`, 'discounts[0][coupon]', 'coupon_expired');
    }
    return { coupon, promo: undefined };
  }
  if (promoId !== undefined) {
    const pc = ctx.store.c('promotion_code').require(promoId, 'discounts[0][promotion_code]');
    const found = promotionCodeProblem(ctx, pc, {
      amount: items.reduce((sum, li) => sum + li.amount_subtotal, 0),
      currency: currency ?? '',
      customer: str(p, 'customer') ?? null,
    });
    if ('problem' in found) throw invalidRequest(found.problem.api, 'discounts[0][promotion_code]');
    return { coupon: found.coupon, promo: pc };
  }
  throw missingParam('discounts[0][coupon]');
}

/** Applies a coupon to an open session: amounts, `discounts` and `total_details.amount_discount`. */
function applyDiscount(
  ctx: EngineCtx,
  s: CheckoutSession,
  priv: SessionPrivate,
  coupon: Coupon,
  promo: PromotionCode | undefined,
): void {
  const subtotal = s.amount_subtotal ?? 0;
  const lines = priv.lineItems.map((li) => ({
    amount: li.amount_subtotal,
    product: li.price
      ? typeof li.price.product === 'string'
        ? li.price.product
        : li.price.product.id
      : null,
  }));
  const off = couponTakes(coupon, lines, s.currency ?? '');
  priv.discountCoupons = [coupon.id];
  priv.promotionCode = promo?.id;
  s.discounts = [{ coupon: coupon.id, promotion_code: promo?.id ?? null }];
  s.amount_total = subtotal - off;
  if (s.total_details) s.total_details.amount_discount = off;
  void ctx;
}

/**
 * The hosted page's promotion-code field: applies the active code `typed` to an open session with
 * `allow_promotion_codes`, or says why it cannot (the page shows the message).
 */
export function applyPromotionCode(ctx: EngineCtx, s: CheckoutSession, typed: string): string | undefined {
  if (s.status !== 'open' || s.allow_promotion_codes !== true) return 'Promotion codes cannot be used here.';
  const priv = ctx.store.c('_checkout_session').require(s.id, 'session');
  const found = lookupPromotionCode(ctx, typed, {
    amount: s.amount_subtotal ?? 0,
    currency: s.currency ?? '',
    customer: typeof s.customer === 'string' ? s.customer : null,
  });
  if ('error' in found) return found.error;
  applyDiscount(ctx, s, priv, found.coupon, found.promo);
  return undefined;
}

/** Removes the promotion code entered on the page. */
export function removePromotionCode(ctx: EngineCtx, s: CheckoutSession): void {
  const priv = ctx.store.c('_checkout_session').require(s.id, 'session');
  if (s.status !== 'open' || priv.promotionCode === undefined) return;
  priv.discountCoupons = [];
  priv.promotionCode = undefined;
  s.discounts = [];
  s.amount_total = s.amount_subtotal;
  if (s.total_details) s.total_details.amount_discount = 0;
}

/** Counts the redemption of the session's coupon and promotion code once it completes. */
function redeemDiscount(ctx: EngineCtx, s: CheckoutSession): void {
  const priv = ctx.store.c('_checkout_session').get(s.id);
  if (priv === undefined || priv.discountCoupons.length === 0) return;
  // Subscriptions redeem their coupon or promotion code through the billing engine; payments here.
  if (s.mode !== 'payment') return;
  const coupon = ctx.store.c('coupon').get(priv.discountCoupons[0]!);
  if (coupon) coupon.times_redeemed += 1;
  const promo = priv.promotionCode ? ctx.store.c('promotion_code').get(priv.promotionCode) : undefined;
  if (promo) promo.times_redeemed += 1;
}

function emptyInvoiceData(): NonNullable<CheckoutSession['invoice_creation']>['invoice_data'] {
  return {
    account_tax_ids: null,
    custom_fields: null,
    description: null,
    footer: null,
    issuer: null,
    metadata: null,
    rendering_options: null,
  };
}

/**
 * When the earliest open session falls due, as of the last scan, and how many sessions the collection
 * held then: until that moment, with no session added or removed behind the scan's back, there is
 * nothing to expire and no scan is needed (a scan walks every session ever created). Forgotten on a
 * reset or a restore.
 */
interface NextDue {
  at: number;
  size: number;
}
const nextDue = new WeakMap<App, NextDue>();

/** A session `create` just stored: it may fall due before every other open one. */
function noteOpenSession(ctx: EngineCtx, size: number, expiresAt: number): void {
  const due = nextDue.get(ctx.app);
  if (due === undefined || due.size !== size - 1) return; // the next call scans anyway
  due.size = size;
  if (expiresAt < due.at) due.at = expiresAt;
}

/** Expires open sessions whose `expires_at` has passed on the emulator clock (run before each call). */
export function expireDueSessions(ctx: EngineCtx): void {
  const now = ctx.now();
  const sessions = ctx.store.c('checkout.session');
  const due = nextDue.get(ctx.app);
  if (due !== undefined && due.size === sessions.size && now < due.at) return;
  // Expiry is Stripe's own doing, not the caller's request: its events carry no request id.
  const sys = engineCtx(ctx.app);
  let at = Number.POSITIVE_INFINITY;
  for (const s of sessions.values()) {
    if (s.status !== 'open') continue;
    if (s.expires_at <= now) expireSession(sys, s);
    else if (s.expires_at < at) at = s.expires_at;
  }
  if (due === undefined) {
    nextDue.set(ctx.app, { at, size: sessions.size });
    ctx.app.resetHooks.push(() => nextDue.delete(ctx.app));
  } else {
    due.at = at;
    due.size = sessions.size;
  }
}

function expireSession(ctx: EngineCtx, s: CheckoutSession): CheckoutSession {
  if (s.status !== 'open') {
    throw stateError(
      `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${s.status}".`,
      'checkout_session_unexpected_state',
    );
  }
  const piId = typeof s.payment_intent === 'string' ? s.payment_intent : s.payment_intent?.id;
  const pi = piId ? ctx.store.c('payment_intent').get(piId) : undefined;
  if (pi && pi.status !== 'succeeded' && pi.status !== 'canceled') cancelPaymentIntent(ctx, pi, 'abandoned');
  s.status = 'expired';
  s.url = null;
  ctx.emit('checkout.session.expired', s);
  return s;
}

/** The session in the URL's path (404 `resource_missing`, param `session`). */
function requireSession(ctx: EngineCtx, id: string): CheckoutSession {
  expireDueSessions(ctx);
  return ctx.store.c('checkout.session').require(id, 'session', 404);
}

function customerDetails(
  email: string | null,
  pm: { billing_details: { name: string | null; address: Stripe.Address | null; phone: string | null } },
): NonNullable<CheckoutSession['customer_details']> {
  return {
    address: pm.billing_details.address,
    business_name: null,
    email,
    individual_name: null,
    name: pm.billing_details.name,
    phone: pm.billing_details.phone,
    tax_exempt: 'none',
    tax_ids: [],
  };
}

/** Bank debits a session accepts: the mandate is collected by the page, as Stripe's Checkout does. */
const CHECKOUT_MANDATE: MandateInput = {
  type: 'online',
  acceptedAt: undefined,
  online: { ip_address: '127.0.0.1', user_agent: 'paydesk-emulator Checkout' },
};

/**
 * `allowed_payment_method_types` (default `card`): the ones the emulator can charge, each in a currency
 * it takes (`sepa_debit` in eur, `us_bank_account` in usd).
 */
function readPaymentMethodTypes(p: Params, currency: string | null): string[] {
  // `payment_method_types`: the pre-2026 name, which the Stripe CLI's fixtures still send.
  const name =
    p.allowed_payment_method_types !== undefined ? 'allowed_payment_method_types' : 'payment_method_types';
  const types = strArr(p, name);
  if (types === undefined) return ['card'];
  for (const [i, t] of types.entries()) {
    if (!(PAYMENT_METHOD_TYPES as readonly string[]).includes(t)) {
      throw invalidRequest(
        `The payment method type "${t}" is not supported by the emulator (only ${PAYMENT_METHOD_TYPES.join(', ')}).`,
        `${name}[${i}]`,
      );
    }
    const only = BANK_CURRENCY[t as BankDebitType];
    if (only !== undefined && currency !== null && currency !== only) {
      throw invalidRequest(
        `The payment method type ${t} only supports the following currencies: ${only}; this session is in ${currency}.`,
        `${name}[${i}]`,
      );
    }
  }
  return types;
}

/** A bank debit's outcome reaches a session completed as `unpaid` (`checkout.session.async_payment_*`). */
function settleAsync(ctx: EngineCtx, pi: PaymentIntent, outcome: 'succeeded' | 'failed'): void {
  const ch = pi.latest_charge ? ctx.store.c('charge').get(String(pi.latest_charge)) : undefined;
  const type = ch?.payment_method_details?.type;
  if (type !== 'sepa_debit' && type !== 'us_bank_account') return;
  const s = sessionOfPaymentIntent(ctx.app, pi.id);
  if (s === undefined || s.status !== 'complete' || s.payment_status !== 'unpaid') return;
  if (outcome === 'succeeded') {
    s.payment_status = 'paid';
    ctx.emit('checkout.session.async_payment_succeeded', s);
  } else ctx.emit('checkout.session.async_payment_failed', s);
}

/** Completes a paid/set-up session: status, payment_status and `checkout.session.completed`. */
function complete(
  ctx: EngineCtx,
  s: CheckoutSession,
  paymentStatus: CheckoutSession['payment_status'],
): void {
  if (s.status !== 'open') return;
  s.status = 'complete';
  s.payment_status = paymentStatus;
  s.url = null;
  redeemDiscount(ctx, s);
  ctx.emit('checkout.session.completed', s);
}

/**
 * The hosted page's confirm (`POST /v1/payment_pages/:session/confirm`): pays or sets up the session
 * with a payment method, as the Stripe CLI and the hosted page do.
 */
export function confirmSession(
  ctx: EngineCtx,
  s: CheckoutSession,
  params: {
    payment_method: string;
    expected_amount?: number | undefined;
    email?: string | undefined;
    /** Where the 3-D Secure page sends the customer back to (the hosted page's return route). */
    return_url?: string | undefined;
  },
): CheckoutSession {
  if (s.status !== 'open') {
    throw stateError(
      `This Checkout Session is no longer active (status: ${s.status}).`,
      'checkout_session_unexpected_state',
    );
  }
  if (
    params.expected_amount !== undefined &&
    s.mode !== 'setup' &&
    params.expected_amount !== s.amount_total
  ) {
    throw invalidRequest(
      `The expected_amount (${params.expected_amount}) does not match the amount due (${s.amount_total}).`,
      'expected_amount',
    );
  }
  const priv = ctx.store.c('_checkout_session').require(s.id, 'session');
  const pm = resolvePaymentMethod(ctx, params.payment_method, 'payment_method');
  // A card on a session that offers only bank debits (the Stripe CLI's
  // checkout.session.async_payment_succeeded fixture pays so) is taken, and reported as the delayed
  // payment the session expects: completed `unpaid`, then `async_payment_succeeded`.
  const cardForDelayed =
    pm.type === 'card' &&
    s.mode === 'payment' &&
    s.payment_method_types.every((t) => BANK_CURRENCY[t as BankDebitType] !== undefined);
  if (!cardForDelayed && !s.payment_method_types.includes(String(pm.type))) {
    throw invalidRequest(
      `This Checkout Session does not accept ${pm.type} payment methods (it accepts ${s.payment_method_types.join(', ')}).`,
      'payment_method',
    );
  }
  const bank = bankTypeOf(pm) !== undefined;
  const email = params.email ?? s.customer_email ?? pm.billing_details.email;
  let customerId = typeof s.customer === 'string' ? s.customer : (s.customer?.id ?? null);
  const needsCustomer =
    s.mode !== 'payment' ||
    s.customer_creation === 'always' ||
    priv.paymentIntentData.setup_future_usage !== undefined;
  if (customerId === null && needsCustomer) {
    const now = ctx.now();
    const c = {
      id: newId('cus', 14),
      object: 'customer' as const,
      address: pm.billing_details.address,
      balance: 0,
      created: now,
      currency: null,
      default_source: null,
      delinquent: false,
      description: null,
      discount: null,
      email,
      invoice_prefix: newSecret('x', 8).slice(2).toUpperCase(),
      invoice_settings: {
        custom_fields: null,
        default_payment_method: null,
        footer: null,
        rendering_options: null,
      },
      livemode: false,
      metadata: EMPTY_METADATA,
      name: pm.billing_details.name,
      next_invoice_sequence: 1,
      phone: pm.billing_details.phone,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none' as const,
      test_clock: null,
    };
    ctx.store.c('customer').insert(c);
    ctx.emit('customer.created', c);
    customerId = c.id;
    s.customer = c.id;
    priv.createdCustomer = true;
  }
  s.customer_details = customerDetails(email, pm);
  if (s.mode === 'payment') {
    // A retry after a decline or a failed 3-D Secure confirms the session's payment intent again.
    const previous =
      typeof s.payment_intent === 'string' ? ctx.store.c('payment_intent').get(s.payment_intent) : undefined;
    if (previous !== undefined && previous.status === 'requires_payment_method') {
      if (customerId !== null && previous.customer === null) previous.customer = customerId;
      previous.receipt_email = email;
      confirmPaymentIntentInternal(ctx, previous, {
        payment_method: pm.id,
        return_url: params.return_url,
        ...(bank ? { mandate_data: CHECKOUT_MANDATE } : {}),
      });
      if (previous.status === 'requires_payment_method' && previous.last_payment_error) {
        throw sessionDecline(previous);
      }
      if (previous.status === 'succeeded') complete(ctx, s, 'paid');
      else if (previous.status === 'requires_capture' || previous.status === 'processing')
        complete(ctx, s, 'unpaid');
      return s;
    }
    const pi = createPaymentIntentInternal(ctx, {
      amount: s.amount_total ?? 0,
      currency: s.currency ?? 'usd',
      customer: customerId,
      payment_method: pm.id,
      confirm: true,
      description: priv.paymentIntentData.description,
      metadata: priv.paymentIntentData.metadata,
      shipping: priv.paymentIntentData.shipping,
      capture_method: priv.paymentIntentData.capture_method,
      setup_future_usage: priv.paymentIntentData.setup_future_usage,
      payment_method_types: cardForDelayed ? ['card'] : s.payment_method_types,
      receipt_email: email,
      return_url: params.return_url,
      ...(bank ? { mandate_data: CHECKOUT_MANDATE } : {}),
    });
    s.payment_intent = pi.id;
    // Paid now, or later through the payment intent listener (after 3-D Secure).
    if (pi.status === 'requires_payment_method' && pi.last_payment_error) throw sessionDecline(pi);
    if (pi.status === 'succeeded' && cardForDelayed) {
      complete(ctx, s, 'unpaid');
      s.payment_status = 'paid';
      ctx.emit('checkout.session.async_payment_succeeded', s);
    } else if (pi.status === 'succeeded') complete(ctx, s, 'paid');
    // Captured later, or a bank debit still processing: `async_payment_succeeded|failed` follows.
    else if (pi.status === 'requires_capture' || pi.status === 'processing') complete(ctx, s, 'unpaid');
    return s;
  }
  if (s.mode === 'setup') {
    const si = createSetupIntentInternal(ctx, {
      customer: customerId,
      payment_method: pm.id,
      confirm: true,
      usage: 'off_session',
      payment_method_types: s.payment_method_types,
      return_url: params.return_url,
      ...(bank ? { mandate_data: CHECKOUT_MANDATE } : {}),
    });
    s.setup_intent = si.id;
    if (si.status === 'succeeded') complete(ctx, s, 'no_payment_required');
    return s;
  }
  if (bank) {
    throw invalidRequest(
      `The emulator takes ${pm.type} in Checkout's payment and setup modes only.`,
      'payment_method',
    );
  }
  // Subscription mode: the billing engine creates and charges the subscription, on-session. A decline
  // leaves nothing behind (as `error_if_incomplete`); a card that asks for 3-D Secure leaves the
  // subscription incomplete, its first payment waiting for the challenge (as Stripe's Checkout does).
  const full = asCtx(ctx);
  const pending = priv.pendingSubscription
    ? ctx.store.c('subscription').get(priv.pendingSubscription)
    : undefined;
  if (pending !== undefined && pending.status === 'incomplete') {
    attachPaymentMethod(ctx, pm, customerId!);
    const before = structuredClone(pending);
    pending.default_payment_method = pm.id;
    ctx.emit('customer.subscription.updated', pending, diffPrevious(before, pending));
    const inv = ctx.store.c('invoice').require(String(pending.latest_invoice), 'invoice');
    attemptPayment(full, inv, {
      paymentMethod: pm.id,
      offSession: false,
      automatic: false,
      throwOnDecline: false,
    });
    const pi = firstPaymentIntent(ctx, inv.id);
    if (pi !== undefined) {
      setReturnUrl(ctx, pi, params.return_url);
      if (pi.status === 'requires_payment_method' && pi.last_payment_error) throw sessionDecline(pi);
    }
    settleCheckoutSession(ctx, s);
    return s;
  }
  attachPaymentMethod(ctx, pm, customerId!);
  const sub = withRollback(full, () => {
    const subParams: Params = {
      customer: customerId!,
      default_payment_method: pm.id,
      payment_behavior: 'allow_incomplete',
      items: priv.lineItems.map((li) => ({ price: li.price!.id, quantity: String(li.quantity ?? 1) })),
      metadata: priv.subscriptionData.metadata,
    };
    if (priv.subscriptionData.trial_period_days !== undefined) {
      subParams.trial_period_days = String(priv.subscriptionData.trial_period_days);
    }
    if (priv.subscriptionData.description !== null) subParams.description = priv.subscriptionData.description;
    // The subscription redeems the session's promotion code itself (its discount names the code).
    if (priv.promotionCode !== undefined) subParams.discounts = [{ promotion_code: priv.promotionCode }];
    else if (priv.discountCoupons.length > 0)
      subParams.discounts = priv.discountCoupons.map((coupon) => ({ coupon }));
    const created = createSubscriptionInternal(full, subParams);
    if (created.status === 'incomplete') {
      const pi = created.latest_invoice ? firstPaymentIntent(ctx, String(created.latest_invoice)) : undefined;
      if (pi === undefined || pi.status !== 'requires_action') {
        throw pi?.last_payment_error
          ? sessionDecline(pi)
          : stateError('The first payment did not go through.');
      }
    }
    return created;
  });
  priv.pendingSubscription = sub.id;
  const inv = sub.latest_invoice ? ctx.store.c('invoice').get(String(sub.latest_invoice)) : undefined;
  const pi = inv ? firstPaymentIntent(ctx, inv.id) : undefined;
  if (pi !== undefined) setReturnUrl(ctx, pi, params.return_url);
  settleCheckoutSession(ctx, s);
  return s;
}

/** The payment intent of an invoice (a subscription's first payment). */
function firstPaymentIntent(ctx: EngineCtx, invoiceId: string): PaymentIntent | undefined {
  const inv = ctx.store.c('invoice').get(invoiceId);
  if (inv === undefined) return undefined;
  const piId = invoiceState(asCtx(ctx), inv).payment_intent;
  return piId ? ctx.store.c('payment_intent').get(piId) : undefined;
}

/** Sends the 3-D Secure page back to the hosted page (an invoice's intent has no return_url of its own). */
function setReturnUrl(ctx: EngineCtx, pi: PaymentIntent, url: string | undefined): void {
  if (url === undefined || pi.status !== 'requires_action') return;
  const priv = ctx.store.c('_payment_intent').get(pi.id);
  if (priv) priv.returnUrl = url;
}

/**
 * Completes an open session whose payment or setup went through after the confirm call returned
 * (3-D Secure completed on the challenge page): payment intent succeeded, setup intent succeeded, or
 * the pending subscription active (or trialing). Idempotent; the 3-D Secure routes call it.
 */
export function settleCheckoutSession(ctx: EngineCtx, s: CheckoutSession): void {
  if (s.status !== 'open') return;
  if (s.mode === 'payment') {
    const pi =
      typeof s.payment_intent === 'string' ? ctx.store.c('payment_intent').get(s.payment_intent) : undefined;
    if (pi?.status === 'succeeded') complete(ctx, s, 'paid');
    else if (pi?.status === 'requires_capture') complete(ctx, s, 'unpaid');
    return;
  }
  if (s.mode === 'setup') {
    const si =
      typeof s.setup_intent === 'string' ? ctx.store.c('setup_intent').get(s.setup_intent) : undefined;
    if (si?.status === 'succeeded') complete(ctx, s, 'no_payment_required');
    return;
  }
  const priv = ctx.store.c('_checkout_session').get(s.id);
  const sub = priv?.pendingSubscription
    ? ctx.store.c('subscription').get(priv.pendingSubscription)
    : undefined;
  if (sub === undefined || (sub.status !== 'active' && sub.status !== 'trialing')) return;
  s.subscription = sub.id;
  s.invoice = typeof sub.latest_invoice === 'string' ? sub.latest_invoice : (sub.latest_invoice?.id ?? null);
  const inv = s.invoice ? ctx.store.c('invoice').get(s.invoice) : undefined;
  complete(ctx, s, inv && inv.amount_due > 0 ? 'paid' : 'no_payment_required');
}

/** The open session an intent (payment or setup, or a subscription's first payment) belongs to. */
export function sessionOfIntent(app: App, intentId: string): CheckoutSession | undefined {
  const sessions = app.store.c('checkout.session');
  const direct = sessions.find((s) => s.payment_intent === intentId || s.setup_intent === intentId);
  if (direct) return direct;
  const link = app.store.c('_invoice_by_pi').get(intentId);
  const inv = link ? app.store.c('invoice').get(link.invoice) : undefined;
  const subId = inv ? subscriptionOf(inv) : null;
  if (!subId) return undefined;
  const priv = app.store.c('_checkout_session').find((p) => p.pendingSubscription === subId);
  return priv ? sessions.get(priv.id) : undefined;
}

/** The billing engine takes a full request context; outside a request this builds a neutral one. */
function asCtx(ctx: EngineCtx): Ctx {
  if ('params' in ctx) return ctx as Ctx;
  return {
    ...ctx,
    clock: ctx.app.clock,
    method: 'POST',
    path: '',
    params: {},
    args: {},
    requestId: newId('req', 14),
    apiKey: '',
    idempotencyKey: null,
  };
}

function sessionDecline(pi: PaymentIntent): StripeError {
  const e = pi.last_payment_error!;
  return new StripeError({
    status: 402,
    type: 'card_error',
    code: e.code === undefined ? undefined : String(e.code),
    declineCode: e.decline_code,
    message: e.message ?? 'Your card was declined.',
    extra: { payment_intent: structuredClone(pi) },
  });
}

/** Which session, if any, a payment intent pays. */
function sessionOfPaymentIntent(app: App, piId: string): CheckoutSession | undefined {
  return app.store.c('checkout.session').find((s) => s.payment_intent === piId);
}

onPaymentIntent('succeeded', (ctx, pi) => {
  const s = sessionOfPaymentIntent(ctx.app, pi.id);
  if (s && s.status === 'open' && s.mode === 'payment') complete(ctx, s, 'paid');
  else settleAsync(ctx, pi, 'succeeded');
});
onPaymentIntent('failed', (ctx, pi) => settleAsync(ctx, pi, 'failed'));

// ---------------------------------------------------------------------------------------------
// HTTP

function list(ctx: Ctx) {
  expireDueSessions(ctx);
  const p = ctx.params;
  const customer = str(p, 'customer');
  const pi = str(p, 'payment_intent');
  const sub = str(p, 'subscription');
  const link = str(p, 'payment_link');
  const status = oneOf(p, 'status', ['open', 'complete', 'expired'] as const);
  const created = rangeFilter(p, 'created');
  return paginate(
    ctx.store.c('checkout.session'),
    p,
    '/v1/checkout/sessions',
    allOf<CheckoutSession>(
      customer !== undefined && ((s) => s.customer === customer),
      pi !== undefined && ((s) => s.payment_intent === pi),
      sub !== undefined && ((s) => s.subscription === sub),
      link !== undefined && ((s) => s.payment_link === link),
      status !== undefined && ((s) => s.status === status),
      created && ((s) => created(s.created)),
    ),
  );
}

/** The payment page object the hosted page and the Stripe CLI read (not a documented SDK type). */
function paymentPage(ctx: EngineCtx, s: CheckoutSession) {
  const priv = ctx.store.c('_checkout_session').require(s.id, 'session');
  return {
    id: s.id,
    object: 'checkout.payment_page',
    session_id: s.id,
    mode: s.mode,
    status: s.status,
    payment_status: s.payment_status,
    currency: s.currency,
    amount_total: s.amount_total,
    customer_email: s.customer_email,
    success_url: s.success_url,
    cancel_url: s.cancel_url,
    expires_at: s.expires_at,
    url: s.url,
    line_items: {
      object: 'list',
      data: priv.lineItems,
      has_more: false,
      url: `/v1/checkout/sessions/${s.id}/line_items`,
    },
  };
}

export const checkoutSessions = defineResource('checkout_sessions', (api) => {
  api.label('checkout.session', 'checkout.session');
  api.post('/v1/checkout/sessions', create);
  api.get('/v1/checkout/sessions', list);
  api.get('/v1/checkout/sessions/:id', (ctx) => requireSession(ctx, ctx.args.id!));
  api.post('/v1/checkout/sessions/:id', (ctx) => {
    const s = requireSession(ctx, ctx.args.id!);
    s.metadata = applyMetadata(s.metadata, ctx.params);
    return s;
  });
  api.post('/v1/checkout/sessions/:id/expire', (ctx) =>
    expireSession(ctx, requireSession(ctx, ctx.args.id!)),
  );
  api.get('/v1/checkout/sessions/:id/line_items', (ctx) => {
    const s = requireSession(ctx, ctx.args.id!);
    const priv = ctx.store.c('_checkout_session').require(s.id, 'session');
    return paginateArray(priv.lineItems, ctx.params, `/v1/checkout/sessions/${s.id}/line_items`);
  });
  api.get('/v1/payment_pages/:id', (ctx) => paymentPage(ctx, requireSession(ctx, ctx.args.id!)), {
    publishable: true,
  });
  api.post(
    '/v1/payment_pages/:id/confirm',
    (ctx) => {
      const s = requireSession(ctx, ctx.args.id!);
      confirmSession(ctx, s, {
        payment_method: reqStr(ctx.params, 'payment_method'),
        expected_amount:
          s.mode === 'setup' ? int(ctx.params, 'expected_amount') : reqInt(ctx.params, 'expected_amount'),
        email: str(ctx.params, 'email'),
      });
      return paymentPage(ctx, s);
    },
    { publishable: true },
  );
  api.expandable('checkout.session', 'customer', (id) => api.store.c('customer').get(id));
  api.expandable('checkout.session', 'payment_intent', (id) => api.store.c('payment_intent').get(id));
  api.expandable('checkout.session', 'setup_intent', (id) => api.store.c('setup_intent').get(id));
  api.expandable('checkout.session', 'subscription', (id) => api.store.c('subscription').get(id));
  api.expandable('checkout.session', 'invoice', (id) => api.store.c('invoice').get(id));
  api.includable('checkout.session', 'line_items', (s) => {
    const priv = api.store.c('_checkout_session').get(String(s.id));
    return {
      object: 'list',
      data: priv?.lineItems ?? [],
      has_more: false,
      url: `/v1/checkout/sessions/${String(s.id)}/line_items`,
    };
  });
});
