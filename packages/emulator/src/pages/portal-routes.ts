import type { App } from '../core/app.js';
import { StripeError } from '../core/errors.js';
import type { Params } from '../core/form.js';
import type { Invoice } from '../resources/billing/invoice-engine.js';
import type { Subscription } from '../resources/billing/subscription-model.js';
import type { PortalConfiguration, PortalSession } from '../resources/billing-portal.js';
import { merchantName } from '../resources/common/account.js';
import { baseUrl } from '../resources/common/base-url.js';
import { engineCtx } from '../resources/common/engine.js';
import { createCardPaymentMethod, emptyBillingDetails } from '../resources/payment-methods.js';
import { fieldOfParam, keptExpiry, keptName, readCard } from './card-form.js';
import { notFoundPage } from './layout.js';
import { callApi } from './portal-api.js';
import {
  cancelPage,
  cardFormPage,
  choosePlanPage,
  confirmPlanPage,
  overviewPage,
  type PlanChoice,
  type PortalFrame,
  type ProrationView,
  type SubscriptionView,
} from './portal-page.js';
import { type PageResult, pageRoute } from './router.js';

/**
 * The Customer Portal at each portal session's `url`, driven by the session's configuration. Every
 * change is an API call through `app.dispatch` (see portal-api.ts), so it runs the same engine and
 * emits the same events as the API:
 *
 *   GET  /p/session/:id                                 subscriptions, payment method, invoices
 *   GET  /p/session/:id/subscriptions/:sub/update[?price=]  choose a plan, then the proration preview
 *   POST /p/session/:id/subscriptions/:sub/update       switch (`POST /v1/subscriptions/:sub`)
 *   GET|POST /p/session/:id/subscriptions/:sub/cancel   confirm, then cancel per configuration
 *   POST /p/session/:id/subscriptions/:sub/renew        undo a pending cancellation
 *   GET|POST /p/session/:id/payment-method              new default card (a SetupIntent, 3-D Secure)
 *   GET  /p/session/:id/payment-method/return           back from 3-D Secure
 */
interface Portal {
  session: PortalSession;
  config: PortalConfiguration;
  customer: string;
  frame: PortalFrame;
}

function load(app: App, id: string): Portal | undefined {
  const session = app.store.c('billing_portal.session').get(id);
  if (session === undefined) return undefined;
  const config = app.store.c('billing_portal.configuration').get(String(session.configuration));
  const customerId = String(session.customer);
  const customer = app.store.c('customer').get(customerId);
  if (config === undefined || customer === undefined) return undefined;
  return {
    session,
    config,
    customer: customerId,
    frame: {
      base: `/p/session/${session.id}`,
      merchant: merchantName(app),
      returnUrl: session.return_url ?? '/',
      customerLabel: customer.email ?? customer.name ?? customer.id,
    },
  };
}

function subscriptionsOf(app: App, customer: string): Subscription[] {
  return [...app.store.c('subscription').newestFirst()].filter(
    (s) => s.customer === customer && s.status !== 'incomplete_expired',
  );
}

function viewOf(app: App, p: Portal, sub: Subscription): SubscriptionView {
  const item = sub.items.data[0];
  const price = item?.price;
  const product = price ? app.store.c('product').get(String(price.product)) : undefined;
  const upd = p.config.features.subscription_update;
  const cancel = p.config.features.subscription_cancel;
  return {
    sub,
    planName: product?.name ?? price?.nickname ?? 'Subscription',
    price,
    canUpdate: upd.enabled && sub.items.data.length === 1 && choices(app, p, sub).length > 1,
    canCancel: cancel.enabled,
    cancelMode: cancel.mode === 'immediately' ? 'immediately' : 'at_period_end',
  };
}

/** The prices the configuration lets a customer switch to (same currency and interval kind). */
function choices(app: App, p: Portal, sub: Subscription): PlanChoice[] {
  const out: PlanChoice[] = [];
  for (const entry of p.config.features.subscription_update.products ?? []) {
    const product = app.store.c('product').get(entry.product);
    for (const priceId of entry.prices) {
      const price = app.store.c('price').get(priceId);
      if (!price?.active || !price.recurring || price.currency !== sub.currency) continue;
      out.push({ price, productName: product?.name ?? price.nickname ?? price.id });
    }
  }
  return out;
}

function findSub(app: App, p: Portal, subId: string): Subscription | undefined {
  const sub = app.store.c('subscription').get(subId);
  return sub && sub.customer === p.customer ? sub : undefined;
}

function defaultCard(app: App, customer: string) {
  const c = app.store.c('customer').get(customer);
  let pmId = c?.invoice_settings.default_payment_method ?? null;
  if (typeof pmId !== 'string') {
    const sub = subscriptionsOf(app, customer).find((s) => typeof s.default_payment_method === 'string');
    pmId = (sub?.default_payment_method as string | undefined) ?? null;
  }
  return typeof pmId === 'string' ? app.store.c('payment_method').get(pmId) : undefined;
}

function overview(app: App, p: Portal, notice: string | null): PageResult {
  const invoices = p.config.features.invoice_history.enabled
    ? [...app.store.c('invoice').newestFirst()].filter(
        (inv) => inv.customer === p.customer && inv.status !== 'draft',
      )
    : undefined;
  return {
    status: 200,
    html: overviewPage(p.frame, {
      notice,
      subscriptions: subscriptionsOf(app, p.customer).map((s) => viewOf(app, p, s)),
      card: defaultCard(app, p.customer),
      canUpdateCard: p.config.features.payment_method_update.enabled,
      invoices,
      headline: p.config.business_profile.headline,
    }),
  };
}

async function preview(
  app: App,
  p: Portal,
  sub: Subscription,
  priceId: string,
): Promise<ProrationView | string> {
  const item = sub.items.data[0]!;
  const behavior = p.config.features.subscription_update.proration_behavior;
  const r = await callApi<Invoice>(app, 'POST', '/v1/invoices/create_preview', {
    customer: p.customer,
    subscription: sub.id,
    subscription_details: { items: [{ id: item.id, price: priceId }], proration_behavior: behavior },
  });
  if (!r.ok) return r.error?.message ?? 'The preview failed.';
  const lines = r.body.lines.data
    .filter(
      (l) => l.parent?.subscription_item_details?.proration || l.parent?.invoice_item_details?.proration,
    )
    .map((l) => ({ description: l.description ?? '', amount: l.amount }));
  const total = lines.reduce((s, l) => s + l.amount, 0);
  return {
    lines,
    total: behavior === 'always_invoice' ? r.body.amount_due : total,
    currency: r.body.currency,
    chargedNow: behavior === 'always_invoice',
    nextDate: behavior === 'always_invoice' ? undefined : (r.body.next_payment_attempt ?? r.body.period_end),
    nextTotal: behavior === 'always_invoice' ? undefined : r.body.amount_due,
  };
}

async function updatePage(app: App, p: Portal, subId: string, query: URLSearchParams): Promise<PageResult> {
  const sub = findSub(app, p, subId);
  if (!sub) return { status: 404, html: notFoundPage('Subscription') };
  const v = viewOf(app, p, sub);
  if (!v.canUpdate) return overview(app, p, null);
  const options = choices(app, p, sub);
  const priceId = query.get('price');
  if (priceId === null) return { status: 200, html: choosePlanPage(p.frame, v, options) };
  const next = options.find((c) => c.price.id === priceId && c.price.id !== v.price?.id);
  if (!next)
    return { status: 400, html: choosePlanPage(p.frame, v, options, 'Choose one of the plans below.') };
  const pr = await preview(app, p, sub, next.price.id);
  if (typeof pr === 'string') return { status: 400, html: choosePlanPage(p.frame, v, options, pr) };
  return { status: 200, html: confirmPlanPage(p.frame, v, next, pr) };
}

async function doUpdate(app: App, p: Portal, subId: string, body: Params): Promise<PageResult> {
  const sub = findSub(app, p, subId);
  if (!sub) return { status: 404, html: notFoundPage('Subscription') };
  const v = viewOf(app, p, sub);
  const options = choices(app, p, sub);
  const next = options.find((c) => c.price.id === body.price && c.price.id !== v.price?.id);
  if (!v.canUpdate || !next) {
    return { status: 400, html: choosePlanPage(p.frame, v, options, 'Choose one of the plans below.') };
  }
  const r = await callApi(app, 'POST', `/v1/subscriptions/${sub.id}`, {
    items: [{ id: sub.items.data[0]!.id, price: next.price.id }],
    proration_behavior: p.config.features.subscription_update.proration_behavior,
  });
  if (!r.ok)
    return {
      status: 402,
      html: choosePlanPage(p.frame, v, options, r.error?.message ?? 'The change failed.'),
    };
  return { status: 303, redirect: `${p.frame.base}?done=plan` };
}

async function doCancel(app: App, p: Portal, subId: string): Promise<PageResult> {
  const sub = findSub(app, p, subId);
  if (!sub) return { status: 404, html: notFoundPage('Subscription') };
  const cfg = p.config.features.subscription_cancel;
  if (!cfg.enabled) return overview(app, p, null);
  const r =
    cfg.mode === 'immediately'
      ? await callApi(app, 'DELETE', `/v1/subscriptions/${sub.id}`, {
          prorate: cfg.proration_behavior === 'none' ? undefined : 'true',
        })
      : await callApi(app, 'POST', `/v1/subscriptions/${sub.id}`, { cancel_at_period_end: 'true' });
  if (!r.ok) return { status: 400, html: cancelPage(p.frame, viewOf(app, p, sub)) };
  return {
    status: 303,
    redirect: `${p.frame.base}?done=${cfg.mode === 'immediately' ? 'canceled' : 'canceling'}`,
  };
}

async function doRenew(app: App, p: Portal, subId: string): Promise<PageResult> {
  const sub = findSub(app, p, subId);
  if (!sub) return { status: 404, html: notFoundPage('Subscription') };
  const r = await callApi(app, 'POST', `/v1/subscriptions/${sub.id}`, {
    cancel_at_period_end: 'false',
    ...(sub.cancel_at !== null && !sub.cancel_at_period_end ? { cancel_at: '' } : {}),
  });
  if (!r.ok) return overview(app, p, null);
  return { status: 303, redirect: `${p.frame.base}?done=renewed` };
}

/** Makes the card the customer's default, and of each subscription that names its own. */
async function makeDefault(app: App, p: Portal, pmId: string): Promise<void> {
  await callApi(app, 'POST', `/v1/customers/${p.customer}`, {
    invoice_settings: { default_payment_method: pmId },
  });
  for (const sub of subscriptionsOf(app, p.customer)) {
    if (sub.status === 'canceled' || typeof sub.default_payment_method !== 'string') continue;
    await callApi(app, 'POST', `/v1/subscriptions/${sub.id}`, { default_payment_method: pmId });
  }
}

async function saveCard(app: App, p: Portal, body: Params): Promise<PageResult> {
  if (!p.config.features.payment_method_update.enabled) return overview(app, p, null);
  const ctx = engineCtx(app);
  const keep = { name: keptName(body), expiry: keptExpiry(body) };
  const { card, errors } = readCard(body, ctx.now());
  if (card === undefined) return { status: 400, html: cardFormPage(p.frame, { errors, keep }) };
  let pmId: string;
  try {
    pmId = createCardPaymentMethod(ctx, {
      number: card.number,
      exp: card.exp,
      cvc: card.cvc,
      billingDetails: { ...emptyBillingDetails(), name: card.name },
    }).id;
  } catch (err) {
    if (!(err instanceof StripeError) || err.status >= 500) throw err;
    const field = fieldOfParam(err.param);
    return {
      status: 402,
      html: cardFormPage(p.frame, {
        errors: field ? { [field]: err.message } : {},
        alert: err.message,
        keep,
      }),
    };
  }
  const r = await callApi<{ id: string; status: string }>(app, 'POST', '/v1/setup_intents', {
    customer: p.customer,
    payment_method: pmId,
    confirm: 'true',
    usage: 'off_session',
    payment_method_types: ['card'],
    return_url: `${baseUrl(app)}${p.frame.base}/payment-method/return`,
  });
  if (!r.ok) {
    return {
      status: 402,
      html: cardFormPage(p.frame, { errors: {}, alert: r.error?.message ?? 'Your card was declined.', keep }),
    };
  }
  if (r.body.status === 'requires_action')
    return { status: 303, redirect: `${baseUrl(app)}/_emulator/3ds/${r.body.id}` };
  await makeDefault(app, p, pmId);
  return { status: 303, redirect: `${p.frame.base}?done=card` };
}

async function cardReturn(app: App, p: Portal, query: URLSearchParams): Promise<PageResult> {
  const si = app.store.c('setup_intent').get(query.get('setup_intent') ?? '');
  if (si === undefined || si.customer !== p.customer)
    return { status: 404, html: notFoundPage('Card setup') };
  if (si.status === 'succeeded' && typeof si.payment_method === 'string') {
    const c = app.store.c('customer').get(p.customer);
    if (c?.invoice_settings.default_payment_method !== si.payment_method)
      await makeDefault(app, p, si.payment_method);
    return { status: 303, redirect: `${p.frame.base}?done=card` };
  }
  const alert = si.last_setup_error?.message ?? 'Authentication was not completed. Try again.';
  return { status: 200, html: cardFormPage(p.frame, { errors: {}, alert, keep: {} }) };
}

const SESSION = '/p/session/(bps_[A-Za-z0-9]+)';
const SUB = '/subscriptions/(sub_[A-Za-z0-9]+)';

function withPortal(
  run: (
    app: App,
    p: Portal,
    args: string[],
    body: Params,
    query: URLSearchParams,
  ) => PageResult | Promise<PageResult>,
) {
  return (app: App, args: string[], body: Params, query: URLSearchParams) => {
    const p = load(app, args[0]!);
    if (p === undefined) return { status: 404, html: notFoundPage('Portal session') };
    return run(app, p, args.slice(1), body, query);
  };
}

const NOTICE = new Set(['plan', 'canceled', 'canceling', 'renewed', 'card']);
pageRoute(
  'GET',
  new RegExp(`^${SESSION}$`),
  withPortal((app, p, _a, _b, q) => overview(app, p, NOTICE.has(q.get('done') ?? '') ? q.get('done') : null)),
);
pageRoute(
  'GET',
  new RegExp(`^${SESSION}${SUB}/update$`),
  withPortal((app, p, [sub], _b, q) => updatePage(app, p, sub!, q)),
);
pageRoute(
  'POST',
  new RegExp(`^${SESSION}${SUB}/update$`),
  withPortal((app, p, [sub], body) => doUpdate(app, p, sub!, body)),
);
pageRoute(
  'GET',
  new RegExp(`^${SESSION}${SUB}/cancel$`),
  withPortal((app, p, [subId]) => {
    const sub = findSub(app, p, subId!);
    if (!sub) return { status: 404, html: notFoundPage('Subscription') };
    return { status: 200, html: cancelPage(p.frame, viewOf(app, p, sub)) };
  }),
);
pageRoute(
  'POST',
  new RegExp(`^${SESSION}${SUB}/cancel$`),
  withPortal((app, p, [sub]) => doCancel(app, p, sub!)),
);
pageRoute(
  'POST',
  new RegExp(`^${SESSION}${SUB}/renew$`),
  withPortal((app, p, [sub]) => doRenew(app, p, sub!)),
);
pageRoute(
  'GET',
  new RegExp(`^${SESSION}/payment-method$`),
  withPortal((_app, p) => ({ status: 200, html: cardFormPage(p.frame, { errors: {}, keep: {} }) })),
);
pageRoute(
  'POST',
  new RegExp(`^${SESSION}/payment-method$`),
  withPortal((app, p, _a, body) => saveCard(app, p, body)),
);
pageRoute(
  'GET',
  new RegExp(`^${SESSION}/payment-method/return$`),
  withPortal((app, p, _a, _b, q) => cardReturn(app, p, q)),
);
