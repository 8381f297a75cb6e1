import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from '../core/app.js';
import { StripeError } from '../core/errors.js';
import { decodeForm, type Params } from '../core/form.js';
import type { ExtraHandler } from '../core/http.js';
import { engineCtx } from './common/engine.js';
import { authenticatePaymentIntent } from './payment-intents.js';

/**
 * HTTP endpoints of the payment resources that are not Stripe API calls: the 3-D Secure challenge
 * page a `next_action` points to, and control endpoints under `/_emulator/` to drive outcomes that a
 * real customer or bank would decide. No API key (like the rest of the control API); bodies are JSON
 * or form-encoded (the page's buttons post forms).
 *
 *   GET  /_emulator/3ds/:id                              challenge page (payment or setup intent)
 *   POST /_emulator/payment_intents/:id/authenticate     {outcome: 'succeed'|'fail'}
 *   POST /_emulator/setup_intents/:id/authenticate       {outcome: 'succeed'|'fail'}
 *   POST /_emulator/refunds/:id/fail                     a pending refund fails
 */
export interface PageResult {
  status: number;
  json?: unknown;
  html?: string;
  redirect?: string;
}

export type PageRoute = (app: App, args: string[], body: Params) => PageResult;

interface Route {
  method: string;
  pattern: RegExp;
  run: PageRoute;
}

const routes: Route[] = [];

/** Adds a page or control route (the payment resources call this at import time). */
export function pageRoute(method: string, pattern: RegExp, run: PageRoute): void {
  routes.push({ method, pattern, run });
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function page(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}' +
    'button{font-size:1rem;padding:.5rem 1rem;margin:.25rem}</style></head>' +
    `<body><p><small>paydesk Stripe emulator (test mode)</small></p>${body}</body></html>`
  );
}

export function readOutcome(body: Params): 'succeed' | 'fail' {
  const o = body.outcome;
  if (o === 'succeed' || o === 'fail') return o;
  throw new StripeError({
    status: 400,
    type: 'invalid_request_error',
    param: 'outcome',
    message: "outcome must be 'succeed' or 'fail'.",
  });
}

pageRoute('GET', /^\/_emulator\/3ds\/(pi_[A-Za-z0-9]+)$/, (app, [id]) => {
  const pi = app.store.c('payment_intent').get(id!);
  if (pi === undefined) return { status: 404, html: page('Not found', '<h1>No such payment</h1>') };
  const action = `/_emulator/payment_intents/${escapeHtml(pi.id)}/authenticate`;
  const amount = `${(pi.amount / 100).toFixed(2)} ${pi.currency.toUpperCase()}`;
  return {
    status: 200,
    html: page(
      '3D Secure test authentication',
      `<h1>3D Secure test payment</h1><p>Amount: ${escapeHtml(amount)}</p><p>Status: ${escapeHtml(String(pi.status))}</p>` +
        `<form method="post" action="${action}"><input type="hidden" name="outcome" value="succeed">` +
        '<button type="submit" id="complete">Complete authentication</button></form>' +
        `<form method="post" action="${action}"><input type="hidden" name="outcome" value="fail">` +
        '<button type="submit" id="fail">Fail authentication</button></form>',
    ),
  };
});

pageRoute('POST', /^\/_emulator\/payment_intents\/([^/]+)\/authenticate$/, (app, [id], body) => {
  const ctx = engineCtx(app);
  const pi = ctx.store.c('payment_intent').require(id!, 'intent');
  const priv = ctx.store.c('_payment_intent').get(pi.id);
  authenticatePaymentIntent(ctx, pi, readOutcome(body));
  if (body._form === '1' && priv?.returnUrl) {
    const url = new URL(priv.returnUrl);
    url.searchParams.set('payment_intent', pi.id);
    url.searchParams.set('payment_intent_client_secret', pi.client_secret ?? '');
    return { status: 303, redirect: url.toString() };
  }
  return { status: 200, json: pi };
});

function readBody(req: IncomingMessage): Promise<Params> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      const type = req.headers['content-type'] ?? '';
      try {
        if (text === '') resolve({});
        else if (type.includes('json') || text.startsWith('{')) {
          const v: unknown = JSON.parse(text);
          if (v === null || typeof v !== 'object' || Array.isArray(v))
            throw new Error('body must be a JSON object');
          // A JSON object of strings/objects is a Params tree for the readers above.
          resolve(v as Params);
        } else resolve({ ...decodeForm(text), _form: '1' });
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, r: PageResult): void {
  if (r.redirect !== undefined) {
    res.writeHead(r.status, { Location: r.redirect });
    res.end();
  } else if (r.html !== undefined) {
    res.writeHead(r.status, {
      'Content-Type': 'text/html; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' *",
    });
    res.end(r.html);
  } else {
    res.writeHead(r.status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(r.json));
  }
}

/** The node:http handler for these routes (placed before the control API in `startEmulator`). */
export function paymentPagesHandler(app: App): ExtraHandler {
  return (req, res, path) => {
    const method = req.method ?? 'GET';
    for (const route of routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (m === null) continue;
      readBody(req)
        .then((body) => send(res, route.run(app, m.slice(1), body)))
        .catch((err: unknown) => {
          if (err instanceof StripeError) send(res, { status: err.status, json: err.toBody() });
          else {
            console.error('[emulator] payment page failed', err);
            send(res, {
              status: 500,
              json: { error: { type: 'api_error', message: 'Internal emulator error.' } },
            });
          }
        });
      return true;
    }
    return false;
  };
}
