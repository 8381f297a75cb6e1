// Payments: every payment paydesk recorded, filtered by status, customer, date and currency, with its
// refunds and dispute on a page of its own and a refund form that calls the refunds service, as
// POST /v1/refunds does.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { listDisputes } from '../../disputes/service.js';
import { type Html, html } from '../../pages/html.js';
import { hide } from '../../pages/kit.js';
import { csrfField } from '../../pages/layout.js';
import { AppError } from '../../platform/errors.js';
import { decimalToMinor, minorToDecimal } from '../../platform/money.js';
import { listRefunds, refundReasons, requestRefund } from '../../refunds/service.js';
import { type ConsoleView, csrfBody } from '../kit.js';
import { badge, customerCell, doneNotice, doneQuery, ident, iso, money, runAction, when } from './cells.js';
import {
  findCustomerId,
  type PaymentFilter,
  type PaymentListRow,
  paymentRow,
  paymentStatuses,
  paymentsPage,
} from './queries.js';
import { type Column, dateField, dayStart, optional, registerTable, renderTable } from './table.js';

/** A customer filter that names nobody: no customer has the empty id, so the list is empty. */
export const NO_CUSTOMER = '';

const statusLabels: Record<(typeof paymentStatuses)[number], string> = {
  not_refunded: 'Not refunded',
  refunded: 'Refunded (in part or in full)',
  disputed: 'Disputed',
};

export function paymentState(p: Pick<PaymentListRow, 'amount' | 'amount_refunded'>): string {
  return p.amount_refunded === 0
    ? 'succeeded'
    : p.amount_refunded >= p.amount
      ? 'refunded'
      : 'partially_refunded';
}

function statusCell(p: PaymentListRow): Html {
  return html`${badge(paymentState(p))}${p.dispute_status ? html` ${badge(p.dispute_status === 'won' ? 'won' : 'needs_response', `dispute: ${p.dispute_status.replace(/_/g, ' ')}`)}` : ''}`;
}

const columns: Column<PaymentListRow>[] = [
  { label: 'Payment', cell: (p) => ident(p.id, `/console/payments/${p.id}`), csv: (p) => p.id },
  { label: 'Amount', num: true, cell: (p) => money(p.amount, p.currency), csv: (p) => p.amount },
  { label: 'Status', cell: statusCell, csv: (p) => paymentState(p) },
  {
    label: 'Refunded',
    num: true,
    cell: (p) => (p.amount_refunded > 0 ? money(p.amount_refunded, p.currency) : '—'),
    csv: (p) => p.amount_refunded,
  },
  { label: 'Customer', cell: customerCell, csv: (p) => p.external_id },
  { label: 'Description', cell: (p) => p.description ?? '—', csv: (p) => p.description },
  { label: 'Paid', cell: (p) => when(p.paid_at), csv: (p) => iso(p.paid_at) },
  {
    label: 'Action',
    cell: (p) =>
      p.amount_refunded < p.amount
        ? html`<a href="/console/payments/${p.id}#refund" aria-label="Refund ${p.id}">Refund</a>`
        : '',
  },
];

/** The export also carries the currency (its amounts are in minor units), the dispute and Stripe's id. */
const exportColumns: Column<PaymentListRow>[] = [
  ...columns.slice(0, 2),
  { label: 'Currency', cell: () => '', csv: (p) => p.currency },
  ...columns.slice(2),
  { label: 'Dispute', cell: () => '', csv: (p) => p.dispute_status },
  { label: 'Stripe payment intent', cell: () => '', csv: (p) => p.stripe_payment_intent_id },
];

const notices = { refunded: 'Refund {ref} requested: its status is below.' };

export const paymentsView: ConsoleView = {
  nav: { path: '/console/payments', label: 'Payments' },
  register(app, kit) {
    registerTable<PaymentListRow, PaymentFilter>(app, kit, {
      path: '/console/payments',
      title: 'Payments',
      intro: 'Every payment paydesk recorded, newest first. Open one to refund it.',
      filters: [
        {
          name: 'status',
          label: 'Status',
          options: paymentStatuses.map((s) => [s, statusLabels[s]] as const),
        },
        { name: 'customer', label: 'Customer', placeholder: 'id, external id or email' },
        { name: 'currency', label: 'Currency', placeholder: 'usd' },
        { name: 'from', label: 'Paid from', type: 'date' },
        { name: 'to', label: 'Paid to', type: 'date' },
      ],
      query: z.object({
        status: optional(z.enum(paymentStatuses)),
        customer: optional(z.string().max(200)),
        currency: optional(
          z
            .string()
            .transform((c) => c.toLowerCase())
            .pipe(z.string().regex(/^[a-z]{3}$/, 'expected a three-letter currency code')),
        ),
        from: dateField,
        to: dateField,
      }),
      async filter(s, q) {
        const customerId =
          q.customer === undefined ? undefined : ((await findCustomerId(s.db, q.customer)) ?? NO_CUSTOMER);
        return {
          status: q.status as (typeof paymentStatuses)[number] | undefined,
          customerId,
          currency: q.currency,
          from: dayStart(q.from),
          until: dayStart(q.to, 1),
        };
      },
      page: (s, f, cursor, limit) => paymentsPage(s.db, f, cursor, limit),
      columns,
      exportColumns,
      empty: 'No payment matches these filters.',
    });

    app.get(
      '/console/payments/:id',
      {
        schema: {
          ...hide,
          params: z.object({ id: z.string().min(1).max(100) }),
          querystring: z.object(doneQuery),
        },
      },
      async (request, reply) => {
        const session = await kit.viewer(request, reply);
        if (!session) return reply;
        const p = await paymentRow(kit.s.db, request.params.id);
        if (!p) throw new AppError('not_found', `No such payment: ${request.params.id}.`);
        const [refunds, disputes] = await Promise.all([
          listRefunds(kit.s, { payment: p.id, limit: 100 }),
          listDisputes(kit.s, { payment: p.id, limit: 20 }),
        ]);
        const holding = refunds.data
          .filter((r) => ['queued', 'processing', 'pending', 'succeeded'].includes(r.status))
          .reduce((sum, r) => sum + r.amount, 0);
        const refundable = Math.max(0, p.amount - holding);
        const form =
          session.role === 'admin' && refundable > 0
            ? html`<form method="post" action="/console/payments/${p.id}/refund" class="card refund-form" id="refund">
<h2>Refund</h2>
${csrfField(session.csrf)}<input type="hidden" name="request_id" value="console-${randomUUID()}">
<div class="row">
<div class="field"><label for="refund-amount">Amount (${p.currency.toUpperCase()})</label>
<input id="refund-amount" name="amount" inputmode="decimal" value="${minorToDecimal(BigInt(refundable), p.currency)}" aria-describedby="refund-hint" required></div>
<div class="field"><label for="refund-reason">Reason</label><select id="refund-reason" name="reason"><option value="">None given</option>${refundReasons.map(
                (r) => html`<option value="${r}">${r.replace(/_/g, ' ')}</option>`,
              )}</select></div>
<div class="field"><button type="submit" class="danger">Refund</button></div>
</div>
<p id="refund-hint" class="muted small">Up to ${money(refundable, p.currency)} is left to refund. The money goes back to the card through Stripe.</p>
</form>`
            : refundable === 0
              ? html`<p class="card muted">Nothing is left to refund.</p>`
              : '';
        return kit.page(reply, 200, {
          title: `Payment ${p.id}`,
          current: '/console/payments',
          session,
          body: html`<p class="muted small"><a href="/console/payments">Payments</a> /</p>
<h1>${money(p.amount, p.currency)} <code class="details">${p.id}</code></h1>
${doneNotice(notices, request.query)}
<div class="card"><dl class="facts">
<dt>Status</dt><dd>${statusCell(p)}</dd>
<dt>Customer</dt><dd>${customerCell(p)}${p.email ? html` <span class="muted">${p.email}</span>` : ''}</dd>
<dt>Paid</dt><dd>${when(p.paid_at)}</dd>
<dt>Refunded</dt><dd>${money(p.amount_refunded, p.currency)}</dd>
<dt>Description</dt><dd>${p.description ?? '—'}</dd>
<dt>Source</dt><dd>${p.source.replace(/_/g, ' ')}</dd>
<dt>Stripe</dt><dd><code>${p.stripe_payment_intent_id}</code></dd>
</dl></div>
${form}
<h2>Refunds</h2>
${renderTable(
  [
    { label: 'Refund', cell: (r) => ident(r.id) },
    { label: 'Amount', num: true, cell: (r) => money(r.amount, r.currency) },
    { label: 'Status', cell: (r) => badge(r.status) },
    { label: 'Reason', cell: (r) => r.reason?.replace(/_/g, ' ') ?? '—' },
    { label: 'Failure', cell: (r) => r.failure_reason ?? '—' },
    { label: 'Requested', cell: (r) => when(r.created_at) },
  ],
  refunds.data,
  'Refunds of this payment',
  'No refund yet.',
  session,
)}
<h2>Dispute</h2>
${renderTable(
  [
    { label: 'Dispute', cell: (d) => ident(d.id) },
    { label: 'Status', cell: (d) => badge(d.status) },
    { label: 'Reason', cell: (d) => d.reason.replace(/_/g, ' ') },
    { label: 'Amount', num: true, cell: (d) => money(d.amount, d.currency) },
    { label: 'Evidence due', cell: (d) => when(d.evidence_due_by) },
  ],
  disputes.data,
  'Disputes of this payment',
  'No dispute.',
  session,
)}`,
        });
      },
    );

    app.post(
      '/console/payments/:id/refund',
      {
        schema: {
          ...hide,
          params: z.object({ id: z.string().min(1).max(100) }),
          body: z.object({
            _csrf: csrfBody,
            request_id: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/),
            amount: z
              .string()
              .trim()
              .regex(/^\d{1,15}(\.\d{1,6})?$/, 'expected an amount like 12.50'),
            reason: optional(z.enum(refundReasons)),
          }),
        },
      },
      async (request, reply) => {
        const back = `/console/payments/${encodeURIComponent(request.params.id)}`;
        return runAction(reply, back, async () => {
          const session = await kit.actor(request, request.body._csrf);
          const p = await paymentRow(kit.s.db, request.params.id);
          if (!p) throw new AppError('not_found', `No such payment: ${request.params.id}.`);
          const minor = decimalToMinor(request.body.amount, p.currency);
          if (minor === null || minor <= 0n)
            throw new AppError(
              'validation_failed',
              `The amount ${request.body.amount} is not a positive amount of ${p.currency.toUpperCase()}.`,
            );
          const { refund } = await requestRefund(kit.s, {
            target: { payment: request.params.id },
            amount: Number(minor),
            reason: request.body.reason as (typeof refundReasons)[number] | undefined,
            requestId: request.body.request_id,
          });
          // The refund called Stripe in transactions of its own: its audit entry follows it.
          await kit.audit(kit.s.db, session, {
            action: 'payment.refund',
            target: request.params.id,
            details: {
              refund: refund.id,
              amount: refund.amount,
              currency: refund.currency,
              status: refund.status,
            },
          });
          return { done: 'refunded', ref: refund.id };
        });
      },
    );
  },
};
