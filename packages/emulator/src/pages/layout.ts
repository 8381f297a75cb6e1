import { type Html, html } from './html.js';

export const ASSET_CSS = '/_emulator/assets/pages.css';
export const ASSET_JS = '/_emulator/assets/pages.js';

/** The whole document: head with the local stylesheet and script, then `body`. */
export function documentPage(title: string, body: Html, options: { bodyClass?: string } = {}): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="stylesheet" href="${ASSET_CSS}">
<script src="${ASSET_JS}" defer></script>
</head><body class="${options.bodyClass ?? ''}">${body}</body></html>`.value;
}

export function testBadge(): Html {
  return html`<span class="badge" title="No real money moves: this is the paydesk Stripe emulator">Test mode</span>`;
}

/** A centred card page: the 3-D Secure page, closed sessions, errors. */
export function cardPage(title: string, inner: Html): string {
  return documentPage(title, html`<main class="center"><div class="card narrow">${inner}</div></main>`);
}

/** "Not found" for an unknown id, as a page (never JSON in a browser). */
export function notFoundPage(what: string): string {
  return cardPage(
    'Not found',
    html`<div class="status-icon bad" aria-hidden="true">!</div><h1>${what} not found</h1>
<p class="muted">This link is not valid. Check the address, or start again from the merchant's site.</p>
<p class="small muted">${testBadge()}</p>`,
  );
}
