import type { ChangePreview } from '../../subscriptions/service.js';
import { day, money } from '../format.js';
import { type Html, html } from '../html.js';
import { csrfField } from '../layout.js';

export function changeView(o: {
  fromName: string;
  toName: string;
  preview: ChangePreview;
  csrf: string;
  subscriptionId: string;
}): Html {
  const p = o.preview;
  const credit = p.lines.filter((l) => l.proration && l.amount < 0).reduce((sum, l) => sum + l.amount, 0);
  const charge = p.lines.filter((l) => l.proration && l.amount > 0).reduce((sum, l) => sum + l.amount, 0);
  return html`<h1>Change plan</h1>
  <p class="lead">From ${o.fromName} to ${o.toName}, billed every ${p.interval}. Nothing changes until you confirm.</p>
  <section class="card pay" aria-labelledby="preview-h">
    <h2 id="preview-h">What you pay now</h2>
    <div class="summary"><span>Unused time on ${o.fromName}</span><strong>${money(credit, p.currency)}</strong></div>
    <div class="summary"><span>Remaining time on ${o.toName}</span><strong>${money(charge, p.currency)}</strong></div>
    <div class="summary"><span>Charged today</span><strong id="amount-due">${money(Math.max(p.amount_due, 0), p.currency)}</strong></div>
    ${p.amount_due < 0 || p.total < 0 ? html`<p class="muted small">The difference is kept as a credit on your account and used on your next invoices.</p>` : ''}
    <table class="small"><caption>Invoice lines (prorated on ${day(p.proration_date * 1000)})</caption>
      <thead><tr><th scope="col">Line</th><th scope="col" class="num">Amount</th></tr></thead>
      <tbody>${p.lines.map((l) => html`<tr><td>${l.description ?? 'Line'}</td><td class="num">${money(l.amount, p.currency)}</td></tr>`)}</tbody>
    </table>
    <form method="post" action="/account/change" class="actions">${csrfField(o.csrf)}
      <input type="hidden" name="subscription" value="${o.subscriptionId}">
      <input type="hidden" name="plan" value="${p.plan}"><input type="hidden" name="interval" value="${p.interval}">
      <input type="hidden" name="proration_date" value="${p.proration_date}">
      <button type="submit">Confirm and pay ${money(Math.max(p.amount_due, 0), p.currency)}</button>
      <a href="/account">Keep ${o.fromName}</a>
    </form>
  </section>`;
}
