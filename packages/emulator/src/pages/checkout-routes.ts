import type { App } from '../core/app.js';
import { StripeError } from '../core/errors.js';
import type { Params } from '../core/form.js';
import {
  applyPromotionCode,
  type CheckoutSession,
  confirmSession,
  expireDueSessions,
  removePromotionCode,
} from '../resources/checkout-sessions.js';
import { merchantName } from '../resources/common/account.js';
import { baseUrl } from '../resources/common/base-url.js';
import { type EngineCtx, engineCtx } from '../resources/common/engine.js';
import { createCardPaymentMethod, emptyBillingDetails } from '../resources/payment-methods.js';
import { type FieldErrors, fieldOfParam, keptExpiry, keptName, readCard, readEmail } from './card-form.js';
import { type CheckoutView, checkoutPage, closedPage } from './checkout-page.js';
import { notFoundPage } from './layout.js';
import { type PageResult, pageRoute } from './router.js';

/**
 * The hosted Checkout page at each session's `url`:
 *
 *   GET  /c/pay/:id          the page (or a clear page for an expired or completed session)
 *   POST /c/pay/:id          the form: `action=pay` (card fields, email), `apply_promo`, `remove_promo`
 *   GET  /c/pay/:id/return   where the 3-D Secure page sends the customer back
 *
 * Paying goes through `confirmSession`, the engine behind `POST /v1/payment_pages/:id/confirm`, so
 * the session, its intents, subscription and events are exactly those of the API path.
 */
function successUrl(s: CheckoutSession): string {
  return s
    .success_url!.replaceAll('{CHECKOUT_SESSION_ID}', s.id)
    .replaceAll('%7BCHECKOUT_SESSION_ID%7D', s.id);
}

function view(ctx: EngineCtx, s: CheckoutSession, extra: Partial<CheckoutView> = {}): CheckoutView {
  const priv = ctx.store.c('_checkout_session').get(s.id);
  const customer = typeof s.customer === 'string' ? ctx.store.c('customer').get(s.customer) : undefined;
  const promo = priv?.promotionCode ? ctx.store.c('promotion_code').get(priv.promotionCode) : undefined;
  const couponId = priv?.discountCoupons[0];
  const coupon = couponId ? ctx.store.c('coupon').get(couponId) : undefined;
  const trialDays = s.mode === 'subscription' ? priv?.subscriptionData.trial_period_days : undefined;
  return {
    session: s,
    lineItems: priv?.lineItems ?? [],
    merchant: merchantName(ctx.app),
    trialDays: trialDays && trialDays > 0 ? trialDays : undefined,
    trialEndsAt: trialDays ? ctx.now() + trialDays * 86_400 : undefined,
    promotionCode: promo?.code,
    discountName: coupon ? (coupon.name ?? coupon.id) : undefined,
    // A session for a customer made before (not the one a failed attempt just created) has no email field.
    customerEmail:
      customer && s.customer_email === null && !priv?.createdCustomer ? (customer.email ?? '') : null,
    errors: {},
    alert: undefined,
    promoError: undefined,
    keep: {},
    ...extra,
  };
}

function lookup(app: App, id: string): { ctx: EngineCtx; s?: CheckoutSession } {
  const ctx = engineCtx(app);
  expireDueSessions(ctx);
  return { ctx, s: app.store.c('checkout.session').get(id) };
}

function closed(ctx: EngineCtx, s: CheckoutSession): PageResult {
  return {
    status: s.status === 'expired' ? 410 : 200,
    html: closedPage(s, merchantName(ctx.app), s.status === 'complete' ? successUrl(s) : undefined),
  };
}

function show(app: App, id: string): PageResult {
  const { ctx, s } = lookup(app, id);
  if (s === undefined) return { status: 404, html: notFoundPage('Checkout session') };
  if (s.status !== 'open') return closed(ctx, s);
  return { status: 200, html: checkoutPage(view(ctx, s)) };
}

/** The message of the intent's last failure (after a failed 3-D Secure), from the engine's state. */
function lastFailure(ctx: EngineCtx, s: CheckoutSession): string | undefined {
  if (s.mode === 'setup') {
    const si =
      typeof s.setup_intent === 'string' ? ctx.store.c('setup_intent').get(s.setup_intent) : undefined;
    if (si?.status === 'requires_action') return 'Authentication was not completed. Try again.';
    return si?.last_setup_error?.message ?? undefined;
  }
  let piId = typeof s.payment_intent === 'string' ? s.payment_intent : undefined;
  if (s.mode === 'subscription') {
    const priv = ctx.store.c('_checkout_session').get(s.id);
    const sub = priv?.pendingSubscription
      ? ctx.store.c('subscription').get(priv.pendingSubscription)
      : undefined;
    const inv = sub?.latest_invoice ? ctx.store.c('invoice').get(String(sub.latest_invoice)) : undefined;
    piId = inv ? (ctx.store.c('_invoice_state').get(inv.id)?.payment_intent ?? undefined) : undefined;
  }
  const pi = piId ? ctx.store.c('payment_intent').get(piId) : undefined;
  if (pi?.status === 'requires_action') return 'Authentication was not completed. Try again.';
  return pi?.last_payment_error?.message ?? undefined;
}

function afterChallenge(app: App, id: string): PageResult {
  const { ctx, s } = lookup(app, id);
  if (s === undefined) return { status: 404, html: notFoundPage('Checkout session') };
  if (s.status === 'complete') return { status: 303, redirect: successUrl(s) };
  if (s.status !== 'open') return closed(ctx, s);
  const alert = lastFailure(ctx, s) ?? 'Your payment was not completed. Try again.';
  return { status: 200, html: checkoutPage(view(ctx, s, { alert })) };
}

function nextActionUrl(ctx: EngineCtx, s: CheckoutSession): string | undefined {
  const priv = ctx.store.c('_checkout_session').get(s.id);
  const candidates: string[] = [];
  if (s.mode === 'payment' && typeof s.payment_intent === 'string') candidates.push(s.payment_intent);
  if (s.mode === 'setup' && typeof s.setup_intent === 'string') candidates.push(s.setup_intent);
  if (s.mode === 'subscription' && priv?.pendingSubscription) {
    const sub = ctx.store.c('subscription').get(priv.pendingSubscription);
    const inv = sub?.latest_invoice ? ctx.store.c('invoice').get(String(sub.latest_invoice)) : undefined;
    const piId = inv ? ctx.store.c('_invoice_state').get(inv.id)?.payment_intent : undefined;
    if (piId) candidates.push(piId);
  }
  for (const id of candidates) {
    const intent = id.startsWith('seti_')
      ? ctx.store.c('setup_intent').get(id)
      : ctx.store.c('payment_intent').get(id);
    if (intent?.status === 'requires_action') return `${baseUrl(ctx.app)}/_emulator/3ds/${id}`;
  }
  return undefined;
}

function pay(ctx: EngineCtx, s: CheckoutSession, body: Params): PageResult {
  const keep = {
    email: typeof body.email === 'string' ? body.email.trim().slice(0, 320) : undefined,
    name: keptName(body),
    expiry: keptExpiry(body),
  };
  const errors: FieldErrors = {};
  let email: string | undefined;
  if (s.customer_email !== null) email = s.customer_email;
  else if (view(ctx, s).customerEmail === null) {
    const e = readEmail(body);
    if (e.error) errors.email = e.error;
    email = e.email;
  }
  const { card, errors: cardErrors } = readCard(body, ctx.now());
  Object.assign(errors, cardErrors);
  if (card === undefined || Object.keys(errors).length > 0) {
    return { status: 400, html: checkoutPage(view(ctx, s, { errors, keep })) };
  }
  try {
    const pm = createCardPaymentMethod(ctx, {
      number: card.number,
      exp: card.exp,
      cvc: card.cvc,
      billingDetails: { ...emptyBillingDetails(), name: card.name, email: email ?? null },
    });
    confirmSession(ctx, s, {
      payment_method: pm.id,
      email,
      return_url: `${baseUrl(ctx.app)}/c/pay/${s.id}/return`,
    });
  } catch (err) {
    if (!(err instanceof StripeError) || err.status >= 500) throw err;
    const field = fieldOfParam(err.param);
    const message = err.message;
    return {
      status: err.status === 402 ? 402 : 400,
      html: checkoutPage(
        view(ctx, s, {
          alert: message,
          errors: field ? { [field]: message } : {},
          keep: field === 'card_expiry' ? { ...keep, expiry: '' } : keep,
        }),
      ),
    };
  }
  if (s.status === 'complete') return { status: 303, redirect: successUrl(s) };
  const challenge = nextActionUrl(ctx, s);
  if (challenge !== undefined) return { status: 303, redirect: challenge };
  return { status: 200, html: checkoutPage(view(ctx, s, { alert: 'Your payment is processing.', keep })) };
}

function submit(app: App, id: string, body: Params): PageResult {
  const { ctx, s } = lookup(app, id);
  if (s === undefined) return { status: 404, html: notFoundPage('Checkout session') };
  if (s.status !== 'open') return closed(ctx, s);
  const action = body.action;
  if (action === 'apply_promo') {
    const typed = typeof body.promo === 'string' ? body.promo.trim().slice(0, 100) : '';
    const promoError = typed === '' ? 'Enter a promotion code.' : applyPromotionCode(ctx, s, typed);
    if (promoError !== undefined) {
      return { status: 400, html: checkoutPage(view(ctx, s, { promoError, keep: { promo: typed } })) };
    }
    return { status: 303, redirect: `/c/pay/${s.id}` };
  }
  if (action === 'remove_promo') {
    removePromotionCode(ctx, s);
    return { status: 303, redirect: `/c/pay/${s.id}` };
  }
  return pay(ctx, s, body);
}

const SESSION = '(cs_test_[A-Za-z0-9]+)';
pageRoute('GET', new RegExp(`^/c/pay/${SESSION}$`), (app, [id]) => show(app, id!));
pageRoute('POST', new RegExp(`^/c/pay/${SESSION}$`), (app, [id], body) => submit(app, id!, body));
pageRoute('GET', new RegExp(`^/c/pay/${SESSION}/return$`), (app, [id]) => afterChallenge(app, id!));
