// The one layout every billing page is rendered into, and the headers pages are sent with.
import type { FastifyReply } from 'fastify';
import type { PageAssets } from './assets.js';
import { type Html, html } from './html.js';

/** Where Stripe.js comes from and what it may talk to (from the settings; see pages/stripe-js.ts). */
export interface BrowserStripe {
  jsUrl: string;
  publishableKey: string | undefined;
  /** Origins Stripe.js, its frames and Stripe's hosted pages live at (CSP allow-list). */
  origins: readonly string[];
}

export interface PageEnv {
  productName: string;
  assets: PageAssets;
  stripe: BrowserStripe | undefined;
}

export interface PageUser {
  email: string | undefined;
  externalId: string;
  csrf: string;
}

export type Nav = 'pricing' | 'account' | 'sign-in' | undefined;

export interface PageOptions {
  title: string;
  nav?: Nav;
  user?: PageUser | undefined;
  /** Load Stripe.js and the pages' script (the payment and card forms). */
  payment?: boolean;
  body: Html;
}

export function csrfField(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

function navLink(href: string, label: string, current: boolean): Html {
  return html`<a href="${href}"${current ? html` aria-current="page"` : ''}>${label}</a>`;
}

export function layout(env: PageEnv, o: PageOptions): Html {
  const scripts =
    o.payment && env.stripe
      ? html`<script src="${env.stripe.jsUrl}"></script><script src="${env.assets.js.path}" defer></script>`
      : '';
  const who = o.user
    ? html`<span class="muted small hide-phone who">${o.user.email ?? o.user.externalId}</span>
      <form method="post" action="/sign-out" class="inline">${csrfField(o.user.csrf)}<button type="submit" class="link">Sign out</button></form>`
    : navLink('/sign-in', 'Sign in', o.nav === 'sign-in');
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · ${env.productName}</title>
<link rel="stylesheet" href="${env.assets.css.path}">
${scripts}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><div class="top-inner">
<a class="product" href="/pricing">${env.productName}</a>
<nav aria-label="Billing">${navLink('/pricing', 'Pricing', o.nav === 'pricing')}${o.user ? navLink('/account', 'Account', o.nav === 'account') : ''}${who}</nav>
</div></header>
<main id="main" tabindex="-1">
${o.body}
</main>
<footer class="foot"><p>Billing for ${env.productName}. Payments are processed by Stripe; card details never reach ${env.productName}’s servers.</p></footer>
</body>
</html>
`;
}

/** Content-Security-Policy of a page: scripts, frames and connections only to self and Stripe. */
export function pagePolicy(env: PageEnv): string {
  const stripe = env.stripe?.origins.join(' ') ?? '';
  const withStripe = (base: string) => (stripe ? `${base} ${stripe}` : base);
  return [
    "default-src 'none'",
    withStripe("script-src 'self'"),
    "style-src 'self'",
    "img-src 'self' data:",
    withStripe("connect-src 'self'"),
    withStripe('frame-src'),
    // Forms post to paydesk, which may answer with a redirect to Stripe's hosted Checkout or portal.
    withStripe("form-action 'self'"),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ]
    .map((d) => (d === 'frame-src' ? "frame-src 'none'" : d))
    .join('; ');
}

export function sendPage(reply: FastifyReply, env: PageEnv, status: number, page: Html): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', pagePolicy(env))
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .send(page.text);
}
