import type Stripe from 'stripe';
import type { Ctx } from '../core/context.js';
import { diffPrevious } from '../core/events.js';
import { newId, randomString } from '../core/ids.js';
import { allOf, paginate, rangeFilter } from '../core/list.js';
import { applyMetadata, EMPTY_METADATA } from '../core/metadata.js';
import { emptyableStr, int, obj, str, strArr } from '../core/params.js';
import { defineResource } from '../core/resource.js';
import type { Wire } from '../core/wire.js';
import {
  applyCustomerDiscount,
  prepareCustomerDiscount,
  removeCustomerDiscount,
} from './billing/discounts.js';
import { readAddress } from './common/address.js';
import { recordBalanceSet } from './customer-balance.js';
import { attachPaymentMethod, defaultPaymentMethodFor, resolvePaymentMethod } from './payment-methods.js';
import { attachCustomerSource, type Card, replaceDefaultSource, requireCustomerSource } from './tokens.js';

export type Customer = Wire<Stripe.Customer>;

declare module '../core/store.js' {
  interface CollectionTypes {
    customer: Customer;
    /** Ids of deleted customers: retrieving one answers `{id, object, deleted: true}` as Stripe does. */
    _deleted_customer: { id: string };
  }
}

/**
 * `preferred_locales` of customers that set none, shared (it is only ever replaced, never changed in
 * place; frozen so that a stray in-place change would throw).
 */
const NO_LOCALES = Object.freeze([]) as unknown as string[];

function readShipping(ctx: Ctx): Customer['shipping'] | undefined {
  if (ctx.params.shipping === '') return null;
  const s = obj(ctx.params, 'shipping');
  if (s === undefined) return undefined;
  return {
    address: readAddress(s, 'address', 'shipping[address]') ?? {
      city: null,
      country: null,
      line1: null,
      line2: null,
      postal_code: null,
      state: null,
    },
    name: str(s, 'name', 'shipping[name]') ?? '',
    phone: str(s, 'phone', 'shipping[phone]') ?? null,
  };
}

/** Applies the fields shared by create and update. */
function applyFields(ctx: Ctx, c: Customer): void {
  const p = ctx.params;
  const set = <K extends keyof Customer>(k: K, v: Customer[K] | undefined): void => {
    if (v !== undefined) c[k] = v;
  };
  set('name', emptyableStr(p, 'name'));
  set('email', emptyableStr(p, 'email'));
  set('description', emptyableStr(p, 'description'));
  set('phone', emptyableStr(p, 'phone'));
  set('balance', int(p, 'balance'));
  set('address', readAddress(p, 'address'));
  set('shipping', readShipping(ctx));
  set('preferred_locales', strArr(p, 'preferred_locales'));
  set('invoice_prefix', str(p, 'invoice_prefix'));
  set('next_invoice_sequence', int(p, 'next_invoice_sequence'));
  const tax = str(p, 'tax_exempt');
  if (tax !== undefined) c.tax_exempt = tax === '' ? 'none' : tax;
  const settings = obj(p, 'invoice_settings');
  if (settings !== undefined) {
    const pm = emptyableStr(settings, 'default_payment_method', 'invoice_settings[default_payment_method]');
    if (pm !== undefined) {
      // A default must be attached to this customer (`pm_card_*` ids are attached on the way).
      c.invoice_settings.default_payment_method = pm === null ? null : defaultPaymentMethodFor(ctx, c.id, pm);
    }
    const footer = emptyableStr(settings, 'footer', 'invoice_settings[footer]');
    if (footer !== undefined) c.invoice_settings.footer = footer;
  }
  c.metadata = applyMetadata(c.metadata, p);
}

function create(ctx: Ctx): Customer {
  // A customer on a test clock lives at the clock's frozen time.
  const clockId = str(ctx.params, 'test_clock');
  const clock = clockId ? ctx.store.c('test_helpers.test_clock').require(clockId, 'test_clock') : undefined;
  const c: Customer = {
    id: newId('cus', 14),
    object: 'customer',
    address: null,
    balance: 0,
    created: clock?.frozen_time ?? ctx.now(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: null,
    invoice_prefix: randomString(8).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata: EMPTY_METADATA,
    name: null,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: NO_LOCALES,
    shipping: null,
    tax_exempt: 'none',
    test_clock: clock?.id ?? null,
  };
  // Inserted before the fields are applied: `payment_method` and a default payment method attach to it.
  ctx.store.c('customer').insert(c);
  let card: Card | undefined;
  try {
    const pm = str(ctx.params, 'payment_method');
    if (pm) attachPaymentMethod(ctx, resolvePaymentMethod(ctx, pm), c.id);
    const source = str(ctx.params, 'source');
    if (source) card = attachCustomerSource(ctx, c, source);
    applyFields(ctx, c);
    recordBalanceSet(ctx, c, 0, true);
  } catch (err) {
    ctx.store.c('customer').delete(c.id);
    throw err;
  }
  if (ctx.params.coupon !== undefined || ctx.params.promotion_code !== undefined) {
    try {
      // Checked before `customer.created`: a refused coupon leaves no customer behind.
      prepareCustomerDiscount(ctx);
    } catch (err) {
      ctx.store.c('customer').delete(c.id);
      throw err;
    }
    ctx.emit('customer.created', c);
    applyCustomerDiscount(ctx, c);
    return c;
  }
  ctx.emit('customer.created', c);
  if (card) ctx.emit('customer.source.created', card);
  return c;
}

function retrieve(ctx: Ctx): Customer | Stripe.DeletedCustomer {
  const id = ctx.args.id!;
  if (ctx.store.c('_deleted_customer').has(id)) return { id, object: 'customer', deleted: true };
  return ctx.store.c('customer').require(id);
}

function update(ctx: Ctx): Customer {
  const c = ctx.store.c('customer').require(ctx.args.id!);
  const before = structuredClone(c);
  const source = str(ctx.params, 'source');
  if (source) replaceDefaultSource(ctx, c, source);
  // `default_source`: another of the customer's cards becomes the default.
  const defaultSource = str(ctx.params, 'default_source');
  if (defaultSource) c.default_source = requireCustomerSource(ctx, c.id, defaultSource).id;
  applyFields(ctx, c);
  recordBalanceSet(ctx, c, before.balance, false);
  applyCustomerDiscount(ctx, c);
  const prev = diffPrevious(before, c);
  if (Object.keys(prev).length > 0) ctx.emit('customer.updated', c, prev);
  return c;
}

function remove(ctx: Ctx): Stripe.DeletedCustomer {
  const id = ctx.args.id!;
  const c = ctx.store.c('customer').require(id);
  ctx.store.c('customer').delete(id);
  ctx.store.c('_deleted_customer').insert({ id });
  ctx.emit('customer.deleted', c);
  return { id, object: 'customer', deleted: true };
}

function list(ctx: Ctx) {
  const email = str(ctx.params, 'email');
  const created = rangeFilter(ctx.params, 'created');
  const clock = str(ctx.params, 'test_clock');
  return paginate(
    ctx.store.c('customer'),
    ctx.params,
    '/v1/customers',
    allOf<Customer>(
      email !== undefined && ((c) => c.email === email),
      created && ((c) => created(c.created)),
      clock !== undefined && ((c) => c.test_clock === clock),
    ),
  );
}

/** `DELETE /v1/customers/:id/discount`: ends the customer's discount (then `customer.updated`). */
function deleteDiscount(ctx: Ctx): Stripe.DeletedDiscount {
  const c = ctx.store.c('customer').require(ctx.args.id!);
  const before = structuredClone(c);
  const d = removeCustomerDiscount(ctx, c);
  ctx.emit('customer.updated', c, diffPrevious(before, c));
  return { ...d, deleted: true } as Stripe.DeletedDiscount;
}

export const customers = defineResource('customers', (api) => {
  api.label('customer', 'customer');
  api.post('/v1/customers', create);
  api.get('/v1/customers', list);
  api.get('/v1/customers/:id', retrieve);
  api.post('/v1/customers/:id', update);
  api.del('/v1/customers/:id', remove);
  api.del('/v1/customers/:id/discount', deleteDiscount);
  // `discount` is embedded; registering it lets paths walk into it (`discount.promotion_code`).
  api.expandable('customer', 'discount', () => undefined);
});
