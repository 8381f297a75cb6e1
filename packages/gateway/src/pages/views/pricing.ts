import type { Pack, Plan } from '../../catalog/schema.js';
import { chargeLimits } from '../../platform/stripe/currencies.js';
import { count, money } from '../format.js';
import { type Html, html } from '../html.js';
import { csrfField, type PageUser } from '../layout.js';
import type { PricingChoice } from '../service.js';

export interface PricingView {
  choice: PricingChoice;
  currencies: readonly string[];
  plans: readonly Plan[];
  packs: readonly Pack[];
  /** The signed-in user (only their forms' CSRF token shows on the page). */
  user: Pick<PageUser, 'csrf'> | undefined;
  /** The plan the user's access comes from now, if any. */
  currentPlan: string | undefined;
  /** The Payment Element can be offered (a publishable key is configured). */
  onPage: boolean;
  notice: Html | undefined;
}

function query(choice: PricingChoice, change: Partial<PricingChoice>): string {
  const c = { ...choice, ...change };
  return `/pricing?interval=${c.interval}&currency=${c.currency}`;
}

function segment(href: string, label: string, current: boolean): Html {
  return html`<a href="${href}" aria-current="${current ? 'true' : 'false'}">${label}</a>`;
}

function includes(plan: Plan, interval: 'month' | 'year'): Html {
  const items: Html[] = [];
  if (plan.trial_days) items.push(html`<li>${plan.trial_days}-day free trial</li>`);
  if (plan.credits > 0) {
    items.push(
      html`<li>${count(plan.credits)} credits every ${interval === 'year' ? 'billing period' : 'month'}${plan.credits_mode === 'reset' ? ' (balance renewed)' : ' (added to your balance)'}</li>`,
    );
  }
  for (const key of plan.entitlements) items.push(html`<li>Access: <code>${key}</code></li>`);
  return html`<ul class="features" aria-label="${plan.name} includes">${items}</ul>`;
}

function planCard(v: PricingView, plan: Plan): Html {
  const amount = plan.prices[v.choice.interval]?.[v.choice.currency];
  const current = v.currentPlan === plan.id;
  const priceId = `price-${plan.id}`;
  let actions: Html;
  if (amount === undefined) {
    actions = html`<p class="muted">Not sold per ${v.choice.interval} in ${v.choice.currency.toUpperCase()}.</p>`;
  } else if (!v.user) {
    actions = html`<a class="button" href="/sign-in?next=${encodeURIComponent(query(v.choice, {}))}">Sign in to subscribe</a>`;
  } else if (current) {
    actions = html`<a class="button secondary" href="/account">Manage your plan</a>`;
  } else if (v.currentPlan) {
    actions = html`<a class="button" href="/account/change?plan=${plan.id}&amp;interval=${v.choice.interval}">Switch to ${plan.name}</a>`;
  } else {
    const fields = html`${csrfField(v.user.csrf)}<input type="hidden" name="plan" value="${plan.id}"><input type="hidden" name="interval" value="${v.choice.interval}"><input type="hidden" name="currency" value="${v.choice.currency}">`;
    actions = html`<div class="actions">
      ${v.onPage ? html`<form method="post" action="/subscribe">${fields}<button type="submit" aria-describedby="${priceId}">Subscribe to ${plan.name}</button></form>` : ''}
      <form method="post" action="/subscribe/checkout">${fields}<button type="submit" class="${v.onPage ? 'secondary' : ''}" aria-describedby="${priceId}">${v.onPage ? 'Pay with Checkout' : `Subscribe to ${plan.name}`}</button></form>
    </div>`;
  }
  return html`<section class="card plan${current ? ' current' : ''}" aria-labelledby="plan-${plan.id}">
    <h3 id="plan-${plan.id}">${plan.name} ${current ? html`<span class="badge ok">Current plan</span>` : ''}</h3>
    ${plan.description ? html`<p class="muted">${plan.description}</p>` : ''}
    ${amount !== undefined ? html`<p class="price" id="${priceId}">${money(amount, v.choice.currency)} <small>/ ${v.choice.interval}</small></p>` : ''}
    ${includes(plan, v.choice.interval)}
    ${actions}
  </section>`;
}

function packCard(v: PricingView, pack: Pack): Html {
  const amount = pack.prices[v.choice.currency];
  if (amount === undefined) return html``;
  const qty = `qty-${pack.id}`;
  // A pack cheaper than Stripe's minimum charge is sold in steps that reach it (10 × 5 cents).
  const step = Math.max(1, Math.ceil(chargeLimits(v.choice.currency).minimum / amount));
  return html`<section class="card" aria-labelledby="pack-${pack.id}">
    <h3 id="pack-${pack.id}">${pack.name}</h3>
    ${pack.description ? html`<p class="muted">${pack.description}</p>` : ''}
    <p class="price">${money(amount, v.choice.currency)} <small>one-time</small></p>
    <ul class="features"><li>${count(pack.credits)} ${pack.credits === 1 ? 'credit each' : 'credits'}, added when paid</li><li>Credits never expire</li></ul>
    ${
      v.user
        ? html`<form method="post" action="/buy" class="row buy">${csrfField(v.user.csrf)}
        <input type="hidden" name="pack" value="${pack.id}"><input type="hidden" name="currency" value="${v.choice.currency}">
        <div><label for="${qty}">Quantity</label><select id="${qty}" name="quantity">${[1, 2, 3, 4, 5, 10].map((n) => html`<option value="${n * step}">${n * step}</option>`)}</select></div>
        <button type="submit">Buy ${pack.name}</button></form>`
        : html`<a class="button" href="/sign-in?next=${encodeURIComponent(query(v.choice, {}))}">Sign in to buy</a>`
    }
  </section>`;
}

export function pricingView(v: PricingView): Html {
  return html`<h1>Pricing</h1>
  <p class="lead">Pick a plan, or top up with a credit pack. Prices include what each plan grants; you can change or cancel at any time.</p>
  ${v.notice ?? ''}
  <div class="switches">
    <nav class="segmented" aria-label="Billing interval">${segment(query(v.choice, { interval: 'month' }), 'Monthly', v.choice.interval === 'month')}${segment(query(v.choice, { interval: 'year' }), 'Yearly', v.choice.interval === 'year')}</nav>
    ${v.currencies.length > 1 ? html`<nav class="segmented" aria-label="Currency">${v.currencies.map((c) => segment(query(v.choice, { currency: c }), c.toUpperCase(), v.choice.currency === c))}</nav>` : ''}
  </div>
  <h2 class="visually-hidden">Plans</h2>
  <div class="grid">${v.plans.map((p) => planCard(v, p))}</div>
  ${
    v.packs.length > 0
      ? html`<div class="section-head"><h2 id="credit-packs">Credit packs</h2><p class="muted small">One-time purchases, paid through Stripe Checkout.</p></div>
  <div class="grid">${v.packs.map((p) => packCard(v, p))}</div>`
      : ''
  }`;
}
