import type { App } from '../core/app.js';
import type { Params } from '../core/form.js';
import { merchantName } from '../resources/common/account.js';
import { engineCtx } from '../resources/common/engine.js';
import type { PaymentIntent } from '../resources/payment-intents.js';
import {
  type AuthenticationResult,
  authenticateIntent,
  intentForChallenge,
  readOutcome,
  returnUrlWith,
} from '../resources/payment-pages.js';
import type { SetupIntent } from '../resources/setup-intents.js';
import { type Html, html } from './html.js';
import { cardPage, notFoundPage, testBadge } from './layout.js';
import { formatMoney } from './money.js';
import { type PageResult, pageRoute } from './router.js';

/**
 * The 3-D Secure challenge page, `GET /_emulator/3ds/:id` (payment and setup intents), and its form,
 * `POST /_emulator/3ds/:id`. Without `embedded`, Complete/Fail redirects to the intent's `return_url`
 * with `payment_intent` (or `setup_intent`), the client secret and `redirect_status`; with
 * `?embedded=1` (the Stripe.js stand-in's modal iframe) it stays in the frame and posts
 * `{type: 'paydesk-emulator:3ds', intent, outcome}` to the parent window.
 */
function cardLine(app: App, pmId: string | null): string {
  if (!pmId) return '';
  const pm = app.store.c('payment_method').get(pmId);
  if (!pm?.card) return '';
  return `${pm.card.brand.charAt(0).toUpperCase()}${pm.card.brand.slice(1)} •••• ${pm.card.last4}`;
}

function pmOf(intent: PaymentIntent | SetupIntent): string | null {
  const pm = intent.payment_method;
  return typeof pm === 'string' ? pm : (pm?.id ?? null);
}

function challenge(app: App, r: AuthenticationResult, embedded: boolean): string {
  const intent = r.intent as PaymentIntent | SetupIntent;
  const isPayment = r.kind === 'payment_intent';
  const pi = isPayment ? (intent as PaymentIntent) : undefined;
  const card = cardLine(app, pmOf(intent));
  const action = `/_emulator/3ds/${r.id}`;
  const hidden = html`${embedded ? html`<input type="hidden" name="embedded" value="1">` : ''}`;
  return cardPage(
    '3-D Secure authentication',
    html`<div class="bank"><span class="mark">TEST BANK</span>${testBadge()}</div>
<h1>Confirm it's you</h1>
<p class="muted" id="challenge-text">${merchantName(app)} asks your bank to confirm this ${isPayment ? 'payment' : 'card for future payments'}. In test mode you choose the outcome.</p>
<dl class="facts">
  <dt>Merchant</dt><dd>${merchantName(app)}</dd>
  ${pi ? html`<dt>Amount</dt><dd class="amount" id="amount">${formatMoney(pi.amount, pi.currency)}</dd>` : ''}
  ${card ? html`<dt>Card</dt><dd>${card}</dd>` : ''}
</dl>
<div class="actions">
  <form method="post" action="${action}" data-busy>${hidden}<input type="hidden" name="outcome" value="succeed">
    <button class="btn btn-primary" type="submit" id="complete"><span class="spinner" aria-hidden="true"></span>Complete authentication</button></form>
  <form method="post" action="${action}" data-busy>${hidden}<input type="hidden" name="outcome" value="fail">
    <button class="btn btn-secondary" type="submit" id="fail">Fail authentication</button></form>
</div>
<p class="fineprint">A real bank would show its own check here (an app approval or a one-time code).</p>`,
  );
}

function resultPage(r: AuthenticationResult, embedded: boolean): string {
  const ok = r.redirectStatus === 'succeeded';
  const outcome = ok ? 'succeeded' : 'failed';
  const marker: Html = embedded
    ? html`<div data-3ds-result="${outcome}" data-intent="${r.id}" hidden></div>`
    : html``;
  return cardPage(
    ok ? 'Authentication complete' : 'Authentication failed',
    html`${marker}<div class="status-icon ${ok ? 'ok' : 'bad'}" aria-hidden="true">${ok ? '✓' : '✕'}</div>
<h1 id="result">${ok ? 'Authentication complete' : 'Authentication failed'}</h1>
<p class="muted">${
      embedded
        ? 'You can return to the merchant; this window closes by itself.'
        : 'There is no page to return to (the intent has no return_url). You can close this window.'
    }</p>
<p class="small muted">${testBadge()}</p>`,
  );
}

function show(app: App, id: string, query: URLSearchParams): PageResult {
  const r = intentForChallenge(engineCtx(app), id);
  if (r === undefined) return { status: 404, html: notFoundPage('Payment'), frameable: true };
  const embedded = query.get('embedded') === '1';
  const status = String((r.intent as { status: unknown }).status);
  if (status !== 'requires_action') {
    // Already answered (a second tab, the back button): say where it stands, or go back.
    const back = embedded ? undefined : returnUrlWith(r);
    if (back !== undefined) return { status: 303, redirect: back };
    return { status: 200, html: resultPage(r, embedded), frameable: true };
  }
  return { status: 200, html: challenge(app, r, embedded), frameable: true };
}

function submit(app: App, id: string, body: Params): PageResult {
  const embedded = body.embedded === '1';
  const known = intentForChallenge(engineCtx(app), id);
  if (known === undefined) return { status: 404, html: notFoundPage('Payment'), frameable: true };
  const status = String((known.intent as { status: unknown }).status);
  const r = status === 'requires_action' ? authenticateIntent(app, known.kind, id, readOutcome(body)) : known;
  const back = embedded ? undefined : returnUrlWith(r);
  if (back !== undefined) return { status: 303, redirect: back };
  return { status: 200, html: resultPage(r, embedded), frameable: true };
}

const ID = /^\/_emulator\/3ds\/((?:pi|seti)_[A-Za-z0-9]+)$/;
pageRoute('GET', ID, (app, [id], _body, query) => show(app, id!, query));
pageRoute('POST', ID, (app, [id], body) => submit(app, id!, body));
