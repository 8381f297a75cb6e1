import type { App } from '../core/app.js';
import { StripeError, stateError } from '../core/errors.js';
import type { Params } from '../core/form.js';
import type { ExtraHandler } from '../core/http.js';
import { pageRoute, pagesHandler } from '../pages/router.js';
import { sessionOfIntent, settleCheckoutSession } from './checkout-sessions.js';
import { type EngineCtx, engineCtx } from './common/engine.js';
import { authenticatePaymentIntent } from './payment-intents.js';
import { authenticateSetupIntent } from './setup-intents.js';

// The hosted pages register their routes with the same router.
import '../pages/index.js';

export { type PageResult, type PageRoute, pageRoute } from '../pages/router.js';

/**
 * HTTP endpoints of the payment resources that are not Stripe API calls: control endpoints under
 * `/_emulator/` to drive outcomes that a real customer or bank would decide. No API key (like the rest
 * of the control API); bodies are JSON or form-encoded. The hosted pages themselves (3-D Secure,
 * Checkout, portal) live in `../pages/`.
 *
 *   POST /_emulator/payment_intents/:id/authenticate     {outcome: 'succeed'|'fail'}
 *   POST /_emulator/setup_intents/:id/authenticate       {outcome: 'succeed'|'fail'}
 *   POST /_emulator/refunds/:id/fail                     a pending refund fails
 */
export function readOutcome(body: Params): 'succeed' | 'fail' {
  const o = body.outcome;
  if (o === 'succeed' || o === 'fail') return o;
  throw new StripeError({
    status: 400,
    type: 'invalid_request_error',
    param: 'outcome',
    message: "outcome must be 'succeed' or 'fail'.",
  });
}

export interface AuthenticationResult {
  kind: 'payment_intent' | 'setup_intent';
  id: string;
  clientSecret: string;
  returnUrl: string | null;
  /** `redirect_status` as Stripe.js reports it. */
  redirectStatus: 'succeeded' | 'failed' | 'processing';
  intent: unknown;
}

function redirectStatusOf(status: string): AuthenticationResult['redirectStatus'] {
  if (status === 'succeeded' || status === 'requires_capture') return 'succeeded';
  if (status === 'processing') return 'processing';
  return 'failed';
}

/** The state of an intent's 3-D Secure step (for the challenge page and its redirects). */
export function intentForChallenge(ctx: EngineCtx, id: string): AuthenticationResult | undefined {
  if (id.startsWith('seti_')) {
    const si = ctx.store.c('setup_intent').get(id);
    if (si === undefined) return undefined;
    return {
      kind: 'setup_intent',
      id: si.id,
      clientSecret: si.client_secret ?? '',
      returnUrl: ctx.store.c('_setup_intent').get(si.id)?.returnUrl ?? null,
      redirectStatus: redirectStatusOf(String(si.status)),
      intent: si,
    };
  }
  const pi = ctx.store.c('payment_intent').get(id);
  if (pi === undefined) return undefined;
  return {
    kind: 'payment_intent',
    id: pi.id,
    clientSecret: pi.client_secret ?? '',
    returnUrl: ctx.store.c('_payment_intent').get(pi.id)?.returnUrl ?? null,
    redirectStatus: redirectStatusOf(String(pi.status)),
    intent: pi,
  };
}

/**
 * Completes or fails a 3-D Secure step, then settles the Checkout Session the intent pays (a
 * subscription's first payment or a setup completes its session here, as Stripe does when the
 * customer finishes the challenge).
 */
export function authenticateIntent(
  app: App,
  kind: AuthenticationResult['kind'],
  id: string,
  outcome: 'succeed' | 'fail',
): AuthenticationResult {
  const ctx = engineCtx(app);
  if (kind === 'setup_intent') {
    authenticateSetupIntent(ctx, ctx.store.c('setup_intent').require(id, 'intent', 404), outcome);
  } else {
    authenticatePaymentIntent(ctx, ctx.store.c('payment_intent').require(id, 'intent', 404), outcome);
  }
  const session = sessionOfIntent(app, id);
  if (session !== undefined) settleCheckoutSession(ctx, session);
  const r = intentForChallenge(ctx, id);
  if (r === undefined) throw stateError(`No such intent: '${id}'`, 'resource_missing');
  return r;
}

/** `return_url` with the parameters Stripe.js adds after a redirect. */
export function returnUrlWith(r: AuthenticationResult): string | undefined {
  if (r.returnUrl === null) return undefined;
  let url: URL;
  try {
    url = new URL(r.returnUrl);
  } catch {
    return undefined;
  }
  url.searchParams.set(r.kind, r.id);
  url.searchParams.set(`${r.kind}_client_secret`, r.clientSecret);
  url.searchParams.set('redirect_status', r.redirectStatus);
  return url.toString();
}

function authenticateRoute(app: App, kind: AuthenticationResult['kind'], id: string, body: Params) {
  const r = authenticateIntent(app, kind, id, readOutcome(body));
  const back = body._form === '1' ? returnUrlWith(r) : undefined;
  if (back !== undefined) return { status: 303, redirect: back };
  return { status: 200, json: r.intent };
}

pageRoute('POST', /^\/_emulator\/payment_intents\/([^/]+)\/authenticate$/, (app, [id], body) =>
  authenticateRoute(app, 'payment_intent', id!, body),
);
pageRoute('POST', /^\/_emulator\/setup_intents\/([^/]+)\/authenticate$/, (app, [id], body) =>
  authenticateRoute(app, 'setup_intent', id!, body),
);

/** The node:http handler for the pages and control routes (placed before the control API). */
export function paymentPagesHandler(app: App): ExtraHandler {
  return pagesHandler(app);
}
