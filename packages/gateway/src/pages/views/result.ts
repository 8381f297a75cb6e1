import { type Html, html } from '../html.js';
import type { Outcome } from '../service.js';

const icons = { paid: '✓', processing: '…', failed: '✕', cancelled: '←' } as const;
const tones = { paid: 'ok', processing: 'warn', failed: 'bad', cancelled: '' } as const;

export function resultView(o: Outcome | { kind: 'cancelled'; title: string; detail: string }): Html {
  const next =
    o.kind === 'paid'
      ? html`<a class="button" href="/account">Go to your account</a>`
      : o.kind === 'processing'
        ? html`<a class="button" href="">Check again</a> <a href="/account">Your account</a>`
        : o.kind === 'failed'
          ? html`<a class="button" href="${o.retry ?? '/pricing'}">Try again</a> <a href="/account">Your account</a>`
          : html`<a class="button" href="/pricing">Back to pricing</a>`;
  return html`<section class="card result" data-outcome="${o.kind}">
    <span class="icon badge ${tones[o.kind]}" aria-hidden="true">${icons[o.kind]}</span>
    <h1>${o.title}</h1>
    <p>${o.detail}</p>
    <div class="actions">${next}</div>
  </section>`;
}
