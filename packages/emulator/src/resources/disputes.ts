// Disputes (chargebacks and inquiries) as Stripe's test mode runs them. The dispute test cards
// (`TEST_CARDS` rows with a `dispute`) succeed and are then disputed; evidence is staged and submitted
// (`POST /v1/disputes/:id`), or the dispute accepted (`close`); the bank's decision comes on the
// clock: `uncategorized_text` `winning_evidence` wins, `losing_evidence` loses, and on an inquiry
// `escalate_inquiry_evidence` turns it into a chargeback. A dispute left unanswered past
// `evidence_details.due_by` is lost (an inquiry closes). The control route
// `POST /_emulator/disputes/:id/close {outcome: won|lost}` decides at once.
import type Stripe from 'stripe';
import type { App } from '../core/app.js';
import type { Ctx } from '../core/context.js';
import { minorDigits } from '../core/currencies.js';
import { invalidRequest, stateError } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import type { Params } from '../core/form.js';
import { newId } from '../core/ids.js';
import { allOf, paginate, rangeFilter } from '../core/list.js';
import { applyMetadata, EMPTY_METADATA } from '../core/metadata.js';
import { bool, obj, oneOf, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { type BalanceTransaction, insertBalanceTransaction } from './balance-transactions.js';
import { addJobSource, type Job, touchBilling } from './billing/scheduler.js';
import type { Charge } from './charges.js';
import { type EngineCtx, engineCtx } from './common/engine.js';
import { wakeAt } from './common/wake.js';
import { onPaymentIntent } from './payment-intents.js';
import { pageRoute } from './payment-pages.js';
import { cardByNumber, type DisputeKind, type TestCard } from './test-cards.js';

export type Dispute = Wire<Stripe.Dispute>;
export type EarlyFraudWarning = Wire<Stripe.Radar.EarlyFraudWarning>;

/**
 * Emulator-only state of an open dispute: the time domain it lives in (the charge's customer's test
 * clock, or null for the emulator clock) and the bank's pending decision. Deleted once the dispute is
 * closed, so the scheduler only ever looks at open disputes.
 */
interface DisputePrivate {
  id: string;
  domain: string | null;
  /** When the bank decides (after a submission), or null (then `due_by` applies). */
  decideAt: number | null;
  outcome: 'won' | 'lost' | 'escalate' | null;
  /** Eligible for Smart Disputes (it responds at the due date unless the merchant chose `manual`). */
  smart?: boolean;
}

declare module '../core/store.js' {
  interface CollectionTypes {
    dispute: Dispute;
    _dispute: DisputePrivate;
    'radar.early_fraud_warning': EarlyFraudWarning;
  }
}

const DAY = 86_400;
/** Days the merchant has to respond; `due_by` is the end of that day (UTC). */
const RESPONSE_DAYS = 21;
/** How long after a submission the bank's decision comes (on the emulator clock or test clock). */
export const DECISION_SECONDS = 3;

/** What `uncategorized_text` decides in test mode. */
const TEST_EVIDENCE: Readonly<Record<string, DisputePrivate['outcome']>> = {
  winning_evidence: 'won',
  losing_evidence: 'lost',
  escalate_inquiry_evidence: 'escalate',
};

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

/** Evidence fields that take a file id (`file_…`); the emulator stores the id as given. */
const EVIDENCE_FILES = [
  'cancellation_policy',
  'customer_communication',
  'customer_signature',
  'duplicate_charge_documentation',
  'receipt',
  'refund_policy',
  'service_documentation',
  'shipping_documentation',
  'uncategorized_file',
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

/** The test clock a charge's time runs on (its customer's), or null for the emulator clock. */
function domainOf(ctx: EngineCtx, ch: Charge): string | null {
  const customerId = typeof ch.customer === 'string' ? ch.customer : (ch.customer?.id ?? null);
  const tc = customerId ? ctx.store.c('customer').get(customerId)?.test_clock : null;
  return typeof tc === 'string' ? tc : (tc?.id ?? null);
}

/** Now in a time domain: the test clock's frozen time, or the context's time. */
function nowIn(ctx: EngineCtx, domain: string | null): number {
  if (domain === null) return ctx.now();
  return ctx.store.c('test_helpers.test_clock').get(domain)?.frozen_time ?? ctx.now();
}

/** Stripe's dispute fee: 15 units of the charge's currency ($15.00). */
export function disputeFee(currency: string): number {
  return 15 * 10 ** minorDigits(currency);
}

/** The withdrawal (amount + fee) or the reinstatement (both back) of a chargeback, on the dispute. */
function disputeTransaction(
  ctx: EngineCtx,
  d: Dispute,
  at: number,
  kind: 'withdrawal' | 'reinstatement',
): BalanceTransaction {
  const sign = kind === 'withdrawal' ? -1 : 1;
  const fee = disputeFee(d.currency);
  const charge = String(d.charge);
  const bt = insertBalanceTransaction(
    ctx,
    {
      amount: sign * d.amount,
      available_on: at,
      balance_type: 'payments',
      created: at,
      currency: d.currency,
      description: `${kind === 'withdrawal' ? 'Chargeback withdrawal' : 'Chargeback reversal'} for ${charge}`,
      exchange_rate: null,
      fee: -sign * fee,
      fee_details: [
        {
          amount: -sign * fee,
          application: null,
          currency: d.currency,
          description: 'Dispute fee',
          type: 'stripe_fee',
        },
      ],
      net: sign * (d.amount + fee),
      reporting_category: kind === 'withdrawal' ? 'dispute' : 'dispute_reversal',
      source: d.id,
      status: 'available',
      type: 'adjustment',
    },
    charge,
  );
  d.balance_transactions = [...d.balance_transactions, structuredClone(bt)];
  return bt;
}

/** The end (23:59:59 UTC) of the day `days` after `at`. */
function dueBy(at: number, days: number): number {
  return Math.floor(at / DAY) * DAY + (days + 1) * DAY - 1;
}

function paymentMethodDetails(ch: Charge, kind: DisputeKind): Dispute['payment_method_details'] {
  if (ch.payment_method_details?.type !== 'card') return { type: ch.payment_method_details?.type ?? 'card' };
  const brand = ch.payment_method_details.card?.brand ?? 'visa';
  return {
    card: {
      brand,
      case_type: kind.compliance ? 'compliance' : kind.inquiry ? 'inquiry' : 'chargeback',
      network: brand,
      network_reason_code: kind.networkReasonCode,
    },
    type: 'card',
  };
}

/**
 * The payer disputes a succeeded charge (the dispute test cards and bank accounts do, right after the
 * payment). A chargeback withdraws the amount and the fee at once (`charge.dispute.funds_withdrawn`);
 * an inquiry withdraws nothing. A bank debit's dispute can't be answered: it is created `lost`.
 */
export function openDispute(ctx: EngineCtx, ch: Charge, kind: DisputeKind, final = false): Dispute {
  const domain = domainOf(ctx, ch);
  const now = nowIn(ctx, domain);
  const evidence = emptyEvidence();
  const eligibility: Dispute['evidence_details']['enhanced_eligibility'] = {};
  if (kind.compliance) {
    // Countering a compliance case costs the network's fee: evidence waits for its acknowledgement.
    evidence.enhanced_evidence = { [kind.compliance]: { fee_acknowledged: false } };
    eligibility[kind.compliance] = { status: 'requires_fee_acknowledgement' };
  }
  const dispute: Dispute = {
    id: newId('dp'),
    object: 'dispute',
    amount: ch.amount,
    balance_transactions: [],
    charge: ch.id,
    created: now,
    currency: ch.currency,
    enhanced_eligibility_types: [...(kind.enhancedEligibility ?? [])],
    evidence,
    evidence_details: {
      due_by: final ? null : dueBy(now, RESPONSE_DAYS),
      enhanced_eligibility: eligibility,
      has_evidence: false,
      past_due: false,
      submission_count: 0,
      submission_method: 'not_submitted',
    },
    // Null for accounts without Smart Disputes; `prefer_manual` is Stripe's default where it applies.
    intended_submission_method: kind.smartDisputes ? 'prefer_manual' : null,
    is_charge_refundable: kind.inquiry,
    livemode: false,
    metadata: EMPTY_METADATA,
    payment_intent:
      typeof ch.payment_intent === 'string' ? ch.payment_intent : (ch.payment_intent?.id ?? null),
    payment_method_details: paymentMethodDetails(ch, kind),
    reason: kind.reason,
    status: final ? 'lost' : kind.inquiry ? 'warning_needs_response' : 'needs_response',
  };
  ctx.store.c('dispute').insert(dispute);
  if (!final) {
    ctx.store.c('_dispute').insert({
      id: dispute.id,
      domain,
      decideAt: null,
      outcome: null,
      ...(kind.smartDisputes ? { smart: true } : {}),
    });
  }
  ch.disputed = true;
  if (!kind.inquiry) disputeTransaction(ctx, dispute, now, 'withdrawal');
  emitAt(ctx, now, 'charge.dispute.created', dispute);
  if (!kind.inquiry) emitAt(ctx, now, 'charge.dispute.funds_withdrawn', dispute);
  touchBilling(ctx.app);
  return dispute;
}

/** Emits with `created` at the dispute's time (a test clock's frozen time) when outside a request. */
function emitAt(
  ctx: EngineCtx,
  at: number,
  type: 'charge.dispute.created' | 'charge.dispute.funds_withdrawn' | 'charge.dispute.funds_reinstated',
  d: Dispute,
): void {
  if (at === ctx.now()) ctx.emit(type, d);
  else ctx.app.events.emit(type, d, undefined, undefined, at);
}

const NEEDS_RESPONSE = new Set(['needs_response', 'warning_needs_response']);
const OPEN = new Set(['needs_response', 'under_review', 'warning_needs_response', 'warning_under_review']);

function isInquiry(d: Dispute): boolean {
  return String(d.status).startsWith('warning_');
}

function requireOpen(d: Dispute): void {
  if (!OPEN.has(String(d.status))) {
    throw stateError(`This dispute is already closed (status ${d.status}).`, 'dispute_already_closed');
  }
}

/**
 * Closes a dispute: the bank's decision (`won` / `lost`; an inquiry closes as `warning_closed` either
 * way) or the merchant's acceptance. A won chargeback gives back the amount and the fee
 * (`charge.dispute.funds_reinstated`, after `charge.dispute.closed`).
 */
export function closeDispute(ctx: EngineCtx, d: Dispute, outcome: 'won' | 'lost'): Dispute {
  requireOpen(d);
  const before = structuredClone(d);
  const inquiry = isInquiry(d);
  d.status = inquiry ? 'warning_closed' : outcome;
  d.is_charge_refundable = inquiry;
  ctx.store.c('_dispute').delete(d.id);
  const reinstated = outcome === 'won' && !inquiry;
  if (reinstated) disputeTransaction(ctx, d, ctx.now(), 'reinstatement');
  ctx.emit('charge.dispute.closed', d, diffPrevious(before, d));
  if (reinstated) ctx.emit('charge.dispute.funds_reinstated', d);
  touchBilling(ctx.app);
  return d;
}

/** An inquiry becomes a chargeback: `needs_response` again, a new due date, the funds withdrawn. */
function escalate(ctx: EngineCtx, d: Dispute, priv: DisputePrivate): void {
  const before = structuredClone(d);
  const now = ctx.now();
  d.status = 'needs_response';
  d.is_charge_refundable = false;
  d.evidence_details.due_by = dueBy(now, RESPONSE_DAYS);
  if (d.payment_method_details?.card) d.payment_method_details.card.case_type = 'chargeback';
  priv.decideAt = null;
  priv.outcome = null;
  disputeTransaction(ctx, d, now, 'withdrawal');
  ctx.emit('charge.dispute.updated', d, diffPrevious(before, d));
  ctx.emit('charge.dispute.funds_withdrawn', d);
}

/** The bank's decision or the missed deadline, run by the scheduler at its time. */
function decide(ctx: EngineCtx, d: Dispute, priv: DisputePrivate): void {
  if (!OPEN.has(String(d.status))) {
    ctx.store.c('_dispute').delete(d.id);
    return;
  }
  if (priv.decideAt === null) {
    if (priv.smart && d.status === 'needs_response' && d.intended_submission_method !== 'manual') {
      smartDisputesRespond(ctx, d);
      return;
    }
    // Not answered by `due_by`: the chargeback is lost, the inquiry closes.
    closeDispute(ctx, d, 'lost');
    return;
  }
  if (priv.outcome === 'escalate') {
    if (isInquiry(d)) escalate(ctx, d, priv);
    else {
      priv.decideAt = null;
      priv.outcome = null;
    }
    return;
  }
  if (priv.outcome === 'won' || priv.outcome === 'lost') closeDispute(ctx, d, priv.outcome);
}

/**
 * Smart Disputes answers an eligible chargeback left without evidence at its due date (unless the
 * merchant chose `manual`): the response is submitted (`submission_method: 'smart_disputes'`) and the
 * dispute is under review until the bank decides.
 */
function smartDisputesRespond(ctx: EngineCtx, d: Dispute): void {
  const before = structuredClone(d);
  d.status = 'under_review';
  d.evidence_details.has_evidence = true;
  d.evidence_details.submission_count += 1;
  d.evidence_details.submission_method = 'smart_disputes';
  ctx.emit('charge.dispute.updated', d, diffPrevious(before, d));
}

function disputeJobs(app: App, domain: string | null, out: Job[]): void {
  const privs = app.store.c('_dispute');
  if (privs.size === 0) return;
  for (const priv of privs.values()) {
    if (priv.domain !== domain) continue;
    const d = app.store.c('dispute').get(priv.id);
    if (d === undefined) continue;
    let at: number | null;
    // A decision pending, or (still unanswered) the due date; under review without a test value: none.
    if (priv.decideAt !== null) at = priv.decideAt;
    else at = NEEDS_RESPONSE.has(String(d.status)) ? (d.evidence_details.due_by ?? null) : null;
    if (at === null) continue;
    // Just after the due date's last second.
    const when = priv.decideAt === null ? at + 1 : at;
    out.push({ at: when, rank: 6, run: (c) => decide(c, d, priv) });
  }
}

addJobSource(disputeJobs);

/** The bank rules against the merchant now: an inquiry becomes a chargeback first (funds withdrawn). */
function loseNow(ctx: EngineCtx, d: Dispute): Dispute {
  requireOpen(d);
  const priv = ctx.store.c('_dispute').get(d.id);
  if (isInquiry(d) && priv) escalate(ctx, d, priv);
  return closeDispute(ctx, d, 'lost');
}

function update(ctx: Ctx): Dispute {
  const d = ctx.store.c('dispute').require(ctx.args.id!, 'dispute', 404);
  const before = structuredClone(d);
  const p = ctx.params;
  const evidence = obj(p, 'evidence');
  const submitParam = bool(p, 'submit');
  const touchesEvidence = evidence !== undefined || submitParam === true;
  if (touchesEvidence) {
    requireOpen(d);
    if (!NEEDS_RESPONSE.has(String(d.status))) {
      throw stateError(
        `This dispute is ${d.status}: its evidence has been submitted and can no longer be changed.`,
        'dispute_already_submitted',
      );
    }
  }
  const intended = oneOf(p, 'intended_submission_method', [
    'manual',
    'prefer_manual',
    'prefer_smart_disputes',
    'smart_disputes',
  ] as const);
  if (intended !== undefined) d.intended_submission_method = intended;
  if (evidence) {
    for (const field of EVIDENCE_TEXT) {
      const v = str(evidence, field, `evidence[${field}]`);
      if (v !== undefined) d.evidence[field] = v === '' ? null : v;
    }
    for (const field of EVIDENCE_FILES) {
      const v = str(evidence, field, `evidence[${field}]`);
      if (v !== undefined) d.evidence[field] = v === '' ? null : v;
    }
    acknowledgeComplianceFee(d, evidence);
    d.evidence_details.has_evidence = true;
  }
  d.metadata = applyMetadata(d.metadata, p);
  // `submit` defaults to true when evidence is given (Stripe stages it only with `submit=false`).
  const submit = submitParam ?? evidence !== undefined;
  if (submit && touchesEvidence) {
    for (const [network, e] of Object.entries(d.evidence_details.enhanced_eligibility)) {
      if (network.endsWith('_compliance') && e?.status === 'requires_fee_acknowledgement') {
        throw invalidRequest(
          `This ${network === 'visa_compliance' ? 'Visa' : 'Mastercard'} compliance dispute's evidence can only be submitted once the network fee is acknowledged (evidence[enhanced_evidence][${network}][fee_acknowledged]=true).`,
          `evidence[enhanced_evidence][${network}][fee_acknowledged]`,
        );
      }
    }
    const priv = ctx.store.c('_dispute').get(d.id);
    const now = priv ? nowIn(ctx, priv.domain) : ctx.now();
    d.status = isInquiry(d) ? 'warning_under_review' : 'under_review';
    d.evidence_details.submission_count += 1;
    d.evidence_details.submission_method = 'manual';
    d.evidence_details.past_due = d.evidence_details.due_by !== null && now > d.evidence_details.due_by;
    if (priv) {
      const text = (d.evidence.uncategorized_text ?? '').trim();
      priv.outcome = TEST_EVIDENCE[text] ?? null;
      priv.decideAt = priv.outcome === null ? null : now + DECISION_SECONDS;
      touchBilling(ctx.app);
      if (priv.domain === null && priv.decideAt !== null) wakeAt(ctx.app, priv.decideAt);
    }
  }
  const prev = diffPrevious(before, d);
  if (Object.keys(prev).length > 0) ctx.emit('charge.dispute.updated', d, prev);
  return d;
}

/** `evidence[enhanced_evidence][<network>_compliance][fee_acknowledged]` on a compliance dispute. */
function acknowledgeComplianceFee(d: Dispute, evidence: Params): void {
  const enhanced = obj(evidence, 'enhanced_evidence', 'evidence[enhanced_evidence]');
  if (!enhanced) return;
  for (const network of ['visa_compliance', 'mastercard_compliance'] as const) {
    const given = obj(enhanced, network, `evidence[enhanced_evidence][${network}]`);
    if (!given) continue;
    const ack = bool(given, 'fee_acknowledged', `evidence[enhanced_evidence][${network}][fee_acknowledged]`);
    const eligibility = d.evidence_details.enhanced_eligibility[network];
    if (ack === undefined || eligibility === undefined) continue;
    d.evidence.enhanced_evidence = { ...d.evidence.enhanced_evidence, [network]: { fee_acknowledged: ack } };
    d.evidence_details.enhanced_eligibility = {
      ...d.evidence_details.enhanced_eligibility,
      [network]: { status: ack ? 'fee_acknowledged' : 'requires_fee_acknowledgement' },
    };
  }
}

function accept(ctx: Ctx): Dispute {
  const d = ctx.store.c('dispute').require(ctx.args.id!, 'dispute', 404);
  requireOpen(d);
  if (!NEEDS_RESPONSE.has(String(d.status))) {
    throw stateError(
      `This dispute is ${d.status}: its evidence has been submitted, so it can no longer be closed.`,
      'dispute_already_submitted',
    );
  }
  return closeDispute(ctx, d, 'lost');
}

function list(ctx: Ctx) {
  const charge = str(ctx.params, 'charge');
  const pi = str(ctx.params, 'payment_intent');
  const created = rangeFilter(ctx.params, 'created');
  return paginate(
    ctx.store.c('dispute'),
    ctx.params,
    '/v1/disputes',
    allOf<Dispute>(
      charge !== undefined && ((d) => d.charge === charge),
      pi !== undefined && ((d) => d.payment_intent === pi),
      created && ((d) => created(d.created)),
    ),
  );
}

function listWarnings(ctx: Ctx) {
  const charge = str(ctx.params, 'charge');
  const pi = str(ctx.params, 'payment_intent');
  const created = rangeFilter(ctx.params, 'created');
  return paginate(
    ctx.store.c('radar.early_fraud_warning'),
    ctx.params,
    '/v1/radar/early_fraud_warnings',
    allOf<EarlyFraudWarning>(
      charge !== undefined && ((w) => w.charge === charge),
      pi !== undefined && ((w) => w.payment_intent === pi),
      created && ((w) => created(w.created)),
    ),
  );
}

export const disputes = defineResource('disputes', (api) => {
  api.get('/v1/disputes', list);
  api.get('/v1/disputes/:id', (ctx) => ctx.store.c('dispute').require(ctx.args.id!, 'dispute', 404));
  api.post('/v1/disputes/:id', update);
  api.post('/v1/disputes/:id/close', accept);
  api.expandable('dispute', 'charge', (id) => api.store.c('charge').get(id));
  api.expandable('dispute', 'payment_intent', (id) => api.store.c('payment_intent').get(id));
  // The Stripe CLI's charge.dispute.funds_withdrawn fixture has the bank decide this way.
  api.post('/v1/test_helpers/disputes/:id/lose', (ctx) =>
    loseNow(ctx, ctx.store.c('dispute').require(ctx.args.id!, 'dispute', 404)),
  );
  api.label('radar.early_fraud_warning', 'early fraud warning');
  api.get('/v1/radar/early_fraud_warnings', listWarnings);
  api.get('/v1/radar/early_fraud_warnings/:id', (ctx) =>
    ctx.store.c('radar.early_fraud_warning').require(ctx.args.id!, 'early_fraud_warning', 404),
  );
  api.expandable('radar.early_fraud_warning', 'charge', (id) => api.store.c('charge').get(id));
  api.expandable('radar.early_fraud_warning', 'payment_intent', (id) =>
    api.store.c('payment_intent').get(id),
  );
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

/** The issuer reports the charge as likely fraud (`radar.early_fraud_warning.created`). */
function earlyFraudWarning(ctx: EngineCtx, ch: Charge): EarlyFraudWarning {
  const w: EarlyFraudWarning = {
    id: newId('issfr'),
    object: 'radar.early_fraud_warning',
    actionable: true,
    charge: ch.id,
    created: ctx.now(),
    fraud_type: 'made_with_stolen_card',
    livemode: false,
    ...(typeof ch.payment_intent === 'string' ? { payment_intent: ch.payment_intent } : {}),
  };
  ctx.store.c('radar.early_fraud_warning').insert(w);
  ctx.emit('radar.early_fraud_warning.created', w);
  return w;
}

// The dispute test cards: once the payment has succeeded (and every listener of that has run, so the
// dispute's events come after the payment's), the cardholder disputes the charge.
onPaymentIntent('succeeded', (ctx, pi) => {
  const ch = pi.latest_charge ? ctx.store.c('charge').get(String(pi.latest_charge)) : undefined;
  if (!ch || ch.disputed || !ch.payment_method || ch.payment_method_details?.type !== 'card') return;
  const record = ctx.store.c('_card').get(String(ch.payment_method));
  const card = record ? cardByNumber(record.number) : undefined;
  if (card) disputeTestCharge(ctx, ch, card);
});

/** A succeeded charge on a dispute or early-fraud-warning test card gets its dispute or its warning. */
export function disputeTestCharge(ctx: EngineCtx, ch: Charge, card: TestCard): void {
  if (card.dispute) for (let i = 0; i < (card.dispute.count ?? 1); i++) openDispute(ctx, ch, card.dispute);
  else if (card.earlyFraudWarning) earlyFraudWarning(ctx, ch);
}
