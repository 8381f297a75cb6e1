// The job queue as an operator needs it: dead and failing jobs with their last error, retried through
// the queue-admin service (as `paydesk jobs retry` and POST /admin/jobs/:id/retry do); and the
// notifications to the host product, which are jobs of their own kind: each delivery listed, a
// notification's page with all its deliveries, and a redelivery of any of them (notifications/service.ts
// redeliverNotification, as POST /admin/notifications/:id/redeliver does).

import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import {
  type DeliveryRow,
  NOTIFY_JOB,
  notificationDeliveries,
  redeliverNotification,
  redeliveryOf,
} from '../../notifications/service.js';
import { type Html, html, type Interpolation } from '../../pages/html.js';
import { hide } from '../../pages/kit.js';
import { listJobs, retryJob } from '../../queue-admin/service.js';
import type { AppInstance, ConsoleKit, ConsoleSession, ConsoleView } from '../kit.js';
import { csrfBody } from '../kit.js';
import { actionButton, badge, clip, doneNotice, doneQuery, ident, iso, runAction, when } from './cells.js';
import type { ListPage } from './queries.js';
import { type Column, optional, registerTable, renderTable } from './table.js';

const jobStatuses = ['queued', 'running', 'done', 'dead'] as const;
type JobRow = Awaited<ReturnType<typeof listJobs>>['data'][number];

/** The status filter: the queue's statuses, and `retrying` (failed, queued to be tried again). */
const statusFilters = ['queued', 'retrying', 'running', 'done', 'dead'] as const;
type StatusFilter = (typeof statusFilters)[number];

function statusOf(q: Record<string, string | undefined>): {
  status: (typeof jobStatuses)[number] | undefined;
  retrying: boolean;
} {
  const f = q.status as StatusFilter | undefined;
  return f === 'retrying' ? { status: undefined, retrying: true } : { status: f, retrying: false };
}

async function jobsPage(
  s: AppContext,
  f: { status?: (typeof jobStatuses)[number] | undefined; retrying: boolean; kind?: string | undefined },
  cursor: string | undefined,
  limit: number,
): Promise<ListPage<JobRow>> {
  const page = await listJobs(s, { ...f, before: cursor === undefined ? undefined : Number(cursor), limit });
  return { rows: page.data, next: page.next_before === null ? null : String(page.next_before) };
}

const retryColumn: Column<JobRow> = {
  label: 'Action',
  cell: (j, session) =>
    j.status === 'dead'
      ? actionButton(session, `/console/jobs/${j.id}/retry`, 'Retry', { name: `Retry job ${j.id}` })
      : '',
};

const notices = { retried: 'Job {ref} is queued again.' };
const jobQuery = z.object({
  status: optional(z.enum(statusFilters)),
  kind: optional(z.string().regex(/^[a-z_.-]{1,100}$/, 'expected a job kind like refund.execute')),
  ...doneQuery,
});

function registerRetry(app: AppInstance, kit: ConsoleKit): void {
  app.post(
    '/console/jobs/:id/retry',
    {
      schema: {
        ...hide,
        params: z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }),
        body: z.object({ _csrf: csrfBody }),
      },
    },
    async (request, reply) =>
      runAction(reply, '/console/jobs?status=dead', async () => {
        const session = await kit.actor(request, request.body._csrf);
        const job = await retryJob(kit.s, request.params.id);
        await kit.audit(kit.s.db, session, {
          action: 'job.retry',
          target: String(job.id),
          details: { kind: job.kind, status: job.status },
        });
        return { done: 'retried', ref: String(job.id) };
      }),
  );
}

export const jobsView: ConsoleView = {
  nav: { path: '/console/jobs', label: 'Jobs' },
  register(app, kit) {
    registerTable(app, kit, {
      path: '/console/jobs',
      title: 'Jobs',
      intro:
        'Background work: refunds, notifications, WHMCS recording. A dead job gave up after its last attempt; retry it once the cause is fixed.',
      filters: [
        {
          name: 'status',
          label: 'Status',
          options: statusFilters.map((s) => [s, s === 'retrying' ? 'retrying (failed)' : s] as const),
        },
        { name: 'kind', label: 'Kind', placeholder: 'refund.execute' },
      ],
      query: jobQuery,
      filter: async (_s, q) => ({ ...statusOf(q), kind: q.kind }),
      page: jobsPage,
      columns: [
        { label: 'Job', cell: (j) => ident(String(j.id)), csv: (j) => j.id },
        { label: 'Kind', cell: (j) => j.kind, csv: (j) => j.kind },
        {
          label: 'Status',
          cell: (j) => (j.status === 'queued' && j.attempts > 0 ? badge('retrying') : badge(j.status)),
          csv: (j) => j.status,
        },
        {
          label: 'Attempts',
          num: true,
          cell: (j) => `${j.attempts} / ${j.max_attempts}`,
          csv: (j) => j.attempts,
        },
        {
          label: 'Last error',
          cell: (j) => clip(j.last_error),
          csv: (j) => j.last_error,
        },
        { label: 'Key', cell: (j) => ident(j.key), csv: (j) => j.key },
        { label: 'Updated', cell: (j) => when(j.updated_at), csv: (j) => iso(j.updated_at) },
        retryColumn,
      ],
      above: (q) => doneNotice(notices, q),
      empty: 'No job matches these filters.',
    });
    registerRetry(app, kit);
  },
};

/** What a notification job carries (notifications/service.ts: `{ notification, redelivery_of? }`). */
function notificationOf(j: Pick<JobRow, 'payload'>): {
  id?: string;
  type?: string;
  created?: number;
  data?: Record<string, unknown>;
} {
  const n = j.payload.notification;
  return typeof n === 'object' && n !== null
    ? (n as { id?: string; type?: string; created?: number; data?: Record<string, unknown> })
    : {};
}

const notificationId = z.string().regex(/^ntf_[A-Za-z0-9_-]{1,100}$/, 'expected a notification id (ntf_…)');
const deliveryLabel = (status: string) =>
  status === 'done' ? 'delivered' : status === 'retrying' ? 'failing (will retry)' : status;

/** A delivery's status; a queued one whose last attempt failed is failing (it will be tried again). */
function deliveryBadge(d: { status: string; attempts: number }): Html {
  return d.status === 'queued' && d.attempts > 0
    ? badge('retrying', deliveryLabel('retrying'))
    : badge(d.status, deliveryLabel(d.status));
}

/** The Redeliver form: a fresh request id per form drawn, so a double click delivers once. */
function redeliverButton(session: ConsoleSession, id: string, back: 'list' | 'detail'): Html {
  return actionButton(session, `/console/notifications/${id}/redeliver`, 'Redeliver', {
    name: `Redeliver ${id}`,
    fields: { request_id: `console-${randomUUID()}`, back },
  });
}

/** The customer a notification is about, by the product's id for them when the data has it. */
function customerOf(data: Record<string, unknown> | undefined): Interpolation {
  const c = data?.customer;
  const name = typeof data?.external_id === 'string' ? data.external_id : String(c);
  return typeof c === 'string' ? html`<a href="/console/customers/${c}">${name}</a>` : '—';
}

const redeliveryNotice = {
  redelivered: 'Notification {ref} is being delivered again: its new delivery is below.',
  'already-redelivered': 'This form was sent already: notification {ref} was redelivered once for it.',
};

const deliveryColumns: Column<DeliveryRow>[] = [
  { label: 'Job', cell: (d) => ident(String(d.id)) },
  {
    label: 'Delivery',
    cell: (d) => {
      const of = redeliveryOf(d);
      return of === undefined ? 'first' : `redelivery (of job ${of})`;
    },
  },
  { label: 'Status', cell: (d) => deliveryBadge(d) },
  { label: 'Attempts', num: true, cell: (d) => `${d.attempts} / ${d.max_attempts}` },
  { label: 'Last error', cell: (d) => clip(d.last_error) },
  { label: 'Queued', cell: (d) => when(d.created_at) },
  { label: 'Finished', cell: (d) => when(d.finished_at) },
];

const notificationColumns: Column<JobRow>[] = [
  {
    label: 'Notification',
    cell: (j) => {
      const id = notificationOf(j).id;
      return id ? ident(id, `/console/notifications/${id}`) : ident(String(j.id));
    },
    csv: (j) => notificationOf(j).id ?? null,
  },
  {
    label: 'Type',
    cell: (j) => notificationOf(j).type ?? '—',
    csv: (j) => notificationOf(j).type ?? null,
  },
  {
    label: 'Customer',
    cell: (j) => customerOf(notificationOf(j).data),
    csv: (j) => {
      const c = notificationOf(j).data?.customer;
      return typeof c === 'string' ? c : null;
    },
  },
  {
    label: 'Delivery',
    cell: (j) =>
      html`${deliveryBadge(j)}${redeliveryOf(j) === undefined ? '' : html` <span class="muted small">redelivery</span>`}`,
    csv: (j) => j.status,
  },
  { label: 'Attempts', num: true, cell: (j) => j.attempts, csv: (j) => j.attempts },
  {
    label: 'Last error',
    cell: (j) => clip(j.last_error),
    csv: (j) => j.last_error,
  },
  { label: 'Updated', cell: (j) => when(j.updated_at), csv: (j) => iso(j.updated_at) },
];

export const notificationsView: ConsoleView = {
  nav: { path: '/console/notifications', label: 'Notifications' },
  register(app, kit) {
    registerTable(app, kit, {
      path: '/console/notifications',
      title: 'Notifications',
      intro: `What paydesk told the product (${kit.s.config.notifyUrl ? new URL(kit.s.config.notifyUrl).host : 'no PAYDESK_NOTIFY_URL is set'}): every delivery, newest first, with its attempts and last error. Redeliver any notification, delivered or not; its page shows its data and all its deliveries.`,
      filters: [
        {
          name: 'status',
          label: 'Delivery',
          options: statusFilters.map((s) => [s, deliveryLabel(s)] as const),
        },
      ],
      query: jobQuery.omit({ kind: true }),
      filter: async (_s, q) => ({ ...statusOf(q), kind: NOTIFY_JOB }),
      page: jobsPage,
      columns: [
        ...notificationColumns,
        {
          label: 'Action',
          cell: (j, session) => {
            const id = notificationOf(j).id;
            return id ? redeliverButton(session, id, 'list') : '';
          },
        },
      ],
      exportColumns: [
        ...notificationColumns,
        { label: 'Data', cell: () => '', csv: (j) => JSON.stringify(notificationOf(j).data ?? {}) },
        { label: 'Job', cell: () => '', csv: (j) => j.id },
        { label: 'Redelivery of', cell: () => '', csv: (j) => redeliveryOf(j) ?? null },
      ],
      above: (q) => doneNotice(redeliveryNotice, q),
      empty: 'No notification matches.',
    });

    app.get(
      '/console/notifications/:id',
      { schema: { ...hide, params: z.object({ id: notificationId }), querystring: z.object(doneQuery) } },
      async (request, reply) => {
        const session = await kit.viewer(request, reply);
        if (!session) return reply;
        const { notification: n, deliveries } = await notificationDeliveries(kit.s, request.params.id);
        const last = deliveries[deliveries.length - 1]!;
        return kit.page(reply, 200, {
          title: `Notification ${n.id}`,
          current: '/console/notifications',
          session,
          body: html`<p class="muted small"><a href="/console/notifications">Notifications</a> /</p>
<h1>${n.type} <code class="details">${n.id}</code></h1>
${doneNotice(redeliveryNotice, request.query)}
<div class="card"><dl class="facts">
<dt>Latest delivery</dt><dd>${deliveryBadge(last)}</dd>
<dt>Deliveries</dt><dd>${deliveries.length}</dd>
<dt>Customer</dt><dd>${customerOf(n.data)}</dd>
<dt>Created</dt><dd>${when(typeof n.created === 'number' ? new Date(n.created * 1000) : null)}</dd>
<dt>Sent to</dt><dd>${kit.s.config.notifyUrl ? html`<code>${new URL(kit.s.config.notifyUrl).host}</code>` : 'nowhere: no PAYDESK_NOTIFY_URL is set'}</dd>
</dl>
<div class="actions">${redeliverButton(session, n.id, 'detail')}</div></div>
<h2>Deliveries</h2>
${renderTable(deliveryColumns, deliveries, 'Deliveries, oldest first', 'No delivery.', session)}
<h2>Data</h2>
<pre class="card payload" tabindex="0" aria-label="Notification data">${JSON.stringify(n.data ?? {}, null, 2)}</pre>`,
        });
      },
    );

    app.post(
      '/console/notifications/:id/redeliver',
      {
        schema: {
          ...hide,
          params: z.object({ id: notificationId }),
          body: z.object({
            _csrf: csrfBody,
            request_id: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'expected the form’s request id'),
            back: optional(z.enum(['list', 'detail'])),
          }),
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const back = request.body.back === 'list' ? '/console/notifications' : `/console/notifications/${id}`;
        return runAction(reply, back, async () => {
          const session = await kit.actor(request, request.body._csrf);
          const r = await redeliverNotification(kit.s, id, request.body.request_id);
          if (!r.created) return { done: 'already-redelivered', ref: id };
          await kit.audit(kit.s.db, session, {
            action: 'notification.redeliver',
            target: id,
            details: {
              type: r.notification.type,
              job: r.delivery.id,
              redelivery_of: redeliveryOf(r.delivery) ?? null,
            },
          });
          return { done: 'redelivered', ref: id };
        });
      },
    );
  },
};
