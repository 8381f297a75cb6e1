import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { cardError, invalidRequest, missingParam, StripeError } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import type { Params } from '../core/form.js';
import { newId } from '../core/ids.js';
import { allOf, paginate, rangeFilter } from '../core/list.js';
import { applyMetadata, EMPTY_METADATA } from '../core/metadata.js';
import { emptyableStr, int, obj, oneOf, reqStr, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { type BankDebitType, createBankPaymentMethod, namedBankPaymentMethod } from './bank-debits.js';
import { readAddress } from './common/address.js';
import type { EngineCtx } from './common/engine.js';
import {
  cardByNumber,
  cardByPaymentMethodName,
  cardByToken,
  type Decline,
  displayBrand,
  fingerprint,
  initialChecks,
  luhnValid,
  type TestCard,
} from './test-cards.js';

export type PaymentMethod = Wire<Stripe.PaymentMethod>;

/** Emulator-only facts about a card payment method. */
export interface CardRecord {
  /** The payment method id. */
  id: string;
  /** The card number it was made from (selects the row in `TEST_CARDS`). */
  number: string;
  /** Set up for off-session use (a setup intent or `setup_future_usage` completed with it). */
  offSessionReady: boolean;
  /** The `pm_card_*`/`tok_*` name it was materialised from, if any. */
  source: string | null;
}

declare module '../core/store.js' {
  interface CollectionTypes {
    payment_method: PaymentMethod;
    _card: CardRecord;
  }
}

const PM_TYPES = ['card', 'sepa_debit', 'us_bank_account'] as const;

export function emptyBillingDetails(): PaymentMethod['billing_details'] {
  return { address: null, email: null, name: null, phone: null, tax_id: null };
}

function readBillingDetails(
  p: Params,
  current: PaymentMethod['billing_details'],
): PaymentMethod['billing_details'] {
  if (p.billing_details === '') return emptyBillingDetails();
  const b = obj(p, 'billing_details');
  if (b === undefined) return current;
  const out = { ...current };
  const address = readAddress(b, 'address', 'billing_details[address]');
  if (address !== undefined) out.address = address;
  for (const f of ['email', 'name', 'phone'] as const) {
    const v = emptyableStr(b, f, `billing_details[${f}]`);
    if (v !== undefined) out[f] = v;
  }
  const tax = str(b, 'tax_id', 'billing_details[tax_id]');
  if (tax !== undefined) out.tax_id = tax || null;
  return out;
}

/** A new card payment method object for a test card (stored, with its private record). */
export function insertCardPaymentMethod(
  ctx: EngineCtx,
  card: TestCard,
  exp: { month: number; year: number },
  options: {
    cvcChecked?: boolean;
    billingDetails?: PaymentMethod['billing_details'];
    metadata?: Stripe.Metadata;
    source?: string;
  } = {},
): PaymentMethod {
  const billingDetails = options.billingDetails ?? emptyBillingDetails();
  // A `pm_card_*` id or `tok_*` token stands for a card entered with its CVC and address.
  const named = options.source !== undefined;
  const pm: PaymentMethod = {
    id: newId('pm'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: billingDetails,
    card: {
      brand: card.brand,
      checks:
        card.checks === undefined
          ? {
              address_line1_check: null,
              address_postal_code_check: null,
              cvc_check: options.cvcChecked ? 'pass' : null,
            }
          : initialChecks(card, {
              cvc: named || options.cvcChecked === true,
              line1: named || Boolean(billingDetails.address?.line1),
              postalCode: named || Boolean(billingDetails.address?.postal_code),
            }),
      country: card.country,
      display_brand: displayBrand(card),
      exp_month: exp.month,
      exp_year: exp.year,
      fingerprint: fingerprint(card.number),
      funding: card.funding,
      generated_from: null,
      last4: card.number.slice(-4),
      networks: { available: card.coBrand ? [card.coBrand, card.brand] : [card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: card.threeDSecureUnsupported !== true },
      wallet: null,
    },
    created: ctx.now(),
    customer: null,
    customer_account: null,
    livemode: false,
    metadata: options.metadata ?? EMPTY_METADATA,
    type: 'card',
  };
  ctx.store.c('payment_method').insert(pm);
  ctx.store
    .c('_card')
    .insert({ id: pm.id, number: card.number, offSessionReady: false, source: options.source ?? null });
  return pm;
}

/** The expiry Stripe gives the `pm_card_*` and `tok_*` test cards: a year ahead. */
function testExpiry(ctx: EngineCtx): { month: number; year: number } {
  const d = new Date(ctx.now() * 1000);
  return { month: d.getUTCMonth() + 1, year: d.getUTCFullYear() + 1 };
}

/**
 * Resolves a payment method id given as a parameter. `pm_card_*` ids (and `tok_*` tokens) materialise
 * a fresh `pm_…`, as Stripe does; other ids must exist (`resource_missing` naming `param`).
 */
export function resolvePaymentMethod(
  ctx: EngineCtx,
  id: string,
  param = 'payment_method',
  /** 404 when the id is the URL path's object. */
  status?: 404,
): PaymentMethod {
  const named = cardByPaymentMethodName(id) ?? cardByToken(id);
  if (named !== undefined) return insertCardPaymentMethod(ctx, named, testExpiry(ctx), { source: id });
  const existing = ctx.store.c('payment_method').get(id);
  if (existing !== undefined) return existing;
  return namedBankPaymentMethod(ctx, id) ?? ctx.store.c('payment_method').require(id, param, status);
}

/** The test card behind a payment method (every emulator card payment method has one). */
export function cardOf(ctx: EngineCtx, pm: PaymentMethod): { card: TestCard; record: CardRecord } {
  const record = ctx.store.c('_card').get(pm.id);
  const card = record && cardByNumber(record.number);
  if (record === undefined || card === undefined) {
    throw invalidRequest(`The payment method ${pm.id} has no card the emulator knows.`, 'payment_method');
  }
  return { card, record };
}

/** A card error for a decline, with the extra members Stripe adds (`payment_method`, …). */
export function declineError(decline: Decline, extra: Record<string, unknown> = {}): StripeError {
  return new StripeError({
    status: 402,
    type: 'card_error',
    code: decline.code,
    declineCode: decline.declineCode,
    message: decline.message,
    param: decline.param,
    extra,
  });
}

/**
 * Attaches a payment method to a customer (as the attach route, setup intents and
 * `setup_future_usage` do): runs the card's attach check, then emits `payment_method.attached`.
 */
export function attachPaymentMethod(ctx: EngineCtx, pm: PaymentMethod, customerId: string): PaymentMethod {
  if (pm.customer === customerId) return pm;
  if (pm.customer !== null) {
    throw invalidRequest(
      'The payment method you provided has already been attached to a customer.',
      'payment_method',
    );
  }
  ctx.store.c('customer').require(customerId, 'customer');
  if (pm.type === 'card') {
    const { card } = cardOf(ctx, pm);
    if (card.declinesOnAttach && card.decline) throw declineError(card.decline);
  }
  pm.customer = customerId;
  ctx.emit('payment_method.attached', pm);
  return pm;
}

/** Detaches, clears the customer's default if it pointed here, emits `payment_method.detached`. */
export function detachPaymentMethod(ctx: EngineCtx, pm: PaymentMethod): PaymentMethod {
  const customerId = pm.customer;
  if (typeof customerId !== 'string') {
    throw invalidRequest(
      'The payment method you provided is not attached to a customer so detachment is impossible.',
      'payment_method',
    );
  }
  const customer = ctx.store.c('customer').get(customerId);
  if (customer && customer.invoice_settings.default_payment_method === pm.id) {
    const before = structuredClone(customer);
    customer.invoice_settings.default_payment_method = null;
    ctx.emit('customer.updated', customer, diffPrevious(before, customer));
  }
  pm.customer = null;
  ctx.emit('payment_method.detached', pm, { customer: customerId });
  return pm;
}

/**
 * For `invoice_settings[default_payment_method]` on a customer: the payment method must exist and be
 * attached to that customer (a `pm_card_*` id is attached first, as Stripe does). Returns its id.
 */
export function defaultPaymentMethodFor(ctx: EngineCtx, customerId: string, id: string): string {
  const param = 'invoice_settings[default_payment_method]';
  const named = cardByPaymentMethodName(id) ?? cardByToken(id);
  let pm: PaymentMethod;
  if (named) {
    // `customers.create({payment_method: 'pm_card_visa', invoice_settings: {default_payment_method:
    // 'pm_card_visa'}})` means the card just attached: reuse the customer's newest one from that name.
    const attached = ctx.store
      .c('payment_method')
      .find((m) => m.customer === customerId && ctx.store.c('_card').get(m.id)?.source === id);
    pm = attached ?? attachPaymentMethod(ctx, resolvePaymentMethod(ctx, id, param), customerId);
  } else pm = ctx.store.c('payment_method').require(id, param);
  if (pm.customer !== customerId) {
    throw invalidRequest(
      `The customer does not have a payment method with the ID ${id}. The payment method must be attached to the customer.`,
      param,
    );
  }
  return pm.id;
}

function readExpiry(card: Params, ctx: Ctx): { month: number; year: number } {
  const month = int(card, 'exp_month', 'card[exp_month]');
  if (month === undefined) throw missingParam('card[exp_month]');
  const rawYear = int(card, 'exp_year', 'card[exp_year]');
  if (rawYear === undefined) throw missingParam('card[exp_year]');
  if (month < 1 || month > 12) {
    throw cardError('invalid_expiry_month', undefined, "Your card's expiration month is invalid.", {
      param: 'exp_month',
    });
  }
  const year = rawYear < 100 ? 2000 + rawYear : rawYear;
  const now = new Date(ctx.now() * 1000);
  const nowYear = now.getUTCFullYear();
  if (year < nowYear || year > nowYear + 50) {
    throw cardError('invalid_expiry_year', undefined, "Your card's expiration year is invalid.", {
      param: 'exp_year',
    });
  }
  if (year === nowYear && month < now.getUTCMonth() + 1) {
    throw cardError('invalid_expiry_month', undefined, "Your card's expiration month is invalid.", {
      param: 'exp_month',
    });
  }
  return { month, year };
}

/**
 * The test card a typed number is (spaces and dashes ignored), else Stripe's refusal: an invalid
 * number is `incorrect_number`, a valid one that is no test card is a live card in test mode.
 */
export function typedTestCard(typed: string): TestCard {
  const number = typed.replace(/[\s-]/g, '');
  const known = cardByNumber(number);
  if (known !== undefined) return known;
  if (!luhnValid(number)) {
    throw cardError('incorrect_number', undefined, 'Your card number is incorrect.', { param: 'number' });
  }
  throw cardError(
    'card_declined',
    'test_mode_live_card',
    'Your card was declined. Your request was in test mode, but used a non test (live) card. ' +
      'For a list of valid test cards, see the test cards in ../shared/stripe/README.md.',
  );
}

/**
 * A card payment method from a card number (`POST /v1/payment_methods` with `card[number]`, and the
 * hosted pages' card forms): a test card, or "incorrect number" / "live card" card errors. The expiry
 * is already checked.
 */
export function createCardPaymentMethod(
  ctx: EngineCtx,
  input: {
    number: string;
    exp: { month: number; year: number };
    cvc: string | undefined;
    billingDetails?: PaymentMethod['billing_details'];
    metadata?: Stripe.Metadata;
  },
): PaymentMethod {
  return insertCardPaymentMethod(ctx, typedTestCard(input.number), input.exp, {
    ...(input.billingDetails ? { billingDetails: input.billingDetails } : {}),
    ...(input.metadata ? { metadata: input.metadata } : {}),
    cvcChecked: input.cvc !== undefined && input.cvc !== '',
  });
}

function create(ctx: Ctx): PaymentMethod {
  const p = ctx.params;
  const type = oneOf(p, 'type', PM_TYPES) ?? (p.card !== undefined ? 'card' : undefined);
  if (type === undefined) throw missingParam('type');
  const billingDetails = readBillingDetails(p, emptyBillingDetails());
  const metadata = applyMetadata({}, p);
  if (type !== 'card') {
    const pm = createBankPaymentMethod(ctx, type satisfies BankDebitType, billingDetails, metadata);
    const redisplay = oneOf(p, 'allow_redisplay', ['always', 'limited', 'unspecified'] as const);
    if (redisplay !== undefined) pm.allow_redisplay = redisplay;
    return pm;
  }
  const card = obj(p, 'card');
  if (card === undefined) throw missingParam('card');
  const token = str(card, 'token', 'card[token]');
  let pm: PaymentMethod;
  if (token !== undefined) {
    const fromToken = cardByToken(token);
    if (fromToken === undefined)
      throw invalidRequest(`No such token: '${token}'`, 'card[token]', 'resource_missing');
    pm = insertCardPaymentMethod(ctx, fromToken, testExpiry(ctx), {
      billingDetails,
      metadata,
      cvcChecked: true,
      source: token,
    });
  } else {
    const number = reqStr(card, 'number', 'card[number]');
    const exp = readExpiry(card, ctx);
    pm = createCardPaymentMethod(ctx, {
      number,
      exp,
      cvc: str(card, 'cvc', 'card[cvc]'),
      billingDetails,
      metadata,
    });
  }
  const redisplay = oneOf(p, 'allow_redisplay', ['always', 'limited', 'unspecified'] as const);
  if (redisplay !== undefined) pm.allow_redisplay = redisplay;
  return pm;
}

function retrieve(ctx: Ctx): PaymentMethod {
  return resolvePaymentMethod(ctx, ctx.args.id!, 'payment_method', 404);
}

function update(ctx: Ctx): PaymentMethod {
  const pm = ctx.store.c('payment_method').require(ctx.args.id!, 'payment_method', 404);
  if (pm.customer === null) {
    throw invalidRequest(
      'You must save this PaymentMethod to a customer before you can update it.',
      'payment_method',
    );
  }
  const before = structuredClone(pm);
  const p = ctx.params;
  pm.billing_details = readBillingDetails(p, pm.billing_details);
  pm.metadata = applyMetadata(pm.metadata, p);
  const redisplay = oneOf(p, 'allow_redisplay', ['always', 'limited', 'unspecified'] as const);
  if (redisplay !== undefined) pm.allow_redisplay = redisplay;
  const card = obj(p, 'card');
  if (card !== undefined && pm.card) {
    const month = int(card, 'exp_month', 'card[exp_month]');
    const year = int(card, 'exp_year', 'card[exp_year]');
    if (month !== undefined) {
      if (month < 1 || month > 12) {
        throw cardError('invalid_expiry_month', undefined, "Your card's expiration month is invalid.", {
          param: 'exp_month',
        });
      }
      pm.card.exp_month = month;
    }
    if (year !== undefined) pm.card.exp_year = year < 100 ? 2000 + year : year;
  }
  const prev = diffPrevious(before, pm);
  if (Object.keys(prev).length > 0) ctx.emit('payment_method.updated', pm, prev);
  return pm;
}

function attach(ctx: Ctx): PaymentMethod {
  const customer = reqStr(ctx.params, 'customer');
  const pm = resolvePaymentMethod(ctx, ctx.args.id!, 'payment_method', 404);
  return attachPaymentMethod(ctx, pm, customer);
}

function detach(ctx: Ctx): PaymentMethod {
  return detachPaymentMethod(ctx, ctx.store.c('payment_method').require(ctx.args.id!, 'payment_method', 404));
}

function listFor(ctx: Ctx, customer: string | undefined, url: string) {
  const type = oneOf(ctx.params, 'type', PM_TYPES);
  const created = rangeFilter(ctx.params, 'created');
  return paginate(
    ctx.store.c('payment_method'),
    ctx.params,
    url,
    allOf<PaymentMethod>(
      customer !== undefined && ((pm) => pm.customer === customer),
      type !== undefined && ((pm) => pm.type === type),
      created && ((pm) => created(pm.created)),
    ),
  );
}

export const paymentMethods = defineResource('payment_methods', (api) => {
  api.label('payment_method', 'PaymentMethod');
  api.post('/v1/payment_methods', create, { publishable: true });
  api.get('/v1/payment_methods', (ctx) => {
    const customer = str(ctx.params, 'customer');
    if (customer !== undefined) ctx.store.c('customer').require(customer, 'customer');
    return listFor(ctx, customer, '/v1/payment_methods');
  });
  api.get('/v1/payment_methods/:id', retrieve);
  api.post('/v1/payment_methods/:id', update);
  api.post('/v1/payment_methods/:id/attach', attach);
  api.post('/v1/payment_methods/:id/detach', detach);
  api.get('/v1/customers/:id/payment_methods', (ctx) => {
    const customer = ctx.args.id!;
    ctx.store.c('customer').require(customer, 'customer');
    return listFor(ctx, customer, `/v1/customers/${customer}/payment_methods`);
  });
  api.get('/v1/customers/:id/payment_methods/:pm', (ctx) => {
    ctx.store.c('customer').require(ctx.args.id!, 'customer', 404);
    const pm = ctx.store.c('payment_method').require(ctx.args.pm!, 'payment_method', 404);
    if (pm.customer !== ctx.args.id) {
      throw invalidRequest(
        `The customer does not have a payment method with the ID ${pm.id}.`,
        'payment_method',
        'resource_missing',
      );
    }
    return pm;
  });
  api.expandable('payment_method', 'customer', (id) => api.store.c('customer').get(id));
  api.expandable('customer', 'invoice_settings.default_payment_method', (id) =>
    api.store.c('payment_method').get(id),
  );
});
