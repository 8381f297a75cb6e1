// The two Payment Element forms: a subscription's first payment, and saving a new card.

import { money } from '../format.js';
import { type Html, html } from '../html.js';

export interface PayForm {
  mode: 'payment' | 'setup';
  publishableKey: string;
  clientSecret: string;
  returnUrl: string;
  button: string;
}

function form(f: PayForm): Html {
  return html`<form class="pay" data-pay="${f.mode}" data-key="${f.publishableKey}" data-secret="${f.clientSecret}" data-return="${f.returnUrl}" aria-describedby="pay-error">
    <div id="payment-element"></div>
    <p class="notice bad" id="pay-error" role="alert" tabindex="-1" hidden></p>
    <button type="submit">${f.button}</button>
    <p class="muted small">Test mode: pay with 4242 4242 4242 4242, any future date and any CVC; 4000 0025 0000 3155 asks for 3-D Secure; 4000 0000 0000 9995 is declined.</p>
  </form>`;
}

export function subscribeView(o: {
  planName: string;
  amount: number;
  currency: string;
  interval: string;
  trialDays: number | undefined;
  form: PayForm | undefined;
  checkoutFields: Html;
}): Html {
  return html`<h1>Subscribe to ${o.planName}</h1>
  <div class="card pay">
    <div class="summary"><span>${o.planName}, billed every ${o.interval}</span><strong>${money(o.amount, o.currency)}</strong></div>
    ${o.trialDays ? html`<div class="summary"><span>Free trial</span><strong>${o.trialDays} days</strong></div>` : ''}
    <div class="summary"><span>Due today</span><strong id="due-today">${o.trialDays ? money(0, o.currency) : money(o.amount, o.currency)}</strong></div>
  </div>
  <div class="card pay">
    <h2>Card details</h2>
    ${o.form ? form(o.form) : html`<p>The card form is not available here.</p>`}
  </div>
  <form method="post" action="/subscribe/checkout" class="pay">${o.checkoutFields}<span class="muted">Prefer Stripe’s own page?</span> <button type="submit" class="link">Pay with Checkout instead</button></form>`;
}

export function cardView(f: PayForm, current: string | undefined): Html {
  return html`<h1>Update your card</h1>
  <p class="lead">${current ? `Your current card is ${current}. ` : ''}The new card is used for your next payments. You are not charged now.</p>
  <div class="card pay">${form(f)}</div>
  <p><a href="/account">Back to your account</a></p>`;
}
