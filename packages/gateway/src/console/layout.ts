// The one layout every console page is rendered into: the billing pages' stylesheet (pages.css) and
// template helper, with the console's own nav, its small stylesheet and, on chart pages, uPlot.
import type { FastifyReply } from 'fastify';
import type { PageAssets } from '../pages/assets.js';
import { type Html, html } from '../pages/html.js';
import { csrfField, sendPage } from '../pages/layout.js';
import type { ConsoleAssets } from './assets.js';
import type { ConsoleSession } from './session.js';

export interface ConsoleEnv {
  productName: string;
  pageAssets: PageAssets;
  assets: ConsoleAssets;
}

export interface NavEntry {
  /** Under /console (`/console/payments`). */
  path: string;
  label: string;
}

export interface ConsolePageOptions {
  title: string;
  /** The nav entry to mark current (its path). */
  current?: string | undefined;
  session?: ConsoleSession | undefined;
  nav: readonly NavEntry[];
  /** Load the chart library and the console's chart script. */
  charts?: boolean;
  body: Html;
}

function navLink(entry: NavEntry, current: string | undefined): Html {
  return html`<a href="${entry.path}"${entry.path === current ? html` aria-current="page"` : ''}>${entry.label}</a>`;
}

export function consoleLayout(env: ConsoleEnv, o: ConsolePageOptions): Html {
  const charts = o.charts
    ? html`<link rel="stylesheet" href="${env.assets.uplotCss.path}">
<script src="${env.assets.uplotJs.path}" defer></script>
<script src="${env.assets.js.path}" defer></script>`
    : '';
  const who = o.session
    ? html`<span class="console-who small"><span class="badge ${o.session.role === 'admin' ? 'ok' : 'warn'}">${o.session.role === 'admin' ? 'Admin' : 'Read-only'}</span>${o.session.operator ? html` <span class="hide-phone">${o.session.operator}</span>` : ''}</span>
      <form method="post" action="/console/sign-out" class="inline">${csrfField(o.session.csrf)}<button type="submit" class="link">Sign out</button></form>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${o.title} · ${env.productName} console</title>
<link rel="stylesheet" href="${env.pageAssets.css.path}">
<link rel="stylesheet" href="${env.assets.css.path}">
${charts}
</head>
<body class="console">
<a class="skip" href="#main">Skip to content</a>
<header class="top"><div class="top-inner">
<a class="product" href="/console">${env.productName} <span class="muted">console</span></a>
${o.session ? html`<nav aria-label="Console" class="console-nav">${o.nav.map((n) => navLink(n, o.current))}</nav>` : ''}
<div class="console-account">${who}</div>
</div></header>
<main id="main" tabindex="-1">
${o.body}
</main>
</body>
</html>
`;
}

export function sendConsolePage(
  reply: FastifyReply,
  env: ConsoleEnv,
  status: number,
  page: Html,
): FastifyReply {
  // The billing pages' headers: CSP allowing only paydesk itself (no Stripe.js here), no-store.
  return sendPage(
    reply,
    { productName: env.productName, assets: env.pageAssets, stripe: undefined },
    status,
    page,
  );
}
