import type { Invoice } from '../resources/billing/invoice-engine.js';
import type { Subscription } from '../resources/billing/subscription-model.js';
import type { PaymentMethod } from '../resources/payment-methods.js';
import type { Price } from '../resources/prices.js';
import { cardFields, type FieldErrors, testCardsHint } from './card-form.js';
import { type Html, html } from './html.js';
import { documentPage, testBadge } from './layout.js';
import { formatDate, formatInterval, formatMoney } from './money.js';

/** What every portal page shows around its content. */
export interface PortalFrame {
  base: string;
  merchant: string;
  returnUrl: string;
  customerLabel: string;
}

function frame(f: PortalFrame, title: string, content: Html): string {
  return documentPage(
    `${title} — ${f.merchant}`,
    html`<div class="page">
<header class="topbar">
  <a class="back-link" id="return" href="${f.returnUrl}"><span aria-hidden="true">←</span> Return to ${f.merchant}</a>
  ${testBadge()}
</header>
<main>${content}</main>
<p class="fineprint">${f.customerLabel} · Billing portal of ${f.merchant}, served by the paydesk Stripe emulator</p>
</div>`,
  );
}

export function priceText(p: Price | undefined): string {
  if (!p) return '';
  const amount = formatMoney(p.unit_amount ?? 0, p.currency);
  return p.recurring
    ? `${amount} ${formatInterval(String(p.recurring.interval), p.recurring.interval_count)}`
    : amount;
}

export interface SubscriptionView {
  sub: Subscription;
  planName: string;
  price: Price | undefined;
  canUpdate: boolean;
  canCancel: boolean;
  cancelMode: 'at_period_end' | 'immediately';
}

function statusPill(sub: Subscription): Html {
  const canceling = sub.cancel_at_period_end || sub.cancel_at !== null;
  const label = canceling && sub.status !== 'canceled' ? 'canceling' : String(sub.status).replace('_', ' ');
  return html`<span class="pill ${canceling && sub.status !== 'canceled' ? 'canceling' : String(sub.status)}">${label}</span>`;
}

function periodEnd(sub: Subscription): number | undefined {
  return sub.items.data[0]?.current_period_end;
}

function renewalLine(sub: Subscription): string {
  const end = periodEnd(sub);
  if (sub.status === 'canceled') return sub.ended_at ? `Ended ${formatDate(sub.ended_at)}` : 'Ended';
  if (sub.cancel_at !== null) return `Cancels ${formatDate(sub.cancel_at)}`;
  if (sub.status === 'trialing' && sub.trial_end) return `Trial ends ${formatDate(sub.trial_end)}`;
  return end ? `Renews ${formatDate(end)}` : '';
}

function subscriptionCard(f: PortalFrame, v: SubscriptionView): Html {
  const sub = v.sub;
  const live = sub.status !== 'canceled' && sub.status !== 'incomplete_expired';
  const pending = sub.cancel_at_period_end || sub.cancel_at !== null;
  const path = `${f.base}/subscriptions/${sub.id}`;
  return html`<article class="sub-card" id="sub-${sub.id}" aria-labelledby="plan-${sub.id}">
<div class="sub-head">
  <div><h3 id="plan-${sub.id}">${v.planName}</h3>
    <p class="amount plan-price">${priceText(v.price)}</p>
    <p class="muted small renewal">${renewalLine(sub)}</p></div>
  ${statusPill(sub)}
</div>
${
  live
    ? html`<div class="actions">
  ${v.canUpdate && !pending ? html`<a class="btn btn-secondary" id="update-plan" href="${path}/update">Update plan</a>` : ''}
  ${
    pending
      ? html`<form method="post" action="${path}/renew" data-busy><button class="btn btn-secondary" type="submit" id="renew"><span class="spinner" aria-hidden="true"></span>Don't cancel</button></form>`
      : v.canCancel
        ? html`<a class="btn btn-danger" id="cancel" href="${path}/cancel">Cancel subscription</a>`
        : ''
  }
</div>`
    : ''
}
</article>`;
}

const NOTICES: Record<string, string> = {
  plan: 'Your plan was updated.',
  canceled: 'Your subscription was canceled.',
  canceling: 'Your subscription will end at the end of the current period.',
  renewed: 'Your subscription will continue.',
  card: 'Your payment method was updated.',
};

export function overviewPage(
  f: PortalFrame,
  data: {
    notice: string | null;
    subscriptions: SubscriptionView[];
    card: PaymentMethod | undefined;
    canUpdateCard: boolean;
    invoices: Invoice[] | undefined;
    headline: string | null;
  },
): string {
  const notice = data.notice ? NOTICES[data.notice] : undefined;
  const card = data.card?.card;
  return frame(
    f,
    'Billing',
    html`<h1>${data.headline ?? `Manage your billing with ${f.merchant}`}</h1>
${notice ? html`<div class="alert ok section" role="status" id="notice">${notice}</div>` : ''}
<section class="section" aria-labelledby="subs-title"><h2 id="subs-title">Subscriptions</h2>
${data.subscriptions.length === 0 ? html`<p class="muted">You have no subscriptions.</p>` : data.subscriptions.map((v) => subscriptionCard(f, v))}
</section>
<section class="section" aria-labelledby="pm-title"><h2 id="pm-title">Payment method</h2>
<div class="sub-card"><div class="sub-head">
  ${
    card
      ? html`<div class="pm"><span class="brand-box">${card.brand}</span><span id="card-line">•••• ${card.last4}</span><span class="muted small">Expires ${String(card.exp_month).padStart(2, '0')}/${String(card.exp_year).slice(-2)}</span></div>`
      : html`<p class="muted">No card on file.</p>`
  }
  ${data.canUpdateCard ? html`<a class="btn btn-secondary" id="update-card" href="${f.base}/payment-method">${card ? 'Update' : 'Add card'}</a>` : ''}
</div></div>
</section>
${
  data.invoices
    ? html`<section class="section" aria-labelledby="inv-title"><h2 id="inv-title">Invoice history</h2>
${
  data.invoices.length === 0
    ? html`<p class="muted">No invoices yet.</p>`
    : html`<table id="invoices"><thead><tr><th scope="col">Date</th><th scope="col">Invoice</th><th scope="col" class="num">Amount</th><th scope="col">Status</th></tr></thead><tbody>
${data.invoices.map(
  (inv) =>
    html`<tr><td>${formatDate(inv.created)}</td><td>${inv.number ?? inv.id}</td><td class="num">${formatMoney(inv.total, inv.currency)}</td><td><span class="pill ${String(inv.status)}">${String(inv.status)}</span></td></tr>`,
)}
</tbody></table>`
}
</section>`
    : ''
}`,
  );
}

export interface PlanChoice {
  price: Price;
  productName: string;
}

export function choosePlanPage(
  f: PortalFrame,
  v: SubscriptionView,
  choices: PlanChoice[],
  error?: string,
): string {
  const current = v.price?.id;
  return frame(
    f,
    'Update plan',
    html`<div class="card"><h1>Update your plan</h1>
<p class="muted">Current plan: <strong>${v.planName}</strong>, ${priceText(v.price)}.</p>
${error ? html`<div class="alert error section" role="alert">${error}</div>` : ''}
<form method="get" action="${f.base}/subscriptions/${v.sub.id}/update">
<fieldset><legend class="visually-hidden">Plans</legend><div class="plans">
${choices.map(
  (c) =>
    html`<label class="plan"><input type="radio" name="price" value="${c.price.id}"${c.price.id === current ? html` checked disabled` : ''} required>
  <span class="plan-name">${c.productName}</span>${c.price.id === current ? html`<span class="pill">Current</span>` : ''}<span class="plan-price">${priceText(c.price)}</span></label>`,
)}
</div></fieldset>
<div class="actions"><a class="btn btn-secondary" href="${f.base}">Back</a><button class="btn btn-primary" type="submit" id="continue">Continue</button></div>
</form></div>`,
  );
}

export interface ProrationView {
  lines: { description: string; amount: number }[];
  /** What is charged now (always_invoice) or added to the next invoice. */
  total: number;
  currency: string;
  chargedNow: boolean;
  nextDate: number | undefined;
  nextTotal: number | undefined;
}

export function confirmPlanPage(
  f: PortalFrame,
  v: SubscriptionView,
  next: PlanChoice,
  p: ProrationView,
): string {
  return frame(
    f,
    'Confirm your new plan',
    html`<div class="card"><h1>Confirm your new plan</h1>
<dl class="facts">
  <dt>Current plan</dt><dd>${v.planName} · ${priceText(v.price)}</dd>
  <dt>New plan</dt><dd id="new-plan">${next.productName} · ${priceText(next.price)}</dd>
</dl>
<h2>${p.chargedNow ? 'Due today' : 'Adjustment on your next invoice'}</h2>
${
  p.lines.length === 0
    ? html`<p class="muted" id="proration">No proration: the new price applies from the next renewal.</p>`
    : html`<table id="proration"><tbody>${p.lines.map(
        (l) =>
          html`<tr><td>${l.description}</td><td class="num">${formatMoney(l.amount, p.currency)}</td></tr>`,
      )}<tr><th scope="row">${p.chargedNow ? 'Total due today' : 'Net adjustment'}</th><td class="num" id="proration-total"><strong>${formatMoney(p.total, p.currency)}</strong></td></tr></tbody></table>`
}
${p.nextDate !== undefined && p.nextTotal !== undefined ? html`<p class="muted small section">Next invoice on ${formatDate(p.nextDate)}: <span id="next-total">${formatMoney(p.nextTotal, p.currency)}</span>.</p>` : ''}
<form method="post" action="${f.base}/subscriptions/${v.sub.id}/update" data-busy>
<input type="hidden" name="price" value="${next.price.id}">
<div class="actions"><a class="btn btn-secondary" href="${f.base}/subscriptions/${v.sub.id}/update">Back</a>
<button class="btn btn-primary" type="submit" id="confirm"><span class="spinner" aria-hidden="true"></span>Confirm</button></div>
</form></div>`,
  );
}

export function cancelPage(f: PortalFrame, v: SubscriptionView): string {
  const end = periodEnd(v.sub);
  const atEnd = v.cancelMode === 'at_period_end';
  return frame(
    f,
    'Cancel subscription',
    html`<div class="card"><h1>Cancel your subscription</h1>
<p class="muted section">${
      atEnd
        ? `Your ${v.planName} subscription will stay active until ${end ? formatDate(end) : 'the end of the period'}, then end. You can change your mind until then.`
        : `Your ${v.planName} subscription ends now.`
    }</p>
<form method="post" action="${f.base}/subscriptions/${v.sub.id}/cancel" data-busy>
<div class="actions"><a class="btn btn-secondary" href="${f.base}">Keep subscription</a>
<button class="btn btn-primary" type="submit" id="confirm-cancel"><span class="spinner" aria-hidden="true"></span>Cancel subscription</button></div>
</form></div>`,
  );
}

export function cardFormPage(
  f: PortalFrame,
  state: { errors: FieldErrors; alert?: string | undefined; keep: { name?: string; expiry?: string } },
): string {
  return frame(
    f,
    'Update payment method',
    html`<div class="card narrow-center"><h1>Update your payment method</h1>
<p class="muted">The new card is used for your subscriptions' future payments.</p>
<form method="post" action="${f.base}/payment-method" data-card-form class="section">
${state.alert ? html`<div class="alert error" role="alert" id="payment-error"><strong>Your card could not be saved</strong>${state.alert}</div>` : ''}
${cardFields(state.errors, state.keep)}
<div class="actions"><a class="btn btn-secondary" href="${f.base}">Back</a>
<button class="btn btn-primary" type="submit" id="submit" data-pay-button data-busy-label="Saving…"><span class="spinner" aria-hidden="true"></span><span data-label>Save card</span></button></div>
${testCardsHint()}
</form></div>`,
  );
}
