import type { App } from '../core/app.js';
import { merchantName } from '../resources/common/account.js';
import { baseUrl } from '../resources/common/base-url.js';
import { engineCtx } from '../resources/common/engine.js';
import { sessionParamsOf } from '../resources/payment-links.js';
import { html } from './html.js';
import { cardPage, notFoundPage, testBadge } from './layout.js';
import { callApi } from './portal-api.js';
import { type PageResult, pageRoute } from './router.js';

/**
 * A payment link's `url`:
 *
 *   GET /b/:link            a new Checkout Session for the link (303 to its page), or "no longer
 *                           available" with the link's `inactive_message` when it is deactivated
 *   GET /b/:link/complete   the hosted confirmation (`after_completion.type = hosted_confirmation`)
 *
 * The session is made through the API's own route (`app.dispatch`), so it is exactly what
 * `POST /v1/checkout/sessions` makes, with `payment_link` set.
 */
async function open(app: App, id: string): Promise<PageResult> {
  const ctx = engineCtx(app);
  const link = app.store.c('payment_link').get(id);
  if (link === undefined) return { status: 404, html: notFoundPage('Payment link') };
  if (!link.active) {
    return {
      status: 410,
      html: cardPage(
        'Link unavailable',
        html`<div class="status-icon bad" aria-hidden="true">!</div><h1>This link is no longer available</h1>
<p class="muted">${link.inactive_message ?? `${merchantName(app)} has deactivated this payment link.`}</p>
<p class="small muted">${testBadge()}</p>`,
      ),
    };
  }
  const complete = `${baseUrl(app)}/b/${link.id}/complete?session_id={CHECKOUT_SESSION_ID}`;
  const res = await callApi<{ id: string; url: string }>(
    app,
    'POST',
    '/v1/checkout/sessions',
    sessionParamsOf(ctx, link, complete),
  );
  if (!res.ok) {
    return {
      status: res.status,
      html: cardPage(
        'Link unavailable',
        html`<div class="status-icon bad" aria-hidden="true">!</div><h1>This link cannot be paid now</h1>
<p class="muted">${res.error?.message ?? 'The payment page could not be opened.'}</p>
<p class="small muted">${testBadge()}</p>`,
      ),
    };
  }
  const session = app.store.c('checkout.session').get(res.body.id);
  if (session !== undefined) session.payment_link = link.id;
  return { status: 303, redirect: res.body.url };
}

function complete(app: App, id: string, query: URLSearchParams): PageResult {
  const link = app.store.c('payment_link').get(id);
  if (link === undefined) return { status: 404, html: notFoundPage('Payment link') };
  const session = app.store.c('checkout.session').get(query.get('session_id') ?? '');
  if (session === undefined || session.payment_link !== link.id || session.status !== 'complete') {
    return { status: 404, html: notFoundPage('Payment') };
  }
  const message = link.after_completion.hosted_confirmation?.custom_message;
  return {
    status: 200,
    html: cardPage(
      'Thank you',
      html`<div class="status-icon ok" aria-hidden="true">✓</div><h1>Thanks for your payment</h1>
<p class="muted">${message ?? `A receipt from ${merchantName(app)} is on its way.`}</p>
<p class="small muted">${testBadge()}</p>`,
    ),
  };
}

const LINK = '(plink_[A-Za-z0-9]+)';
pageRoute('GET', new RegExp(`^/b/${LINK}$`), (app, [id]) => open(app, id!));
pageRoute('GET', new RegExp(`^/b/${LINK}/complete$`), (app, [id], _body, query) => complete(app, id!, query));
