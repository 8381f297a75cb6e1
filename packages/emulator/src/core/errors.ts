/**
 * Stripe's error object and the helpers resources throw. A handler never writes an error response
 * itself: it throws a `StripeError` and the HTTP layer renders `{error: {...}}` with its status.
 */
export type StripeErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';

export interface StripeErrorInit {
  status: number;
  type: StripeErrorType;
  message: string;
  code?: string | undefined;
  declineCode?: string | undefined;
  param?: string | undefined;
  /** Extra members of the error object, e.g. `payment_intent`, `charge`, `payment_method`. */
  extra?: Record<string, unknown> | undefined;
  /** Response headers to add (e.g. `Retry-After`). */
  headers?: Record<string, string> | undefined;
}

export class StripeError extends Error {
  readonly status: number;
  readonly type: StripeErrorType;
  readonly code: string | undefined;
  readonly declineCode: string | undefined;
  readonly param: string | undefined;
  readonly extra: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(init: StripeErrorInit) {
    super(init.message);
    this.name = 'StripeError';
    this.status = init.status;
    this.type = init.type;
    this.code = init.code;
    this.declineCode = init.declineCode;
    this.param = init.param;
    this.extra = init.extra;
    this.headers = init.headers;
  }

  /** The JSON body Stripe sends: `{error: {type, code?, decline_code?, param?, message, doc_url?, ...}}`. */
  toBody(requestId?: string): { error: Record<string, unknown> } {
    const error: Record<string, unknown> = { type: this.type };
    if (this.code !== undefined) {
      error.code = this.code;
      error.doc_url = `https://stripe.com/docs/error-codes/${this.code.replaceAll('_', '-')}`;
    }
    if (this.declineCode !== undefined) error.decline_code = this.declineCode;
    if (this.param !== undefined) error.param = this.param;
    error.message = this.message;
    if (requestId !== undefined) {
      error.request_log_url = `https://dashboard.stripe.com/test/logs/${requestId}`;
    }
    if (this.extra) Object.assign(error, this.extra);
    return { error };
  }
}

/** 400 invalid_request_error. */
export function invalidRequest(message: string, param?: string, code?: string): StripeError {
  return new StripeError({ status: 400, type: 'invalid_request_error', message, param, code });
}

/** 400 `parameter_missing`, naming the parameter (`recurring[interval]` style for nested ones). */
export function missingParam(param: string): StripeError {
  return new StripeError({
    status: 400,
    type: 'invalid_request_error',
    code: 'parameter_missing',
    param,
    message: `Missing required param: ${param}.`,
  });
}

/**
 * `resource_missing`: "No such customer: 'cus_x'". `kind` is written as Stripe writes it in the
 * message (`customer`, `price`, `PaymentIntent`, `checkout.session`). The object in the URL's path
 * (no `param`, or `id`) is a 404; an object named by a parameter (`customer`, `items[0][price]`) is a
 * 400 naming that parameter, as Stripe answers.
 */
export function resourceMissing(
  kind: string,
  id: string,
  param?: string,
  status = param === undefined || param === 'id' ? 404 : 400,
): StripeError {
  return new StripeError({
    status,
    type: 'invalid_request_error',
    code: 'resource_missing',
    param: param ?? 'id',
    message: `No such ${kind}: '${id}'`,
  });
}

/** 400 for an action the object's current state does not allow (e.g. capturing a canceled intent). */
export function stateError(message: string, code = 'resource_state_unexpected', param?: string): StripeError {
  return new StripeError({ status: 400, type: 'invalid_request_error', code, param, message });
}

/** 402 card_error, e.g. `cardError('card_declined', 'insufficient_funds', 'Your card has insufficient funds.')`. */
export function cardError(
  code: string,
  declineCode: string | undefined,
  message: string,
  extra?: Record<string, unknown>,
): StripeError {
  return new StripeError({ status: 402, type: 'card_error', code, declineCode, message, extra });
}

/** 400 idempotency_error. */
export function idempotencyError(message: string): StripeError {
  return new StripeError({ status: 400, type: 'idempotency_error', message });
}

/** 401: no key, a malformed key or a live key. */
export function authenticationError(message: string): StripeError {
  return new StripeError({ status: 401, type: 'invalid_request_error', message });
}

/** 429 rate limit (used by fault injection). */
export function rateLimitError(): StripeError {
  return new StripeError({
    status: 429,
    type: 'invalid_request_error',
    code: 'rate_limit',
    message: 'Too many requests hit the API too quickly (emulated rate limit).',
  });
}

/** 500 api_error. */
export function apiError(message = 'An unexpected error occurred in the emulator.'): StripeError {
  return new StripeError({ status: 500, type: 'api_error', message });
}
