// Disputes (chargebacks), as much as a test of their handling needs: the dispute test card
// (4000 0000 0000 0259, `pm_card_createDispute`) succeeds and is then disputed as fraudulent
// (`charge.dispute.created`, `charge.dispute.funds_withdrawn`); evidence can be added and submitted
// (`charge.dispute.updated`), the dispute accepted (`POST /v1/disputes/:id/close`: lost); and the bank's
// decision is a control route: `POST /_emulator/disputes/:id/close {outcome: won|lost}`
// (`charge.dispute.closed`, and `charge.dispute.funds_reinstated` when won).
import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { stateError } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import { newId } from '../core/ids.js';
import { allOf, paginate } from '../core/list.js';
import { applyMetadata, EMPTY_METADATA } from '../core/metadata.js';
import { bool, obj, oneOf, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import type { Charge } from './charges.js';
import { type EngineCtx, engineCtx } from './common/engine.js';
import { onPaymentIntent } from './payment-intents.js';
import { pageRoute } from './payment-pages.js';
import { cardByNumber } from './test-cards.js';

export type Dispute = Wire<Stripe.Dispute>;

declare module '../core/store.js' {
  interface CollectionTypes {
    dispute: Dispute;
  }
}

/** Days the merchant has to respond, as Stripe gives for card disputes (about three weeks). */
const RESPONSE_DAYS = 21;

const EVIDENCE_TEXT = [
  'access_activity_log',
  'billing_address',
  'cancellation_policy_disclosure',
  'cancellation_rebuttal',
  'customer_email_address',
  'customer_name',
  'customer_purchase_ip',
  'duplicate_charge_explanation',
  'duplicate_charge_id',
  'product_description',
  'refund_policy_disclosure',
  'refund_refusal_explanation',
  'service_date',
  'shipping_address',
  'shipping_carrier',
  'shipping_date',
  'shipping_tracking_number',
  'uncategorized_text',
] as const;

function emptyEvidence(): Dispute['evidence'] {
  return {
    access_activity_log: null,
    billing_address: null,
    cancellation_policy: null,
    cancellation_policy_disclosure: null,
    cancellation_rebuttal: null,
    customer_communication: null,
    customer_email_address: null,
    customer_name: null,
    customer_purchase_ip: null,
    customer_signature: null,
    duplicate_charge_documentation: null,
    duplicate_charge_explanation: null,
    duplicate_charge_id: null,
    enhanced_evidence: {},
    product_description: null,
    receipt: null,
    refund_policy: null,
    refund_policy_disclosure: null,
    refund_refusal_explanation: null,
    service_date: null,
    service_documentation: null,
    shipping_address: null,
    shipping_carrier: null,
    shipping_date: null,
    shipping_documentation: null,
    shipping_tracking_number: null,
    uncategorized_file: null,
    uncategorized_text: null,
  };
}

/** The cardholder disputes a succeeded charge (the dispute test card does, right after the charge). */
export function openDispute(ctx: EngineCtx, ch: Charge): Dispute {
  const now = ctx.now();
  const dispute: Dispute = {
    id: newId('dp'),
    object: 'dispute',
    amount: ch.amount,
    balance_transactions: [],
    charge: ch.id,
    created: now,
    currency: ch.currency,
    enhanced_eligibility_types: [],
    evidence: emptyEvidence(),
    evidence_details: {
      due_by: now + RESPONSE_DAYS * 86_400,
      enhanced_eligibility: {},
      has_evidence: false,
      past_due: false,
      submission_count: 0,
      submission_method: 'not_submitted',
    },
    intended_submission_method: null,
    is_charge_refundable: false,
    livemode: false,
    metadata: EMPTY_METADATA,
    payment_intent:
      typeof ch.payment_intent === 'string' ? ch.payment_intent : (ch.payment_intent?.id ?? null),
    reason: 'fraudulent',
    status: 'needs_response',
  };
  ctx.store.c('dispute').insert(dispute);
  ch.disputed = true;
  ctx.emit('charge.dispute.created', dispute);
  ctx.emit('charge.dispute.funds_withdrawn', dispute);
  return dispute;
}

const OPEN = new Set(['needs_response', 'under_review', 'warning_needs_response', 'warning_under_review']);

function requireOpen(d: Dispute): void {
  if (!OPEN.has(String(d.status))) {
    throw stateError(`This dispute is already closed (status ${d.status}).`, 'dispute_already_closed');
  }
}

/** The bank decides (control route), or the merchant accepts it (`close`: lost). */
export function closeDispute(ctx: EngineCtx, d: Dispute, outcome: 'won' | 'lost'): Dispute {
  requireOpen(d);
  const before = structuredClone(d);
  d.status = outcome;
  d.evidence_details.due_by = null;
  ctx.emit('charge.dispute.closed', d, diffPrevious(before, d));
  if (outcome === 'won') ctx.emit('charge.dispute.funds_reinstated', d);
  return d;
}

function update(ctx: Ctx): Dispute {
  const d = ctx.store.c('dispute').require(ctx.args.id!, 'dispute', 404);
  requireOpen(d);
  const before = structuredClone(d);
  const evidence = obj(ctx.params, 'evidence');
  if (evidence) {
    for (const field of EVIDENCE_TEXT) {
      const v = str(evidence, field, `evidence[${field}]`);
      if (v !== undefined) d.evidence[field] = v;
    }
    d.evidence_details.has_evidence = true;
  }
  d.metadata = applyMetadata(d.metadata, ctx.params);
  if (bool(ctx.params, 'submit') === true) {
    d.status = String(d.status).startsWith('warning_') ? 'warning_under_review' : 'under_review';
    d.evidence_details.submission_count += 1;
    d.evidence_details.submission_method = 'manual';
  }
  const prev = diffPrevious(before, d);
  if (Object.keys(prev).length > 0) ctx.emit('charge.dispute.updated', d, prev);
  return d;
}

function list(ctx: Ctx) {
  const charge = str(ctx.params, 'charge');
  const pi = str(ctx.params, 'payment_intent');
  return paginate(
    ctx.store.c('dispute'),
    ctx.params,
    '/v1/disputes',
    allOf<Dispute>(
      charge !== undefined && ((d) => d.charge === charge),
      pi !== undefined && ((d) => d.payment_intent === pi),
    ),
  );
}

export const disputes = defineResource('disputes', (api) => {
  api.get('/v1/disputes', list);
  api.get('/v1/disputes/:id', (ctx) => ctx.store.c('dispute').require(ctx.args.id!, 'dispute', 404));
  api.post('/v1/disputes/:id', update);
  api.post('/v1/disputes/:id/close', (ctx) =>
    closeDispute(ctx, ctx.store.c('dispute').require(ctx.args.id!, 'dispute', 404), 'lost'),
  );
  api.expandable('dispute', 'charge', (id) => api.store.c('charge').get(id));
  api.expandable('dispute', 'payment_intent', (id) => api.store.c('payment_intent').get(id));
});

pageRoute('POST', /^\/_emulator\/disputes\/([^/]+)\/close$/, (app, [id], body) => {
  const ctx = engineCtx(app);
  const outcome = oneOf(body, 'outcome', ['won', 'lost'] as const);
  if (!outcome) {
    throw stateError("outcome must be 'won' or 'lost'.", 'parameter_missing');
  }
  return {
    status: 200,
    json: closeDispute(ctx, ctx.store.c('dispute').require(id!, 'dispute', 404), outcome),
  };
});

// The dispute test card: once its payment has succeeded (and every listener of that has run, so the
// dispute's events come after the payment's), the cardholder disputes the charge.
onPaymentIntent('succeeded', (ctx, pi) => {
  const ch = pi.latest_charge ? ctx.store.c('charge').get(String(pi.latest_charge)) : undefined;
  if (!ch || ch.disputed || !ch.payment_method) return;
  const record = ctx.store.c('_card').get(ch.payment_method);
  if (record && cardByNumber(record.number)?.disputed) openDispute(ctx, ch);
});
