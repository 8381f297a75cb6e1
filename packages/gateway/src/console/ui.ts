// Building blocks of the console's table views: a table, a filter form, cursor pagination, CSV
// export and action buttons (a form with the session's CSRF token; disabled for a read-only sign-in).
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { type Html, html, type Interpolation } from '../pages/html.js';
import { csrfField } from '../pages/layout.js';
import { AppError } from '../platform/errors.js';
import type { ConsoleSession } from './session.js';

export interface Column<Row> {
  label: string;
  /** Right-aligned, tabular figures. */
  num?: boolean;
  cell(row: Row): Interpolation;
}

/** A table with a caption (for screen readers and the eye), or a line saying there is nothing. */
export function dataTable<Row>(o: {
  caption: string;
  columns: readonly Column<Row>[];
  rows: readonly Row[];
  empty: string;
}): Html {
  if (o.rows.length === 0) return html`<p class="muted empty">${o.empty}</p>`;
  const cls = (c: Column<Row>) => (c.num ? html` class="num"` : '');
  return html`<div class="table-wrap"><table>
<caption class="visually-hidden">${o.caption}</caption>
<thead><tr>${o.columns.map((c) => html`<th scope="col"${cls(c)}>${c.label}</th>`)}</tr></thead>
<tbody>${o.rows.map((r) => html`<tr>${o.columns.map((c) => html`<td${cls(c)}>${c.cell(r)}</td>`)}</tr>`)}</tbody>
</table></div>`;
}

export type FilterField =
  | { kind: 'text'; name: string; label: string; value: string | undefined; placeholder?: string }
  | { kind: 'date'; name: string; label: string; value: string | undefined }
  | {
      kind: 'select';
      name: string;
      label: string;
      value: string | undefined;
      /** The first option should be the "any" choice, with value ''. */
      options: readonly { value: string; label: string }[];
    };

function filterInput(f: FilterField): Html {
  const id = `f-${f.name}`;
  const input =
    f.kind === 'select'
      ? html`<select id="${id}" name="${f.name}">${f.options.map(
          (o) =>
            html`<option value="${o.value}"${o.value === (f.value ?? '') ? html` selected` : ''}>${o.label}</option>`,
        )}</select>`
      : html`<input id="${id}" name="${f.name}" type="${f.kind === 'date' ? 'date' : 'search'}" value="${f.value ?? ''}"${f.kind === 'text' && f.placeholder ? html` placeholder="${f.placeholder}"` : ''}>`;
  return html`<div class="field"><label for="${id}">${f.label}</label>${input}</div>`;
}

/**
 * A GET form of filters (they stay in the URL, so a filtered page can be linked and paged), with a
 * reset link and, if `csv` is set, a link exporting the same rows as CSV (`?format=csv`).
 */
export function filterForm(o: {
  action: string;
  fields: readonly FilterField[];
  query: Readonly<Record<string, string | undefined>>;
  csv?: boolean;
}): Html {
  const csvHref = `${o.action}?${queryString({ ...o.query, cursor: undefined, format: 'csv' })}`;
  return html`<form method="get" action="${o.action}" class="filters" role="search" aria-label="Filters">
${o.fields.map(filterInput)}
<div class="field filter-actions"><button type="submit" class="secondary">Filter</button><a href="${o.action}" class="button link">Reset</a>${o.csv ? html`<a class="button link" href="${csvHref}" download>Export CSV</a>` : ''}</div>
</form>`;
}

/** A query string of the non-empty values, in the order given. */
export function queryString(query: Readonly<Record<string, string | undefined>>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') p.set(k, v);
  return p.toString();
}

/** The `cursor` query parameter of a paged view. */
export const cursorParam = z.string().max(500).optional();

/** An opaque cursor for keyset pagination: the sort key of the last row shown. */
export function encodeCursor(parts: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** The parts of a cursor (as strings), or a 400 if it was not made by encodeCursor with `arity` parts. */
export function decodeCursor(raw: string | undefined, arity: number): string[] | undefined {
  if (raw === undefined || raw === '') return undefined;
  try {
    const parts = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(parts) &&
      parts.length === arity &&
      parts.every((p) => (typeof p === 'string' && p.length <= 200) || typeof p === 'number')
    )
      return parts.map(String);
  } catch {
    // fall through
  }
  throw badCursor();
}

/** The error for a page link whose cursor was not made here (or was edited). */
export function badCursor(): AppError {
  return new AppError('validation_failed', 'This page link is not valid: go back to the first page.');
}

/** "Newer/first page" and "next page" links, keeping the filters. `next` is the cursor after the last row, if there are more. */
export function pager(o: {
  path: string;
  query: Readonly<Record<string, string | undefined>>;
  next: string | undefined;
  paged: boolean;
}): Html {
  if (!o.next && !o.paged) return html``;
  const first = `${o.path}?${queryString({ ...o.query, cursor: undefined })}`;
  const next = o.next ? `${o.path}?${queryString({ ...o.query, cursor: o.next })}` : undefined;
  return html`<nav class="pager" aria-label="Pages">
${o.paged ? html`<a href="${first}">First page</a>` : ''}
${next ? html`<a href="${next}" rel="next">Next page</a>` : html`<span class="muted">No more rows</span>`}
</nav>`;
}

/** One CSV cell: quoted when needed, and a leading = + - @ defused so a spreadsheet never runs it. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Sends rows as a CSV download (header first, CRLF lines as RFC 4180 says). */
export function sendCsv(
  reply: FastifyReply,
  filename: string,
  header: readonly string[],
  rows: Iterable<readonly unknown[]>,
): FastifyReply {
  const lines = [header.map(csvCell).join(',')];
  for (const r of rows) lines.push(r.map(csvCell).join(','));
  return reply
    .code(200)
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`)
    .header('cache-control', 'no-store')
    .send(`${lines.join('\r\n')}\r\n`);
}

/**
 * A button that posts an action with the session's CSRF token (and any hidden fields, or extra
 * inputs such as a note). For a read-only sign-in the button is disabled and says why.
 */
export function actionForm(
  session: ConsoleSession,
  o: {
    action: string;
    label: string;
    fields?: Readonly<Record<string, string>>;
    inputs?: Html;
    tone?: 'danger' | 'secondary';
    /** The accessible name when the visible label alone is ambiguous in a table ("Retry job 42"). */
    ariaLabel?: string;
  },
): Html {
  const readOnly = session.role !== 'admin';
  return html`<form method="post" action="${o.action}" class="action">${csrfField(session.csrf)}${Object.entries(
    o.fields ?? {},
  ).map(
    ([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`,
  )}${o.inputs ?? ''}<button type="submit"${o.tone ? html` class="${o.tone}"` : ''}${o.ariaLabel ? html` aria-label="${o.ariaLabel}"` : ''}${readOnly ? html` disabled title="Read-only sign-in"` : ''}>${o.label}</button></form>`;
}

/** A notice at the top of a page (`tone` ok, warn or bad). */
export function notice(tone: 'ok' | 'warn' | 'bad', text: string): Html {
  return html`<p class="notice ${tone}" role="status">${text}</p>`;
}

/** The heading of a view, with a line saying what it shows. */
export function viewHead(title: string, lead: string): Html {
  return html`<h1>${title}</h1><p class="lead">${lead}</p>`;
}
