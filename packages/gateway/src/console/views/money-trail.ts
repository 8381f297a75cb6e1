// Where money went back or is contested, and where it has not reached WHMCS yet: refunds, disputes
// (with the date evidence is due in Stripe) and WHMCS payments paid in Stripe but not on their
// invoice, with a retry through the WHMCS service (as `paydesk whmcs retry` does).
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { listDisputes } from '../../disputes/service.js';
import { html } from '../../pages/html.js';
import { hide } from '../../pages/kit.js';
import { AppError } from '../../platform/errors.js';
import { listRefunds, refundStatuses } from '../../refunds/service.js';
import { WHMCS_PENDING_ID } from '../../whmcs/routes.js';
import { listWhmcsPending, retryWhmcsPending } from '../../whmcs/service.js';
import { type ConsoleView, csrfBody } from '../kit.js';
import {
  actionButton,
  badge,
  clip,
  customerCell,
  doneNotice,
  ident,
  iso,
  money,
  runAction,
  when,
} from './cells.js';
import { NO_CUSTOMER } from './payments.js';
import { findCustomerId, type ListPage } from './queries.js';
import { type Column, csvLink, optional, registerPage, registerTable, renderTable } from './table.js';

type RefundRow = Awaited<ReturnType<typeof listRefunds>>['data'][number];
type DisputeRow = Awaited<ReturnType<typeof listDisputes>>['data'][number];

const disputeStatuses = [
  'warning_needs_response',
  'warning_under_review',
  'warning_closed',
  'needs_response',
  'under_review',
  'won',
  'lost',
] as const;

async function customerIdOf(s: AppContext, text: string | undefined): Promise<string | undefined> {
  return text === undefined ? undefined : ((await findCustomerId(s.db, text)) ?? NO_CUSTOMER);
}

function asPage<Row>(p: { data: Row[]; next_cursor: string | null }): ListPage<Row> {
  return { rows: p.data, next: p.next_cursor };
}

const customerQuery = { customer: optional(z.string().max(200)) };
const customerField = { name: 'customer', label: 'Customer', placeholder: 'id, external id or email' };

const refundColumns: Column<RefundRow>[] = [
  { label: 'Refund', cell: (r) => ident(r.id), csv: (r) => r.id },
  {
    label: 'Payment',
    cell: (r) => ident(r.payment_id, `/console/payments/${r.payment_id}`),
    csv: (r) => r.payment_id,
  },
  { label: 'Amount', num: true, cell: (r) => money(r.amount, r.currency), csv: (r) => r.amount },
  { label: 'Status', cell: (r) => badge(r.status), csv: (r) => r.status },
  { label: 'Reason', cell: (r) => r.reason?.replace(/_/g, ' ') ?? '—', csv: (r) => r.reason },
  {
    label: 'Failure',
    cell: (r) => clip(r.failure_reason),
    csv: (r) => r.failure_reason,
  },
  { label: 'Made in', cell: (r) => (r.origin === 'api' ? 'paydesk' : 'Stripe'), csv: (r) => r.origin },
  { label: 'Customer', cell: (r) => customerCell(r), csv: (r) => r.customer_id },
  { label: 'Requested', cell: (r) => when(r.created_at), csv: (r) => iso(r.created_at) },
];

export const refundsView: ConsoleView = {
  nav: { path: '/console/refunds', label: 'Refunds' },
  register(app, kit) {
    registerTable<
      RefundRow,
      { status: (typeof refundStatuses)[number] | undefined; customer: string | undefined }
    >(app, kit, {
      path: '/console/refunds',
      title: 'Refunds',
      intro: 'Refunds made through paydesk and in Stripe, newest first. Refund a payment from its page.',
      filters: [
        { name: 'status', label: 'Status', options: refundStatuses.map((s) => [s, s] as const) },
        customerField,
      ],
      query: z.object({ status: optional(z.enum(refundStatuses)), ...customerQuery }),
      filter: async (s, q) => ({
        status: q.status as (typeof refundStatuses)[number] | undefined,
        customer: await customerIdOf(s, q.customer),
      }),
      page: async (s, f, cursor, limit) => asPage(await listRefunds(s, { ...f, cursor, limit })),
      columns: refundColumns,
      exportColumns: [
        ...refundColumns.slice(0, 3),
        { label: 'Currency', cell: () => '', csv: (r) => r.currency },
        ...refundColumns.slice(3),
      ],
      empty: 'No refund matches these filters.',
    });
  },
};

function dueCell(d: DisputeRow, now: Date): ReturnType<typeof html> | string {
  if (!d.evidence_due_by) return '—';
  const open = d.status === 'needs_response' || d.status === 'warning_needs_response';
  const days = Math.ceil((new Date(d.evidence_due_by).getTime() - now.getTime()) / 86_400_000);
  const note = !open
    ? ''
    : days < 0
      ? badge('failed', 'overdue')
      : days <= 3
        ? badge('needs_response', `${days} d left`)
        : '';
  return html`${when(d.evidence_due_by)} ${note}`;
}

export const disputesView: ConsoleView = {
  nav: { path: '/console/disputes', label: 'Disputes' },
  register(app, kit) {
    registerTable(app, kit, {
      path: '/console/disputes',
      title: 'Disputes',
      intro: 'Chargebacks, newest first. Answer in Stripe’s dashboard before the evidence is due.',
      filters: [
        {
          name: 'status',
          label: 'Status',
          options: disputeStatuses.map((s) => [s, s.replace(/_/g, ' ')] as const),
        },
        customerField,
      ],
      query: z.object({ status: optional(z.enum(disputeStatuses)), ...customerQuery }),
      filter: async (s, q) => ({ status: q.status, customer: await customerIdOf(s, q.customer) }),
      page: async (s, f, cursor, limit) => asPage(await listDisputes(s, { ...f, cursor, limit })),
      columns: [
        { label: 'Dispute', cell: (d: DisputeRow) => ident(d.id), csv: (d) => d.id },
        {
          label: 'Payment',
          cell: (d) => ident(d.payment_id, d.payment_id ? `/console/payments/${d.payment_id}` : undefined),
          csv: (d) => d.payment_id,
        },
        { label: 'Amount', num: true, cell: (d) => money(d.amount, d.currency), csv: (d) => d.amount },
        { label: 'Status', cell: (d) => badge(d.status), csv: (d) => d.status },
        { label: 'Reason', cell: (d) => d.reason.replace(/_/g, ' '), csv: (d) => d.reason },
        { label: 'Evidence due', cell: (d) => dueCell(d, kit.s.now()), csv: (d) => iso(d.evidence_due_by) },
        {
          label: 'Effects',
          cell: (d) =>
            [
              d.funds_withdrawn ? 'funds withdrawn' : '',
              d.credits_held > 0 ? `${d.credits_held} credits held` : '',
              d.access_suspended ? 'access suspended' : '',
            ]
              .filter(Boolean)
              .join(', ') || '—',
          csv: (d) =>
            `funds_withdrawn=${d.funds_withdrawn} credits_held=${d.credits_held} access_suspended=${d.access_suspended}`,
        },
        { label: 'Customer', cell: (d) => customerCell(d), csv: (d) => d.customer_id },
        { label: 'Opened', cell: (d) => when(d.stripe_created_at), csv: (d) => iso(d.stripe_created_at) },
      ],
      empty: 'No dispute matches these filters.',
    });
  },
};

/** What an item writes on its invoice: a payment, a refund or chargeback (money out), or its reversal (money back in). */
function whatOf(w: { kind: string; id: string }): string {
  if (w.id.endsWith('-reversed')) return 'refund reversed';
  if (w.id.endsWith('-reinstated')) return 'dispute won';
  return w.kind;
}

export const whmcsView: ConsoleView = {
  nav: { path: '/console/whmcs', label: 'WHMCS' },
  register(app, kit) {
    registerPage(app, kit, {
      path: '/console/whmcs',
      title: 'WHMCS payments',
      csv: {
        header: [
          'What',
          'Id',
          'Invoice',
          'Amount',
          'Currency',
          'Status',
          'Attempts',
          'Last error',
          'Charge',
          'Created',
          'Updated',
        ],
        rows: async () =>
          (kit.s.config.whmcs ? await listWhmcsPending(kit.s) : []).map((w) => [
            whatOf(w),
            w.id,
            w.invoice,
            w.amount,
            w.currency,
            w.status,
            w.attempts,
            w.last_error,
            w.charge,
            w.created,
            w.updated,
          ]),
      },
      body: async (session, q) => {
        const configured = Boolean(kit.s.config.whmcs);
        const rows = configured ? await listWhmcsPending(kit.s) : [];
        return html`<h1>WHMCS: not on the invoice yet</h1>
<p class="muted">Payments, refunds and disputes in Stripe that are not on their WHMCS invoice yet, oldest first: still being recorded (recording), refused by WHMCS (mismatch), or given up (dead). Retry once the cause is fixed.</p>
${doneNotice({ retried: '{ref} will be written to WHMCS again.' }, q)}
${configured && rows.length > 0 ? csvLink('/console/whmcs') : ''}
${
  !configured
    ? html`<p class="notice warn">The WHMCS bridge is off (no PAYDESK_WHMCS_URL): there is nothing to record.</p>`
    : renderTable(
        [
          { label: 'Invoice', num: true, cell: (w) => `#${w.invoice}` },
          { label: 'What', cell: (w) => whatOf(w) },
          { label: 'Amount', num: true, cell: (w) => money(BigInt(w.amount), w.currency.toLowerCase()) },
          {
            label: 'Status',
            cell: (w) =>
              html`${badge(w.status === 'waiting' ? 'recording' : w.status)} <span class="muted small nowrap">${w.attempts} ${w.attempts === 1 ? 'attempt' : 'attempts'}</span>`,
          },
          { label: 'Last error', cell: (w) => clip(w.last_error, true) },
          {
            label: 'Stripe',
            cell: (w) =>
              w.charge && w.charge !== w.id ? html`${ident(w.id)}<br>${ident(w.charge)}` : ident(w.id),
          },
          { label: 'Updated', cell: (w) => when(w.updated) },
          {
            label: 'Action',
            cell: (w, s) =>
              w.status === 'dead' || w.status === 'mismatch'
                ? actionButton(s, `/console/whmcs/${w.id}/retry`, 'Retry', {
                    name: `Retry ${w.kind} ${w.id} of invoice ${w.invoice}`,
                  })
                : '',
          },
        ],
        rows,
        'Not on the WHMCS invoice yet',
        'Every paid invoice is recorded in WHMCS.',
        session,
      )
}`;
      },
    });

    app.post(
      '/console/whmcs/:id/retry',
      {
        schema: {
          ...hide,
          params: z.object({
            id: z
              .string()
              .regex(WHMCS_PENDING_ID, 'expected an id from this list (cs_…, re_…, du_…, …-reversed)'),
          }),
          body: z.object({ _csrf: csrfBody }),
        },
      },
      async (request, reply) =>
        runAction(reply, '/console/whmcs', async () => {
          const session = await kit.actor(request, request.body._csrf);
          if (!(await retryWhmcsPending(kit.s, request.params.id)))
            throw new AppError('conflict', 'Nothing dead or mismatched has this id: nothing to retry.');
          await kit.audit(kit.s.db, session, { action: 'whmcs.retry', target: request.params.id });
          return { done: 'retried', ref: request.params.id };
        }),
    );
  },
};
