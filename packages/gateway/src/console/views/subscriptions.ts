// Subscriptions as paydesk last saw them in Stripe, by status, plan, customer and currency.
import { z } from 'zod';
import { html } from '../../pages/html.js';
import type { ConsoleView } from '../kit.js';
import { badge, customerCell, ident, iso, when } from './cells.js';
import { NO_CUSTOMER } from './payments.js';
import { findCustomerId, subscriptionsPage } from './queries.js';
import { optional, registerTable } from './table.js';

const statuses = [
  'active',
  'trialing',
  'past_due',
  'unpaid',
  'paused',
  'incomplete',
  'incomplete_expired',
  'canceled',
  'pending',
] as const;

export const subscriptionsView: ConsoleView = {
  nav: { path: '/console/subscriptions', label: 'Subscriptions' },
  register(app, kit) {
    registerTable(app, kit, {
      path: '/console/subscriptions',
      title: 'Subscriptions',
      intro: 'Every subscription, newest first, with the state paydesk last saw in Stripe.',
      filters: [
        { name: 'status', label: 'Status', options: statuses.map((s) => [s, s.replace(/_/g, ' ')] as const) },
        {
          name: 'plan',
          label: 'Plan',
          options: kit.s.catalog.plans.map((p) => [p.id, p.name] as const),
        },
        { name: 'customer', label: 'Customer', placeholder: 'id, external id or email' },
        { name: 'currency', label: 'Currency', placeholder: 'usd' },
      ],
      query: z.object({
        status: optional(z.enum(statuses)),
        plan: optional(z.string().max(100)),
        customer: optional(z.string().max(200)),
        currency: optional(z.string().regex(/^[A-Za-z]{3}$/, 'expected a three-letter currency code')),
      }),
      filter: async (s, q) => ({
        status: q.status,
        plan: q.plan,
        currency: q.currency?.toLowerCase(),
        customerId:
          q.customer === undefined ? undefined : ((await findCustomerId(s.db, q.customer)) ?? NO_CUSTOMER),
      }),
      page: (s, f, cursor, limit) => subscriptionsPage(s.db, f, cursor, limit),
      columns: [
        { label: 'Subscription', cell: (r) => ident(r.id), csv: (r) => r.id },
        { label: 'Customer', cell: customerCell, csv: (r) => r.external_id },
        {
          label: 'Plan',
          cell: (r) =>
            r.plan
              ? html`${r.plan}${r.interval ? html` <span class="muted">/ ${r.interval}</span>` : ''}`
              : '—',
          csv: (r) => (r.plan && r.interval ? `${r.plan}/${r.interval}` : r.plan),
        },
        {
          label: 'Status',
          cell: (r) =>
            html`${badge(r.status)}${r.cancel_at_period_end ? html` <span class="badge warn">ends at period end</span>` : ''}`,
          csv: (r) => r.status,
        },
        { label: 'Currency', cell: (r) => r.currency.toUpperCase(), csv: (r) => r.currency },
        {
          label: 'Period ends',
          cell: (r) => when(r.current_period_end),
          csv: (r) => iso(r.current_period_end),
        },
        { label: 'Started', cell: (r) => when(r.created_at), csv: (r) => iso(r.created_at) },
        {
          label: 'Stripe',
          cell: (r) => ident(r.stripe_subscription_id),
          csv: (r) => r.stripe_subscription_id,
        },
      ],
      empty: 'No subscription matches these filters.',
    });
  },
};
