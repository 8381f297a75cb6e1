import type { Ctx } from '../core/context.js';
import { checkPaymentAmount } from '../core/currencies.js';
import { cardError, invalidRequest, missingParam } from '../core/errors.js';
import { applyMetadata } from '../core/metadata.js';
import { bool, int, obj, reqStr, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import { chargeTransaction } from './balance-transactions.js';
import { type Charge, type ChargeOutcome, insertCharge } from './charges.js';
import { disputeTestCharge } from './disputes.js';
import { declineError } from './payment-methods.js';
import { AUTHENTICATION_REQUIRED } from './test-cards.js';
import {
  type Card,
  cardAsPaymentMethod,
  cardFromSource,
  checkCardTokensAllowed,
  testCardOf,
} from './tokens.js';

/**
 * Legacy charges: `POST /v1/charges` from a `source` (a `tok_*` test token, a token from
 * `POST /v1/tokens`, a customer's `card_…`) or a `customer`'s default source, and
 * `POST /v1/charges/:id/capture`. The charge itself is the one PaymentIntents make (`insertCharge`);
 * listing, retrieving and updating are charges.ts's routes.
 */

function readShipping(ctx: Ctx): Charge['shipping'] {
  const s = obj(ctx.params, 'shipping');
  if (s === undefined) return null;
  const a = obj(s, 'address', 'shipping[address]') ?? {};
  const field = (k: string) => str(a, k, `shipping[address][${k}]`) ?? null;
  return {
    address: {
      city: field('city'),
      country: field('country'),
      line1: field('line1'),
      line2: field('line2'),
      postal_code: field('postal_code'),
      state: field('state'),
    },
    carrier: str(s, 'carrier', 'shipping[carrier]') ?? null,
    name: reqStr(s, 'name', 'shipping[name]'),
    phone: str(s, 'phone', 'shipping[phone]') ?? null,
    tracking_number: str(s, 'tracking_number', 'shipping[tracking_number]') ?? null,
  };
}

function create(ctx: Ctx): Charge {
  const p = ctx.params;
  if (p.source !== undefined || p.card !== undefined) checkCardTokensAllowed(ctx);
  // Connect's fields: refused rather than ignored (the emulator has no connected accounts).
  for (const n of [
    'application_fee',
    'application_fee_amount',
    'destination',
    'on_behalf_of',
    'transfer_data',
  ] as const) {
    if (p[n] !== undefined) throw invalidRequest(`The emulator does not support ${n} on charges yet.`, n);
  }
  const amount = int(p, 'amount');
  if (amount === undefined) throw missingParam('amount');
  const currency = str(p, 'currency')?.toLowerCase();
  if (currency === undefined) throw missingParam('currency');
  if (amount < 1) throw invalidRequest('This value must be greater than or equal to 1.', 'amount');
  checkPaymentAmount(amount, currency);
  const customerId = str(p, 'customer');
  const customer =
    customerId === undefined ? undefined : ctx.store.c('customer').require(customerId, 'customer');
  const sourceId = str(p, 'source');
  let card: Card;
  if (sourceId !== undefined) card = cardFromSource(ctx, sourceId, customer);
  else if (customer !== undefined) {
    const def = customer.default_source;
    const found = typeof def === 'string' ? ctx.store.c('card').get(def) : undefined;
    if (found === undefined) {
      const hasPaymentMethod = ctx.store.c('payment_method').find((pm) => pm.customer === customer.id);
      throw cardError(
        'missing',
        undefined,
        hasPaymentMethod
          ? "This Customer doesn't have any legacy saved payment details, but does have a Payment Method " +
              'attached. Use a Payment Intent instead of creating a Charge: ' +
              'https://stripe.com/docs/payments/payment-intents/migration'
          : "This Customer doesn't have any saved payment details. Attach a legacy Token, Card, Bank " +
              'Account, or Source to this Customer and then try this request again, or use Payment ' +
              'Intents and Payment Methods instead.',
        { param: 'card' },
      );
    }
    card = found;
  } else throw invalidRequest('Must provide source or customer.', undefined, 'parameter_missing');
  const test = testCardOf(ctx, card);
  // The Charges API cannot run 3-D Secure: a card that always asks for it is declined.
  const decline = test.decline ?? (test.threeDSecure === 'always' ? AUTHENTICATION_REQUIRED : undefined);
  const outcome: ChargeOutcome = decline ? { approved: false, decline } : { approved: true };
  const charge = insertCharge(
    ctx,
    cardAsPaymentMethod(card, ctx.now()),
    test,
    {
      amount,
      currency,
      customer: customer?.id ?? null,
      description: str(p, 'description') ?? null,
      paymentIntent: null,
      receiptEmail: str(p, 'receipt_email') ?? null,
      statementDescriptor: str(p, 'statement_descriptor') ?? null,
      capture: bool(p, 'capture') ?? true,
      authenticated: false,
      shipping: readShipping(ctx),
      metadata: applyMetadata({}, p),
    },
    outcome,
  );
  charge.source = structuredClone(card) as Charge['source'];
  charge.statement_descriptor_suffix = str(p, 'statement_descriptor_suffix') ?? null;
  charge.transfer_group = str(p, 'transfer_group') ?? null;
  if (decline) {
    ctx.emit('charge.failed', charge);
    throw declineError(decline, { charge: charge.id });
  }
  ctx.emit('charge.succeeded', charge);
  // The dispute test cards (tok_createDispute…): the cardholder disputes the payment at once.
  if (charge.captured) disputeTestCharge(ctx, charge, test);
  return charge;
}

function capture(ctx: Ctx): Charge {
  const ch = ctx.store.c('charge').require(ctx.args.id!, 'charge', 404);
  if (ch.captured) {
    throw invalidRequest(`Charge ${ch.id} has already been captured.`, undefined, 'charge_already_captured');
  }
  if (ch.status === 'failed') {
    throw invalidRequest(
      `Charge ${ch.id} has failed and cannot be captured.`,
      undefined,
      'charge_not_capturable',
    );
  }
  if (ch.payment_intent !== null) {
    throw invalidRequest(
      `This uncaptured Charge was created by a PaymentIntent (${ch.payment_intent}). You must capture the ` +
        'PaymentIntent instead. For more information, see ' +
        'https://stripe.com/docs/payments/place-a-hold-on-a-payment-method',
    );
  }
  const p = ctx.params;
  const amount = int(p, 'amount') ?? ch.amount;
  if (amount > ch.amount) {
    throw invalidRequest(
      `The amount to capture (${amount}) is greater than the charge's amount (${ch.amount}).`,
      'amount',
      'amount_too_large',
    );
  }
  if (amount < 1) throw invalidRequest('This value must be greater than or equal to 1.', 'amount');
  checkPaymentAmount(amount, ch.currency);
  const receipt = str(p, 'receipt_email');
  if (receipt !== undefined) ch.receipt_email = receipt;
  const descriptor = str(p, 'statement_descriptor');
  if (descriptor !== undefined) ch.statement_descriptor = ch.calculated_statement_descriptor = descriptor;
  ch.captured = true;
  ch.amount_captured = amount;
  // The uncaptured rest is released. Since API version 2025-03-31 (basil) Stripe shows that as
  // nothing at all: no Refund, `amount_refunded` stays 0, `refunded` false, no `charge.refunded`.
  chargeTransaction(ctx, ch, amount);
  ctx.emit('charge.captured', ch);
  return ch;
}

export const legacyCharges = defineResource('legacy_charges', (api) => {
  api.post('/v1/charges', create);
  api.post('/v1/charges/:id/capture', capture);
});
