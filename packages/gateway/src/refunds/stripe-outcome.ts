// What a failed Stripe refund call means for the refund, by the error's class and fields (never its
// message): worth another attempt with the same idempotency key, or a final answer.
import Stripe from 'stripe';
import type { RefundStatus } from './store.js';

export type RefundFailure =
  /** Stripe could not be reached, failed, rate-limited us, or is still running the same request. */
  | { kind: 'retry'; reason: string }
  /** The charge has less left to refund than asked (refunded meanwhile, e.g. in Stripe's dashboard). */
  | { kind: 'over_refund'; reason: string }
  /** Stripe refused the refund for good (invalid request, permission, …). */
  | { kind: 'permanent'; reason: string };

/** Classifies an error thrown by the SDK's refunds.create; a non-Stripe error is retried. */
export function classifyRefundError(err: unknown): RefundFailure {
  if (!(err instanceof Stripe.errors.StripeError)) {
    return { kind: 'retry', reason: `error: ${err instanceof Error ? err.name : 'unknown'}` };
  }
  // rawType is Stripe's own error type (api_error, invalid_request_error…); type is the SDK's class name.
  const type = err.rawType ?? err.type;
  const code = err.code ?? type;
  if (
    err instanceof Stripe.errors.StripeConnectionError ||
    err instanceof Stripe.errors.StripeAPIError ||
    err instanceof Stripe.errors.StripeRateLimitError ||
    (typeof err.statusCode === 'number' && (err.statusCode >= 500 || err.statusCode === 429))
  ) {
    const what = err instanceof Stripe.errors.StripeConnectionError ? 'connection_error' : type;
    return { kind: 'retry', reason: `${what}${err.statusCode ? ` (${err.statusCode})` : ''}` };
  }
  // An idempotency conflict with status 409: the same key's first request is still running.
  if (err instanceof Stripe.errors.StripeIdempotencyError && err.statusCode === 409) {
    return { kind: 'retry', reason: 'idempotency_error (409): the same refund is in progress' };
  }
  if (code === 'charge_already_refunded' || code === 'amount_too_large') {
    return { kind: 'over_refund', reason: code };
  }
  return { kind: 'permanent', reason: code };
}

/** paydesk's status for a Stripe refund's status. */
export function statusOf(refund: Pick<Stripe.Refund, 'status'>): RefundStatus {
  switch (refund.status) {
    case 'succeeded':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'canceled':
      return 'canceled';
    default:
      // pending, requires_action: the money has not gone back yet.
      return 'pending';
  }
}
