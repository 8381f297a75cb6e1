// The error catalog: every error paydesk answers with has a code from this closed set, and every
// code has exactly one HTTP status. docs/errors.md documents each code (a test enforces it).

export const errorCatalog = {
  bad_request: { status: 400, message: 'The request is not valid.' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  invalid_body: { status: 400, message: 'The request body could not be read.' },
  validation_failed: { status: 400, message: 'The request has invalid or missing parameters.' },
  invalid_signature: { status: 400, message: 'The webhook signature is missing, invalid or too old.' },
  invalid_redirect: { status: 400, message: 'The URL does not point to an allowed origin.' },
  unauthorized: { status: 401, message: 'Authentication is required.' },
  card_declined: { status: 402, message: 'The card was declined.' },
  forbidden: { status: 403, message: 'You are not allowed to do this.' },
  not_found: { status: 404, message: 'No such resource.' },
  method_not_allowed: { status: 405, message: 'This method is not allowed on this resource.' },
  conflict: { status: 409, message: 'The request conflicts with the current state.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'The request content type is not supported.' },
  rate_limited: { status: 429, message: 'Too many requests; retry later.' },
  internal_error: { status: 500, message: 'An unexpected error occurred.' },
  stripe_error: { status: 502, message: 'Stripe refused the request paydesk made; see the log for details.' },
  stripe_unavailable: { status: 502, message: 'Stripe could not be reached or failed; retry later.' },
  whmcs_unavailable: {
    status: 502,
    message: 'WHMCS could not be reached or answered an error; retry later.',
  },
  not_ready: { status: 503, message: 'The service is not ready.' },
  storage_unavailable: { status: 503, message: 'The request could not be stored; retry later.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalog;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalog, value);
}

/** An error paydesk means to answer with: a catalog code, a message safe to show, optional details. */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string = errorCatalog[code].message,
    readonly details?: Readonly<Record<string, unknown>>,
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = errorCatalog[code].status;
  }
}

export type ErrorBody = {
  error: { code: ErrorCode; message: string; request_id: string; details?: Record<string, unknown> };
};

export function errorBody(err: AppError, requestId: string): ErrorBody {
  const body: ErrorBody = { error: { code: err.code, message: err.message, request_id: requestId } };
  if (err.details) body.error.details = { ...err.details };
  return body;
}
