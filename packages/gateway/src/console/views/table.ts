// One shape for every console table, on the shell's building blocks (console/ui.ts): a filter form
// (a GET form, so a filtered page is a link), the rows of one keyset page, a link to the next page,
// and the same list as CSV (`?format=csv`), streamed page by page (never held whole in memory: an
// export of a million payments costs one page of memory).
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { type Html, html, type Interpolation } from '../../pages/html.js';
import { hide } from '../../pages/kit.js';
import { AppError } from '../../platform/errors.js';
import type { AppInstance, ConsoleKit, ConsoleSession } from '../kit.js';
import {
  csvCell,
  dataTable,
  filterForm,
  pager,
  sendCsv,
  type FilterField as UiField,
  viewHead,
} from '../ui.js';
import { doneQuery } from './cells.js';
import type { ListPage } from './queries.js';

export interface Column<Row> {
  label: string;
  /** Right-aligned (amounts, counts). */
  num?: boolean;
  /** The cell; `session` is the viewer's (an action button needs its CSRF token and role). */
  cell(row: Row, session: ConsoleSession): Interpolation;
  /** The CSV value; a column without one is left out of the export (action buttons). */
  csv?: (row: Row) => string | number | null;
}

export interface FilterField {
  name: string;
  label: string;
  /** A select with these [value, label] choices (an "Any" choice comes first), else a text or date input. */
  options?: readonly (readonly [string, string])[];
  type?: 'text' | 'date';
  placeholder?: string;
}

export interface TableSpec<Row, F> {
  /** The page's path: `/console/payments`; the export is at the same path plus `.csv`. */
  path: string;
  title: string;
  /** A sentence under the title: what the list is. */
  intro: string;
  filters: readonly FilterField[];
  /** The querystring's filters (all optional strings; '' means not set). */
  query: z.ZodObject<z.ZodRawShape>;
  /** The filters the list runs with (resolving names to ids, parsing dates). */
  filter(s: AppContext, q: Record<string, string | undefined>): Promise<F>;
  page(s: AppContext, f: NoInfer<F>, cursor: string | undefined, limit: number): Promise<ListPage<Row>>;
  columns: readonly Column<NoInfer<Row>>[];
  /** The export's columns, if not those of the page (each with its `csv`). */
  exportColumns?: readonly Column<NoInfer<Row>>[];
  /** What the table says when nothing matches. */
  empty: string;
  /** Shown above the table (a notice after an action, a create form). */
  above?: (q: Record<string, string | undefined>) => Html | '';
}

/** A querystring field: '' (an empty filter input) is the same as absent. */
export function optional<T extends z.ZodType<string>>(schema: T) {
  return z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
}

export const cursorField = optional(
  z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'not a cursor of this list'),
);
export const pageSizes = [25, 50, 100] as const;
const limitField = z.preprocess(
  (v) => (v === '' || v === undefined ? undefined : Number(v)),
  z
    .union([z.literal(25), z.literal(50), z.literal(100)])
    .optional()
    .default(25),
);

/** A date filter: YYYY-MM-DD, read as the start of that day in UTC. */
export const dateField = optional(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD'));
export function dayStart(text: string | undefined, plusDays = 0): Date | undefined {
  if (text === undefined) return undefined;
  const d = new Date(`${text}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + plusDays);
  return d;
}

/** The shell's filter fields, with the values of this request. */
function fieldsOf(filters: readonly FilterField[], q: Record<string, string | undefined>): UiField[] {
  return filters.map((f): UiField => {
    const value = q[f.name];
    if (f.options)
      return {
        kind: 'select',
        name: f.name,
        label: f.label,
        value,
        options: [{ value: '', label: 'Any' }, ...f.options.map(([v, label]) => ({ value: v, label }))],
      };
    if (f.type === 'date') return { kind: 'date', name: f.name, label: f.label, value };
    return {
      kind: 'text',
      name: f.name,
      label: f.label,
      value,
      ...(f.placeholder ? { placeholder: f.placeholder } : {}),
    };
  });
}

/** A table of `rows` (the shell's dataTable), its cells drawn for the viewer's session. */
export function renderTable<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  caption: string,
  empty: string,
  session: ConsoleSession,
): Html {
  if (rows.length === 0) return html`<p class="muted empty">${empty}</p>`;
  return html`<div class="card table-card">${dataTable({
    caption,
    columns: columns.map((c) => ({
      label: c.label,
      num: c.num ?? false,
      cell: (r: Row) => c.cell(r, session),
    })),
    rows,
    empty,
  })}</div>`;
}

export function csvLine(values: readonly (string | number | null)[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/** Rows per database read while exporting. */
export const EXPORT_PAGE = 1000;

async function* csvRows<Row, F>(s: AppContext, spec: TableSpec<Row, F>, f: F): AsyncGenerator<string> {
  const columns = (spec.exportColumns ?? spec.columns).filter((c) => c.csv);
  yield csvLine(columns.map((c) => c.label));
  let cursor: string | undefined;
  for (;;) {
    const page = await spec.page(s, f, cursor, EXPORT_PAGE);
    yield page.rows.map((r) => csvLine(columns.map((c) => c.csv!(r)))).join('');
    if (page.next === null) return;
    cursor = page.next;
  }
}

const format = z.object({ format: z.enum(['html', 'csv']).optional() });

/** Registers the table's page, and its CSV export at the same path with `format=csv`. */
export function registerTable<Row, F>(app: AppInstance, kit: ConsoleKit, spec: TableSpec<Row, F>): void {
  const pageQuery = spec.query.extend({ cursor: cursorField, limit: limitField }).merge(format);
  app.get(spec.path, { schema: { ...hide, querystring: pageQuery } }, async (request, reply) => {
    const session = await kit.viewer(request, reply);
    if (!session) return reply;
    const {
      cursor,
      limit,
      format: as,
      ...rest
    } = request.query as Record<string, string | undefined> & {
      limit: number;
    };
    const q = rest as Record<string, string | undefined>;
    const f = await spec.filter(kit.s, q);
    if (as === 'csv') {
      const name = spec.path.slice(spec.path.lastIndexOf('/') + 1);
      return sendCsvStream(
        reply,
        `${name}-${kit.s.now().toISOString().slice(0, 10)}.csv`,
        csvRows(kit.s, spec, f),
      );
    }
    const page = await spec.page(kit.s, f, cursor, limit);
    const kept = { ...q, limit: limit === 25 ? undefined : String(limit) };
    const rows: UiField = {
      kind: 'select',
      name: 'limit',
      label: 'Rows',
      value: String(limit),
      options: pageSizes.map((n) => ({ value: String(n), label: String(n) })),
    };
    return kit.page(reply, 200, {
      title: spec.title,
      current: spec.path,
      session,
      body: html`${viewHead(spec.title, spec.intro)}
${spec.above ? spec.above(q) : ''}
${filterForm({ action: spec.path, fields: [...fieldsOf(spec.filters, q), rows], query: q, csv: true })}
${renderTable(spec.columns, page.rows, spec.title, spec.empty, session)}
${pager({ path: spec.path, query: kept, next: page.next ?? undefined, paged: cursor !== undefined })}`,
    });
  });
}

function sendCsvStream(reply: FastifyReply, filename: string, rows: AsyncGenerator<string>): FastifyReply {
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .header('cache-control', 'no-store')
    .send(Readable.from(rows));
}

/** A page's whole list as CSV: its header, then its rows (lists short enough to send at once). */
export interface PageCsv {
  header: readonly string[];
  rows: () => Promise<readonly (readonly unknown[])[]>;
}

/** The "Export CSV" link of a page registered with `csv` (registerPage). */
export function csvLink(path: string): Html {
  return html`<p class="small"><a class="button link" href="${path}?format=csv" download>Export CSV</a></p>`;
}

/**
 * Registers a page that is not a paged list (API keys, WHMCS pending): signed in, the after-action
 * querystring, the body drawn for the viewer; with `csv`, the same list as CSV at `?format=csv`.
 */
export function registerPage(
  app: AppInstance,
  kit: ConsoleKit,
  o: {
    path: string;
    title: string;
    body: (
      session: ConsoleSession,
      q: { done?: string | undefined; ref?: string | undefined },
    ) => Promise<Html>;
    csv?: PageCsv;
  },
): void {
  app.get(
    o.path,
    { schema: { ...hide, querystring: z.object(doneQuery).merge(format) } },
    async (request, reply) => {
      const session = await kit.viewer(request, reply);
      if (!session) return reply;
      const { format: as, ...q } = request.query;
      if (as === 'csv' && o.csv) {
        const name = o.path.slice(o.path.lastIndexOf('/') + 1);
        return sendCsv(
          reply,
          `${name}-${kit.s.now().toISOString().slice(0, 10)}.csv`,
          o.csv.header,
          await o.csv.rows(),
        );
      }
      if (as === 'csv') throw new AppError('bad_request', 'This page has no CSV export.');
      return kit.page(reply, 200, {
        title: o.title,
        current: o.path,
        session,
        body: await o.body(session, q),
      });
    },
  );
}
