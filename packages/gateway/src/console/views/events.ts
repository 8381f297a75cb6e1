// Webhook events as paydesk stored them: status, attempts, the last error, the payload, and a replay
// that applies one again through the webhook recovery service (as `paydesk webhooks replay` and
// POST /admin/webhooks/events/:id/replay do).
import { z } from 'zod';
import { html } from '../../pages/html.js';
import { hide } from '../../pages/kit.js';
import { AppError } from '../../platform/errors.js';
import { replayEvent } from '../../webhooks/reconcile.js';
import { eventById } from '../../webhooks/service.js';
import { type ConsoleView, csrfBody } from '../kit.js';
import { actionButton, badge, clip, doneNotice, doneQuery, ident, iso, runAction, when } from './cells.js';
import { type EventListRow, eventStatuses, eventsPage } from './queries.js';
import { type Column, optional, registerTable } from './table.js';

/** How long a replay from the console waits for the event's outcome before showing it as pending. */
export const REPLAY_WAIT_MS = 5_000;

const eventId = z.string().regex(/^evt_[A-Za-z0-9_]{1,200}$/, 'expected an event id (evt_…)');

function errorOf(e: Pick<EventListRow, 'status' | 'status_reason' | 'last_error'>): string | null {
  return e.last_error ?? (e.status === 'failed' ? e.status_reason : null);
}

const eventColumns: Column<EventListRow>[] = [
  { label: 'Event', cell: (e) => ident(e.id, `/console/events/${e.id}`), csv: (e) => e.id },
  { label: 'Type', cell: (e) => e.type, csv: (e) => e.type },
  { label: 'Status', cell: (e) => badge(e.status), csv: (e) => e.status },
  { label: 'Attempts', num: true, cell: (e) => e.attempts, csv: (e) => e.attempts },
  {
    label: 'Error',
    cell: (e) => clip(errorOf(e) ?? e.status_reason),
    csv: (e) => errorOf(e) ?? e.status_reason,
  },
  { label: 'Received', cell: (e) => when(e.received_at), csv: (e) => iso(e.received_at) },
];

const notices = { replayed: 'Event {ref} replayed: its outcome is below.' };

export const eventsView: ConsoleView = {
  nav: { path: '/console/events', label: 'Webhooks' },
  register(app, kit) {
    registerTable<EventListRow, Parameters<typeof eventsPage>[1]>(app, kit, {
      path: '/console/events',
      title: 'Webhook events',
      intro: 'Every event Stripe sent (or reconcile fetched), newest first. Failed ones can be replayed.',
      filters: [
        { name: 'status', label: 'Status', options: eventStatuses.map((s) => [s, s] as const) },
        { name: 'type', label: 'Type', placeholder: 'invoice.paid' },
        { name: 'object', label: 'Object', placeholder: 'sub_…, pi_…, ch_…' },
      ],
      query: z.object({
        status: optional(z.enum(eventStatuses)),
        type: optional(z.string().regex(/^[a-z_.]{1,100}$/, 'expected an event type like invoice.paid')),
        object: optional(z.string().max(200)),
      }),
      filter: async (_s, q) => ({ status: q.status, type: q.type, objectId: q.object }),
      page: (s, f, cursor, limit) => eventsPage(s.db, f, cursor, limit),
      columns: eventColumns,
      // The object's id is on the event's page; the export has it in a column of its own.
      exportColumns: [...eventColumns, { label: 'Object', cell: () => '', csv: (e) => e.object_id }],
      empty: 'No event matches these filters.',
    });

    app.get(
      '/console/events/:id',
      {
        schema: {
          ...hide,
          params: z.object({ id: eventId }),
          querystring: z.object(doneQuery),
        },
      },
      async (request, reply) => {
        const session = await kit.viewer(request, reply);
        if (!session) return reply;
        const e = await eventById(kit.s.db, request.params.id);
        if (!e) throw new AppError('not_found', `No such event: ${request.params.id}.`);
        const error = errorOf(e);
        return kit.page(reply, 200, {
          title: `Event ${e.id}`,
          current: '/console/events',
          session,
          body: html`<p class="muted small"><a href="/console/events">Webhook events</a> /</p>
<h1>${e.type} <code class="details">${e.id}</code></h1>
${doneNotice(notices, request.query)}
<div class="card"><dl class="facts">
<dt>Status</dt><dd>${badge(e.status)}${e.status_reason && e.status !== 'failed' ? html` <span class="muted">${e.status_reason}</span>` : ''}</dd>
<dt>Attempts</dt><dd>${e.attempts} of ${e.max_attempts}</dd>
${error ? html`<dt>Error</dt><dd class="error-text">${error}</dd>` : ''}
<dt>Object</dt><dd><code>${e.object_id ?? '—'}</code></dd>
<dt>Source</dt><dd>${e.source}</dd>
<dt>Created in Stripe</dt><dd>${when(e.created)}</dd>
<dt>Received</dt><dd>${when(e.received_at)}</dd>
<dt>Applied</dt><dd>${when(e.processed_at)}</dd>
</dl>
<div class="actions">${actionButton(session, `/console/events/${e.id}/replay`, 'Replay event', { name: `Replay event ${e.id}` })}</div></div>
<h2>Payload</h2>
<pre class="card payload" tabindex="0" aria-label="Event payload">${JSON.stringify(e.payload, null, 2)}</pre>`,
        });
      },
    );

    app.post(
      '/console/events/:id/replay',
      { schema: { ...hide, params: z.object({ id: eventId }), body: z.object({ _csrf: csrfBody }) } },
      async (request, reply) => {
        const back = `/console/events/${request.params.id}`;
        return runAction(reply, back, async () => {
          const session = await kit.actor(request, request.body._csrf);
          if (!(await eventById(kit.s.db, request.params.id)))
            throw new AppError('not_found', `No such event: ${request.params.id}.`);
          const result = await replayEvent(kit.s, request.params.id, REPLAY_WAIT_MS);
          await kit.audit(kit.s.db, session, {
            action: 'webhook.replay',
            target: request.params.id,
            details: { type: result.type, status: result.status, reason: result.reason },
          });
          return { done: 'replayed', ref: request.params.id };
        });
      },
    );
  },
};
