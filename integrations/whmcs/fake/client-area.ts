// The fake WHMCS's invoice page (viewinvoice.php?id=N): status, amounts, transactions, the
// payment banner (paymentsuccess / paymentfailed) and, while Unpaid, the real module's Pay button
// rendered by php-cli with the $params WHMCS would pass to paydesk_link.
import { callModule } from '../src/php.js';
import { formatMoney } from './money.js';
import type { FakeWhmcs, FakeWhmcsOptions } from './server.js';

function esc(value: string | number): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export async function renderInvoicePage(
  fake: FakeWhmcs,
  module: FakeWhmcsOptions['module'],
  url: URL,
): Promise<{ status: number; html: string }> {
  const id = Number(url.searchParams.get('id'));
  const inv = Number.isSafeInteger(id) ? fake.state.invoices.get(id) : undefined;
  if (!inv) return { status: 404, html: page('Invoice not found', '<p>No such invoice.</p>') };
  const client = fake.state.clients.get(inv.userid)!;
  const currency = fake.state.currencyOf(client);
  const balance = fake.state.balance(inv);
  let banner = '';
  if (url.searchParams.get('paymentsuccess') === 'true') {
    banner = '<p class="banner ok" role="status">Thank you! Your payment was successful.</p>';
  } else if (url.searchParams.get('paymentfailed') === 'true') {
    banner = '<p class="banner bad" role="alert">Your payment was not completed. Please try again.</p>';
  }
  let pay = '';
  if (inv.status === 'Unpaid' && module) {
    pay = String(
      await callModule('link', {
        invoiceid: inv.id,
        description: `Fake Hosting - Invoice #${inv.id}`,
        amount: formatMoney(balance),
        currency: currency.code,
        clientdetails: { email: client.email, firstname: client.firstname, lastname: client.lastname },
        companyname: 'Fake Hosting',
        systemurl: `${fake.url}/`,
        returnurl: `${fake.url}/viewinvoice.php?id=${inv.id}`,
        langpaynow: 'Pay Now',
        name: 'paydesk (Stripe Checkout)',
        paymentmethod: 'paydesk',
        whmcsVersion: '8.10.1',
        paydeskUrl: module.paydeskUrl,
        moduleSecret: module.moduleSecret,
        testMode: module.testMode ? 'on' : '',
      }),
    );
  }
  const txs = fake.state.transactions.filter((t) => t.invoiceid === inv.id);
  const rows = txs
    .map(
      (t) =>
        `<tr><td>${esc(t.date)}</td><td>${esc(t.gateway)}</td><td class="transid">${esc(t.transid)}</td><td class="amount">${esc(formatMoney(t.amountin - t.amountout))}</td></tr>`,
    )
    .join('');
  const body = `${banner}
<h1>Invoice #${esc(inv.id)}</h1>
<p>Status: <strong class="status status-${esc(inv.status.toLowerCase().replaceAll(' ', '-'))}">${esc(inv.status)}</strong></p>
<p>Total: <span class="total">${esc(formatMoney(fake.state.total(inv)))}</span> ${esc(currency.code)} ·
Balance: <span class="balance">${esc(formatMoney(balance))}</span> ${esc(currency.code)}</p>
<div class="pay">${pay}</div>
<h2>Transactions</h2>
${rows ? `<table><thead><tr><th>Date</th><th>Gateway</th><th>Transaction ID</th><th>Amount</th></tr></thead><tbody>${rows}</tbody></table>` : '<p class="no-transactions">No transactions yet.</p>'}`;
  return { status: 200, html: page(`Invoice #${inv.id}`, body) };
}

/** The client area's home: every invoice, with its status and balance, linked to its page. */
export function renderHomePage(fake: FakeWhmcs): string {
  const rows = [...fake.state.invoices.values()]
    .map((inv) => {
      const client = fake.state.clients.get(inv.userid)!;
      const code = fake.state.currencyOf(client).code;
      return `<tr><td><a href="/viewinvoice.php?id=${esc(inv.id)}">Invoice #${esc(inv.id)}</a></td><td>${esc(client.email)}</td><td>${esc(inv.status)}</td><td class="amount">${esc(formatMoney(fake.state.balance(inv)))} ${esc(code)}</td></tr>`;
    })
    .join('');
  return page(
    'My invoices',
    `<h1>My invoices</h1>
${rows ? `<table><thead><tr><th>Invoice</th><th>Client</th><th>Status</th><th>Balance</th></tr></thead><tbody>${rows}</tbody></table>` : '<p>No invoices.</p>'}`,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)} - Fake WHMCS</title>
<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1f2933}
.banner{padding:.75rem 1rem;border-radius:.375rem}.ok{background:#e3f9e5;color:#05400a}.bad{background:#ffe3e3;color:#610404}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #d9e2ec;padding:.4rem;text-align:left}.transid{overflow-wrap:anywhere}
.btn{background:#0f7b3f;color:#fff;border:0;border-radius:.375rem;padding:.6rem 1.2rem;font-size:1rem;cursor:pointer}
.paydesk-test-mode{background:#fff3c4;color:#513c06;border-radius:.25rem;padding:.2rem .5rem;font-size:.8rem}
@media (max-width:480px){td,th{padding:.3rem .2rem;font-size:.875rem}}</style>
</head><body><header><p>Fake WHMCS client area · <a href="/">My invoices</a></p></header><main>${body}</main></body></html>`;
}
