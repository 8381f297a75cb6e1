import type Stripe from 'stripe';
import { money, shortDay } from '../format.js';
import { type Html, html } from '../html.js';

function invoiceRows(invoices: readonly Stripe.Invoice[]): Html {
  if (invoices.length === 0) return html`<p class="muted">No invoices yet.</p>`;
  return html`<div class="table-wrap"><table><caption class="visually-hidden">Invoices, newest first</caption>
    <thead><tr><th scope="col" class="hide-phone">Invoice</th><th scope="col">Date</th><th scope="col" class="num">Amount</th><th scope="col">Status</th><th scope="col">Files</th></tr></thead>
    <tbody>${invoices.map((i) => {
      const label = i.number ?? i.id ?? 'invoice';
      const links: Html[] = [];
      if (i.hosted_invoice_url)
        links.push(
          html`<a href="${i.hosted_invoice_url}" rel="noopener">View<span class="visually-hidden"> invoice ${label}</span></a>`,
        );
      if (i.invoice_pdf)
        links.push(
          html`<a href="${i.invoice_pdf}" rel="noopener">PDF<span class="visually-hidden"> of invoice ${label}</span></a>`,
        );
      return html`<tr><td class="hide-phone">${label}</td><td>${shortDay(i.created * 1000)}</td><td class="num">${money(i.total, i.currency)}</td><td>${i.status === 'paid' ? html`<span class="badge ok">Paid</span>` : html`<span class="badge">${i.status ?? 'draft'}</span>`}</td><td>${links.length > 0 ? links.map((l, n) => html`${n > 0 ? ' · ' : ''}<span class="nowrap">${l}</span>`) : html`<span class="muted">—</span>`}</td></tr>`;
    })}</tbody></table></div>`;
}

export function invoicesView(invoices: readonly Stripe.Invoice[]): Html {
  return html`<p class="muted small"><a href="/account">← Your account</a></p>
  <h1>Invoices</h1>
  <p class="lead">Your latest invoices from Stripe, newest first. Open one to view it online or download its PDF.</p>
  <section class="card" aria-labelledby="invoices-h"><h2 id="invoices-h" class="visually-hidden">Invoices</h2>${invoiceRows(invoices)}</section>`;
}
