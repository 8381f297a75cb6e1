import type { ExtraHandler } from './http.js';

/** What a browser may send to the API from another origin (Stripe.js's requests). */
const ALLOWED_HEADERS = 'Authorization, Content-Type, Idempotency-Key, Stripe-Version';

/**
 * Answers CORS preflights (`OPTIONS /v1/…`) so that a page on another origin can call the
 * publishable-key endpoints with `Authorization: Bearer pk_test_…`, as it can call Stripe's API. The
 * answers of requests made with a publishable key carry `Access-Control-Allow-Origin: *` (core/app.ts);
 * those made with a secret key do not, so a browser cannot read them. No cookies are involved, hence
 * no credentials. OPTIONS never takes the lean HTTP path (core/http-front.ts), so it reaches here.
 */
export function corsPreflightHandler(): ExtraHandler {
  return (req, res, path) => {
    if (req.method !== 'OPTIONS' || !path.startsWith('/v1/')) return false;
    res.writeHead(204, {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'GET, POST, DELETE',
      'Access-Control-Allow-Headers': ALLOWED_HEADERS,
      'Access-Control-Max-Age': '600',
    });
    res.end();
    return true;
  };
}
