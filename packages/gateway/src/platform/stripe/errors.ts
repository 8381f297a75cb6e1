// Stripe errors become catalog errors by class and field, never by message text.
import Stripe from 'stripe';
import { AppError } from '../errors.js';

/** Maps anything the SDK threw to the AppError the client sees. Non-Stripe errors pass through. */
export function mapStripeError(err: unknown): unknown {
  if (!(err instanceof Stripe.errors.StripeError)) return err;
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
