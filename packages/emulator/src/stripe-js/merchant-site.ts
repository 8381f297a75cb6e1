// A merchant's site for the stand-in's browser tests: a node:http server on its own port (so another
// origin than the emulator's) whose pages load Stripe.js from the emulator, as a real integration
// loads it from js.stripe.com. Its page script is plain browser JavaScript written as a merchant
// writes it against Stripe.js's documentation.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PayPageConfig {
  /** `pk_test_…`; what the page passes to `Stripe()`. */
  pk: string;
  kind: 'payment' | 'setup';
  clientSecret: string;
  element?: 'payment' | 'card';
  redirect?: 'always' | 'if_required';
  appearance?: Record<string, unknown>;
  /** Also mount an Address Element (billing) above the payment form. */
  address?: boolean;
  /** Shown in the order summary. */
  title?: string;
  amount?: string;
}

export interface MerchantSite {
  url: string;
  /** The URL of a pay page for this configuration (confirm on submit). */
  payPage(config: PayPageConfig): string;
  checkoutPage(pk: string, sessionId: string): string;
  close(): Promise<void>;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1f36;background:#f6f9fc}
header{padding:16px 32px;background:#fff;border-bottom:1px solid #e3e8ee;font-weight:650;font-size:18px}
main{max-width:960px;margin:40px auto;padding:0 24px;display:grid;grid-template-columns:1fr 1.2fr;gap:40px;align-items:start}
.summary h1{font-size:15px;font-weight:500;color:#697386;margin:0 0 4px}
.summary .amount{font-size:36px;font-weight:650;margin:0 0 16px;color:#1a1f36}
.summary p{color:#697386;margin:0}
form{background:#fff;border-radius:12px;padding:28px;box-shadow:0 1px 3px rgba(50,50,93,.15),0 1px 0 rgba(0,0,0,.02)}
form h2{font-size:18px;margin:0 0 20px}
#payment-element,#address-element{margin-bottom:24px}
button{width:100%;padding:12px 16px;border:0;border-radius:6px;background:#0570de;color:#fff;font:600 16px system-ui,sans-serif;cursor:pointer}
button:disabled{opacity:.6;cursor:default}
#message{min-height:24px;margin:16px 0 0;color:#df1b41}
#message.ok{color:#0e6245}
@media (max-width:720px){main{grid-template-columns:1fr;margin:24px auto;gap:24px}}`;

function json(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const PAY_SCRIPT = `
const cfg = JSON.parse(document.getElementById('cfg').textContent);
window.__changes = []; window.__events = []; window.__results = [];
const stripe = Stripe(cfg.pk);
const elements = stripe.elements({ clientSecret: cfg.clientSecret, appearance: cfg.appearance });
const element = elements.create(cfg.element || 'payment');
element.on('change', (e) => window.__changes.push(e));
for (const type of ['ready', 'focus', 'blur']) element.on(type, () => window.__events.push(type));
element.mount('#payment-element');
window.__elements = elements; window.__element = element;
if (cfg.address) {
  const address = elements.create('address', { mode: 'billing' });
  address.on('change', (e) => window.__changes.push(e));
  address.mount('#address-element');
  window.__address = address;
}
const form = document.getElementById('pay-form');
const button = form.querySelector('button');
const message = document.getElementById('message');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  button.disabled = true;
  message.textContent = '';
  const confirmParams = { return_url: location.origin + '/return' };
  let result;
  if (cfg.kind === 'setup') {
    result = await stripe.confirmSetup({ elements, confirmParams, redirect: cfg.redirect });
  } else if (cfg.element === 'card') {
    result = await stripe.confirmCardPayment(cfg.clientSecret, { payment_method: { card: element } });
  } else {
    result = await stripe.confirmPayment({ elements, confirmParams, redirect: cfg.redirect });
  }
  window.__results.push(result);
  const intent = result.paymentIntent || result.setupIntent;
  message.className = result.error ? '' : 'ok';
  message.textContent = result.error ? result.error.message : 'Done: ' + intent.status;
  button.disabled = false;
});`;

const CHECKOUT_SCRIPT = `
const cfg = JSON.parse(document.getElementById('cfg').textContent);
const stripe = Stripe(cfg.pk);
document.getElementById('go').addEventListener('click', async () => {
  const result = await stripe.redirectToCheckout({ sessionId: cfg.sessionId });
  document.getElementById('message').textContent = result.error.message;
});`;

function page(emulatorUrl: string, title: string, body: string, cfg: unknown, script: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style>` +
    `<script src="${escapeHtml(emulatorUrl)}/v3/"></script></head><body><header>Acme Cloud</header>${body}` +
    `<script type="application/json" id="cfg">${json(cfg)}</script><script>${script}</script></body></html>`
  );
}

export async function startMerchantSite(emulatorUrl: string): Promise<MerchantSite> {
  const configs = new Map<string, unknown>();
  let n = 0;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://merchant');
    const cfg = configs.get(url.searchParams.get('c') ?? '') as
      | (PayPageConfig & { sessionId?: string })
      | undefined;
    let html: string;
    if (url.pathname === '/pay' && cfg) {
      const label = cfg.kind === 'setup' ? 'Save card' : `Pay ${cfg.amount ?? ''}`.trim();
      html = page(
        emulatorUrl,
        'Checkout – Acme Cloud',
        `<main><section class="summary"><h1>${escapeHtml(cfg.title ?? 'Acme Cloud Pro')}</h1>` +
          `<p class="amount">${escapeHtml(cfg.amount ?? '')}</p><p>Billed by Acme Cloud. Test mode.</p></section>` +
          `<form id="pay-form"><h2>${cfg.kind === 'setup' ? 'Card details' : 'Payment details'}</h2>` +
          `${cfg.address ? '<div id="address-element"></div>' : ''}<div id="payment-element"></div><button type="submit">${escapeHtml(label)}</button>` +
          '<p id="message" role="status"></p></form></main>',
        cfg,
        PAY_SCRIPT,
      );
    } else if (url.pathname === '/checkout' && cfg) {
      html = page(
        emulatorUrl,
        'Plans – Acme Cloud',
        '<main><section><button id="go" type="button">Go to checkout</button><p id="message" role="status"></p></section></main>',
        cfg,
        CHECKOUT_SCRIPT,
      );
    } else if (url.pathname === '/return') {
      html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Thanks</title></head><body><h1>Thank you</h1></body></html>`;
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const add = (cfg: unknown): string => {
    const id = String(++n);
    configs.set(id, cfg);
    return id;
  };
  return {
    url,
    payPage: (config) => `${url}/pay?c=${add(config)}`,
    checkoutPage: (pk, sessionId) => `${url}/checkout?c=${add({ pk, sessionId })}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
