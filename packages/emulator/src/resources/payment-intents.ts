import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { checkPaymentAmount } from '../core/currencies.js';
import { invalidRequest, missingParam, type StripeError, stateError } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import type { Params } from '../core/form.js';
import { newId, newSecret } from '../core/ids.js';
import { allOf, paginate, rangeFilter } from '../core/list.js';
import { applyMetadata, EMPTY_METADATA } from '../core/metadata.js';
import { bool, emptyableStr, int, obj, oneOf, reqInt, reqStr, str, strArr } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { chargeTransaction } from './balance-transactions.js';
import {
  BANK_CURRENCY,
  type BankDebitType,
  bankTypeOf,
  confirmBankDebit,
  type MandateInput,
  readMandateData,
} from './bank-debits.js';
import { insertCharge } from './charges.js';
import { readAddress } from './common/address.js';
import { baseUrl } from './common/base-url.js';
import type { EngineCtx } from './common/engine.js';
import {
  attachPaymentMethod,
  cardOf,
  declineError,
  type PaymentMethod,
  resolvePaymentMethod,
} from './payment-methods.js';
import { AUTHENTICATION_REQUIRED, chargeDecline, type Decline } from './test-cards.js';
import { cardAsPaymentMethod } from './tokens.js';

export type PaymentIntent = Wire<Stripe.PaymentIntent>;

/** Emulator-only state of a payment intent's current confirmation. */
interface PaymentIntentPrivate {
  id: string;
  offSession: boolean;
  returnUrl: string | null;
}

declare module '../core/store.js' {
  interface CollectionTypes {
    payment_intent: PaymentIntent;
    _payment_intent: PaymentIntentPrivate;
  }
}

type CaptureMethod = PaymentIntent['capture_method'];
type SetupFutureUsage = NonNullable<PaymentIntent['setup_future_usage']>;

/** Parameters of `createPaymentIntentInternal` (the POST route reads the same ones from the form). */
export interface CreatePaymentIntentParams {
  amount: number;
  currency: string;
  customer?: string | null | undefined;
  /** A `pm_…` id, or a `pm_card_*` test id (materialised). */
  payment_method?: string | null | undefined;
  confirm?: boolean | undefined;
  off_session?: boolean | undefined;
  setup_future_usage?: SetupFutureUsage | null | undefined;
  description?: string | null | undefined;
  metadata?: Stripe.Metadata | undefined;
  capture_method?: CaptureMethod | undefined;
  confirmation_method?: PaymentIntent['confirmation_method'] | undefined;
  payment_method_types?: string[] | undefined;
  automatic_payment_methods?: { enabled: boolean; allow_redirects?: 'always' | 'never' } | undefined;
  receipt_email?: string | null | undefined;
  shipping?: PaymentIntent['shipping'] | undefined;
  statement_descriptor?: string | null | undefined;
  statement_descriptor_suffix?: string | null | undefined;
  return_url?: string | undefined;
  /** `mandate_data[customer_acceptance]`, for bank debits (sepa_debit, us_bank_account). */
  mandate_data?: MandateInput | undefined;
}

export interface ConfirmPaymentIntentParams {
  mandate_data?: MandateInput | undefined;
  payment_method?: string | null | undefined;
  off_session?: boolean | undefined;
  return_url?: string | undefined;
  setup_future_usage?: SetupFutureUsage | null | undefined;
  /** Stripe.js handles the next action itself (3-D Secure in its modal) even when a return_url is set. */
  use_stripe_sdk?: boolean | undefined;
  /**
   * Billing's off-session attempts (renewals): a card that needs 3-D Secure leaves the intent in
   * `requires_action` for the customer to authenticate later, instead of declining.
   */
  off_session_awaits_action?: boolean | undefined;
}

type Listener = (ctx: EngineCtx, pi: PaymentIntent) => void;

/**
 * Called whenever a payment intent succeeds, fails or needs 3-D Secure — through the API, through the
 * internal functions or through the authenticate control endpoint — after its events are emitted.
 * The billing engine registers here to mark invoices paid or failed. Listeners run synchronously.
 */
export const paymentIntentListeners: {
  succeeded: Listener[];
  failed: Listener[];
  requires_action: Listener[];
} = { succeeded: [], failed: [], requires_action: [] };

/** Typed registration: `onPaymentIntent('succeeded', (ctx, pi) => …)`; returns an unsubscribe. */
export function onPaymentIntent(kind: keyof typeof paymentIntentListeners, fn: Listener): () => void {
  paymentIntentListeners[kind].push(fn);
  return () => {
    const list = paymentIntentListeners[kind];
    const i = list.indexOf(fn);
    if (i !== -1) list.splice(i, 1);
  };
}

function notify(kind: keyof typeof paymentIntentListeners, ctx: EngineCtx, pi: PaymentIntent): void {
  for (const fn of paymentIntentListeners[kind]) fn(ctx, pi);
}

/** Bank debits settle later, on the clock; their outcome reaches the same listeners. */
export function notifyPaymentIntent(
  kind: keyof typeof paymentIntentListeners,
  ctx: EngineCtx,
  pi: PaymentIntent,
): void {
  notify(kind, ctx, pi);
}

/** The payment method types the emulator can charge. */
export const PAYMENT_METHOD_TYPES = ['card', 'sepa_debit', 'us_bank_account'] as const;

/** Stripe refuses a payment method type whose currency the intent isn't in (sepa_debit: eur…). */
function checkTypeCurrency(types: readonly string[], currency: string, param: string): void {
  for (const t of types) {
    const only = BANK_CURRENCY[t as BankDebitType];
    if (only !== undefined && only !== currency) {
      throw invalidRequest(
        `The currency provided (${currency}) is invalid for one or more payment method types on this ` +
          `PaymentIntent. The payment method type ${t} only supports the following currencies: ${only}. ` +
          'Either correct the provided currency, or use a different PaymentIntent to accept this payment method type.',
        param,
      );
    }
  }
}

function checkAmount(amount: number, currency: string, param = 'amount'): void {
  if (amount < 1) throw invalidRequest('This value must be greater than or equal to 1.', param);
  checkPaymentAmount(amount, currency, param);
}

function privateOf(ctx: EngineCtx, pi: PaymentIntent): PaymentIntentPrivate {
  let priv = ctx.store.c('_payment_intent').get(pi.id);
  if (priv === undefined) {
    priv = { id: pi.id, offSession: false, returnUrl: null };
    ctx.store.c('_payment_intent').insert(priv);
  }
  return priv;
}

/**
 * A customer's card source (`card_…`) used as a payment method, as Stripe allows on PaymentIntents
 * (invoices charged to the customer's `default_source`). Undefined for any other id.
 */
function sourcePaymentMethod(ctx: EngineCtx, pi: PaymentIntent, id: string): PaymentMethod | undefined {
  if (!id.startsWith('card_')) return undefined;
  const card = ctx.store.c('card').get(id);
  const customer = typeof pi.customer === 'string' ? pi.customer : (pi.customer?.id ?? null);
  if (card === undefined || customer === null || card.customer !== customer) return undefined;
  return cardAsPaymentMethod(card, ctx.now());
}

/** The payment method a confirmed intent names: a PaymentMethod, or its customer's card source. */
function paymentMethodOf(ctx: EngineCtx, pi: PaymentIntent, id: string): PaymentMethod {
  return sourcePaymentMethod(ctx, pi, id) ?? ctx.store.c('payment_method').require(id, 'payment_method');
}

/** Resolves a payment method for a payment intent, checking it may be used with its customer. */
function usePaymentMethod(ctx: EngineCtx, pi: PaymentIntent, id: string): PaymentMethod {
  const source = sourcePaymentMethod(ctx, pi, id);
  if (source !== undefined) return source;
  const pm = resolvePaymentMethod(ctx, id, 'payment_method');
  const bank = bankTypeOf(pm);
  const allowed = pi.automatic_payment_methods?.enabled
    ? bank === undefined || BANK_CURRENCY[bank] === pi.currency
    : pi.payment_method_types.includes(String(pm.type));
  if (!allowed) {
    throw invalidRequest(
      `The provided PaymentMethod (${pm.type}) is not allowed for this PaymentIntent. Attach a PaymentMethod ` +
        `of one of the following types: ${pi.payment_method_types.join(', ')}, or update the allowed ` +
        `payment_method_types for this PaymentIntent to include "${pm.type}".`,
      'payment_method',
      'payment_intent_incompatible_payment_method',
    );
  }
  if (pm.customer !== null && pm.customer !== pi.customer) {
    throw invalidRequest(
      pi.customer === null
        ? `The provided PaymentMethod ${pm.id} is attached to a customer; pass that customer to use it.`
        : `The provided PaymentMethod ${pm.id} belongs to another customer than this PaymentIntent's.`,
      'payment_method',
    );
  }
  return pm;
}

/**
 * The same logic as `POST /v1/payment_intents`, for other resources (invoices, Checkout). Emits the
 * same events. On confirm it never throws for a decline: the decline is recorded in
 * `last_payment_error`, `payment_intent.payment_failed` is emitted and the listeners are called.
 * Invalid parameters (unknown customer or payment method) still throw.
 */
export function createPaymentIntentInternal(
  ctx: EngineCtx,
  params: CreatePaymentIntentParams,
): PaymentIntent {
  const { pi } = createPaymentIntent(ctx, params);
  return pi;
}

/** The same logic as `POST /v1/payment_intents/:id/confirm`; never throws for a decline. */
export function confirmPaymentIntentInternal(
  ctx: EngineCtx,
  pi: PaymentIntent,
  params: ConfirmPaymentIntentParams = {},
): PaymentIntent {
  confirm(ctx, pi, params);
  return pi;
}

function createPaymentIntent(
  ctx: EngineCtx,
  params: CreatePaymentIntentParams,
): { pi: PaymentIntent; error: StripeError | undefined } {
  const currency = params.currency.toLowerCase();
  checkAmount(params.amount, currency);
  if (params.customer) ctx.store.c('customer').require(params.customer, 'customer');
  if (params.off_session && !params.confirm) {
    throw invalidRequest('off_session can only be used when confirm is true.', 'off_session');
  }
  if (params.payment_method_types && params.automatic_payment_methods) {
    throw invalidRequest(
      'You may only specify one of these parameters: allowed_payment_method_types, automatic_payment_methods.',
      'automatic_payment_methods',
    );
  }
  const automatic = params.payment_method_types
    ? null
    : (params.automatic_payment_methods ?? { enabled: true });
  const id = newId('pi');
  const pi: PaymentIntent = {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: params.payment_method_types ?? null,
    amount: params.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: automatic,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: params.capture_method ?? 'automatic_async',
    client_secret: newSecret(`${id}_secret`, 25),
    confirmation_method: params.confirmation_method ?? 'automatic',
    created: ctx.now(),
    currency,
    customer: params.customer ?? null,
    customer_account: null,
    description: params.description ?? null,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: params.metadata ?? EMPTY_METADATA,
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: {
      card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
    },
    payment_method_types: params.payment_method_types ?? ['card'],
    payment_record: null,
    processing: null,
    receipt_email: params.receipt_email ?? null,
    review: null,
    setup_future_usage: params.setup_future_usage ?? null,
    shipping: params.shipping ?? null,
    source: null,
    statement_descriptor: params.statement_descriptor ?? null,
    statement_descriptor_suffix: params.statement_descriptor_suffix ?? null,
    status: 'requires_payment_method',
    transfer_group: null,
  };
  if (params.payment_method) {
    pi.payment_method = usePaymentMethod(ctx, pi, params.payment_method).id;
    pi.status = 'requires_confirmation';
  }
  ctx.store.c('payment_intent').insert(pi);
  ctx.emit('payment_intent.created', pi);
  let error: StripeError | undefined;
  if (params.confirm) {
    error = confirm(ctx, pi, {
      off_session: params.off_session,
      return_url: params.return_url,
      mandate_data: params.mandate_data,
    });
  }
  return { pi, error };
}

const CONFIRMABLE: readonly PaymentIntent['status'][] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
];

/** Confirms: 3-D Secure, then the charge. Returns the card error for a decline (state already saved). */
function confirm(
  ctx: EngineCtx,
  pi: PaymentIntent,
  params: ConfirmPaymentIntentParams,
): StripeError | undefined {
  if (!CONFIRMABLE.includes(pi.status)) {
    throw stateError(
      `You cannot confirm this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent ` +
        `with one of the following statuses may be confirmed: ${CONFIRMABLE.join(', ')}.`,
      'payment_intent_unexpected_state',
    );
  }
  if (params.payment_method) pi.payment_method = usePaymentMethod(ctx, pi, params.payment_method).id;
  if (params.setup_future_usage !== undefined) pi.setup_future_usage = params.setup_future_usage;
  const pmId = typeof pi.payment_method === 'string' ? pi.payment_method : pi.payment_method?.id;
  if (!pmId) {
    throw stateError(
      "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the " +
        'PaymentIntent with a payment method, pass the payment_method parameter.',
      'payment_intent_unexpected_state',
      'payment_method',
    );
  }
  const pm = paymentMethodOf(ctx, pi, pmId);
  const priv = privateOf(ctx, pi);
  priv.offSession = params.off_session ?? false;
  priv.returnUrl = params.return_url ?? null;
  pi.last_payment_error = null;
  if (bankTypeOf(pm) !== undefined) {
    confirmBankDebit(
      ctx,
      pi,
      pm,
      { mandateData: params.mandate_data, saveForLater: pi.setup_future_usage !== null },
      (m, customer) => attachPaymentMethod(ctx, m, customer),
    );
    return undefined;
  }
  const { card, record } = cardOf(ctx, pm);
  const needs3ds =
    card.threeDSecure === 'always' ||
    (card.threeDSecure === 'until_setup' && !(priv.offSession && record.offSessionReady)) ||
    (card.threeDSecure === 'on_session' && !priv.offSession);
  if (needs3ds) {
    if (priv.offSession && !params.off_session_awaits_action)
      return fail(ctx, pi, pm, AUTHENTICATION_REQUIRED, true);
    pi.status = 'requires_action';
    pi.next_action = nextAction(ctx, pi, params.use_stripe_sdk ? null : priv.returnUrl);
    ctx.emit('payment_intent.requires_action', pi);
    notify('requires_action', ctx, pi);
    return undefined;
  }
  return charge(ctx, pi, pm, false);
}

function nextAction(
  ctx: EngineCtx,
  pi: PaymentIntent,
  returnUrl: string | null,
): PaymentIntent['next_action'] {
  const url = `${baseUrl(ctx.app)}/_emulator/3ds/${pi.id}`;
  if (returnUrl !== null) {
    return { type: 'redirect_to_url', redirect_to_url: { return_url: returnUrl, url } };
  }
  return {
    type: 'use_stripe_sdk',
    // `use_stripe_sdk` is opaque in the SDK's types; Stripe.js reads these fields.
    use_stripe_sdk: {
      type: 'three_d_secure_redirect',
      stripe_js: url,
    } as Stripe.PaymentIntent.NextAction.UseStripeSdk,
  };
}

function isSource(ctx: EngineCtx, pm: PaymentMethod): boolean {
  return pm.id.startsWith('card_') && ctx.store.c('card').get(pm.id) !== undefined;
}

/** A charge made from a card source carries it in `source`, as legacy charges do. */
function withSource(ctx: EngineCtx, ch: ReturnType<typeof insertCharge>, pm: PaymentMethod): void {
  const card = isSource(ctx, pm) ? ctx.store.c('card').get(pm.id) : undefined;
  if (card !== undefined) ch.source = structuredClone(card) as typeof ch.source;
}

/** Charges the card (after 3-D Secure if it ran). Returns the card error for a decline. */
function charge(
  ctx: EngineCtx,
  pi: PaymentIntent,
  pm: PaymentMethod,
  authenticated: boolean,
): StripeError | undefined {
  const { card, record } = cardOf(ctx, pm);
  const decline = chargeDecline(card, pm.card?.checks);
  if (decline) return fail(ctx, pi, pm, decline, true, authenticated);
  const manual = pi.capture_method === 'manual';
  const customer = typeof pi.customer === 'string' ? pi.customer : (pi.customer?.id ?? null);
  // A card source is the customer's already: nothing to attach.
  if (pi.setup_future_usage !== null && customer !== null && !isSource(ctx, pm)) {
    attachPaymentMethod(ctx, pm, customer);
    if (pi.setup_future_usage === 'off_session') record.offSessionReady = true;
  }
  const ch = insertCharge(
    ctx,
    pm,
    card,
    {
      amount: pi.amount,
      currency: pi.currency,
      customer,
      description: pi.description,
      paymentIntent: pi.id,
      receiptEmail: pi.receipt_email,
      statementDescriptor: pi.statement_descriptor,
      capture: !manual,
      authenticated,
      shipping: pi.shipping,
      metadata: pi.metadata,
    },
    { approved: true },
  );
  withSource(ctx, ch, pm);
  pi.latest_charge = ch.id;
  pi.next_action = null;
  pi.last_payment_error = null;
  if (manual) {
    pi.status = 'requires_capture';
    pi.amount_capturable = pi.amount;
    ctx.emit('payment_intent.amount_capturable_updated', pi);
    ctx.emit('charge.succeeded', ch);
    return undefined;
  }
  pi.status = 'succeeded';
  pi.amount_received = pi.amount;
  ctx.emit('payment_intent.succeeded', pi);
  ctx.emit('charge.succeeded', ch);
  notify('succeeded', ctx, pi);
  return undefined;
}

/** Records a failed payment: optional failed charge, `last_payment_error`, events, listeners. */
function fail(
  ctx: EngineCtx,
  pi: PaymentIntent,
  pm: PaymentMethod,
  decline: Decline,
  withCharge: boolean,
  authenticated = false,
): StripeError {
  const { card } = cardOf(ctx, pm);
  const customer = typeof pi.customer === 'string' ? pi.customer : (pi.customer?.id ?? null);
  const ch = withCharge
    ? insertCharge(
        ctx,
        pm,
        card,
        {
          amount: pi.amount,
          currency: pi.currency,
          customer,
          description: pi.description,
          paymentIntent: pi.id,
          receiptEmail: pi.receipt_email,
          statementDescriptor: pi.statement_descriptor,
          capture: false,
          authenticated,
          shipping: pi.shipping,
          metadata: pi.metadata,
        },
        { approved: false, decline },
      )
    : undefined;
  if (ch) {
    withSource(ctx, ch, pm);
    pi.latest_charge = ch.id;
  }
  pi.status = 'requires_payment_method';
  pi.next_action = null;
  pi.payment_method = null;
  pi.last_payment_error = {
    ...(ch ? { charge: ch.id } : {}),
    code: decline.code as Stripe.PaymentIntent.LastPaymentError.Code,
    decline_code: decline.declineCode,
    doc_url: `https://stripe.com/docs/error-codes/${decline.code.replaceAll('_', '-')}`,
    message: decline.message,
    ...(decline.param ? { param: decline.param } : {}),
    payment_method: structuredClone(pm),
    type: 'card_error',
  };
  ctx.emit('payment_intent.payment_failed', pi);
  if (ch) ctx.emit('charge.failed', ch);
  notify('failed', ctx, pi);
  return declineError(decline, {
    ...(ch ? { charge: ch.id } : {}),
    payment_intent: structuredClone(pi),
    payment_method: structuredClone(pm),
  });
}

/**
 * Completes or fails a payment intent's 3-D Secure step (the hosted challenge page and
 * `POST /_emulator/payment_intents/:id/authenticate` call this).
 */
export function authenticatePaymentIntent(
  ctx: EngineCtx,
  pi: PaymentIntent,
  outcome: 'succeed' | 'fail',
): PaymentIntent {
  if (pi.status !== 'requires_action') {
    throw stateError(
      `This PaymentIntent has a status of ${pi.status}; only a PaymentIntent that requires_action can be authenticated.`,
      'payment_intent_unexpected_state',
    );
  }
  const pmId = typeof pi.payment_method === 'string' ? pi.payment_method : pi.payment_method?.id;
  const pm = paymentMethodOf(ctx, pi, pmId ?? '');
  if (outcome === 'succeed') {
    charge(ctx, pi, pm, true);
    return pi;
  }
  pi.status = 'requires_payment_method';
  pi.next_action = null;
  pi.payment_method = null;
  pi.last_payment_error = {
    code: 'payment_intent_authentication_failure',
    doc_url: 'https://stripe.com/docs/error-codes/payment-intent-authentication-failure',
    message:
      'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new ' +
      'PaymentMethod to attempt to fulfill this PaymentIntent again.',
    payment_method: structuredClone(pm),
    type: 'invalid_request_error',
  };
  ctx.emit('payment_intent.payment_failed', pi);
  notify('failed', ctx, pi);
  return pi;
}

// ---------------------------------------------------------------------------------------------
// HTTP

function readShipping(p: Params): PaymentIntent['shipping'] | undefined {
  if (p.shipping === '') return null;
  const s = obj(p, 'shipping');
  if (s === undefined) return undefined;
  return {
    address: readAddress(s, 'address', 'shipping[address]') ?? {
      city: null,
      country: null,
      line1: null,
      line2: null,
      postal_code: null,
      state: null,
    },
    carrier: str(s, 'carrier', 'shipping[carrier]') ?? null,
    name: reqStr(s, 'name', 'shipping[name]'),
    phone: str(s, 'phone', 'shipping[phone]') ?? null,
    tracking_number: str(s, 'tracking_number', 'shipping[tracking_number]') ?? null,
  };
}

const SFU = ['on_session', 'off_session'] as const;

function readSetupFutureUsage(p: Params): SetupFutureUsage | null | undefined {
  if (p.setup_future_usage === '') return null;
  return oneOf(p, 'setup_future_usage', SFU);
}

function readAutomatic(p: Params): CreatePaymentIntentParams['automatic_payment_methods'] {
  const a = obj(p, 'automatic_payment_methods');
  if (a === undefined) return undefined;
  const enabled = bool(a, 'enabled', 'automatic_payment_methods[enabled]');
  if (enabled === undefined) throw missingParam('automatic_payment_methods[enabled]');
  const redirects = oneOf(
    a,
    'allow_redirects',
    ['always', 'never'] as const,
    'automatic_payment_methods[allow_redirects]',
  );
  return redirects ? { enabled, allow_redirects: redirects } : { enabled };
}

/** Stripe asks for a `return_url` when a redirect-capable method could be used on confirm. */
function requireReturnUrl(
  auto: PaymentIntent['automatic_payment_methods'],
  offSession: boolean | undefined,
  returnUrl: string | undefined,
): void {
  if (returnUrl || offSession || !auto?.enabled || auto.allow_redirects === 'never') return;
  throw invalidRequest(
    'This PaymentIntent is configured to accept payment methods enabled in your Dashboard, some of which ' +
      'may require a full page redirect to succeed. If you do not want to accept redirect-based payment ' +
      'methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` ' +
      'to `never` when creating Setup Intents and Payment Intents. If you do want to accept redirect-based ' +
      'payment methods, set the `return_url` parameter when confirming the PaymentIntent.',
    'return_url',
  );
}

function isPublishable(ctx: Ctx): boolean {
  return ctx.apiKey.startsWith('pk_');
}

/** With a publishable key, Stripe.js must present the intent's client secret. */
function checkClientSecret(ctx: Ctx, pi: PaymentIntent): void {
  if (!isPublishable(ctx)) return;
  const secret = str(ctx.params, 'client_secret');
  if (secret === undefined) throw missingParam('client_secret');
  if (secret !== pi.client_secret) {
    throw invalidRequest(
      'The client_secret provided does not match the client_secret associated with the PaymentIntent.',
      'client_secret',
      'payment_intent_invalid_parameter',
    );
  }
}

function requirePi(ctx: Ctx): PaymentIntent {
  return ctx.store.c('payment_intent').require(ctx.args.id!, 'intent', 404);
}

function create(ctx: Ctx): PaymentIntent {
  const p = ctx.params;
  const params: CreatePaymentIntentParams = {
    amount: reqInt(p, 'amount'),
    currency: reqStr(p, 'currency'),
    customer: str(p, 'customer'),
    payment_method: str(p, 'payment_method'),
    confirm: bool(p, 'confirm'),
    off_session: bool(p, 'off_session'),
    setup_future_usage: readSetupFutureUsage(p),
    description: str(p, 'description'),
    metadata: applyMetadata({}, p),
    capture_method: oneOf(p, 'capture_method', ['automatic', 'automatic_async', 'manual'] as const),
    confirmation_method: oneOf(p, 'confirmation_method', ['automatic', 'manual'] as const),
    // `allowed_payment_method_types` since the 2026 API versions; the CLI's fixtures still send the old name.
    payment_method_types: strArr(p, 'allowed_payment_method_types') ?? strArr(p, 'payment_method_types'),
    automatic_payment_methods: readAutomatic(p),
    receipt_email: str(p, 'receipt_email'),
    shipping: readShipping(p),
    statement_descriptor: str(p, 'statement_descriptor'),
    statement_descriptor_suffix: str(p, 'statement_descriptor_suffix'),
    return_url: str(p, 'return_url'),
    mandate_data: readMandateData(p),
  };
  if (params.payment_method_types !== undefined) {
    const typesParam = `${p.allowed_payment_method_types !== undefined ? 'allowed_' : ''}payment_method_types`;
    for (const [i, t] of params.payment_method_types.entries()) {
      if (!(PAYMENT_METHOD_TYPES as readonly string[]).includes(t)) {
        throw invalidRequest(
          `The payment method type "${t}" is invalid or not supported by the emulator ` +
            `(only ${PAYMENT_METHOD_TYPES.join(', ')}).`,
          `${typesParam}[${i}]`,
        );
      }
    }
    checkTypeCurrency(params.payment_method_types, params.currency.toLowerCase(), typesParam);
  }
  if (params.confirm && params.payment_method_types === undefined) {
    requireReturnUrl(
      params.automatic_payment_methods ?? { enabled: true },
      params.off_session,
      params.return_url,
    );
  }
  const { pi, error } = createPaymentIntent(ctx, params);
  if (error) throw error;
  return pi;
}

function retrieve(ctx: Ctx): PaymentIntent {
  const pi = requirePi(ctx);
  checkClientSecret(ctx, pi);
  return pi;
}

const UPDATABLE: readonly PaymentIntent['status'][] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
];

function update(ctx: Ctx): PaymentIntent {
  const pi = requirePi(ctx);
  const p = ctx.params;
  const paymentFields = [
    'amount',
    'currency',
    'customer',
    'payment_method',
    'capture_method',
    'setup_future_usage',
  ];
  if (!UPDATABLE.includes(pi.status) && paymentFields.some((f) => p[f] !== undefined)) {
    throw stateError(
      `You cannot update this PaymentIntent because it has a status of ${pi.status}.`,
      'payment_intent_unexpected_state',
    );
  }
  const currency = str(p, 'currency');
  if (currency !== undefined) pi.currency = currency.toLowerCase();
  const amount = int(p, 'amount');
  if (amount !== undefined) {
    checkAmount(amount, pi.currency);
    pi.amount = amount;
  }
  const customer = emptyableStr(p, 'customer');
  if (customer) ctx.store.c('customer').require(customer, 'customer');
  if (customer !== undefined) pi.customer = customer;
  const pm = emptyableStr(p, 'payment_method');
  if (pm) {
    pi.payment_method = usePaymentMethod(ctx, pi, pm).id;
    pi.status = 'requires_confirmation';
  } else if (pm === null) {
    pi.payment_method = null;
    pi.status = 'requires_payment_method';
  }
  const capture = oneOf(p, 'capture_method', ['automatic', 'automatic_async', 'manual'] as const);
  if (capture !== undefined) pi.capture_method = capture;
  const sfu = readSetupFutureUsage(p);
  if (sfu !== undefined) pi.setup_future_usage = sfu;
  const description = emptyableStr(p, 'description');
  if (description !== undefined) pi.description = description;
  const receipt = emptyableStr(p, 'receipt_email');
  if (receipt !== undefined) pi.receipt_email = receipt;
  const shipping = readShipping(p);
  if (shipping !== undefined) pi.shipping = shipping;
  const sd = emptyableStr(p, 'statement_descriptor');
  if (sd !== undefined) pi.statement_descriptor = sd;
  pi.metadata = applyMetadata(pi.metadata, p);
  // Stripe has no payment_intent.updated event: changes show in the intent's later events.
  return pi;
}

function confirmRoute(ctx: Ctx): PaymentIntent {
  const pi = requirePi(ctx);
  checkClientSecret(ctx, pi);
  const p = ctx.params;
  const offSession = bool(p, 'off_session');
  const returnUrl = str(p, 'return_url');
  // Stripe.js (a publishable key) handles 3-D Secure itself, so card confirmations from the browser
  // need no return_url (confirmCardPayment, or confirmPayment with redirect: 'if_required').
  if (pi.status !== 'requires_action' && !isPublishable(ctx)) {
    requireReturnUrl(pi.automatic_payment_methods, offSession, returnUrl);
  }
  const error = confirm(ctx, pi, {
    payment_method: str(p, 'payment_method'),
    off_session: offSession,
    return_url: returnUrl,
    setup_future_usage: readSetupFutureUsage(p),
    use_stripe_sdk: bool(p, 'use_stripe_sdk'),
    mandate_data: readMandateData(p),
  });
  if (error) throw error;
  return pi;
}

function capture(ctx: Ctx): PaymentIntent {
  const pi = requirePi(ctx);
  if (pi.status !== 'requires_capture') {
    throw stateError(
      `This PaymentIntent could not be captured because it has a status of ${pi.status}. Only a ` +
        'PaymentIntent with one of the following statuses may be captured: requires_capture.',
      'payment_intent_unexpected_state',
    );
  }
  const amount = int(ctx.params, 'amount_to_capture') ?? pi.amount_capturable;
  if (amount > pi.amount_capturable || amount < 1) {
    throw invalidRequest(
      `The amount_to_capture must be between 1 and the amount capturable (${pi.amount_capturable}).`,
      'amount_to_capture',
      'amount_too_large',
    );
  }
  pi.metadata = applyMetadata(pi.metadata, ctx.params);
  const ch = ctx.store.c('charge').require(String(pi.latest_charge), 'charge');
  const before = structuredClone(ch);
  ch.captured = true;
  ch.amount_captured = amount;
  chargeTransaction(ctx, ch, amount);
  // The uncaptured remainder is released; since API version 2025-03-31 (basil) that creates no Refund
  // and leaves `amount_refunded` at 0 and `refunded` false (no `charge.refunded`).
  pi.amount_capturable = 0;
  pi.amount_received = amount;
  pi.status = 'succeeded';
  ctx.emit('payment_intent.succeeded', pi);
  ctx.emit('charge.captured', ch, diffPrevious(before, ch));
  notify('succeeded', ctx, pi);
  return pi;
}

const CANCELABLE: readonly PaymentIntent['status'][] = [
  'requires_payment_method',
  'requires_capture',
  'requires_confirmation',
  'requires_action',
  'processing',
];

/** Cancels a payment intent (route and other resources, e.g. an expiring Checkout Session). */
export function cancelPaymentIntent(
  ctx: EngineCtx,
  pi: PaymentIntent,
  reason: PaymentIntent['cancellation_reason'] = null,
): PaymentIntent {
  if (!CANCELABLE.includes(pi.status)) {
    throw stateError(
      `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent ` +
        `with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
      'payment_intent_unexpected_state',
    );
  }
  // Canceling an uncaptured payment releases the authorization: since API version 2025-03-31 (basil)
  // its charge keeps `amount_captured: 0`, `amount_refunded: 0`, `refunded: false` (no Refund).
  pi.status = 'canceled';
  pi.canceled_at = ctx.now();
  pi.cancellation_reason = reason;
  pi.amount_capturable = 0;
  pi.next_action = null;
  ctx.emit('payment_intent.canceled', pi);
  return pi;
}

function cancel(ctx: Ctx): PaymentIntent {
  const reason = oneOf(ctx.params, 'cancellation_reason', [
    'duplicate',
    'fraudulent',
    'requested_by_customer',
    'abandoned',
  ] as const);
  return cancelPaymentIntent(ctx, requirePi(ctx), reason ?? null);
}

function list(ctx: Ctx) {
  const customer = str(ctx.params, 'customer');
  const created = rangeFilter(ctx.params, 'created');
  return paginate(
    ctx.store.c('payment_intent'),
    ctx.params,
    '/v1/payment_intents',
    allOf<PaymentIntent>(
      customer !== undefined && ((pi) => pi.customer === customer),
      created && ((pi) => created(pi.created)),
    ),
  );
}

export const paymentIntents = defineResource('payment_intents', (api) => {
  api.label('payment_intent', 'payment_intent');
  api.post('/v1/payment_intents', create);
  api.get('/v1/payment_intents', list);
  api.get('/v1/payment_intents/:id', retrieve, { publishable: true });
  api.post('/v1/payment_intents/:id', update);
  api.post('/v1/payment_intents/:id/confirm', confirmRoute, { publishable: true });
  api.post('/v1/payment_intents/:id/capture', capture);
  api.post('/v1/payment_intents/:id/cancel', cancel);
  api.expandable('payment_intent', 'latest_charge', (id) => api.store.c('charge').get(id));
  api.expandable('payment_intent', 'payment_method', (id) => api.store.c('payment_method').get(id));
  api.expandable('payment_intent', 'customer', (id) => api.store.c('customer').get(id));
});
