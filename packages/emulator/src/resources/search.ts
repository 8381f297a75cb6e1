import type { Ctx } from '../core/context.js';
import { defineResource } from '../core/resource.js';
import { field, type SearchFields, search } from '../core/search.js';
import type { Kind } from '../core/store.js';

/**
 * `GET /v1/<resource>/search` for the resources Stripe searches, each with the fields Stripe's
 * documentation lists for it (`metadata['key']` works on all). The query language: core/search.ts.
 */
const created = field<unknown>('number', 'created');

const searchable: Readonly<Record<string, { kind: Kind; fields: SearchFields<unknown> }>> = {
  customers: {
    kind: 'customer',
    fields: {
      created,
      email: field('string', 'email'),
      name: field('string', 'name'),
      phone: field('string', 'phone'),
    },
  },
  subscriptions: {
    kind: 'subscription',
    fields: { created, status: field('string', 'status') },
  },
  products: {
    kind: 'product',
    fields: {
      created,
      active: field('boolean', 'active'),
      description: field('string', 'description'),
      name: field('string', 'name'),
      shippable: field('boolean', 'shippable'),
      url: field('string', 'url'),
    },
  },
  prices: {
    kind: 'price',
    fields: {
      created,
      active: field('boolean', 'active'),
      currency: field('string', 'currency'),
      lookup_key: field('string', 'lookup_key'),
      product: field('string', 'product'),
      type: field('string', 'type'),
    },
  },
  invoices: {
    kind: 'invoice',
    fields: {
      created,
      currency: field('string', 'currency'),
      customer: field('string', 'customer'),
      number: field('string', 'number'),
      receipt_number: field('string', 'receipt_number'),
      status: field('string', 'status'),
      subscription: field('string', 'parent.subscription_details.subscription'),
      total: field('number', 'total'),
    },
  },
  payment_intents: {
    kind: 'payment_intent',
    fields: {
      created,
      amount: field('number', 'amount'),
      currency: field('string', 'currency'),
      customer: field('string', 'customer'),
      status: field('string', 'status'),
    },
  },
  charges: {
    kind: 'charge',
    fields: {
      created,
      amount: field('number', 'amount'),
      'billing_details.address.postal_code': field('string', 'billing_details.address.postal_code'),
      currency: field('string', 'currency'),
      customer: field('string', 'customer'),
      disputed: field('boolean', 'disputed'),
      payment_intent: field('string', 'payment_intent'),
      'payment_method_details.card.last4': field('string', 'payment_method_details.card.last4'),
      refunded: field('boolean', 'refunded'),
      status: field('string', 'status'),
    },
  },
};

export const searchRoutes = defineResource('search', (api) => {
  for (const [resource, { kind, fields }] of Object.entries(searchable)) {
    const url = `/v1/${resource}/search`;
    api.get(url, (ctx: Ctx) => search(ctx.store.c(kind), ctx.params, url, resource, fields));
  }
});
