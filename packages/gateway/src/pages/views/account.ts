import type { Catalog } from '../../catalog/catalog.js';
import type { CreditReason, LedgerEntry } from '../../credits/service.js';
import type { PaymentRow } from '../../payments/service.js';
import { count, day, money, shortDay, statusLabel } from '../format.js';
import { type Html, html } from '../html.js';
import { csrfField, type PageUser } from '../layout.js';
import type { AccountModel } from '../service.js';

const reasons: Record<CreditReason, string> = {
  pack_purchase: 'Credit pack',
  period_reset: 'Plan credits (renewed)',
  period_grant: 'Plan credits',
  consume: 'Used',
  refund: 'Refund',
  adjustment: 'Adjustment',
  refund_reversed: 'Refund reversed',
  dispute_hold: 'Held (payment disputed)',
  dispute_release: 'Released (dispute won)',
  dispute_clawback: 'Taken back (payment disputed)',
};

function statusBadge(status: string): Html {
  const tone =
    status === 'active' || status === 'trialing'
      ? 'ok'
      : status === 'canceled' || status === 'incomplete_expired'
        ? ''
        : 'warn';
  return html`<span class="badge ${tone}">${statusLabel(status)}</span>`;
}

const date = (d: Date | string | null | undefined) => (d ? new Date(d) : undefined);

function planSection(m: AccountModel, catalog: Catalog, user: PageUser): Html {
  const sub = m.subscription;
  if (!sub) {
    return html`<section class="card" aria-labelledby="plan-h"><h2 id="plan-h">Your plan</h2>
      <p>You have no subscription yet.</p><a class="button" href="/pricing">Choose a plan</a></section>`;
  }
  // 'pending': paydesk is still creating it in Stripe; to the user it is a plan not paid for yet.
  const status = sub.status === 'pending' ? 'incomplete' : sub.status;
  const plan = sub.plan ? catalog.plan(sub.plan) : undefined;
  const periodEnd = date(sub.current_period_end);
  const trialEnd = date(sub.trial_end);
  const cancelAt = date(sub.cancel_at);
  const ended = status === 'canceled' || status === 'incomplete_expired';
  const facts: Html[] = [
    html`<dt>Plan</dt><dd>${plan?.name ?? sub.plan ?? 'Custom price'}</dd>`,
    html`<dt>Status</dt><dd>${statusBadge(status)}${sub.cancel_at_period_end ? html` <span class="badge warn">Cancels at period end</span>` : ''}</dd>`,
  ];
  if (m.amount !== undefined && sub.interval) {
    facts.push(html`<dt>Price</dt><dd>${money(m.amount, sub.currency)} / ${sub.interval}</dd>`);
  }
  if (trialEnd && status === 'trialing') facts.push(html`<dt>Trial ends</dt><dd>${day(trialEnd)}</dd>`);
  if (periodEnd && !ended) {
    facts.push(
      sub.cancel_at_period_end || cancelAt
        ? html`<dt>Access ends</dt><dd>${day(cancelAt ?? periodEnd)}</dd>`
        : html`<dt>Renews on</dt><dd>${day(periodEnd)}</dd>`,
    );
  }
  if (m.graceUntil) {
    facts.push(
      html`<dt>Grace period</dt><dd>Access kept until ${day(m.graceUntil)} while the payment is retried</dd>`,
    );
  }
  const endedAt = date(sub.ended_at);
  if (ended && endedAt) facts.push(html`<dt>Ended</dt><dd>${day(endedAt)}</dd>`);

  const csrf = csrfField(user.csrf);
  const actions: Html[] = [];
  if (status === 'incomplete') {
    actions.push(html`<a class="button" href="/subscribe/${sub.id}">Finish the first payment</a>`);
  }
  const changeable = status === 'active' || status === 'trialing' || status === 'past_due';
  let change: Html = html``;
  if (changeable && !sub.cancel_at_period_end) {
    const options = catalog.plans.flatMap((p) =>
      (['month', 'year'] as const)
        .filter((i) => p.prices[i]?.[sub.currency] !== undefined)
        .filter((i) => !(p.id === sub.plan && i === sub.interval))
        .map(
          (i) =>
            html`<option value="${p.id}:${i}">${p.name}, ${money(p.prices[i]![sub.currency]!, sub.currency)} / ${i}</option>`,
        ),
    );
    if (options.length > 0) {
      change = html`<form method="get" action="/account/change" class="row">
        <input type="hidden" name="subscription" value="${sub.id}">
        <div><label for="new-plan">Change plan</label><select id="new-plan" name="to">${options}</select></div>
        <button type="submit" class="secondary">Preview the change</button></form>`;
    }
    actions.push(
      html`<form method="post" action="/account/cancel">${csrf}<input type="hidden" name="subscription" value="${sub.id}"><button type="submit" class="danger">Cancel at period end</button></form>`,
    );
  }
  if (!ended && (sub.cancel_at_period_end || cancelAt || status === 'paused')) {
    actions.push(
      html`<form method="post" action="/account/resume">${csrf}<input type="hidden" name="subscription" value="${sub.id}"><button type="submit">Resume subscription</button></form>`,
    );
  }
  if (ended) actions.push(html`<a class="button" href="/pricing">Choose a plan</a>`);
  return html`<section class="card" aria-labelledby="plan-h"><h2 id="plan-h">Your plan</h2>
    <dl class="facts" id="plan-facts">${facts}</dl>
    ${change}
    <div class="actions">${actions}</div></section>`;
}

function paymentMethodSection(m: AccountModel, user: PageUser, onPage: boolean): Html {
  const card = m.card;
  return html`<section class="card" aria-labelledby="card-h"><h2 id="card-h">Payment method</h2>
    <p id="card-summary">${card ? html`${card.brand.toUpperCase()} ending in <strong>${card.last4}</strong>, expires ${String(card.expMonth).padStart(2, '0')}/${card.expYear}` : 'No card on file.'}</p>
    <div class="actions">
      ${onPage ? html`<a class="button secondary" href="/account/card">${card ? 'Update card' : 'Add a card'}</a>` : ''}
      <form method="post" action="/account/portal">${csrfField(user.csrf)}<button type="submit" class="secondary">Open the billing portal</button></form>
    </div></section>`;
}

function ledgerRows(entries: readonly LedgerEntry[]): Html {
  if (entries.length === 0) return html`<p class="muted">No credit activity yet.</p>`;
  return html`<div class="table-wrap"><table><caption class="visually-hidden">Credit history, newest first</caption>
    <thead><tr><th scope="col">Date</th><th scope="col">What</th><th scope="col" class="num">Change</th><th scope="col" class="num hide-phone">Balance</th></tr></thead>
    <tbody>${entries.map(
      (e) =>
        html`<tr><td class="nowrap">${shortDay(e.created_at)}</td><td>${reasons[e.reason] ?? e.reason}</td><td class="num">${e.delta > 0 ? '+' : ''}${count(Number(e.delta))}</td><td class="num hide-phone">${count(Number(e.balance))}</td></tr>`,
    )}</tbody></table></div>`;
}

function describe(p: PaymentRow, catalog: Catalog): string {
  const item =
    p.item_kind === 'pack' && p.item_id
      ? catalog.pack(p.item_id)?.name
      : p.item_kind === 'plan' && p.item_id
        ? catalog.plan(p.item_id)?.name
        : undefined;
  if (item) return p.item_kind === 'pack' ? `${p.quantity ?? 1} × ${item}` : `${item} plan`;
  return p.description ?? 'Payment';
}

function paymentRows(payments: readonly PaymentRow[], catalog: Catalog): Html {
  if (payments.length === 0) return html`<p class="muted">No payments yet.</p>`;
  return html`<div class="table-wrap"><table><caption class="visually-hidden">Payments, newest first</caption>
    <thead><tr><th scope="col">Date</th><th scope="col">Description</th><th scope="col" class="num">Amount</th><th scope="col">Refunds</th></tr></thead>
    <tbody>${payments.map((p) => {
      const refunded = Number(p.amount_refunded ?? 0);
      const amount = Number(p.amount);
      const refund =
        refunded === 0
          ? html`<span class="muted">—</span>`
          : refunded >= amount
            ? html`<span class="badge">Refunded</span>`
            : html`<span class="badge">${money(refunded, p.currency)} refunded</span>`;
      return html`<tr><td class="nowrap">${shortDay(p.paid_at)}</td><td>${describe(p, catalog)}</td><td class="num">${money(amount, p.currency)}</td><td>${refund}</td></tr>`;
    })}</tbody></table></div>`;
}

export function accountView(
  m: AccountModel,
  catalog: Catalog,
  user: PageUser,
  options: { onPage: boolean; notice: Html | undefined },
): Html {
  return html`<h1>Your account</h1>
  <p class="lead">Signed in as ${user.email ?? user.externalId}.</p>
  ${options.notice ?? ''}
  ${planSection(m, catalog, user)}
  ${paymentMethodSection(m, user, options.onPage)}
  <section class="card" aria-labelledby="credits-h"><div class="section-head"><h2 id="credits-h">Credits</h2><a href="/pricing#credit-packs">Buy credits</a></div>
    <p class="price" id="credit-balance">${count(m.balance)} <small>credits available</small></p>
    ${ledgerRows(m.ledger)}</section>
  <section class="card" aria-labelledby="payments-h"><div class="section-head"><h2 id="payments-h">Payment history</h2><a href="/account/invoices">See your invoices</a></div>${paymentRows(m.payments, catalog)}</section>`;
}
