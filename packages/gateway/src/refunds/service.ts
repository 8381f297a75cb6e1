// Refunds paydesk makes: checked against the payment (ownership, currency, the refundable
// remainder) and recorded in one transaction, then carried out in Stripe — at once (synchronous), or
// by a job with retries, backoff and a dead state (async). The request_id is the operation: the
// Stripe idempotency key derives from it, and it is unique in the refunds table, so a retried request,
// a crash or a second instance never make a second refund.
import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import type { AppContext as Services } from '../context.js';
import { randomToken } from '../platform/auth/api-keys.js';
import { type Tx, withTransaction } from '../platform/db/tx.js';
import { AppError } from '../platform/errors.js';
import { callStripe, idempotencyKey } from '../platform/stripe/client.js';
import { mapStripeError } from '../platform/stripe/errors.js';
import { changeRefund } from './effects.js';
import { publishRefundRequest } from './queue-messages.js';
import {
  heldAmount,
  insertRefund,
  listRefundRows,
  markProcessing,
  markQueued,
  paymentByRef,
  type RefundablePayment,
  type RefundRow,
  type RefundStatus,
  refundById,
  refundByRef,
  refundByRequestId,
  updateRefund,
} from './store.js';
import { classifyRefundError, type RefundFailure, statusOf } from './stripe-outcome.js';

export { PAYDESK_APP_ID, type RefundResponseMessage } from './queue-messages.js';
/** What other features read of payments and refunds (disputes, the payment history). */
export { paymentByRef, type RefundablePayment, refundStatuses, refundSummaries } from './store.js';

export const REFUND_JOB = 'refund.execute';
/** Attempts of a refund job before it is dead (about 4 minutes of backoff with the default policy). */
export const REFUND_MAX_ATTEMPTS = 8;
/**
 * A synchronous refund is also written as a job due this long after it: if the process dies between
 * the record and Stripe's answer, the job finishes it (with the same idempotency key); otherwise it
 * finds the refund settled and does nothing.
 */
export const SYNC_SAFETY_NET_MS = 60_000;

export const refundReasons = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;

export type RefundTarget = { payment: string } | { payment_intent: string } | { charge: string };

export interface RefundRequest {
  target: RefundTarget;
  amount?: number | undefined;
  currency?: string | undefined;
  reason?: (typeof refundReasons)[number] | undefined;
  requestId?: string | undefined;
  metadata?: Record<string, string> | undefined;
  async?: boolean | undefined;
  cancelSubscription?: boolean | undefined;
  /** Taken from the microservice's requests queue (so not published there again). */
  fromQueue?: boolean | undefined;
}

export function newRefundId(): string {
  return `rf_${randomToken(16)}`;
}

function notFound(what: string): AppError {
  return new AppError('not_found', `No such payment of this paydesk: ${what}.`);
}

/** The Stripe payment intent a target names (a charge is looked up in Stripe). */
async function paymentIntentOf(
  s: Services,
  target: RefundTarget,
): Promise<{ ref: { id?: string; paymentIntent?: string }; chargeId?: string }> {
  if ('payment' in target) return { ref: { id: target.payment } };
  if ('payment_intent' in target) return { ref: { paymentIntent: target.payment_intent } };
  let charge: Stripe.Charge;
  try {
    charge = await callStripe(() => s.stripe.charges.retrieve(target.charge));
  } catch (err) {
    if (err instanceof AppError && err.code === 'not_found') throw notFound(target.charge);
    throw err;
  }
  const pi = typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id;
  if (!pi) throw notFound(target.charge);
  return { ref: { paymentIntent: pi }, chargeId: charge.id };
}

function hashOf(payment: RefundablePayment, r: RefundRequest): string {
  const canonical = JSON.stringify([
    payment.id,
    r.amount ?? null,
    r.reason ?? null,
    Object.entries(r.metadata ?? {}).sort(([a], [b]) => a.localeCompare(b)),
    r.cancelSubscription ?? false,
  ]);
  return createHash('sha256').update(canonical).digest('base64url');
}

export interface RefundResult {
  refund: RefundRow;
  /** An earlier request with the same request_id made it. */
  replayed: boolean;
}

/**
 * Records a refund and (unless async) carries it out. A repeated request_id returns the refund the
 * first request made, whatever its state; with a different body it is refused (409).
 */
export async function requestRefund(s: Services, input: RefundRequest): Promise<RefundResult> {
  const { ref, chargeId } = await paymentIntentOf(s, input.target);
  const requestId = input.requestId ?? `rq_${randomToken(20)}`;
  const isAsync = input.async === true;
  const recorded = await withTransaction(s, async (tx): Promise<RefundResult> => {
    const payment = await paymentByRef(tx, ref, { lock: true });
    if (!payment) throw notFound(Object.values(input.target)[0] as string);
    const hash = hashOf(payment, input);
    const existing = await refundByRequestId(tx, requestId);
    if (existing) {
      if (existing.request_hash !== hash) {
        throw new AppError(
          'conflict',
          'This request_id was already used for a different refund (another payment, amount, reason or metadata).',
          { request_id: requestId, refund: existing.id },
        );
      }
      return { refund: existing, replayed: true };
    }
    if (input.currency !== undefined && input.currency !== payment.currency) {
      throw new AppError(
        'validation_failed',
        `Invalid body.currency: the payment is in ${payment.currency}, not ${input.currency}.`,
        { issues: [{ in: 'body', path: 'currency', message: `expected ${payment.currency}` }] },
      );
    }
    if (input.cancelSubscription && payment.source !== 'invoice') {
      throw new AppError(
        'validation_failed',
        'Invalid body.cancel_subscription: the payment is not a subscription payment.',
        { issues: [{ in: 'body', path: 'cancel_subscription', message: 'not a subscription payment' }] },
      );
    }
    const refundable = payment.amount - (await heldAmount(tx, payment.id));
    const amount = input.amount ?? refundable;
    if (refundable <= 0 || amount > refundable) {
      throw new AppError(
        'conflict',
        refundable <= 0
          ? 'The payment has already been refunded in full.'
          : `The amount (${amount}) is more than the refundable remainder (${refundable}).`,
        { refundable, requested: amount, currency: payment.currency, payment: payment.id },
      );
    }
    const refund = await insertRefund(tx, {
      id: newRefundId(),
      request_id: requestId,
      request_hash: hash,
      origin: 'api',
      payment_id: payment.id,
      customer_id: payment.customer_id,
      stripe_payment_intent_id: payment.stripe_payment_intent_id,
      stripe_charge_id: chargeId ?? null,
      stripe_refund_id: null,
      amount,
      currency: payment.currency,
      reason: input.reason ?? null,
      metadata: input.metadata ?? {},
      status: isAsync ? 'queued' : 'processing',
      async: isAsync,
      cancel_subscription: input.cancelSubscription ?? false,
    });
    if (!refund) throw new Error(`refund insert for ${requestId} conflicted under the payment lock`);
    if (!input.fromQueue) await publishRefundRequest(s, tx, refund);
    await s.queue.enqueue(tx, {
      kind: REFUND_JOB,
      key: refund.id,
      payload: { refund: refund.id },
      maxAttempts: REFUND_MAX_ATTEMPTS,
      ...(isAsync ? {} : { runAt: new Date(s.now().getTime() + SYNC_SAFETY_NET_MS) }),
    });
    return { refund, replayed: false };
  });
  if (recorded.replayed) return recorded;
  if (isAsync) return recorded;
  return { refund: await refundNow(s, recorded.refund), replayed: false };
}

/** The Stripe call for a refund; the same refund always sends the same parameters and key. */
function createInStripe(s: Services, r: RefundRow): Promise<Stripe.Refund> {
  return s.stripe.refunds.create(
    {
      payment_intent: r.stripe_payment_intent_id,
      amount: r.amount,
      ...(r.reason ? { reason: r.reason as Stripe.RefundCreateParams.Reason } : {}),
      metadata: {
        ...r.metadata,
        paydesk_instance: s.config.instanceId,
        paydesk_refund_id: r.id,
        paydesk_request_id: r.request_id.slice(0, 500),
      },
    },
    { idempotencyKey: idempotencyKey('refund.create', r.request_id) },
  );
}

type Attempt =
  | { ok: true; refund: RefundRow }
  | { ok: false; refund: RefundRow; failure: RefundFailure; error: unknown };

/** One attempt at Stripe; on success the refund's new state and its effects are committed. */
async function attempt(s: Services, r: RefundRow, attempts: number): Promise<Attempt | undefined> {
  if (!(await markProcessing(s.db, r.id, attempts))) return undefined;
  let created: Stripe.Refund;
  try {
    created = await createInStripe(s, r);
  } catch (error) {
    return { ok: false, refund: r, failure: classifyRefundError(error), error };
  }
  const refund = await withTransaction(s, (tx) =>
    changeRefund(s, tx, r.id, {
      status: statusOf(created),
      stripe_refund_id: created.id,
      stripe_charge_id: typeof created.charge === 'string' ? created.charge : created.charge?.id,
      failure_reason: created.failure_reason ?? null,
      attempts,
    }),
  );
  return { ok: true, refund };
}

/** Marks a refund failed (with its effects), unless Stripe already settled it meanwhile. */
async function fail(s: Services, r: RefundRow, reason: string, attempts: number): Promise<RefundRow> {
  const refund = await withTransaction(s, (tx) =>
    changeRefund(s, tx, r.id, { status: 'failed', failure_reason: reason, attempts }),
  );
  return refund;
}

/** What is left to refund of a payment, by Stripe's charge (for a 409 after Stripe said too much). */
async function stripeRemainder(s: Services, r: RefundRow): Promise<number | undefined> {
  try {
    const pi = await s.stripe.paymentIntents.retrieve(r.stripe_payment_intent_id, {
      expand: ['latest_charge'],
    });
    const ch = typeof pi.latest_charge === 'object' ? pi.latest_charge : null;
    return ch ? ch.amount - ch.amount_refunded : undefined;
  } catch {
    return undefined;
  }
}

/** The synchronous path: one attempt now; a failure is answered with an error saying what became of the refund. */
async function refundNow(s: Services, r: RefundRow): Promise<RefundRow> {
  const a = await attempt(s, r, 1);
  if (!a) return (await refundById(s.db, r.id))!;
  if (a.ok) return a.refund;
  const { failure } = a;
  if (failure.kind === 'retry') {
    // Left to a job, due now, with the same idempotency key: the refund happens once either way.
    await withTransaction(s, async (tx) => {
      await markQueued(tx, r.id, failure.reason);
      await s.queue.enqueue(tx, {
        kind: REFUND_JOB,
        key: `${r.id}:retry`,
        payload: { refund: r.id },
        maxAttempts: REFUND_MAX_ATTEMPTS,
      });
    });
    const mapped = mapStripeError(a.error);
    const code = mapped instanceof AppError ? mapped.code : 'stripe_unavailable';
    throw new AppError(
      code === 'rate_limited' ? 'rate_limited' : 'stripe_unavailable',
      `Stripe did not complete the refund (${failure.reason}); it is queued and will be retried: GET /v1/refunds/${r.id}.`,
      { refund: r.id, request_id: r.request_id, status: 'queued' },
      mapped instanceof AppError ? mapped.headers : undefined,
    );
  }
  const failed = await fail(s, r, failure.reason, 1);
  if (failure.kind === 'over_refund') {
    const refundable = await stripeRemainder(s, r);
    throw new AppError(
      'conflict',
      `Stripe refused the refund: the charge has less left to refund (${refundable ?? 'unknown'}) than ${r.amount}.`,
      { refund: failed.id, request_id: r.request_id, status: failed.status, refundable, requested: r.amount },
    );
  }
  throw new AppError('stripe_error', `Stripe refused the refund (${failure.reason}).`, {
    refund: failed.id,
    request_id: r.request_id,
    status: failed.status,
    failure_reason: failure.reason,
  });
}

/** Whether a refund still waits for Stripe (a job should act on it). */
export function awaitingStripe(r: Pick<RefundRow, 'status'>): boolean {
  return r.status === 'queued' || r.status === 'processing';
}

/**
 * The job that carries out a refund: one attempt per run. A retryable failure throws (the queue
 * retries with backoff); on the last attempt the refund is marked failed first ("gave up"), and the job
 * goes dead. A permanent failure marks it failed and ends the job.
 */
export function refundJob(
  s: Services,
): (job: { payload: Record<string, unknown>; attempts: number; maxAttempts: number }) => Promise<void> {
  return async (job) => {
    const id = String(job.payload.refund);
    const r = await refundById(s.db, id);
    if (!r || !awaitingStripe(r)) return;
    const attempts = r.attempts + 1;
    const a = await attempt(s, r, attempts);
    if (!a || a.ok) return;
    const { failure } = a;
    if (failure.kind === 'retry') {
      if (job.attempts >= job.maxAttempts) {
        await fail(s, r, `gave up after ${attempts} attempts: ${failure.reason}`, attempts);
      } else {
        await markQueued(s.db, r.id, failure.reason);
      }
      throw new Error(`refund ${r.id}: Stripe did not complete it (${failure.reason})`);
    }
    await fail(s, r, failure.reason, attempts);
  };
}

/**
 * Queues a failed refund (that never reached Stripe) or a queued one again, after checking that its
 * amount is still refundable. `deadJob` queues the refund's dead job again in the transaction (true
 * when it did: the queue's requeue); without it, or when it did not, a new job is written.
 */
export async function retryRefund(
  s: Services,
  ref: string,
  deadJob?: (tx: Tx) => Promise<boolean>,
): Promise<RefundRow> {
  const found = await refundByRef(s.db, ref);
  if (!found) throw new AppError('not_found', `No such refund: ${ref}.`);
  const refund = await withTransaction(s, async (tx) => {
    const payment = await paymentByRef(tx, { id: found.payment_id }, { lock: true });
    const r = (await refundById(tx, found.id, { lock: true }))!;
    const retryable =
      r.origin === 'api' && (awaitingStripe(r) || (r.status === 'failed' && r.stripe_refund_id === null));
    if (!retryable) {
      throw new AppError(
        'conflict',
        `Refund ${r.id} is ${r.status}${r.stripe_refund_id ? ' in Stripe' : ''}: nothing to retry.`,
        {
          status: r.status,
        },
      );
    }
    const refundable = payment ? payment.amount - (await heldAmount(tx, payment.id, r.id)) : 0;
    if (r.amount > refundable) {
      throw new AppError(
        'conflict',
        `The amount (${r.amount}) is more than the refundable remainder (${refundable}).`,
        {
          refundable,
          requested: r.amount,
        },
      );
    }
    const updated = await updateRefund(tx, r.id, { status: 'queued', failure_reason: null });
    // The dead job itself, run again (operator tooling passes how), or else a new job.
    const requeued = deadJob ? await deadJob(tx) : false;
    if (!requeued) {
      await s.queue.enqueue(tx, {
        kind: REFUND_JOB,
        key: `${r.id}:retry:${r.attempts}:${randomToken(6)}`,
        payload: { refund: r.id },
        maxAttempts: REFUND_MAX_ATTEMPTS,
      });
    }
    return updated;
  });
  return refund;
}

export async function getRefund(s: Services, ref: string): Promise<RefundRow> {
  const r = await refundByRef(s.db, ref);
  if (!r) throw new AppError('not_found', `No such refund: ${ref}.`);
  return r;
}

export interface RefundPage {
  data: RefundRow[];
  has_more: boolean;
  next_cursor: string | null;
}

export async function listRefunds(
  s: Services,
  q: {
    payment?: string | undefined;
    customer?: string | undefined;
    status?: RefundStatus | undefined;
    cursor?: string | undefined;
    limit: number;
  },
): Promise<RefundPage> {
  let paymentId: string | undefined;
  if (q.payment !== undefined) {
    const p =
      (await paymentByRef(s.db, { id: q.payment })) ??
      (await paymentByRef(s.db, { paymentIntent: q.payment }));
    if (!p) return { data: [], has_more: false, next_cursor: null };
    paymentId = p.id;
  }
  const rows = await listRefundRows(s.db, {
    paymentId,
    customerId: q.customer,
    status: q.status,
    after: q.cursor,
    limit: q.limit + 1,
  });
  if (!rows) {
    throw new AppError('validation_failed', 'Invalid querystring.cursor: not a cursor of this list.', {
      issues: [{ in: 'querystring', path: 'cursor', message: 'unknown cursor' }],
    });
  }
  const data = rows.slice(0, q.limit);
  const hasMore = rows.length > q.limit;
  return { data, has_more: hasMore, next_cursor: hasMore ? data[data.length - 1]!.id : null };
}
