import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { cardError, invalidRequest, missingParam, StripeError } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import type { Params } from '../core/form.js';
import { newId } from '../core/ids.js';
import { paginate, paginateArray } from '../core/list.js';
import { applyMetadata, EMPTY_METADATA } from '../core/metadata.js';
import { int, obj, oneOf, reqStr, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { cardTokensEndOfLife } from './common/account.js';
import type { EngineCtx } from './common/engine.js';
import type { Customer } from './customers.js';
import { declineError, type PaymentMethod, typedTestCard } from './payment-methods.js';
import { cardByNumber, cardByToken, fingerprint, type TestCard } from './test-cards.js';

/**
 * The legacy card surface: card tokens (`POST /v1/tokens`, the `tok_*` test tokens) and card sources
 * (`card_…`) saved on a customer (`POST /v1/customers/:id/sources`, a customer's `default_source`).
 * Legacy charges (`resources/charges.ts`, "Legacy charges") are made from these.
 */
export type Card = Wire<Stripe.Card>;
export type Token = Wire<Stripe.Token>;

declare module '../core/store.js' {
  interface CollectionTypes {
    card: Card;
    token: Token;
  }
}

const BRANDS: Record<TestCard['brand'], string> = {
  visa: 'Visa',
  mastercard: 'MasterCard',
  amex: 'American Express',
  discover: 'Discover',
  diners: 'Diners Club',
  jcb: 'JCB',
  unionpay: 'UnionPay',
};

interface CardDetails {
  exp: { month: number; year: number };
  cvcChecked: boolean;
  name?: string | null;
  address?: Partial<Record<'city' | 'country' | 'line1' | 'line2' | 'state' | 'zip', string | null>>;
}

/** A new `card_…` for a test card, stored with its number (not yet any customer's). */
function insertCard(ctx: EngineCtx, test: TestCard, details: CardDetails): Card {
  const a = details.address ?? {};
  const card: Card = {
    id: newId('card'),
    object: 'card',
    address_city: a.city ?? null,
    address_country: a.country ?? null,
    address_line1: a.line1 ?? null,
    address_line1_check: a.line1 ? 'pass' : null,
    address_line2: a.line2 ?? null,
    address_state: a.state ?? null,
    address_zip: a.zip ?? null,
    address_zip_check: a.zip ? 'pass' : null,
    brand: BRANDS[test.brand],
    country: test.country,
    customer: null,
    cvc_check: details.cvcChecked ? 'pass' : null,
    dynamic_last4: null,
    exp_month: details.exp.month,
    exp_year: details.exp.year,
    fingerprint: fingerprint(test.number),
    funding: test.funding,
    last4: test.number.slice(-4),
    metadata: EMPTY_METADATA,
    name: details.name ?? null,
    networks: { preferred: null },
    regulated_status: 'unregulated',
    tokenization_method: null,
  };
  ctx.store.c('card').insert(card);
  // The same private record as a card payment method's (payment-methods.ts), so refunds and disputes
  // find the test card behind a legacy charge as they do for a PaymentIntent's.
  ctx.store.c('_card').insert({ id: card.id, number: test.number, offSessionReady: false, source: null });
  return card;
}

/** The expiry Stripe gives the `tok_*` test tokens' cards: a year ahead. */
function testExpiry(ctx: EngineCtx): { month: number; year: number } {
  const d = new Date(ctx.now() * 1000);
  return { month: d.getUTCMonth() + 1, year: d.getUTCFullYear() + 1 };
}

/**
 * A card source seen as a payment method (a card source is its own payment method, `card_…` id): for
 * `insertCharge`, and for PaymentIntents confirmed with a customer's source (invoices charged to the
 * customer's `default_source`).
 */
export function cardAsPaymentMethod(card: Card, created: number): PaymentMethod {
  return {
    id: card.id,
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: {
      address:
        card.address_line1 || card.address_zip || card.address_country
          ? {
              city: card.address_city,
              country: card.address_country,
              line1: card.address_line1,
              line2: card.address_line2,
              postal_code: card.address_zip,
              state: card.address_state,
            }
          : null,
      email: null,
      name: card.name,
      phone: null,
      tax_id: null,
    },
    card: {
      brand: card.brand.toLowerCase().replace('american express', 'amex'),
      checks: {
        address_line1_check: card.address_line1_check,
        address_postal_code_check: card.address_zip_check,
        cvc_check: card.cvc_check,
      },
      country: card.country,
      display_brand: null,
      exp_month: card.exp_month,
      exp_year: card.exp_year,
      fingerprint: card.fingerprint ?? null,
      funding: card.funding,
      generated_from: null,
      last4: card.last4,
      networks: null,
      regulated_status: 'unregulated',
      three_d_secure_usage: null,
      wallet: null,
    },
    created,
    customer: typeof card.customer === 'string' ? card.customer : (card.customer?.id ?? null),
    customer_account: null,
    livemode: false,
    metadata: {},
    type: 'card',
  };
}

/** The test card behind a `card_…`. */
export function testCardOf(ctx: EngineCtx, card: Card): TestCard {
  const number = ctx.store.c('_card').get(card.id)?.number;
  const test = number === undefined ? undefined : cardByNumber(number);
  if (test === undefined)
    throw invalidRequest(`The card ${card.id} has no card the emulator knows.`, 'source');
  return test;
}

/**
 * The card a `source` parameter names, for a charge or a customer: a `tok_*` test token (a fresh
 * card each time, as Stripe), a token from `POST /v1/tokens` (single use), or — with `customer` — one
 * of that customer's `card_…`.
 */
export function cardFromSource(
  ctx: EngineCtx,
  id: string,
  customer: Customer | undefined,
  param = 'source',
): Card {
  if (customer !== undefined) {
    const card = ctx.store.c('card').get(id);
    if (card === undefined || card.customer !== customer.id) {
      throw invalidRequest(
        `Customer ${customer.id} does not have a linked source with ID ${id}.`,
        param,
        'missing',
      );
    }
    return card;
  }
  const magic = cardByToken(id);
  if (magic !== undefined) return insertCard(ctx, magic, { exp: testExpiry(ctx), cvcChecked: true });
  const token = ctx.store.c('token').get(id);
  if (token === undefined || token.card === undefined) {
    throw invalidRequest(`No such token: '${id}'`, param, 'resource_missing');
  }
  if (token.used) {
    throw invalidRequest(`You cannot use a Stripe token more than once: ${id}.`, param, 'token_already_used');
  }
  token.used = true;
  return ctx.store.c('card').require(token.card.id, param);
}

const END_OF_LIFE =
  'Card Token usage on the Customers API and Charges API has reached end of life. In order to continue ' +
  'processing your payments, you will need to use the Payment Intents and Payment Methods API. Read more ' +
  'about what you should do here: https://docs.stripe.com/payments/payment-methods/integration-options. ' +
  'If you need to continue to use Card Tokens on the Customers and Charges API, enable this functionality ' +
  'in your API policies settings: https://dashboard.stripe.com/settings/developers/api-policies';

/** Stripe's 400 for card tokens on the Customers and Charges APIs when the account has them turned off. */
export function checkCardTokensAllowed(ctx: EngineCtx): void {
  if (cardTokensEndOfLife(ctx.app)) throw invalidRequest(END_OF_LIFE);
}

/**
 * Saves a card on a customer (the issuer's check first: the cards that decline on attach refuse) and
 * makes it the default when the customer has none. Emits nothing: see `addCustomerSource`.
 */
export function attachCustomerSource(
  ctx: EngineCtx,
  customer: Customer,
  sourceId: string,
  metadata?: Params,
): Card {
  checkCardTokensAllowed(ctx);
  const card = cardFromSource(ctx, sourceId, undefined);
  const test = testCardOf(ctx, card);
  if (test.declinesOnAttach && test.decline) {
    throw declineError(test.decline);
  }
  card.customer = customer.id;
  if (metadata) card.metadata = applyMetadata(card.metadata, metadata);
  if (customer.default_source === null) customer.default_source = card.id;
  return card;
}

/** `POST /v1/customers/:id/sources`: attach, `customer.source.created`, then `customer.updated` for a first default. */
export function addCustomerSource(
  ctx: EngineCtx,
  customer: Customer,
  sourceId: string,
  metadata?: Params,
): Card {
  const before = structuredClone(customer);
  const card = attachCustomerSource(ctx, customer, sourceId, metadata);
  ctx.emit('customer.source.created', card);
  const prev = diffPrevious(before, customer);
  if (Object.keys(prev).length > 0) ctx.emit('customer.updated', customer, prev);
  return card;
}

/**
 * A `default_source` parameter (customers, invoices, subscriptions): one of the customer's cards,
 * else Stripe's 400 `resource_missing` "No such source: '…'".
 */
export function requireCustomerSource(
  ctx: EngineCtx,
  customerId: string,
  id: string,
  param = 'default_source',
): Card {
  const card = ctx.store.c('card').get(id);
  if (card === undefined || card.customer !== customerId) {
    throw invalidRequest(`No such source: '${id}'`, param, 'resource_missing');
  }
  return card;
}

/**
 * `source` on a customer update: the new card becomes the default and the old default is deleted, as
 * Stripe does (`customer.source.created`, `customer.source.deleted`; the caller emits `customer.updated`).
 */
export function replaceDefaultSource(ctx: EngineCtx, customer: Customer, sourceId: string): Card {
  const old =
    typeof customer.default_source === 'string'
      ? ctx.store.c('card').get(customer.default_source)
      : undefined;
  customer.default_source = null;
  const card = attachCustomerSource(ctx, customer, sourceId);
  ctx.emit('customer.source.created', card);
  if (old !== undefined) {
    old.customer = null;
    ctx.store.c('card').delete(old.id);
    ctx.emit('customer.source.deleted', old);
  }
  return card;
}

function readExpiry(ctx: Ctx, card: Params): { month: number; year: number } {
  const month = int(card, 'exp_month', 'card[exp_month]');
  if (month === undefined) throw missingParam('card[exp_month]');
  const rawYear = int(card, 'exp_year', 'card[exp_year]');
  if (rawYear === undefined) throw missingParam('card[exp_year]');
  const invalid = (what: 'month' | 'year') =>
    cardError(`invalid_expiry_${what}`, undefined, `Your card's expiration ${what} is invalid.`, {
      param: `exp_${what}`,
    });
  if (month < 1 || month > 12) throw invalid('month');
  const year = rawYear < 100 ? 2000 + rawYear : rawYear;
  const now = new Date(ctx.now() * 1000);
  if (year < now.getUTCFullYear() || year > now.getUTCFullYear() + 50) throw invalid('year');
  if (year === now.getUTCFullYear() && month < now.getUTCMonth() + 1) throw invalid('month');
  return { month, year };
}

const RAW_CARD_REFUSED =
  'Sending credit card numbers directly to the Stripe API is generally unsafe. We suggest you use test tokens ' +
  'that map to the test card you are using, see https://stripe.com/docs/testing. To enable raw card data ' +
  'APIs in test mode, see https://support.stripe.com/questions/enabling-access-to-raw-card-data-apis.';

function createToken(ctx: Ctx): Token {
  const p = ctx.params;
  for (const n of ['account', 'bank_account', 'cvc_update', 'person', 'pii'] as const) {
    if (p[n] !== undefined) throw invalidRequest(`The emulator does not support ${n} tokens yet.`, n);
  }
  if (p.card === undefined) throw missingParam('card');
  let card: Card;
  if (typeof p.card === 'string') {
    // `card=card_…` with `customer`: a token for a saved card (Connect's card sharing).
    const customerId = reqStr(p, 'customer');
    const customer = ctx.store.c('customer').require(customerId, 'customer');
    const saved = cardFromSource(ctx, p.card, customer, 'card');
    card = insertCard(ctx, testCardOf(ctx, saved), {
      exp: { month: saved.exp_month, year: saved.exp_year },
      cvcChecked: false,
    });
  } else {
    const c = obj(p, 'card')!;
    // A secret key may not send card numbers (Stripe refuses it for accounts without raw card data
    // access, the default); Stripe.js and the mobile SDKs tokenize with the publishable key.
    if (!ctx.apiKey.startsWith('pk_')) throw invalidRequest(RAW_CARD_REFUSED);
    const number = reqStr(c, 'number', 'card[number]').replace(/[\s-]/g, '');
    const exp = readExpiry(ctx, c);
    const test = typedTestCard(number);
    const cvc = str(c, 'cvc', 'card[cvc]');
    card = insertCard(ctx, test, {
      exp,
      cvcChecked: cvc !== undefined && cvc !== '',
      name: str(c, 'name', 'card[name]') ?? null,
      address: {
        city: str(c, 'address_city', 'card[address_city]') ?? null,
        country: str(c, 'address_country', 'card[address_country]') ?? null,
        line1: str(c, 'address_line1', 'card[address_line1]') ?? null,
        line2: str(c, 'address_line2', 'card[address_line2]') ?? null,
        state: str(c, 'address_state', 'card[address_state]') ?? null,
        zip: str(c, 'address_zip', 'card[address_zip]') ?? null,
      },
    });
  }
  const token: Token = {
    id: newId('tok'),
    object: 'token',
    card,
    client_ip: null,
    created: ctx.now(),
    livemode: false,
    type: 'card',
    used: false,
  };
  ctx.store.c('token').insert(token);
  return token;
}

function requireCustomerCard(ctx: Ctx): { customer: Customer; card: Card } {
  const customer = ctx.store.c('customer').require(ctx.args.id!, 'customer', 404);
  const card = ctx.store.c('card').get(ctx.args.source!);
  if (card === undefined || card.customer !== customer.id) {
    throw new StripeError({
      status: 404,
      type: 'invalid_request_error',
      code: 'resource_missing',
      param: 'id',
      message: `Customer ${customer.id} does not have a linked source with ID ${ctx.args.source}.`,
    });
  }
  return { customer, card };
}

function deleteSource(ctx: Ctx): Stripe.DeletedCard {
  const { customer, card } = requireCustomerCard(ctx);
  card.customer = null;
  ctx.store.c('card').delete(card.id);
  ctx.emit('customer.source.deleted', card);
  if (customer.default_source === card.id) {
    const before = structuredClone(customer);
    // Stripe makes the newest remaining card the default.
    let next: Card | undefined;
    for (const c of ctx.store.c('card').newestFirst()) {
      if (c.customer === customer.id) {
        next = c;
        break;
      }
    }
    customer.default_source = next?.id ?? null;
    ctx.emit('customer.updated', customer, diffPrevious(before, customer));
  }
  return { id: card.id, object: 'card', deleted: true };
}

function updateSource(ctx: Ctx): Card {
  const { card } = requireCustomerCard(ctx);
  const before = structuredClone(card);
  const p = ctx.params;
  const month = int(p, 'exp_month');
  if (month !== undefined) {
    if (month < 1 || month > 12) {
      throw cardError('invalid_expiry_month', undefined, "Your card's expiration month is invalid.", {
        param: 'exp_month',
      });
    }
    card.exp_month = month;
  }
  const year = int(p, 'exp_year');
  if (year !== undefined) card.exp_year = year < 100 ? 2000 + year : year;
  const name = str(p, 'name');
  if (name !== undefined) card.name = name || null;
  for (const f of ['city', 'country', 'line1', 'line2', 'state', 'zip'] as const) {
    const v = str(p, `address_${f}`);
    if (v !== undefined) card[`address_${f}`] = v || null;
  }
  card.metadata = applyMetadata(card.metadata, p);
  const prev = diffPrevious(before, card);
  if (Object.keys(prev).length > 0) ctx.emit('customer.source.updated', card, prev);
  return card;
}

export const tokens = defineResource('tokens', (api) => {
  api.post('/v1/tokens', createToken, { publishable: true });
  api.get('/v1/tokens/:id', (ctx) => ctx.store.c('token').require(ctx.args.id!));
  api.post('/v1/customers/:id/sources', (ctx) => {
    const customer = ctx.store.c('customer').require(ctx.args.id!, 'customer', 404);
    return addCustomerSource(ctx, customer, reqStr(ctx.params, 'source'), ctx.params);
  });
  api.get('/v1/customers/:id/sources', (ctx) => {
    const customer = ctx.store.c('customer').require(ctx.args.id!, 'customer', 404);
    const object = oneOf(ctx.params, 'object', ['card', 'bank_account', 'source'] as const);
    const cards = object === undefined || object === 'card';
    return paginate(
      ctx.store.c('card'),
      ctx.params,
      `/v1/customers/${customer.id}/sources`,
      (c) => cards && c.customer === customer.id,
    );
  });
  api.get('/v1/customers/:id/sources/:source', (ctx) => requireCustomerCard(ctx).card);
  api.post('/v1/customers/:id/sources/:source', updateSource);
  api.del('/v1/customers/:id/sources/:source', deleteSource);
  api.includable('customer', 'sources', (o) => {
    const id = (o as { id: string }).id;
    const cards: Card[] = [];
    for (const c of api.store.c('card').newestFirst()) if (c.customer === id) cards.push(c);
    return paginateArray(cards, {}, `/v1/customers/${id}/sources`);
  });
  api.expandable('card', 'customer', (id) => api.store.c('customer').get(id));
  api.expandable('customer', 'default_source', (id) => api.store.c('card').get(id));
});
