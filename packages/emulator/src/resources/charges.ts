import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { diffPrevious } from '../core/events.js';
import { newId } from '../core/ids.js';
import { allOf, paginate, rangeFilter } from '../core/list.js';
import { applyMetadata, EMPTY_METADATA } from '../core/metadata.js';
import { emptyableStr, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { chargeTransaction } from './balance-transactions.js';
import type { EngineCtx } from './common/engine.js';
import type { PaymentMethod } from './payment-methods.js';
import type { Decline, TestCard } from './test-cards.js';

export type Charge = Wire<Stripe.Charge>;

declare module '../core/store.js' {
  interface CollectionTypes {
    charge: Charge;
  }
}

/** What the card network answered: approved, or a decline. */
export type ChargeOutcome = { approved: true } | { approved: false; decline: Decline };

export interface ChargeInput {
  amount: number;
  currency: string;
  customer: string | null;
  description: string | null;
  paymentIntent: string | null;
  receiptEmail: string | null;
  statementDescriptor: string | null;
  /** Whether an approved charge is captured at once (automatic capture). */
  capture: boolean;
  /** Whether 3-D Secure ran (and passed) for this payment. */
  authenticated: boolean;
  shipping: Charge['shipping'];
  metadata: Stripe.Metadata;
}

function outcomeOf(outcome: ChargeOutcome, card: TestCard): Charge['outcome'] {
  const riskLevel = card.riskLevel ?? 'normal';
  if (outcome.approved) {
    return {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: 'approved_by_network',
      reason: null,
      risk_level: riskLevel,
      seller_message: 'Payment complete.',
      type: 'authorized',
    };
  }
  if (outcome.decline.blocked) {
    // Radar's default rule blocks the highest risk level before the network sees the payment.
    return {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: 'not_sent_to_network',
      reason: 'highest_risk_level',
      risk_level: riskLevel,
      seller_message: 'Stripe blocked this payment as too risky.',
      type: 'blocked',
    };
  }
  const issuer = outcome.decline.code !== 'processing_error';
  return {
    advice_code: null,
    network_advice_code: null,
    network_decline_code: null,
    network_status: issuer ? 'declined_by_network' : 'not_sent_to_network',
    reason: outcome.decline.declineCode,
    risk_level: riskLevel,
    seller_message: issuer
      ? 'The bank did not return any further details with this decline.'
      : 'The payment could not be processed.',
    type: issuer ? 'issuer_declined' : 'invalid',
  };
}

/** Creates and stores a card charge (no event: the payment intent emits in its own order). */
export function insertCharge(
  ctx: EngineCtx,
  pm: PaymentMethod,
  card: TestCard,
  input: ChargeInput,
  outcome: ChargeOutcome,
): Charge {
  const pmCard = pm.card!;
  const ok = outcome.approved;
  const captured = ok && input.capture;
  const charge: Charge = {
    id: newId('ch'),
    object: 'charge',
    amount: input.amount,
    amount_captured: captured ? input.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: null,
    billing_details: structuredClone(pm.billing_details),
    calculated_statement_descriptor: input.statementDescriptor ?? 'PAYDESK EMULATOR',
    captured,
    created: ctx.now(),
    currency: input.currency,
    customer: input.customer,
    description: input.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: ok ? null : outcome.decline.code,
    failure_message: ok ? null : outcome.decline.message,
    fraud_details: {},
    livemode: false,
    metadata: Object.keys(input.metadata).length > 0 ? { ...input.metadata } : EMPTY_METADATA,
    on_behalf_of: null,
    outcome: outcomeOf(outcome, card),
    paid: ok,
    payment_intent: input.paymentIntent,
    payment_method: pm.id,
    payment_method_details: {
      card: {
        amount_authorized: ok ? input.amount : null,
        authorization_code: ok ? String(100000 + (input.amount % 900000)) : null,
        brand: pmCard.brand,
        checks: pmCard.checks,
        country: pmCard.country,
        electronic_commerce_indicator: input.authenticated ? '05' : null,
        exp_month: pmCard.exp_month,
        exp_year: pmCard.exp_year,
        fingerprint: pmCard.fingerprint ?? null,
        funding: pmCard.funding,
        installments: null,
        last4: pmCard.last4,
        mandate: null,
        network: card.brand,
        network_transaction_id: ok ? newId('ntx', 15).slice(4) : null,
        regulated_status: 'unregulated',
        three_d_secure: input.authenticated
          ? {
              authentication_flow: 'challenge',
              electronic_commerce_indicator: '05',
              exemption_indicator: null,
              result: 'authenticated',
              result_reason: null,
              transaction_id: newId('tds'),
              version: '2.2.0',
            }
          : null,
        transaction_link_id: null,
        wallet: null,
      },
      type: 'card',
    },
    receipt_email: input.receiptEmail,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: input.shipping,
    source: null,
    source_transfer: null,
    statement_descriptor: input.statementDescriptor,
    statement_descriptor_suffix: null,
    status: ok ? 'succeeded' : 'failed',
    transfer_data: null,
    transfer_group: null,
  };
  ctx.store.c('charge').insert(charge);
  if (captured) chargeTransaction(ctx, charge, charge.amount);
  return charge;
}

function update(ctx: Ctx): Charge {
  const ch = ctx.store.c('charge').require(ctx.args.id!, 'charge', 404);
  const before = structuredClone(ch);
  const p = ctx.params;
  const description = emptyableStr(p, 'description');
  if (description !== undefined) ch.description = description;
  const receipt = emptyableStr(p, 'receipt_email');
  if (receipt !== undefined) ch.receipt_email = receipt;
  ch.metadata = applyMetadata(ch.metadata, p);
  const prev = diffPrevious(before, ch);
  if (Object.keys(prev).length > 0) ctx.emit('charge.updated', ch, prev);
  return ch;
}

function list(ctx: Ctx) {
  const customer = str(ctx.params, 'customer');
  const pi = str(ctx.params, 'payment_intent');
  const created = rangeFilter(ctx.params, 'created');
  return paginate(
    ctx.store.c('charge'),
    ctx.params,
    '/v1/charges',
    allOf<Charge>(
      customer !== undefined && ((c) => c.customer === customer),
      pi !== undefined && ((c) => c.payment_intent === pi),
      created && ((c) => created(c.created)),
    ),
  );
}

export const charges = defineResource('charges', (api) => {
  api.post('/v1/charges/:id', update);
  api.get('/v1/charges', list);
  api.get('/v1/charges/:id', (ctx) => ctx.store.c('charge').require(ctx.args.id!, 'charge', 404));
  api.expandable('charge', 'customer', (id) => api.store.c('customer').get(id));
  api.expandable('charge', 'payment_intent', (id) => api.store.c('payment_intent').get(id));
});
