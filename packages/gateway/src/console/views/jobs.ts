// The job queue as an operator needs it: dead and failing jobs with their last error, retried through
// the queue-admin service (as `paydesk jobs retry` and POST /admin/jobs/:id/retry do); and the
// notifications to the host product, which are jobs of their own kind, with their deliveries and a
// redelivery of one that gave up.
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { NOTIFY_JOB } from '../../notifications/service.js';
import { html } from '../../pages/html.js';
import { hide } from '../../pages/kit.js';
import { listJobs, retryJob } from '../../queue-admin/service.js';
import type { AppInstance, ConsoleKit, ConsoleView } from '../kit.js';
import { csrfBody } from '../kit.js';
import { actionButton, badge, clip, doneNotice, doneQuery, ident, iso, runAction, when } from './cells.js';
import type { ListPage } from './queries.js';
import { type Column, optional, registerTable } from './table.js';

const jobStatuses = ['queued', 'running', 'done', 'dead'] as const;
type JobRow = Awaited<ReturnType<typeof listJobs>>['data'][number];

async function jobsPage(
  s: AppContext,
  f: { status?: (typeof jobStatuses)[number] | undefined; kind?: string | undefined },
  cursor: string | undefined,
  limit: number,
): Promise<ListPage<JobRow>> {
  const page = await listJobs(s, { ...f, before: cursor === undefined ? undefined : Number(cursor), limit });
  return { rows: page.data, next: page.next_before === null ? null : String(page.next_before) };
}

function retryColumn(label: string, back: 'jobs' | 'notifications'): Column<JobRow> {
  return {
    label: 'Action',
    cell: (j, session) =>
      j.status === 'dead'
        ? actionButton(session, `/console/jobs/${j.id}/retry`, label, {
            name: `${label} job ${j.id}`,
            fields: { back },
          })
        : '',
  };
}

const notices = { retried: 'Job {ref} is queued again.' };
const jobQuery = z.object({
  status: optional(z.enum(jobStatuses)),
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
        body: z.object({ _csrf: csrfBody, back: optional(z.enum(['jobs', 'notifications'])) }),
      },
    },
    async (request, reply) => {
      const back =
        request.body.back === 'notifications' ? '/console/notifications' : '/console/jobs?status=dead';
      return runAction(reply, back, async () => {
        const session = await kit.actor(request, request.body._csrf);
        const job = await retryJob(kit.s, request.params.id);
        await kit.audit(kit.s.db, session, {
          action: request.body.back === 'notifications' ? 'notification.redeliver' : 'job.retry',
          target: String(job.id),
          details: { kind: job.kind, status: job.status },
        });
        return { done: 'retried', ref: String(job.id) };
      });
    },
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
        { name: 'status', label: 'Status', options: jobStatuses.map((s) => [s, s] as const) },
        { name: 'kind', label: 'Kind', placeholder: 'refund.execute' },
      ],
      query: jobQuery,
      filter: async (_s, q) => ({
        status: q.status as (typeof jobStatuses)[number] | undefined,
        kind: q.kind,
      }),
      page: jobsPage,
      columns: [
        { label: 'Job', cell: (j) => ident(String(j.id)), csv: (j) => j.id },
        { label: 'Kind', cell: (j) => j.kind, csv: (j) => j.kind },
        { label: 'Status', cell: (j) => badge(j.status), csv: (j) => j.status },
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
        retryColumn('Retry', 'jobs'),
      ],
      above: (q) => doneNotice(notices, q),
      empty: 'No job matches these filters.',
    });
    registerRetry(app, kit);
  },
};

/** What a notification job carries (notifications/service.ts: `{ notification }`). */
function notificationOf(j: JobRow): { id?: string; type?: string; data?: Record<string, unknown> } {
  const n = j.payload.notification;
  return typeof n === 'object' && n !== null
    ? (n as { id?: string; type?: string; data?: Record<string, unknown> })
    : {};
}

export const notificationsView: ConsoleView = {
  nav: { path: '/console/notifications', label: 'Notifications' },
  register(app, kit) {
    registerTable(app, kit, {
      path: '/console/notifications',
      title: 'Notifications',
      intro: `What paydesk told the product (${kit.s.config.notifyUrl ? new URL(kit.s.config.notifyUrl).host : 'no PAYDESK_NOTIFY_URL is set'}), newest first, with each delivery's attempts and last error. Redeliver one that gave up.`,
      filters: [
        {
          name: 'status',
          label: 'Delivery',
          options: jobStatuses.map((s) => [s, s === 'done' ? 'delivered' : s] as const),
        },
      ],
      query: jobQuery.omit({ kind: true }),
      filter: async (_s, q) => ({
        status: q.status as (typeof jobStatuses)[number] | undefined,
        kind: NOTIFY_JOB,
      }),
      page: jobsPage,
      columns: [
        {
          label: 'Notification',
          cell: (j) => ident(notificationOf(j).id ?? String(j.id)),
          csv: (j) => notificationOf(j).id ?? null,
        },
        {
          label: 'Type',
          cell: (j) => notificationOf(j).type ?? '—',
          csv: (j) => notificationOf(j).type ?? null,
        },
        {
          label: 'Customer',
          cell: (j) => {
            const c = notificationOf(j).data?.customer;
            return typeof c === 'string' ? html`<a href="/console/customers/${c}">${c}</a>` : '—';
          },
          csv: (j) => {
            const c = notificationOf(j).data?.customer;
            return typeof c === 'string' ? c : null;
          },
        },
        {
          label: 'Delivery',
          cell: (j) => badge(j.status, j.status === 'done' ? 'delivered' : j.status),
          csv: (j) => j.status,
        },
        { label: 'Attempts', num: true, cell: (j) => j.attempts, csv: (j) => j.attempts },
        {
          label: 'Last error',
          cell: (j) => clip(j.last_error),
          csv: (j) => j.last_error,
        },
        { label: 'Updated', cell: (j) => when(j.updated_at), csv: (j) => iso(j.updated_at) },
        {
          label: 'Data',
          cell: (j) =>
            html`<details><summary>Show</summary><pre class="payload">${JSON.stringify(notificationOf(j).data ?? {}, null, 2)}</pre></details>`,
          csv: (j) => JSON.stringify(notificationOf(j).data ?? {}),
        },
        retryColumn('Redeliver', 'notifications'),
      ],
      above: (q) => doneNotice({ retried: 'Notification job {ref} will be delivered again.' }, q),
      empty: 'No notification matches.',
    });
  },
};
