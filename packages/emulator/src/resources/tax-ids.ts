// Customer tax IDs (`txi_…`): what a customer's invoices and credit notes show in their header.
// `POST/GET /v1/customers/:id/tax_ids`, `GET/DELETE /v1/customers/:id/tax_ids/:tax_id`, and the
// customer's includable `tax_ids` list (`expand[]=tax_ids`).
import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { resourceMissing } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { paginate, paginateArray } from '../core/list.js';
import { reqStr } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import type { Customer } from './customers.js';

export type TaxId = Wire<Stripe.TaxId>;

declare module '../core/store.js' {
  interface CollectionTypes {
    tax_id: TaxId;
  }
}

/**
 * Types Stripe checks against a government register (the EU's VIES, HMRC, the Australian Business
 * Register): their `verification` starts `pending`. The emulator has no register, so they stay
 * pending; every other type's verification is `unavailable`.
 */
const VERIFIED_TYPES = new Set(['eu_vat', 'gb_vat', 'au_abn']);

/** The tax ID's country: an EU VAT number's own prefix (`EL` is Greece), else the type's. */
function countryOf(type: string, value: string): string | null {
  if (type === 'unknown' || type === 'eu_oss_vat') return null;
  if (type === 'eu_vat') {
    const prefix = value.slice(0, 2).toUpperCase();
    return prefix === 'EL' ? 'GR' : /^[A-Z]{2}$/.test(prefix) ? prefix : null;
  }
  return type.slice(0, 2).toUpperCase();
}

function requireCustomer(ctx: Ctx): Customer {
  return ctx.store.c('customer').require(ctx.args.id!);
}

function requireTaxId(ctx: Ctx, customer: Customer): TaxId {
  const id = ctx.args.tax_id!;
  const t = ctx.store.c('tax_id').get(id);
  if (t === undefined || t.customer !== customer.id) throw resourceMissing('tax_id', id);
  return t;
}

function create(ctx: Ctx): TaxId {
  const customer = requireCustomer(ctx);
  const type = reqStr(ctx.params, 'type');
  const value = reqStr(ctx.params, 'value');
  const taxId: TaxId = {
    id: newId('txi'),
    object: 'tax_id',
    country: countryOf(type, value),
    created: ctx.now(),
    customer: customer.id,
    customer_account: null,
    livemode: false,
    owner: { customer: customer.id, customer_account: null, type: 'customer' },
    type: type as TaxId['type'],
    value,
    verification: {
      status: VERIFIED_TYPES.has(type) ? 'pending' : 'unavailable',
      verified_address: null,
      verified_name: null,
    },
  };
  ctx.store.c('tax_id').insert(taxId);
  ctx.emit('customer.tax_id.created', taxId);
  return taxId;
}

function remove(ctx: Ctx) {
  const taxId = requireTaxId(ctx, requireCustomer(ctx));
  ctx.store.c('tax_id').delete(taxId.id);
  ctx.emit('customer.tax_id.deleted', taxId);
  return { id: taxId.id, object: 'tax_id' as const, deleted: true as const };
}

/** A customer's tax IDs, newest first (what an invoice copies into `customer_tax_ids`). */
export function customerTaxIds(ctx: Pick<Ctx, 'store'>, customerId: string): TaxId[] {
  const out: TaxId[] = [];
  for (const t of ctx.store.c('tax_id').newestFirst()) if (t.customer === customerId) out.push(t);
  return out;
}

export const taxIds = defineResource('tax_ids', (api) => {
  api.label('tax_id', 'tax_id');
  api.post('/v1/customers/:id/tax_ids', create);
  api.get('/v1/customers/:id/tax_ids', (ctx) => {
    const customer = requireCustomer(ctx);
    return paginate(
      ctx.store.c('tax_id'),
      ctx.params,
      `/v1/customers/${customer.id}/tax_ids`,
      (t) => t.customer === customer.id,
    );
  });
  api.get('/v1/customers/:id/tax_ids/:tax_id', (ctx) => requireTaxId(ctx, requireCustomer(ctx)));
  api.del('/v1/customers/:id/tax_ids/:tax_id', remove);
  api.expandable('tax_id', 'customer', (id) => api.store.c('customer').get(id));
  api.includable('customer', 'tax_ids', (o) => {
    const id = (o as { id: string }).id;
    return paginateArray(customerTaxIds(api, id), {}, `/v1/customers/${id}/tax_ids`);
  });
});
