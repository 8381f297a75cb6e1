import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { invalidRequest, stateError } from '../core/errors.js';
import { diffPrevious } from '../core/events.js';
import { newId } from '../core/ids.js';
import { allOf, paginate, paginateArray, rangeFilter } from '../core/list.js';
import { applyMetadata, EMPTY_METADATA } from '../core/metadata.js';
import { int, oneOf, str } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import { pageRoute } from '../pages/router.js';
import { refundTransaction } from './balance-transactions.js';
import { addJobSource, touchBilling } from './billing/scheduler.js';
import type { Charge } from './charges.js';
import { type EngineCtx, engineCtx } from './common/engine.js';
import { cardByNumber } from './test-cards.js';

export type Refund = Wire<Stripe.Refund>;

declare module '../core/store.js' {
  interface CollectionTypes {
    refund: Refund;
    /** Refunds of the pending-refund test card, and when they settle. */
    _pending_refund: { id: string; at: number; clock: string | null };
  }
}

const REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;

export interface CreateRefundParams {
  charge?: string | undefined;
  payment_intent?: string | undefined;
  amount?: number | undefined;
  reason?: (typeof REASONS)[number] | undefined;
  metadata?: Stripe.Metadata | undefined;
}

function chargeFor(ctx: EngineCtx, params: CreateRefundParams): Charge {
  if (params.charge !== undefined && params.payment_intent !== undefined) {
    throw invalidRequest('You may only specify one of these parameters: charge, payment_intent.', 'charge');
  }
  if (params.payment_intent !== undefined) {
    const pi = ctx.store.c('payment_intent').require(params.payment_intent, 'payment_intent');
    if (pi.status !== 'succeeded' || !pi.latest_charge) {
      throw stateError(
        `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`,
        'charge_not_refundable',
        'payment_intent',
      );
    }
    return ctx.store.c('charge').require(String(pi.latest_charge), 'charge');
  }
  if (params.charge !== undefined) return ctx.store.c('charge').require(params.charge, 'charge');
  throw invalidRequest(
    'One of the following params should be provided for this request: payment_intent or charge.',
    'payment_intent',
    'parameter_missing',
  );
}

/** Refunds a charge (full or partial): the refund, the charge's totals, `refund.created` and `charge.refunded`. */
export function createRefundInternal(ctx: EngineCtx, params: CreateRefundParams): Refund {
  const ch = chargeFor(ctx, params);
  if (ch.status !== 'succeeded' || !ch.captured) {
    throw stateError(
      `Charge ${ch.id} has not been captured and cannot be refunded.`,
      'charge_not_refundable',
      'charge',
    );
  }
  // A chargeback has already taken the money back (an inquiry has not: its charge stays refundable).
  if (
    ch.disputed &&
    ctx.store.c('dispute').find((d) => d.charge === ch.id && !d.is_charge_refundable && d.status !== 'won')
  ) {
    throw stateError(
      `Charge ${ch.id} has been charged back; cannot issue a refund.`,
      'charge_disputed',
      'charge',
    );
  }
  // What can be refunded is what was captured (a partial capture released the rest).
  const remaining = ch.amount_captured - ch.amount_refunded;
  if (remaining <= 0) {
    throw stateError(`Charge ${ch.id} has already been refunded.`, 'charge_already_refunded', 'charge');
  }
  const amount = params.amount ?? remaining;
  if (amount < 1) throw invalidRequest('Refund amount must be a positive integer.', 'amount');
  if (amount > remaining) {
    throw invalidRequest(
      `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`,
      'amount',
      'amount_too_large',
    );
  }
  const refund: Refund = {
    id: newId('re'),
    object: 'refund',
    amount,
    balance_transaction: null,
    charge: ch.id,
    created: ctx.now(),
    currency: ch.currency,
    customer: typeof ch.customer === 'string' ? ch.customer : (ch.customer?.id ?? null),
    customer_account: null,
    destination_details: {
      card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' },
      type: 'card',
    },
    metadata: params.metadata ?? EMPTY_METADATA,
    payment_intent:
      typeof ch.payment_intent === 'string' ? ch.payment_intent : (ch.payment_intent?.id ?? null),
    payment_method: ch.payment_method,
    reason: params.reason ?? null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
  const record = ch.payment_method ? ctx.store.c('_card').get(ch.payment_method) : undefined;
  const card = record ? cardByNumber(record.number) : undefined;
  if (card?.pendingRefund) startPending(ctx, refund);
  ctx.store.c('refund').insert(refund);
  refundTransaction(ctx, refund);
  const before = structuredClone(ch);
  ch.amount_refunded += amount;
  ch.refunded = ch.amount_refunded >= ch.amount_captured;
  ctx.emit('refund.created', refund);
  ctx.emit('charge.refunded', ch, diffPrevious(before, ch));
  // The refund test card: the refund starts as succeeded, then the bank fails it.
  if (card?.refundFails) failRefund(ctx, refund);
  return refund;
}

/** How long the pending-refund test card's refunds stay `pending` (on the customer's clock). */
export const PENDING_REFUND_SECONDS = 30;

/** The pending-refund test card (4000 0000 0000 7726): the refund starts `pending`. */
function startPending(ctx: EngineCtx, refund: Refund): void {
  refund.status = 'pending';
  const customer = typeof refund.customer === 'string' ? refund.customer : refund.customer?.id;
  const tc = customer ? ctx.store.c('customer').get(customer)?.test_clock : null;
  ctx.store.c('_pending_refund').insert({
    id: refund.id,
    at: ctx.now() + PENDING_REFUND_SECONDS,
    clock: typeof tc === 'string' ? tc : (tc?.id ?? null),
  });
  touchBilling(ctx.app);
}

/** A pending refund settles: `succeeded`, `refund.updated` and `charge.refund.updated`. */
function settlePending(ctx: EngineCtx, id: string): void {
  ctx.store.c('_pending_refund').delete(id);
  const refund = ctx.store.c('refund').get(id);
  if (refund === undefined || refund.status !== 'pending') return;
  const before = structuredClone(refund);
  refund.status = 'succeeded';
  const prev = diffPrevious(before, refund);
  ctx.emit('charge.refund.updated', refund, prev);
  ctx.emit('refund.updated', refund, prev);
}

// Pending refunds settle on the emulator clock (or the customer's test clock), as billing work does.
addJobSource((app, domain, out) => {
  for (const p of app.store.c('_pending_refund').values()) {
    if (p.clock === domain) out.push({ at: p.at, rank: 9, run: (c) => settlePending(c, p.id) });
  }
});

/** A refund fails (the refund test card, or `POST /_emulator/refunds/:id/fail`): the money goes back. */
export function failRefund(ctx: EngineCtx, refund: Refund): Refund {
  if (refund.status !== 'succeeded' && refund.status !== 'pending') {
    throw stateError(`Refund ${refund.id} has a status of ${refund.status} and cannot fail.`);
  }
  const before = structuredClone(refund);
  refund.status = 'failed';
  refund.failure_reason = 'declined';
  refundTransaction(ctx, refund, true);
  const ch = refund.charge ? ctx.store.c('charge').get(String(refund.charge)) : undefined;
  if (ch) {
    ch.amount_refunded -= refund.amount;
    ch.refunded = ch.amount_refunded >= ch.amount_captured;
  }
  const prev = diffPrevious(before, refund);
  ctx.emit('refund.failed', refund);
  ctx.emit('charge.refund.updated', refund, prev);
  ctx.emit('refund.updated', refund, prev);
  return refund;
}

function create(ctx: Ctx): Refund {
  const p = ctx.params;
  return createRefundInternal(ctx, {
    charge: str(p, 'charge'),
    payment_intent: str(p, 'payment_intent'),
    amount: int(p, 'amount'),
    reason: oneOf(p, 'reason', REASONS),
    metadata: applyMetadata({}, p),
  });
}

function update(ctx: Ctx): Refund {
  const refund = ctx.store.c('refund').require(ctx.args.id!, 'refund', 404);
  const before = structuredClone(refund);
  refund.metadata = applyMetadata(refund.metadata, ctx.params);
  const prev = diffPrevious(before, refund);
  if (Object.keys(prev).length > 0) {
    ctx.emit('charge.refund.updated', refund, prev);
    ctx.emit('refund.updated', refund, prev);
  }
  return refund;
}

function list(ctx: Ctx) {
  const charge = str(ctx.params, 'charge');
  const pi = str(ctx.params, 'payment_intent');
  const created = rangeFilter(ctx.params, 'created');
  return paginate(
    ctx.store.c('refund'),
    ctx.params,
    '/v1/refunds',
    allOf<Refund>(
      charge !== undefined && ((r) => r.charge === charge),
      pi !== undefined && ((r) => r.payment_intent === pi),
      created && ((r) => created(r.created)),
    ),
  );
}

function refundsOf(ctx: EngineCtx, chargeId: string): Refund[] {
  return [...ctx.store.c('refund').newestFirst()].filter((r) => r.charge === chargeId);
}

export const refunds = defineResource('refunds', (api) => {
  api.post('/v1/refunds', create);
  api.get('/v1/refunds', list);
  api.get('/v1/refunds/:id', (ctx) => ctx.store.c('refund').require(ctx.args.id!, 'refund', 404));
  api.post('/v1/refunds/:id', update);
  api.get('/v1/charges/:id/refunds', (ctx) => {
    const ch = ctx.store.c('charge').require(ctx.args.id!, 'charge', 404);
    return paginateArray(refundsOf(ctx, ch.id), ctx.params, `/v1/charges/${ch.id}/refunds`);
  });
  api.expandable('refund', 'charge', (id) => api.store.c('charge').get(id));
  api.expandable('refund', 'payment_intent', (id) => api.store.c('payment_intent').get(id));
  // `charge.refunds` is only present when expanded (since 2022-11-15).
  api.includable('charge', 'refunds', (ch) => {
    const id = String(ch.id);
    const data = refundsOf(engineCtx(api.app), id);
    return { object: 'list', data, has_more: false, url: `/v1/charges/${id}/refunds` };
  });
});

pageRoute('POST', /^\/_emulator\/refunds\/([^/]+)\/fail$/, (app, [id]) => {
  const ctx = engineCtx(app);
  return { status: 200, json: failRefund(ctx, ctx.store.c('refund').require(id!, 'refund', 404)) };
});
