// What the console's tables put in a cell, and how an action answers: a redirect back to the page it
// came from with a notice (so a reload never posts twice). An error it throws is the shell's to show.
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { dateTime } from '../../pages/format.js';
import { type Html, html, type Interpolation } from '../../pages/html.js';
import { minorToDecimal } from '../../platform/money.js';
import type { ConsoleSession } from '../kit.js';
import { actionForm, notice } from '../ui.js';

const good: readonly string[] = [
  'processed',
  'succeeded',
  'done',
  'active',
  'trialing',
  'won',
  'recorded',
  'ok',
];
const bad: readonly string[] = [
  'failed',
  'dead',
  'canceled',
  'past_due',
  'unpaid',
  'lost',
  'needs_response',
  'warning_needs_response',
  'mismatch',
  'revoked',
];

/** A status as a badge: green when settled well, red when it needs someone, plain otherwise. */
export function badge(status: string, label: string = status.replace(/_/g, ' ')): Html {
  const tone = good.includes(status) ? ' ok' : bad.includes(status) ? ' bad' : ' warn';
  return html`<span class="badge${tone}">${label}</span>`;
}

export function when(at: Date | string | null | undefined): Interpolation {
  return at
    ? html`<time datetime="${new Date(at).toISOString()}" class="nowrap">${dateTime(at)}</time>`
    : '—';
}

export function iso(at: Date | string | null | undefined): string | null {
  return at ? new Date(at).toISOString() : null;
}

/**
 * An amount as tables show it: "1,234.50 USD", "1,400 JPY". Plain string arithmetic on the minor units
 * (no Intl formatter per cell: a page of a hundred rows would spend milliseconds building them), and
 * the code rather than a symbol, which several currencies share.
 */
export function money(amount: number | bigint, currency: string): Html {
  const decimal = minorToDecimal(BigInt(amount), currency);
  const [whole, fraction] = decimal.split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return html`<span class="nowrap">${grouped}${fraction !== undefined ? `.${fraction}` : ''} ${currency.toUpperCase()}</span>`;
}

/** An id in monospace, linked when there is a page for it. */
export function ident(id: string | null | undefined, href?: string): Interpolation {
  if (!id) return '—';
  return href ? html`<a href="${href}"><code>${id}</code></a>` : html`<code>${id}</code>`;
}

export function customerCell(row: {
  customer_id: string | null;
  external_id?: string | null;
}): Interpolation {
  if (!row.customer_id) return '—';
  return html`<a href="/console/customers/${row.customer_id}">${row.external_id ?? row.customer_id}</a>`;
}

/** A one-button form posting to an action (the shell's actionForm: CSRF field, disabled when read-only). */
export function actionButton(
  session: ConsoleSession,
  action: string,
  label: string,
  o: { danger?: boolean; name?: string; fields?: Record<string, string> } = {},
): Html {
  return actionForm(session, {
    action,
    label,
    tone: o.danger ? 'danger' : 'secondary',
    ...(o.name ? { ariaLabel: o.name } : {}),
    ...(o.fields ? { fields: o.fields } : {}),
  });
}

/** The querystring an action redirects back with (see doneRedirect). */
export const doneQuery = { done: z.string().max(40).optional(), ref: z.string().max(200).optional() };

/** The notice a page shows after an action redirected back to it (`?done=…&ref=…`). */
export function doneNotice(messages: Record<string, string>, q: { done?: string; ref?: string }): Html | '' {
  const text = q.done ? messages[q.done] : undefined;
  return text ? notice('ok', text.replace('{ref}', q.ref ?? '')) : '';
}

/** After an action: back to `back` with what was done (303, so a reload does not post again). */
export function doneRedirect(reply: FastifyReply, back: string, done: string, ref: string): FastifyReply {
  const sep = back.includes('?') ? '&' : '?';
  return reply
    .code(303)
    .header('location', `${back}${sep}done=${encodeURIComponent(done)}&ref=${encodeURIComponent(ref)}`)
    .send();
}

/** Runs an action, then redirects back with what it did (see doneRedirect). */
export async function runAction(
  reply: FastifyReply,
  back: string,
  fn: () => Promise<{ done: string; ref: string }>,
): Promise<FastifyReply> {
  const { done, ref } = await fn();
  return doneRedirect(reply, back, done, ref);
}

/**
 * A long text (an error) cut to one line in a table cell; the whole of it in its tooltip. `short` for
 * a table with many columns (so its last column, the action, stays on a 1280 px screen).
 */
export function clip(text: string | null | undefined, short = false): Interpolation {
  return text ? html`<span class="clip${short ? ' short' : ''}" title="${text}">${text}</span>` : '—';
}
