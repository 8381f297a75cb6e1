// Customers with what they may use (plan, access keys) and their credits; a customer's page shows the
// ledger and adjusts the balance by hand with a note, through the credits service (as
// POST /v1/customers/:id/credits/adjust does), its audit entry in the same transaction. The credits
// view lists every customer's ledger entries.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { adjustCredits, type CreditReason, creditReasons, ledgerPage } from '../../credits/service.js';
import { activeKeys, graceUntil } from '../../entitlements/service.js';
import { html } from '../../pages/html.js';
import { hide } from '../../pages/kit.js';
import { csrfField } from '../../pages/layout.js';
import { AppError } from '../../platform/errors.js';
import { type ConsoleView, csrfBody } from '../kit.js';
import { badge, customerCell, doneNotice, doneQuery, ident, iso, runAction, when } from './cells.js';
import { NO_CUSTOMER } from './payments.js';
import {
  type CustomerListRow,
  customerRow,
  customersPage,
  findCustomerId,
  type LedgerListRow,
  ledgerPageAll,
} from './queries.js';
import { type Column, optional, registerTable, renderTable } from './table.js';

const customerFilter = { customer: optional(z.string().max(200)) };
async function customerIdOf(s: { db: Parameters<typeof findCustomerId>[0] }, text: string | undefined) {
  return text === undefined ? undefined : ((await findCustomerId(s.db, text)) ?? NO_CUSTOMER);
}

/** A customer with what they may use now, as GET /v1/customers/:id/entitlements answers `access`. */
type CustomerRow = CustomerListRow & { access: string[]; graceUntil: Date | null };

function withAccess(s: AppContext, c: CustomerListRow): CustomerRow {
  if (!c.subscription_status) return { ...c, access: [], graceUntil: null };
  const row = { status: c.subscription_status, keys: c.keys ?? [], past_due_since: c.past_due_since };
  return {
    ...c,
    access: activeKeys(row, s.config.gracePeriodDays, s.now()),
    graceUntil: c.subscription_status === 'past_due' ? graceUntil(row, s.config.gracePeriodDays) : null,
  };
}

const columns: Column<CustomerRow>[] = [
  {
    label: 'Customer',
    cell: (c) => html`<a href="/console/customers/${c.id}">${c.external_id}</a>`,
    csv: (c) => c.external_id,
  },
  { label: 'Email', cell: (c) => c.email ?? '—', csv: (c) => c.email },
  {
    label: 'Plan',
    cell: (c) => (c.plan ? html`${c.plan} ${badge(c.subscription_status ?? 'none')}` : '—'),
    csv: (c) => c.plan,
  },
  { label: 'Subscription', cell: () => '', csv: (c) => c.subscription_status },
  {
    label: 'Access',
    cell: (c) => (c.access.length > 0 ? c.access.join(', ') : '—'),
    csv: (c) => c.access.join(' '),
  },
  { label: 'Credits', num: true, cell: (c) => c.balance ?? 0, csv: (c) => c.balance ?? 0 },
  { label: 'Since', cell: (c) => when(c.created_at), csv: (c) => iso(c.created_at) },
  { label: 'paydesk id', cell: () => '', csv: (c) => c.id },
];
const shown = columns.filter((c) => c.label !== 'Subscription' && c.label !== 'paydesk id');

type LedgerColumnRow = {
  id: number;
  delta: number;
  balance: number;
  reason: string;
  note: string | null;
  created_at: Date;
};
const ledgerColumns: Column<LedgerColumnRow>[] = [
  { label: 'Entry', cell: (l) => ident(String(l.id)), csv: (l) => l.id },
  {
    label: 'Change',
    num: true,
    cell: (l) => (l.delta > 0 ? `+${l.delta}` : `−${Math.abs(l.delta)}`),
    csv: (l) => l.delta,
  },
  { label: 'Balance', num: true, cell: (l) => l.balance, csv: (l) => l.balance },
  { label: 'Reason', cell: (l) => l.reason.replace(/_/g, ' '), csv: (l) => l.reason },
  { label: 'Note', cell: (l) => l.note ?? '—', csv: (l) => l.note },
  { label: 'When', cell: (l) => when(l.created_at), csv: (l) => iso(l.created_at) },
];

const notices = { adjusted: 'Credits adjusted: ledger entry {ref}.' };

export const customersView: ConsoleView = {
  nav: { path: '/console/customers', label: 'Customers' },
  register(app, kit) {
    registerTable<CustomerRow, { customerId: string | undefined }>(app, kit, {
      path: '/console/customers',
      title: 'Customers',
      intro: 'Who pays, what their plan gives them, and their credits. Open one for its ledger.',
      filters: [{ name: 'customer', label: 'Customer', placeholder: 'id, external id or email' }],
      query: z.object(customerFilter),
      filter: async (s, q) => ({ customerId: await customerIdOf(s, q.customer) }),
      page: async (s, f, cursor, limit) => {
        const p = await customersPage(s.db, f, cursor, limit);
        return { ...p, rows: p.rows.map((c) => withAccess(s, c)) };
      },
      columns: shown,
      exportColumns: columns,
      empty: 'No customer matches.',
    });

    app.get(
      '/console/customers/:id',
      {
        schema: {
          ...hide,
          params: z.object({ id: z.string().min(1).max(100) }),
          querystring: z.object({
            before: optional(z.string().regex(/^\d{1,15}$/)),
            ...doneQuery,
          }),
        },
      },
      async (request, reply) => {
        const session = await kit.viewer(request, reply);
        if (!session) return reply;
        const found = await customerRow(kit.s.db, request.params.id);
        if (!found) throw new AppError('not_found', `No such customer: ${request.params.id}.`);
        const c = withAccess(kit.s, found);
        const before = request.query.before === undefined ? undefined : Number(request.query.before);
        const ledger = await ledgerPage(kit.s.db, c.id, { limit: 25, ...(before ? { before } : {}) });
        const last = ledger.entries[ledger.entries.length - 1];
        const adjust =
          session.role === 'admin'
            ? html`<form method="post" action="/console/customers/${c.id}/credits" class="card">
<h2>Adjust credits</h2>
${csrfField(session.csrf)}<input type="hidden" name="idempotency_key" value="console-${randomUUID()}">
<div class="row">
<div class="field"><label for="adjust-amount">Change</label><input id="adjust-amount" name="amount" inputmode="numeric" pattern="-?[0-9]+" placeholder="e.g. 50 or -20" aria-describedby="adjust-hint" required></div>
<div class="field grow"><label for="adjust-note">Note</label><input id="adjust-note" name="note" maxlength="500" placeholder="Why (kept in the ledger and the audit log)" required></div>
<div class="field"><button type="submit">Adjust</button></div>
</div>
<p id="adjust-hint" class="muted small">A positive number adds credits, a negative one removes them; the balance never goes below zero.</p>
</form>`
            : '';
        return kit.page(reply, 200, {
          title: `Customer ${c.external_id}`,
          current: '/console/customers',
          session,
          body: html`<p class="muted small"><a href="/console/customers">Customers</a> /</p>
<h1>${c.external_id}</h1>
${doneNotice(notices, request.query)}
<div class="card"><dl class="facts">
<dt>Email</dt><dd>${c.email ?? '—'}</dd>
<dt>Name</dt><dd>${c.name ?? '—'}</dd>
<dt>Plan</dt><dd>${c.plan ?? 'none'} ${c.subscription_status ? badge(c.subscription_status) : ''}</dd>
<dt>Access</dt><dd>${c.access.length > 0 ? c.access.join(', ') : 'none'}${
            c.graceUntil
              ? html` <span class="muted small">(past due: ${c.graceUntil > kit.s.now() ? 'grace until' : 'grace ended'} ${when(c.graceUntil)})</span>`
              : ''
          }</dd>
<dt>Credits</dt><dd><strong>${c.balance ?? 0}</strong></dd>
<dt>paydesk id</dt><dd><code>${c.id}</code></dd>
<dt>Stripe</dt><dd><code>${c.stripe_customer_id ?? '—'}</code></dd>
<dt>Since</dt><dd>${when(c.created_at)}${c.deleted_at ? html` ${badge('canceled', 'deleted in Stripe')}` : ''}</dd>
</dl>
<p class="small"><a href="/console/payments?customer=${c.id}">Payments</a> · <a href="/console/subscriptions?customer=${c.id}">Subscriptions</a> · <a href="/console/refunds?customer=${c.id}">Refunds</a></p></div>
${adjust}
<h2>Ledger</h2>
${renderTable(ledgerColumns, ledger.entries, 'Credits ledger', 'No credits yet.', session)}
${ledger.hasMore && last ? html`<nav class="pager" aria-label="Ledger pages"><a href="/console/customers/${c.id}?before=${last.id}" rel="next">Older entries</a></nav>` : ''}`,
        });
      },
    );

    app.post(
      '/console/customers/:id/credits',
      {
        schema: {
          ...hide,
          params: z.object({ id: z.string().min(1).max(100) }),
          body: z.object({
            _csrf: csrfBody,
            idempotency_key: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/),
            amount: z.coerce
              .number()
              .int()
              .min(-1_000_000_000)
              .max(1_000_000_000)
              .refine((n) => n !== 0, 'must not be 0'),
            note: z.string().trim().min(1, 'say why').max(500),
          }),
        },
      },
      async (request, reply) => {
        const back = `/console/customers/${encodeURIComponent(request.params.id)}`;
        return runAction(reply, back, async () => {
          const { amount, note, idempotency_key } = request.body;
          const change = await kit.act(request, request.body._csrf, async (tx) => {
            const c = await customerRow(tx, request.params.id);
            if (!c) throw new AppError('not_found', `No such customer: ${request.params.id}.`);
            const result = await adjustCredits(kit.s, tx, {
              customer: c,
              amount,
              idempotencyKey: idempotency_key,
              note,
            });
            return {
              result,
              audit: {
                action: 'credits.adjust',
                target: c.id,
                details: { amount, note, entry: result.entry.id, balance: result.entry.balance },
              },
            };
          });
          return { done: 'adjusted', ref: String(change.entry.id) };
        });
      },
    );
  },
};

export const creditsView: ConsoleView = {
  nav: { path: '/console/credits', label: 'Credits' },
  register(app, kit) {
    registerTable<LedgerListRow, { reason: CreditReason | undefined; customerId: string | undefined }>(
      app,
      kit,
      {
        path: '/console/credits',
        title: 'Credits ledger',
        intro: 'Every change to every balance, newest first. Adjust a balance from the customer’s page.',
        filters: [
          {
            name: 'reason',
            label: 'Reason',
            options: creditReasons.map((r) => [r, r.replace(/_/g, ' ')] as const),
          },
          { name: 'customer', label: 'Customer', placeholder: 'id, external id or email' },
        ],
        query: z.object({
          reason: optional(z.enum(creditReasons)),
          ...customerFilter,
        }),
        filter: async (s, q) => ({
          reason: q.reason as CreditReason | undefined,
          customerId: await customerIdOf(s, q.customer),
        }),
        page: (s, f, cursor, limit) => ledgerPageAll(s.db, f, cursor, limit),
        columns: [
          ledgerColumns[0]!,
          { label: 'Customer', cell: customerCell, csv: (l) => l.external_id },
          ...ledgerColumns.slice(1),
        ],
        empty: 'No ledger entry matches.',
      },
    );
  },
};
