import type { CheckoutSession, LineItem } from '../resources/checkout-sessions.js';
import { cardFields, type FieldErrors, testCardsHint } from './card-form.js';
import { type Html, html } from './html.js';
import { cardPage, documentPage, testBadge } from './layout.js';
import { billedText, formatDate, formatInterval, formatMoney } from './money.js';

/** What the hosted Checkout page shows (read from the session by the routes). */
export interface CheckoutView {
  session: CheckoutSession;
  lineItems: LineItem[];
  merchant: string;
  trialDays: number | undefined;
  /** When the trial ends (the emulator clock), for "then … starting …". */
  trialEndsAt: number | undefined;
  /** The promotion code's text, when one is applied. */
  promotionCode: string | undefined;
  /** The coupon's name (or id) when a discount applies. */
  discountName: string | undefined;
  /** The customer's email when the session has a customer (no email field then). */
  customerEmail: string | null;
  errors: FieldErrors;
  /** A decline or another failure, shown above the button. */
  alert: string | undefined;
  promoError: string | undefined;
  keep: { email?: string; name?: string; expiry?: string; promo?: string };
}

function initial(name: string): string {
  return (name.trim().charAt(0) || '?').toUpperCase();
}

function productName(li: LineItem): string {
  return li.description ?? 'Item';
}

function recurringText(li: LineItem): string | undefined {
  const r = li.price?.recurring;
  return r ? formatInterval(String(r.interval), r.interval_count) : undefined;
}

function itemRow(li: LineItem, currency: string): Html {
  const qty = li.quantity ?? 1;
  const unit = li.price?.unit_amount ?? 0;
  const every = recurringText(li);
  const r = li.price?.recurring;
  const detail = [
    qty > 1 ? `Qty ${qty} · ${formatMoney(unit, currency)} each` : '',
    r ? billedText(String(r.interval), r.interval_count) : '',
  ]
    .filter(Boolean)
    .join(' · ');
  return html`<li class="item">
  <span class="name">${productName(li)}</span>
  <span class="price amount">${formatMoney(li.amount_subtotal, currency)}${every ? html`<span class="muted small"> ${every}</span>` : ''}</span>
  ${detail ? html`<span class="detail">${detail}</span>` : ''}
</li>`;
}

/** The headline of the summary: what the customer pays today, and what after. */
function headline(v: CheckoutView): { label: string; amount: string; sub: string } {
  const s = v.session;
  const currency = s.currency ?? 'usd';
  const total = s.amount_total ?? 0;
  if (s.mode === 'setup') {
    return {
      label: `Set up a card with ${v.merchant}`,
      amount: 'No charge today',
      sub: 'Your card is saved for future payments.',
    };
  }
  if (s.mode === 'payment') {
    return { label: `Pay ${v.merchant}`, amount: formatMoney(total, currency), sub: '' };
  }
  const recurring = v.lineItems.find((li) => li.price?.recurring);
  const every = recurring ? recurringText(recurring)! : '';
  const name = v.lineItems.length === 1 ? productName(v.lineItems[0]!) : `${v.merchant} subscription`;
  if (v.trialDays) {
    return {
      label: `Try ${name}`,
      amount: `${v.trialDays} days free`,
      sub: `Then ${formatMoney(total, currency)} ${every}, starting ${formatDate(v.trialEndsAt ?? 0)}`,
    };
  }
  return { label: `Subscribe to ${name}`, amount: formatMoney(total, currency), sub: every };
}

function summary(v: CheckoutView, back: Html): Html {
  const s = v.session;
  const currency = s.currency ?? 'usd';
  const h = headline(v);
  const discount = s.total_details?.amount_discount ?? 0;
  const dueToday = s.mode === 'subscription' && v.trialDays ? 0 : (s.amount_total ?? 0);
  const rows =
    s.mode === 'setup'
      ? html``
      : html`<ul class="items" aria-label="Order summary">${v.lineItems.map((li) => itemRow(li, currency))}</ul>
<dl class="rows">
  <div class="row"><dt>Subtotal</dt><dd id="subtotal">${formatMoney(s.amount_subtotal ?? 0, currency)}</dd></div>
  ${discount > 0 ? html`<div class="row discount"><dt>${v.discountName ?? 'Discount'}${v.promotionCode ? html` <span class="pill">${v.promotionCode}</span>` : ''}</dt><dd id="discount">−${formatMoney(discount, currency)}</dd></div>` : ''}
  ${s.mode === 'subscription' && v.trialDays ? html`<div class="row"><dt>Free trial</dt><dd>${v.trialDays} days</dd></div>` : ''}
  <div class="row total-row"><dt>${s.mode === 'subscription' ? 'Total due today' : 'Total due'}</dt><dd id="total">${formatMoney(dueToday, currency)}</dd></div>
</dl>
${promo(v)}`;
  return html`<section class="summary" aria-label="Summary"><div class="summary-inner">
<div class="merchant">${back}${testBadge()}</div>
<p class="total-label" id="headline">${h.label}</p>
<p class="total amount" id="amount">${h.amount}</p>
${h.sub ? html`<p class="total-sub">${h.sub}</p>` : html`<div class="total-sub"></div>`}
${rows}
</div></section>`;
}

function promo(v: CheckoutView): Html {
  const s = v.session;
  if (s.allow_promotion_codes !== true || s.status !== 'open') return html``;
  const action = `/c/pay/${s.id}`;
  if (v.promotionCode) {
    return html`<form class="promo" method="post" action="${action}" data-busy>
<input type="hidden" name="action" value="remove_promo">
<p class="small">Code <strong>${v.promotionCode}</strong> applied. <button class="btn btn-secondary small" type="submit" id="remove-promo">Remove</button></p>
</form>`;
  }
  return html`<form class="promo" method="post" action="${action}" data-busy>
<input type="hidden" name="action" value="apply_promo">
<label for="promo">Promotion code</label>
<div class="promo-row">
  <input type="text" id="promo" name="promo" autocomplete="off" value="${v.keep.promo ?? ''}" aria-describedby="promo-error"${v.promoError ? html` aria-invalid="true"` : ''}>
  <button class="btn btn-secondary" type="submit" id="apply-promo">Apply</button>
</div>
<p class="field-error" id="promo-error" role="alert">${v.promoError ?? ''}</p>
</form>`;
}

function buttonLabel(v: CheckoutView): string {
  const s = v.session;
  if (s.mode === 'setup') return 'Save card';
  if (s.mode === 'subscription') return v.trialDays ? 'Start trial' : 'Subscribe';
  return `Pay ${formatMoney(s.amount_total ?? 0, s.currency ?? 'usd')}`;
}

function emailField(v: CheckoutView): Html {
  if (v.customerEmail !== null) {
    return html`<div class="field"><p class="small muted">${v.session.mode === 'setup' ? 'Customer' : 'Paying as'}</p><p id="customer-email">${v.customerEmail}</p></div>`;
  }
  const prefilled = v.session.customer_email;
  const value = v.keep.email ?? prefilled ?? '';
  const err = v.errors.email;
  return html`<div class="field">
  <label for="email">Email</label>
  <input type="email" id="email" name="email" autocomplete="email" required value="${value}"${prefilled ? html` readonly` : ''}
    aria-describedby="email-error"${err ? html` aria-invalid="true"` : ''}>
  <p class="field-error" id="email-error" role="alert">${err ?? ''}</p>
</div>`;
}

function paymentForm(v: CheckoutView): Html {
  const s = v.session;
  const label = buttonLabel(v);
  return html`<section class="payment" aria-label="Payment"><div class="payment-inner">
<h1 class="visually-hidden">Checkout</h1>
<form method="post" action="/c/pay/${s.id}" data-card-form>
<input type="hidden" name="action" value="pay">
${v.alert ? html`<div class="alert error" role="alert" id="payment-error"><strong>${s.mode === 'setup' ? 'Your card could not be saved' : 'Your payment did not go through'}</strong>${v.alert}</div>` : ''}
<h2 class="section-title">${s.mode === 'setup' ? 'Card details' : 'Contact and payment'}</h2>
${emailField(v)}
${cardFields(v.errors, { name: v.keep.name, expiry: v.keep.expiry })}
<button class="btn btn-primary" type="submit" id="submit" data-pay-button data-busy-label="Processing…">
  <span class="spinner" aria-hidden="true"></span><span data-label>${label}</span>
</button>
<p class="fineprint">${
    s.mode === 'subscription'
      ? `By subscribing, you allow ${v.merchant} to charge your card for this and future payments. Cancel any time.`
      : s.mode === 'setup'
        ? `You allow ${v.merchant} to charge this card for future payments.`
        : 'Payments are processed by the paydesk Stripe emulator. No real money moves.'
  }</p>
${testCardsHint()}
</form>
</div></section>`;
}

function backLink(v: CheckoutView): Html {
  const name = html`<span class="logo" aria-hidden="true">${initial(v.merchant)}</span><span class="name">${v.merchant}</span>`;
  const url = v.session.cancel_url;
  return url
    ? html`<a class="back" id="back" href="${url}"><span aria-hidden="true">←</span>${name}<span class="visually-hidden"> — back to the merchant</span></a>`
    : html`<span class="back">${name}</span>`;
}

export function checkoutPage(v: CheckoutView): string {
  const title = v.session.mode === 'setup' ? `Set up a card — ${v.merchant}` : `Checkout — ${v.merchant}`;
  return documentPage(title, html`<main class="split">${summary(v, backLink(v))}${paymentForm(v)}</main>`);
}

/** A session that can no longer be paid: expired, or already complete. */
export function closedPage(s: CheckoutSession, merchant: string, successUrl: string | undefined): string {
  if (s.status === 'complete') {
    return cardPage(
      'Already paid',
      html`<div class="status-icon ok" aria-hidden="true">✓</div>
<h1 id="closed-title">${s.mode === 'setup' ? 'Your card is saved' : 'This payment is complete'}</h1>
<p class="muted">You've already finished this checkout with ${merchant}. Nothing more to do.</p>
${successUrl ? html`<div class="actions"><a class="btn btn-primary" id="continue" href="${successUrl}">Continue to ${merchant}</a></div>` : ''}
<p class="small muted">${testBadge()}</p>`,
    );
  }
  return cardPage(
    'Session expired',
    html`<div class="status-icon info" aria-hidden="true">!</div>
<h1 id="closed-title">This checkout session has expired</h1>
<p class="muted">The link to pay ${merchant} is no longer valid. Nothing was charged. Go back and start again to get a new one.</p>
${s.cancel_url ? html`<div class="actions"><a class="btn btn-secondary" id="back" href="${s.cancel_url}">Back to ${merchant}</a></div>` : ''}
<p class="small muted">${testBadge()}</p>`,
  );
}
