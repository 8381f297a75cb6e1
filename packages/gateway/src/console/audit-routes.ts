// The audit log view: every console action, newest first, filtered by action and actor, paged, exportable as CSV.
import { z } from 'zod';
import { dateTime } from '../pages/format.js';
import { html } from '../pages/html.js';
import type { AppInstance, ConsoleKit } from './kit.js';
import { auditActions, listAudit } from './store.js';
import {
  badCursor,
  cursorParam,
  dataTable,
  decodeCursor,
  encodeCursor,
  filterForm,
  pager,
  sendCsv,
  viewHead,
} from './ui.js';

const PAGE = 50;
const CSV_LIMIT = 10_000;
export const AUDIT_PATH = '/console/audit';

export function auditRoutes(app: AppInstance, kit: ConsoleKit): void {
  app.get(
    AUDIT_PATH,
    {
      schema: {
        hide: true,
        querystring: z.object({
          action: z.string().max(100).optional(),
          actor: z.string().max(100).optional(),
          cursor: cursorParam,
          format: z.enum(['html', 'csv']).optional(),
        }),
      },
    },
    async (request, reply) => {
      const session = await kit.viewer(request, reply);
      if (!session) return reply;
      const q = request.query;
      const filter = { action: q.action || undefined, actor: q.actor || undefined };
      if (q.format === 'csv') {
        const rows = await listAudit(kit.s.db, { ...filter, limit: CSV_LIMIT });
        return sendCsv(
          reply,
          'paydesk-audit-log.csv',
          ['id', 'at', 'actor', 'action', 'target', 'details'],
          rows.map((r) => [r.id, new Date(r.at), r.actor, r.action, r.target, JSON.stringify(r.details)]),
        );
      }
      const before = decodeCursor(q.cursor, 1)?.[0];
      if (before !== undefined && !/^\d{1,18}$/.test(before)) throw badCursor();
      const [rows, actions] = await Promise.all([
        listAudit(kit.s.db, { ...filter, before, limit: PAGE + 1 }),
        auditActions(kit.s.db),
      ]);
      const shown = rows.slice(0, PAGE);
      const next = rows.length > PAGE ? encodeCursor([shown[shown.length - 1]!.id]) : undefined;
      const query = { action: filter.action, actor: filter.actor };
      return kit.page(reply, 200, {
        title: 'Audit log',
        current: AUDIT_PATH,
        session,
        body: html`${viewHead('Audit log', 'Everything done through the console: who, when, what, on what. Newest first.')}
<section class="card">
${filterForm({
  action: AUDIT_PATH,
  query,
  csv: true,
  fields: [
    {
      kind: 'select',
      name: 'action',
      label: 'Action',
      value: filter.action,
      options: [{ value: '', label: 'Any action' }, ...actions.map((a) => ({ value: a, label: a }))],
    },
    { kind: 'text', name: 'actor', label: 'Actor', value: filter.actor, placeholder: 'name or key' },
  ],
})}
${dataTable({
  caption: 'Audit log entries, newest first',
  empty: 'Nothing recorded yet.',
  rows: shown,
  columns: [
    {
      label: 'When',
      cell: (r) =>
        html`<time class="nowrap" datetime="${new Date(r.at).toISOString()}">${dateTime(r.at)}</time>`,
    },
    { label: 'Actor', cell: (r) => r.actor },
    { label: 'Action', cell: (r) => html`<code class="nowrap">${r.action}</code>` },
    {
      label: 'Target',
      cell: (r) => (r.target ? html`<code>${r.target}</code>` : html`<span class="muted">—</span>`),
    },
    {
      label: 'Details',
      cell: (r) =>
        Object.keys(r.details).length
          ? html`<code class="details">${JSON.stringify(r.details)}</code>`
          : html`<span class="muted">—</span>`,
    },
  ],
})}
${pager({ path: AUDIT_PATH, query, next, paged: before !== undefined })}
</section>`,
      });
    },
  );
}
