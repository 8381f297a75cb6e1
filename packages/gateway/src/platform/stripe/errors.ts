// Stripe errors become catalog errors by class and field, never by message text.
import Stripe from 'stripe';
import { AppError } from '../errors.js';

/** What the log says of a Stripe error: Stripe's own fields, never its headers or the request sent. */
export interface StripeErrorSummary {
  class: string;
  type: string;
  status: number | null;
  code: string | null;
  param: string | null;
  decline_code: string | null;
  message: string;
  request_id: string | null;
  request_log_url: string | null;
  doc_url: string | null;
}

export function summarizeStripeError(
  err: InstanceType<typeof Stripe.errors.StripeError>,
): StripeErrorSummary {
  const raw = (err.raw ?? {}) as { request_log_url?: unknown };
  return {
    // The SDK's `type` is its class name; Stripe's own error type is `rawType`.
    class: err.type,
    type: err.rawType ?? err.type,
    status: err.statusCode ?? null,
    code: err.code ?? null,
    param: err.param ?? null,
    decline_code: err.decline_code ?? null,
    message: err.message,
    request_id: err.requestId ?? null,
    request_log_url: typeof raw.request_log_url === 'string' ? raw.request_log_url : null,
    doc_url: err.doc_url ?? null,
  };
}

/**
 * The Stripe error behind a catalog error, for the log (see platform/http/error-handler.ts), or
 * undefined when there is none.
 */
export function stripeCauseOf(err: unknown): StripeErrorSummary | undefined {
  const cause = err instanceof Error ? err.cause : undefined;
  if (err instanceof Stripe.errors.StripeError) return summarizeStripeError(err);
  if (cause instanceof Stripe.errors.StripeError) return summarizeStripeError(cause);
  return undefined;
}

/** Maps anything the SDK threw to the AppError the client sees. Non-Stripe errors pass through. */
export function mapStripeError(err: unknown): unknown {
  if (!(err instanceof Stripe.errors.StripeError)) return err;
  const mapped = catalogErrorFor(err);
  // Kept for the log: the client sees the catalog error, the log Stripe's type, code, param, request id.
  mapped.cause = err;
  return mapped;
}

function catalogErrorFor(err: InstanceType<typeof Stripe.errors.StripeError>): AppError {
  if (err instanceof Stripe.errors.StripeCardError) {
    return new AppError('card_declined', cardMessage(err.decline_code ?? err.code), {
      stripe_code: err.code ?? 'card_declined',
      decline_code: err.decline_code ?? null,
      ...(err.payment_intent?.id ? { payment_intent: err.payment_intent.id } : {}),
    });
  }
  if (err instanceof Stripe.errors.StripeRateLimitError) {
    return new AppError('rate_limited', 'Stripe is rate-limiting requests; retry shortly.', undefined, {
      'retry-after': '1',
    });
  }
  if (err instanceof Stripe.errors.StripeConnectionError || err instanceof Stripe.errors.StripeAPIError) {
    return new AppError('stripe_unavailable');
  }
  if (err instanceof Stripe.errors.StripeIdempotencyError) {
    return new AppError(
      'conflict',
      'A request with the same operation is already in progress or differs; retry.',
    );
  }
  if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'resource_missing') {
    return new AppError('not_found', 'No such resource in Stripe.');
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 500) return new AppError('stripe_unavailable');
  // Authentication, permission and invalid-request errors mean paydesk (or its configuration) sent
  // something Stripe refused: not the caller's fault, so a 502 whose details stay in the log.
  return new AppError('stripe_error');
}

const declineMessages: Record<string, string> = {
  insufficient_funds: 'The card has insufficient funds.',
  expired_card: 'The card has expired.',
  incorrect_cvc: "The card's security code is incorrect.",
  processing_error: 'An error occurred while processing the card; try again.',
  lost_card: 'The card was declined.',
  stolen_card: 'The card was declined.',
  authentication_required: 'The card requires authentication.',
};

function cardMessage(code: string | undefined): string {
  return (code && declineMessages[code]) ?? 'The card was declined.';
}
